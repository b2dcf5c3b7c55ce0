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

Outcomes: each placed call is followed on Routee's tracking endpoint by a
`Follower` (a few threads, on a client and a pace of their own, so the
placing never waits for them) until its status is final; what it learns
is journalled by the campaign's own thread. `--retries` calls a recipient
again after a Busy or NoAnswer (`journal.next_send`), `--calling-hours`
holds a row until its recipient's local time is inside the window
(`hours.py`). The campaign's clock (`clock`, wall-clock seconds) decides
both, and can be given.
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import io
import queue
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
from .client import REDACTED, ApiError, AuthError, MaybeSent, NotSent, RouteeClient
from .hours import CallingHours, local_text, utc_text
from .journal import OUTCOME_STATUSES, Entry, Journal, Reading, SendRule, next_send
from .tracking import DEADLINE_MARGIN, PollPolicy, call_deadline, read_tracking

FINAL_STATUSES = routee.FINAL_STATUSES
NOT_SENT = "not sent"
REPORT_COLUMNS = ("row", "to", "attempt", "state", "status", "answered_by", "duration", "price",
                  "collected_tones", "message_id", "tracking_id", "http_status", "error_code",
                  "message", "properties", "requests", "updated_at")
#: The outcome lines of the summary, in order; the first five are always shown.
OUTCOMES = ("answered by a person", "answered by a machine", "busy", "no answer", "failed",
            "answered, by whom unknown", "outcome unknown", "still open", "not placed",
            NOT_SENT)


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


def written_key(to: str) -> str:
    """The recipient a `to` cell names, as `recipient_key` would give it
    once compiled (numbers in E.164), read without compiling; "" if empty."""
    text = to.strip()
    if text.startswith(("sip:", "viber:")):
        kind, _, rest = text.partition(":")
        return f"{kind}:{rest.strip()}"
    compact = "".join(ch for ch in text if ch not in " -.()")
    if compact.startswith("+"):
        import phonenumbers

        try:
            number = phonenumbers.parse(compact, None)
        except phonenumbers.NumberParseException:
            return compact
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return compact


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
    name = str(csv_path)
    # Before compiling: an error every row shares (a placeholder without a
    # column) must not hide that a recipient is on two rows.
    first_row: dict[str, int] = {}
    for line, values in rows:
        key = written_key(values.get("to", ""))
        if not key:
            continue
        if key in first_row:
            prepared.errors.append(f"{name}:{line}: error: {key} is already on row "
                                   f"{first_row[key]}; a campaign calls each recipient once")
            prepared.bad_rows.add(line)
        else:
            first_row[key] = line
    first_row = {}
    for line, values in rows:
        to = values.pop("to")
        if not to:
            prepared.errors.append(f"{name}:{line}: error: the `to` column is empty")
            prepared.bad_rows.add(line)
            continue
        if line in prepared.bad_rows:
            continue                     # a second row of a recipient: reported above
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

    def outcome(self, recipient: Recipient, entry: Entry) -> None:
        """A followed call has ended (one line each, off a terminal)."""
        if not self.tty:
            self._write(f"row {recipient.row} {recipient.key}: {describe_outcome(entry)}\n")

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


def describe_outcome(entry: Entry) -> str:
    """`Completed (attempt 1): answered by HUMAN, 30 s, price 0.025, keys 12`."""
    if entry.outcome_unknown:
        return f"outcome unknown (attempt {entry.attempt}): {entry.message or ''}".rstrip(": ")
    parts = []
    if entry.answered_by and entry.status in ("Completed", "Terminated"):
        parts.append(f"answered by {entry.answered_by}")
    if entry.duration:
        parts.append(f"{entry.duration} s")
    if entry.price:
        parts.append(f"price {entry.price:g}")
    if entry.collected_tones:
        parts.append(f"keys {entry.collected_tones}")
    return f"{entry.status} (attempt {entry.attempt})" + (": " + ", ".join(parts) if parts
                                                          else "")


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


# --- following placed calls ---------------------------------------------------------------

