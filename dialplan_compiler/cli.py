"""The `dialplan` command: a thin layer over the Python API.

Exit codes: 0 no errors (warnings allowed unless --warnings-as-errors),
1 findings, 2 usage problems (bad flag, missing file, bad configuration),
3 an internal error in dialplan itself.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Callable

import click

from . import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
FORMATS = ("text", "concise", "json", "sarif", "github")


class InternalError(click.ClickException):
    exit_code = EXIT_INTERNAL


# --- shared pieces ---------------------------------------------------------------------

def _collect_files(paths: tuple[str, ...], pattern: str) -> list[str]:
    files: list[str] = []
    for raw in paths:
        path = Path(raw)
        if raw != "-" and path.is_dir():
            files.extend(str(p) for p in sorted(path.rglob(pattern)) if p.is_file())
        else:
            files.append(raw)
    return files


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise click.UsageError(f"cannot read {path}: {error.strerror}") from None


def _display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def _source_text(data: bytes) -> str:
    return data.decode("utf-8", "replace").removeprefix("\ufeff")


def _load_config(path: str | None):
    from .config import ConfigError, find_config, load_config
    from .render import TextRenderer, use_color

    try:
        return load_config(Path(path) if path else find_config(Path.cwd()))
    except ConfigError as error:
        renderer = TextRenderer(use_color(sys.stderr))
        click.echo(renderer.render(error.diagnostic, error.source), err=True)
        sys.exit(EXIT_USAGE)
    except (OSError, UnicodeDecodeError) as error:
        raise click.UsageError(f"cannot read configuration {path}: {error}") from None


def _guarded(action: str, name: str, work: Callable):
    """Run `work`, turning a bug in dialplan into a short message and exit 3."""
    try:
        return work()
    except Exception as error:  # noqa: BLE001 - any bug here is reported, not shown raw
        raise InternalError(f"internal error while {action} {name}: "
                            f"{type(error).__name__}: {error}") from error


def _default_format() -> str:
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def _emit_reports(reports: list, output_format: str, color: str, max_errors: int) -> None:
    from .render import TextRenderer, render_concise, summary, use_color

    if output_format == "text":
        renderer = TextRenderer(use_color(sys.stdout, color))
        text = renderer.render_reports(reports, max_errors=max_errors)
        if text:
            click.echo(text)
        click.echo(summary(reports))
    elif output_format == "concise":
        click.echo(render_concise(reports), nl=False)
        click.echo(summary(reports))
    else:
        from .formats import render_report

        click.echo(render_report(output_format, reports, tool_version=__version__), nl=False)


def _exit_for(reports: list, warnings_as_errors: bool) -> None:
    diagnostics = [d for r in reports for d in r.diagnostics]
    if any(d.is_error for d in diagnostics) or (warnings_as_errors and diagnostics):
        sys.exit(EXIT_FINDINGS)


def _format_options(command):
    options = [
        click.option("--format", "output_format", type=click.Choice(FORMATS), default=None,
                     help="Output format (default: text; github under GitHub Actions)."),
        click.option("--max-errors", type=click.IntRange(min=1), default=None,
                     help="Diagnostics shown per file in text output (default 50)."),
        click.option("--warnings-as-errors", is_flag=True, default=None,
                     help="Exit 1 on warnings too."),
        click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
                     help="Configuration file (default: .dialplan.toml or pyproject.toml "
                          "found from the current directory up)."),
        click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto",
                     help="Colour in text output (auto honours NO_COLOR and FORCE_COLOR)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


# --- commands ------------------------------------------------------------------------

@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="dialplan")
def main() -> None:
    """Compile and check call scripts (.call files) for Routee's Voice API."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@_format_options
def check(paths: tuple[str, ...], output_format: str | None, max_errors: int | None,
          warnings_as_errors: bool | None, config_path: str | None, color: str) -> None:
    """Check .call files (directories are searched for *.call).

    Reports every problem with its file, line and column. Exits 1 when any
    file has errors (or warnings, with --warnings-as-errors).
    """
    from .compiler import check_source
    from .diagnostics import FileReport

    config = _load_config(config_path)
    files = _collect_files(paths, "*.call")
    if not files:
        click.echo("dialplan: no .call files found", err=True)
        return
    reports = []
    for path in files:
        data = _read(path)
        name = _display_name(path)
        result = _guarded("checking", name, lambda: check_source(data, name, config=config))
        reports.append(FileReport(name, _source_text(data), tuple(result.diagnostics)))
    _emit_reports(reports, output_format or _default_format(), color,
                  max_errors or config.max_errors)
    _exit_for(reports, config.warnings_as_errors if warnings_as_errors is None
              else warnings_as_errors)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@_format_options
