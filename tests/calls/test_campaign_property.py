"""Property: however two campaign runs over one journal interleave, and
wherever one of them dies, no recipient gets a second POST /voice/conversation.

What is modelled, and why it covers the real thing:

- Runs are `Campaign.run` in threads of this process, over real HTTP to
  the stand-in on 127.0.0.1 and real SQLite files. Each opens the journal
  by a name hypothesis draws: the path, a symlink, a relative path, a path
  through `..`, or the path after the `.lock` file older versions relied
  on was deleted. flock(2) locks belong to an open file, not a process, so
  two `Journal`s in one process exclude each other as two processes do.
- A scheduler lets one run move at a time, and hypothesis draws which run
  moves at each step. The steps are the points where another run's actions
  can matter: opening the journal, each journal transaction (each
  `Journal` method is one atomic transaction), and just before and just
  after each POST. So every interleaving of the runs' atomic actions can
  be drawn.
- A crash is drawn as a step: the run stops dead there (a BaseException
  that no handler of the campaign catches, so no cleanup code runs), and
  its SQLite connection and descriptor are closed, which rolls back
  nothing committed and releases the flock, as the kernel does for a
  SIGKILLed process. A crash just after a POST is the request that reached
  Routee with its answer lost. (Real processes killed with SIGKILL are in
  test_campaign_journal.py and test_campaign.py.)
- Then a clean run settles the rest.

Checked at the stand-in: at most one POST per recipient. Checked in the
journal: a recipient with a POST is `placed` (with the server's
trackingId) or `unknown`; one without is never `placed`; after the clean
run every row is `placed` or `unknown`.

The second test runs the same schedules with flock disabled (a filesystem
without it): both runs then really share the journal, and the row claim
(re-read and marked `pending` in one write transaction) alone must keep
the property.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import APP_ID, SECRET, SENDER, phone
from dialplan_compiler.calls.campaign import Campaign, Recipient
from dialplan_compiler.calls.client import Credentials, RateLimiter, RouteeClient
from dialplan_compiler.calls.journal import Journal, JournalError
from dialplan_compiler.calls.standin import Standin

ROWS = 4
NAMES = ("path", "symlink", "relative", "dotdot", "lock-deleted")
EXAMPLES = 40


class Crash(BaseException):
    """The run dies here: not an Exception, so no handler of the campaign runs."""


class Scheduler:
    """One run moves at a time; at each step the drawn picks say which."""

    def __init__(self, picks: list[int]) -> None:
        self._cond = threading.Condition()
        self._picks = iter(picks)
        self._live: set[int] = set()
        self._paused: set[int] = set()
        self._moving: int | None = None

    def join(self, run: int) -> None:
        with self._cond:
            self._live.add(run)

    def step(self, run: int) -> None:
        """Called by a run at each step: hand over, and wait to be picked."""
        with self._cond:
            self._paused.add(run)
            if self._moving == run:
                self._moving = None
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._moving == run)
            self._paused.discard(run)

    def leave(self, run: int) -> None:
        with self._cond:
            self._live.discard(run)
            self._paused.discard(run)
            if self._moving == run:
                self._moving = None
            self._cond.notify_all()

    def drive(self) -> None:
        with self._cond:
            while True:
                # A guard against a hang (a bug in the test), not a measurement.
                settled = self._cond.wait_for(
                    lambda: self._moving is None and self._paused == self._live, timeout=60)
                assert settled, "a run is stuck"
                if not self._live:
                    return
                ready = sorted(self._paused)
                self._moving = ready[next(self._picks, 0) % len(ready)]
                self._cond.notify_all()


class Steps:
    """A run's steps: each one is a point where the scheduler may switch
    runs, and where the run may die."""

    def __init__(self, scheduler: Scheduler, run: int, crash_at: int | None) -> None:
        self.scheduler, self.run, self.crash_at = scheduler, run, crash_at
        self.count = 0

    def __call__(self) -> None:
        self.scheduler.step(self.run)
        self.count += 1
        if self.count == self.crash_at:
            raise Crash()


class SteppedJournal(Journal):
    def __init__(self, path: str, step: Steps) -> None:
        self._step = step
        super().__init__(Path(path))


for _name in ("entries", "recover", "claim", "mark_placed", "mark_failed", "mark_unknown",
              "restore"):
    def _stepped(self, *args, _method=getattr(Journal, _name), **kwargs):
        self._step()
        return _method(self, *args, **kwargs)
    setattr(SteppedJournal, _name, _stepped)


class SteppedClient(RouteeClient):
    def __init__(self, server: Standin, step: Steps | None) -> None:
        clock = FakeClock()
        # No real waiting: the pacing is not what is tested here.
        super().__init__(Credentials(APP_ID, SECRET), api_url=server.url, auth_url=server.url,
                         limiter=RateLimiter(100, clock=clock, sleep=clock.sleep))
        self._step = step

    def place_call(self, payload):
        if self._step:
            self._step()            # before: the request has not gone out
        placed = super().place_call(payload)
        if self._step:
            self._step()            # after: Routee has it, the journal does not yet
        return placed


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def recipients() -> list[Recipient]:
    return [Recipient(i + 2, phone(i), phone(i),
                      {"from": SENDER, "to": {"phone": phone(i)},
                       "dialPlan": {"verbs": [{"type": "PAUSE", "duration": 1}]}})
            for i in range(ROWS)]


def name_for(kind: str, tmp: Path, journal: Path) -> str:
    if kind == "symlink":
        alias = tmp / "alias.sqlite"
        if not alias.is_symlink():
            alias.symlink_to(journal.name)
        return str(alias)
    if kind == "relative":
        return os.path.relpath(journal)
    if kind == "dotdot":
        (tmp / "sub").mkdir(exist_ok=True)
        return str(tmp / "sub" / ".." / journal.name)
    if kind == "lock-deleted":
        lock = journal.with_name(journal.name + ".lock")
        lock.touch()
        lock.unlink()
    return str(journal)


runs = st.tuples(st.sampled_from(NAMES), st.one_of(st.none(), st.integers(1, 4 * ROWS + 6)))


def check_two_runs(two_runs, picks, final_name, *, locked: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp_name, \
            Standin(credentials={APP_ID: SECRET}) as server:
        tmp = Path(tmp_name)
        journal = tmp / "people.csv.journal.sqlite"
        people = recipients()
        scheduler = Scheduler(picks)
        outcomes: dict[int, object] = {}
        holding: set[int] = set()

        def body(run: int, kind: str, crash_at: int | None) -> None:
            step = Steps(scheduler, run, crash_at)
            opened = None
            try:
                step()                                   # the run starts
                try:
                    opened = SteppedJournal(name_for(kind, tmp, journal), step)
                except JournalError as error:
                    # Refused only while the other run holds the journal.
                    outcomes[run] = ("refused", str(error), set(holding))
                    return
                holding.add(run)
                if locked:
                    assert holding == {run}, "two runs hold the journal at once"
                with SteppedClient(server, step) as client:
                    # Claims are what is tested: calls are not followed
                    # (test_campaign_outcomes.py has a property for that).
                    Campaign(people, client, opened, follow=None).run()
                outcomes[run] = ("done",)
            except Crash:
                outcomes[run] = ("crashed",)
            except BaseException as error:  # noqa: BLE001 - reported by the test thread
                outcomes[run] = ("error", error)
            finally:
                holding.discard(run)
                if opened is not None:
                    opened.close()                       # what the kernel does at a kill
                scheduler.leave(run)

        threads = []
        for run, (kind, crash_at) in enumerate(two_runs):
            scheduler.join(run)
            threads.append(threading.Thread(target=body, args=(run, kind, crash_at)))
        for thread in threads:
            thread.start()
        scheduler.drive()
        for thread in threads:
            thread.join()
        for outcome in outcomes.values():
            if outcome[0] == "error":
                raise outcome[1]
            if outcome[0] == "refused":
                assert locked and outcome[2], "refused while nobody held the journal"
                assert "is in use by another `dialplan call` run" in outcome[1]

        posts = server.posts_per_recipient()
        assert all(n == 1 for n in posts.values()), posts
        # A clean run, by a name of its own, settles the rest.
        with Journal(Path(name_for(final_name, tmp, journal))) as final, \
                SteppedClient(server, None) as client:
            Campaign(people, client, final, follow=None).run()
            entries = final.entries()
        posts = server.posts_per_recipient()
        assert all(n == 1 for n in posts.values()), posts
        tracking = {call.recipient: call.tracking_id for call in server.calls.values()}
        for recipient in people:
            entry = entries[recipient.key]
            assert entry.state in ("placed", "unknown"), entry
            if entry.state == "placed":
                assert posts[recipient.key] == 1
                assert entry.tracking_id == tracking[recipient.key]


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(two_runs=st.tuples(runs, runs), picks=st.lists(st.integers(0, 1), max_size=60),
       final_name=st.sampled_from(NAMES))
def test_two_runs_and_crashes_never_post_a_recipient_twice(two_runs, picks, final_name):
    check_two_runs(two_runs, picks, final_name, locked=True)


@SETTINGS
@given(two_runs=st.tuples(runs, runs), picks=st.lists(st.integers(0, 1), max_size=60),
       final_name=st.sampled_from(NAMES))
def test_without_the_lock_the_row_claim_alone_keeps_the_property(two_runs, picks, final_name):
    with mock.patch("fcntl.flock", lambda fd, operation: None):
        check_two_runs(two_runs, picks, final_name, locked=False)