@dataclass(frozen=True)
class FollowPolicy:
    """How placed calls are followed: the first look `first` seconds after
    placing, then less and less often (×`factor`, at most every `cap`
    seconds), by `workers` threads at once. A call is given up on (its
    outcome unknown) once it is older than its hangupDelay + maxDuration +
    `margin` and this run has looked at it at least `min_looks` times."""

    first: float = 0.5
    factor: float = PollPolicy.factor
    cap: float = PollPolicy.cap
    workers: int = 4
    margin: float = DEADLINE_MARGIN
    min_looks: int = 3
    page_size: int | None = None


def call_limit(payload: dict[str, Any], margin: float) -> float:
    """Seconds after placing by which a call has surely ended (as `--wait`
    reckons it: tracking.call_deadline)."""
    return call_deadline(payload, margin=margin).seconds


def read_legs(client: RouteeClient, tracking_id: str, to: str, page_size: int | None = None
              ) -> Reading:
    """Every page of a call's legs on the tracking endpoint, read as one
    outcome: the recipient's leg gives the status, answeredBy, duration,
    keys and messageId; the price is that of every leg."""
    tracking = read_tracking(client, tracking_id, page_size=page_size)
    mine = tracking.main(to)
    if mine is None:
        return Reading(None, False)
    price = sum(float(leg.price or 0) for leg in tracking.legs)
    return Reading(mine.status, mine.status in OUTCOME_STATUSES,
                   answered_by=mine.answered_by,
                   duration=int(mine.duration) if mine.duration is not None else None,
                   price=round(price, 6), collected_tones=mine.collected_tones,
                   message_id=mine.message_id or None)


@dataclass(order=True)
class _Watch:
    due: float                                   # time.monotonic()
    seq: int
    recipient: str = field(compare=False)
    attempt: int = field(compare=False)
    tracking_id: str = field(compare=False)
    deadline: float = field(compare=False)       # the campaign's clock
    delay: float = field(compare=False)
    looks: int = field(default=0, compare=False)
    last: str | None = field(default=None, compare=False)
    problem: str | None = field(default=None, compare=False)
    refusals: int = field(default=0, compare=False)     # 4xx answers in a row


class Follower:
    """Threads that follow placed calls on the tracking endpoint and hand
    what they learn to the campaign's thread (`readings`), which alone
    writes the journal. A GET changes nothing at Routee: whatever goes
    wrong, asking again is safe."""

    def __init__(self, client: RouteeClient, policy: FollowPolicy,
                 clock: Callable[[], float]) -> None:
        self.client = client
        self.policy = policy
        self.clock = clock
        self._heap: list[_Watch] = []
        self._cond = threading.Condition()
        self._results: queue.Queue = queue.Queue()
        self._open = 0
        self._seq = 0
        self._stopping = False
        self._token_lock = threading.Lock()
        self._threads = [threading.Thread(target=self._work, daemon=True,
                                          name=f"follower-{n}")
                         for n in range(max(1, policy.workers))]
        for thread in self._threads:
            thread.start()

    def watch(self, recipient: str, attempt: int, tracking_id: str, deadline: float) -> None:
        with self._cond:
            self._seq += 1
            self._open += 1
            heapq.heappush(self._heap, _Watch(time.monotonic() + self.policy.first, self._seq,
                                              recipient, attempt, tracking_id, deadline,
                                              self.policy.first))
            self._cond.notify()

    @property
    def busy(self) -> bool:
        """Calls still followed, or readings not yet taken."""
        with self._cond:
            return self._open > 0 or not self._results.empty()

    def ready(self) -> bool:
        return not self._results.empty()

    def readings(self) -> list[tuple[str, int, Reading | None, Exception | None]]:
        """What was learnt since the last call: (recipient, attempt,
        reading, None), or (…, None, AuthError) when Routee refused us."""
        found = []
        while True:
            try:
                found.append(self._results.get_nowait())
            except queue.Empty:
                return found

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=self.client_timeout())

    def client_timeout(self) -> float:
        return 5.0

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and \
                        (not self._heap or self._heap[0].due > time.monotonic()):
                    timeout = self._heap[0].due - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._stopping:
                    return
                item = heapq.heappop(self._heap)
            try:
                self._look(item)
            except Exception as error:  # noqa: BLE001 - handed to the campaign's thread
                if self._stopping:
                    return                       # the client was closed under the request
                # A bug: the campaign must not wait for this call forever.
                self._finish(item, None, error)

    def _look(self, item: _Watch) -> None:
        item.looks += 1
        retry_after = None
        try:
            with self._token_lock:
                # One thread fetches the token, the others then share it.
                self.client.token()
            reading = read_legs(self.client, item.tracking_id, item.recipient,
                                self.policy.page_size)
            item.problem = None
        except AuthError as error:
            self._finish(item, None, error)
            return
        except ApiError as error:
            reading, item.problem, retry_after = None, error.describe(), error.retry_after
            # A refusal that will not pass (a 404: no such trackingId) is
            # given up on after a few looks, not at the call's deadline.
            item.refusals = 0 if error.transient else item.refusals + 1
        except (NotSent, MaybeSent) as error:
            reading, item.problem = None, str(error)
        except Interrupted:
            return                               # the run is stopping: the call stays open
        if reading is not None and reading.final:
            self._finish(item, reading)
            return
        if reading is not None:
            item.refusals = 0
        if reading is not None and reading.status != item.last:
            item.last = reading.status
            self._results.put((item.recipient, item.attempt, reading, None))
        if (self.clock() > item.deadline and item.looks >= self.policy.min_looks) or \
                item.refusals >= self.policy.min_looks:
            why = item.problem or f"still {item.last or 'without a status'} after the call's " \
                                  "hangupDelay and maxDuration"
            last = reading or Reading(item.last, False)
            self._finish(item, Reading(last.status, True, last.answered_by, last.duration,
                                       last.price, last.collected_tones, last.message_id,
                                       note=f"gave up following: {why}"))
            return
        item.delay = min(self.policy.cap, item.delay * self.policy.factor)
        with self._cond:
            item.due = time.monotonic() + max(item.delay, retry_after or 0.0)
            heapq.heappush(self._heap, item)
            self._cond.notify()

    def _finish(self, item: _Watch, reading: Reading | None,
                error: Exception | None = None) -> None:
        self._results.put((item.recipient, item.attempt, reading, error))
        with self._cond:
            self._open -= 1


