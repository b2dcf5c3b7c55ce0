"""The `dialplan-check` hook, run by the real pre-commit tool.

pre-commit clones this repository at its current commit and installs it into
a fresh environment of its own, exactly as it would for a user, so this test
exercises the committed `.pre-commit-hooks.yaml`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD = 'from +302101234567\nto +306912345678\nsay "Hello." in en-GB\n'
BAD = 'from +302101234567\nto +306912345678\nsay "Hello." in en-gb\n'


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(scope="module")
def pre_commit() -> list[str]:
    found = shutil.which("pre-commit", path=os.path.dirname(sys.executable)) or \
        shutil.which("pre-commit")
    assert found, "pre-commit is part of the test extras: pip install '.[test]'"
    return [found]


def test_hook_fails_on_bad_file_and_passes_when_fixed(tmp_path, pre_commit):
    rev = _git("rev-parse", "HEAD", cwd=ROOT)
    repo = tmp_path / "scripts"
    repo.mkdir()
    _git("init", "-q", cwd=repo)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {rev}\n    hooks:\n      - id: dialplan-check\n")
    (repo / "good.call").write_text(GOOD)
    (repo / "bad.call").write_text(BAD)
    (repo / "notes.txt").write_text(BAD)  # not a .call file: never checked
    _git("add", ".", cwd=repo)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}

    def run() -> subprocess.CompletedProcess:
        return subprocess.run([*pre_commit, "run", "--all-files", "--color", "never"], cwd=repo,
                              env=env, capture_output=True, text=True, timeout=600)

    failed = run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "bad.call:3:17" in failed.stdout
    assert "error[DP204]" in failed.stdout
    assert "good.call" not in failed.stdout.replace("in 2 files", "")
    assert "notes.txt" not in failed.stdout

    (repo / "bad.call").write_text(GOOD)
    _git("add", ".", cwd=repo)
    passed = run()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
