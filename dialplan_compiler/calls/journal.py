"""The campaign journal: what happened to each recipient, kept in SQLite.

One row per recipient (keyed by the recipient as Routee sees it, e.g.
`+306911111111`, `sip:alice@example.com`, `viber:306971234567`), in one of
four states:

    pending  the request is about to be sent, or is on its way
    placed   Routee accepted the call and gave its trackingId
    failed   Routee answered with an error (its developerMessage and
             properties are kept), or the request could not be sent
    unknown  the request may have reached Routee, but no answer came back
             (a timeout, a lost connection, or a run that ended mid-request)

A row is written `pending`, and committed to disk, *before* its request is
sent, and moved to its outcome after. A run that dies in between leaves the
row `pending`; the next run turns it into `unknown`, because nobody can tell
whether Routee got the request. That is what makes a resumed campaign safe:
`placed` rows are never sent again, and `unknown` rows only when the user
asks (`--retry-unknown`).

SQLite runs in WAL mode. Each state change is one committed transaction,
so a crash of the process loses none. A `pending` row is also fsync'd
before its request goes out (synchronous=FULL), so not even a power cut can
make a sent request look unsent; outcomes ride along with the next fsync.

Two runs never send the same row, by two guards of their own:

- The journal is known by what it is, not by its name: the database file
  itself (reached through its resolved real path) is locked with flock(2)
  for the life of the `Journal`. A symlink or a relative path leads to the
  same file and the same lock, and there is no lock file beside it to
  delete. (A journal with hard links is refused: SQLite keeps a -wal per
  name, so two names would be two journals of one file.) The kernel drops
  the lock when a run dies, even to SIGKILL. A second run is refused with
  the journal's name.
- Each row is claimed, not just written: `claim` re-reads the row and marks
  it `pending` in one write transaction (BEGIN IMMEDIATE), and only a row
  that may be sent is claimed. So even two runs that did share a journal
  (a filesystem without flock, Windows) could not both send one row.

A journal is marked as dialplan's (SQLite's application id, and a format
in `meta`); any other non-empty file is refused untouched rather than
adopted. It is private (0600), and so are its `-wal` and `-shm` side files,
which hold the same phone numbers: SQLite gives them the database's mode,
and the database is made private before SQLite opens it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..errors import DialplanError

STATES = ("pending", "placed", "failed", "unknown")
IN_FLIGHT = "the run stopped while this request was in flight: it may have reached Routee"
#: SQLite's application id of a journal (the header's bytes 68-71): "DPJ1".
APPLICATION_ID = 0x44504A31
#: The layout of the tables, kept in `meta` as `format`; a newer one is refused.
FORMAT = 1
SIDE_FILES = ("-wal", "-shm", "-journal")
_SQLITE_MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS calls (
    recipient   TEXT PRIMARY KEY,
    row         INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'placed', 'failed', 'unknown')),
    tracking_id TEXT,
    http_status INTEGER,
    error_code  TEXT,
    message     TEXT,
    properties  TEXT,
    retryable   INTEGER NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    updated_at  REAL NOT NULL
);
"""


class JournalError(DialplanError):
    """The journal cannot be opened or is in use by another run."""


@dataclass(frozen=True)
class Entry:
    recipient: str
    row: int
    state: str
    tracking_id: str | None = None
    http_status: int | None = None
    error_code: str | None = None
    message: str | None = None
    properties: dict[str, Any] | None = None
    retryable: bool = False
    attempts: int = 0
    updated_at: float = 0.0


