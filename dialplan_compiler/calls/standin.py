"""A local stand-in for Routee's Voice API, for tests and for trying things out.

A real HTTP server on 127.0.0.1 (the standard library's ThreadingHTTPServer,
so that this module controls the sockets and can break them on purpose).
It follows /work/shared/ROUTEE.md (the project's notes on Routee's public
documentation); what Routee documents and what this module assumes:

    POST /oauth/token                      client credentials (HTTP Basic) → a token
                                           {access_token, token_type, expires_in, scope,
                                           permissions}                       (documented)
    POST /voice/conversation               validates the body against the project's
                                           schemas; answers the conversation as created
                                           (trackingId, from, to, dialPlan…, createdAt),
                                           with no status                     (documented)
    GET  /voice/conversation/{trackingId}  the conversation as created, no status (documented)
    GET  /voice/tracking/conversation/{trackingId}?page=N&size=M
                                           a page (content[], first, last, number,
                                           numberOfElements, size, totalElements,
                                           totalPages) of the call's legs     (documented;
                                           pages numbered from 0, size 20: assumed)
    GET  /voice/tracking/{messageId}       one leg                            (documented)
    PUT  /voice/conversation/{messageId}   {"action": "hangup"} (InProgress only) or
                                           {"action": "reject"} (Initiated/Ringing only) →
                                           {messageId, message, createdAt}; 404 for an
                                           unknown id (a trackingId is one), 400 for a
                                           leg that is not active             (documented;
                                           which of 400/404 when: assumed)

A leg is `{messageId, conversationTrackingId, from, to, direction,
originatingService, country, status: {status, date}, duration, price,
chargeInterval, recordings, collectedTones, answeredBy}`; its messageId is a
uuid of its own, never the trackingId (documented). A call whose plan has a
DIAL verb gets a second leg, to the dialled number, once it is answered
(assumed). Statuses advance with time (`progress`, divided by `speed`):

    Queued → Initiated → Ringing → InProgress → Completed      answered (documented names)
    Queued → Initiated → Ringing → Busy | NoAnswer              not answered
    Queued → Initiated → Failed,  Queued → Unsent               (where they stop: assumed)
    … → Terminated                                              hung up or rejected (PUT)

A call that ends Busy, NoAnswer, Failed or Unsent never runs its dialplan
(documented). The outcome is chosen per recipient and per attempt
(`outcomes`, `Outcome`: status, answeredBy, the keys pressed, duration); the
default is Completed, answered by a HUMAN. Duration and price are 0 until the
call ends; then price = duration rounded up to `charge_interval` seconds ×
`price_per_minute` (the amounts, the rounding and the units are assumed).

`callback.url` is POSTed `{messageId, conversationTrackingId, to, from,
status: {name, updatedDate}, direction, originatingService,
respectQuietHours, duration, price}`: at every status change with
`OnChange`, once at the final status with `OnCompletion` (documented).
Only loopback URLs are ever called (`loopback_only`); others are noted in
`AcceptedCall.events` and skipped.

Errors are `{"code": "<HTTP status>013<number>", "developerMessage": …,
"properties": {…}}` (the shape is observed, the numbers are the stand-in's
own, see ERRORS).

With `execute=True` it also runs each answered call's dialplan, through the
same engine as `dialplan simulate` (`menus/engine.py`): it fetches a
`dialPlanUrl`, calls COLLECT eventUrls with the keys scripted for the
recipient (`Outcome.keys`, or `callers`) over real HTTP, as Routee does,
waiting at most 3 s for an answer, and applies the plan answered; a call
answered by a MACHINE (or a recipient in `machines`) calls the
machine-detection eventUrl first. The call stays InProgress while its plan
runs. What the call did is in `AcceptedCall.events` (and `AcceptedCall.transcript`).

Faults are injected on `POST /voice/conversation`, at random (seeded) or
from a script: 500s, 429 with Retry-After, slow answers, connections dropped
before the request is read (no call) or after it is read (the call *is*
placed; only the answer is lost); `rate_limit` answers 429 with Retry-After
to the POSTs beyond that many in a second (Routee documents at most 1 a
second, not what happens beyond it: assumed). Tokens can be made to expire
after a time or a number of uses. Everything it sees is logged: `requests`
(every request with its arrival time, to check pacing) and `calls` (every
call it accepted, to prove that no phone was called twice).

    with Standin(credentials={"app": "s3cret"}, outcomes={"+306900000001": "NoAnswer"}) as routee:
        ... dialplan call --api-url {routee.url} --auth-url {routee.url} ...
        assert routee.duplicates() == {}

`tracking_faults` scripts the answers to the tracking GETs, one entry per
request ("429" with Retry-After, "500", "ok"), to try a follower's manners.

Run `python -m dialplan_compiler.calls.standin --help` for the command line.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import random
import secrets
import socket
import struct
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence, Union
from urllib.parse import parse_qs, unquote, urlsplit

from .. import routee

TOKEN_PATH = "/oauth/token"
CONVERSATION_PATH = "/voice/conversation"
TRACKING_PATH = "/voice/tracking"
TRACKING_CONVERSATION_PATH = "/voice/tracking/conversation"
ACTIVE_STATUSES = routee.ACTIVE_STATUSES
FINAL_STATUSES = routee.FINAL_STATUSES
#: Outcomes in which the call is answered (and its plan runs).
ANSWERED = ("Completed", "Terminated")
OUTCOMES = ("Completed", "Busy", "NoAnswer", "Failed", "Unsent", "Terminated")
ANSWERED_BY = routee.ANSWERED_BY
DEFAULT_PAGE_SIZE = 20

#: What a call goes through when it is answered and ends normally: each
#: status with the seconds after the call was accepted when it begins.
DEFAULT_PROGRESS: tuple[tuple[str, float], ...] = (
    ("Queued", 0.0), ("Initiated", 0.1), ("Ringing", 0.2), ("InProgress", 0.3),
    ("Completed", 0.4))

#: The stand-in's error numbers (Routee's are not published): (HTTP status, number).
ERRORS = {
    "validation": (400, 1), "json": (400, 2), "action": (400, 3), "not-active": (400, 4),
    "unauthorized": (401, 1), "no-resource": (404, 1), "not-found": (404, 2),
    "method": (405, 1), "throttled": (429, 1), "internal": (500, 1),
}

# Fault names, for `Faults.script`.
OK = "ok"
ERROR_500 = "500"
THROTTLE_429 = "429"
SLOW = "slow"
DROP_BEFORE_READ = "drop-before-read"
DROP_AFTER_READ = "drop-after-read"
FAULTS = (OK, ERROR_500, THROTTLE_429, SLOW, DROP_BEFORE_READ, DROP_AFTER_READ)


@dataclass
class Faults:
    """Which `POST /voice/conversation` requests go wrong. `script` is used
    first, one entry per request; then each request draws at random."""

    error_rate: float = 0.0           # answered 500, no call
    throttle_rate: float = 0.0        # answered 429 with Retry-After, no call
    slow_rate: float = 0.0            # the call is placed, the answer comes `slow_seconds` late
    drop_before_read_rate: float = 0.0  # the connection is reset unread, no call
    drop_after_read_rate: float = 0.0   # the call is placed, the connection closed unanswered
    slow_seconds: float = 2.0
    retry_after: int = 1
    seed: int | None = 0
    script: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in self.script:
            if name not in FAULTS:
                raise ValueError(f"unknown fault {name!r}; the faults are {', '.join(FAULTS)}")
        self._random = random.Random(self.seed)

    def draw(self) -> str:
        if self.script:
            return self.script.pop(0)
        r = self._random.random()
        for name, rate in ((ERROR_500, self.error_rate), (THROTTLE_429, self.throttle_rate),
                           (SLOW, self.slow_rate), (DROP_BEFORE_READ, self.drop_before_read_rate),
                           (DROP_AFTER_READ, self.drop_after_read_rate)):
            if r < rate:
                return name
            r -= rate
        return OK


@dataclass(frozen=True)
class Outcome:
    """How one attempt to call a recipient turns out. `keys` are the key
    presses of the caller, as `dialplan simulate --press` takes them (None:
    those of `callers`); `duration` is the seconds billed when answered
    (None: the stand-in's `default_duration`)."""

    status: str = "Completed"
    answered_by: str = "HUMAN"
    keys: tuple[str, ...] | None = None
    duration: int | None = None

    def __post_init__(self) -> None:
        if self.status not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.status!r}; the outcomes are "
                             f"{', '.join(OUTCOMES)}")
        if self.answered_by not in ANSWERED_BY:
            raise ValueError(f"unknown answeredBy {self.answered_by!r}; it is one of "
                             f"{', '.join(ANSWERED_BY)}")
        if self.duration is not None and self.duration < 0:
            raise ValueError("a duration is at least 0 seconds")
        if self.keys is not None and not isinstance(self.keys, tuple):
            object.__setattr__(self, "keys", tuple(self.keys))

    @property
    def answered(self) -> bool:
        return self.status in ANSWERED


