"""A campaign after the phones ring: every placed call followed on Routee's
tracking endpoint to its outcome, journalled per attempt and reported;
retries of the calls nobody answered; calling hours in the recipients' own
time; and what a crash while following leaves. Against the stand-in on
127.0.0.1, through the command line (real processes where one is killed),
with what is proven read at the server: which calls it accepted, how
often each recipient was asked for."""

from __future__ import annotations

import csv
import signal
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import (APP_ID, JOURNAL_FORMAT_1, SECRET, SENDER, cli_process, files_containing,
                     phone, urls, wait_until, write_recipients, write_script)
from dialplan_compiler import cli
from dialplan_compiler.calls.campaign import Campaign, FollowPolicy, Recipient
from dialplan_compiler.calls.client import Credentials, RateLimiter, RouteeClient
from dialplan_compiler.calls.hours import CallingHours, parse_window
from dialplan_compiler.calls.journal import APPLICATION_ID, Journal
from dialplan_compiler.calls.standin import Outcome, Standin

ROWS = 60
PRICE_PER_MINUTE = 0.06          # with a charge interval of 1 s: 0.001 a second


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


def env_for(tmp: Path) -> dict[str, str]:
    return {"ROUTEE_APPLICATION_ID": APP_ID, "ROUTEE_APPLICATION_SECRET": SECRET,
            "XDG_CONFIG_HOME": str(tmp / "config"), "XDG_CACHE_HOME": str(tmp / "cache")}


def script_for(i: int) -> tuple[Outcome, ...]:
    """How the calls to row i turn out, attempt by attempt (the last repeats)."""
    return {1: (Outcome("NoAnswer"),),
            2: (Outcome("Busy"),),
            3: (Outcome("NoAnswer"), Outcome("Completed", duration=25)),
            4: (Outcome("Busy"), Outcome("Completed", "MACHINE", duration=12)),
            5: (Outcome("Completed", "MACHINE", duration=8),),
            6: (Outcome("Failed"),),
            7: (Outcome("Completed", keys=("12",), duration=42),)}.get(
                i % 10, (Outcome("Completed"),))


SCRIPT = {phone(i): script_for(i) for i in range(ROWS)}


def expected_line(server: Standin, i: int, attempt: int) -> dict[str, str]:
    """The report's line for row i's attempt, from the script and the ids
    the server gave."""
    outcomes = SCRIPT[phone(i)]
    outcome = outcomes[min(attempt, len(outcomes)) - 1]
    call = [c for c in server.calls.values() if c.recipient == phone(i)][attempt - 1]
    duration = (outcome.duration if outcome.duration is not None else 30) \
        if outcome.answered else 0
    return {"row": str(i + 2), "to": phone(i), "attempt": str(attempt), "state": "placed",
            "status": outcome.status,
            "answered_by": outcome.answered_by if outcome.answered else "UNKNOWN",
            "duration": str(duration), "price": f"{server.price(duration):g}",
            "collected_tones": "".join(outcome.keys or ()), "message_id": call.message_id,
            "tracking_id": call.tracking_id, "http_status": "", "error_code": "",
            "message": "", "properties": "", "requests": "1"}


def outcome_table(stdout: str) -> dict[str, int]:
    """The summary's outcome table: {line: rows}."""
    lines = stdout.split("outcome ", 1)[1].splitlines()[1:]
    table = {}
    for line in lines:
        name, _, number = line.rpartition(" ")
        if not number.isdigit() or not name.strip():
            break
        table[name.strip()] = int(number)
    return table


def expected_outcomes(calls: dict[int, int]) -> dict[str, int]:
    """What the summary should count when row i had `calls[i]` calls."""
    counts = dict.fromkeys(("answered by a person", "answered by a machine", "busy",
                            "no answer", "failed"), 0)
    for i in range(ROWS):
        outcomes = SCRIPT[phone(i)]
        last = outcomes[min(calls[i], len(outcomes)) - 1]
        name = {"Busy": "busy", "NoAnswer": "no answer", "Failed": "failed"}.get(last.status) \
            or ("answered by a person" if last.answered_by == "HUMAN"
                else "answered by a machine")
        counts[name] += 1
    return counts


