"""The campaign journal: what happened to each call, kept in SQLite.

One row per *attempt*: the first call to a recipient is attempt 1, and each
retry (`--retries`) is a row of its own. A recipient is keyed as Routee
sees it (`+306911111111`, `sip:alice@example.com`, `viber:306971234567`).
An attempt's request is in one of four states:

    pending  the request is about to be sent, or is on its way
    placed   Routee accepted the call and gave its trackingId
    failed   Routee answered with an error (its developerMessage and
             properties are kept), or the request could not be sent
    unknown  the request may have reached Routee, but no answer came back
             (a timeout, a lost connection, or a run that ended mid-request)

and a placed call is followed to its outcome: its last `status` seen on
the tracking endpoint, `final` once it can no longer change (a final status,
or the follower gave up on it: `outcome_unknown`), `answered_by`,
`duration`, `price`, the keys collected and the first leg's `message_id`.
A placed attempt that is not final is *open*: the next run follows it
again, and never places it again.

An attempt is written `pending`, and committed to disk, *before* its
request is sent, and moved to its outcome after. A run that dies in between
leaves it `pending`; the next run turns it into `unknown`, because nobody
can tell whether Routee got the request. That is what makes a resumed
campaign safe: a recipient is called again only by a rule of `next_send`
(a retry of a Busy or NoAnswer call, when asked for), never because a run
died.

SQLite runs in WAL mode. Each state change is one committed transaction,
so a crash of the process loses none. A `pending` row is also fsync'd
before its request goes out (synchronous=FULL), so not even a power cut can
make a sent request look unsent; outcomes ride along with the next fsync.

Two runs never send the same attempt, by two guards of their own:

- The journal is known by what it is, not by its name: the database file
  itself (reached through its resolved real path) is locked with flock(2)
  for the life of the `Journal`. A symlink or a relative path leads to the
  same file and the same lock, and there is no lock file beside it to
  delete. (A journal with hard links is refused: SQLite keeps a -wal per
  name, so two names would be two journals of one file.) The kernel drops
  the lock when a run dies, even to SIGKILL. A second run is refused with
  the journal's name.
- Each attempt is claimed, not just written: `claim` re-reads the
  recipient's attempts and adds a `pending` one in one write transaction
  (BEGIN IMMEDIATE), and only when `next_send` allows it now. So even two
  runs that did share a journal (a filesystem without flock, Windows) could
  not both send one.

A journal is marked as dialplan's (SQLite's application id, and a format
in `meta`); any other non-empty file is refused untouched rather than
adopted. Journals of format 1 (one row per recipient, table `calls`, and
those of dialplan 0.1.0, which set no application id) are migrated in one
transaction when opened: each row becomes attempt 1, its placed calls
open, so the next run follows them. A newer format is refused. It is
private (0600), and so are its `-wal` and `-shm` side files, which hold the
same phone numbers: SQLite gives them the database's mode, and the
database is made private before SQLite opens it.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .. import routee
from ..errors import DialplanError

STATES = ("pending", "placed", "failed", "unknown")
IN_FLIGHT = "the run stopped while this request was in flight: it may have reached Routee"
#: SQLite's application id of a journal (the header's bytes 68-71): "DPJ1".
APPLICATION_ID = 0x44504A31
#: The layout of the tables, kept in `meta` as `format`; a newer one is refused,
#: an older one migrated (format 1: one row per recipient in `calls`).
FORMAT = 2
SIDE_FILES = ("-wal", "-shm", "-journal")
_SQLITE_MAGIC = b"SQLite format 3\x00"
#: The statuses after which a call may be tried again (`--retries`).
RETRY_STATUSES = ("Busy", "NoAnswer")
#: Statuses that end a call for good ("Unknown" is not one: it means "not known yet").
OUTCOME_STATUSES = tuple(s for s in routee.FINAL_STATUSES if s != "Unknown")
NOW = -math.inf   # `next_send`: at once

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
    recipient       TEXT NOT NULL,
    attempt         INTEGER NOT NULL,
    row             INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'placed', 'failed', 'unknown')),
    tracking_id     TEXT,
    http_status     INTEGER,
    error_code      TEXT,
    message         TEXT,
    properties      TEXT,
    retryable       INTEGER NOT NULL DEFAULT 0,
    requests        INTEGER NOT NULL DEFAULT 0,
    updated_at      REAL NOT NULL,
    placed_at       REAL,
    status          TEXT,
    final           INTEGER NOT NULL DEFAULT 0,
    answered_by     TEXT,
    duration        INTEGER,
    price           REAL,
    collected_tones TEXT,
    message_id      TEXT,
    ended_at        REAL,
    PRIMARY KEY (recipient, attempt)
);
"""

