"""Campaigns: `dialplan call FILE --recipients people.csv` against the
stand-in, over real HTTP on 127.0.0.1, as real processes where they must be
killed. What is proven here is measured at the server: which calls it
accepted (no phone twice) and when requests arrived (the rate)."""

from __future__ import annotations

import csv
import io
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import (APP_ID, SECRET, cli_process, files_containing, phone, urls,
                      write_recipients, write_script)
from dialplan_compiler import cli
from dialplan_compiler.calls.campaign import Progress, Recipient, RetryPolicy, SendOutcome
from dialplan_compiler.calls.journal import IN_FLIGHT, Journal
from dialplan_compiler.calls.standin import Faults, Standin

ROWS = 500
RATE = 50
ERROR_RATE = 0.10     # answered 500
DROP_RATE = 0.02      # connection dropped after the request was read (the call is placed)


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


def env_for(tmp: Path) -> dict[str, str]:
    return {"ROUTEE_APPLICATION_ID": APP_ID, "ROUTEE_APPLICATION_SECRET": SECRET,
            "XDG_CONFIG_HOME": str(tmp / "config"), "XDG_CACHE_HOME": str(tmp / "cache")}


def run_process(args: list, env: dict[str, str], timeout: float = 120) -> tuple[int, str, str]:
    process = cli_process(args, env)
    try:
        out, err = process.communicate(timeout=timeout)
    except BaseException:
        process.kill()
        process.communicate()
        raise
    return process.returncode, out, err


