"""The `dialplan-fmt` hook, run by the real pre-commit tool.

As in test_precommit.py, pre-commit clones this repository at its current
commit (HEAD) and installs it into an environment of its own, so this test
exercises the committed `.pre-commit-hooks.yaml` and `dialplan fmt`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UGLY = 'to +306912345678\nfrom +302101234567\n\n\n\nsay "Hello."   in en-GB ; pause 90s  # wait\n'
PRETTY = 'from +302101234567\nto +306912345678\n\nsay "Hello." in en-GB\npause 1m30s  # wait\n'
BROKEN = 'say "Hello. in en-GB\n'


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(scope="module")
def pre_commit() -> list[str]:
    found = shutil.which("pre-commit", path=os.path.dirname(sys.executable)) or \
        shutil.which("pre-commit")
    assert found, "pre-commit is part of the test extras: pip install '.[test]'"
    return [found]


def test_fmt_hook_rewrites_files_then_passes(tmp_path, pre_commit):
    rev = _git("rev-parse", "HEAD", cwd=ROOT)
    repo = tmp_path / "scripts"
    repo.mkdir()
    _git("init", "-q", cwd=repo)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {rev}\n    hooks:\n      - id: dialplan-fmt\n")
    (repo / "ugly.call").write_text(UGLY)
    (repo / "pretty.call").write_text(PRETTY)
    (repo / "notes.txt").write_text(UGLY)      # not a .call file: never formatted
    _git("add", ".", cwd=repo)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}

    def run() -> subprocess.CompletedProcess:
        return subprocess.run([*pre_commit, "run", "--all-files", "--color", "never"], cwd=repo,
                              env=env, capture_output=True, text=True, timeout=600)

    rewritten = run()
    assert rewritten.returncode == 1, rewritten.stdout + rewritten.stderr
    assert "files were modified by this hook" in rewritten.stdout
    assert "reformatted ugly.call" in rewritten.stdout
    assert (repo / "ugly.call").read_text() == PRETTY
    assert (repo / "pretty.call").read_text() == PRETTY
    assert (repo / "notes.txt").read_text() == UGLY

    _git("add", ".", cwd=repo)
    passed = run()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout

    (repo / "broken.call").write_text(BROKEN)
    _git("add", ".", cwd=repo)
    failed = run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "broken.call:1:5" in failed.stdout and "error[DP002]" in failed.stdout
    assert "files were modified" not in failed.stdout
    assert (repo / "broken.call").read_text() == BROKEN
