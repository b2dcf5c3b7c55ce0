"""What `dialplan check` does once its options are read, without click.

pre-commit starts `dialplan check FILE…` on every commit, and click with
what it imports (inspect, uuid, platform, datetime, gettext) costs about as
much as checking a small file; so launch.py runs the plain forms of that
command here directly, and cli.py's `check` runs the same function, so that
both print and exit alike. `echo` writes a line as click.echo does (to
standard error with `err=True`), and a problem is a `Problem`, shown by the
caller the way click shows it.
"""

from __future__ import annotations

import os
import sys
from typing import Callable

from . import __version__

Echo = Callable[..., None]

EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 1, 2, 3
FORMATS = ("text", "concise", "json", "sarif", "github")


class Problem(Exception):
    """Why a command stops: `message` (a file that cannot be read is
    `dialplan: …`, exit 2; a bug is `Error: …`, exit 3; `usage`, a usage
    error, which click shows with the command's usage line) or `shown`,
    text to print to standard error as it is."""

    def __init__(self, message: str, exit_code: int, *, usage: bool = False,
                 shown: str | None = None) -> None:
        super().__init__(message)
        self.message, self.exit_code, self.usage, self.shown = message, exit_code, usage, shown


def file_problem(message: str) -> Problem:
    return Problem(message, EXIT_USAGE)


def internal_error(message: str) -> Problem:
    return Problem(message, EXIT_INTERNAL)


class Configurations:
    """Each file's configuration for a command (config.Configurations): a
    configuration that cannot be used is a Problem showing its diagnostic."""

    def __init__(self, override: str | None) -> None:
        from .config import Configurations as Found

        self.found = Found(override)

    def __call__(self, path: str):
        from .config import ConfigError

        try:
            return self.found.for_file(path)
        except ConfigError as error:
            from .render import TextRenderer, use_color

            renderer = TextRenderer(use_color(sys.stderr))
            raise Problem(error.diagnostic.message, EXIT_USAGE,
                          shown=renderer.render(error.diagnostic, error.source)) from None
        except (OSError, UnicodeDecodeError) as error:
            raise Problem(f"cannot read the configuration for {path}: {error}", EXIT_USAGE,
                          usage=True) from None

    def reports(self) -> list:
        """A report for each configuration file used that has warnings of
        its own (unknown keys and codes), as its own settings select them."""
        from .diagnostics import FileReport

        found = []
        for config in self.found.used():
            kept = tuple(d for d in config.warnings if config.keeps(d))
            if kept:
                found.append(FileReport(str(config.path), config.source, kept))
        return found


def collect_files(paths: tuple[str, ...] | list[str], pattern: str) -> list[str]:
    from .files import ReadError, collect_inputs

    try:
        return collect_inputs(paths, pattern)
    except ReadError as error:
        raise file_problem(str(error)) from None


def read(path: str) -> bytes:
    from .files import ReadError, read_input

    try:
        return read_input(path)
    except ReadError as error:
        raise file_problem(str(error)) from None


def display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def open_cache(folder: str | None):
    from .cache import Cache, CacheError

    try:
        return Cache.open(folder)
    except CacheError as error:
        raise file_problem(str(error)) from None


def default_format() -> str:
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def emit_reports(reports: list, output_format: str, color: str,
                 max_errors: int | Callable[[str], int], echo: Echo) -> None:
    from .render import TextRenderer, render_concise, summary, use_color

    if output_format == "text":
        renderer = TextRenderer(use_color(sys.stdout, color))
        text = renderer.render_reports(reports, max_errors=max_errors)
        if text:
            echo(text)
        echo(summary(reports))
    elif output_format == "concise":
        echo(render_concise(reports), nl=False)
        echo(summary(reports))
    else:
        from .formats import render_report

        echo(render_report(output_format, reports, tool_version=__version__), nl=False)


def exit_code(reports: list, warnings_as_errors: bool | Callable[[str], bool]) -> int:
    """1 on any error, and on warnings of a file that is strict
    (`warnings_as_errors`, or that function of the file's name); else 0."""
    for report in reports:
        strict = warnings_as_errors(report.path) if callable(warnings_as_errors) \
            else warnings_as_errors
        if any(d.is_error for d in report.diagnostics) or (strict and report.diagnostics):
            return EXIT_FINDINGS
    return 0


def finish(configs: Configurations, reports: list, output_format: str | None, color: str,
           max_errors: int | None, warnings_as_errors: bool | None, by_name: dict,
           echo: Echo) -> int:
    """Print the reports (the configuration files' own warnings first); the
    exit code, as each file's configuration says unless the options say otherwise."""
    reports = configs.reports() + reports
    by_name.update((str(c.path), c) for c in configs.found.used())
    emit_reports(reports, output_format or default_format(), color,
                 lambda name: max_errors or by_name[name].max_errors, echo)
    return exit_code(reports, lambda name: by_name[name].warnings_as_errors
                     if warnings_as_errors is None else warnings_as_errors)


def run_check(paths: tuple[str, ...] | list[str], *, output_format: str | None,
              max_errors: int | None, warnings_as_errors: bool | None,
              config_path: str | None, color: str, jobs: int | None, no_cache: bool,
              cache_dir: str | None, echo: Echo) -> int:
    """`dialplan check PATHS…`: print every file's report; the exit code."""
    from .batch import Failure, check_files

    configs = Configurations(config_path)
    files = collect_files(paths, "*.call")
    if not files:
        echo("dialplan: no .call files found", err=True)
        return 0
    items = [(path, display_name(path), read(path) if path == "-" else None) for path in files]
    by_name = {name: configs(path) for path, name, _ in items}
    reports = check_files(items, lambda path: by_name[display_name(path)], jobs=jobs,
                          cache=None if no_cache else open_cache(cache_dir))
    for failure in (r for r in reports if isinstance(r, Failure)):
        if failure.unreadable:
            raise file_problem(failure.error)
        raise internal_error(f"internal error while checking {failure.name}: {failure.error}")
    return finish(configs, reports, output_format, color, max_errors, warnings_as_errors,
                  by_name, echo)
