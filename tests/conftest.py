"""Shared fixtures for the tests that place calls: a Routee stand-in on
127.0.0.1, credentials in the environment, and ways to run `dialplan call`
(in-process with click's runner, or as a real process that can be killed)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dialplan_compiler.standin import Standin

APP_ID = "test-application"
#: A secret no test output may contain: tests grep for it.
SECRET = "S3CRET-4d1f9c7e-never-print-me"
SENDER = "+302101234567"


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if /dev/null is no longer a character device: as root, a
    test that writes "atomically" over it (a rename) replaces the machine's
    /dev/null with a regular file, which breaks every program that uses it."""
    if os.name != "posix":
        return
    try:
        if stat.S_ISCHR(os.lstat("/dev/null").st_mode):
            return
    except OSError:
        pass  # gone altogether: as broken
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
    message = ("/dev/null is no longer a character device: a test wrote over it. Restore it "
               "with: rm /dev/null && mknod -m 666 /dev/null c 1 3")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write("\n")  # after the progress line, which has not ended yet
        reporter.write_sep("!", message, red=True, bold=True)
    else:
        print(message, file=sys.stderr)


@pytest.fixture(autouse=True)
def no_signing_secret(monkeypatch):
    """Menus' eventUrls are signed with DIALPLAN_SIGNING_SECRET: no test
    sees a developer's own (a test that needs one sets it)."""
    monkeypatch.delenv("DIALPLAN_SIGNING_SECRET", raising=False)


@pytest.fixture
def routee_env(tmp_path, monkeypatch) -> dict[str, str]:
    """Credentials in the environment, and the user's config and cache
    directories inside tmp_path, so no test reads or writes the real ones."""
    values = {"ROUTEE_APPLICATION_ID": APP_ID, "ROUTEE_APPLICATION_SECRET": SECRET,
              "XDG_CONFIG_HOME": str(tmp_path / "config"),
              "XDG_CACHE_HOME": str(tmp_path / "cache")}
    for name in ("ROUTEE_API_URL", "ROUTEE_AUTH_URL", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def standin():
    """A factory of running stand-ins (stopped at the end of the test)."""
    started: list[Standin] = []

    def make(**options) -> Standin:
        options.setdefault("credentials", {APP_ID: SECRET})
        server = Standin(**options).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def urls(server: Standin) -> list[str]:
    return ["--api-url", server.url, "--auth-url", server.url]


def cli_process(args: list[str], env: dict[str, str], **popen) -> subprocess.Popen:
    """`dialplan ARGS` as a separate process (so that it can be killed)."""
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("ROUTEE_API_URL", "ROUTEE_AUTH_URL")}
    full_env.update(env)
    code = "from dialplan_compiler.cli import main; main(prog_name='dialplan')"
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env=full_env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


def write_script(path: Path, text: str | None = None) -> Path:
    path.write_text(text or f'from {SENDER}\nsay "Hello {{name}}." in en-GB\npause 2s\n',
                    encoding="utf-8")
    return path


def phone(i: int) -> str:
    """Distinct Greek mobile numbers that can exist."""
    return f"+3069{10000000 + i:08d}"


def write_recipients(path: Path, count: int, *, bad: dict[int, str] | None = None) -> Path:
    """A CSV with `to` and `name` columns; `bad` maps file lines to a `to` value."""
    lines = ["to,name"]
    for i in range(count):
        line = len(lines) + 1
        lines.append(f"{(bad or {}).get(line, phone(i))},Person {i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def files_containing(root: Path, needle: str) -> list[Path]:
    data = needle.encode()
    return [p for p in root.rglob("*") if p.is_file() and data in p.read_bytes()]


class PrecommitRepo:
    """A throwaway git repository of call scripts whose .pre-commit-config.yaml
    points at this clone at HEAD: the real pre-commit tool then clones and
    installs dialplan as it would for a user (so it runs committed code)."""

    def __init__(self, root: Path, hook: str) -> None:
        import shutil

        tool = shutil.which("pre-commit", path=os.path.dirname(sys.executable)) or \
            shutil.which("pre-commit")
        assert tool, "pre-commit is part of the test extras: pip install '.[test]'"
        self.tool = tool
        self.path = root / "scripts"
        self.path.mkdir()
        self.env = {**os.environ, "PRE_COMMIT_HOME": str(root / "cache"), "NO_COLOR": "1"}
        project = Path(__file__).resolve().parent.parent
        self.git("init", "-q")
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, check=True,
                             capture_output=True, text=True).stdout.strip()
        self.write(".pre-commit-config.yaml",
                   f"repos:\n  - repo: {project}\n    rev: {rev}\n    hooks:\n"
                   f"      - id: {hook}\n")

    def git(self, *args: str) -> None:
        subprocess.run(["git", *args], cwd=self.path, check=True, capture_output=True)

    def write(self, name: str, text: str) -> None:
        (self.path / name).write_text(text)

    def read(self, name: str) -> str:
        return (self.path / name).read_text()

    def run(self) -> subprocess.CompletedProcess:
        """`pre-commit run --all-files` on everything written so far."""
        self.git("add", ".")
        return subprocess.run([self.tool, "run", "--all-files", "--color", "never"],
                              cwd=self.path, env=self.env, capture_output=True, text=True,
                              timeout=600)


@pytest.fixture
def precommit_repo(tmp_path):
    return lambda hook: PrecommitRepo(tmp_path, hook)
