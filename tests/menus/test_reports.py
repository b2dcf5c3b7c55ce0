"""`report to URL`: what the caller chose, posted by `dialplan serve` in the
background (menus/delivery.py) to a real receiver on 127.0.0.1: retried with
backoff, logged, bounded, and never in the way of the answer."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import httpx
import pytest

from dialplan_compiler import compile_source, check_source
from dialplan_compiler.menus.delivery import Deliveries
from dialplan_compiler.menus.simulate import load, simulate
from serving import SECRET, Receiver, free_port, serve_process

SCRIPT = '''\
voice en-GB
menu via "BASE/routee" {
  say "Press 1 to confirm."
  on 1 {
    report to "HOOK/answers"
    say "Confirmed."
  }
  on 2 {
    say "Two."
  }
}
'''


def deliver(receiver: Receiver, count: int = 1, **options) -> list[dict]:
    """Submit `count` reports to `receiver` and wait for the workers; the log lines."""
    lines: list[dict] = []

    async def run() -> None:
        async with httpx.AsyncClient() as client:
            deliveries = Deliveries(lines.append, lambda: client, first_backoff=0.01,
                                    **options)
            for i in range(count):
                deliveries.submit(receiver.url + "/answers", {"n": i}, {"branch": "1"})
            await deliveries.close(grace=30)

    asyncio.run(run())
    return lines


def test_a_receiver_in_trouble_is_tried_again_until_it_takes_the_report(receivers):
    statuses = iter([503, 429, 200])
    receiver = receivers(lambda path, body: (next(statuses), b"{}"))
    lines = deliver(receiver)
    assert [body for _, body in receiver.got] == [{"n": 0}] * 3
    assert lines == [{"event": "reported", "url": receiver.url + "/answers", "branch": "1",
                      "status": 200, "attempt": 3}]


def test_a_report_is_given_up_after_its_tries_and_a_refusal_at_once(receivers):
    failing = receivers(lambda path, body: (500, b""))
    lines = deliver(failing, attempts=3)
    assert len(failing.got) == 3
    assert [(line["event"], line["error"], line["attempts"]) for line in lines] == [
        ("report-failed", "HTTP 500", 3)]
    refusing = receivers(lambda path, body: (400, b""))
    lines = deliver(refusing)
    assert len(refusing.got) == 1
    assert [(line["event"], line["attempts"]) for line in lines] == [("report-failed", 1)]


def test_nothing_listening_is_a_give_up_too():
    lines: list[dict] = []
    port = free_port()  # nothing listens there

    async def run() -> None:
        async with httpx.AsyncClient() as client:
            deliveries = Deliveries(lines.append, lambda: client, first_backoff=0.01,
                                    attempts=2)
            deliveries.submit(f"http://127.0.0.1:{port}/answers", {}, {})
            await deliveries.close(grace=30)

    asyncio.run(run())
    assert [(line["event"], line["error"]) for line in lines] == [
        ("report-failed", "ConnectError")]


def test_a_full_queue_drops_reports_and_says_so(receivers):
    receiver = receivers()
    lines = deliver(receiver, count=5, queue_size=2)
    events = [line["event"] for line in lines]
    assert events.count("report-dropped") == 3 and events.count("reported") == 2
    assert len(receiver.got) == 2


def test_report_belongs_in_a_branch():
    for where in ('report to "https://h.example.com/a"\n',
                  'menu via "https://h.example.com/r" {\n  say "Hi" in en-GB\n'
                  '  on 1 { say "A" }\n  timeout { report to "https://h.example.com/a" }\n}\n',
                  'menu via "https://h.example.com/r" {\n  report to "https://h.example.com/a"\n'
                  '  on 1 { say "A" in en-GB }\n}\n'):
        result = check_source(where)
        assert "DP111" in [d.code for d in result.diagnostics], where
    result = check_source('menu via "https://h.example.com/r" {\n  say "Hi" in en-GB\n'
                          '  on 1 { report "https://h.example.com/a" }\n'
                          '  otherwise { say "Sorry." in en-GB }\n'
                          '  timeout { say "Goodbye." in en-GB }\n}\n')
    assert [(d.code, d.span.line, d.span.column, d.message) for d in result.diagnostics] == [
        ("DP103", 3, 16, "`report` needs `to URL`")]


def test_simulate_shows_a_report_as_a_transcript_line():
    flow = load(SCRIPT.replace("BASE", "https://ivr.example.com").replace(
        "HOOK", "https://crm.example.com"), "confirm.call")
    assert simulate(flow, ["1"]).transcript == [
        "caller hears (en-GB): Press 1 to confirm.", "presses 1",
        'reports to https://crm.example.com/answers {"branch": "1", "keys": "1", "values": {}}',
        "caller hears (en-GB): Confirmed.", "call ends"]
    assert not any(line.startswith("reports") for line in simulate(flow, ["2"]).transcript)


def test_the_caller_hears_the_branch_whatever_the_receiver_does(tmp_path, receivers):
    release = threading.Event()
    holding = receivers(lambda path, body: (release.wait(30), (200, b"{}"))[1])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    path = tmp_path / "confirm.call"
    for hook in (holding.url, f"http://127.0.0.1:{free_port()}"):  # slow, then nothing there
        path.write_text(SCRIPT.replace("BASE", base).replace("HOOK", hook), encoding="utf-8")
        log = tmp_path / "serve.log"
        with serve_process([path], log, port=port):
            main = compile_source(path.read_text(), str(path), signing_secret=SECRET).payload
            [url] = [v["eventUrl"] for v in main["verbs"] if v["type"] == "COLLECT"]
            answer = httpx.post(url, json={"collectedTones": "1", "messageId": "m1",
                                           "conversationTrackingId": "c1"})
            # Answered while the receiver still holds the report unanswered.
            assert answer.status_code == 200
            assert [v["message"]["text"] for v in answer.json()["verbs"]] == ["Confirmed."]
            if hook == holding.url:
                assert holding.wait_for(1)
                assert not release.is_set()
                release.set()
        lines = [json.loads(line) for line in log.read_text().splitlines()
                 if line.startswith("{")]
        reported = [line for line in lines if line.get("event") in ("reported",
                                                                     "report-failed",
                                                                     "report-abandoned")]
        assert reported, lines