def wait_until(condition, process=None, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        assert process is None or process.poll() is None, "the campaign ended too early"
        time.sleep(0.01)


def journal_entries(path: Path) -> dict:
    with Journal(path) as journal:
        return journal.entries()


def assert_each_row_placed_once_or_reported(server: Standin, journal_path: Path,
                                            rows: int) -> dict:
    """The campaign's promise: the server's own log shows no phone called
    twice; each row is `placed` (with the server's trackingId), or reported
    `failed` (the server has no call) or `unknown`."""
    assert server.duplicates() == {}
    entries = journal_entries(journal_path)
    calls = {call.recipient: call for call in server.calls.values()}
    for i in range(rows):
        entry = entries[phone(i)]
        assert entry.state in ("placed", "failed", "unknown"), entry
        if entry.state == "placed":
            assert calls[phone(i)].tracking_id == entry.tracking_id
        elif entry.state == "failed":
            assert phone(i) not in calls
    return entries


@dataclass
class CampaignRun:
    tmp: Path
    server: Standin
    journal: Path
    report: Path
    code: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def big_campaign(tmp_path_factory):
    """500 rows at --rate 50 against a server that fails 10% of requests
    with 500 and drops 2% of connections after reading the request."""
    tmp = tmp_path_factory.mktemp("campaign")
    server = Standin(credentials={APP_ID: SECRET},
                     faults=Faults(error_rate=ERROR_RATE, drop_after_read_rate=DROP_RATE,
                                   seed=2024)).start()
    script = write_script(tmp / "hello.call")
    people = write_recipients(tmp / "people.csv", ROWS)
    report = tmp / "report.csv"
    try:
        code, out, err = run_process(
            ["call", script, "--recipients", people, "--rate", RATE, "--backoff", "0.01",
             "--report", report, "--cache-token", *urls(server)], env_for(tmp))
        yield CampaignRun(tmp, server, tmp / "people.csv.journal.sqlite", report, code, out,
                          err)
    finally:
        server.stop()


def test_big_campaign_places_each_row_once_or_reports_it(big_campaign):
    run_ = big_campaign
    entries = assert_each_row_placed_once_or_reported(run_.server, run_.journal, ROWS)
    faults = run_.server.faults_seen()
    states = [e.state for e in entries.values()]
    unknown = {r for r, e in entries.items() if e.state == "unknown"}
    dropped = {run_.server.calls[r.tracking_id].recipient
               for r in run_.server.conversation_requests() if r.fault == "drop-after-read"}
    print(f"\ncampaign: {ROWS} rows, {len(run_.server.conversation_requests())} requests, "
          f"{faults['500']} injected 500s, {faults['drop-after-read']} connections dropped "
          f"after reading; placed {states.count('placed')}, failed {states.count('failed')}, "
          f"unknown {states.count('unknown')}; duplicates {len(run_.server.duplicates())}")
    assert faults["500"] > 20 and faults["drop-after-read"] > 3      # the faults did happen
    assert unknown == dropped          # exactly the lost answers are unknown, none retried
    assert states.count("placed") + len(unknown) + states.count("failed") == ROWS
    assert run_.code == 1              # not all placed: the unknown rows are reported
    assert "unknown" in run_.stdout and "--retry-unknown" in run_.stdout


def test_big_campaign_never_exceeds_the_rate(big_campaign):
    server = big_campaign.server
    assert len(server.conversation_requests()) > ROWS     # retries included
    assert server.max_in_window() <= RATE


def test_big_campaign_report_has_a_line_per_recipient(big_campaign):
    rows = list(csv.DictReader(big_campaign.report.open(encoding="utf-8")))
    assert [r["to"] for r in rows] == [phone(i) for i in range(ROWS)]
    assert [int(r["row"]) for r in rows] == list(range(2, ROWS + 2))
    entries = journal_entries(big_campaign.journal)
    for row in rows:
        entry = entries[row["to"]]
        assert row["state"] == entry.state
        assert row["tracking_id"] == (entry.tracking_id or "")


def test_big_campaign_summary_and_progress(big_campaign):
    out = big_campaign.stdout
    states = [e.state for e in journal_entries(big_campaign.journal).values()]
    assert f"placed     {states.count('placed'):>6}" in out
    assert f"total      {ROWS:>6}" in out
    assert f"[{ROWS}/{ROWS}] row" in big_campaign.stderr          # plain lines, not a bar
    assert "HTTP 500" in big_campaign.stderr and "trying again" in big_campaign.stderr


def test_big_campaign_secret_appears_in_no_output_or_file(big_campaign):
    assert SECRET not in big_campaign.stdout + big_campaign.stderr
    written = [p for p in big_campaign.tmp.rglob("*") if p.is_file()]
    assert any(p.name.startswith("token-") for p in written)        # the opt-in cache
    assert any(p.name.endswith(".sqlite-wal") or p.name.endswith(".sqlite") for p in written)
    assert files_containing(big_campaign.tmp, SECRET) == []


def test_sigkill_mid_campaign_and_rerun(tmp_path, standin):
    server = standin(faults=Faults(error_rate=ERROR_RATE, drop_after_read_rate=DROP_RATE,
                                   seed=99))
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", ROWS)
    journal = tmp_path / "run.journal"
    args = ["call", script, "--recipients", people, "--rate", RATE, "--backoff", "0.01",
            "--journal", journal, *urls(server)]
    process = cli_process(args, env_for(tmp_path))
    try:
        wait_until(lambda: len(server.calls) >= 150, process)
        process.send_signal(signal.SIGKILL)
        process.communicate()
    finally:
        process.kill()
    assert process.returncode == -signal.SIGKILL
    calls_before = set(server.calls)
    placed_before = {r: e.tracking_id for r, e in journal_entries(journal).items()
                     if e.state == "placed"}
    assert 100 < len(placed_before) < ROWS

    code, out, err = run_process(args, env_for(tmp_path))
    assert "resuming" in err
    entries = assert_each_row_placed_once_or_reported(server, journal, ROWS)
    for recipient, tracking_id in placed_before.items():     # never sent again
        assert entries[recipient].tracking_id == tracking_id
    stranded = [e for e in entries.values() if e.message == IN_FLIGHT]
    states = [e.state for e in entries.values()]
    faults = server.faults_seen()
    print(f"\nkilled after {len(placed_before)} placed; after the re-run: "
          f"{len(server.conversation_requests())} requests, {faults['500']} injected 500s, "
          f"{faults['drop-after-read']} dropped after reading; placed {states.count('placed')}, "
          f"failed {states.count('failed')}, unknown {states.count('unknown')} "
          f"({len(stranded)} in flight at the kill); duplicates {len(server.duplicates())}")
    assert len(stranded) <= 1                      # the row in flight when it was killed
    assert len(server.calls) > len(calls_before)
    # Across both runs (the second waits for the first's last second to pass).
    assert server.max_in_window() <= RATE
    assert SECRET not in out + err
    assert files_containing(tmp_path, SECRET) == []


def test_ctrl_c_finishes_the_call_in_flight_then_stops(tmp_path, standin):
    server = standin()
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 100)
    args = ["call", script, "--recipients", people, "--rate", RATE, *urls(server)]
    process = cli_process(args, env_for(tmp_path))
    try:
        wait_until(lambda: len(server.calls) >= 20, process)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 1
    assert "stopped by the user" in err
    entries = journal_entries(tmp_path / "people.csv.journal.sqlite")
    assert all(e.state == "placed" for e in entries.values())      # nothing left pending
    assert len(entries) == len(server.calls) < 100
    code, out, err = run_process(args, env_for(tmp_path))
    assert code == 0, err
    assert_each_row_placed_once_or_reported(server, tmp_path / "people.csv.journal.sqlite", 100)
    assert len(server.calls) == 100


