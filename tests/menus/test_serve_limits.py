"""What anyone on the network can make a real `dialplan serve` process do.

The eventUrls are public (they are in every main plan Routee fetches), so
each test here talks HTTP, or raw TCP, to a real process on 127.0.0.1:
memory stays bounded whatever is asked for, bad input gets a 4xx and one
JSON log line (never a 500 or a traceback), half-sent requests are dropped,
and start-up problems (a weak secret, a port in use) are told, exit 2,
before the server says it is serving."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx

from dialplan_compiler.signing import event_url
from serving import (SECRET, free_port, log_records, rss_mb, serve_command, serve_env,
                     serve_process, serving, wait_for_record)

from helpers import ROOT
CLINIC = ROOT / "examples" / "ivr" / "clinic.call"
#: Far above what one request in flight costs, far below a cache of WAVs
#: (64 of 537–600 s held 1.1 GB).
GROWTH_MB = 50


def signed(base: str, node: str = "main", attempt: int = 1) -> str:
    return event_url(base + "/routee", SECRET.encode(), "clinic", node, attempt)


def port_of(base: str) -> int:
    return urlsplit(base).port


def no_tracebacks(log: Path) -> list[dict]:
    """The log's records, asserting that every line is one JSON object and
    that nothing in it went wrong inside the server."""
    records = log_records(log)
    assert not [r for r in records if r.get("level") in ("error", "critical")
                or "exception" in r], records
    return records


# --- 1. memory --------------------------------------------------------------------------------

def test_silent_wavs_of_any_length_cost_no_memory(tmp_path):
    log = tmp_path / "serve.log"
    with serve_process([CLINIC], log) as (base, process), httpx.Client() as client:
        def fetch(seconds: int) -> int:
            size = 0
            with client.stream("GET", f"{base}/routee/audio/silence-{seconds}s.wav") as answer:
                assert answer.status_code == 200
                assert int(answer.headers["content-length"]) == 44 + seconds * 16000
                for chunk in answer.iter_bytes():
                    size += len(chunk)
            return size

        assert fetch(600) == 44 + 600 * 16000  # warm: the code paths, the buffers
        before = rss_mb(process)
        for seconds in range(537, 601):  # distinct: nothing a cache could share
            assert fetch(seconds) == 44 + seconds * 16000
        # Clients that ask and do not read: what is written waits for them in
        # kernel buffers, not in the server.
        stalled = []
        for _ in range(16):
            sock = socket.create_connection(("127.0.0.1", port_of(base)))
            sock.sendall(b"GET /audio/silence-600s.wav HTTP/1.1\r\nHost: t\r\n\r\n")
            stalled.append(sock)
        assert client.get(base + "/healthz").status_code == 200
        grown = rss_mb(process) - before
        for sock in stalled:
            sock.close()
    assert grown < GROWTH_MB, f"the server grew by {grown:.0f} MB"
    no_tracebacks(log)


# --- 2. bad input: a 4xx and one JSON line ----------------------------------------------------

def test_bad_input_gets_a_4xx_and_json_log_lines(tmp_path):
    log = tmp_path / "serve.log"
    with serving([CLINIC], log) as base, httpx.Client() as client:
        url = signed(base)
        superscript = quote("²")
        assert client.get(f"{base}/routee/audio/silence-{superscript}s.wav").status_code == 404
        assert client.post(url.replace("t=1", "t=" + superscript), json={}).status_code == 403
        deep = client.post(url, content=b"[" * 30000 + b"]" * 30000)
        assert deep.status_code == 400 and "error" in deep.json()
        assert client.post(base + "/routee/status", content=b"{\"a\":" * 10000).status_code \
            == 400
        assert client.post(url, content=b" " * (64 * 1024 + 1)).status_code == 413
        # Chunked: no Content-Length to refuse unread; the count stops it.
        assert client.post(url, content=(b"1" * 8192 for _ in range(9))).status_code == 413
        # A lone surrogate (JSON allows "\ud800"): logged, as ASCII JSON.
        surrogate = client.post(url, content=b'{"collectedTones": "\\ud800"}')
        assert surrogate.status_code == 200 and "verbs" in surrogate.json()
        # A Host that urlsplit cannot read.
        assert client.post(url, json={"collectedTones": "1"}, headers={"Host": "["}) \
            .status_code == 200
        # The body promised and never sent: the client goes away.
        with socket.create_connection(("127.0.0.1", port_of(base))) as sock:
            parts = urlsplit(url)
            sock.sendall(f"POST {parts.path}?{parts.query} HTTP/1.1\r\nHost: t\r\n"
                         "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                         '{"collectedTones": '.encode())
        wait_for_record(log, "client-disconnected")
        assert client.get(base + "/healthz").status_code == 200
    records = no_tracebacks(log)
    events = [r.get("event") for r in records]
    assert events.count("client-disconnected") == 1
    assert {"forged", "body-too-deep", "body-too-large"} <= set(events)
    assert "\\ud800" in log.read_text()


# --- 3. half-sent requests are dropped --------------------------------------------------------

def test_a_half_sent_request_is_dropped(tmp_path):
    log = tmp_path / "serve.log"
    halves = [
        b"",                                                        # connects, says nothing
        b"GET /healthz HT",                                         # half a request line
        b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ",            # half the headers
        b"POST /routee/status HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{\"a\"",
    ]
    with serving([CLINIC], log, args=("--request-timeout", "2", "--keep-alive", "2")) as base:
        sockets = []
        for half in halves:
            sock = socket.create_connection(("127.0.0.1", port_of(base)))
            sock.sendall(half)
            sockets.append(sock)
        # A whole request sent in pieces is answered, and its connection
        # then closed once idle.
        with socket.create_connection(("127.0.0.1", port_of(base))) as whole:
            whole.settimeout(30)
            whole.sendall(b"GET /healthz HTTP/1.1\r\n")
            whole.sendall(b"Host: t\r\n\r\n")
            answer = b""
            while b"scripts" not in answer:
                data = whole.recv(4096)
                assert data, answer
                answer += data
            assert answer.startswith(b"HTTP/1.1 200")
            assert _closed(whole)
        for sock, half in zip(sockets, halves):
            assert _closed(sock), half
            sock.close()
        assert httpx.get(base + "/healthz").status_code == 200
    no_tracebacks(log)


def _closed(sock: socket.socket) -> bool:
    """Whether the server closes `sock` (within 30 s: a bound, not a timing)."""
    sock.settimeout(30)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


# --- 4 and 5. start-up problems, told before "serving" ----------------------------------------

def run_serve(*args: str, secret: str = SECRET) -> subprocess.CompletedProcess:
    return subprocess.run(serve_command([CLINIC], *args), env=serve_env(secret),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)


def test_a_weak_secret_stops_serve_before_it_serves():
    for secret, why in ((" ", "is 1 bytes long"), ("  " * 10, "is only whitespace"),
                        ("z" * 32, "is one character repeated")):
        result = run_serve("--port", str(free_port()), secret=secret)
        assert result.returncode == 2, result.stderr
        assert f"DIALPLAN_SIGNING_SECRET {why}" in result.stderr
        assert "serving" not in result.stderr + result.stdout


def test_a_port_in_use_is_told_before_serving():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_serve("--port", str(port))
    assert result.returncode == 2, result.stderr
    assert f"cannot listen on 127.0.0.1 port {port}" in result.stderr
    assert "serving" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_an_address_not_of_this_machine_is_told_before_serving():
    # TEST-NET-1 (RFC 5737): never local, and binding sends nothing anywhere.
    result = run_serve("--host", "192.0.2.1", "--port", str(free_port()))
    assert result.returncode == 2, result.stderr
    assert "cannot listen on 192.0.2.1" in result.stderr
    assert "serving" not in result.stderr + result.stdout