class SharedPace:
    """The follower's pace: at most `rate` requests a second, `in_flight`
    at once (a `RateLimiter` holds one request at a time; the follower's
    threads share this one)."""

    def __init__(self, rate: float, in_flight: int) -> None:
        self.spacing = 1.0 / rate
        self.window = max(1.0, 1.0 / rate)
        self._slots = threading.BoundedSemaphore(max(1, in_flight))
        self._lock = threading.Lock()
        self._next = 0.0

    def acquire(self, wait: Callable[[float], Any] | None = None) -> None:
        self._slots.acquire()
        try:
            with self._lock:
                start = max(time.monotonic(), self._next)
                self._next = start + self.spacing
            delay = start - time.monotonic()
            if delay > 0:
                (wait or time.sleep)(delay)
        except BaseException:
            self._slots.release()
            raise

    def release(self) -> None:
        self._slots.release()


# --- the campaign ------------------------------------------------------------------------------

@dataclass
class CampaignResult:
    recipients: list[Recipient]
    entries: dict[str, Entry]               # the last attempt of each recipient
    stopped: str | None = None       # why the run ended early, if it did
    #: The run stopped because Routee refused the credentials: the user must
    #: fix them (a usage problem, as for a single call), not just re-run.
    credentials_refused: bool = False
    history: dict[str, list[Entry]] = field(default_factory=dict)   # every attempt
    followed: bool = True

    def state_of(self, recipient: Recipient) -> str:
        entry = self.entries.get(recipient.key)
        return entry.state if entry else NOT_SENT

    def counts(self) -> dict[str, int]:
        counts = {"placed": 0, "failed": 0, "unknown": 0, NOT_SENT: 0}
        for recipient in self.recipients:
            state = self.state_of(recipient)
            counts[state] = counts.get(state, 0) + 1
        return counts

    def outcome_of(self, recipient: Recipient) -> str:
        """The line of the summary's outcome table a recipient counts on."""
        entry = self.entries.get(recipient.key)
        if entry is None:
            return NOT_SENT
        if entry.state in ("failed",):
            return "not placed"
        if entry.state != "placed" or entry.outcome_unknown:
            return "outcome unknown"
        if not entry.final:
            return "still open"
        if entry.status in ("Completed", "Terminated"):
            return {"HUMAN": "answered by a person", "MACHINE": "answered by a machine"}.get(
                entry.answered_by or "", "answered, by whom unknown")
        return {"Busy": "busy", "NoAnswer": "no answer"}.get(entry.status or "", "failed")

    def outcomes(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for recipient in self.recipients:
            counts[self.outcome_of(recipient)] += 1
        return counts

    def attempts(self) -> list[Entry]:
        return [entry for recipient in self.recipients
                for entry in self.history.get(recipient.key, [])]

    def total_price(self) -> float:
        return round(sum(e.price or 0.0 for e in self.attempts()), 6)

    @property
    def complete(self) -> bool:
        """Every row placed, and (when followed) its outcome learnt."""
        return all(self.state_of(r) == "placed" and
                   (self.entries[r.key].final or not self.followed) for r in self.recipients)


class Campaign:
    def __init__(self, recipients: list[Recipient], client: RouteeClient, journal: Journal, *,
                 policy: RetryPolicy = RetryPolicy(), retry_unknown: bool = False,
                 stopper: Stopper | None = None, progress: Progress | None = None,
                 note: Callable[[str], Any] | None = None,
                 retries: int = 0, retry_after: float = 0.0,
                 hours: CallingHours | None = None,
                 follow: FollowPolicy | None = FollowPolicy(),
                 tracker: RouteeClient | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        """`retries`, `retry_after`: calls again after Busy or NoAnswer;
        `hours`: rows held until inside their calling hours; `follow`: how
        placed calls are followed (None: not at all), on `tracker` (a
        client of its own, so that following never takes the placing's
        turn; default: `client`); `clock`: the wall clock (time.time())
        that calling hours and retry times are read on."""
        self.recipients = recipients
        self.client = client
        self.journal = journal
        self.policy = policy
        self.retry_unknown = retry_unknown
        self.rule = SendRule(retries=retries, retry_after=retry_after,
                             retry_unknown=retry_unknown)
        self.hours = hours
        self.follow = follow
        self.tracker = tracker or client
        self.clock = clock
        self.stopper = stopper or Stopper()
        self.progress = progress
        self._note = note or (progress.note if progress else (lambda text: None))
        self._rng = random.Random()
        self._index = {r.key: i for i, r in enumerate(recipients)}
        self._by_key = {r.key: r for r in recipients}
        self._queue: list[tuple[float, int]] = []     # (not before, index): heap
        self._queued: set[int] = set()
        self._follower: Follower | None = None
        self._history: dict[str, list[Entry]] = {}
        self._held_note: tuple | None = None

    def to_do(self) -> list[Recipient]:
        """The rows that may be sent a request now, as the journal reads.
        Each is read again, and claimed, just before it is sent
        (`Journal.claim`)."""
        history = self.journal.history()
        now = self.clock()
        return [r for r in self.recipients
                if (lambda when: when is not None and when <= now)(
                    next_send(history.get(r.key, []), self.rule))]

    def resume(self) -> None:
        """Settle what an earlier run left, and pace the first request after it."""
        stranded = self.journal.recover()
        for entry in stranded:
            self._note(f"row {entry.row} {entry.recipient}: the last run ended while its "
                       "request was in flight; it is now `unknown`")
        last = time.time() if stranded else self.journal.last_activity()
        if last is not None:
            limiter = self.client.limiter
            hold = getattr(limiter, "hold_until", None)
            if hold is not None:
                hold(time.monotonic() + (last + limiter.window - time.time()))

    def run(self) -> CampaignResult:
        self.resume()
        self._history = self.journal.history()
        if self.follow is not None:
            self._follower = Follower(self.tracker, self.follow, self.clock)
            reopened = 0
            for entry in self.journal.open_attempts():
                recipient = self._by_key.get(entry.recipient)
                if recipient is not None and entry.tracking_id:
                    self._watch(recipient, entry)
                    reopened += 1
            if reopened:
                self._note(f"following {reopened} {'call' if reopened == 1 else 'calls'} "
                           "placed by an earlier run")
        for recipient in self.recipients:
            self._schedule(recipient, first=True)
        if self.progress:
            self.progress.total = len(self._queued)
        stopped, refused = None, False
        try:
            stopped, refused = self._loop()
        finally:
            if self._follower is not None:
                self._follower.stop()
                try:
                    self._absorb()
                except _Refused:
                    pass
            if self.progress:
                self.progress.finish()
        history = self.journal.history()
        return CampaignResult(self.recipients, {k: v[-1] for k, v in history.items()}, stopped,
                              refused, history, followed=self.follow is not None)

    def _loop(self) -> tuple[str | None, bool]:
        while True:
            try:
                self._absorb()
                if self.stopper.requested:
                    return "stopped by the user", False
                now = self.clock()
                if self._queue and self._queue[0][0] <= now:
                    _, index = heapq.heappop(self._queue)
                    self._queued.discard(index)
                    recipient = self.recipients[index]
                    opens = self.hours.earliest(recipient.key, now) if self.hours else now
                    if opens is None or opens > now:
                        self._hold(recipient, index, opens)
                        continue
                    self._call(recipient)
                    continue
                if not self._queue and not (self._follower and self._follower.busy):
                    return None, False
                self._say_held(now)
                until = self._queue[0][0] - now if self._queue else 0.5
                self._wait(min(max(until, 0.0), 0.5))
            except _Refused as error:
                return str(error), True
            except Interrupted:
                return "stopped by the user", False
            except AuthError as error:
                return error.developer_message, True
            except GaveUp as error:
                return f"cannot reach Routee: {error}", False

    def _wait(self, seconds: float) -> None:
        """Sleep up to `seconds`, waking early for what the follower learnt."""
        deadline = time.monotonic() + seconds
        while True:
            if self.stopper.requested:
                raise Interrupted()
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self._follower and self._follower.ready()):
                return
            self.stopper.event.wait(min(remaining, 0.05))

    def _schedule(self, recipient: Recipient, *, first: bool = False) -> None:
        """Queue a recipient for when `next_send` allows it (a failed
        request that may pass is tried again on the next run only)."""
        index = self._index[recipient.key]
        attempts = self._history.get(recipient.key, [])
        when = next_send(attempts, self.rule)
        if when is None or index in self._queued:
            return
        if not first and attempts and attempts[-1].state != "placed":
            return
        heapq.heappush(self._queue, (when, index))
        self._queued.add(index)
        if not first and self.progress:
            self.progress.total += 1
        if attempts and attempts[-1].state == "placed":
            placed = sum(1 for a in attempts if a.state == "placed")
            self._note(f"row {recipient.row} {recipient.key}: {attempts[-1].status or 'unknown'}"
                       f"; calling again from {utc_text(max(when, self.clock()), seconds=True)} "
                       f"(call {placed + 1} of at most {self.rule.retries + 1})")

    def _hold(self, recipient: Recipient, index: int, opens: float | None) -> None:
        if opens is None:   # checked before the run (`CallingHours.problems`): cannot happen
            raise DialplanError(f"row {recipient.row} {recipient.key}: never inside the "
                                "calling hours")
        zones = self.hours.zones(recipient.key)
        self._note(f"row {recipient.row} {recipient.key}: held by the calling hours "
                   f"{self.hours.window.text} until {utc_text(opens)} "
                   f"({local_text(opens, zones)})")
        heapq.heappush(self._queue, (opens, index))
        self._queued.add(index)

    def _say_held(self, now: float) -> None:
        """Once per change: when the next held row becomes callable."""
        if not self._queue or self._queue[0][0] <= now:
            return
        when, index = self._queue[0]
        key = (when, index, len(self._queue))
        if key == self._held_note:
            return
        self._held_note = key
        recipient = self.recipients[index]
        later = len(self._queue)
        self._note(f"waiting: {later} {'row' if later == 1 else 'rows'} to call later; the "
                   f"next, row {recipient.row} {recipient.key}, at {utc_text(when, seconds=True)}")

    def _watch(self, recipient: Recipient, entry: Entry) -> None:
        assert self._follower is not None
        placed = entry.placed_at if entry.placed_at is not None else entry.updated_at
        self._follower.watch(recipient.key, entry.attempt, entry.tracking_id or "",
                             placed + call_limit(recipient.payload, self.follow.margin))

    def _absorb(self) -> None:
        """Journal what the follower learnt; queue the retries it allows."""
        if self._follower is None:
            return
        for key, attempt, reading, error in self._follower.readings():
            if isinstance(error, AuthError):
                raise _Refused(error.developer_message)
            if error is not None:
                raise error
            assert reading is not None
            self.journal.record(key, attempt, reading, now=self.clock())
            self._history[key] = self.journal.attempts_of(key)
            recipient = self._by_key[key]
            if reading.final:
                if self.progress:
                    self.progress.outcome(recipient, self._history[key][-1])
                self._schedule(recipient)

    def _call(self, recipient: Recipient) -> None:
        claimed, previous = self.journal.claim(recipient.key, recipient.row, rule=self.rule,
                                               now=self.clock())
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
                                     attempts=outcome.attempts, placed_at=self.clock())
        elif outcome.state == "unknown":
            self.journal.mark_unknown(recipient.key, outcome.message or "", attempts=outcome.attempts)
        else:
            self.journal.mark_failed(recipient.key, outcome.message or "",
                                     attempts=outcome.attempts, http_status=outcome.http_status,
                                     error_code=outcome.error_code,
                                     properties=outcome.properties, retryable=outcome.retryable)
        self._history[recipient.key] = self.journal.attempts_of(recipient.key)
        if outcome.state == "placed" and self._follower is not None:
            self._watch(recipient, self._history[recipient.key][-1])
        if self.progress:
            self.progress.row(recipient, outcome)