def test_a_bad_row_is_reported_with_its_row_before_any_call(tmp_path, standin, routee_env):
    server = standin()
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 60, bad={37: "+3069"})
    result = run("call", script, "--recipients", people, "--rate", RATE, *urls(server))
    assert result.exit_code == 1
    assert f"{people}:37: error[DP211]: phone number '+3069' cannot exist" in result.stderr
    assert "1 of 60 rows" in result.stderr and "no call was placed" in result.stderr
    assert server.requests == []
    assert not (tmp_path / "people.csv.journal.sqlite").exists()


def test_a_missing_placeholder_column_is_reported_once_for_all_rows(tmp_path, standin,
                                                                     routee_env):
    server = standin()
    script = write_script(tmp_path / "hello.call")
    people = tmp_path / "people.csv"
    people.write_text("to,nam\n" + "".join(f"{phone(i)},x\n" for i in range(10)))
    result = run("call", script, "--recipients", people, *urls(server))
    assert result.exit_code == 1
    assert "error[DP215]: no value for {name}" in result.stderr
    assert result.stderr.count("DP215") == 1 and "(10 rows)" in result.stderr
    assert "column 'nam' is not used by any placeholder" in result.stderr
    assert server.requests == []


def test_the_same_recipient_twice_is_an_error(tmp_path, standin, routee_env):
    server = standin()
    script = write_script(tmp_path / "hello.call")
    people = tmp_path / "people.csv"
    people.write_text(f"to,name\n{phone(1)},a\n{phone(2)},b\n{phone(1)},c\n")
    result = run("call", script, "--recipients", people, *urls(server))
    assert result.exit_code == 1
    assert f"{people}:4: error: {phone(1)} is already on row 2" in result.stderr
    assert server.requests == []


