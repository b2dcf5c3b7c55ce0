"""A bounded load test of `dialplan serve` on 127.0.0.1.

A real `dialplan serve` process answers 5,000 requests from 32 concurrent
clients (the eventUrls of every branch of the clinic example, its main
plan, and status callbacks) and stops. Routee waits 3 s for an eventUrl's
answer; the test asks for zero errors and a p99 well under that (1 s).
`pytest tests/menus/test_serve_load.py -s` prints the numbers that
docs/performance.md ("serve load test") quotes."""

from __future__ import annotations

import pytest

import http.client
import json
import os
import random
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from dialplan_compiler.menus.bundles import compile_scripts
from serving import SECRET, serving

from helpers import ROOT

pytestmark = pytest.mark.slow
CLINIC = ROOT / "examples" / "ivr" / "clinic.call"
REQUESTS = 5000
CLIENTS = 32
#: Routee's deadline is 3 s; this is "well under" it.
P99_LIMIT = 1.0


def workload(base: str) -> list[tuple[str, str, bytes, int]]:
    """(method, url, body, expected status) for every kind of request."""
    bundle = compile_scripts([CLINIC], SECRET.encode())["clinic"]
    urls = []
    for plan in bundle.plans.values():
        for verb in plan.verbs:
            url = getattr(verb, "event_url", None)
            if url:
                urls.append(base + urlsplit(url).path + "?" + urlsplit(url).query)
    keys = ["1", "2", "9", "5", "1234", "12", "", "*"]
    body = {"from": "+306912345678", "to": "+302101234567", "messageId": "m",
            "conversationTrackingId": "c"}
    mix = []
    rng = random.Random(7)
    for i in range(REQUESTS):
        kind = i % 10
        if kind < 8:  # eventUrls: most of the traffic
            tones = rng.choice(keys)
            mix.append(("POST", rng.choice(urls),
                        json.dumps({**body, "collectedTones": tones}).encode(), 200))
        elif kind == 8:
            mix.append(("POST", base + "/routee/plans/clinic", json.dumps(body).encode(), 200))
        else:
            mix.append(("POST", base + "/routee/status",
                        json.dumps({**body, "status": {"name": "Completed"}}).encode(), 200))
    return mix


def hammer(requests: list[tuple[str, str, bytes, int]]) -> tuple[list[float], list[str]]:
    """Send `requests` from CLIENTS threads, each with its own keep-alive
    connection (http.client: light enough that the clients, which share
    the machine's two cores with the server, measure the server and not
    themselves)."""
    pending = list(reversed(requests))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def client() -> None:
        connection = None
        while True:
            with lock:
                if not pending:
                    break
                method, url, body, expected = pending.pop()
            parts = urlsplit(url)
            if connection is None:
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            start = time.perf_counter()
            try:
                connection.request(method, f"{parts.path}?{parts.query}", body=body,
                                   headers={"Content-Type": "application/json"})
                answer = connection.getresponse()
                data = answer.read()
                elapsed = time.perf_counter() - start
                ok = answer.status == expected and \
                    answer.getheader("content-type", "").startswith("application/json") and \
                    (parts.path.endswith("/status") or "verbs" in json.loads(data))
                if not ok:
                    errors.append(f"{answer.status} {url}")
            except (OSError, http.client.HTTPException, ValueError) as error:
                elapsed = time.perf_counter() - start
                errors.append(f"{type(error).__name__} {url}")
                connection.close()
                connection = None
            with lock:
                latencies.append(elapsed)
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return latencies, errors


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def test_serve_answers_thousands_of_requests_well_inside_routees_deadline(tmp_path):
    with serving([CLINIC], tmp_path / "serve.log") as base:
        requests = workload(base)
        started = time.perf_counter()
        latencies, errors = hammer(requests)
        elapsed = time.perf_counter() - started
    report = {
        "requests": len(latencies), "clients": CLIENTS, "errors": len(errors),
        "seconds": round(elapsed, 2), "per_second": round(len(latencies) / elapsed),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p90_ms": round(percentile(latencies, 0.90) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1),
        "cores": os.cpu_count(),
    }
    print("\nserve load test:", json.dumps(report))
    assert len(latencies) == REQUESTS
    assert errors == [], errors[:5]
    assert percentile(latencies, 0.99) < P99_LIMIT, report
