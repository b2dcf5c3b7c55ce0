"""`dialplan build` on a core install: without the `serve` extra (no
Starlette, no uvicorn) it still writes every plan and the silent WAVs.

The install is imitated in a child process whose importer refuses
`starlette` and `uvicorn`, as a plain `pip install .` would leave them out."""

from __future__ import annotations

import os
import subprocess
import sys

from dialplan_compiler.menus.silence import silent_wav

from helpers import ROOT, SECRET

CLINIC = ROOT / "examples" / "ivr" / "clinic.call"

WITHOUT_SERVE_EXTRA = """
import importlib.abc, sys

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] in ("starlette", "uvicorn"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
from dialplan_compiler.cli import main
main(prog_name="dialplan")
"""


def dialplan_without_serve_extra(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DIALPLAN_SIGNING_SECRET": SECRET}
    return subprocess.run([sys.executable, "-c", WITHOUT_SERVE_EXTRA, *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_child_process_really_lacks_the_serve_extra():
    done = dialplan_without_serve_extra("serve", str(CLINIC), "--port", "0")
    assert done.returncode == 2
    assert "pip install '.[serve]'" in done.stderr


def test_build_works_without_starlette_and_uvicorn(tmp_path):
    out = tmp_path / "dist"
    done = dialplan_without_serve_extra("build", str(CLINIC), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert (out / "audio" / "silence-8s.wav").read_bytes() == silent_wav(8)
    assert (out / "clinic" / "plans" / "main.json").is_file()
