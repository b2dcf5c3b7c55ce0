"""`ask` end to end, over real HTTP on 127.0.0.1: a campaign of 3 rows
through `dialplan call`, the stand-in executing plans, a real `dialplan
serve`, and a real backend that chooses each caller's branch: one that
answers each choice, one that answers too late, one that answers garbage."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from serving import Receiver, free_port, place_campaign, serving

pytestmark = pytest.mark.slow

SCRIPT = '''\
from +302101234567
voice en-GB female

say "Hello {name}."
menu via "BASE/routee" wait 5s {
  say "To hear your balance, press 1."
  on 1 {
    ask "HOOK/balance" within 1s vars balance {
      on open {
        say "Your balance is {balance} euros, {name}."
        report to "HOOK/heard"
      }
      on closed {
        say "Your account is closed, {name}."
      }
      otherwise {
        say "We cannot tell you your balance now."
      }
      timeout {
        say "Our system is slow today."
      }
    }
  }
}
'''
PEOPLE = [("+306910000001", "Maria"), ("+306910000002", "Nikos"),
          ("+306910000003", "Eleni")]
HELLO = "caller hears (en-GB, female): Hello {}."
MENU = "caller hears (en-GB, female): To hear your balance, press 1."


def campaign(tmp_path: Path, backend: Receiver, standin, monkeypatch):
    """Run the campaign against `backend`; (what each recipient heard, serve's log)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    script = tmp_path / "balance.call"
    script.write_text(SCRIPT.replace("BASE", base).replace("HOOK", backend.url),
                      encoding="utf-8")
    people = tmp_path / "people.csv"
    with people.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["to", "name"])
        writer.writerows(PEOPLE)
    log = tmp_path / "serve.log"
    with serving([script], log, port=port):
        server = standin(execute=True, callers={to: ["1"] for to, _ in PEOPLE})
        place_campaign(script, people, server, monkeypatch)
        backend.wait_for(len(PEOPLE))
    heard = {call.recipient: call.transcript for call in server.calls.values()}
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return heard, [line for line in lines if line.get("event") == "asked"]


def test_the_backend_chooses_each_callers_branch_and_fills_it(tmp_path, routee_env, standin,
                                                              monkeypatch, receivers):
    choices = {"Maria": {"choice": "open", "vars": {"balance": "10.50"}},
               "Nikos": {"choice": "open", "vars": {"balance": "{name} }}"}},
               "Eleni": {"choice": "closed"}}

    def answer(path, body):
        if path == "/balance":
            return 200, json.dumps(choices[body["values"]["name"]]).encode()
        return 200, b"{}"

    backend = receivers(answer)
    heard, asked = campaign(tmp_path, backend, standin, monkeypatch)
    last = {to: heard[to][3] for to, _ in PEOPLE}
    assert last == {
        "+306910000001": "caller hears (en-GB, female): Your balance is 10.50 euros, Maria.",
        # A value is text: its braces are said, never read as a placeholder.
        "+306910000002": "caller hears (en-GB, female): Your balance is {name} }} euros, Nikos.",
        "+306910000003": "caller hears (en-GB, female): Your account is closed, Eleni."}
    for to, name in PEOPLE:
        assert heard[to][:3] == [HELLO.format(name), MENU, "presses 1"]
    contexts = backend.bodies("/balance")
    assert sorted(c["values"]["name"] for c in contexts) == ["Eleni", "Maria", "Nikos"]
    assert all(c["keys"] == "1" and c["branch"] == "1" and c["call"]["trackingId"]
               for c in contexts)
    assert sorted((line["outcome"], line.get("choice")) for line in asked) == [
        ("chosen", "closed"), ("chosen", "open"), ("chosen", "open")]
    assert backend.wait_for(5)  # and the two open branches' reports
    heard_reports = backend.bodies("/heard")
    assert sorted(r["values"]["balance"] for r in heard_reports) == ["10.50", "{name} }}"]


def test_a_backend_that_answers_too_late_takes_the_timeout_branch(tmp_path, routee_env,
                                                                  standin, monkeypatch,
                                                                  receivers):
    backend = receivers(lambda path, body: (200, b'{"choice": "open"}'), delay=2.5)
    heard, asked = campaign(tmp_path, backend, standin, monkeypatch)
    for to, name in PEOPLE:
        assert heard[to] == [HELLO.format(name), MENU, "presses 1",
                             "caller hears (en-GB, female): Our system is slow today.",
                             "call ends"]
    assert [line["outcome"] for line in asked] == ["timeout"] * 3


@pytest.mark.parametrize("reply", [b"<html>busy</html>", b'{"choice": "maybe"}',
                                   b'{"choice": "open", "vars": {"balance": 12}}',
                                   b'{"choice": "open", "vars": {"say": "x"}}', b'"open"'])
def test_a_backend_that_answers_garbage_takes_otherwise(tmp_path, routee_env, standin,
                                                        monkeypatch, receivers, reply):
    backend = receivers(lambda path, body: (200, reply))
    heard, asked = campaign(tmp_path, backend, standin, monkeypatch)
    for to, name in PEOPLE:
        assert heard[to][3:] == [
            "caller hears (en-GB, female): We cannot tell you your balance now.", "call ends"]
    assert all(line["outcome"].startswith("garbage") for line in asked) and len(asked) == 3


def test_a_backend_in_error_takes_otherwise(tmp_path, routee_env, standin, monkeypatch,
                                            receivers):
    backend = receivers(lambda path, body: (503, b"{}"))
    heard, asked = campaign(tmp_path, backend, standin, monkeypatch)
    assert {h[3] for h in heard.values()} == {
        "caller hears (en-GB, female): We cannot tell you your balance now."}
    assert [line["outcome"] for line in asked] == ["error: HTTP 503"] * 3
