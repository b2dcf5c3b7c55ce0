"""Formatting many files, as `dialplan fmt` does: each rewritten in the
canonical style (formatter.py), or with `check`/`diff` only told about, and
a count of what changed.

Messages go where the command's go (click.echo: standard error for the
file lines and the summary, standard output for `-` and diffs)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Callable

import click


@dataclass
class Formatted:
    """What a `format_files` run did: files that changed (or would),
    unchanged, with syntax errors, and that could not be written."""

    changed: int = 0
    unchanged: int = 0
    broken: int = 0
    unwritable: int = 0


def format_files(files: list[str], *, check_only: bool, show_diff: bool, color: str,
                 read: Callable[[str], bytes], guard: Callable[..., Any]) -> Formatted:
    """Format each of `files` (`-` reads standard input and writes standard
    output), say what changed, and count it. `read` reads a file (its
    problems are the caller's to report) and `guard` runs the formatter."""
    import difflib

    from .files import WriteError, write_output
    from .formatter import format_source
    from .render import TextRenderer, use_color

    renderer = TextRenderer(use_color(sys.stderr, color))
    writes = not (check_only or show_diff)
    done = Formatted()
    for path in files:
        data = read(path)
        name = "<stdin>" if path == "-" else path
        result = guard("formatting", name, lambda: format_source(data, name))
        if result.text is None:
            done.broken += 1
            for diagnostic in result.diagnostics:
                click.echo(renderer.render(diagnostic, result.original) + "\n", err=True)
            click.echo(f"error: {name}: not formatted: it has syntax errors", err=True)
            if path == "-" and writes:
                sys.stdout.flush()
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
            continue
        new = result.text.encode("utf-8")
        if new == data:
            done.unchanged += 1
        else:
            done.changed += 1
        if show_diff and new != data:
            old_text = data.decode("utf-8", "replace")
            click.echo("".join(difflib.unified_diff(
                old_text.splitlines(keepends=True), result.text.splitlines(keepends=True),
                fromfile=f"{name}\t(original)", tofile=f"{name}\t(formatted)")), nl=False)
        if path == "-":
            if writes:
                click.echo(result.text, nl=False)
        elif new != data:
            if check_only:
                click.echo(f"would reformat {name}", err=True)
            elif writes:
                try:
                    write_output(path, result.text)  # keeps its mode; a link stays a link
                except WriteError as error:
                    done.unwritable += 1
                    click.echo(f"dialplan: {error}", err=True)
                    continue
                click.echo(f"reformatted {name}", err=True)
    if files != ["-"]:
        click.echo(summary(done, writes=writes), err=True)
    return done


def summary(done: Formatted, *, writes: bool) -> str:
    """`2 files reformatted, 3 left unchanged, 1 with syntax errors`."""
    verb = "would be reformatted" if not writes else "reformatted"
    parts = [f"{done.changed} {'file' if done.changed == 1 else 'files'} {verb}",
             f"{done.unchanged} left unchanged"]
    if done.broken:
        parts.append(f"{done.broken} with syntax errors")
    return ", ".join(parts)


__all__ = ["Formatted", "format_files", "summary"]