@pytest.mark.parametrize("text,message", [
    ("name\nx\n", "no `to` column"),
    ("", "is empty"),
    ("to,name\n+306910000001,a,b\n", "3 fields"),
])
def test_an_unusable_csv_is_a_usage_error(tmp_path, routee_env, text, message):
    script = write_script(tmp_path / "hello.call")
    people = tmp_path / "people.csv"
    people.write_text(text)
    result = run("call", script, "--recipients", people)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_4xx_errors_are_recorded_and_not_retried(tmp_path, standin, routee_env):
    server = standin(reject={phone(3): ("to", "Destination not supported"),
                             phone(7): ("to", "Destination not supported")})
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 10)
    args = ["call", script, "--recipients", people, "--rate", 100, "--backoff", "0",
            "--report", tmp_path / "report.csv", *urls(server)]
    result = run(*args)
    assert result.exit_code == 1
    entries = journal_entries(tmp_path / "people.csv.journal.sqlite")
    for number in (phone(3), phone(7)):
        entry = entries[number]
        assert (entry.state, entry.http_status, entry.message) == \
            ("failed", 400, "Validation Error")
        assert entry.properties == {"to": "Destination not supported"}
        assert entry.error_code.startswith("400") and not entry.retryable
    assert len(server.conversation_requests()) == 10               # one each, no retry
    assert "Validation Error [to: Destination not supported]" in result.stdout
    report = (tmp_path / "report.csv").read_text()
    assert "Destination not supported" in report
    again = run(*args)                                             # a re-run leaves them be
    assert again.exit_code == 1
    assert len(server.conversation_requests()) == 10


def test_429_retry_after_is_honoured(tmp_path, standin, routee_env):
    server = standin(faults=Faults(script=["429"], retry_after=1))
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 3)
    result = run("call", script, "--recipients", people, "--rate", 100, "--backoff", "0.01",
                 *urls(server))
    assert result.exit_code == 0, result.output
    first, second, *_ = server.conversation_requests()
    assert first.status == 429 and second.status == 200
    assert second.at - first.at >= 1.0                              # measured at the server
    assert len(server.calls) == 3


def test_token_expiry_mid_campaign_is_survived(tmp_path, standin, routee_env):
    server = standin(token_max_uses=7)
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 40)
    result = run("call", script, "--recipients", people, "--rate", 100, *urls(server))
    assert result.exit_code == 0, result.output
    assert len(server.tokens) >= 6
    assert sum(r.status == 401 for r in server.conversation_requests()) >= 5
    assert_each_row_placed_once_or_reported(server, tmp_path / "people.csv.journal.sqlite", 40)
    assert len(server.calls) == 40


def test_unknown_rows_are_retried_only_when_asked(tmp_path, standin, routee_env):
    server = standin(faults=Faults(script=["ok", "drop-after-read"]))
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 5)
    args = ["call", script, "--recipients", people, "--rate", 100, *urls(server)]
    first = run(*args)
    assert first.exit_code == 1
    assert journal_entries(tmp_path / "people.csv.journal.sqlite")[phone(1)].state == "unknown"
    second = run(*args)
    assert second.exit_code == 1
    assert len(server.conversation_requests()) == 5                # nothing sent again
    third = run(*args, "--retry-unknown")
    assert third.exit_code == 0, third.output
    assert len(server.conversation_requests()) == 6
    # Why it is opt-in: the dropped request had placed the call after all.
    assert server.duplicates() == {phone(1): 2}


def test_rows_that_failed_for_a_passing_reason_are_retried_on_rerun(tmp_path, standin,
                                                                    routee_env):
    policy = RetryPolicy()
    server = standin(faults=Faults(script=["500"] * policy.attempts))
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 2)
    args = ["call", script, "--recipients", people, "--rate", 100, "--backoff", "0",
            *urls(server)]
    first = run(*args)
    assert first.exit_code == 1
    entry = journal_entries(tmp_path / "people.csv.journal.sqlite")[phone(0)]
    assert (entry.state, entry.retryable, entry.requests) == ("failed", True, policy.attempts)
    assert run(*args).exit_code == 0
    assert len(server.calls) == 2 and server.duplicates() == {}


def test_no_connection_stops_the_campaign_without_recording_anything(tmp_path, routee_env):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 3)
    result = run("call", script, "--recipients", people, "--backoff", "0", "--api-url", url,
                 "--auth-url", url)
    assert result.exit_code == 1
    assert "cannot reach Routee" in result.stderr
    assert journal_entries(tmp_path / "people.csv.journal.sqlite") == {}