OutcomeSpec = Union[str, Outcome, Sequence[Union[str, Outcome]]]


def as_outcomes(spec: OutcomeSpec) -> tuple[Outcome, ...]:
    """One recipient's outcomes, attempt by attempt (the last one repeats)."""
    items = [spec] if isinstance(spec, (str, Outcome)) else list(spec)
    if not items:
        raise ValueError("an empty sequence of outcomes")
    return tuple(item if isinstance(item, Outcome) else parse_outcome(item) for item in items)


def parse_outcome(text: str) -> Outcome:
    """`Completed`, `Completed:MACHINE`: a status and, optionally, answeredBy."""
    status, _, answered_by = text.strip().partition(":")
    return Outcome(status.strip(), answered_by.strip().upper() or "HUMAN")


def parse_outcome_option(text: str) -> tuple[str, tuple[Outcome, ...]]:
    """`+306900000001=NoAnswer,Completed` → the recipient and its outcomes."""
    recipient, sep, outcomes = text.partition("=")
    if not sep or not recipient.strip() or not outcomes.strip():
        raise ValueError(f"{text!r}: expected RECIPIENT=OUTCOME[,OUTCOME…]")
    return recipient.strip(), as_outcomes(outcomes.split(","))


def load_outcome_file(path: str | Path) -> dict[str, tuple[Outcome, ...]]:
    """Outcomes per recipient from a CSV file (columns `to`, `outcome`, and
    optionally `answeredBy`, `keys` (presses separated by spaces),
    `duration`; a recipient's rows in order are its attempts) or a TOML
    file (`.toml`: a table per recipient with the same keys, `keys` a list,
    or `attempts = [{…}, …]`)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    found: dict[str, list[Outcome]] = {}

    def one(entry: Mapping[str, Any], where: str) -> Outcome:
        keys = entry.get("keys")
        if isinstance(keys, str):
            keys = keys.split() or None  # an empty cell: the keys of `callers`
        duration = entry.get("duration")
        try:
            return Outcome(str(entry.get("outcome") or entry.get("status") or "Completed").strip(),
                           str(entry.get("answeredBy") or "HUMAN").strip().upper(),
                           None if keys is None else tuple(keys),
                           None if duration in (None, "") else int(duration))
        except (ValueError, TypeError) as error:
            raise ValueError(f"{path}: {where}: {error}") from None

    if path.suffix.lower() == ".toml":
        import tomllib
        for recipient, entry in tomllib.loads(text).items():
            if not isinstance(entry, dict):
                raise ValueError(f"{path}: {recipient}: expected a table")
            attempts = entry.get("attempts", [entry])
            found[recipient] = [one(a, recipient) for a in attempts]
    else:
        reader = csv.DictReader(io.StringIO(text))
        for row in reader:
            to = (row.get("to") or "").strip()
            if not to:
                raise ValueError(f"{path}: line {reader.line_num}: no `to`")
            found.setdefault(to, []).append(one(row, f"line {reader.line_num}"))
    return {recipient: tuple(outcomes) for recipient, outcomes in found.items()}


@dataclass
class Token:
    value: str
    application_id: str
    issued_at: float
    uses: int = 0


def timeline_for(progress: tuple[tuple[str, float], ...], outcome: str
                 ) -> tuple[tuple[str, float], ...]:
    """The progress of a call that ends `outcome`: an answered call goes all
    the way (ending `outcome`); Busy and NoAnswer end where it would have been
    answered, Failed where it would have rung, Unsent where it would have
    been initiated (those three: assumed)."""
    names = [name for name, _ in progress]

    def cut_at(*candidates: str) -> int:
        for name in candidates:
            if name in names:
                return max(1, names.index(name))
        return len(progress) - 1

    if outcome in ANSWERED:
        if names[-1] == outcome:
            return progress
        return (*progress[:-1], (outcome, progress[-1][1]))
    cut = {"Failed": cut_at("Ringing", "InProgress"),
           "Unsent": cut_at("Initiated", "Ringing", "InProgress")}.get(outcome,
                                                                       cut_at("InProgress"))
    return (*progress[:cut], (outcome, progress[cut][1]))


@dataclass
class Leg:
    message_id: str
    source: str | None
    to: str | None
    dial: bool = False            # the leg a DIAL verb made
    ended: tuple[str, float] | None = None   # hung up or rejected: (status, elapsed)


@dataclass
class AcceptedCall:
    """One accepted call and how it unfolds. `timeline` holds each status
    with the seconds after `accepted_at` when it begins; `events` is where
    what happens during the call is recorded."""

    tracking_id: str
    recipient: str
    body: dict[str, Any]
    accepted_at: float                # time.monotonic()
    created_at: str                   # ISO 8601, as Routee shows it
    timeline: tuple[tuple[str, float], ...]
    events: list[dict[str, Any]] = field(default_factory=list)
    #: What the caller heard, when the stand-in executes plans.
    transcript: list[str] = field(default_factory=list)
    #: Set when the stand-in executes the call's plan and it has ended.
    finished: threading.Event | None = None
    outcome: Outcome = field(default_factory=Outcome)
    attempt: int = 1                  # the how-manieth call to this recipient
    legs: list[Leg] = field(default_factory=list)
    #: Every callback POSTed: (status name, HTTP status or None).
    callbacks: list[tuple[str, int | None]] = field(default_factory=list)
    collected_tones: str = ""
    duration_billed: int = 0          # seconds, once answered and ended
    finished_after: float | None = None   # elapsed seconds when the plan ended

    def __post_init__(self) -> None:
        if not self.legs:
            self.legs.append(Leg(str(uuid.uuid4()), self.body.get("from"), self.recipient))

    @property
    def message_id(self) -> str:
        """The messageId of the call's first leg."""
        return self.legs[0].message_id

    def history(self, now: float | None = None, leg: Leg | None = None
                ) -> list[tuple[str, float]]:
        """Each status the call (its first leg, or `leg`) has had so far, with
        the seconds after `accepted_at` when it began."""
        elapsed = (time.monotonic() if now is None else now) - self.accepted_at
        first = self.legs[0]
        ended = first.ended
        running = self.finished is not None and not self.finished.is_set()
        seen: list[tuple[str, float]] = []
        for name, start in self.timeline:
            if start > elapsed or (ended is not None and start > ended[1]):
                break
            if name in FINAL_STATUSES:
                if running:
                    break  # still running its plan: InProgress until it ends
                if self.finished_after is not None:
                    start = max(start, self.finished_after)
            seen.append((name, start))
        if ended is not None and (not seen or seen[-1][0] not in FINAL_STATUSES):
            seen.append(ended)
        seen = seen or [self.timeline[0]]
        if leg is None or leg is first:
            return seen
        # A DIAL leg: there once the call is answered, and ends with it.
        answered = [start for name, start in seen if name == "InProgress"]
        if not answered:
            return []
        mine = [("InProgress", answered[0])]
        final = seen[-1]
        if leg.ended is not None and (final[0] not in FINAL_STATUSES or leg.ended[1] < final[1]):
            mine.append(leg.ended)
        elif final[0] in FINAL_STATUSES:
            mine.append(("Completed" if final[0] == "Completed" else "Terminated", final[1]))
        return mine

    def status(self, now: float | None = None) -> str:
        return self.history(now)[-1][0]

    def visible_legs(self, now: float | None = None) -> list[Leg]:
        return [leg for leg in self.legs if self.history(now, leg)]

    def date(self, elapsed: float) -> str:
        created = datetime.fromisoformat(self.created_at)
        return _iso(created + timedelta(seconds=elapsed))

    def answer(self) -> dict[str, Any]:
        """The conversation as created (POST and GET /voice/conversation)."""
        answer = {"trackingId": self.tracking_id, "direction": "Outbound",
                  "from": self.body.get("from"), "to": self.body.get("to"),
                  "createdAt": self.created_at}
        for key in ("dialPlan", "dialPlanUrl", "callback", "hangupDelay", "maxDuration",
                    "machineDetection"):
            if key in self.body:
                answer[key] = self.body[key]
        return answer