def report_lines(path: Path) -> list[dict[str, str]]:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for row in rows:
        assert row.pop("updated_at")
    return rows


@pytest.fixture
def scripted(standin):
    return standin(outcomes=SCRIPT, charge_interval=1, price_per_minute=PRICE_PER_MINUTE)


def test_sixty_rows_report_their_scripted_outcomes_then_retries_call_the_unanswered(
        tmp_path, scripted, routee_env):
    server = scripted
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", ROWS)
    report = tmp_path / "report.csv"
    args = ["call", script, "--recipients", people, "--rate", 50, "--report", report,
            *urls(server)]

    first = run(*args)
    assert first.exit_code == 0, first.output
    assert report_lines(report) == [expected_line(server, i, 1) for i in range(ROWS)]
    # The summary counts each row's outcome, and the price of every call.
    print("\nfirst run:" + first.stdout)
    assert outcome_table(first.stdout) == expected_outcomes(dict.fromkeys(range(ROWS), 1))
    price = sum(server.price((o[0].duration if o[0].duration is not None else 30)
                             if o[0].answered else 0) for o in SCRIPT.values())
    assert f"60 calls placed in all (retries included); total price {price:.4f}" in first.stdout
    assert server.posts_per_recipient() == {phone(i): 1 for i in range(ROWS)}

    second = run(*args, "--retries", 2, "--retry-after", "1s")
    assert second.exit_code == 0, second.output
    print("after --retries 2 --retry-after 1s:" + second.stdout)
    unanswered = {phone(i) for i in range(ROWS) if i % 10 in (1, 2, 3, 4)}
    posts = server.posts_per_recipient()
    # Exactly the Busy and NoAnswer rows again: those answered at their
    # second call once, the others twice (the most --retries 2 allows).
    assert {r for r, n in posts.items() if n > 1} == unanswered
    assert {r: n for r, n in posts.items() if n > 1} == \
        {phone(i): 3 if i % 10 in (1, 2) else 2 for i in range(ROWS) if i % 10 in (1, 2, 3, 4)}
    print("requests per recipient:", dict(sorted(posts.items())))
    calls = {i: len(SCRIPT[phone(i)]) if i % 10 in (3, 4) else 3 if i % 10 in (1, 2) else 1
             for i in range(ROWS)}
    assert report_lines(report) == [expected_line(server, i, attempt) for i in range(ROWS)
                                    for attempt in range(1, calls[i] + 1)]
    assert outcome_table(second.stdout) == expected_outcomes(calls)
    # No retry sooner than --retry-after after the call before it ended.
    with Journal(tmp_path / "people.csv.journal.sqlite") as journal:
        for attempts in journal.history().values():
            for before, after in zip(attempts, attempts[1:]):
                assert after.placed_at - before.ended_at >= 1.0
    # A third run has nothing left to do: no retry beyond the allowance.
    third = run(*args, "--retries", 2, "--retry-after", "1s")
    assert third.exit_code == 0 and server.posts_per_recipient() == posts
    assert SECRET not in first.output + second.output + third.output
    assert files_containing(tmp_path, SECRET) == []


def test_retries_are_never_made_after_completed_failed_or_unknown(tmp_path, standin,
                                                                 routee_env):
    server = standin(outcomes={phone(0): "Completed", phone(1): "Failed", phone(2): "Unsent",
                               phone(3): "Busy"})
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 4)
    result = run("call", script, "--recipients", people, "--rate", 50, "--retries", 3,
                 "--retry-after", "0s", *urls(server))
    assert result.exit_code == 0, result.output
    assert server.posts_per_recipient() == {phone(0): 1, phone(1): 1, phone(2): 1, phone(3): 4}
    assert "Busy; calling again from" in result.stderr


def journal_rows(path: Path, columns: str = "recipient, attempt, state, final, status"):
    """The journal read beside a live run (SQLite allows readers in WAL mode)."""
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute(f"SELECT {columns} FROM attempts ORDER BY row, attempt").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()


