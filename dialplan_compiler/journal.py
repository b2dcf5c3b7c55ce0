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
A lock file beside the journal keeps two runs off the same campaign.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

STATES = ("pending", "placed", "failed", "unknown")
IN_FLIGHT = "the run stopped while this request was in flight: it may have reached Routee"

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


class JournalError(Exception):
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


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock_handle = _lock(self.path.with_name(self.path.name + ".lock"))
        try:
            self._db = sqlite3.connect(str(self.path), isolation_level=None, timeout=10)
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise JournalError(f"{self.path}: SQLite cannot use WAL mode here ({mode})")
            self._db.execute("PRAGMA synchronous=FULL")
            self._synchronous = "FULL"
            self._db.executescript(_SCHEMA)
            os.chmod(self.path, 0o600)  # phone numbers: for its owner's eyes
        except (sqlite3.DatabaseError, OSError) as error:
            self._lock_handle.close()
            raise JournalError(f"cannot use {self.path} as a journal: {error}") from None

    def close(self) -> None:
        self._db.close()
        self._lock_handle.close()

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

    def mark_pending(self, recipient: str, row: int) -> None:
        """Durable (fsync'd) before it returns: the request may go out next."""
        self._durability("FULL")
        self._db.execute(
            "INSERT INTO calls (recipient, row, state, updated_at) VALUES (?, ?, 'pending', ?) "
            "ON CONFLICT (recipient) DO UPDATE SET row = excluded.row, state = 'pending', "
            "tracking_id = NULL, http_status = NULL, error_code = NULL, message = NULL, "
            "properties = NULL, retryable = 0, updated_at = excluded.updated_at",
            (recipient, row, time.time()))

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
            "updated_at = ? WHERE recipient = ?",
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


def _lock(path: Path):
    """An exclusive lock held for the life of the journal: a second run of
    the same campaign would otherwise call the same people."""
    try:
        handle = open(path, "a+b")
    except OSError as error:
        raise JournalError(f"cannot create {path}: {error.strerror}") from None
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks in the standard library
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise JournalError(f"{path.with_suffix('')} is in use by another `dialplan call` run "
                           "of this campaign; wait for it to end") from None
    return handle