_FIELDS = ("recipient", "row", "attempt", "state", "tracking_id", "http_status", "error_code",
           "message", "properties", "retryable", "requests", "updated_at", "placed_at",
           "status", "final", "answered_by", "duration", "price", "collected_tones",
           "message_id", "ended_at")

#: Format 1 (and dialplan 0.1.0, which wrote no application id and no format).
_FORMAT_1 = {"meta": ["key", "value"],
             "calls": ["recipient", "row", "state", "tracking_id", "http_status", "error_code",
                       "message", "properties", "retryable", "attempts", "updated_at"]}
_FORMAT_2 = {"meta": ["key", "value"],
             "attempts": ["recipient", "attempt", "row", *_FIELDS[3:]]}

_MIGRATE_1 = """
INSERT INTO attempts (recipient, attempt, row, state, tracking_id, http_status, error_code,
                      message, properties, retryable, requests, updated_at, placed_at)
SELECT recipient, 1, row, state, tracking_id, http_status, error_code, message, properties,
       retryable, attempts, updated_at, CASE WHEN state = 'placed' THEN updated_at END
FROM calls
"""


class JournalError(DialplanError):
    """The journal cannot be opened or is in use by another run."""


@dataclass(frozen=True)
class Entry:
    """One attempt to call one recipient."""

    recipient: str
    row: int
    state: str
    tracking_id: str | None = None
    http_status: int | None = None
    error_code: str | None = None
    message: str | None = None
    properties: dict[str, Any] | None = None
    retryable: bool = False
    requests: int = 0             # HTTP requests sent for this attempt
    updated_at: float = 0.0
    attempt: int = 1
    placed_at: float | None = None
    status: str | None = None     # the last status seen on the tracking endpoint
    final: bool = False           # the outcome can no longer change
    answered_by: str | None = None
    duration: int | None = None
    price: float | None = None
    collected_tones: str | None = None
    message_id: str | None = None
    ended_at: float | None = None  # when it was seen to end (the clock of the run)

    @property
    def open(self) -> bool:
        """Placed, and its outcome not known yet: to be followed."""
        return self.state == "placed" and not self.final

    @property
    def outcome_unknown(self) -> bool:
        """Placed, followed, and given up on without a final status."""
        return self.state == "placed" and self.final and self.status not in OUTCOME_STATUSES


@dataclass(frozen=True)
class SendRule:
    """When a recipient may be called (again): `retries` more calls after
    a Busy or NoAnswer one, each `retry_after` seconds after the last ended;
    `retry_unknown` also sends again what may have reached Routee (a request
    without an answer) and calls whose outcome was never learnt."""

    retries: int = 0
    retry_after: float = 0.0
    retry_unknown: bool = False


def next_send(attempts: list[Entry], rule: SendRule = SendRule()) -> float | None:
    """When (the journal's clock) a recipient with these attempts, oldest
    first, may be sent a request: NOW, a time, or None (not in this state).

    A failed request placed no call, and is sent again when the failure
    may pass (5xx, 429); a call is placed again only after a Busy or
    NoAnswer, at most `rule.retries` times; an unknown one only when
    `rule.retry_unknown` says so."""
    if not attempts:
        return NOW
    last = attempts[-1]
    if last.state == "pending":
        return None
    if last.state == "failed":
        return NOW if last.retryable else None
    if last.state == "unknown":
        return NOW if rule.retry_unknown else None
    if not last.final:
        return None                       # still being followed
    placed = sum(1 for a in attempts if a.state == "placed")
    if placed > rule.retries:
        return None
    if last.status in RETRY_STATUSES or (last.outcome_unknown and rule.retry_unknown):
        return (last.ended_at or last.updated_at) + rule.retry_after
    return None


def may_send(entry: Entry | None, retry_unknown: bool = False) -> bool:
    """Whether a recipient whose last attempt is `entry` may be sent a
    request now, without retries (see `next_send`)."""
    return next_send([] if entry is None else [entry], SendRule(retry_unknown=retry_unknown)) \
        == NOW


