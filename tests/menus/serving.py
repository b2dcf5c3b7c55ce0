"""Running `dialplan serve` for tests: a real process on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

SECRET = "test-signing-secret"
CODE = "from dialplan_compiler.cli import main; main(prog_name='dialplan')"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_command(paths: list[Path], *args: str) -> list[str]:
    """The command line of `dialplan serve PATHS ARGS`, run by this Python."""
    return [sys.executable, "-c", CODE, "serve", *map(str, paths), *args]


def serve_env(secret: str = SECRET) -> dict[str, str]:
    return {**os.environ, "DIALPLAN_SIGNING_SECRET": secret}


@contextmanager
def serve_process(paths: list[Path], log: Path, *, secret: str = SECRET,
                  port: int | None = None, args: tuple[str, ...] = ()):
    """`dialplan serve PATHS ARGS` on `port` (default: a free one) of
    127.0.0.1; yields (its base URL, the process). Everything it writes,
    standard output and standard error, goes to `log`."""
    port = port or free_port()
    with open(log, "wb") as output:
        process = subprocess.Popen(serve_command(paths, "--port", str(port), *args),
                                   env=serve_env(secret), stdin=subprocess.DEVNULL,
                                   stdout=output, stderr=output)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("dialplan serve did not start:\n" + log.read_text())
                time.sleep(0.05)
            yield base, process
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def serving(paths: list[Path], log: Path, *, secret: str = SECRET, port: int | None = None,
            args: tuple[str, ...] = ()):
    """`serve_process`, yielding only the base URL."""
    with serve_process(paths, log, secret=secret, port=port, args=args) as (base, _):
        yield base


def rss_mb(process: subprocess.Popen) -> float:
    """The resident memory of `process` (VmRSS), in MB."""
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {process.pid}")


def log_records(log: Path) -> list[dict]:
    """Every whole line `log` holds, each asserted to be one JSON object (a
    line still being written, with no newline yet, is left for later).
    Lines as str.splitlines() sees them: it also breaks at U+0085, U+2028
    and U+2029, which JSON may leave raw in a string and the server escapes."""
    text = log.read_text(encoding="utf-8")
    records = []
    for number, line in enumerate(text[:text.rfind("\n") + 1].splitlines(), 1):
        try:
            record = json.loads(line)
        except ValueError:
            raise AssertionError(f"line {number} of the log is not JSON: {line!r}") from None
        assert isinstance(record, dict), f"line {number} is not a JSON object: {line!r}"
        records.append(record)
    return records


def wait_for_record(log: Path, event: str, seconds: float = 30) -> dict:
    """The first log record of `event`, waiting for it up to `seconds` (a
    bound, not a measurement: the server writes it as it handles a request)."""
    deadline = time.monotonic() + seconds
    while True:
        found = [r for r in log_records(log) if r.get("event") == event]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no {event!r} line in the log:\n{log.read_text()}")
        time.sleep(0.05)


def with_base(script: Path, base: str, out: Path) -> Path:
    """The script with its menus' URL pointed at `base`."""
    out.write_text(script.read_text(encoding="utf-8").replace(
        "https://ivr.example.com/routee", base + "/routee"), encoding="utf-8")
    return out


class Receiver:
    """A small HTTP server on 127.0.0.1 that keeps every POST it gets (path
    and JSON body) and answers what `answer(path, body)` returns: (status,
    bytes), after `delay` seconds. The default answers 200 `{}`."""

    def __init__(self, answer=None, delay: float = 0.0) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.got: list[tuple[str, object]] = []
        self.arrived = threading.Condition()
        receiver = self
        answer = answer or (lambda path, body: (200, b"{}"))

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = raw
                with receiver.arrived:
                    receiver.got.append((self.path, body))
                    receiver.arrived.notify_all()
                if delay:
                    time.sleep(delay)
                status, data = answer(self.path, body)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def bodies(self, path: str) -> list:
        return [body for p, body in self.got if p == path]

    def wait_for(self, count: int, timeout: float = 20.0) -> bool:
        """Whether `count` requests have arrived within `timeout` seconds."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.got) >= count, timeout)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def place_campaign(script: Path, people: Path, server, monkeypatch) -> None:
    """`dialplan call SCRIPT --recipients PEOPLE` on the stand-in `server`,
    signed with SECRET; returns once every call has been run."""
    from click.testing import CliRunner

    from dialplan_compiler.cli import main
    from helpers import urls

    monkeypatch.setenv("DIALPLAN_SIGNING_SECRET", SECRET)
    result = CliRunner().invoke(main, ["call", str(script), "--recipients", str(people),
                                       "--rate", "100", *urls(server)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert server.wait_for_calls(30)
