"""The `dialplan-check` hook, run by the real pre-commit tool.

pre-commit clones this repository at its current commit and installs it into
a fresh environment of its own, exactly as it would for a user, so this test
exercises the committed `.pre-commit-hooks.yaml`.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

GOOD = 'from +302101234567\nto +306912345678\nsay "Hello." in en-GB\n'
BAD = 'from +302101234567\nto +306912345678\nsay "Hello." in en-gb\n'


def test_hook_fails_on_bad_file_and_passes_when_fixed(precommit_repo):
    repo = precommit_repo("dialplan-check")
    repo.write("good.call", GOOD)
    repo.write("bad.call", BAD)
    repo.write("notes.txt", BAD)  # not a .call file: never checked

    failed = repo.run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "bad.call:3:17" in failed.stdout
    assert "error[DP204]" in failed.stdout
    assert "good.call" not in failed.stdout.replace("in 2 files", "")
    assert "notes.txt" not in failed.stdout

    repo.write("bad.call", GOOD)
    passed = repo.run()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
