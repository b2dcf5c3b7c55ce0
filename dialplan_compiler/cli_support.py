"""What the commands of `dialplan` share: exit codes, the options several
take, reading and writing files as a command does (a problem is one line
and exit 2), configuration, and turning a bug into exit 3.

Imported by every command: it imports nothing but click (and checking.py,
which `check` shares with launch.py)."""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

import click


from .checking import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_USAGE, FORMATS

EXIT_OK = 0


class InternalError(click.ClickException):
    exit_code = EXIT_INTERNAL


class FileProblem(click.ClickException):
    """An input that cannot be read or an output that cannot be written: a
    usage problem, said in one line (`dialplan: cannot write PATH: reason`)."""

    exit_code = EXIT_USAGE

    def show(self, file=None) -> None:
        click.echo(f"dialplan: {self.format_message()}", err=True)


# --- files -------------------------------------------------------------------------------

def collect_files(paths: tuple[str, ...], pattern: str) -> list[str]:
    from .checking import collect_files as collect

    return as_click(lambda: collect(paths, pattern))


def read(path: str) -> bytes:
    from .checking import read as read_path

    return as_click(lambda: read_path(path))


def write(path: str | os.PathLike, data: str | bytes) -> None:
    from .files import WriteError, write_output

    try:
        write_output(path, data)
    except WriteError as error:
        raise FileProblem(str(error)) from None


def display_name(path: str) -> str:
    from .checking import display_name as name

    return name(path)


def source_text(data: bytes) -> str:
    from .files import source_text as text_of

    return text_of(data)


# --- configuration and arguments ------------------------------------------------------------

def load_config(path: str | None, file: str = "-"):
    """The configuration of `file` (`-`: of the current directory), or the
    one at `path` if given; a problem with it ends the command (exit 2)."""
    configs = FileConfigurations(path)
    config = configs(file)
    for report in configs.reports():  # its unknown keys and codes: warnings, shown once
        diagnostic_printer("auto")(list(report.diagnostics), report.source)
    return config


class FileConfigurations:
    """Each file's configuration for a command (checking.Configurations): a
    configuration that cannot be used is shown, and the command exits 2."""

    def __init__(self, override: str | None) -> None:
        from .checking import Configurations

        self.checking = Configurations(override)
        self.found = self.checking.found

    def __call__(self, path: str):
        return as_click(lambda: self.checking(path))

    def reports(self) -> list:
        return self.checking.reports()


def as_click(work: Callable[[], Any]) -> Any:
    """Run `work`, showing a checking.Problem the way click shows its errors."""
    from .checking import Problem

    try:
        return work()
    except Problem as problem:
        if problem.shown is not None:
            click.echo(problem.shown, err=True)
            sys.exit(problem.exit_code)
        if problem.usage:
            raise click.UsageError(problem.message) from None
        if problem.exit_code == EXIT_INTERNAL:
            raise InternalError(problem.message) from None
        raise FileProblem(problem.message) from None


def parse_vars(values: tuple[str, ...]) -> dict[str, str]:
    """The `--var NAME=VALUE` options as values, each knowing where it was
    given: line N of the pseudo-file `--var` is the Nth option, as
    `var_source` writes it, so that a bad value is shown there."""
    from .model import Sourced
    from .nodes import Span

    variables: dict[str, str] = {}
    for line, item in enumerate(values, 1):
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--var")
        check_argument("--var", value, f"the value of {name}")
        start = len(VAR_PREFIX) + 1
        variables[name] = Sourced(value, Span("--var", line, start, line, start + len(item)))
    return variables


VAR_PREFIX = "--var "


def var_source(values: tuple[str, ...]) -> str:
    """The `--var` options as the text diagnostics about their values quote."""
    return "\n".join(VAR_PREFIX + item for item in values)


def check_argument(option: str, value: str | None, what: str = "the value") -> None:
    """Refuse an argument that is not text: bytes that are not UTF-8 reach
    Python as lone surrogates, which no JSON or script output can carry."""
    if value is None:
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        try:  # the bytes as given, as far as they can be told
            shown = repr(value.encode("utf-8", "surrogateescape"))
        except UnicodeEncodeError:
            shown = repr(value)
        raise click.BadParameter(f"{what} is not valid UTF-8 text: {shown}",
                                 param_hint=option) from None


