"""Project configuration, the way linters do it.

Each file is checked with the configuration closest to it: looking from the
file's own folder upwards, and no further than the repository root (a folder
holding `.git`), the first `.dialplan.toml` (keys at the top level) or
`pyproject.toml` with a `[tool.dialplan]` table wins; `.dialplan.toml`
before `pyproject.toml` in the same directory. `--config FILE` overrides it
for every file.

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
reject the call, and no setting makes that go away. Invalid TOML and values
of the wrong type are errors (DP011) that name the file and line; an unknown
key, a code that does not exist and an error code in `ignore` are warnings
(DP330), since the rest of the file still means what it says.
"""

from __future__ import annotations

import os
import re
from .records import record
from typing import TYPE_CHECKING, Any, Iterable

from . import rules
from .diagnostics import Diagnostic, Severity
from .errors import DialplanError
from .nodes import Span

if TYPE_CHECKING:
    from pathlib import Path

FILENAMES = (".dialplan.toml", "pyproject.toml")


@record
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
    #: DP330 warnings about the file itself (unknown keys and codes), and its text.
    warnings: tuple[Diagnostic, ...] = ()
    source: str | None = None

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
    """The configuration file for files in folder `start`: the closest one
    from there upwards, stopping at the repository root."""
    found = _find_in(os.path.realpath(start), {})
    if found is None:
        return None
    from pathlib import Path

    return Path(found)


def _find_in(folder: str, memo: dict[str, str | None]) -> str | None:
    # os.path rather than pathlib: this runs on every check, and importing
    # pathlib costs more than the walk itself. `memo` remembers each folder's
    # answer, so that many files in a tree cost one walk.
    walked = []
    found = None
    while True:
        if folder in memo:
            found = memo[folder]
            break
        walked.append(folder)
        found = _config_here(folder)
        parent = os.path.dirname(folder)
        if found is not None or parent == folder or os.path.exists(os.path.join(folder, ".git")):
            break
        folder = parent
    for each in walked:
        memo[each] = found
    return found


def _config_here(folder: str) -> str | None:
    for name in FILENAMES:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate) and (name != "pyproject.toml" or
                                          _has_tool_table(candidate)):
            return candidate
    return None


def _shown(path: str) -> str:
    """`path` as diagnostics name it: relative to the current directory when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir) else relative


class Configurations:
    """The configuration of each file, as `dialplan check` finds it: the
    file given with `--config` for every file, else the closest one to each
    file (see the module's docstring). Each configuration file is read
    once; `load_config`'s ConfigError passes through."""

    def __init__(self, override: str | os.PathLike | None = None) -> None:
        self.override = override
        self._folders: dict[str, str | None] = {}
        self._real: dict[str, str] = {}
        self._loaded: dict[str | None, Config] = {}

    def for_file(self, path: str) -> Config:
        """The configuration of file `path` (`-`, standard input: the current directory's)."""
        if self.override is not None:
            return self._load(os.fspath(self.override))
        if path == "-":
            folder = os.getcwd()
        elif os.path.islink(path):  # a link's configuration is its target's
            folder = os.path.dirname(os.path.realpath(path))
        else:
            folder = self._resolved(os.path.dirname(path))
        return self._load(_find_in(folder, self._folders))

    def _resolved(self, folder: str) -> str:
        # The files of a folder share its resolved path: one realpath per
        # folder rather than one per file (a walk of every parent, each time).
        resolved = self._real.get(folder)
        if resolved is None:
            resolved = self._real[folder] = os.path.realpath(folder)
        return resolved

    def _load(self, found: str | None) -> Config:
        if found not in self._loaded:
            if found is None:
                self._loaded[found] = Config()
            else:
                from pathlib import Path

                self._loaded[found] = load_config(Path(_shown(found)))
        return self._loaded[found]

    def used(self) -> list[Config]:
        """The configurations read so far, in the order first needed."""
        return list(self._loaded.values())


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
    warnings: list[Diagnostic] = []
    for key, value in table.items():
        line, column = _locate(text, key, section)
        expected = _KEYS.get(key)
        if expected is None:
            warnings.append(_warning(path, text, line, column,
                                     f"unknown configuration key '{key}' (ignored)",
                                     help="the keys are: " + ", ".join(_KEYS)))
            continue
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise _error(path, text, line, column,
                         f"'{key}' must be {_TYPE_NAMES[expected]}, not {value!r}")
        if expected is list:
            for code in value:
                if not isinstance(code, str):
                    raise _error(path, text, line, column,
                                 f"'{key}' must be {_TYPE_NAMES[list]}, not {value!r}")
                problem = code_problem(code, prefix=True, ignoring=key == "ignore")
                if problem:
                    where = _locate_code(text, code, line, column)
                    warnings.append(_warning(path, text, *where, f"'{code}' in '{key}' {problem}",
                                             help=_CODE_HELP, width=len(code) + 2))
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
                  calling_hours=values.get("calling-hours"), timezone=values.get("timezone"),
                  warnings=tuple(warnings), source=text)


