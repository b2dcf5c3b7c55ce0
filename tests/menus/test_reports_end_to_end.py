"""A campaign end to end, over real HTTP on 127.0.0.1: `dialplan call
--recipients` places one call per row on the Routee stand-in, which runs
each plan with a caller who presses 1 and calls the eventUrls of a real
`dialplan serve`; serve fills the branch with the row's own values and
reports each answer to a real local receiver."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from helpers import ROOT
from serving import Receiver, free_port, place_campaign, serving, with_base

pytestmark = pytest.mark.slow

PEOPLE = [("+306910000001", "Maria", "Monday 3 May"),
          ("+306910000002", "Nikos", "Tuesday 4 May"),
          ("+306910000003", "Eleni", "Friday 7 May")]


def log_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def test_each_recipient_hears_their_own_date_and_each_answer_is_reported(
        tmp_path, routee_env, standin, monkeypatch):
    receiver = Receiver()
    try:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        script = with_base(ROOT / "examples" / "ivr" / "reminder.call", base,
                           tmp_path / "reminder.call")
        script.write_text(script.read_text().replace(
            "https://crm.example.com", receiver.url), encoding="utf-8")
        people = tmp_path / "people.csv"
        with people.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["to", "name", "date"])
            writer.writerows(PEOPLE)
        log = tmp_path / "serve.log"
        with serving([script], log, port=port):
            server = standin(execute=True, callers={to: ["1"] for to, _, _ in PEOPLE})
            place_campaign(script, people, server, monkeypatch)
            assert receiver.wait_for(3)
        heard = {call.recipient: call.transcript for call in server.calls.values()}
        for to, name, date in PEOPLE:
            assert heard[to] == [
                f"caller hears (en-GB, female): Hello {name}, this is Example Clinic.",
                f"caller hears (en-GB, female): Your appointment is on {date}. To confirm it, "
                "press 1. To cancel it, press 2.",
                "presses 1",
                f"caller hears (en-GB, female): Thank you. See you on {date}.",
                "call ends"]
        reports = receiver.bodies("/appointments/answers")
        assert len(receiver.got) == 3
        by_phone = {r["call"]["to"]: r for r in reports}
        tracking = {call.recipient: call.tracking_id for call in server.calls.values()}
        for to, name, date in PEOPLE:
            report = by_phone[to]
            assert report["script"] == "reminder" and report["branch"] == "1"
            assert report["keys"] == "1" and report["try"] == 1
            assert report["path"] == [{"menu": "main", "choice": "1"}]
            assert report["values"] == {"name": name, "date": date}
            assert report["call"]["trackingId"] == tracking[to]
            assert report["call"]["messageId"] and report["call"]["from"]
        delivered = [line for line in log_lines(log) if line.get("event") == "reported"]
        assert sorted(line["trackingId"] for line in delivered) == sorted(tracking.values())
        assert all(line["status"] == 200 and line["attempt"] == 1 for line in delivered)
    finally:
        receiver.close()
