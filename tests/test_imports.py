"""The success path of `check` and `compile` imports nothing it does not
need: no jsonschema (the fast schema check answers), no HTTP client, no
server, no Lark (the standalone parser is generated), no SQLite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT
EXAMPLE = ROOT / "examples" / "delivery-window.call"
HEAVY = {"jsonschema", "referencing", "httpx", "httpcore", "starlette", "uvicorn", "lark",
         "pygls", "sqlite3", "pathlib", "tomllib", "hashlib"}


def imported(*argv: str) -> set[str]:
    code = ("import sys\nfrom dialplan_compiler.cli import main\n"
            f"sys.argv = ['dialplan', *{list(argv)!r}]\n"
            "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n")
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True,
                          text=True, cwd=ROOT / "examples")
    assert done.returncode == 0, done.stderr[-2000:]
    return {line.rsplit("|", 1)[1].strip().split(".")[0]
            for line in done.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("command", ["check", "compile"])
def test_success_path_imports_nothing_heavy(command, tmp_path):
    # The compiled plan goes to a file in tmp_path: never at a real device.
    # check --no-cache: the cache's key is a hashlib digest, which a check
    # that remembers files pays for (and earns back on every unchanged file).
    argv = (command, str(EXAMPLE)) + (("-o", str(tmp_path / "plan.json"))
                                      if command == "compile" else ("--no-cache",))
    modules = imported(*argv)
    assert "dialplan_compiler" in modules  # the probe itself works
    assert modules & HEAVY == set()


def test_a_failure_loads_jsonschema_only_to_explain_it(tmp_path):
    # The probe can tell: a check whose payload needs explaining does load it.
    from dialplan_compiler import schemas
    from dialplan_compiler.emitter import Emitted
    from dialplan_compiler.nodes import Span

    found = schemas.schema_diagnostics(Emitted({"verbs": []}), Span("x", 1, 1, 1, 2))
    assert [d.code for d in found] == ["DP901"]
    assert "jsonschema" in sys.modules
