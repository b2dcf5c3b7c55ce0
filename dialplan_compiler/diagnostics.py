"""Diagnostics: what every stage reports instead of raising.

A `Diagnostic` has a stable code (see `rules.py`), a severity, a message, the
`Span` it is about, an optional label shown under the caret, an optional
`help` that says how to fix it, and related spans ("first `dial` is here").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable, Mapping

from .nodes import Span


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Related:
    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span
    label: str | None = None
    help: str | None = None
    related: tuple[Related, ...] = field(default=())

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple:
        return (self.span.file, self.span.line, self.span.column, self.code)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=Diagnostic.sort_key)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


# --- text rendering --------------------------------------------------------------

def _display_width(text: str) -> int:
    """Terminal columns taken by `text`: East Asian wide characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _caret_line(line_text: str, column: int, end_column: int) -> str:
    """Spaces up to `column` and carets under the span, aligned in a terminal
    even when the line holds tabs or wide characters."""
    before = line_text[: column - 1]
    marked = line_text[column - 1 : max(end_column - 1, column)]
    pad = "".join("\t" if ch == "\t" else " " * _display_width(ch) for ch in before)
    return pad + "^" * max(1, _display_width(marked.replace("\t", " ")))


def render_text(diagnostic: Diagnostic, source: str | None) -> str:
    """`path:line:col: error[DP101]: message`, the source line with a caret,
    and the help. `source` is the text of the diagnostic's file, if known."""
    span = diagnostic.span
    lines = [f"{span.file}:{span.line}:{span.column}: "
             f"{diagnostic.severity}[{diagnostic.code}]: {diagnostic.message}"]
    lines.extend(_snippet(span, source, diagnostic.label))
    for related in diagnostic.related:
        lines.append(f"  note: {related.message} ({related.span.file}:"
                     f"{related.span.line}:{related.span.column})")
    if diagnostic.help:
        lines.append(f"  help: {diagnostic.help}")
    return "\n".join(lines)


def _snippet(span: Span, source: str | None, label: str | None) -> list[str]:
    if source is None:
        return []
    source_lines = source.splitlines()
    if not 1 <= span.line <= len(source_lines):
        return []
    text = source_lines[span.line - 1]
    end_column = span.end_column if span.end_line == span.line else len(text) + 1
    number = str(span.line)
    gutter = " " * len(number)
    caret = _caret_line(text, span.column, end_column)
    if label:
        caret += " " + label
    return [f"  {number} | {text}", f"  {gutter} | {caret}"]


def summary_line(diagnostics: Iterable[Diagnostic], files: int) -> str:
    diagnostics = list(diagnostics)
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return f"{plural(errors, 'error')}, {plural(warnings, 'warning')} in {plural(files, 'file')}"


def render_all(diagnostics: Iterable[Diagnostic], sources: Mapping[str, str]) -> str:
    return "\n\n".join(render_text(d, sources.get(d.span.file)) for d in diagnostics)
