"""Diagnostics: what every stage reports instead of raising.

A `Diagnostic` has a stable code (see `rules.py`), a severity, a message, the
`Span` it is about, an optional label shown under the caret, an optional
`help` that says how to fix it, related spans ("first `dial` is here"), and
the mechanical `fixes` an editor can apply.
"""

from __future__ import annotations

import re
from .records import field, record
from enum import Enum
from typing import Iterable

from .nodes import Span


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"

    def __str__(self) -> str:
        return self.value


@record
class Related:
    span: Span
    message: str


@record
class Fix:
    """A mechanical fix: write `replacement` in place of the text at `span`
    (editors offer it as a quick fix)."""

    span: Span
    replacement: str


@record
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span
    label: str | None = None
    help: str | None = None
    related: tuple[Related, ...] = field(default=())
    #: Fixes to choose from, when the fix is certain enough to apply by a click.
    fixes: tuple[Fix, ...] = field(default=())

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple:
        return (self.span.file, self.span.line, self.span.column, self.code)


@record
class FileReport:
    """The diagnostics of one checked file, with its text for snippets."""

    path: str
    source: str | None
    diagnostics: tuple[Diagnostic, ...]


def source_lines(text: str) -> list[str]:
    """The lines of a source, numbered as the parser numbers them: a line
    ends at "\\r\\n", "\\n" or a lone "\\r", and at nothing else
    (`str.splitlines` also breaks at \\f, \\v, \\x1c, U+2028, …, which the
    parser counts as part of a line)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` with any lone surrogate (a file name that is not UTF-8, as
    `os.fsdecode` gives it; half of a pair from a JSON escape) replaced by
    U+FFFD, so that it can be written as UTF-8."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=Diagnostic.sort_key)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)
