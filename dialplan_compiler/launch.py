"""The `dialplan` command's entry point: the plain forms of `dialplan check`
run without importing click, everything else goes to cli.py.

pre-commit and CI start `dialplan check FILE…` over and over, and importing
click costs as much as checking a small file. A command line is plain when
it is `check`, then paths that exist (or `-`) and only the options below,
each spelled `--option VALUE` with a value click would accept; anything
else (`--help`, `--format=json`, an unknown option, a missing file, …) is
handed to click, which then says exactly what it always says. A plain line
runs checking.run_check, as cli.py's `check` does, and its problems are
shown as click shows them, so output and exit codes are the same either way.
"""

from __future__ import annotations

import os
import sys

#: The options of `check` read here: name → (keyword, what the value must be).
_OPTIONS = {
    "--format": ("output_format", "format"), "--max-errors": ("max_errors", "count"),
    "--warnings-as-errors": ("warnings_as_errors", None), "--config": ("config_path", "file"),
    "--color": ("color", "color"), "-j": ("jobs", "count"), "--jobs": ("jobs", "count"),
    "--no-cache": ("no_cache", None), "--cache-dir": ("cache_dir", "folder"),
}


def main() -> None:
    options = plain_check(sys.argv[1:])
    if options is None:
        from .cli import main as click_main

        click_main(prog_name="dialplan")
        return
    from .checking import Problem, run_check

    try:
        code = run_check(**options, echo=_echo)
    except Problem as problem:
        if problem.shown is not None:
            _echo(problem.shown, err=True)
        elif problem.usage:  # shown by click itself, with its usage line and hint
            _usage_error(problem.message)
        else:
            _echo(("dialplan: " if problem.exit_code == 2 else "Error: ") + problem.message,
                  err=True)
        code = problem.exit_code
    except KeyboardInterrupt:  # as click ends on ^C
        _echo("", err=True)
        _echo("Aborted!", err=True)
        code = 1
    except BrokenPipeError:  # as click ends when the reader went away
        code = 1
        sys.stdout = _Quiet(sys.stdout)
        sys.stderr = _Quiet(sys.stderr)
    sys.exit(code)


def plain_check(argv: list[str]) -> dict | None:
    """The keyword arguments of checking.run_check for a plain `check`
    command line (see the module's docstring), or None."""
    from .checking import FORMATS

    if not argv or argv[0] != "check":
        return None
    options: dict = {"output_format": None, "max_errors": None, "warnings_as_errors": None,
                     "config_path": None, "color": "auto", "jobs": None, "no_cache": False,
                     "cache_dir": None}
    paths: list[str] = []
    words = iter(argv[1:])
    for word in words:
        if word == "-" or not word.startswith("-"):
            if word != "-" and not os.path.exists(word):
                return None
            paths.append(word)
            continue
        if word not in _OPTIONS:
            return None
        keyword, kind = _OPTIONS[word]
        if kind is None:
            options[keyword] = True
            continue
        value = next(words, None)
        if value is None or (value.startswith("-") and value != "-"):
            return None
        if kind == "format" and value not in FORMATS or \
                kind == "color" and value not in ("auto", "always", "never") or \
                kind == "count" and not (value.isascii() and value.isdigit() and int(value) >= 1) \
                or kind == "file" and not os.path.isfile(value) or \
                kind == "folder" and os.path.exists(value) and not os.path.isdir(value):
            return None
        options[keyword] = int(value) if kind == "count" else value
    if not paths:
        return None
    if options["cache_dir"] is None:
        folder = os.environ.get("DIALPLAN_CACHE_DIR") or None
        if folder is not None and os.path.exists(folder) and not os.path.isdir(folder):
            return None
        options["cache_dir"] = folder
    return {"paths": paths, **options}


def _usage_error(message: str) -> None:
    import click

    from .cli import check, main as group

    parent = click.Context(group, info_name="dialplan")
    click.UsageError(message, click.Context(check, info_name="check", parent=parent)).show()


def _echo(text: str, err: bool = False, nl: bool = True) -> None:
    """Write as click.echo does: the text, a newline, and a flush."""
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n" if nl else text)
    stream.flush()


class _Quiet:
    """A stream whose flush ignores a reader that went away (as click's)."""

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        try:
            self.wrapped.flush()
        except BrokenPipeError:
            pass

    def __getattr__(self, name: str):
        return getattr(self.wrapped, name)
