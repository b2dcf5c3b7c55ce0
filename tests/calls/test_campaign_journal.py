"""The campaign journal as `dialplan call --recipients` uses it, against the
stand-in on 127.0.0.1: one run at a time whatever name leads to the journal,
no file adopted that is not a journal, and every file of it private.

Real processes where a run must be alive (holding the journal) or killed;
what is proven is read at the server: how many POSTs asked for each
recipient."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import (APP_ID, JOURNAL_FORMAT_1, SECRET, cli_process, phone, urls,
                     write_recipients, write_script)
from dialplan_compiler import cli
from dialplan_compiler.calls.journal import APPLICATION_ID, FORMAT, Journal


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


def env_for(tmp: Path) -> dict[str, str]:
    return {"ROUTEE_APPLICATION_ID": APP_ID, "ROUTEE_APPLICATION_SECRET": SECRET,
            "XDG_CONFIG_HOME": str(tmp / "config"), "XDG_CACHE_HOME": str(tmp / "cache")}


def wait_until(condition, process, timeout: float = 60.0) -> None:
    """Poll for a condition the server can see (a guard against hanging,
    not a measurement)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        assert process.poll() is None, "the campaign ended too early"
        time.sleep(0.01)


def finish(process) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    return process.returncode, out, err


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def campaign(tmp_path):
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 6)
    return script, people


# --- one run at a time, by whatever name ---------------------------------------------------

def names_for(tmp_path: Path, journal: Path) -> dict[str, str]:
    """Other names of `journal`: each reached the old lock file `NAME.lock`
    by another name, or not at all once it was deleted."""
    alias = tmp_path / "alias.sqlite"
    alias.symlink_to(journal.name)
    (tmp_path / "sub").mkdir()
    return {"symlink": str(alias),
            "relative": os.path.relpath(journal),
            "dotdot": str(tmp_path / "sub" / ".." / journal.name),
            "same": str(journal)}


@pytest.mark.parametrize("name", ["symlink", "relative", "dotdot", "same"])
def test_a_second_run_is_refused_by_any_name_of_the_journal(tmp_path, standin, routee_env,
                                                           campaign, name):
    server = standin()
    script, people = campaign
    journal = tmp_path / "run.sqlite"
    other = names_for(tmp_path, journal)[name]
    with Journal(journal):                       # a run holds it
        for stale in tmp_path.glob("*.lock"):    # what older versions locked
            stale.unlink()
        result = run("call", script, "--recipients", people, "--journal", other, *urls(server))
    assert result.exit_code == 2, result.output
    assert "in use by another `dialplan call` run" in result.stderr
    assert other in result.stderr                # named as the user gave it
    assert server.requests == []


def test_a_live_run_keeps_a_second_one_out_and_a_killed_one_does_not(tmp_path, standin,
                                                                    campaign):
    """Two real processes: the first is frozen (SIGSTOP) mid-campaign, so it
    holds the journal for as long as the test likes; the second reaches the
    journal through a symlink and must be refused. After the first is
    killed, a third run (relative path) goes on, and no recipient has had
    more than one POST."""
    server = standin()
    script, _ = campaign
    people = write_recipients(tmp_path / "people.csv", 100)
    journal = tmp_path / "run.sqlite"
    names = names_for(tmp_path, journal)
    args = ["call", script, "--recipients", people, *urls(server)]
    first = cli_process([*args, "--journal", journal], env_for(tmp_path))
    try:
        wait_until(lambda: len(server.calls) >= 1, first)
        first.send_signal(signal.SIGSTOP)
        posts = len(server.conversation_requests())
        second = cli_process([*args, "--journal", names["symlink"]], env_for(tmp_path))
        code, out, err = finish(second)
        assert code == 2, err
        assert f"the journal {names['symlink']} (that is {journal}) is in use" in err
        assert len(server.conversation_requests()) == posts        # it sent nothing
    finally:
        first.kill()
        first.communicate()
    third = cli_process([*args, "--rate", "100", "--journal", names["relative"]],
                        env_for(tmp_path), cwd=os.getcwd())
    code, out, err = finish(third)
    assert "resuming" in err
    assert max(server.posts_per_recipient().values()) == 1
    assert set(server.posts_per_recipient()) <= {phone(i) for i in range(100)}
    with Journal(journal) as done:
        states = [e.state for e in done.entries().values()]
    assert len(states) == 100 and set(states) <= {"placed", "unknown"}
    assert states.count("unknown") <= 1          # the row in flight when it was frozen


