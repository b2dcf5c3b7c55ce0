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
