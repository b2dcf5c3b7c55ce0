"""`dialplan test`: scenario files, for testing call flows in CI.

A scenario file is TOML, named `*.scenarios.toml`:

    script = "clinic.call"          # relative to this file
    vars = { name = "Maria" }       # optional: --var values

    [[scenario]]
    name = "a booking is confirmed"
    press = ["1", "1234#"]          # one item per question: keys, "timeout", "hangup"
                                    # (keys as in the script: "star" is "*", "hash" "#")
    machine = false                 # optional: a machine answers
    answers = ["open"]              # optional: what your system answers each `ask`
    expect = '''
    caller hears (en-GB, female): Welcome to Example Clinic.
    presses 1
    …
    call ends
    '''

Each scenario runs `dialplan simulate` with its presses and compares the
transcript with `expect`, line by line (leading and trailing white space of
each line, and blank lines, do not count). A mismatch is shown as a unified
diff.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DialplanError
from .simulate import Flow, PressError, Run, SimulationError, load, read_press, simulate


class ScenarioError(DialplanError):
    """A scenario file that cannot be used (the message says why)."""


@dataclass
class Scenario:
    name: str
    presses: list[str]
    expect: list[str]
    machine: bool = False
    #: The backend's reply to each `ask`: a choice, a table as it would send
    #: it ({choice = "open", vars = {…}}), or "timeout", "error", "garbage".
    answers: list = field(default_factory=list)


@dataclass
class ScenarioFile:
    path: Path
    script: Path
    variables: dict[str, str]
    scenarios: list[Scenario]


@dataclass
class ScenarioResult:
    scenario: Scenario
    run: Run
    diff: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.diff


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def read(path: Path) -> ScenarioFile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{path}: cannot read it: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: not valid TOML: {error}") from None
    script = data.get("script")
    if not isinstance(script, str):
        raise ScenarioError(f"{path}: `script = \"FILE.call\"` is missing")
    variables = data.get("vars", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ScenarioError(f"{path}: `vars` must be a table of strings")
    scenarios = []
    for index, item in enumerate(data.get("scenario", []), 1):
        where = f"{path}: scenario {index}"
        if not isinstance(item, dict):
            raise ScenarioError(f"{where}: not a table")
        unknown = set(item) - {"name", "press", "expect", "machine", "answers"}
        if unknown:
            raise ScenarioError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        presses = item.get("press", [])
        if not isinstance(presses, list) or not all(isinstance(p, str) for p in presses):
            raise ScenarioError(f"{where}: `press` must be a list of strings")
        for number, press in enumerate(presses, 1):
            try:
                read_press(press)
            except PressError as error:
                raise ScenarioError(f"{where}: press {number}: {error}") from None
        answers = item.get("answers", [])
        if not isinstance(answers, list) or not all(isinstance(a, (str, dict)) for a in answers):
            raise ScenarioError(f"{where}: `answers` must be a list of choices (strings) or "
                                "tables such as {{choice = \"open\", vars = {{…}}}}")
        if not isinstance(item.get("expect"), str):
            raise ScenarioError(f"{where}: `expect` (the transcript) is missing")
        scenarios.append(Scenario(str(item.get("name", f"scenario {index}")), presses,
                                  _lines(item["expect"]), bool(item.get("machine", False)),
                                  answers))
    if not scenarios:
        raise ScenarioError(f"{path}: no [[scenario]]")
    return ScenarioFile(path, (path.parent / script), dict(variables), scenarios)


def run_file(scenarios: ScenarioFile) -> tuple[Flow, list[ScenarioResult]]:
    """Run every scenario of a file. Raises ScenarioError when the script
    cannot be read, SimulationError when it does not compile."""
    try:
        source = scenarios.script.read_bytes()
    except OSError as error:
        raise ScenarioError(f"{scenarios.path}: cannot read {scenarios.script}: "
                            f"{error.strerror}") from None
    flow = load(source, str(scenarios.script), variables=scenarios.variables)
    outcomes = []
    for scenario in scenarios.scenarios:
        run = simulate(flow, scenario.presses, machine=scenario.machine,
                       answers=scenario.answers)
        got = _lines("\n".join(run.transcript))
        diff = [] if got == scenario.expect else list(difflib.unified_diff(
            scenario.expect, got, "expected", "simulated", lineterm=""))
        outcomes.append(ScenarioResult(scenario, run, diff))
    return flow, outcomes


__all__ = ["Scenario", "ScenarioError", "ScenarioFile", "ScenarioResult", "read", "run_file"]