def may_send(entry: Entry | None, retry_unknown: bool = False) -> bool:
    """Whether a row in this state may be sent (again): never tried, failed
    for a reason that may pass (429, 5xx), or `unknown` when the user asks."""
    return entry is None or (entry.state == "failed" and entry.retryable) or \
        (entry.state == "unknown" and retry_unknown)


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)                         # as given: for messages
        self.real_path = Path(os.path.realpath(self.path))
        self._fd: int | None = None
        self._db: sqlite3.Connection | None = None
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
        schema in the -wal only), then set up WAL mode and the tables."""
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
        if app_id == APPLICATION_ID and "meta" in tables:
            found = self.get_meta("format")
            if found is not None and (not found.isdigit() or int(found) > FORMAT):
                raise JournalError(f"{self.path} is a journal of a newer dialplan (format "
                                   f"{found}; this one reads {FORMAT}): upgrade dialplan")
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('format', ?)",
                       (str(FORMAT),))
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
        return {entry.recipient: entry for entry in self._select("")}

    def get(self, recipient: str) -> Entry | None:
        found = list(self._select("WHERE recipient = ?", (recipient,)))
        return found[0] if found else None

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        for state, number in self._db.execute("SELECT state, COUNT(*) FROM calls GROUP BY state"):
            counts[state] = number
        return counts

    def last_activity(self) -> float | None:
        """When (wall clock) the last request recorded here finished."""
        latest = self._db.execute("SELECT MAX(updated_at) FROM calls").fetchone()[0]
        restored = self.get_meta("last_request_at")
        times = [t for t in (latest, float(restored) if restored else None) if t is not None]
        return max(times) if times else None

    def _select(self, where: str, args: tuple = ()) -> Iterator[Entry]:
        query = ("SELECT recipient, row, state, tracking_id, http_status, error_code, message, "
                 f"properties, retryable, attempts, updated_at FROM calls {where} ORDER BY row")
        for r in self._db.execute(query, args):
            yield Entry(r[0], r[1], r[2], r[3], r[4], r[5], r[6],
                        json.loads(r[7]) if r[7] else None, bool(r[8]), r[9], r[10])

    # --- writing: each is one committed transaction -----------------------------------

    def recover(self) -> list[Entry]:
        """After a run that ended mid-request: its `pending` rows become
        `unknown` (Routee may have them). Returns those rows."""
        stranded = list(self._select("WHERE state = 'pending'"))
        self._db.execute("UPDATE calls SET state = 'unknown', message = ?, retryable = 0 "
                         "WHERE state = 'pending'", (IN_FLIGHT,))
        return stranded

    def claim(self, recipient: str, row: int, *,
              retry_unknown: bool = False) -> tuple[bool, Entry | None]:
        """Mark a row `pending` if, read again now, it may be sent: one write
        transaction, so no other run can claim it in between. Returns
        whether it was claimed, and the row as it was. A claimed row is
        durable (fsync'd) before this returns: its request may go out next."""
        self._durability("FULL")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            entry = self.get(recipient)
            if not may_send(entry, retry_unknown):
                self._db.execute("ROLLBACK")
                return False, entry
            self._db.execute(
                "INSERT INTO calls (recipient, row, state, updated_at) VALUES (?, ?, 'pending', ?) "
                "ON CONFLICT (recipient) DO UPDATE SET row = excluded.row, state = 'pending', "
                "tracking_id = NULL, http_status = NULL, error_code = NULL, message = NULL, "
                "properties = NULL, retryable = 0, updated_at = excluded.updated_at",
                (recipient, row, time.time()))
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        return True, entry

    def mark_placed(self, recipient: str, tracking_id: str, *, attempts: int = 1) -> None:
        self._finish(recipient, "placed", attempts, tracking_id=tracking_id)

    def mark_failed(self, recipient: str, message: str, *, attempts: int = 1,
                    http_status: int | None = None, error_code: str | None = None,
                    properties: dict[str, Any] | None = None, retryable: bool = False) -> None:
        self._finish(recipient, "failed", attempts, http_status=http_status,
                     error_code=error_code, message=message, properties=properties,
                     retryable=retryable)

    def mark_unknown(self, recipient: str, message: str, *, attempts: int = 1) -> None:
        self._finish(recipient, "unknown", attempts, message=message)

    def restore(self, recipient: str, previous: Entry | None, *, attempts: int = 0) -> None:
        """Undo `mark_pending` for a row none of whose requests placed a
        call (each was refused, or never sent)."""
        now = time.time()
        # Remember when the last request ended, for the pacing of the next run.
        self.set_meta("last_request_at", repr(now))
        if previous is None:
            self._db.execute("DELETE FROM calls WHERE recipient = ? AND state = 'pending'",
                             (recipient,))
            return
        self._db.execute(
            "UPDATE calls SET state = ?, tracking_id = ?, http_status = ?, error_code = ?, "
            "message = ?, properties = ?, retryable = ?, attempts = attempts + ?, "
            "updated_at = ? WHERE recipient = ? AND state = 'pending'",
            (previous.state, previous.tracking_id, previous.http_status, previous.error_code,
             previous.message, _json(previous.properties), int(previous.retryable), attempts,
             now, recipient))

    def _durability(self, level: str) -> None:
        if level != self._synchronous:
            self._db.execute(f"PRAGMA synchronous={level}")
            self._synchronous = level

    def _finish(self, recipient: str, state: str, attempts: int, *,
                tracking_id: str | None = None,
                http_status: int | None = None, error_code: str | None = None,
                message: str | None = None, properties: dict[str, Any] | None = None,
                retryable: bool = False) -> None:
        # An outcome survives a crash of the process at once, and reaches
        # the disk with the next `pending` row's fsync. Lost to a power cut
        # in between, the row would read `pending`, then `unknown`: never
        # sent twice. So one fsync per call is enough.
        self._durability("NORMAL")
        cursor = self._db.execute(
            "UPDATE calls SET state = ?, tracking_id = ?, http_status = ?, error_code = ?, "
            "message = ?, properties = ?, retryable = ?, attempts = attempts + ?, "
            "updated_at = ? WHERE recipient = ?",
            (state, tracking_id, http_status, error_code, message, _json(properties),
             int(retryable), attempts, time.time(), recipient))
        if cursor.rowcount != 1:
            raise JournalError(f"{self.path}: no row for {recipient} to record as {state}")


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


_COLUMNS = {"meta": ["key", "value"],
            "calls": ["recipient", "row", "state", "tracking_id", "http_status", "error_code",
                      "message", "properties", "retryable", "attempts", "updated_at"]}


def _looks_like_ours(db: sqlite3.Connection, tables: list[str]) -> bool:
    """Exactly the tables and columns a journal has (dialplan 0.1.0 set no
    application id: its journals are recognised by their layout)."""
    if sorted(tables) != sorted(_COLUMNS):
        return False
    return all([row[1] for row in db.execute(f"PRAGMA table_info({name})")] == columns
               for name, columns in _COLUMNS.items())


def _not_ours(path: Path, app_id: int, tables: list[str]) -> str:
    what = (f"an SQLite database of another program (application id {app_id:#010x})"
            if app_id else f"an SQLite database of something else (tables: {', '.join(tables)})")
    return (f"{path} is not a dialplan campaign journal: it is {what}; it was left untouched: "
            "give --journal a new file")


def _side_files(real: Path) -> list[Path]:
    return [side for side in (real.with_name(real.name + suffix) for suffix in SIDE_FILES)
            if side.exists()]