@dataclass(frozen=True)
class RequestRecord:
    """A request as the server saw it: `at` is time.monotonic() when it
    arrived; `status` is the HTTP status answered (None: no answer)."""

    at: float
    method: str
    path: str
    fault: str | None
    status: int | None
    tracking_id: str | None = None
    #: For POST /voice/conversation: whom the body asked to call, if it could be read.
    recipient: str | None = None


class Standin:
    def __init__(self, *, credentials: dict[str, str] | None = None,
                 token_lifetime: float = 3600.0, announced_expires_in: int | None = None,
                 token_max_uses: int | None = None,
                 progress: tuple[tuple[str, float], ...] = DEFAULT_PROGRESS,
                 speed: float = 1.0,
                 outcomes: Mapping[str, OutcomeSpec] | None = None,
                 default_outcome: OutcomeSpec = "Completed",
                 reject: dict[str, tuple[str, str]] | None = None,
                 rate_limit: float | None = None, faults: Faults | None = None,
                 host: str = "127.0.0.1", port: int = 0, execute: bool = False,
                 callers: dict[str, list[str]] | None = None,
                 machines: Iterable[str] = (),
                 price_per_minute: float = 0.05, charge_interval: int = 60,
                 default_duration: int = 30, country: str | None = None,
                 loopback_only: bool = True, page_size: int = DEFAULT_PAGE_SIZE,
                 tracking_faults: Iterable[str] = ()) -> None:
        """`credentials` maps application ids to secrets (None: any is
        accepted). Tokens stop working `token_lifetime` seconds after they
        are issued or after `token_max_uses` API requests, whichever comes
        first, while the token endpoint announces `announced_expires_in`
        (default: the lifetime). `progress` is the timeline of an answered
        call, its times divided by `speed`. `outcomes` gives how calls to a
        recipient turn out, attempt by attempt (a status name such as
        "NoAnswer", "Completed:MACHINE", an `Outcome`, or a sequence of them,
        the last repeating); others get `default_outcome`. `reject` makes
        Routee refuse a recipient with a 400: {recipient: (field, message)}.
        `rate_limit` answers 429 to POSTs beyond that many in a second.
        `execute` runs each answered call's plan with the key presses of its
        outcome or of `callers` (by recipient, as `dialplan simulate --press`
        takes them); the recipients in `machines` are answered by a machine.
        Legs are billed `price_per_minute` in steps of `charge_interval`
        seconds; an answered call lasts `default_duration` seconds unless its
        outcome says otherwise. `country` (ISO code) is put on legs (None:
        guessed from the number). `loopback_only` calls back and fetches only
        loopback URLs. `page_size` is the tracking pages' default size.
        `tracking_faults` answers the GETs of tracking pages and legs, in
        order: "429" (with Retry-After), "500" or "ok"; then all are ok."""
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("the stand-in listens on loopback only")
        if speed <= 0:
            raise ValueError("speed must be more than 0")
        if charge_interval < 1:
            raise ValueError("charge_interval is at least 1 second")
        self.credentials = credentials
        self.token_lifetime = token_lifetime
        self.announced_expires_in = announced_expires_in
        self.token_max_uses = token_max_uses
        self.speed = speed
        self.progress = tuple((name, start / speed) for name, start in progress)
        self.outcomes = {recipient: as_outcomes(spec)
                         for recipient, spec in (outcomes or {}).items()}
        self.default_outcome = as_outcomes(default_outcome)
        self.reject = dict(reject or {})
        self.rate_limit = rate_limit
        self.faults = faults or Faults()
        self.execute = execute
        self.callers = dict(callers or {})
        self.machines = set(machines)
        self.price_per_minute = price_per_minute
        self.charge_interval = charge_interval
        self.default_duration = default_duration
        self.country = country
        self.loopback_only = loopback_only
        if page_size < 1:
            raise ValueError("page_size is at least 1")
        self.page_size = page_size
        self.tracking_faults = list(tracking_faults)
        for name in self.tracking_faults:
            if name not in (OK, ERROR_500, THROTTLE_429):
                raise ValueError(f"unknown tracking fault {name!r}; they are ok, 500, 429")
        self.lock = threading.RLock()
        self.tokens: dict[str, Token] = {}
        self.calls: dict[str, AcceptedCall] = {}  # by trackingId, in the order accepted
        self.requests: list[RequestRecord] = []
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # --- life ------------------------------------------------------------------------

    def start(self) -> "Standin":
        self._stopping.clear()
        self._server = _Server(self._address, _Handler)
        self._server.standin = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="routee-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "Standin":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- what the tests read -----------------------------------------------------------

    def calls_per_recipient(self) -> Counter:
        with self.lock:
            return Counter(call.recipient for call in self.calls.values())

    def duplicates(self) -> dict[str, int]:
        """Recipients that were called more than once, with how often."""
        return {r: n for r, n in self.calls_per_recipient().items() if n > 1}

    def conversation_requests(self) -> list[RequestRecord]:
        """Every POST /voice/conversation that arrived, whatever became of it,
        in the order they arrived."""
        with self.lock:
            found = [r for r in self.requests
                     if r.method == "POST" and r.path == CONVERSATION_PATH]
        return sorted(found, key=lambda r: r.at)

    def max_in_window(self, records: Iterable[RequestRecord] | None = None,
                      window: float = 1.0) -> int:
        """The most requests that arrived within any `window` seconds
        (a half-open interval [t, t + window))."""
        times = sorted(r.at for r in (self.conversation_requests() if records is None
                                      else records))
        most, first = 0, 0
        for last, t in enumerate(times):
            while t - times[first] >= window:
                first += 1
            most = max(most, last - first + 1)
        return most

    def posts_per_recipient(self) -> Counter:
        """How many POST /voice/conversation asked for each recipient,
        whatever became of them (refused, failed, dropped after reading)."""
        return Counter(r.recipient for r in self.conversation_requests()
                       if r.recipient is not None)

    def faults_seen(self) -> Counter:
        return Counter(r.fault for r in self.conversation_requests())

    def wait_for_calls(self, timeout: float = 10.0) -> bool:
        """Wait until every executed call has ended; False on time-out."""
        deadline = time.monotonic() + timeout
        for call in list(self.calls.values()):
            if call.finished is not None and \
                    not call.finished.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True

    # --- legs, as the tracking endpoints show them -------------------------------------

    def leg_answer(self, call: AcceptedCall, leg: Leg, now: float | None = None) -> dict[str, Any]:
        history = call.history(now, leg)
        name, since = history[-1]
        final = name in FINAL_STATUSES
        duration = call.duration_billed if final and "InProgress" in \
            [n for n, _ in history] else 0
        if final and name == "Terminated" and leg.ended is not None:
            answered = [s for n, s in history if n == "InProgress"]
            duration = math.ceil((leg.ended[1] - answered[0]) * self.speed) if answered else 0
        return {"messageId": leg.message_id, "conversationTrackingId": call.tracking_id,
                "from": leg.source, "to": leg.to, "direction": "Outbound",
                "originatingService": "Voice", "country": self.country or _country(leg.to),
                "status": {"status": name, "date": call.date(since)},
                "duration": duration, "price": self.price(duration),
                "chargeInterval": self.charge_interval, "recordings": [],
                "collectedTones": call.collected_tones if not leg.dial else "",
                "answeredBy": call.outcome.answered_by if "InProgress" in
                [n for n, _ in history] else "UNKNOWN"}

    def price(self, duration: int) -> float:
        steps = math.ceil(duration / self.charge_interval) if duration > 0 else 0
        return round(steps * self.charge_interval / 60 * self.price_per_minute, 6)

    def _find_leg(self, message_id: str) -> tuple[AcceptedCall, Leg] | None:
        with self.lock:
            for call in self.calls.values():
                for leg in call.legs:
                    if leg.message_id == message_id:
                        return call, leg
        return None

    def _control(self, message_id: str, payload: Any) -> tuple[int, dict[str, Any]]:
        """PUT /voice/conversation/{messageId}: hang up or reject a leg."""
        action = payload.get("action") if isinstance(payload, dict) else None
        if action not in routee.CONTROL_ACTIONS:
            return _error("action", "Validation Error",
                          {"action": "must be hangup or reject"})
        found = self._find_leg(message_id)
        if found is None:
            return _error("not-found", f"Conversation {message_id} not found or not active")
        call, leg = found
        with self.lock:
            now = time.monotonic()
            status = call.history(now, leg)[-1][0] if call.history(now, leg) else None
            allowed = routee.CONTROL_ACTIONS[action]
            if status not in allowed:
                return _error("not-active", f"Conversation {message_id} not found or not "
                              f"active", {"status": f"{status}: {action} needs "
                                                    f"{' or '.join(allowed)}"})
            leg.ended = ("Terminated", now - call.accepted_at)
        verb = "hung up" if action == "hangup" else "rejected"
        return 200, {"messageId": message_id, "message": f"Conversation {verb}",
                     "createdAt": _iso(datetime.now(timezone.utc))}

    # --- the API, called by the handler under no lock -----------------------------------

    def _record(self, record: RequestRecord) -> None:
        with self.lock:
            self.requests.append(record)

    def _issue_token(self, authorization: str | None, form: dict[str, list[str]]
                     ) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != ["client_credentials"]:
            return 400, {"error": "unsupported_grant_type",
                         "error_description": "grant_type must be client_credentials"}
        app_id = _basic_user(authorization, self.credentials)
        if app_id is None:
            return 401, {"error": "unauthorized", "error_description": "Bad credentials"}
        value = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[value] = Token(value, app_id, time.monotonic())
        expires_in = self.announced_expires_in
        if expires_in is None:
            expires_in = max(1, int(self.token_lifetime))
        return 200, {"access_token": value, "token_type": "bearer",
                     "expires_in": expires_in, "scope": "voice",
                     "permissions": ["MT_ROLE_VOICE"]}

    def _authorize(self, authorization: str | None) -> bool:
        if not authorization or not authorization.startswith("Bearer "):
            return False
        with self.lock:
            token = self.tokens.get(authorization[len("Bearer "):].strip())
            if token is None:
                return False
            if time.monotonic() - token.issued_at >= self.token_lifetime:
                return False
            if self.token_max_uses is not None and token.uses >= self.token_max_uses:
                return False
            token.uses += 1
            return True

    def _over_rate(self, now: float) -> bool:
        if self.rate_limit is None:
            return False
        recent = [r for r in self.conversation_requests() if now - r.at < 1.0 and r.status != 429]
        return len(recent) >= self.rate_limit

    def _accept(self, body: dict[str, Any]) -> AcceptedCall:
        to = body["to"]
        recipient = to.get("phone") or (f"sip:{to['sip']}" if "sip" in to
                                        else f"viber:{to.get('viber')}")
        with self.lock:
            attempt = sum(1 for c in self.calls.values() if c.recipient == recipient) + 1
            outcomes = self.outcomes.get(recipient, self.default_outcome)
            outcome = outcomes[min(attempt, len(outcomes)) - 1]
            if recipient in self.machines and outcome.answered_by == "HUMAN":
                outcome = replace(outcome, answered_by="MACHINE")
            call = AcceptedCall(tracking_id=str(uuid.uuid4()), recipient=recipient, body=body,
                        accepted_at=time.monotonic(),
                        created_at=_iso(datetime.now(timezone.utc)),
                        timeline=timeline_for(self.progress, outcome.status),
                        outcome=outcome, attempt=attempt)
            if outcome.answered:
                call.duration_billed = self.default_duration if outcome.duration is None \
                    else outcome.duration
                keys = outcome.keys if outcome.keys is not None else \
                    tuple(self.callers.get(recipient, ()))
                call.collected_tones = _tones(keys)
                dial = _dial_verb(body.get("dialPlan"))
                if dial is not None:
                    call.legs.append(_dial_leg(dial, body))
            if self.execute and outcome.answered:
                call.finished = threading.Event()
            self.calls[call.tracking_id] = call
        if call.finished is not None:
            threading.Thread(target=self._run_plan, args=(call,), daemon=True,
                             name=f"call-{call.tracking_id[:8]}").start()
        callback = body.get("callback") or {}
        if isinstance(callback, dict) and callback.get("url"):
            threading.Thread(target=self._follow, args=(call, callback), daemon=True,
                             name=f"callback-{call.tracking_id[:8]}").start()
        return call

    def _reachable(self, url: Any) -> bool:
        if not isinstance(url, str):
            return False
        if not self.loopback_only:
            return True
        try:
            return urlsplit(url).hostname in ("127.0.0.1", "::1", "localhost")
        except ValueError:
            return False

    def _note(self, call: AcceptedCall, text: str) -> None:
        with self.lock:
            call.events.append({"kind": "note", "text": text})

    def _follow(self, call: AcceptedCall, callback: dict[str, Any]) -> None:
        """POST the status callbacks of a call: every change with OnChange,
        the final status only with OnCompletion."""
        import httpx

        url = callback["url"]
        if not self._reachable(url):
            self._note(call, f"(stand-in: callback {url} not called: not a loopback URL)")
            return
        on_change = callback.get("strategy") == "OnChange"
        sent = 0
        with httpx.Client(timeout=3.0) as client:
            while not self._stopping.is_set():
                history = call.history()
                final = history[-1][0] in FINAL_STATUSES
                todo = history[sent:] if on_change else (history[-1:] if final else [])
                for name, since in todo:
                    self._callback(client, call, url, name, since)
                sent = len(history)
                if final:
                    return
                time.sleep(0.01)

    def _callback(self, client: Any, call: AcceptedCall, url: str, name: str, since: float) -> None:
        leg = self.leg_answer(call, call.legs[0])
        final = name in FINAL_STATUSES
        body = {"messageId": call.message_id, "conversationTrackingId": call.tracking_id,
                "to": call.recipient, "from": call.body.get("from"),
                "status": {"name": name, "updatedDate": call.date(since)},
                "direction": "Outbound", "originatingService": "Voice",
                "respectQuietHours": False,
                "duration": leg["duration"] if final else 0,
                "price": leg["price"] if final else 0}
        try:
            status: int | None = client.post(url, json=body).status_code
        except Exception:  # noqa: BLE001 - Routee does not retry either (assumed)
            status = None
        with self.lock:
            call.callbacks.append((name, status))

    def _run_plan(self, call: AcceptedCall) -> None:
        """Run a call's dialplan as Routee would (see `engine.py`)."""
        import httpx

        from ..menus import engine

        body = call.body
        routee = {"from": body.get("from"), "to": call.recipient,
                  "messageId": call.message_id, "conversationTrackingId": call.tracking_id}

        def post(url: str, payload: dict) -> Any:
            if not self._reachable(url):
                result.events.append(engine.Event(
                    "note", f"(stand-in: {url} not called: not a loopback URL)"))
                return None
            # Routee waits 3 s for an eventUrl, and wants JSON back.
            answer = client.post(url, json=payload, timeout=3.0)
            if answer.status_code != 200 or \
                    not answer.headers.get("content-type", "").startswith("application/json"):
                return None
            return answer.json()

        result = engine.CallLog()
        keys = call.outcome.keys if call.outcome.keys is not None else \
            self.callers.get(call.recipient, [])
        try:
            with httpx.Client() as client:
                plan = body.get("dialPlan")
                if plan is None and body.get("dialPlanUrl"):
                    plan = post(body["dialPlanUrl"], routee)
                detection = body.get("machineDetection") or {}
                if call.outcome.answered_by == "MACHINE":
                    result.events.append(engine.Event("note", "a machine answers"))
                    if detection.get("strategy") == "Hangup":
                        plan = None
                    elif detection.get("eventUrl"):
                        plan = post(detection["eventUrl"], routee)
                if engine.is_plan(plan):
                    if body.get("dialPlan") is None and _dial_verb(plan) is not None:
                        with self.lock:
                            call.legs.append(_dial_leg(_dial_verb(plan), body))
                    engine.run(plan, presses=list(keys), post=post, body=routee, call=result)
        except Exception as error:  # noqa: BLE001 - recorded: the test reads it
            result.events.append(engine.Event("note", f"(stand-in error: {error!r})"))
        finally:
            with self.lock:
                call.events.extend({"kind": e.kind, "text": e.text, **e.data}
                                   for e in result.events)
                call.transcript.extend(result.transcript)
                tones = [e.data.get("tones") for e in result.events if e.kind == "post"]
                call.collected_tones = "".join(t for t in tones if isinstance(t, str))
                call.finished_after = time.monotonic() - call.accepted_at
            call.finished.set()

    def _validate(self, body: Any) -> tuple[int, dict[str, Any]] | None:
        from ..schemas import CONVERSATION, validate

        if not isinstance(body, dict):
            return _error("validation", "Validation Error", {"body": "must be a JSON object"})
        problems = validate(body, CONVERSATION)
        if problems:
            return _error("validation", "Validation Error",
                          {(p.pointer[1:].replace("/", ".") or "body"): p.message
                           for p in problems})
        to = body["to"]
        recipient = to.get("phone") or to.get("sip") or to.get("viber")
        if recipient in self.reject:
            name, message = self.reject[recipient]
            return _error("validation", "Validation Error", {name: message})
        return None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _tones(keys: Iterable[str]) -> str:
    """The tones a caller's presses make (as COLLECT would gather them)."""
    return "".join(k.replace(" ", "").replace("#", "") for k in keys
                   if k not in ("timeout", "hangup"))


