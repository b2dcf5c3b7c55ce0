"""The benchmark keeps working: CI runs it in its smoke mode (tiny inputs, a
few runs, no targets). Its targets are timed by `python bench/run.py`, never
in unit tests."""

from __future__ import annotations

import pytest

import re
import subprocess
import sys

from helpers import ROOT

pytestmark = pytest.mark.slow


def test_bench_smoke_run_prints_every_target():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--smoke"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("dialplan bench (smoke)")
    for target in ("1a.", "1b.", "1c.", "2a.", "2b.", "2c.", "2d.", "3.", "4.", "4b.", "5."):
        assert any(line.startswith(target) for line in lines), (target, done.stdout)
    # check-jsonschema is part of the test extras, so 1b is measured, not skipped
    assert "not installed" not in done.stdout
    assert re.search(r"^5\. heavy imports on the success path +none ", done.stdout, re.M)
