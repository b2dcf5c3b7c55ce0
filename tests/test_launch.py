"""The `dialplan` entry point runs plain `check` command lines without click
(launch.py): for every command line, what it prints and how it exits are
exactly what the click command prints and how it exits."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpers import ROOT

GOOD = 'from +302101234567\nto +306912345678\nsay "Hello." in en-GB\n'
WARNED = 'from "Clinic"\nto +306912345678\nsay "Hi." in en-US\n'
BAD = 'sya "x"\nsay "x" in en-gb\n'

ENTRY = ["-m", "dialplan_compiler"]                      # what the console script runs
CLICK = ["-c", "from dialplan_compiler.cli import main; main(prog_name='dialplan')"]


def run(how: list[str], args: list[str], cwd, stdin: str = "") -> tuple:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    done = subprocess.run([sys.executable, "-X", "importtime", *how, *args], cwd=cwd,
                          input=stdin, capture_output=True, text=True, env=env, timeout=120)
    lines = done.stderr.splitlines()
    clicked = any(line.startswith("import time:") and line.split("|")[-1].strip() == "click"
                  for line in lines)
    stderr = "\n".join(line for line in lines if not line.startswith("import time:"))
    return (done.returncode, done.stdout, stderr), clicked


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    (root / "calls").mkdir()
    (root / "calls" / "good.call").write_text(GOOD)
    (root / "calls" / "warned.call").write_text(WARNED)
    (root / "bad.call").write_text(BAD)
    (root / "strict.toml").write_text("warnings-as-errors = true\n")
    (root / "huge.call").write_text("")
    os.truncate(root / "huge.call", 65 * 1024 * 1024)  # over the 64 MiB limit, sparse
    return root


PLAIN = [
    ["check", "calls"],
    ["check", "bad.call", "calls"],
    ["check", "--format", "concise", "."],
    ["check", "--format", "json", "bad.call"],
    ["check", "--format", "sarif", "calls"],
    ["check", "--format", "github", "bad.call"],
    ["check", "bad.call", "--max-errors", "1"],
    ["check", "--warnings-as-errors", "calls"],
    ["check", "--config", "strict.toml", "calls"],
    ["check", "--color", "always", "bad.call"],
    ["check", "-j", "1", "--no-cache", "calls"],
    ["check", "--jobs", "2", "--cache-dir", "cache", "calls", "bad.call"],
    ["check", "-"],
    ["check", "huge.call"],
    ["check", "empty-dir"],
]

TO_CLICK = [
    ["check", "--help"],
    ["check", "-h"],
    ["check", "--format=json", "calls"],
    ["check", "--format", "yaml", "calls"],
    ["check", "--max-errors", "0", "calls"],
    ["check", "--bogus", "calls"],
    ["check"],
    ["check", "missing.call"],
    ["check", "--config", "calls", "calls"],
    ["--version"],
]


@pytest.mark.parametrize("args", PLAIN, ids=" ".join)
def test_plain_check_lines_run_without_click_and_say_the_same(project, args):
    (project / "empty-dir").mkdir(exist_ok=True)
    fast, clicked = run(ENTRY, args, project, stdin=BAD)
    assert not clicked
    slow, _ = run(CLICK, args, project, stdin=BAD)
    assert fast == slow


@pytest.mark.parametrize("args", TO_CLICK, ids=" ".join)
def test_other_lines_go_to_click(project, args):
    fast, clicked = run(ENTRY, args, project)
    assert clicked
    assert fast == run(CLICK, args, project)[0]
    assert fast[0] != 1 or args == ["check", "--format=json", "calls"]


def test_a_configuration_that_cannot_be_read_is_said_as_click_says_it(project):
    (project / "calls" / ".dialplan.toml").write_bytes(b'ignore = ["\xff"]\n')
    fast, _ = run(ENTRY, ["check", "calls"], project)
    assert fast == run(CLICK, ["check", "calls"], project)[0]
    assert fast[0] == 2 and "Error: cannot read the configuration for calls" in fast[2]


def test_the_console_script_is_the_launcher():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dialplan = "dialplan_compiler.launch:main"' in text