def test_sigkill_while_following_then_the_same_command_follows_and_places_nothing_again(
        tmp_path, standin):
    # Slow calls (8 s each): the run is killed while every call is still on.
    outcomes = {phone(i): ("NoAnswer" if i % 3 == 0 else "Completed") for i in range(20)}
    server = standin(outcomes=outcomes, speed=0.05)
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 20)
    journal = tmp_path / "people.csv.journal.sqlite"
    args = ["call", script, "--recipients", people, "--rate", 50, *urls(server)]
    process = cli_process(args, env_for(tmp_path))
    try:
        wait_until(lambda: sum(1 for r in journal_rows(journal) if r[2] == "placed") == 20,
                   process)
        wait_until(lambda: any(r[4] for r in journal_rows(journal)), process)   # a status seen
        process.send_signal(signal.SIGKILL)
        process.communicate()
    finally:
        process.kill()
    rows = journal_rows(journal)
    assert len(rows) == 20 and all(state == "placed" and not final
                                   for _, _, state, final, _ in rows)
    code, out, err = (lambda p: (p.wait(120), *p.communicate()))(
        cli_process(args, env_for(tmp_path)))
    assert code == 0, err
    assert "following 20 calls placed by an earlier run" in err
    assert server.posts_per_recipient() == {phone(i): 1 for i in range(20)}
    assert {r[0]: r[4] for r in journal_rows(journal)} == outcomes
    assert all(final for _, _, _, final, _ in journal_rows(journal))
    assert outcome_table(out)["no answer"] == 7
    assert SECRET not in out + err and files_containing(tmp_path, SECRET) == []


# --- calling hours -------------------------------------------------------------------------------

ATHENS, NEW_YORK = "+306912345678", "+12127363100"


def window_around_athens_now() -> tuple[str, datetime]:
    """A window open now in Athens and shut in New York (seven hours
    behind), and when it opens in New York."""
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    athens = now.astimezone(ZoneInfo("Europe/Athens"))
    new_york = now.astimezone(ZoneInfo("America/New_York"))
    assert athens.utcoffset() - new_york.utcoffset() >= timedelta(hours=5)
    start, end = athens - timedelta(minutes=60), athens + timedelta(minutes=90)
    window = f"{start:%H:%M}-{end:%H:%M}"
    opens = new_york.replace(hour=start.hour, minute=start.minute)
    if opens <= new_york:
        opens += timedelta(days=1)
    return window, opens.astimezone(timezone.utc)


def hours_campaign(tmp_path: Path) -> tuple[Path, Path]:
    script = write_script(tmp_path / "hello.call")
    people = tmp_path / "people.csv"
    people.write_text(f"to,name\n{ATHENS},Maria\n{NEW_YORK},Nick\n", encoding="utf-8")
    return script, people


def test_calling_hours_call_the_recipient_inside_them_and_hold_the_other(tmp_path, standin):
    server = standin()
    script, people = hours_campaign(tmp_path)
    window, opens = window_around_athens_now()
    journal = tmp_path / "people.csv.journal.sqlite"
    process = cli_process(["call", script, "--recipients", people, "--calling-hours", window,
                           *urls(server)], env_for(tmp_path))
    try:
        wait_until(lambda: [r[4] for r in journal_rows(journal)] == ["Completed"], process)
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert server.posts_per_recipient() == {ATHENS: 1}
    when = opens.strftime("%Y-%m-%d %H:%M UTC")
    assert f"row 3 {NEW_YORK}: held by the calling hours {window} until {when} " \
           f"({opens.astimezone(ZoneInfo('America/New_York')):%H:%M} America/New_York)" in err
    assert f"the next, row 3 {NEW_YORK}, at {opens:%Y-%m-%d %H:%M:%S} UTC" in err
    assert process.returncode == 1 and "stopped by the user" in err
    assert "not sent" in out


