"""Properties of following a call (calls/tracking.py), whatever Routee
answers and in whatever order: each status is reported once, the deadline
is never overshot, a Retry-After is always honoured, every page is read.

Routee's answers here are scripted in memory and time is a counter, so
that thousands of sequences run in a moment; the same code against the
real stand-in over HTTP is in test_following.py."""

from __future__ import annotations

import math

from hypothesis import given, settings, strategies as st

from dialplan_compiler import routee
from dialplan_compiler.calls.client import ApiError, MaybeSent, NotSent
from dialplan_compiler.calls.tracking import (OUTCOME_EXIT_CODES, TIMEOUT_EXIT_CODE,
                                              PollPolicy, call_deadline, follow_call,
                                              read_tracking)

STATUSES = routee.ACTIVE_STATUSES + (routee.UNKNOWN_STATUS,) + routee.FINAL_STATUSES


def leg(message_id: str, status: str) -> dict:
    return {"messageId": message_id, "to": "+306911111111" if message_id == "main" else "+3",
            "status": {"status": status, "date": "2026-12-02T10:00:00.000+00:00"},
            "answeredBy": "HUMAN", "duration": 3, "price": 0.05}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.waits.append(seconds)
        self.now += seconds


class ScriptedRoutee:
    """Answers `tracking_page` from a script: one step per look, each an
    error to raise or the statuses of the main leg (and a dialled leg)."""

    def __init__(self, steps: list, page_size: int) -> None:
        self.steps = steps
        self.page_size = page_size
        self.looks = 0
        self.pages_asked: list[int] = []
        self._current: list[dict] = []

    def tracking_page(self, tracking_id: str, page: int, size: int | None) -> dict:
        self.pages_asked.append(page)
        if page == 0:
            step = self.steps[min(self.looks, len(self.steps) - 1)]
            self.looks += 1
            if isinstance(step, Exception):
                raise step
            self._current = [leg("main", step[0])] + ([leg("dial", step[1])] if step[1] else [])
        content = self._current[page * self.page_size:(page + 1) * self.page_size]
        pages = max(1, math.ceil(len(self._current) / self.page_size))
        return {"content": content, "number": page, "last": page >= pages - 1,
                "totalPages": pages, "size": self.page_size}


errors = st.one_of(
    st.builds(lambda r: ApiError(429, "429013001", "Too many requests", retry_after=r),
              st.one_of(st.none(), st.floats(0, 40))),
    st.just(ApiError(500, "500013001", "Internal server error")),
    st.just(ApiError(404, "404013002", "not found")),
    st.just(MaybeSent("no answer")), st.just(NotSent("refused")))
looks = st.tuples(st.sampled_from(STATUSES), st.one_of(st.none(), st.sampled_from(STATUSES)))


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(st.one_of(errors, looks), min_size=1, max_size=30),
       deadline=st.floats(0.5, 300), page_size=st.integers(1, 3))
def test_following_reports_each_status_once_and_keeps_to_the_deadline(steps, deadline,
                                                                      page_size):
    clock = Clock()
    source = ScriptedRoutee(steps, page_size)
    seen: list[tuple[str, str]] = []
    followed = follow_call(source, "t", deadline=deadline, wait=clock.sleep, clock=clock,
                           recipient="+306911111111", policy=PollPolicy(),
                           on_change=lambda leg, before, main: seen.append(
                               (leg.message_id, leg.status)))
    assert clock.now <= deadline + 1e-9                         # never past the deadline
    assert followed.polls == source.looks == len(clock.waits)
    for mine in ("main", "dial"):                               # each change reported once
        statuses = [status for who, status in seen if who == mine]
        assert all(a != b for a, b in zip(statuses, statuses[1:]))
    cap = PollPolicy().cap
    for look, wait in enumerate(clock.waits[1:]):
        step = steps[min(look, len(steps) - 1)]             # the answer this wait follows
        remaining = deadline - sum(clock.waits[:look + 1])
        retry_after = step.retry_after if isinstance(step, ApiError) else None
        if retry_after:                                     # Retry-After honoured
            assert wait >= min(retry_after, remaining) - 1e-9
        assert wait <= max(cap, retry_after or 0) + 1e-9    # and no slower than needed
    last = steps[min(source.looks, len(steps)) - 1] if source.looks else None
    if followed.timed_out:
        assert followed.exit_code == TIMEOUT_EXIT_CODE
        assert not any(isinstance(s, tuple) and s[0] in routee.FINAL_STATUSES
                       for s in steps[:source.looks])
    else:
        assert isinstance(last, tuple) and last[0] == followed.status
        assert followed.status in routee.FINAL_STATUSES
        assert followed.exit_code == OUTCOME_EXIT_CODES[followed.status]


@settings(max_examples=100, deadline=None)
@given(main=st.sampled_from(STATUSES), dialled=st.sampled_from(STATUSES),
       page_size=st.integers(1, 3))
def test_every_page_is_read(main, dialled, page_size):
    source = ScriptedRoutee([(main, dialled)], page_size)
    tracking = read_tracking(source, "t")
    assert [leg.message_id for leg in tracking.legs] == ["main", "dial"]
    assert source.pages_asked == list(range(math.ceil(2 / page_size)))
    assert tracking.status("+306911111111") == main


@given(ring=st.integers(1, 60), talk=st.integers(1, 100000), margin=st.floats(0, 600))
def test_the_deadline_covers_the_ring_and_the_talk(ring, talk, margin):
    found = call_deadline({"hangupDelay": ring, "maxDuration": talk}, margin=margin)
    assert found.seconds == ring + talk + margin
    assert call_deadline({"hangupDelay": ring}, margin=margin).seconds >= ring + margin