def _dial_verb(plan: Any) -> dict[str, Any] | None:
    verbs = plan.get("verbs") if isinstance(plan, dict) else None
    for verb in verbs if isinstance(verbs, list) else ():
        if isinstance(verb, dict) and verb.get("type") == "DIAL":
            return verb
    return None


def _dial_leg(dial: dict[str, Any], body: dict[str, Any]) -> Leg:
    to = dial.get("to") if isinstance(dial.get("to"), dict) else {}
    target = to.get("phone") or (f"sip:{to['sip']}" if "sip" in to else
                                 f"viber:{to['viber']}" if "viber" in to else None)
    return Leg(str(uuid.uuid4()), dial.get("from") or body.get("from"), target, dial=True)


#: Calling codes → ISO country, enough for the examples (others: None).
_COUNTRIES = {"30": "GR", "44": "GB", "49": "DE", "33": "FR", "39": "IT", "34": "ES",
              "357": "CY", "359": "BG", "48": "PL", "36": "HU", "46": "SE", "7": "RU",
              "55": "BR", "1": "US"}


def _country(number: str | None) -> str | None:
    if not number or not number.startswith("+"):
        return None
    for length in (3, 2, 1):
        found = _COUNTRIES.get(number[1:1 + length])
        if found:
            return found
    return None