def test_dry_run_shows_when_each_row_may_be_called_first(tmp_path):
    script, people = hours_campaign(tmp_path)
    window, opens = window_around_athens_now()
    result = run("call", script, "--recipients", people, "--calling-hours", window, "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"# {people} row 2 (now: inside the calling hours)" in result.stdout
    assert f"# {people} row 3 (calling hours: from {opens:%Y-%m-%d %H:%M} UTC, " \
           f"{opens.astimezone(ZoneInfo('America/New_York')):%H:%M} America/New_York)" \
        in result.stdout


def test_calling_hours_come_from_the_configuration_too(tmp_path):
    script, people = hours_campaign(tmp_path)
    window, _ = window_around_athens_now()
    config = tmp_path / "pyproject.toml"
    config.write_text(f'[tool.dialplan]\ncalling-hours = "{window}"\n', encoding="utf-8")
    result = run("call", script, "--recipients", people, "--dry-run", "--config", config)
    assert result.exit_code == 0, result.output
    assert "row 2 (now: inside the calling hours)" in result.stdout
    assert "row 3 (calling hours: from" in result.stdout


def test_a_clock_given_to_the_campaign_moves_a_held_row_into_its_hours(tmp_path, standin):
    """The Python API takes the clock: moved to when New York's window
    opens, the held row is called, and its call is journalled at that time."""
    server = standin()
    window, opens = window_around_athens_now()
    offset = [0.0]
    people = [Recipient(2, ATHENS, ATHENS, payload(ATHENS)),
              Recipient(3, NEW_YORK, NEW_YORK, payload(NEW_YORK))]
    notes: list[str] = []
    results = []

    def campaign() -> None:         # SQLite: the journal is used by the thread that opened it
        with Journal(tmp_path / "j.sqlite") as journal, client_for(server) as client:
            results.append(Campaign(
                people, client, journal, hours=CallingHours(parse_window(window)),
                follow=FollowPolicy(first=0.05), note=notes.append,
                clock=lambda: time.time() + offset[0]).run())

    worker = threading.Thread(target=campaign)
    worker.start()
    wait_until(lambda: any("the next, row 3" in n for n in notes))
    assert server.posts_per_recipient() == {ATHENS: 1}
    offset[0] = opens.timestamp() - time.time() + 1
    worker.join(60)
    assert not worker.is_alive() and results
    entries = results[0].entries
    assert server.posts_per_recipient() == {ATHENS: 1, NEW_YORK: 1}
    assert entries[NEW_YORK].placed_at >= opens.timestamp()
    assert entries[ATHENS].placed_at < opens.timestamp() - 3600


def test_bad_calling_hours_in_the_configuration_name_the_file(tmp_path):
    script, people = hours_campaign(tmp_path)
    config = tmp_path / ".dialplan.toml"
    config.write_text('calling-hours = "after lunch"\n', encoding="utf-8")
    result = run("call", script, "--recipients", people, "--dry-run", "--config", config)
    assert result.exit_code == 2, result.output
    assert f"{config}: calling-hours: calling hours 'after lunch' are not HH:MM-HH:MM" \
        in result.stderr


@pytest.mark.parametrize("options, message", [
    (["--calling-hours", "9-20"], "calling hours '9-20' are not HH:MM-HH:MM"),
    (["--calling-hours", "09:00-20:00", "--timezone", "Mars/Base"], "no time zone 'Mars/Base'"),
    (["--timezone", "Europe/Athens"], "--timezone is the zone of --calling-hours"),
    (["--retry-after", "soon"], "'soon' is not a duration"),
])
def test_bad_calling_hours_zones_and_durations_are_usage_errors(tmp_path, options, message):
    script, people = hours_campaign(tmp_path)
    result = run("call", script, "--recipients", people, "--dry-run", *options)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_sip_row_needs_a_zone_for_calling_hours(tmp_path):
    script = write_script(tmp_path / "hello.call")
    people = tmp_path / "people.csv"
    people.write_text(f"to,name\n{ATHENS},Maria\nsip:desk@pbx.example.com,Desk\n",
                      encoding="utf-8")
    refused = run("call", script, "--recipients", people, "--calling-hours", "00:00-24:00",
                  "--dry-run")
    assert refused.exit_code == 1, refused.output
    assert f"{people}:3: error: sip:desk@pbx.example.com has no time zone to read the " \
           "calling hours 00:00-24:00 in: pass --timezone ZONE" in refused.stderr
    assert "no call was placed" in refused.stderr and "POST" not in refused.stdout
    accepted = run("call", script, "--recipients", people, "--calling-hours", "00:00-24:00",
                   "--timezone", "Europe/Athens", "--dry-run")
    assert accepted.exit_code == 0, accepted.output
    assert accepted.stdout.count("(now: inside the calling hours)") == 2


def test_a_number_whose_zones_never_share_the_window_is_refused(tmp_path):
    script = write_script(tmp_path / "hello.call")
    people = tmp_path / "people.csv"
    people.write_text("to,name\n+79161234567,Ivan\n", encoding="utf-8")
    result = run("call", script, "--recipients", people, "--calling-hours", "09:00-17:00",
                 "--dry-run")
    assert result.exit_code == 1, result.output
    assert f"{people}:2: error: +79161234567 spans 16 zones" in result.stderr
    wide = run("call", script, "--recipients", people, "--calling-hours", "09:00-21:00",
               "--dry-run")
    assert wide.exit_code == 0, wide.output


# --- the same recipient twice ---------------------------------------------------------------

def test_a_recipient_twice_is_reported_even_when_every_row_has_an_error(tmp_path, standin,
                                                                       routee_env):
    server = standin()
    script = write_script(tmp_path / "hello.call",
                          f'from {SENDER}\nsay "Hello {{name}}, {{city}}." in en-GB\n')
    people = tmp_path / "people.csv"
    people.write_text(f"to,name\n{phone(0)},A\n{phone(1)},B\n+30 691 000 0000,C\n",
                      encoding="utf-8")
    result = run("call", script, "--recipients", people, *urls(server))
    assert result.exit_code == 1, result.output
    assert f"{people}:4: error: {phone(0)} is already on row 2; a campaign calls each " \
           "recipient once" in result.stderr
    assert "error[DP215]" in result.stderr
    assert server.requests == []


# --- the property ------------------------------------------------------------------------------

class Crash(Exception):
    """The process dies here."""


class CrashingJournal(Journal):
    """Dies at its `crash_at`-th write: before or after a request, while
    recording what following learnt."""

    def __init__(self, path: Path, crash_at: int | None) -> None:
        super().__init__(path)
        self.crash_at, self.writes = crash_at, 0

    def _step(self) -> None:
        self.writes += 1
        if self.writes == self.crash_at:
            raise Crash()


for _name in ("claim", "mark_placed", "record"):
    def _crashing(self, *args, _method=getattr(Journal, _name), **kwargs):
        self._step()
        return _method(self, *args, **kwargs)
    setattr(CrashingJournal, _name, _crashing)


def payload(to: str) -> dict:
    return {"from": SENDER, "to": {"phone": to},
            "dialPlan": {"verbs": [{"type": "PAUSE", "duration": 1}]}}


def client_for(server: Standin) -> RouteeClient:
    return RouteeClient(Credentials(APP_ID, SECRET), api_url=server.url, auth_url=server.url,
                        limiter=RateLimiter(1000))


STATUSES = ("Completed", "Busy", "NoAnswer", "Failed")
RECIPIENTS = 3


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(outcomes=st.lists(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=4),
                         min_size=RECIPIENTS, max_size=RECIPIENTS),
       retries=st.integers(0, 2),
       crashes=st.lists(st.integers(1, 12), max_size=3))
