"""docs/preview.md shows real output: each ```console block's command, run
from the repository's root as written, prints exactly what follows it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT

DOC = ROOT / "docs" / "preview.md"
BLOCKS = re.findall(r"```console\n\$ (.*?)\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@pytest.mark.slow
@pytest.mark.parametrize("command,expected", BLOCKS, ids=[b[0][:60] for b in BLOCKS])
def test_each_command_of_the_doc_prints_what_the_doc_shows(command, expected, tmp_path):
    pytest.importorskip("espeakng_loader")  # the test extras include the audio extra
    # A copy of what the commands read, so that what they write lands in tmp_path.
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent),
                                                  os.environ.get("PATH", "")])}
    done = subprocess.run(command, shell=True, cwd=tmp_path, env=env, capture_output=True,
                          text=True)
    assert done.stdout == expected, done.stderr


def test_the_doc_has_its_examples():
    assert len(BLOCKS) >= 6
    assert any(command.startswith("dialplan preview") for command, _ in BLOCKS)
    assert any("--dry-run --prices" in command for command, _ in BLOCKS)
