"""What the tests share that is not a fixture: the repository's root, the
credentials the Routee stand-in accepts, and ways to run `dialplan` as a
process, write scripts and recipients, and set up a pre-commit repository.
(Fixtures are in conftest.py; `pythonpath` in pyproject.toml puts this
folder on the import path of every test, in any subfolder.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dialplan_compiler.calls.standin import Standin

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

APP_ID = "test-application"
#: A secret no test output may contain: tests grep for it.
SECRET = "S3CRET-4d1f9c7e-never-print-me"
SENDER = "+302101234567"
#: The --var values of the examples that need them.
EXAMPLE_VARIABLES = {
    "appointment-reminder": {"name": "Maria", "date": "Monday 3 March at 10:30"},
    "campaign-template": {"phone": "+306912345678", "first_name": "Nikos", "language": "el-GR",
                          "pharmacy": "Kifisias 12", "row": "17",
                          "pharmacist": "+302107654321"},
    "reminder": {"name": "Maria", "date": "Monday 3 May at 10:30"},
}


def urls(server: Standin) -> list[str]:
    return ["--api-url", server.url, "--auth-url", server.url]


def cli_process(args: list[str], env: dict[str, str], **popen) -> subprocess.Popen:
    """`dialplan ARGS` as a separate process (so that it can be killed)."""
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("ROUTEE_API_URL", "ROUTEE_AUTH_URL")}
    full_env.update(env)
    code = "from dialplan_compiler.cli import main; main(prog_name='dialplan')"
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env=full_env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


#: `python -c WITHOUT_AUDIO ARGS` runs `dialplan ARGS` in a Python where
#: espeakng_loader cannot be imported, as on an installation without the
#: audio extra.
WITHOUT_AUDIO = """
import sys

class RefuseAudio:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "espeakng_loader":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, RefuseAudio())
from dialplan_compiler.cli import main
main(prog_name="dialplan")
"""


def matches_golden(golden: Path, text: str) -> bool:
    """Whether `text` is the golden file's; DIALPLAN_UPDATE_GOLDEN=1 writes it first."""
    if os.environ.get("DIALPLAN_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    return text == golden.read_text(encoding="utf-8")


def write_script(path: Path, text: str | None = None) -> Path:
    path.write_text(text or f'from {SENDER}\nsay "Hello {{name}}." in en-GB\npause 2s\n',
                    encoding="utf-8")
    return path


def phone(i: int) -> str:
    """Distinct Greek mobile numbers that can exist."""
    return f"+3069{10000000 + i:08d}"


def write_recipients(path: Path, count: int, *, bad: dict[int, str] | None = None) -> Path:
    """A CSV with `to` and `name` columns; `bad` maps file lines to a `to` value."""
    lines = ["to,name"]
    for i in range(count):
        line = len(lines) + 1
        lines.append(f"{(bad or {}).get(line, phone(i))},Person {i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def files_containing(root: Path, needle: str) -> list[Path]:
    data = needle.encode()
    return [p for p in root.rglob("*") if p.is_file() and data in p.read_bytes()]


class PrecommitRepo:
    """A throwaway git repository of call scripts whose .pre-commit-config.yaml
    points at this clone at HEAD: the real pre-commit tool then clones and
    installs dialplan as it would for a user (so it runs committed code)."""

    def __init__(self, root: Path, hook: str) -> None:
        import shutil

        tool = shutil.which("pre-commit", path=os.path.dirname(sys.executable)) or \
            shutil.which("pre-commit")
        assert tool, "pre-commit is part of the test extras: pip install '.[test]'"
        self.tool = tool
        self.path = root / "scripts"
        self.path.mkdir()
        self.env = {**os.environ, "PRE_COMMIT_HOME": str(root / "cache"), "NO_COLOR": "1"}
        project = ROOT
        self.git("init", "-q")
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, check=True,
                             capture_output=True, text=True).stdout.strip()
        self.write(".pre-commit-config.yaml",
                   f"repos:\n  - repo: {project}\n    rev: {rev}\n    hooks:\n"
                   f"      - id: {hook}\n")

    def git(self, *args: str) -> None:
        subprocess.run(["git", *args], cwd=self.path, check=True, capture_output=True)

    def write(self, name: str, text: str) -> None:
        (self.path / name).write_text(text)

    def read(self, name: str) -> str:
        return (self.path / name).read_text()

    def run(self) -> subprocess.CompletedProcess:
        """`pre-commit run --all-files` on everything written so far."""
        self.git("add", ".")
        return subprocess.run([self.tool, "run", "--all-files", "--color", "never"],
                              cwd=self.path, env=self.env, capture_output=True, text=True,
                              timeout=600)


def wait_until(condition, process: subprocess.Popen | None = None,
               timeout: float = 60.0) -> None:
    """Poll for a condition (a guard against hanging, not a measurement),
    failing if `process` ends first."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        assert process is None or process.poll() is None, "the campaign ended too early"
        time.sleep(0.02)


#: The tables of a campaign journal of the first format (one row per
#: recipient), as dialplan 0.1.0 and then format 1 wrote them.
JOURNAL_FORMAT_1 = """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE calls (
        recipient TEXT PRIMARY KEY, row INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'placed', 'failed', 'unknown')),
        tracking_id TEXT, http_status INTEGER, error_code TEXT, message TEXT,
        properties TEXT, retryable INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0, updated_at REAL NOT NULL);
"""