class Bounded(click.ParamType):
    """A finite number within [low, high]: `nan`, `inf` and `1e308` are
    refused with a usage error naming the option, not a traceback later."""

    name = "number"

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high

    def convert(self, value, param, ctx):
        import math

        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number) or not self.low <= number <= self.high:
            self.fail(f"{value!r} is not a number from {self.low:g} to {self.high:g}", param,
                      ctx)
        return number

    def get_metavar(self, param, ctx=None) -> str:
        return f"[{self.low:g}-{self.high:g}]"


def signing_secret() -> bytes:
    from .signing import SECRET_ENV, secret_from_env, secret_problem

    hint = f"(e.g. export {SECRET_ENV}=$(openssl rand -hex 32))"
    secret = secret_from_env()
    if secret is None:
        raise click.UsageError(f"{SECRET_ENV} is not set: menus sign their eventUrls with it "
                               + hint)
    problem = secret_problem(secret)
    if problem:  # the eventUrls are public: a weak key is found offline, then any branch forged
        raise click.UsageError(f"{SECRET_ENV} {problem}: menus sign their eventUrls with it, "
                               f"so it must be hard to guess {hint}")
    return secret


# --- bugs --------------------------------------------------------------------------------

def guarded(action: str, name: str, work: Callable[[], Any],
            redact: Callable[[str], str] = str) -> Any:
    """Run `work`, turning a bug in dialplan into a short message and exit 3.
    What dialplan raises on purpose (a DialplanError) and click's own
    exceptions pass through, for the command to report."""
    from .errors import DialplanError

    try:
        return work()
    except (DialplanError, click.ClickException):
        raise
    except Exception as error:  # noqa: BLE001 - any bug here is reported, not shown raw
        raise InternalError(redact(f"internal error while {action} {name}: "
                                   f"{type(error).__name__}: {error}")) from error


# --- output ------------------------------------------------------------------------------

def diagnostic_printer(color: str) -> Callable[[list, Any], None]:
    """Print diagnostics to standard error, each with its source: `sources`
    is the text of all, or a dict of texts by file name."""
    from .render import TextRenderer, use_color

    renderer = TextRenderer(use_color(sys.stderr, color))

    def show(diagnostics, sources) -> None:
        for diagnostic in diagnostics:
            if isinstance(sources, dict):  # a value's diagnostic shows the script line too
                click.echo(renderer.render(diagnostic, sources.get(diagnostic.span.file),
                                           others=sources) + "\n", err=True)
            else:
                click.echo(renderer.render(diagnostic, sources) + "\n", err=True)

    return show


def show_script_errors(reports: list, color: str = "auto") -> None:
    from .diagnostics import FileReport
    from .render import TextRenderer, summary, use_color

    files = [FileReport(name, text, tuple(found)) for name, text, found in reports]
    text = TextRenderer(use_color(sys.stderr, color)).render_reports(files)
    if text:
        click.echo(text, err=True)
    click.echo(summary(files), err=True)


# --- options -----------------------------------------------------------------------------

def format_options(command):
    options = [
        click.option("--format", "output_format", type=click.Choice(FORMATS), default=None,
                     help="Output format (default: text; github under GitHub Actions)."),
        click.option("--max-errors", type=click.IntRange(min=1), default=None,
                     help="Diagnostics shown per file in text output (default 50)."),
        click.option("--warnings-as-errors", is_flag=True, default=None,
                     help="Exit 1 on warnings too."),
        click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
                     help="Configuration file for every file (default: for each file, the "
                          ".dialplan.toml or pyproject.toml closest to it)."),
        click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto",
                     help="Colour in text output (auto honours NO_COLOR and FORCE_COLOR)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


#: Seconds to wait for Routee's answer to one request (docs/calls.md).
TIMEOUT_RANGE = (0.001, 3600.0)


def connection_options(command):
    """Where Routee is and how long to wait for it: the options of `call`,
    `status` and `hangup` (the credentials are never an option)."""
    options = [
        click.option("--api-url", envvar="ROUTEE_API_URL", metavar="URL",
                     help="Base URL of the API (default https://connect.routee.net)."),
        click.option("--auth-url", envvar="ROUTEE_AUTH_URL", metavar="URL",
                     help="Base URL of the token endpoint (default https://auth.routee.net)."),
        click.option("--cache-token", is_flag=True,
                     help="Keep the access token on disk between runs (user's cache dir, "
                          "mode 0600)."),
        click.option("--timeout", type=Bounded(*TIMEOUT_RANGE), default=30.0,
                     show_default=True, help="Seconds to wait for Routee's answer to a "
                                             "request (at most 3600)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command
