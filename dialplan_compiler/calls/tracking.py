"""Following a placed call to its outcome, the way Routee documents it.

Routee puts no status on the conversation: a call's progress and outcome
are on `GET /voice/tracking/conversation/{trackingId}`, a page of legs,
each with `status.status`, `answeredBy`, `duration`, `price`,
`collectedTones`, `recordings`. This module is the one reader of it:

    tracking = read_tracking(client, tracking_id)        # every page, as a Tracking
    tracking.main().status, tracking.final                # the call's status; ended?
    deadline = call_deadline(placed.answer, payload)      # seconds: ring + talk + margin
    followed = follow_call(client, tracking_id, deadline=time.monotonic() + deadline.seconds,
                           wait=time.sleep, on_change=print)
    followed.status, followed.timed_out, followed.tracking

`follow_call` polls politely: a first look after a second, then less and
less often (x1.5, at most every 15 s), never sooner than a 429's
Retry-After; a lost answer, a 5xx or a 429 is only a reason to look again
later (a GET changes nothing). An expired token is renewed by the client
(`RouteeClient`: any 401/403 fetches a new token and asks once more); a
refused fresh token (`AuthError`) ends the following. A status that is
not final, `Unknown` included, is followed until the deadline.

What `dialplan call --wait` exits with for each outcome is written here
once (`OUTCOME_EXIT_CODES`, `TIMEOUT_EXIT_CODE`), and listed in docs/calls.md.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import routee
from .client import ApiError, MaybeSent, NotSent

#: `dialplan call --wait`: the exit code for each final status of the call.
OUTCOME_EXIT_CODES = {"Completed": 0, "Busy": 10, "NoAnswer": 11, "Failed": 12,
                      "Unsent": 13, "Terminated": 14}
#: `dialplan call --wait`: the call had no final status at its deadline.
TIMEOUT_EXIT_CODE = 15

#: Seconds added to a call's ring and talk time before following gives up:
#: the time a call may sit Queued, and the last poll's lateness (assumed).
DEADLINE_MARGIN = 60.0
#: A call without `maxDuration`: Routee documents no ceiling, so this one is
#: assumed; `--wait-timeout` chooses another.
ASSUMED_MAX_DURATION = 3600

#: Pages read at most for one call: a server that ignores `page` would
#: otherwise be asked for the same page for ever.
MAX_PAGES = 100


# --- legs --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Leg:
    """One leg of a call, as the tracking endpoint shows it. Fields Routee
    leaves out are None (or empty); `answer` is the leg as received."""

    message_id: str
    status: str | None
    status_date: str | None = None
    source: str | None = None          # the leg's `from`
    to: str | None = None
    answered_by: str | None = None
    duration: int | float | None = None
    price: int | float | None = None
    collected_tones: str | None = None
    recordings: tuple[Any, ...] = ()
    answer: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_answer(cls, answer: dict[str, Any]) -> "Leg":
        status = answer.get("status")
        name, date = (status.get("status") or status.get("name"), status.get("date")) \
            if isinstance(status, dict) else (status, None)
        recordings = answer.get("recordings")
        return cls(message_id=_text(answer.get("messageId")) or "", status=_text(name),
                   status_date=_text(date), source=_text(answer.get("from")),
                   to=_text(answer.get("to")), answered_by=_text(answer.get("answeredBy")),
                   duration=_number(answer.get("duration")), price=_number(answer.get("price")),
                   collected_tones=_text(answer.get("collectedTones")),
                   recordings=tuple(recordings) if isinstance(recordings, list) else (),
                   answer=answer)

    @property
    def final(self) -> bool:
        return self.status in routee.FINAL_STATUSES

    def summary(self) -> str:
        """`answered by HUMAN, 30 s, price 0.05` (what is known of it)."""
        parts = []
        if self.answered_by:
            parts.append(f"answered by {self.answered_by}")
        if self.duration is not None:
            parts.append(f"{self.duration:g} s")
        if self.price is not None:
            parts.append(f"price {self.price:g}")
        if self.collected_tones:
            parts.append(f"keys {self.collected_tones}")
        return ", ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {"messageId": self.message_id, "status": self.status,
                "statusDate": self.status_date, "from": self.source, "to": self.to,
                "answeredBy": self.answered_by, "duration": self.duration, "price": self.price,
                "collectedTones": self.collected_tones, "recordings": list(self.recordings)}


@dataclass(frozen=True)
class Tracking:
    """A call's legs, every page read. The call's own leg is `main()`: the
    one to the number called (a DIAL verb adds a leg to another number)."""

    tracking_id: str
    legs: tuple[Leg, ...]

    def main(self, recipient: str | None = None) -> Leg | None:
        if recipient:
            for leg in self.legs:
                if leg.to and _same_recipient(leg.to, recipient):
                    return leg
        return self.legs[0] if self.legs else None

    def status(self, recipient: str | None = None) -> str | None:
        leg = self.main(recipient)
        return leg.status if leg else None

    def is_final(self, recipient: str | None = None) -> bool:
        leg = self.main(recipient)
        return leg is not None and leg.final

    @property
    def final(self) -> bool:
        return self.is_final()

    def as_json(self, recipient: str | None = None) -> dict[str, Any]:
        return {"trackingId": self.tracking_id, "status": self.status(recipient),
                "final": self.is_final(recipient), "legs": [leg.as_json() for leg in self.legs]}


def parse_page(answer: dict[str, Any]) -> list[Leg]:
    """The legs of one tracking page (`content[]`); what is not a leg object is skipped."""
    content = answer.get("content")
    return [Leg.from_answer(item) for item in content if isinstance(item, dict)] \
        if isinstance(content, list) else []


def read_tracking(client: Any, tracking_id: str, *, page_size: int | None = None) -> Tracking:
    """Every page of GET /voice/tracking/conversation/{trackingId}, as one
    Tracking. `client` is a `RouteeClient` (its `tracking_page`); its
    exceptions (ApiError, NotSent, MaybeSent, AuthError) pass through."""
    legs: list[Leg] = []
    page = 0
    while True:
        answer = client.tracking_page(tracking_id, page, page_size)
        legs += parse_page(answer)
        if not _more_pages(answer, page) or page + 1 >= MAX_PAGES:
            break
        page += 1
    return Tracking(tracking_id, tuple(legs))


def _more_pages(answer: dict[str, Any], page: int) -> bool:
    """Whether a page after this one is there: `last` says so, else `totalPages`."""
    if answer.get("number", page) != page:
        return False  # not the page asked for: the server pages otherwise
    if isinstance(answer.get("last"), bool):
        return not answer["last"]
    total = answer.get("totalPages")
    return isinstance(total, int) and page + 1 < total


# --- the deadline ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Deadline:
    """How long to follow a call, and why (`explain()` says it in words)."""

    seconds: float
    hangup_delay: float | None = None
    max_duration: float | None = None
    margin: float = DEADLINE_MARGIN
    chosen: bool = False               # given by the user (`--wait-timeout`)
    assumed: tuple[str, ...] = ()      # the fields the call did not set

    def explain(self) -> str:
        if self.chosen:
            return f"--wait-timeout {self.seconds:g} s"
        ring = "hangupDelay" + (" (not set: the most Routee allows)" if "hangupDelay"
                                in self.assumed else "")
        talk = "maxDuration" + (" (not set: assumed)" if "maxDuration" in self.assumed else "")
        return (f"{ring} {self.hangup_delay:g} s + {talk} {self.max_duration:g} s "
                f"+ {self.margin:g} s")


def call_deadline(*sources: dict[str, Any] | None, margin: float = DEADLINE_MARGIN,
                  timeout: float | None = None) -> Deadline:
    """How long a call may take: its `hangupDelay` (ringing) plus its
    `maxDuration` (talking) plus `margin`, read from the first of `sources`
    that has them (Routee's answer to the POST, then the request body). An
    unset hangupDelay counts as the most Routee allows (its pages disagree on
    the default); an unset maxDuration as ASSUMED_MAX_DURATION. `timeout`,
    when given, is the deadline instead."""
    if timeout is not None:
        return Deadline(timeout, chosen=True)

    def field_of(name: str) -> float | None:
        for source in sources:
            value = _number((source or {}).get(name))
            if value is not None and value > 0:
                return value
        return None

    assumed = []
    ring = field_of("hangupDelay")
    if ring is None:
        ring, assumed = float(routee.HANGUP_DELAY_RANGE[1]), assumed + ["hangupDelay"]
    talk = field_of("maxDuration")
    if talk is None:
        talk, assumed = float(ASSUMED_MAX_DURATION), assumed + ["maxDuration"]
    return Deadline(ring + talk + margin, ring, talk, margin, assumed=tuple(assumed))


# --- following ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PollPolicy:
    """When to look: `first` seconds after the start, then `step`, each wait
    `factor` times the one before, at most `cap`."""

    first: float = 1.0
    step: float = 1.0
    factor: float = 1.5
    cap: float = 15.0

    def after(self, delay: float) -> float:
        return min(self.cap, max(self.step, delay * self.factor))


@dataclass(frozen=True)
class Followed:
    """How following ended: at a final `status`, or `timed_out` at the
    deadline (`status` is then the last one seen, if any)."""

    tracking_id: str
    tracking: Tracking | None
    status: str | None
    timed_out: bool
    polls: int
    recipient: str | None = None

    @property
    def leg(self) -> Leg | None:
        """The call's own leg as last seen: its messageId, answeredBy,
        duration, price, collected keys."""
        return self.tracking.main(self.recipient) if self.tracking else None

    @property
    def exit_code(self) -> int:
        """What `dialplan call --wait` exits with for this end."""
        if self.timed_out or self.status not in OUTCOME_EXIT_CODES:
            return TIMEOUT_EXIT_CODE
        return OUTCOME_EXIT_CODES[self.status]


def follow_call(client: Any, tracking_id: str, *, deadline: float,
                wait: Callable[[float], Any],
                on_change: Callable[[Leg, str | None, bool], Any] | None = None,
                on_problem: Callable[[str, float], Any] | None = None,
                recipient: str | None = None, policy: PollPolicy = PollPolicy(),
                clock: Callable[[], float] = time.monotonic,
                page_size: int | None = None) -> Followed:
    """Read the call's tracking until its own leg (`recipient`'s, else the
    first) has a final status, or until `deadline` (a `clock()` time; the
    last look is at the deadline itself).

    `on_change(leg, previous_status, is_main)` is called once for each
    status each leg is seen in, in order (`is_main`: the call's own leg);
    `on_problem(reason, seconds)` when a look failed in a way that passes
    (no connection, a lost answer, 5xx, 429, a 404 before Routee shows the
    call) and the next look is that many seconds away.
    `wait(seconds)` sleeps (the caller's, so that it can be interrupted).
    AuthError and other ApiErrors end it by raising."""
    seen: dict[str, str | None] = {}
    tracking: Tracking | None = None
    delay, polls = policy.first, 0
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            return Followed(tracking_id, tracking, tracking.status(recipient) if tracking
                            else None, True, polls, recipient)
        wait(min(delay, remaining))
        polls += 1
        try:
            tracking = read_tracking(client, tracking_id, page_size=page_size)
        except (NotSent, MaybeSent) as error:
            delay = policy.after(delay)
            _tell(on_problem, str(error), delay)
            continue
        except ApiError as error:
            if not (error.transient or error.status == 404):
                raise
            delay = max(policy.after(delay), error.retry_after or 0.0)
            _tell(on_problem, error.describe(), delay)
            continue
        delay = policy.after(delay)
        main = tracking.main(recipient)
        for index, leg in enumerate(tracking.legs):
            key = leg.message_id or str(index)
            if leg.status and seen.get(key) != leg.status:
                previous = seen.get(key)
                seen[key] = leg.status
                if on_change:
                    on_change(leg, previous, leg is main)
        if tracking.is_final(recipient):
            return Followed(tracking_id, tracking, tracking.status(recipient), False, polls,
                            recipient)


def recipient_of(payload: dict[str, Any]) -> str | None:
    """Whom a request body calls, as a leg's `to` may name them."""
    to = payload.get("to") if isinstance(payload, dict) else None
    if not isinstance(to, dict):
        return None
    for kind in ("phone", "sip", "viber"):
        if isinstance(to.get(kind), str):
            return to[kind] if kind == "phone" else f"{kind}:{to[kind]}"
    return None


def _same_recipient(leg_to: str, recipient: str) -> bool:
    def bare(text: str) -> str:
        kind, sep, rest = text.partition(":")
        return rest if sep and kind in ("sip", "viber") else text
    return bare(leg_to) == bare(recipient)


def _tell(callback: Callable[[str, float], Any] | None, reason: str, delay: float) -> None:
    if callback:
        callback(reason, delay)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return None
    return None


__all__ = ["ASSUMED_MAX_DURATION", "DEADLINE_MARGIN", "Deadline", "Followed", "Leg",
           "OUTCOME_EXIT_CODES", "PollPolicy", "TIMEOUT_EXIT_CODE", "Tracking", "call_deadline",
           "follow_call", "parse_page", "read_tracking", "recipient_of"]
