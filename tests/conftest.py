"""Fixtures for every test: no developer's signing secret, a Routee stand-in
on 127.0.0.1, credentials in the environment, a pre-commit repository; and
a check at the end of the run that /dev/null is still a device. Helpers
that are not fixtures are in helpers.py."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from dialplan_compiler.calls.standin import Standin
from helpers import APP_ID, SECRET, PrecommitRepo


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


@pytest.fixture(autouse=True)
def own_check_cache(tmp_path, monkeypatch):
    """`dialplan check` remembers files in a cache folder: each test has its
    own, so that no test sees another's entries or writes into the clone."""
    monkeypatch.setenv("DIALPLAN_CACHE_DIR", str(tmp_path / "dialplan-cache"))


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


@pytest.fixture
def precommit_repo(tmp_path):
    return lambda hook: PrecommitRepo(tmp_path, hook)