def _recipient_of(body: bytes) -> str | None:
    """The recipient a call body names, as `Standin.calls` records it."""
    try:
        to = json.loads(body)["to"]
        return to.get("phone") or (f"sip:{to['sip']}" if "sip" in to
                                   else f"viber:{to['viber']}")
    except (ValueError, UnicodeDecodeError, KeyError, TypeError, AttributeError):
        return None


def _error(kind: str, message: str, properties: dict[str, str] | None = None
           ) -> tuple[int, dict[str, Any]]:
    """Routee's error shape: the code is the HTTP status, the module (013,
    voice) and an error number (the stand-in's own, `ERRORS`)."""
    status, number = ERRORS[kind]
    answer: dict[str, Any] = {"code": f"{status:03d}013{number:03d}",
                              "developerMessage": message}
    if properties:
        answer["properties"] = properties
    return status, answer


UNAUTHORIZED = "Unauthorized: the access token is invalid or has expired"


def _basic_user(authorization: str | None, credentials: dict[str, str] | None) -> str | None:
    if not authorization or not authorization.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[len("Basic "):].strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    app_id, sep, secret = decoded.partition(":")
    if not sep or not app_id:
        return None
    if credentials is not None and not (app_id in credentials and
                                        secrets.compare_digest(credentials[app_id], secret)):
        return None
    return app_id


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    standin: Standin


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, Nagle's algorithm
    # holds the body back until the client's delayed ACK (40 ms a request).
    disable_nagle_algorithm = True
    server: _Server
    _fault: str | None = None
    _arrived: float = 0.0
    _recipient: str | None = None

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass  # the stand-in keeps its own log (`requests`)

    def handle_one_request(self) -> None:
        # Look at the request line before reading it, so that a fault can
        # drop the connection with the request unread.
        try:
            head = self.rfile.peek(len(CONVERSATION_PATH) + 8)
        except (OSError, ValueError):
            self.close_connection = True
            return
        if not head:
            self.close_connection = True
            return
        standin = self.server.standin
        self._arrived = time.monotonic()
        self._fault = None
        self._recipient = None
        if head.startswith(b"POST " + CONVERSATION_PATH.encode()) and \
                head[len(b"POST " + CONVERSATION_PATH.encode()):][:1] in (b" ", b"?", b""):
            with standin.lock:
                self._fault = standin.faults.draw()
            if self._fault == DROP_BEFORE_READ:
                standin._record(RequestRecord(self._arrived, "POST", CONVERSATION_PATH,
                                              DROP_BEFORE_READ, None))
                self._drop(reset=True)
                return
        super().handle_one_request()

    # --- helpers ------------------------------------------------------------------

    def _drop(self, *, reset: bool) -> None:
        self.close_connection = True
        try:
            if reset:  # an RST rather than a FIN: the peer sees "connection reset"
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send_json(self, status: int, answer: dict[str, Any],
                   headers: dict[str, str] | None = None) -> None:
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client has gone

    def _log(self, status: int | None, tracking_id: str | None = None) -> None:
        self.server.standin._record(RequestRecord(self._arrived, self.command,
                                                  self.path.split("?")[0], self._fault, status,
                                                  tracking_id, self._recipient))

    def _answer(self, status: int, answer: dict[str, Any],
                headers: dict[str, str] | None = None, tracking_id: str | None = None) -> None:
        self._log(status, tracking_id)
        self._send_json(status, answer, headers)

    def _answered_fault(self, fault: str | None) -> bool:
        """Answer a 500 or a 429 (with Retry-After) if `fault` is one."""
        if fault == ERROR_500:
            self._answer(*_error("internal", "Internal server error"))
        elif fault == THROTTLE_429:
            self._answer(*_error("throttled", "Too many requests"),
                         {"Retry-After": str(self.server.standin.faults.retry_after)})
        else:
            return False
        return True

    def _authorized(self) -> bool:
        if self.server.standin._authorize(self.headers.get("Authorization")):
            return True
        self._answer(*_error("unauthorized", UNAUTHORIZED))
        return False

    # --- routes -------------------------------------------------------------------

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        standin = self.server.standin
        body = self._body()
        path = self.path.split("?")[0]
        if path == TOKEN_PATH:
            form = parse_qs(body.decode("utf-8", "replace"))
            status, answer = standin._issue_token(self.headers.get("Authorization"), form)
            self._answer(status, answer)
            return
        if path != CONVERSATION_PATH:
            self._answer(*_error("no-resource", f"no such resource: {path}"))
            return
        self._recipient = _recipient_of(body)
        if not self._authorized():
            return
        fault = THROTTLE_429 if standin._over_rate(self._arrived) else self._fault
        if self._answered_fault(fault):
            return
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            self._answer(*_error("json", "Validation Error", {"body": "not valid JSON"}))
            return
        invalid = standin._validate(payload)
        if invalid is not None:
            self._answer(*invalid)
            return
        call = standin._accept(payload)
        if fault == DROP_AFTER_READ:
            self._log(None, call.tracking_id)
            self._drop(reset=False)
            return
        if fault == SLOW:
            time.sleep(standin.faults.slow_seconds)
        self._answer(200, call.answer(), tracking_id=call.tracking_id)

    def do_PUT(self) -> None:  # noqa: N802 - the stdlib's name
        standin = self.server.standin
        body = self._body()
        path = self.path.split("?")[0]
        prefix = CONVERSATION_PATH + "/"
        rest = unquote(path[len(prefix):]) if path.startswith(prefix) else ""
        if not rest or "/" in rest:
            self._answer(*_error("no-resource", f"no such resource: {path}"))
            return
        if not self._authorized():
            return
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            self._answer(*_error("json", "Validation Error", {"body": "not valid JSON"}))
            return
        status, answer = standin._control(rest, payload)
        found = standin._find_leg(rest)
        self._answer(status, answer, tracking_id=found[0].tracking_id if found else None)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        standin = self.server.standin
        path, _, query = self.path.partition("?")
        routes = ((TRACKING_CONVERSATION_PATH + "/", self._tracking_page),
                  (TRACKING_PATH + "/", self._tracking_leg),
                  (CONVERSATION_PATH + "/", self._conversation))
        for prefix, route in routes:
            rest = unquote(path[len(prefix):]) if path.startswith(prefix) else ""
            if rest and "/" not in rest:
                break
        else:
            self._answer(*_error("no-resource", f"no such resource: {path}"))
            return
        if not self._authorized():
            return
        if prefix != CONVERSATION_PATH + "/":
            with standin.lock:
                fault = standin.tracking_faults.pop(0) if standin.tracking_faults else OK
            if self._answered_fault(fault):
                return
        route(standin, rest, parse_qs(query))

    def _conversation(self, standin: Standin, tracking_id: str, query: dict) -> None:
        with standin.lock:
            call = standin.calls.get(tracking_id)
        if call is None:
            self._answer(*_error("not-found", f"no conversation {tracking_id}"))
            return
        self._answer(200, call.answer(), tracking_id=tracking_id)

    def _tracking_page(self, standin: Standin, tracking_id: str, query: dict) -> None:
        with standin.lock:
            call = standin.calls.get(tracking_id)
        if call is None:
            self._answer(*_error("not-found", f"no conversation {tracking_id}"))
            return
        try:
            page = int(query.get("page", ["0"])[-1])
            size = int(query.get("size", [str(standin.page_size)])[-1])
            if page < 0 or size < 1:
                raise ValueError
        except ValueError:
            self._answer(*_error("validation", "Validation Error",
                                 {"page": "page ≥ 0 and size ≥ 1, integers"}))
            return
        now = time.monotonic()
        with standin.lock:
            legs = [standin.leg_answer(call, leg, now) for leg in call.visible_legs(now)]
        content = legs[page * size:(page + 1) * size]
        pages = math.ceil(len(legs) / size)
        self._answer(200, {"content": content, "first": page == 0,
                           "last": page >= pages - 1, "number": page,
                           "numberOfElements": len(content), "size": size,
                           "totalElements": len(legs), "totalPages": pages},
                     tracking_id=tracking_id)

    def _tracking_leg(self, standin: Standin, message_id: str, query: dict) -> None:
        found = standin._find_leg(message_id)
        now = time.monotonic()
        if found is None or not found[0].history(now, found[1]):
            self._answer(*_error("not-found", f"no leg {message_id}"))
            return
        call, leg = found
        with standin.lock:
            answer = standin.leg_answer(call, leg, now)
        self._answer(200, answer, tracking_id=call.tracking_id)