_CODE_HELP = "run `dialplan rules` for the codes, e.g. DP304 or DP3"


def code_problem(code: str, *, prefix: bool, ignoring: bool) -> str | None:
    """What is wrong with a rule code (or, with `prefix`, a code prefix such
    as DP3) in `select`, `ignore` or an ignore comment; None if nothing."""
    matching = [rule for name, rule in rules.RULES.items() if name.startswith(code)] \
        if re.fullmatch(r"DP\d{0,3}" if prefix else r"DP\d{3}", code) else []
    if not matching:
        return f"is not a rule code{' or prefix' if prefix else ''} (ignored)"
    if ignoring and all(rule.severity is Severity.ERROR for rule in matching):
        what = f"{code} is an error" if code in rules.RULES else f"every {code}xx rule is an error"
        return (f"has no effect: {what}, and errors cannot be ignored (Routee would reject "
                "the call)")
    return None


def _locate_code(text: str, code: str, line: int, column: int) -> tuple[int, int]:
    """Line and column of the quoted `code` in the list that starts at line
    `line`: the first line from there on that holds it."""
    lines = text.splitlines()
    for number in range(line, len(lines) + 1):
        for quote in '"\'':
            found = lines[number - 1].find(f"{quote}{code}{quote}")
            if found != -1:
                return number, found + 1
    return line, column


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
    return ConfigError(rules.BAD_CONFIG(_key_span(path, text, line, column), message,
                                        help=help), text)


def _warning(path: Path, text: str, line: int, column: int, message: str,
             help: str | None = None, width: int | None = None) -> Diagnostic:
    return rules.UNKNOWN_SETTING(_key_span(path, text, line, column, width), message, help=help)


def _key_span(path: Path, text: str, line: int, column: int, width: int | None = None) -> Span:
    line_text = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
    if width is None:
        width = max(1, len(line_text[column - 1:].split("=")[0].rstrip()))
    return Span(str(path), line, column, line, column + width)


# --- suppression comments -----------------------------------------------------------

_IGNORE = re.compile(r"#\s*dialplan:\s*ignore(?:\[([^\]]*)\])?")


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


def ignore_comment_warnings(comments: Iterable, file: str) -> list[Diagnostic]:
    """DP330 for each code in a `# dialplan: ignore[…]` comment that is no
    rule code, or is an error's (which no comment silences)."""
    found = []
    for comment in comments:
        match = _IGNORE.search(comment.text)
        if not match or not match.group(1):
            continue
        start = match.start(1)
        for code in re.finditer(r"[^,\s]+", match.group(1)):
            problem = code_problem(code.group(), prefix=False, ignoring=True)
            if problem:
                column = comment.span.column + start + code.start()
                span = Span(file, comment.span.line, column, comment.span.line,
                            column + len(code.group()))
                found.append(rules.UNKNOWN_SETTING(
                    span, f"'{code.group()}' in this ignore comment {problem}",
                    help=_CODE_HELP))
    return found


def suppressed(diagnostic: Diagnostic, ignores: dict[int, frozenset[str] | None]) -> bool:
    if diagnostic.severity is Severity.ERROR or diagnostic.span.line not in ignores:
        return False
    codes = ignores[diagnostic.span.line]
    return codes is None or diagnostic.code in codes