def test_whatever_the_outcomes_and_crashes_no_recipient_gets_more_than_its_calls(
        tmp_path_factory, outcomes, retries, crashes):
    tmp = tmp_path_factory.mktemp("property")
    people = [Recipient(i + 2, phone(i), phone(i), payload(phone(i))) for i in range(RECIPIENTS)]
    with Standin(credentials={APP_ID: SECRET}, speed=40,
                 outcomes={phone(i): o for i, o in enumerate(outcomes)}) as server:
        follow = FollowPolicy(first=0.01, factor=1.0, workers=2)
        for crash_at in [*crashes, None]:           # runs that die, then one that does not
            journal = CrashingJournal(tmp / "j.sqlite", crash_at)
            try:
                with client_for(server) as client:
                    Campaign(people, client, journal, retries=retries, retry_after=0,
                             follow=follow).run()
            except Crash:
                pass
            finally:
                journal.close()                      # what the kernel does at a kill
            posts = server.posts_per_recipient()
            assert all(n <= 1 + retries for n in posts.values()), (posts, retries)
        with Journal(tmp / "j.sqlite") as journal:
            history = journal.history()
    for i, recipient in enumerate(people):
        attempts = history[recipient.key]
        assert len(attempts) == posts[recipient.key]
        last = attempts[-1]
        # Every call placed has its outcome; a request a crash cut off is unknown.
        assert all(a.final for a in attempts if a.state == "placed")
        assert last.state in ("placed", "unknown")
        if last.state == "placed" and last.status in ("Busy", "NoAnswer"):
            assert len(attempts) == 1 + retries or attempts[-2].state == "unknown" or \
                any(a.state == "unknown" for a in attempts)