def build_parser() -> "argparse.ArgumentParser":
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m dialplan_compiler.calls.standin",
        description="A local stand-in for Routee's Voice API (127.0.0.1 only). Any "
                    "credentials are accepted unless --credentials is given.")
    add = parser.add_argument
    add("--port", type=int, default=8080, help="port on 127.0.0.1; 0 picks a free one "
        "(default: %(default)s)")
    add("--credentials", metavar="ID:SECRET", action="append", default=[],
        help="accept only this application id and secret (repeatable)")
    add("--outcome", metavar="RECIPIENT=OUTCOME[,OUTCOME…]", action="append", default=[],
        help="how calls to RECIPIENT end, attempt by attempt, the last repeating: "
             f"{', '.join(OUTCOMES)}; OUTCOME:MACHINE for a machine (repeatable)")
    add("--outcome-file", metavar="FILE", help="outcomes per recipient from a CSV file "
        "(to,outcome,answeredBy,keys,duration; a recipient's rows are its attempts) or a "
        ".toml file (a table per recipient, or attempts = [...])")
    add("--default-outcome", metavar="OUTCOME", default="Completed",
        help="for every other recipient (default: %(default)s, answered by a HUMAN)")
    add("--speed", type=float, default=1.0, help="divide every status timing by this "
        "(default: %(default)s: Queued, Initiated, Ringing, InProgress, the end 0.1 s apart)")
    add("--duration", type=int, default=30, metavar="SECONDS",
        help="seconds an answered call lasts, unless its outcome says (default: %(default)s)")
    add("--price-per-minute", type=float, default=0.05, help="(default: %(default)s)")
    add("--charge-interval", type=int, default=60, metavar="SECONDS",
        help="billing increment (default: %(default)s)")
    add("--error-rate", type=float, default=0.0, help="share of POSTs answered 500")
    add("--throttle-rate", type=float, default=0.0,
        help="share of POSTs answered 429 with Retry-After")
    add("--drop-rate", type=float, default=0.0,
        help="share of connections dropped after the request is read (the call is placed)")
    add("--drop-before-read-rate", type=float, default=0.0,
        help="share of connections reset before the request is read (no call)")
    add("--rate-limit", type=float, metavar="N",
        help="answer 429 with Retry-After to POSTs beyond N in any second")
    add("--retry-after", type=int, default=1, metavar="SECONDS",
        help="the Retry-After of 429s (default: %(default)s)")
    add("--slow", type=float, metavar="SECONDS",
        help="answer POSTs this late (the call is placed at once)")
    add("--slow-rate", type=float, default=1.0,
        help="with --slow: the share of POSTs answered late (default: %(default)s)")
    add("--token-ttl", type=float, default=3600.0, metavar="SECONDS",
        help="tokens stop working this long after they are issued (default: %(default)s)")
    add("--token-expires-in", type=int, metavar="SECONDS",
        help="the expires_in announced with a token (default: --token-ttl)")
    add("--token-max-uses", type=int, metavar="N", help="tokens stop working after N requests")
    add("--seed", type=int, help="seed of the random faults (default: a new one each run)")
    add("--execute", action="store_true",
        help="run answered calls' plans: fetch dialPlanUrl, post COLLECT eventUrls with the "
             "keys of the outcome (loopback URLs only, e.g. a `dialplan serve`)")
    add("--machine", metavar="RECIPIENT", action="append", default=[],
        help="RECIPIENT is answered by a machine (repeatable)")
    add("--page-size", type=int, default=DEFAULT_PAGE_SIZE, metavar="N",
        help="legs per tracking page, unless the request asks (default: %(default)s)")
    return parser


