"""Placing calls: one call, or a campaign of one call per row of a CSV file.

A campaign goes in two steps. First every row is compiled and checked
(`prepare`): a bad number on row 812 is reported, with its row, before
anyone is rung. Then the rows are called one after another (`Campaign.run`),
paced by the client's `RateLimiter`, each recorded in the `Journal` as
`pending` before its request is sent and as `placed`, `failed` or `unknown`
after. Re-running the same command resumes: placed rows are skipped, rows
that failed for a passing reason (429, 5xx, no connection) are tried again,
and rows whose request may have reached Routee (`unknown`) only with
`retry_unknown`.

Retries inside one run: a request that was certainly not acted on (no
connection could be made, 429, 5xx) is sent again after an exponential
backoff with jitter, at least as long as Routee's Retry-After. A request
that went out and got no answer is never sent again by itself: that is how
a phone gets rung twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Iterable

from .. import routee
from ..errors import DialplanError
from ..model import Sourced
from ..nodes import Span
from .client import (REDACTED, ApiError, AuthError, MaybeSent, NotSent, RouteeClient,
                     status_name)
from .journal import Entry, Journal, may_send

FINAL_STATUSES = routee.FINAL_STATUSES
NOT_SENT = "not sent"
REPORT_COLUMNS = ("row", "to", "state", "tracking_id", "http_status", "error_code", "message",
                  "properties", "attempts", "updated_at")


# --- stopping --------------------------------------------------------------------------------

class Interrupted(DialplanError):
    """The user asked to stop (Ctrl-C or SIGTERM) while nothing was in flight."""


class Stopper:
    """Ctrl-C and SIGTERM ask for a stop: the request in flight is finished
    and recorded, then the run ends. A second Ctrl-C stops at once (the row
    in flight stays `pending`, and becomes `unknown` on the next run)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        return self.event.is_set()

    def wait(self, seconds: float) -> None:
        """Sleep at least `seconds`, unless a stop is asked for: then raise
        Interrupted."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if self.event.is_set():
                raise Interrupted()
            if remaining <= 0:
                return
            self.event.wait(remaining)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt()
        self.event.set()

    def __enter__(self) -> "Stopper":
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()


# --- retries ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5        # requests per call, the first included
    backoff: float = 1.0     # seconds before the first retry; doubles after each
    cap: float = 60.0

    def delay(self, attempt: int, retry_after: float | None = None,
              rng: random.Random | None = None) -> float:
        """How long to wait after failed attempt number `attempt` (1-based):
        exponential, with jitter, and never less than Routee's Retry-After."""
        base = min(self.cap, self.backoff * 2 ** (attempt - 1))
        delay = base * (rng or random).uniform(0.5, 1.0)
        return max(delay, retry_after or 0.0)


@dataclass(frozen=True)
class SendOutcome:
    state: str                      # placed, failed or unknown
    attempts: int
    tracking_id: str | None = None
    status: str | None = None       # the conversation status Routee answered
    http_status: int | None = None
    error_code: str | None = None
    message: str | None = None
    properties: dict[str, Any] | None = None
    retryable: bool = False


class GaveUp(DialplanError):
    """No request got through (no connection, or no token) after every
    attempt: nothing was sent."""

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


def send_with_retries(client: RouteeClient, payload: dict[str, Any], policy: RetryPolicy, *,
                      wait: Callable[[float], Any],
                      on_retry: Callable[[int, float, str], Any] | None = None,
                      rng: random.Random | None = None) -> SendOutcome:
    """Place one call, retrying what is safe to retry. Raises AuthError
    (credentials refused), GaveUp (never got through) and Interrupted (a stop
    was asked for while waiting; nothing of this call is in flight)."""
    attempt = 0
    while True:
        attempt += 1
        try:
            placed = client.place_call(payload)
            return SendOutcome("placed", attempt, tracking_id=placed.tracking_id,
                           status=placed.status)
        except MaybeSent as error:
            return SendOutcome("unknown", attempt, message=str(error))
        except AuthError:
            raise
        except ApiError as error:
            if not error.transient:
                return SendOutcome("failed", attempt, http_status=error.status,
                               error_code=error.code, message=error.developer_message,
                               properties=error.properties or None)
            if attempt >= policy.attempts:
                return SendOutcome("failed", attempt, http_status=error.status,
                               error_code=error.code,
                               message=f"{error.developer_message} (gave up after {attempt} "
                                       "attempts)",
                               properties=error.properties or None, retryable=True)
            reason, retry_after = error.describe(), error.retry_after
        except NotSent as error:
            if attempt >= policy.attempts:
                raise GaveUp(str(error), attempt) from None
            reason, retry_after = str(error), None
        delay = policy.delay(attempt, retry_after, rng)
        if on_retry:
            on_retry(attempt, delay, reason)
        wait(delay)


