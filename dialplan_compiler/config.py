"""Project configuration, the way linters do it.

Looked for from the current directory upwards: the first `.dialplan.toml`
(keys at the top level) or `pyproject.toml` with a `[tool.dialplan]` table
wins; `.dialplan.toml` before `pyproject.toml` in the same directory.

    [tool.dialplan]
    select = ["DP"]                 # codes or prefixes of warnings to report
    ignore = ["DP304"]              # … and to leave out
    warnings-as-errors = false
    from = "+302101234567"          # sender for scripts that have no `from`
    max-errors = 50                 # diagnostics shown per file in text output
    max-presses-to-dial = 3         # DP323: menus answered before a `dial`
    calling-hours = "09:00-20:00"   # `dialplan call --recipients`: recipients' local time
    timezone = "Europe/Athens"      # … for rows whose number has no time zone

`select` and `ignore` apply to warnings only: an error means Routee would
reject the call, and no setting makes that go away. Unknown keys, values of
the wrong type and codes that do not exist are errors that name the file and
line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from . import rules
from .diagnostics import Diagnostic, Severity
from .errors import DialplanError
from .nodes import Span

if TYPE_CHECKING:
    from pathlib import Path

FILENAMES = (".dialplan.toml", "pyproject.toml")


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ("DP",)
    ignore: tuple[str, ...] = ()
    warnings_as_errors: bool = False
    default_sender: str | None = None
    max_errors: int = 50
    path: Path | None = None
    #: DP323's limit; None: the checker's default (menucheck.MAX_PRESSES_TO_DIAL).
    max_presses_to_dial: int | None = None
    calling_hours: str | None = None
    timezone: str | None = None

    def keeps(self, diagnostic: Diagnostic) -> bool:
        """Whether a diagnostic is reported under this configuration."""
        if diagnostic.severity is Severity.ERROR:
            return True
        code = diagnostic.code
        return any(code.startswith(p) for p in self.select) and \
            not any(code.startswith(p) for p in self.ignore)


class ConfigError(DialplanError):
    def __init__(self, diagnostic: Diagnostic, source: str) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
        self.source = source


_KEYS = {"select": list, "ignore": list, "warnings-as-errors": bool, "from": str,
         "max-errors": int, "max-presses-to-dial": int, "calling-hours": str,
         "timezone": str}


_TYPE_NAMES = {list: "a list of rule codes", bool: "true or false", str: "a string",
               int: "a whole number"}


def find_config(start: str | os.PathLike) -> Path | None:
    # os.path rather than pathlib: this runs on every check, and importing
    # pathlib costs more than the walk itself.
    folder = os.path.realpath(start)
    while True:
        for name in FILENAMES:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate) and (name != "pyproject.toml" or
                                              _has_tool_table(candidate)):
                from pathlib import Path

                return Path(candidate)
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _has_tool_table(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as handle:
            return re.search(r"^\s*\[tool\.dialplan\]", handle.read(), re.M) is not None
    except (OSError, UnicodeDecodeError):
        return False


def load_config(path: Path | None) -> Config:
    """Read a configuration file; `None` gives the defaults."""
    if path is None:
        return Config()
    import tomllib

    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    in_pyproject = os.path.basename(path) == "pyproject.toml"
    try:
        data = tomllib.loads(text)
    except RecursionError:
        # tomllib reads nested arrays and inline tables recursively.
        line, column = _deepest(text)
        raise _error(path, text, line, column,
                     "invalid TOML: arrays or tables are nested too deep to read",
                     help="dialplan's settings are flat: strings, true/false, numbers "
                          "and lists of rule codes") from None
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+), column (\d+)", str(error))
        if match:
            line, column = int(match.group(1)), int(match.group(2))
        else:  # "at end of document"
            line, column = text.count("\n") + 1, 1
        raise _error(path, text, line, column, f"invalid TOML: {error}") from None
    table: Any = data.get("tool", {}).get("dialplan", {}) if in_pyproject else data
    section = r"\[tool\.dialplan\]" if in_pyproject else None
    if not isinstance(table, dict):
        raise _error(path, text, 1, 1, "[tool.dialplan] must be a table")
    values: dict[str, Any] = {}
    for key, value in table.items():
        line, column = _locate(text, key, section)
        expected = _KEYS.get(key)
        if expected is None:
            raise _error(path, text, line, column, f"unknown configuration key '{key}'",
                         help="the keys are: " + ", ".join(_KEYS))
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise _error(path, text, line, column,
                         f"'{key}' must be {_TYPE_NAMES[expected]}, not {value!r}")
        if expected is list:
            for code in value:
                if not isinstance(code, str) or not _is_code_prefix(code):
                    raise _error(path, text, line, column,
                                 f"'{code}' in '{key}' is not a rule code or prefix",
                                 help="run `dialplan rules` for the codes, e.g. DP304 or DP3")
            value = tuple(value)
        values[key] = value
    for key in ("max-errors", "max-presses-to-dial"):
        if values.get(key, 1) < 1:
            line, column = _locate(text, key, section)
            raise _error(path, text, line, column, f"'{key}' must be at least 1")
    return Config(select=values.get("select", ("DP",)), ignore=values.get("ignore", ()),
                  warnings_as_errors=values.get("warnings-as-errors", False),
                  default_sender=values.get("from"), max_errors=values.get("max-errors", 50),
                  path=path, max_presses_to_dial=values.get("max-presses-to-dial"),
                  calling_hours=values.get("calling-hours"), timezone=values.get("timezone"))


def _deepest(text: str, limit: int = 100) -> tuple[int, int]:
    """Line and column of the bracket that first opens more than `limit`
    arrays or inline tables (strings and comments skipped, roughly): where
    a file too deeply nested for tomllib goes wrong."""
    depth = 0
    for match in re.finditer(r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[{]|[\]}]', text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                offset = match.start()
                return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)
        elif token in "]}":
            depth = max(0, depth - 1)
    return 1, 1


def _is_code_prefix(code: str) -> bool:
    return any(rule.startswith(code) for rule in rules.RULES) and re.fullmatch(r"DP\d{0,3}", code) \
        is not None


def _locate(text: str, key: str, section: str | None) -> tuple[int, int]:
    """Line and column of `key = …` (inside `section`, if given): tomllib
    keeps no positions, so find the key in the text."""
    start = 0
    if section:
        match = re.search(rf"^\s*{section}\s*$", text, re.M)
        start = match.end() if match else 0
    pattern = re.compile(rf"^([ \t]*)(\"?){re.escape(key)}\2[ \t]*=", re.M)
    match = pattern.search(text, start)
    if not match:
        return 1, 1
    line = text.count("\n", 0, match.start()) + 1
    return line, len(match.group(1)) + 1


def _error(path: Path, text: str, line: int, column: int, message: str,
           help: str | None = None) -> ConfigError:
    line_text = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
    end = column + max(1, len(line_text[column - 1:].split("=")[0].rstrip()))
    span = Span(str(path), line, column, line, end)
    return ConfigError(rules.BAD_CONFIG(span, message, help=help), text)


# --- suppression comments -----------------------------------------------------------

_IGNORE = re.compile(r"#\s*dialplan:\s*ignore(?:\[([A-Z0-9,\s]*)\])?")


def ignored_lines(comments: Iterable) -> dict[int, frozenset[str] | None]:
    """Lines with a `# dialplan: ignore[DP301, …]` comment and the codes it
    names (`None`: every warning on that line)."""
    found: dict[int, frozenset[str] | None] = {}
    for comment in comments:
        match = _IGNORE.search(comment.text)
        if match:
            codes = match.group(1)
            found[comment.span.line] = (frozenset(c.strip() for c in codes.split(",") if c.strip())
                                        if codes is not None else None)
    return found


def suppressed(diagnostic: Diagnostic, ignores: dict[int, frozenset[str] | None]) -> bool:
    if diagnostic.severity is Severity.ERROR or diagnostic.span.line not in ignores:
        return False
    codes = ignores[diagnostic.span.line]
    return codes is None or diagnostic.code in codes