def test_a_journal_with_a_hard_link_is_refused(tmp_path, standin, routee_env, campaign):
    server = standin()
    script, people = campaign
    journal = tmp_path / "run.sqlite"
    Journal(journal).close()
    os.link(journal, tmp_path / "second-name.sqlite")
    result = run("call", script, "--recipients", people, "--journal", journal, *urls(server))
    assert result.exit_code == 2, result.output
    assert "hard links" in result.stderr
    assert server.requests == []


# --- a file that is not a journal is refused, untouched -------------------------------------

def foreign_rollback(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    db.execute("INSERT INTO invoices (total) VALUES (12.5)")
    db.commit()
    db.close()


def foreign_wal(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE calls (recipient TEXT)")   # a name ours has, but not our layout
    db.commit()
    db.close()


def foreign_app(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA application_id = 1234")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.commit()
    db.close()


def foreign_text(path: Path) -> None:
    path.write_text("these are my notes, not a database\n" * 10)


@pytest.mark.parametrize("make,message", [
    (foreign_rollback, "something else (tables: invoices)"),
    (foreign_wal, "something else (tables: calls)"),
    (foreign_app, "another program (application id 0x000004d2)"),
    (foreign_text, "not an SQLite database"),
])
def test_a_file_that_is_not_a_journal_is_refused_untouched(tmp_path, standin, routee_env,
                                                           campaign, make, message):
    server = standin()
    script, people = campaign
    other = tmp_path / "other.db"
    make(other)
    other.chmod(0o644)
    before = (other.read_bytes(), other.stat().st_mtime_ns, mode(other))
    files = sorted(tmp_path.iterdir())
    result = run("call", script, "--recipients", people, "--journal", other, *urls(server))
    assert result.exit_code == 2, result.output
    assert f"{other} is not a dialplan campaign journal" in result.stderr
    assert message in result.stderr and "left untouched" in result.stderr
    assert "Traceback" not in result.output
    assert (other.read_bytes(), other.stat().st_mtime_ns, mode(other)) == before
    assert sorted(tmp_path.iterdir()) == files   # no -wal, -shm or lock file beside it
    assert server.requests == []


def test_an_empty_file_becomes_a_journal(tmp_path, standin, routee_env, campaign):
    server = standin()
    script, people = campaign
    journal = tmp_path / "new.sqlite"
    journal.touch()
    result = run("call", script, "--recipients", people, "--rate", 100, "--journal", journal,
                 *urls(server))
    assert result.exit_code == 0, result.output
    assert len(server.calls) == 6
    with sqlite3.connect(journal) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() == (str(FORMAT),)


def test_a_journal_of_the_first_version_is_resumed(tmp_path, standin, routee_env, campaign):
    """dialplan 0.1.0 wrote no application id: its journals are known by
    their tables, and their placed rows are not called again."""
    server = standin()
    script, people = campaign
    journal = tmp_path / "people.csv.journal.sqlite"
    db = sqlite3.connect(journal, isolation_level=None)
    db.executescript("PRAGMA journal_mode=WAL;" + JOURNAL_FORMAT_1)
    db.execute("INSERT INTO calls (recipient, row, state, tracking_id, attempts, updated_at) "
               "VALUES (?, 2, 'placed', 'earlier', 1, 0)", (phone(0),))
    db.close()
    result = run("call", script, "--recipients", people, "--rate", 100, *urls(server))
    assert result.exit_code == 0, result.output
    assert "resuming" in result.stderr
    assert phone(0) not in server.posts_per_recipient()
    assert len(server.calls) == 5


# --- private files ------------------------------------------------------------------------------

def test_the_journal_and_its_side_files_are_private(tmp_path, standin, campaign):
    """A run killed mid-campaign leaves the -wal and -shm files beside the
    journal, with the phone numbers in them; run under umask 022, where new
    files are world-readable unless made otherwise."""
    server = standin()
    script, _ = campaign
    people = write_recipients(tmp_path / "people.csv", 100)
    journal = tmp_path / "people.csv.journal.sqlite"
    process = cli_process(["call", script, "--recipients", people, *urls(server)],
                          env_for(tmp_path), preexec_fn=lambda: os.umask(0o022))
    try:
        wait_until(lambda: len(server.calls) >= 2, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate()
    wal, shm = (journal.with_name(journal.name + side) for side in ("-wal", "-shm"))
    assert wal.exists() and shm.exists()
    assert phone(0).encode() in wal.read_bytes()  # what there is to hide
    assert (mode(journal), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    # Side files an older version left world-readable are made private on the next open.
    wal.chmod(0o644)
    shm.chmod(0o644)
    with Journal(journal):
        assert (mode(wal), mode(shm)) == (0o600, 0o600)
