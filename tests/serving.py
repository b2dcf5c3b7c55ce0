"""Running `dialplan serve` for tests: a real process on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

SECRET = "test-signing-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(paths: list[Path], log: Path, *, secret: str = SECRET, port: int | None = None):
    """`dialplan serve PATHS` on `port` (default: a free one) of 127.0.0.1;
    yields its base URL. Its log lines (JSON) go to `log`."""
    port = port or free_port()
    env = {**os.environ, "DIALPLAN_SIGNING_SECRET": secret}
    code = "from dialplan_compiler.cli import main; main(prog_name='dialplan')"
    with open(log, "wb") as errors:
        process = subprocess.Popen(
            [sys.executable, "-c", code, "serve", *map(str, paths), "--port", str(port)],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors)
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
            yield base
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def with_base(script: Path, base: str, out: Path) -> Path:
    """The script with its menus' URL pointed at `base`."""
    out.write_text(script.read_text(encoding="utf-8").replace(
        "https://ivr.example.com/routee", base + "/routee"), encoding="utf-8")
    return out
