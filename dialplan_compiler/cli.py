"""The `dialplan` command: a thin layer over the Python API.

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 usage
problems (bad flag, missing file), 3 an internal error in dialplan itself.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from . import __version__
from .compiler import Result, check_source, compile_source
from .diagnostics import has_errors, render_text, summary_line

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class InternalError(click.ClickException):
    exit_code = EXIT_INTERNAL


def _collect_files(paths: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.call") if p.is_file()))
        else:
            files.append(path)
    return files


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise click.UsageError(f"cannot read {path}: {error.strerror}") from None


def _print_diagnostics(result: Result, sources: dict[str, str], err: bool) -> None:
    for diagnostic in result.diagnostics:
        click.echo(render_text(diagnostic, sources.get(diagnostic.span.file)), err=err)
        click.echo("", err=err)


def _source_text(data: bytes) -> str:
    return data.decode("utf-8", "replace").removeprefix("\ufeff")


def _parse_vars(values: tuple[str, ...]) -> dict[str, str]:
    variables: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--var")
        variables[name] = value
    return variables


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="dialplan")
def main() -> None:
    """Compile and check call scripts (.call files) for Routee's Voice API."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
def check(paths: tuple[str, ...]) -> None:
    """Check .call files (directories are searched for *.call).

    Prints every problem with its file, line and column. Exits 1 when any
    file has errors; warnings alone exit 0.
    """
    files = _collect_files(paths)
    if not files:
        click.echo("dialplan: no .call files found", err=True)
        return
    all_diagnostics = []
    for path in files:
        name = str(path)
        data = _read(name)
        try:
            result = check_source(data, "<stdin>" if name == "-" else name)
        except Exception as error:  # noqa: BLE001 - reported as an internal error
            raise InternalError(f"internal error while checking {name}: "
                                f"{type(error).__name__}: {error}") from error
        display = "<stdin>" if name == "-" else name
        _print_diagnostics(result, {display: _source_text(data)}, err=False)
        all_diagnostics.extend(result.diagnostics)
    click.echo(summary_line(all_diagnostics, len(files)))
    if has_errors(all_diagnostics):
        sys.exit(EXIT_FINDINGS)


@main.command(name="compile")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the JSON here instead of to standard output.")
@click.option("--to", "to", metavar="RECIPIENT",
              help="Call this recipient instead of the script's `to` (+E164, sip:…, viber:…).")
@click.option("--from", "sender", metavar="SENDER", help="Use this sender instead of the script's `from`.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Fill {NAME} placeholders (repeatable).")
@click.option("--plan", is_flag=True, help="Print only the dialplan {\"verbs\": […]}.")
def compile_command(path: str, output: str | None, to: str | None, sender: str | None,
                    variables: tuple[str, ...], plan: bool) -> None:
    """Compile a .call file to the JSON Routee expects.

    Prints the request body of POST /voice/conversation when the recipient is
    known, or the dialplan {"verbs": […]} otherwise (or with --plan).
    """
    values = _parse_vars(variables)
    data = _read(path)
    name = "<stdin>" if path == "-" else path
    try:
        result = compile_source(data, name, variables=values, to=to, sender=sender, plan=plan)
    except Exception as error:  # noqa: BLE001 - reported as an internal error
        raise InternalError(f"internal error while compiling {name}: "
                            f"{type(error).__name__}: {error}") from error
    sources = {name: _source_text(data), "--var": "", "--to": to or "", "--from": sender or ""}
    _print_diagnostics(result, sources, err=True)
    if result.payload is None:
        click.echo(summary_line(result.diagnostics, 1), err=True)
        sys.exit(EXIT_FINDINGS)
    from .emitter import to_json

    text = to_json(result.payload)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_atomically(Path(output), text)


def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: a reader never
    sees half a file, and a failure leaves the old one in place."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
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