# --- every page of legs; journals of the first format --------------------------------------------

def test_every_page_of_legs_is_read_and_every_leg_priced(tmp_path, standin):
    """A call with a DIAL verb has two legs; a page size of 1 puts them on
    two pages: the recipient's leg gives the outcome, both give the price."""
    server = standin(outcomes={phone(0): Outcome("Completed", duration=90)})
    dialled = {"from": SENDER, "to": {"phone": phone(0)}, "dialPlan": {"verbs": [
        {"type": "SAY", "message": {"text": "Connecting you.", "language": "en-GB"}},
        {"type": "DIAL", "from": SENDER, "to": {"phone": "+306977777777"}}]}}
    with Journal(tmp_path / "j.sqlite") as journal, client_for(server) as client:
        result = Campaign([Recipient(2, phone(0), phone(0), dialled)], client, journal,
                          follow=FollowPolicy(first=0.05, page_size=1)).run()
    entry = result.entries[phone(0)]
    call = next(iter(server.calls.values()))
    assert len(call.legs) == 2
    assert (entry.status, entry.duration, entry.message_id) == \
        ("Completed", 90, call.legs[0].message_id)
    assert entry.price == pytest.approx(2 * server.price(90))
    pages = [r for r in server.requests if r.path.startswith("/voice/tracking/conversation/")]
    assert len(pages) >= 2


def test_a_journal_of_the_first_format_is_migrated_and_its_placed_calls_followed(
        tmp_path, standin, routee_env):
    server = standin(outcomes={phone(0): "NoAnswer"})
    with client_for(server) as client:       # placed by a run of the first format
        placed = client.place_call(payload(phone(0)))
    journal = tmp_path / "people.csv.journal.sqlite"
    db = sqlite3.connect(journal, isolation_level=None)
    db.executescript(f"PRAGMA journal_mode=WAL; PRAGMA application_id = {APPLICATION_ID};"
                     + JOURNAL_FORMAT_1 + "INSERT INTO meta VALUES ('format', '1');")
    db.execute("INSERT INTO calls (recipient, row, state, tracking_id, attempts, updated_at) "
               "VALUES (?, 2, 'placed', ?, 1, ?)", (phone(0), placed.tracking_id, time.time()))
    db.close()
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 2)
    result = run("call", script, "--recipients", people, "--rate", 50, *urls(server))
    assert result.exit_code == 0, result.output
    assert "was a journal of format 1" in result.stderr
    assert "following 1 call placed by an earlier run" in result.stderr
    assert server.posts_per_recipient() == {phone(0): 1, phone(1): 1}
    with Journal(journal) as reopened:
        entries = reopened.entries()
    assert (entries[phone(0)].attempt, entries[phone(0)].status, entries[phone(0)].final) == \
        (1, "NoAnswer", True)
    assert entries[phone(1)].status == "Completed"
    with sqlite3.connect(journal) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"meta", "attempts"}
