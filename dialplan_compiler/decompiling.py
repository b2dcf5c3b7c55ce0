"""Decompiling many payloads, as `dialplan decompile` does: where each
.call goes (`targets`), and the loop that decompiles, reports and writes.

Messages go where the command's go (click.echo: findings on standard
error, a .call without a target on standard output)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable

import click

from .errors import DialplanError

if TYPE_CHECKING:
    from pathlib import Path


class TargetError(DialplanError):
    """The inputs and -o do not fit together; str() says why (a usage error)."""


def targets(paths: tuple[str, ...], output: str | None) -> list[Path | None]:
    """Where each input's .call goes: None (standard output), the file
    `output`, or NAME.call in the directory `output` (created if missing)."""
    from pathlib import Path

    if len(paths) > 1 and output is None:
        raise TargetError("several inputs need -o DIRECTORY for their .call files")
    if output is None:
        return [None]
    if len(paths) == 1 and not Path(output).is_dir():
        return [Path(output)]
    directory = Path(output)
    if directory.exists() and not directory.is_dir():
        raise TargetError(f"-o {output}: several inputs need a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise TargetError(f"cannot create {output}: {error.strerror}") from None
    stems = [("stdin" if p == "-" else Path(p).stem) + ".call" for p in paths]
    clashes = sorted({s for s in stems if stems.count(s) > 1})
    if clashes:
        raise TargetError(f"two inputs would both be written to {clashes[0]}")
    return [directory / stem for stem in stems]


def decompile_files(paths: tuple[str, ...], targets: list[Path | None], *, config: Any,
                    color: str, read: Callable[[str], bytes],
                    write: Callable[[Any, str], None], guard: Callable[..., Any]) -> bool:
    """Decompile each input to its target, showing the findings and their
    summary; whether any finding is an error (each .call is written anyway)."""
    from .decompiler import decompile
    from .diagnostics import FileReport
    from .render import TextRenderer, summary, use_color

    renderer = TextRenderer(use_color(sys.stderr, color))
    reports = []
    for path, target in zip(paths, targets):
        data = read(path)
        name = "<stdin>" if path == "-" else path
        result = guard("decompiling", name, lambda: decompile(data, name, config=config))
        for diagnostic in result.diagnostics:
            click.echo(renderer.render(diagnostic, result.json_text) + "\n", err=True)
        reports.append(FileReport(name, None, tuple(result.diagnostics)))
        if result.text is None:
            continue
        if target is None:
            click.echo(result.text, nl=False)
        else:
            write(target, result.text)
    if any(r.diagnostics for r in reports):
        click.echo(summary(reports), err=True)
    return any(d.is_error for r in reports for d in r.diagnostics)


__all__ = ["TargetError", "decompile_files", "targets"]
