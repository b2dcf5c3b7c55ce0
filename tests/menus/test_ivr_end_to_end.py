"""Compile → call → serve → branch, over real HTTP on 127.0.0.1.

`dialplan call` places the call on the local Routee stand-in, which runs
the plan with scripted key presses (engine.py) and calls the eventUrls of a
real `dialplan serve` process, which answers the branches."""

from __future__ import annotations

import pytest

import json
from contextlib import contextmanager
from pathlib import Path

from click.testing import CliRunner

from helpers import urls
from dialplan_compiler.cli import main
from serving import SECRET, free_port, serving, with_base

from helpers import ROOT

pytestmark = pytest.mark.slow
PERSON = "+306912345678"


def call(script: Path, server, monkeypatch) -> None:
    monkeypatch.setenv("DIALPLAN_SIGNING_SECRET", SECRET)
    result = CliRunner().invoke(main, ["call", str(script), "--to", PERSON, "--wait",
                                       *urls(server)], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def log_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def test_a_booking_goes_through_every_layer(tmp_path, routee_env, standin, monkeypatch):
    log = tmp_path / "serve.log"
    with _serving_clinic(tmp_path, log) as (base, served):
        server = standin(execute=True, callers={PERSON: ["1", "1234#"]})
        call(served, server, monkeypatch)
        assert server.wait_for_calls()
        [placed] = server.calls.values()
        assert placed.transcript == [
            "caller hears (en-GB, female): Welcome to Example Clinic.",
            "caller hears (en-GB, female): For appointments press 1. For the front desk "
            "press 2. To hear this again press 9.",
            "presses 1",
            "caller hears (en-GB, female): Please enter your four digit booking code, then "
            "press hash.",
            "presses 1 2 3 4 #",
            "caller hears (en-GB, female): Thank you. Booking 1234 is confirmed.",
            "call ends",
        ]
        posts = [e for e in placed.events if e["kind"] == "post"]
        assert [p["tones"] for p in posts] == ["1", "1234", ""]  # the last: after the call
        assert all(p["url"].startswith(base + "/routee/events?") for p in posts)
    answered = [line for line in log_lines(log) if line.get("event") == "event"]
    assert [line["branch"] for line in answered][:2] == ["1", "1.any4"]
    assert {line["conversationTrackingId"] for line in answered} == {placed.tracking_id}


def test_wrong_keys_use_up_the_tries(tmp_path, routee_env, standin, monkeypatch):
    log = tmp_path / "serve.log"
    with _serving_clinic(tmp_path, log) as (base, served):
        server = standin(execute=True, callers={PERSON: ["5", "5", "5"]})
        call(served, server, monkeypatch)
        assert server.wait_for_calls()
        [placed] = server.calls.values()
    assert placed.transcript.count("caller hears (en-GB, female): Sorry, that is not an "
                                   "option.") == 3
    assert placed.transcript[-2:] == [
        "caller hears (en-GB, female): We did not hear from you. Goodbye.", "call ends"]
    branches = [line["branch"] for line in log_lines(log) if line.get("event") == "event"]
    assert branches[:3] == ["other@1", "other@2", "other@3"]


def test_a_machine_gets_the_machine_plan_and_status_is_logged(tmp_path, routee_env, standin,
                                                              monkeypatch):
    log = tmp_path / "serve.log"
    script = ROOT / "examples" / "ivr" / "reminder-machine.call"
    with _serving_script(script, tmp_path, log) as (base, served):
        server = standin(execute=True, machines={PERSON})
        call(served, server, monkeypatch)
        assert server.wait_for_calls()
        [placed] = server.calls.values()
    assert placed.transcript[0] == "a machine answers"
    assert placed.transcript[1].startswith("caller hears (en-GB, female): Hello, this is "
                                           "Example Clinic with a reminder")
    lines = log_lines(log)
    assert any(line.get("event") == "event" and line.get("branch") == "machine"
               for line in lines)
    statuses = [line for line in lines if line.get("event") == "status"]
    assert statuses and statuses[0]["body"]["status"]["name"] == "Completed"
    assert statuses[0]["body"]["conversationTrackingId"] == placed.tracking_id


# --- helpers ---------------------------------------------------------------------------------

@contextmanager
def _serving_script(script: Path, tmp_path: Path, log: Path):
    """Serve `script` with its URLs pointed at the server itself: the port
    is chosen first, then the script written, then the server started."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    served = with_base(script, base, tmp_path / script.name)
    with serving([served], log, port=port) as url:
        assert url == base
        yield base, served


def _serving_clinic(tmp_path: Path, log: Path):
    return _serving_script(ROOT / "examples" / "ivr" / "clinic.call", tmp_path, log)