def wait_for_final(client: RouteeClient, tracking_id: str, *, wait: Callable[[float], Any],
                   on_status: Callable[[str], Any], first: float = 1.0, factor: float = 1.5,
                   cap: float = 15.0, last: str | None = None) -> str:
    """Poll GET /voice/conversation/{trackingId}, less and less often,
    until a final status; call `on_status` on each change."""
    delay = first
    while True:
        wait(delay)
        delay = min(cap, delay * factor)
        try:
            status = status_name(client.conversation(tracking_id))
        except (NotSent, MaybeSent):
            continue  # asking again is harmless: a GET changes nothing
        except ApiError as error:
            if error.transient:
                continue
            raise
        if status and status != last:
            on_status(status)
            last = status
        if status in FINAL_STATUSES:
            return status


# --- reading and checking a CSV ------------------------------------------------------------

class RecipientsError(DialplanError):
    """The CSV file cannot be used at all (unreadable, no `to` column)."""


@dataclass(frozen=True)
class Recipient:
    row: int                   # the line of the CSV file where the row starts (header: 1)
    to: str                    # as written in the `to` column
    key: str                   # the recipient as Routee sees it: +E164, sip:…, viber:…
    payload: dict[str, Any]


@dataclass
class Prepared:
    recipients: list[Recipient] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)      # one line each, `file:row: …`
    warnings: list[str] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)
    rows: int = 0


