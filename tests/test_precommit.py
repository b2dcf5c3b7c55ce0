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


ALPHANUMERIC = 'from "Clinic"\nto +306912345678\nsay "Hello." in en-GB\n'  # DP304


def test_hook_checks_each_file_with_its_closest_configuration(precommit_repo):
    """pre-commit runs from the repository's root: a calls/.dialplan.toml still
    applies to the files under calls/ (the closest configuration wins whole),
    and the root's to the rest."""
    repo = precommit_repo("dialplan-check")
    (repo.path / "calls" / "deep").mkdir(parents=True)
    repo.write(".dialplan.toml", "warnings-as-errors = true\n")
    repo.write("calls/.dialplan.toml", 'ignore = ["DP304"]\nbogus = 1\n')
    repo.write("calls/deep/a.call", ALPHANUMERIC)
    repo.write("top.call", ALPHANUMERIC)

    failed = repo.run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "--> top.call:1:6" in failed.stdout and "warning[DP304]" in failed.stdout
    assert "calls/deep/a.call" not in failed.stdout  # DP304 ignored there
    assert "--> calls/.dialplan.toml:2:1" in failed.stdout
    assert "warning[DP330]: unknown configuration key 'bogus'" in failed.stdout

    repo.write("top.call", ALPHANUMERIC.replace('"Clinic"', "+302101234567"))
    passed = repo.run()  # calls/deep/a.call's DP304 stays ignored, the root is clean
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_the_snippet_in_docs_checking_works_as_written(precommit_repo):
    """docs/checking.md's `.pre-commit-config.yaml`, copied as it is, with
    dialplan installed where pre-commit runs (here: this test's environment)."""
    import os
    import re
    import sys

    from helpers import ROOT

    text = (ROOT / "docs" / "checking.md").read_text(encoding="utf-8")
    section = text[text.index("## pre-commit"):]
    snippet = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    repo = precommit_repo("dialplan-check")
    repo.write(".pre-commit-config.yaml", snippet)
    repo.env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + repo.env.get("PATH", "")
    repo.write("bad.call", BAD)
    failed = repo.run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "bad.call:3:17" in failed.stdout and "error[DP204]" in failed.stdout
    repo.write("bad.call", GOOD)
    passed = repo.run()
    assert passed.returncode == 0, passed.stdout + passed.stderr