def validate(paths: tuple[str, ...], output_format: str | None, max_errors: int | None,
             warnings_as_errors: bool | None, config_path: str | None, color: str) -> None:
    """Validate JSON payloads written by hand or by another tool.

    Accepts a full request body of POST /voice/conversation or a bare
    {"verbs": […]} (directories are searched for *.json). Checks the schemas
    and the same rules as `check`, at each problem's JSON line and column.
    """
    from .diagnostics import FileReport
    from .validator import validate_json

    config = _load_config(config_path)
    files = _collect_files(paths, "*.json")
    if not files:
        click.echo("dialplan: no .json files found", err=True)
        return
    reports = []
    for path in files:
        data = _read(path)
        name = _display_name(path)
        report = _guarded("validating", name, lambda: validate_json(data, name, config=config))
        reports.append(FileReport(name, _source_text(data), report.diagnostics))
    _emit_reports(reports, output_format or _default_format(), color,
                  max_errors or config.max_errors)
    _exit_for(reports, config.warnings_as_errors if warnings_as_errors is None
              else warnings_as_errors)


@main.command(name="compile")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the JSON here instead of to standard output.")
@click.option("--to", "to", metavar="RECIPIENT",
              help="Call this recipient instead of the script's `to` (+E164, sip:…, viber:…).")
@click.option("--from", "sender", metavar="SENDER",
              help="Use this sender instead of the script's `from`.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Fill {NAME} placeholders (repeatable).")
@click.option("--plan", is_flag=True, help="Print only the dialplan {\"verbs\": […]}.")
@click.option("--warnings-as-errors", is_flag=True, default=None,
              help="Refuse to compile when there are warnings.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="Configuration file.")
@click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto",
              help="Colour in diagnostics.")
def compile_command(path: str, output: str | None, to: str | None, sender: str | None,
                    variables: tuple[str, ...], plan: bool, warnings_as_errors: bool | None,
                    config_path: str | None, color: str) -> None:
    """Compile a .call file to the JSON Routee expects.

    Prints the request body of POST /voice/conversation when the recipient is
    known, or the dialplan {"verbs": […]} otherwise (or with --plan).
    Diagnostics go to standard error; nothing is written when there are errors.
    """
    from .compiler import compile_source
    from .diagnostics import FileReport
    from .emitter import to_json
    from .render import TextRenderer, summary, use_color

    config = _load_config(config_path)
    values = _parse_vars(variables)
    if output is not None and not Path(output).resolve().parent.is_dir():
        raise click.BadParameter(f"the folder of {output} does not exist", param_hint="-o")
    data = _read(path)
    name = _display_name(path)
    result = _guarded("compiling", name, lambda: compile_source(
        data, name, variables=values, to=to, sender=sender, plan=plan, config=config))
    sources = {name: _source_text(data), "--to": to or "", "--from": sender or ""}
    by_file: dict[str, list] = {}
    for diagnostic in result.diagnostics:
        by_file.setdefault(diagnostic.span.file, []).append(diagnostic)
    text = TextRenderer(use_color(sys.stderr, color)).render_reports(
        [FileReport(file, sources.get(file), tuple(found)) for file, found in by_file.items()],
        max_errors=config.max_errors)
    if text:
        click.echo(text, err=True)
    strict = config.warnings_as_errors if warnings_as_errors is None else warnings_as_errors
    if result.payload is None or (strict and result.diagnostics):
        click.echo(summary([FileReport(name, None, tuple(result.diagnostics))]), err=True)
        sys.exit(EXIT_FINDINGS)
    text = to_json(result.payload)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_atomically(Path(output), text)


def _parse_vars(values: tuple[str, ...]) -> dict[str, str]:
    variables: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--var")
        variables[name] = value
    return variables


def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: a reader never
    sees half a file, and a failure leaves the old one in place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@main.command()
def rules() -> None:
    """List every rule the checker enforces."""
    from .rules import all_rules

    for rule in all_rules():
        click.echo(f"{rule.code}  {rule.severity.value:<7}  {rule.name:<30}  {rule.summary}")


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Explain a rule, with a wrong and a right example."""
    from .explanations import EXPLANATIONS, explain as explain_rule
    from .rules import RULES

    code = code.upper()
    if code not in RULES or code not in EXPLANATIONS:
        raise click.BadParameter(f"no rule {code}; `dialplan rules` lists them",
                                 param_hint="CODE")
    click.echo(explain_rule(code))