def recipient_key(to: dict[str, Any]) -> str:
    if "phone" in to:
        return str(to["phone"])
    kind = "sip" if "sip" in to else "viber"
    return f"{kind}:{to.get(kind)}"


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and the data rows of a CSV file, each with the line where it starts."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise RecipientsError(f"{path} is not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise RecipientsError(f"cannot read {path}: {error.strerror}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RecipientsError(f"{path} is empty: it needs a header row with a `to` column") \
            from None
    except csv.Error as error:
        raise RecipientsError(f"{path}:1: {error}") from None
    header = [name.strip() for name in header]
    if "to" not in header:
        raise RecipientsError(f"{path}:1: the header has no `to` column "
                              f"(it has: {', '.join(repr(h) for h in header) or 'nothing'})")
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if duplicated:
        raise RecipientsError(f"{path}:1: the header names {', '.join(duplicated)} twice")
    rows = []
    line = 2
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(header):
                raise RecipientsError(f"{path}:{start}: {len(record)} fields, but the header "
                                      f"has {len(header)}")
            values = dict(zip(header, (cell.strip() for cell in record)))
            rows.append((start, {k: values.get(k, "") for k in header if k}))
    except csv.Error as error:
        raise RecipientsError(f"{path}:{line}: {error}") from None
    return header, rows


def prepare(csv_path: Path, source: str, script_name: str, *, variables: dict[str, str],
            config: Any, known: Iterable[Any] = ()) -> Prepared:
    """Compile the script once per row. Every problem is reported with the
    row's line in the CSV; warnings already shown (`known`) and warnings
    that every row repeats are reported once."""
    from ..compiler import compile_source

    _, rows = read_rows(csv_path)
    prepared = Prepared(rows=len(rows))
    seen_warnings = {(d.code, d.message) for d in known}
    grouped: dict[tuple, list[int]] = {}
    first_row: dict[str, int] = {}
    name = str(csv_path)
    for line, values in rows:
        to = values.pop("to")
        if not to:
            prepared.errors.append(f"{name}:{line}: error: the `to` column is empty")
            prepared.bad_rows.add(line)
            continue
        # Each value knows its row and column, so that a bad one is blamed
        # there rather than on the script line that uses it.
        columns = {Span(name, line, index, line, index + 1): column
                   for index, column in enumerate(values, 1)}
        row_vars = {**variables, **{column: Sourced(values[column], origin)
                                    for origin, column in columns.items()}}
        result = compile_source(source, script_name, variables=row_vars, to=to, config=config)
        for d in result.diagnostics:
            where = _where(d, columns)
            message = _in_csv_terms(d.message, values)
            if d.is_error:
                key = (d.code, message, where)
                grouped.setdefault(key, []).append(line)
                prepared.bad_rows.add(line)
            elif (d.code, message) not in seen_warnings:
                seen_warnings.add((d.code, message))
                prepared.warnings.append(f"{name}:{line}: warning[{d.code}]: {message}{where}")
        if result.payload is None or not result.ok:
            continue
        if "to" not in result.payload:
            prepared.errors.append(f"{name}:{line}: error: the script compiles to a bare plan, "
                                   "not a call")
            prepared.bad_rows.add(line)
            continue
        key = recipient_key(result.payload["to"])
        if key in first_row:
            prepared.errors.append(f"{name}:{line}: error: {key} is already on row "
                                   f"{first_row[key]}; a campaign calls each recipient once")
            prepared.bad_rows.add(line)
            continue
        first_row[key] = line
        prepared.recipients.append(Recipient(line, to, key, result.payload))
    for (code, message, where), lines in grouped.items():
        rows_text = str(lines[0]) if len(lines) == 1 else _row_list(lines)
        prepared.errors.append(f"{name}:{rows_text}: error[{code}]: {message}{where}")
    prepared.errors.sort(key=_error_order)
    return prepared


def _where(diagnostic, columns: dict) -> str:
    """Where a row's diagnostic points, after its message: the column whose
    value is at fault and the script line that uses it, or the script line."""
    span = diagnostic.span
    if span in columns:
        if not diagnostic.related:  # a column no placeholder uses: the message says so
            return ""
        used = diagnostic.related[0].span
        return f" (column `{columns[span]}`, used at {used.file}:{used.line}:{used.column})"
    if span.file in ("--to", "--var"):
        return ""
    return f" ({span.file}:{span.line}:{span.column})"


def _in_csv_terms(message: str, columns: dict[str, str]) -> str:
    """The compiler speaks of --var; a campaign's values come from columns."""
    for column in columns:
        unused = f"--var {column} is not used by any placeholder"
        if message == unused:
            return f"column '{column}' is not used by any placeholder"
    if message.startswith("no value for {"):
        return message + " (add a column of that name, or pass --var)"
    return message


def _row_list(lines: list[int]) -> str:
    shown = ",".join(str(n) for n in lines[:5])
    return f"{shown},… ({len(lines)} rows)" if len(lines) > 5 else shown


def _error_order(text: str) -> int:
    try:
        return int(text.split(":")[1].split(",")[0])
    except (IndexError, ValueError):
        return 0


def script_digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


# --- progress ----------------------------------------------------------------------------------

class Progress:
    """A bar with count, rate and ETA on a terminal; one line per row otherwise."""

    def __init__(self, total: int, stream: IO[str], *, tty: bool | None = None,
                 expected_rate: float = 1.0) -> None:
        self.total = total
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.expected_rate = expected_rate
        self.done = 0
        self.counts = {"placed": 0, "failed": 0, "unknown": 0}
        self.started = time.monotonic()
        self._drawn = False

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def note(self, text: str) -> None:
        if self.tty and self._drawn:
            self._write("\r\x1b[2K")
        self._write(text + "\n")
        if self.tty:
            self._draw()

    def row(self, recipient: Recipient, outcome: SendOutcome) -> None:
        self.done += 1
        self.counts[outcome.state] = self.counts.get(outcome.state, 0) + 1
        if self.tty:
            self._draw()
            return
        detail = outcome.tracking_id if outcome.state == "placed" else _reason(outcome)
        self._write(f"[{self.done}/{self.total}] row {recipient.row} {recipient.key}: "
                    f"{outcome.state} {detail or ''}".rstrip() + "\n")

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 and self.done else 0.0

    def _draw(self) -> None:
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        rate = self.rate()
        left = self.total - self.done
        eta = left / (rate or self.expected_rate)
        bar = "#" * filled + "-" * (width - filled)
        self._write(f"\r\x1b[2K[{bar}] {self.done}/{self.total}  {rate:.1f}/s  "
                    f"ETA {_clock(eta)}  placed {self.counts['placed']}  "
                    f"failed {self.counts['failed']}  unknown {self.counts['unknown']}")
        self._drawn = True

    def finish(self) -> None:
        if self.tty and self._drawn:
            self._write("\n")
            self._drawn = False


def _clock(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _reason(outcome: SendOutcome | Entry) -> str:
    parts = []
    if outcome.http_status:
        parts.append(f"HTTP {outcome.http_status}")
    if outcome.error_code:
        parts.append(f"({outcome.error_code})")
    text = " ".join(parts)
    if outcome.message:
        text = f"{text}: {outcome.message}" if text else outcome.message
    if outcome.properties:
        text += " [" + "; ".join(f"{k}: {v}" for k, v in outcome.properties.items()) + "]"
    return text


# --- the campaign ------------------------------------------------------------------------------

@dataclass
class CampaignResult:
    recipients: list[Recipient]
    entries: dict[str, Entry]
    stopped: str | None = None       # why the run ended early, if it did
    #: The run stopped because Routee refused the credentials: the user must
    #: fix them (a usage problem, as for a single call), not just re-run.
    credentials_refused: bool = False

    def state_of(self, recipient: Recipient) -> str:
        entry = self.entries.get(recipient.key)
        return entry.state if entry else NOT_SENT

    def counts(self) -> dict[str, int]:
        counts = {"placed": 0, "failed": 0, "unknown": 0, NOT_SENT: 0}
        for recipient in self.recipients:
            state = self.state_of(recipient)
            counts[state] = counts.get(state, 0) + 1
        return counts

    @property
    def complete(self) -> bool:
        return all(self.state_of(r) == "placed" for r in self.recipients)


class Campaign:
    def __init__(self, recipients: list[Recipient], client: RouteeClient, journal: Journal, *,
                 policy: RetryPolicy = RetryPolicy(), retry_unknown: bool = False,
                 stopper: Stopper | None = None, progress: Progress | None = None,
                 note: Callable[[str], Any] | None = None) -> None:
        self.recipients = recipients
        self.client = client
        self.journal = journal
        self.policy = policy
        self.retry_unknown = retry_unknown
        self.stopper = stopper or Stopper()
        self.progress = progress
        self._note = note or (progress.note if progress else (lambda text: None))
        self._rng = random.Random()

    def to_do(self) -> list[Recipient]:
        """The rows to send, as the journal reads now. Each is read again,
        and claimed, just before it is sent (`Journal.claim`)."""
        entries = self.journal.entries()
        return [r for r in self.recipients if may_send(entries.get(r.key), self.retry_unknown)]

    def resume(self) -> None:
        """Settle what an earlier run left, and pace the first request after it."""
        stranded = self.journal.recover()
        for entry in stranded:
            self._note(f"row {entry.row} {entry.recipient}: the last run ended while its "
                       "request was in flight; it is now `unknown`")
        last = time.time() if stranded else self.journal.last_activity()
        if last is not None:
            limiter = self.client.limiter
            limiter.hold_until(time.monotonic() + (last + limiter.window - time.time()))

    def run(self) -> CampaignResult:
        self.resume()
        todo = self.to_do()
        if self.progress:
            self.progress.total = len(todo)
        stopped, refused = None, False
        for recipient in todo:
            if self.stopper.requested:
                stopped = "stopped by the user"
                break
            try:
                self._call(recipient)
            except Interrupted:
                stopped = "stopped by the user"
                break
            except AuthError as error:
                stopped, refused = error.developer_message, True
                break
            except GaveUp as error:
                stopped = f"cannot reach Routee: {error}"
                break
        if self.progress:
            self.progress.finish()
        return CampaignResult(self.recipients, self.journal.entries(), stopped, refused)

    def _call(self, recipient: Recipient) -> None:
        claimed, previous = self.journal.claim(recipient.key, recipient.row,
                                               retry_unknown=self.retry_unknown)
        if not claimed:
            # Settled since the to-do list was read: sending it could ring twice.
            state = previous.state if previous else "gone"
            self._note(f"row {recipient.row} {recipient.key}: already {state} in the journal; "
                       "not sent")
            if self.progress:
                self.progress.total -= 1
            return
        retries = 0

        def on_retry(attempt: int, delay: float, reason: str) -> None:
            nonlocal retries
            retries = attempt
            self._note(f"row {recipient.row} {recipient.key}: {reason}; trying again in "
                       f"{delay:.1f} s (attempt {attempt + 1} of {self.policy.attempts})")

        try:
            outcome = send_with_retries(self.client, recipient.payload, self.policy,
                                        wait=self.stopper.wait, on_retry=on_retry, rng=self._rng)
        except (Interrupted, AuthError, GaveUp) as error:
            # None of this row's requests placed a call: as if it had not been tried.
            attempts = getattr(error, "attempts", retries)
            self.journal.restore(recipient.key, previous, attempts=attempts)
            raise
        if outcome.state == "placed":
            self.journal.mark_placed(recipient.key, outcome.tracking_id or "",
                                     attempts=outcome.attempts)
        elif outcome.state == "unknown":
            self.journal.mark_unknown(recipient.key, outcome.message or "", attempts=outcome.attempts)
        else:
            self.journal.mark_failed(recipient.key, outcome.message or "",
                                     attempts=outcome.attempts, http_status=outcome.http_status,
                                     error_code=outcome.error_code,
                                     properties=outcome.properties, retryable=outcome.retryable)
        if self.progress:
            self.progress.row(recipient, outcome)


# --- after the run ---------------------------------------------------------------------------

def summary(result: CampaignResult, *, limit: int = 20) -> str:
    counts = result.counts()
    lines = ["", f"{'state':<10} {'rows':>6}"]
    for state in ("placed", "failed", "unknown", NOT_SENT):
        lines.append(f"{state:<10} {counts.get(state, 0):>6}")
    lines.append(f"{'total':<10} {len(result.recipients):>6}")
    by_state: dict[str, list[tuple[Recipient, Entry]]] = {"failed": [], "unknown": []}
    for recipient in result.recipients:
        entry = result.entries.get(recipient.key)
        if entry and entry.state in by_state:
            by_state[entry.state].append((recipient, entry))
    if by_state["failed"]:
        reasons: dict[str, int] = {}
        for _, entry in by_state["failed"]:
            reasons[_reason(entry)] = reasons.get(_reason(entry), 0) + 1
        lines += ["", "failed, by reason:"]
        for reason, number in sorted(reasons.items(), key=lambda item: -item[1]):
            lines.append(f"  {number:>6}  {reason}")
        lines += _listing(by_state["failed"], limit)
    if by_state["unknown"]:
        lines += ["", "unknown: these requests may have reached Routee, so they were not sent "
                      "again; `--retry-unknown` sends them again (the phone may ring twice):"]
        lines += _listing(by_state["unknown"], limit)
    if counts.get(NOT_SENT):
        lines += ["", f"{counts[NOT_SENT]} rows not sent yet: run the same command again to "
                      "go on"]
    return "\n".join(lines)


def _listing(rows: list[tuple[Recipient, Entry]], limit: int) -> list[str]:
    lines = [f"  row {r.row:<6} {r.key:<20} {_reason(e)}" for r, e in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"  … and {len(rows) - limit} more (--report lists every row)")
    return lines


def write_report(path: Path, result: CampaignResult) -> None:
    """One line per recipient of the CSV, in its order, written atomically."""
    import json
    from datetime import datetime, timezone

    from ..files import write_output

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(REPORT_COLUMNS)
    for recipient in result.recipients:
        entry = result.entries.get(recipient.key)
        if entry is None:
            writer.writerow([recipient.row, recipient.key, NOT_SENT, "", "", "", "", "", 0, ""])
            continue
        writer.writerow([
            recipient.row, recipient.key, entry.state, entry.tracking_id or "",
            entry.http_status or "", entry.error_code or "", entry.message or "",
            json.dumps(entry.properties, ensure_ascii=False, sort_keys=True)
            if entry.properties else "",
            entry.attempts,
            datetime.fromtimestamp(entry.updated_at, timezone.utc).isoformat(timespec="seconds")])
    write_output(path, buffer.getvalue(), private=True)  # phone numbers: for its owner only


def format_request(request: Any) -> str:
    """An httpx request as it goes on the wire, with the token redacted."""
    lines = [f"{request.method} {request.url} HTTP/1.1"]
    for name, value in request.headers.items():
        if name.lower() == "authorization":
            scheme = value.split(" ", 1)[0]
            value = f"{scheme} {REDACTED}"
        lines.append(f"{_header_case(name)}: {value}")
    body = request.content.decode("utf-8")
    return "\n".join(lines) + "\n\n" + body


def _header_case(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def default_journal(csv_path: Path) -> Path:
    return csv_path.with_name(csv_path.name + ".journal.sqlite")


__all__ = ["Campaign", "CampaignResult", "GaveUp", "Interrupted", "Prepared", "Progress",
           "Recipient", "RecipientsError", "RetryPolicy", "SendOutcome", "Stopper",
           "default_journal", "format_request", "prepare", "send_with_retries", "summary",
           "wait_for_final", "write_report"]
