"""Reports delivered: `report to URL`, posted by `dialplan serve` in the background.

Routee waits 3 s for an eventUrl's answer, and what the caller hears must
not depend on the user's system being up. So a report is put on a bounded
in-memory queue when its branch is answered, and posted after the answer
has gone: a few at a time, each with retries and exponential backoff.
Every delivery and every give-up is one JSON line in the server's log; a
full queue drops the report (logged), it never holds up an answer.

The queue is in memory, so a report still queued when the server stops is
lost (logged as `report-abandoned`): a report is a notification, and a
system that must not miss one also reads the call's status callbacks.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any, Callable

#: Reports waiting to be posted; beyond this many, new ones are dropped.
QUEUE_SIZE = 1000
#: Reports being posted at once.
CONCURRENCY = 8
#: Tries of one report, and the seconds before the second (doubled each time).
ATTEMPTS = 5
FIRST_BACKOFF = 0.5
#: Seconds one POST may take.
TIMEOUT = 5.0


def retryable(status: int) -> bool:
    """A status worth trying again: the receiver's trouble, not the report's."""
    return status >= 500 or status in (408, 425, 429)


class Deliveries:
    """The report queue of one server. `post(url, body)` is put on the queue
    with `submit`; workers start on the first report (in the server's loop)."""

    def __init__(self, log: Callable[[dict], None], client_factory: Callable[[], Any], *,
                 queue_size: int = QUEUE_SIZE, attempts: int = ATTEMPTS,
                 first_backoff: float = FIRST_BACKOFF, timeout: float = TIMEOUT) -> None:
        self.log = log
        self.client_factory = client_factory
        self.queue_size = queue_size
        self.attempts = attempts
        self.first_backoff = first_backoff
        self.timeout = timeout
        self.queue: asyncio.Queue | None = None
        self.workers: list[asyncio.Task] = []

    def submit(self, url: str, body: dict, context: dict) -> None:
        """Queue a report (never blocks). `context` goes into its log lines."""
        if self.queue is None:
            self.queue = asyncio.Queue(self.queue_size)
            self.workers = [asyncio.get_running_loop().create_task(self._work())
                            for _ in range(CONCURRENCY)]
        try:
            self.queue.put_nowait((url, body, context))
        except asyncio.QueueFull:
            self.log({"event": "report-dropped", "url": url, **context,
                      "error": f"{self.queue_size} reports are already waiting"})

    async def _work(self) -> None:
        assert self.queue is not None
        while True:
            url, body, context = await self.queue.get()
            try:
                await self._deliver(url, body, context)
            except asyncio.CancelledError:
                self.log({"event": "report-abandoned", "url": url, **context,
                          "error": "the server stopped before it was posted"})
                raise
            except Exception as error:  # noqa: BLE001 - a worker must outlive any report
                self.log({"event": "report-failed", "url": url, **context,
                          "error": f"{type(error).__name__}: {error}"})
            finally:
                self.queue.task_done()

    async def _deliver(self, url: str, body: dict, context: dict) -> None:
        import httpx

        data = json.dumps(body).encode()  # ASCII JSON: Routee's strings may hold surrogates
        delay = self.first_backoff
        problem = ""
        for attempt in range(1, self.attempts + 1):
            try:
                response = await self.client_factory().post(
                    url, content=data, headers={"Content-Type": "application/json"},
                    timeout=self.timeout)
            except httpx.HTTPError as error:
                problem = type(error).__name__
            else:
                if response.status_code < 300:
                    self.log({"event": "reported", "url": url, **context,
                              "status": response.status_code, "attempt": attempt})
                    return
                problem = f"HTTP {response.status_code}"
                if not retryable(response.status_code):
                    break
            if attempt < self.attempts:
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay *= 2
        self.log({"event": "report-failed", "url": url, **context, "error": problem,
                  "attempts": attempt})

    async def close(self, grace: float = 2.0) -> None:
        """Stop the workers, after at most `grace` seconds for the queue to
        empty; log what is still queued as abandoned."""
        if self.queue is not None:
            try:
                await asyncio.wait_for(self.queue.join(), grace)
            except TimeoutError:
                pass
        for worker in self.workers:
            worker.cancel()
        if self.workers:
            await asyncio.gather(*self.workers, return_exceptions=True)
        left = self.queue.qsize() if self.queue is not None else 0
        if left:
            self.log({"event": "report-abandoned", "reports": left,
                      "error": "the server stopped before they were posted"})