@dataclass(frozen=True)
class Reading:
    """What the tracking endpoint said of an attempt."""

    status: str | None
    final: bool
    answered_by: str | None = None
    duration: int | None = None
    price: float | None = None
    collected_tones: str | None = None
    message_id: str | None = None
    note: str | None = None       # why the follower gave up, if it did


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)                         # as given: for messages
        self.real_path = Path(os.path.realpath(self.path))
        self._fd: int | None = None
        self._db: sqlite3.Connection | None = None
        self.migrated_from: int | None = None
        self._claimed: dict[str, int] = {}         # recipient → the attempt this run claimed
        try:
            self._fd = _open_locked(self.path, self.real_path)
            _check_ours(self._fd, self.path, self.real_path)  # reads only: a stranger is untouched
            # Private before SQLite opens it: the -wal and -shm files it
            # creates copy the database's mode.
            os.chmod(self.real_path, 0o600)
            for side in _side_files(self.real_path):
                os.chmod(side, 0o600)                  # left by a run that died
            self._db = sqlite3.connect(str(self.real_path), isolation_level=None, timeout=10)
            self._adopt()
            for side in _side_files(self.real_path):
                os.chmod(side, 0o600)
        except JournalError:
            self._close_all()
            raise
        except (sqlite3.DatabaseError, OSError) as error:
            self._close_all()
            raise JournalError(f"cannot use {self.path} as a journal: {error}") from None

    def _adopt(self) -> None:
        """Check again with SQLite's eyes (a run that died may have left the
        schema in the -wal only), then set up WAL mode and the tables,
        migrating a journal of format 1."""
        assert self._db is not None
        db = self._db
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        tables = _tables(db)
        if app_id not in (0, APPLICATION_ID) or \
                (app_id == 0 and tables and not _looks_like_ours(db, tables)):
            raise JournalError(_not_ours(self.path, app_id, tables))
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise JournalError(f"{self.path}: SQLite cannot use WAL mode here ({mode})")
        db.execute("PRAGMA synchronous=FULL")
        self._synchronous = "FULL"
        if "meta" in tables:
            found = self.get_meta("format")
            if found is not None and (not found.isdigit() or int(found) > FORMAT):
                raise JournalError(f"{self.path} is a journal of a newer dialplan (format "
                                   f"{found}; this one reads {FORMAT}): upgrade dialplan")
        db.execute("BEGIN IMMEDIATE")
        try:
            tables = _tables(db)       # read again under the write lock
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            if "calls" in tables:
                if [row[1] for row in db.execute("PRAGMA table_info(calls)")] != \
                        _FORMAT_1["calls"]:
                    raise JournalError(f"{self.path}: its `calls` table is not one dialplan "
                                       "wrote; it was left as it was: give --journal a new "
                                       "file")
                db.execute(_MIGRATE_1)
                db.execute("DROP TABLE calls")
                self.migrated_from = 1
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute("INSERT INTO meta (key, value) VALUES ('format', ?) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(FORMAT),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _close_all(self) -> None:
        # SQLite first: closing our descriptor of the same file would drop
        # the POSIX locks SQLite holds on it.
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def close(self) -> None:
        self._close_all()

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- meta ------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    # --- reading ---------------------------------------------------------------------

    def entries(self) -> dict[str, Entry]:
        """The last attempt of each recipient."""
        return {recipient: found[-1] for recipient, found in self.history().items()}

    def history(self) -> dict[str, list[Entry]]:
        """Every attempt of each recipient, oldest first."""
        found: dict[str, list[Entry]] = {}
        for entry in self._select(""):
            found.setdefault(entry.recipient, []).append(entry)
        return found

    def attempts_of(self, recipient: str) -> list[Entry]:
        return list(self._select("WHERE recipient = ?", (recipient,)))

    def get(self, recipient: str) -> Entry | None:
        found = self.attempts_of(recipient)
        return found[-1] if found else None

    def counts(self) -> dict[str, int]:
        """Recipients by the state of their last attempt."""
        counts = dict.fromkeys(STATES, 0)
        for entry in self.entries().values():
            counts[entry.state] += 1
        return counts

    def open_attempts(self) -> list[Entry]:
        """Placed calls whose outcome is not known yet."""
        return list(self._select("WHERE state = 'placed' AND final = 0"))

    def last_activity(self) -> float | None:
        """When (wall clock) the last request recorded here finished."""
        latest = self._db.execute("SELECT MAX(COALESCE(placed_at, updated_at)) FROM attempts "
                                  "WHERE state != 'pending'").fetchone()[0]
        restored = self.get_meta("last_request_at")
        times = [t for t in (latest, float(restored) if restored else None) if t is not None]
        return max(times) if times else None

    def _select(self, where: str, args: tuple = ()) -> Iterator[Entry]:
        query = (f"SELECT {', '.join(_FIELDS)} FROM attempts {where} "
                 "ORDER BY row, recipient, attempt")
        for r in self._db.execute(query, args):
            values = dict(zip(_FIELDS, r))
            values["properties"] = json.loads(values["properties"]) \
                if values["properties"] else None
            values["retryable"] = bool(values["retryable"])
            values["final"] = bool(values["final"])
            yield Entry(**values)

    # --- writing: each is one committed transaction -----------------------------------

    def recover(self) -> list[Entry]:
        """After a run that ended mid-request: its `pending` attempts become
        `unknown` (Routee may have them). Returns those attempts."""
        stranded = list(self._select("WHERE state = 'pending'"))
        self._db.execute("UPDATE attempts SET state = 'unknown', message = ?, retryable = 0 "
                         "WHERE state = 'pending'", (IN_FLIGHT,))
        return stranded

    def claim(self, recipient: str, row: int, *, retry_unknown: bool = False,
              rule: SendRule | None = None, now: float | None = None
              ) -> tuple[bool, Entry | None]:
        """Add a `pending` attempt if, read again now, `next_send` allows
        one at `now`: one write transaction, so no other run can claim it in
        between. Returns whether it was claimed, and the last attempt as it
        was. A claimed attempt is durable (fsync'd) before this returns: its
        request may go out next."""
        rule = rule or SendRule(retry_unknown=retry_unknown)
        now = time.time() if now is None else now
        self._durability("FULL")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            attempts = self.attempts_of(recipient)
            when = next_send(attempts, rule)
            previous = attempts[-1] if attempts else None
            if when is None or when > now:
                self._db.execute("ROLLBACK")
                return False, previous
            attempt = (previous.attempt + 1) if previous else 1
            self._db.execute(
                "INSERT INTO attempts (recipient, attempt, row, state, updated_at) "
                "VALUES (?, ?, ?, 'pending', ?)", (recipient, attempt, row, time.time()))
            self._db.execute("COMMIT")
            self._claimed[recipient] = attempt
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        return True, previous

    def mark_placed(self, recipient: str, tracking_id: str, *, attempts: int = 1,
                    placed_at: float | None = None) -> None:
        self._finish(recipient, "placed", attempts, tracking_id=tracking_id,
                     placed_at=time.time() if placed_at is None else placed_at)

    def mark_failed(self, recipient: str, message: str, *, attempts: int = 1,
                    http_status: int | None = None, error_code: str | None = None,
                    properties: dict[str, Any] | None = None, retryable: bool = False) -> None:
        self._finish(recipient, "failed", attempts, http_status=http_status,
                     error_code=error_code, message=message, properties=properties,
                     retryable=retryable)

    def mark_unknown(self, recipient: str, message: str, *, attempts: int = 1) -> None:
        self._finish(recipient, "unknown", attempts, message=message)

    def restore(self, recipient: str, previous: Entry | None = None, *, attempts: int = 0) -> None:
        """Take back the `pending` attempt of a recipient none of whose
        requests placed a call (each was refused, or never sent)."""
        # Remember when the last request ended, for the pacing of the next run.
        self.set_meta("last_request_at", repr(time.time()))
        self._db.execute("DELETE FROM attempts WHERE recipient = ? AND attempt = ? AND "
                         "state = 'pending'", (recipient, self._claimed.pop(recipient, -1)))

    def record(self, recipient: str, attempt: int, reading: Reading, *,
               now: float | None = None) -> None:
        """What following a placed call learnt; `now` (the run's clock) is
        kept as when it ended, once it is final."""
        self._durability("NORMAL")
        ended = (time.time() if now is None else now) if reading.final else None
        self._db.execute(
            "UPDATE attempts SET status = ?, final = ?, answered_by = ?, duration = ?, "
            "price = ?, collected_tones = ?, message_id = ?, ended_at = ?, "
            "message = COALESCE(?, message), updated_at = ? "
            "WHERE recipient = ? AND attempt = ? AND state = 'placed' AND final = 0",
            (reading.status, int(reading.final), reading.answered_by, reading.duration,
             reading.price, reading.collected_tones, reading.message_id, ended, reading.note,
             time.time(), recipient, attempt))

    def _durability(self, level: str) -> None:
        if level != self._synchronous:
            self._db.execute(f"PRAGMA synchronous={level}")
            self._synchronous = level

    def _finish(self, recipient: str, state: str, attempts: int, *,
                tracking_id: str | None = None, placed_at: float | None = None,
                http_status: int | None = None, error_code: str | None = None,
                message: str | None = None, properties: dict[str, Any] | None = None,
                retryable: bool = False) -> None:
        # An outcome survives a crash of the process at once, and reaches
        # the disk with the next `pending` row's fsync. Lost to a power cut
        # in between, the row would read `pending`, then `unknown`: never
        # sent twice. So one fsync per call is enough. (The attempt is the
        # one this run claimed: a run that shared the journal may have
        # turned it `unknown` meanwhile, and the answer that came is the truth.)
        self._durability("NORMAL")
        cursor = self._db.execute(
            "UPDATE attempts SET state = ?, tracking_id = ?, http_status = ?, error_code = ?, "
            "message = ?, properties = ?, retryable = ?, requests = requests + ?, "
            "placed_at = ?, updated_at = ? WHERE recipient = ? AND attempt = ?",
            (state, tracking_id, http_status, error_code, message, _json(properties),
             int(retryable), attempts, placed_at, time.time(), recipient,
             self._claimed.pop(recipient, -1)))
        if cursor.rowcount != 1:
            raise JournalError(f"{self.path}: no attempt claimed for {recipient} to record "
                               f"as {state}")


def _json(value: dict[str, Any] | None) -> str | None:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else None


def _open_locked(path: Path, real: Path) -> int:
    """A descriptor of the journal's file, created if need be, holding an
    exclusive flock for as long as it is open."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; `claim` still keeps rows from being sent twice
        fcntl = None
    for _ in range(5):
        try:
            fd = os.open(real, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        except OSError as error:
            raise JournalError(f"cannot open {path} as a journal: {error.strerror}") from None
        if fcntl is None:
            return fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            also = f" (that is {real})" if str(real) != os.path.abspath(path) else ""
            raise JournalError(f"the journal {path}{also} is in use by another `dialplan call` "
                               "run; wait for it to end") from None
        except OSError as error:
            os.close(fd)
            raise JournalError(f"cannot lock the journal {path} ({error.strerror}); without a "
                               "lock two runs could share it") from None
        # The name may have been pointed elsewhere (the file deleted or
        # replaced) between open and lock: then the lock guards nothing.
        try:
            named = os.stat(real)
        except OSError:
            named = None
        held = os.fstat(fd)
        if named is not None and (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino):
            if held.st_nlink > 1:
                # SQLite names its -wal after the name it opened: two names
                # mean two logs of one database, and a crash under one name
                # hides its rows from a run under the other.
                os.close(fd)
                raise JournalError(f"the journal {path} has {held.st_nlink} hard links: SQLite "
                                   "cannot keep a journal with several names safe; keep one")
            return fd
        os.close(fd)
    raise JournalError(f"the journal {path} keeps being replaced while it is opened")


def _check_ours(fd: int, path: Path, real: Path) -> None:
    """Refuse a file that is not a journal, reading nothing but its bytes
    (SQLite could write to it). An empty file is a new journal."""
    if os.fstat(fd).st_size == 0:
        return
    os.lseek(fd, 0, os.SEEK_SET)
    header = os.read(fd, 100)
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise JournalError(f"{path} is not a dialplan campaign journal (it is not an SQLite "
                           "database); it was left untouched: give --journal a new file")
    app_id = int.from_bytes(header[68:72], "big")
    if app_id == APPLICATION_ID:
        return
    if app_id != 0:
        raise JournalError(_not_ours(path, app_id, []))
    # No application id: an empty database, a journal of dialplan 0.1.0
    # (which set none), or some other program's. Look without SQLite's
    # locking or side files, and without writing a byte.
    uri = real.as_uri() + "?immutable=1"
    try:
        probe = sqlite3.connect(uri, uri=True)
        try:
            tables = _tables(probe)
            if tables and not _looks_like_ours(probe, tables):
                raise JournalError(_not_ours(path, 0, tables))
        finally:
            probe.close()
    except sqlite3.DatabaseError as error:
        raise JournalError(f"{path} cannot be read as a journal ({error}); it was left "
                           "untouched") from None


def _tables(db: sqlite3.Connection) -> list[str]:
    return [row[0] for row in
            db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]


def _looks_like_ours(db: sqlite3.Connection, tables: list[str]) -> bool:
    """Exactly the tables and columns a journal has (dialplan 0.1.0 set no
    application id: its journals are recognised by their layout)."""
    for layout in (_FORMAT_1, _FORMAT_2):
        if sorted(tables) == sorted(layout) and all(
                [row[1] for row in db.execute(f"PRAGMA table_info({name})")] == columns
                for name, columns in layout.items()):
            return True
    return False


def _not_ours(path: Path, app_id: int, tables: list[str]) -> str:
    what = (f"an SQLite database of another program (application id {app_id:#010x})"
            if app_id else f"an SQLite database of something else (tables: {', '.join(tables)})")
    return (f"{path} is not a dialplan campaign journal: it is {what}; it was left untouched: "
            "give --journal a new file")


def _side_files(real: Path) -> list[Path]:
    return [side for side in (real.with_name(real.name + suffix) for suffix in SIDE_FILES)
            if side.exists()]