class _Refused(DialplanError):
    """Routee refused the follower's credentials."""


# --- after the run ---------------------------------------------------------------------------

def summary(result: CampaignResult, *, limit: int = 20) -> str:
    counts = result.counts()
    lines = ["", f"{'state':<10} {'rows':>6}"]
    for state in ("placed", "failed", "unknown", NOT_SENT):
        lines.append(f"{state:<10} {counts.get(state, 0):>6}")
    lines.append(f"{'total':<10} {len(result.recipients):>6}")
    if result.followed and counts["placed"]:
        outcomes = result.outcomes()
        width = max(len(name) for name in OUTCOMES)
        lines += ["", f"{'outcome':<{width}} {'rows':>6}"]
        for index, name in enumerate(OUTCOMES):
            if index < 5 or (outcomes[name] and name not in ("not placed", NOT_SENT)):
                lines.append(f"{name:<{width}} {outcomes[name]:>6}")
        calls = sum(1 for e in result.attempts() if e.state == "placed")
        lines.append(f"{calls} calls placed in all (retries included); total price "
                     f"{result.total_price():.4f}")
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
    still_open = [r for r in result.recipients if result.outcome_of(r) == "still open"]
    if result.followed and still_open:
        lines += ["", f"{len(still_open)} calls were still being followed: run the same "
                      "command again to learn their outcome (they are not placed again)"]
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
    """One line per attempt (one per recipient not tried yet), in the
    order of the CSV, written atomically."""
    import json
    from datetime import datetime, timezone

    from ..files import write_output

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(REPORT_COLUMNS)
    for recipient in result.recipients:
        attempts = result.history.get(recipient.key) or \
            ([result.entries[recipient.key]] if recipient.key in result.entries else [])
        if not attempts:
            writer.writerow([recipient.row, recipient.key, "", NOT_SENT] +
                            [""] * (len(REPORT_COLUMNS) - 6) + [0, ""])
            continue
        for entry in attempts:
            writer.writerow([
                recipient.row, recipient.key, entry.attempt, entry.state, entry.status or "",
                entry.answered_by or "", "" if entry.duration is None else entry.duration,
                "" if entry.price is None else f"{entry.price:g}", entry.collected_tones or "",
                entry.message_id or "", entry.tracking_id or "",
                entry.http_status or "", entry.error_code or "", entry.message or "",
                json.dumps(entry.properties, ensure_ascii=False, sort_keys=True)
                if entry.properties else "",
                entry.requests,
                datetime.fromtimestamp(entry.updated_at, timezone.utc).isoformat(
                    timespec="seconds")])
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
           "FollowPolicy", "Follower", "SharedPace", "call_limit", "read_legs",
           "default_journal", "format_request", "prepare", "send_with_retries", "summary",
           "write_report", "written_key"]
