"""Following a call after it is placed: `dialplan call --wait`, `dialplan
status` and `dialplan hangup`, through the command line, against the Routee
stand-in on 127.0.0.1, which shows a call's progress only where Routee
documents it (GET /voice/tracking/conversation/{trackingId}, paged)."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from helpers import APP_ID, SECRET, SENDER, files_containing, urls, write_script
from dialplan_compiler import cli, routee
from dialplan_compiler.calls.client import Credentials, RateLimiter, RouteeClient
from dialplan_compiler.calls.standin import Outcome
from dialplan_compiler.calls.tracking import (ASSUMED_MAX_DURATION, DEADLINE_MARGIN,
                                              OUTCOME_EXIT_CODES, TIMEOUT_EXIT_CODE,
                                              call_deadline, follow_call, read_tracking)

TO = "+306911111111"
OTHER = "+306922222222"
#: Every status well apart from the next, so that the polls (after 1 s,
#: 2.5 s, 4.75 s, 8.1 s) each see a different one.
SLOW = (("Queued", 0.0), ("Ringing", 1.8), ("InProgress", 3.6), ("Completed", 6.4))
FAST = (("Queued", 0.0), ("Initiated", 0.05), ("Ringing", 0.1), ("InProgress", 0.15),
        ("Completed", 0.2))
#: A call answered and still talking (for a minute), or ringing for as long.
TALKING = (("Queued", 0.0), ("Initiated", 0.05), ("Ringing", 0.1), ("InProgress", 0.15),
           ("Completed", 60.0))
RINGING = (("Queued", 0.0), ("Initiated", 0.05), ("Ringing", 0.1), ("InProgress", 60.0),
           ("Completed", 61.0))


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


@pytest.fixture
def script(tmp_path):
    return write_script(tmp_path / "hello.call")


def place(server, script, *extra):
    return run("call", script, "--to", TO, "--var", "name=M", *extra, *urls(server))


def status_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("status: ")]


def tracking_gets(server) -> list:
    return [r for r in server.requests if r.method == "GET"
            and r.path.startswith("/voice/tracking/conversation/")]


def wait_for_status(server, status: str, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(c.status() == status for c in server.calls.values()):
            return
        time.sleep(0.02)
    raise AssertionError(f"no call reached {status}")


# --- --wait ----------------------------------------------------------------------------

def test_wait_prints_each_status_once_and_the_outcome_at_the_end(standin, routee_env, script):
    server = standin(progress=SLOW, outcomes={TO: Outcome("Completed", "HUMAN", duration=42)})
    result = place(server, script, "--wait")
    assert result.exit_code == 0, result.output
    [call] = server.calls.values()
    assert result.stdout.strip() == call.tracking_id
    assert status_lines(result) == ["status: Queued", "status: Ringing", "status: InProgress",
                                    "status: Completed (answered by HUMAN, 42 s, price 0.05)"]
    assert all(r.status == 200 for r in tracking_gets(server))
    # The conversation itself has no status: it is never asked for one.
    assert not any(r.path.startswith("/voice/conversation/") for r in server.requests)


def test_wait_to_no_answer(standin, routee_env, script):
    server = standin(progress=FAST, outcomes={TO: "NoAnswer"})
    result = place(server, script, "--wait")
    assert result.exit_code == OUTCOME_EXIT_CODES["NoAnswer"] == 11, result.output
    assert status_lines(result)[-1] == "status: NoAnswer (answered by UNKNOWN, 0 s, price 0)"
    assert "dialplan: the call ended NoAnswer: nobody answered" in result.stderr


@pytest.mark.parametrize("outcome", routee.FINAL_STATUSES)
def test_each_outcome_has_its_own_exit_code(standin, routee_env, script, outcome):
    server = standin(progress=FAST, outcomes={TO: outcome})
    result = place(server, script, "--wait")
    assert result.exit_code == OUTCOME_EXIT_CODES[outcome], result.output
    assert status_lines(result)[-1].startswith(f"status: {outcome}")


def test_the_exit_codes_are_distinct_and_documented():
    from helpers import ROOT

    codes = list(OUTCOME_EXIT_CODES.values()) + [TIMEOUT_EXIT_CODE]
    assert set(OUTCOME_EXIT_CODES) == set(routee.FINAL_STATUSES)
    assert len(set(codes)) == len(codes) and OUTCOME_EXIT_CODES["Completed"] == 0
    assert all(code not in (1, 2, 3) for code in codes if code)   # the CLI's own codes
    doc = (ROOT / "docs" / "calls.md").read_text(encoding="utf-8")
    for status, code in OUTCOME_EXIT_CODES.items():
        assert f"| `{status}` | {code} |" in doc, status
    assert f"| the deadline passed | {TIMEOUT_EXIT_CODE} |" in doc
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for status, code in OUTCOME_EXIT_CODES.items():
        assert status == "Completed" or f"`{status}` {code}" in readme, status
    assert f"deadline passes ({TIMEOUT_EXIT_CODE})" in readme


def test_wait_gives_up_at_the_deadline_and_says_so(standin, routee_env, script):
    server = standin(progress=RINGING)
    result = place(server, script, "--wait", "--wait-timeout", "2")
    assert result.exit_code == TIMEOUT_EXIT_CODE, result.output
    [call] = server.calls.values()
    assert f"dialplan: stopped waiting after 2 s (--wait-timeout 2 s): the call is still " \
           f"Ringing and goes on; `dialplan status {call.tracking_id}` shows it" in result.stderr
    assert status_lines(result)[-1] == "status: Ringing"


def test_wait_timeout_needs_wait(standin, routee_env, script):
    server = standin()
    result = place(server, script, "--wait-timeout", "5")
    assert result.exit_code == 2 and "give --wait too" in result.stderr
    assert server.requests == []


def test_the_deadline_comes_from_the_call():
    given = call_deadline({"hangupDelay": 30, "maxDuration": 120})
    assert given.seconds == 30 + 120 + DEADLINE_MARGIN
    assert given.explain() == f"hangupDelay 30 s + maxDuration 120 s + {DEADLINE_MARGIN:g} s"
    # Routee's answer first, then the request body; what neither sets is assumed.
    mixed = call_deadline({"maxDuration": 10}, {"hangupDelay": 5, "maxDuration": 99})
    assert (mixed.hangup_delay, mixed.max_duration) == (5, 10)
    unset = call_deadline({"from": SENDER})
    assert unset.seconds == routee.HANGUP_DELAY_RANGE[1] + ASSUMED_MAX_DURATION + \
        DEADLINE_MARGIN
    assert "not set" in unset.explain()
    assert call_deadline({"hangupDelay": 30}, timeout=7).seconds == 7


def test_a_token_expiring_mid_wait_is_renewed(standin, routee_env, script):
    # Tokens die after 1.5 s while announced for an hour: Routee's 401 is the only sign.
    server = standin(progress=SLOW, token_lifetime=1.5, announced_expires_in=3600)
    result = place(server, script, "--wait")
    assert result.exit_code == 0, result.output
    assert status_lines(result)[-1].startswith("status: Completed")
    assert 401 in [r.status for r in tracking_gets(server)]
    assert sum(1 for r in server.requests if r.path == "/oauth/token") >= 2
    assert "dialplan: cannot" not in result.stderr


def test_429_while_waiting_honours_retry_after(standin, routee_env, script):
    server = standin(progress=FAST, tracking_faults=["429", "500"])
    server.faults.retry_after = 3
    result = place(server, script, "--wait")
    assert result.exit_code == 0, result.output
    gets = tracking_gets(server)
    assert [r.status for r in gets] == [429, 500, 200]
    assert "HTTP 429 (429013001): Too many requests); looking again in 3.0 s" in result.stderr
    assert gets[1].at - gets[0].at >= 3.0         # not asked again before Retry-After
    assert status_lines(result) == ["status: Completed (answered by HUMAN, 30 s, price 0.05)"]


def test_a_dialled_leg_is_shown_as_such(standin, routee_env, tmp_path):
    script = write_script(tmp_path / "dial.call",
                          f'from {SENDER}\nsay "Connecting." in en-GB\ndial {OTHER}\n')
    server = standin(progress=FAST, page_size=1)
    result = run("call", script, "--to", TO, "--wait", *urls(server))
    assert result.exit_code == 0, result.output
    [call] = server.calls.values()
    dialled = call.legs[1].message_id
    lines = status_lines(result)
    assert lines[0].startswith("status: Completed (answered by HUMAN")
    assert lines[1].startswith(f"status: Completed (leg to {OTHER}, messageId {dialled}")


# --- the Python API the campaign reuses -----------------------------------------------------

def test_follow_call_reads_every_page_and_reports_each_change(standin):
    server = standin(progress=FAST, page_size=1, credentials={APP_ID: SECRET})
    body = {"from": SENDER, "to": {"phone": TO}, "dialPlan": {"verbs": [
        {"type": "DIAL", "from": SENDER, "to": {"phone": OTHER}}]}}
    with RouteeClient(Credentials(APP_ID, SECRET), api_url=server.url, auth_url=server.url,
                      limiter=RateLimiter(1000)) as client:
        tracking_id = client.place_call(body).tracking_id
        seen = []
        followed = follow_call(client, tracking_id, deadline=time.monotonic() + 20,
                               wait=time.sleep, recipient=TO,
                               on_change=lambda leg, before, main: seen.append(
                                   (leg.to, leg.status, main)))
        tracking = read_tracking(client, tracking_id)
    assert (followed.status, followed.timed_out, followed.exit_code) == ("Completed", False, 0)
    assert (followed.leg.to, followed.leg.answered_by, followed.leg.duration) == (TO, "HUMAN", 30)
    assert [leg.to for leg in tracking.legs] == [TO, OTHER]
    assert {(to, main) for to, status, main in seen if status == "Completed"} == \
        {(TO, True), (OTHER, False)}
    assert len(seen) == len(set(seen))            # each status of each leg once
    pages = [r for r in tracking_gets(server)]
    assert len(pages) == 2 * (followed.polls + 1)  # two pages each time


# --- status ---------------------------------------------------------------------------------

def test_status_shows_every_leg_as_text_and_json(standin, routee_env, tmp_path):
    script = write_script(tmp_path / "dial.call",
                          f'from {SENDER}\nsay "Connecting." in en-GB\ndial {OTHER}\n')
    server = standin(progress=FAST, page_size=1,
                     outcomes={TO: Outcome("Completed", "MACHINE", keys=("12",), duration=61)})
    placed = run("call", script, "--to", TO, "--wait", *urls(server))
    assert placed.exit_code == 0, placed.output
    tracking_id = placed.stdout.strip()
    [call] = server.calls.values()
    text = run("status", tracking_id, *urls(server))
    assert text.exit_code == 0, text.output
    first, second = call.legs
    assert text.stdout.splitlines()[:9] == [
        f"trackingId {tracking_id}: Completed",
        f"leg 1: {SENDER} -> {TO}",
        f"  messageId   {first.message_id}",
        text.stdout.splitlines()[3],
        "  answeredBy  MACHINE",
        "  duration    61 s",
        "  price       0.1",
        "  keys        12",
        "  recordings  -"]
    assert text.stdout.splitlines()[3].startswith("  status      Completed (20")
    assert f"leg 2: {SENDER} -> {OTHER}" in text.stdout and second.message_id in text.stdout
    data = json.loads(run("status", tracking_id, "--format", "json", *urls(server)).stdout)
    assert (data["trackingId"], data["status"], data["final"]) == (tracking_id, "Completed",
                                                                   True)
    assert [leg["messageId"] for leg in data["legs"]] == [first.message_id, second.message_id]
    assert data["legs"][0] | {"statusDate": None} == {
        "messageId": first.message_id, "status": "Completed", "statusDate": None,
        "from": SENDER, "to": TO, "answeredBy": "MACHINE", "duration": 61, "price": 0.1,
        "collectedTones": "12", "recordings": []}


def test_status_of_an_unknown_call_is_a_clear_error(standin, routee_env):
    server = standin()
    result = run("status", "no-such-call", *urls(server))
    assert result.exit_code == 1
    assert result.stderr.startswith("dialplan: Routee knows no call with trackingId "
                                    "no-such-call (HTTP 404")
    assert "Traceback" not in result.output


def test_status_without_credentials_is_a_usage_error(standin, routee_env, monkeypatch):
    server = standin()
    monkeypatch.delenv("ROUTEE_APPLICATION_SECRET")
    result = run("status", "x", *urls(server))
    assert result.exit_code == 2 and "ROUTEE_APPLICATION_SECRET is not set" in result.stderr
    assert server.requests == []


def test_status_takes_the_connection_options_of_call(standin, routee_env):
    server = standin()
    for command in ("status", "hangup"):
        result = run(command, "x", "--api-url", "http://example.com", "--auth-url", server.url)
        assert result.exit_code == 2 and "plain http" in result.stderr
        result = run(command, "x", "--timeout", "nan", *urls(server))
        assert result.exit_code == 2 and "Invalid value for '--timeout'" in result.stderr


# --- hangup ---------------------------------------------------------------------------------

def test_hangup_ends_a_call_in_progress(standin, routee_env, script):
    server = standin(progress=TALKING)
    tracking_id = place(server, script).stdout.strip()
    wait_for_status(server, "InProgress")
    [call] = server.calls.values()
    result = run("hangup", tracking_id, *urls(server))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"hung up the call to {TO} (messageId {call.message_id}; it was " \
                            "InProgress)\n"
    puts = [r for r in server.requests if r.method == "PUT"]
    assert [(r.path, r.status) for r in puts] == [(f"/voice/conversation/{call.message_id}",
                                                   200)]
    assert call.status() == "Terminated"
    after = json.loads(run("status", tracking_id, "--format", "json", *urls(server)).stdout)
    assert after["status"] == "Terminated" and after["final"] is True
    again = run("hangup", tracking_id, *urls(server))
    assert again.exit_code == 1
    assert f"dialplan: the call {tracking_id} already ended Terminated: nothing to hang up" \
        in again.stderr
    assert len([r for r in server.requests if r.method == "PUT"]) == 1


def test_hangup_rejects_a_ringing_call_and_speaks_json(standin, routee_env, script):
    server = standin(progress=RINGING)
    tracking_id = place(server, script).stdout.strip()
    wait_for_status(server, "Ringing")
    [call] = server.calls.values()
    result = run("hangup", tracking_id, "--format", "json", *urls(server))
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer | {"createdAt": None} == {
        "trackingId": tracking_id, "messageId": call.message_id, "action": "reject",
        "statusBefore": "Ringing", "message": "Conversation rejected", "createdAt": None}
    assert answer["createdAt"]
    assert call.status() == "Terminated"


def test_hangup_refuses_a_queued_call(standin, routee_env, script):
    server = standin(progress=(("Queued", 0.0), ("Completed", 60.0)))
    tracking_id = place(server, script).stdout.strip()
    result = run("hangup", tracking_id, *urls(server))
    assert result.exit_code == 1
    assert f"dialplan: the call {tracking_id} is Queued: Routee accepts hangup while " \
           "InProgress; reject while Initiated or Ringing; try again in a moment" in result.stderr
    assert not any(r.method == "PUT" for r in server.requests)


def test_hangup_of_an_unknown_call(standin, routee_env):
    server = standin()
    result = run("hangup", "no-such-call", "--format", "json", *urls(server))
    assert result.exit_code == 1 and result.stdout == ""
    assert "Routee knows no call with trackingId no-such-call" in result.stderr


# --- the secret -----------------------------------------------------------------------------

def test_the_secret_is_in_no_output(standin, routee_env, script, tmp_path):
    server = standin(progress=FAST, token_max_uses=2, tracking_faults=["429"])
    server.faults.retry_after = 0
    outputs = [place(server, script, "--wait", "--cache-token")]
    tracking_id = outputs[0].stdout.strip()
    for args in (["status", tracking_id], ["status", tracking_id, "--format", "json"],
                 ["hangup", tracking_id], ["status", "nope"], ["hangup", "nope"]):
        outputs.append(run(*args, "--cache-token", *urls(server)))
    assert outputs[0].exit_code == 0 and outputs[1].exit_code == 0
    assert not any(SECRET in result.output for result in outputs)
    assert files_containing(tmp_path, SECRET) == []


# --- Ctrl-C -----------------------------------------------------------------------------------

def test_ctrl_c_stops_waiting_and_the_call_goes_on(standin, routee_env, script):
    import signal

    from helpers import cli_process

    server = standin(progress=RINGING)
    process = cli_process(["call", script, "--to", TO, "--var", "name=M", "--wait",
                           *urls(server)], routee_env)
    try:
        lines = []
        while not lines or lines[-1] != "status: Ringing":
            line = process.stderr.readline()
            assert line, f"ended early: {lines}"
            lines.append(line.rstrip("\n"))
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    [call] = server.calls.values()
    assert process.returncode == 1
    assert out.strip() == call.tracking_id
    assert f"dialplan: stopped waiting; the call goes on (trackingId {call.tracking_id})" in err
    assert "Traceback" not in err and call.status() == "Ringing"