def test_a_campaign_already_running_is_not_run_twice(tmp_path, standin, routee_env):
    server = standin()
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 3)
    with Journal(tmp_path / "people.csv.journal.sqlite"):
        result = run("call", script, "--recipients", people, *urls(server))
    assert result.exit_code == 2
    assert "in use by another" in result.stderr
    assert server.requests == []


def test_dry_run_of_a_campaign_prints_every_request_and_sends_nothing(tmp_path, standin,
                                                                     routee_env):
    server = standin()
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 3)
    result = run("call", script, "--recipients", people, "--dry-run", *urls(server))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("POST ") == 3 and f"# {people} row 4" in result.stdout
    assert server.requests == []
    assert not (tmp_path / "people.csv.journal.sqlite").exists()


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise():
    recipient = Recipient(2, phone(0), phone(0), {})
    placed = SendOutcome("placed", 1, tracking_id="abc")
    bar = io.StringIO()
    progress = Progress(2, bar, tty=True)
    progress.row(recipient, placed)
    progress.finish()
    assert "\r" in bar.getvalue() and "1/2" in bar.getvalue()
    assert "/s" in bar.getvalue() and "ETA" in bar.getvalue()
    lines = io.StringIO()
    progress = Progress(2, lines, tty=False)
    progress.row(recipient, placed)
    assert lines.getvalue() == f"[1/2] row 2 {phone(0)}: placed abc\n"


def test_backoff_grows_with_jitter_and_honours_retry_after():
    import random

    policy = RetryPolicy(backoff=1.0, cap=8.0)
    rng = random.Random(1)
    for attempt, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)):
        delays = [policy.delay(attempt, rng=rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1                                  # jitter
    assert policy.delay(1, retry_after=30.0, rng=rng) == 30.0


@pytest.mark.parametrize("extra", [
    ["--report", "people.csv"],
    ["--report", "alias.csv"],                      # a symlink to it
    ["--report", "sub/../people.csv"],
    ["--journal", "people.csv"],
    ["--report", "hello.call"],                     # the script
    ["--journal", "hello.call"],
    ["--report", "people.csv.journal.sqlite"],      # the default journal, not there yet
    ["--journal", "run.sqlite", "--report", "run.sqlite"],
])
def test_an_output_that_is_an_input_is_refused_before_any_call(tmp_path, standin, routee_env,
                                                                monkeypatch, extra):
    server = standin()
    monkeypatch.chdir(tmp_path)
    write_script(tmp_path / "hello.call")
    write_recipients(tmp_path / "people.csv", 3)
    (tmp_path / "alias.csv").symlink_to("people.csv")
    (tmp_path / "sub").mkdir()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    result = run("call", "hello.call", "--recipients", "people.csv", *extra, *urls(server))
    assert result.exit_code == 2, result.output
    assert "is the same file as" in result.stderr and "would be overwritten" in result.stderr
    assert extra[0] in result.stderr
    assert server.requests == []
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


@pytest.mark.parametrize("options", [{"credentials": {APP_ID: "not-this-one"}},  # token: 401
                                     {"token_lifetime": 0.0}])  # every token refused at once
def test_refused_credentials_stop_a_campaign_with_exit_2_as_for_one_call(tmp_path, standin,
                                                                        routee_env, options):
    server = standin(**options)
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 3)
    single = run("call", script, "--to", phone(0), "--var", "name=M", *urls(server))
    campaign = run("call", script, "--recipients", people, *urls(server))
    assert (single.exit_code, campaign.exit_code) == (2, 2), campaign.output
    message = single.stderr.strip().splitlines()[-1]
    assert message.startswith("dialplan: Routee refused")
    assert message in campaign.stderr                # the same words, then how to go on
    assert "fix the credentials" in campaign.stderr
    assert all(r.status == 401 for r in server.conversation_requests())
    assert server.calls == {}
    assert journal_entries(tmp_path / "people.csv.journal.sqlite") == {}
