"""The `dialplan-fmt` hook, run by the real pre-commit tool.

As in test_precommit.py, pre-commit clones this repository at its current
commit (HEAD) and installs it into an environment of its own, so this test
exercises the committed `.pre-commit-hooks.yaml` and `dialplan fmt`.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

UGLY = 'to +306912345678\nfrom +302101234567\n\n\n\nsay "Hello."   in en-GB ; pause 90s  # wait\n'
PRETTY = 'from +302101234567\nto +306912345678\n\nsay "Hello." in en-GB\npause 1m30s  # wait\n'
BROKEN = 'say "Hello. in en-GB\n'


def test_fmt_hook_rewrites_files_then_passes(precommit_repo):
    repo = precommit_repo("dialplan-fmt")
    repo.write("ugly.call", UGLY)
    repo.write("pretty.call", PRETTY)
    repo.write("notes.txt", UGLY)      # not a .call file: never formatted
    run = repo.run

    rewritten = run()
    assert rewritten.returncode == 1, rewritten.stdout + rewritten.stderr
    assert "files were modified by this hook" in rewritten.stdout
    assert "reformatted ugly.call" in rewritten.stdout
    assert repo.read("ugly.call") == PRETTY
    assert repo.read("pretty.call") == PRETTY
    assert repo.read("notes.txt") == UGLY

    passed = run()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout

    repo.write("broken.call", BROKEN)
    failed = run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "broken.call:1:5" in failed.stdout and "error[DP002]" in failed.stdout
    assert "files were modified" not in failed.stdout
    assert repo.read("broken.call") == BROKEN