def standin_from_args(args: Any) -> Standin:
    outcomes: dict[str, tuple[Outcome, ...]] = {}
    if args.outcome_file:
        outcomes.update(load_outcome_file(args.outcome_file))
    for text in args.outcome:
        recipient, found = parse_outcome_option(text)
        outcomes[recipient] = found
    credentials = None
    if args.credentials:
        credentials = {}
        for pair in args.credentials:
            app_id, sep, secret = pair.partition(":")
            if not sep or not app_id:
                raise ValueError(f"--credentials {pair!r}: expected ID:SECRET")
            credentials[app_id] = secret
    faults = Faults(error_rate=args.error_rate, throttle_rate=args.throttle_rate,
                    drop_after_read_rate=args.drop_rate,
                    drop_before_read_rate=args.drop_before_read_rate,
                    slow_rate=args.slow_rate if args.slow is not None else 0.0,
                    slow_seconds=args.slow or 0.0, retry_after=args.retry_after,
                    seed=args.seed)
    return Standin(port=args.port, credentials=credentials, outcomes=outcomes,
                   default_outcome=args.default_outcome, speed=args.speed,
                   default_duration=args.duration, price_per_minute=args.price_per_minute,
                   charge_interval=args.charge_interval, rate_limit=args.rate_limit,
                   faults=faults, token_lifetime=args.token_ttl,
                   announced_expires_in=args.token_expires_in,
                   token_max_uses=args.token_max_uses, execute=args.execute,
                   machines=args.machine, page_size=args.page_size)


def main(argv: list[str] | None = None) -> None:
    """Serve a stand-in until Ctrl-C (or SIGTERM)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        standin = standin_from_args(args)
    except (ValueError, OSError) as error:
        parser.error(str(error))
    import signal

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    # SIGTERM too, and SIGINT even when started in the background (where it is ignored).
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with standin:
        print(f"Routee stand-in on {standin.url} (--api-url {standin.url} "
              f"--auth-url {standin.url}); Ctrl-C stops it", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        print(f"{len(standin.calls)} calls accepted", flush=True)


if __name__ == "__main__":
    main()
