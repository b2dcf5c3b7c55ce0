"""Diagnostics for people: the rustc/Elm style, optionally in colour.

    error[DP204]: 'en-gb' is not a language Routee speaks
      --> calls/reminder.call:7:16
       |
     7 | say "Hello" in en-gb
       |                ^^^^^ did you mean 'en-GB'?
       = help: Routee's languages: en-US en-GB de-DE …

Related places in the same file are drawn in the same snippet, underlined
with `-` and labelled ("first `dial` is here"); those elsewhere become notes.
Carets stay aligned under tabs and East Asian wide characters.
"""

from __future__ import annotations

import os
import unicodedata
from .records import record
from functools import lru_cache
from typing import IO, Callable, Iterable, Mapping

from .diagnostics import Diagnostic, FileReport, Severity, printable, source_lines
from .nodes import Span

_RESET = "\x1b[0m"
_STYLES = {
    "error": "\x1b[1;31m", "warning": "\x1b[1;33m", "gutter": "\x1b[1;34m",
    "secondary": "\x1b[1;34m", "help": "\x1b[1;36m", "bold": "\x1b[1m",
}


def use_color(stream: IO | None, choice: str = "auto") -> bool:
    """`always`/`never`, or for `auto`: FORCE_COLOR forces colour on,
    NO_COLOR turns it off (https://no-color.org), else colour on a terminal."""
    if choice in ("always", "never"):
        return choice == "always"
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR"):
        return False
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


@lru_cache(maxsize=8)
def _lines(source: str) -> tuple[str, ...]:
    """The lines of a file (as the parser counts them), split once however
    many diagnostics it has."""
    return tuple(source_lines(source))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@record
class _Mark:
    span: Span
    label: str | None
    primary: bool


class TextRenderer:
    def __init__(self, color: bool = False) -> None:
        self.color = color

    def style(self, name: str, text: str) -> str:
        return f"{_STYLES[name]}{text}{_RESET}" if self.color and text else text

    # --- one diagnostic ------------------------------------------------------------

    def render(self, diagnostic: Diagnostic, source: str | None,
               source_file: str | None = None,
               others: Mapping[str, str | None] | None = None) -> str:
        """`diagnostic` with snippets: `source` is the text of `source_file`
        (by default the file of the diagnostic's span), `others` the texts
        of other files its spans may be in (a value's `--var`, the script
        that uses it). Spans in a file with no text are named in notes."""
        span = diagnostic.span
        severity = diagnostic.severity.value
        head = (self.style(severity, f"{severity}[{diagnostic.code}]")
                + self.style("bold", f": {diagnostic.message}"))
        texts: dict[str, str | None] = dict(others or {})
        if source_file not in {span.file, *(r.span.file for r in diagnostic.related)}:
            source_file = span.file  # a report named otherwise: its text is the span's file
        texts[source_file] = source
        by_file: dict[str, list[_Mark]] = {span.file: [_Mark(span, diagnostic.label, True)]}
        notes = []
        for related in diagnostic.related:
            if texts.get(related.span.file) is not None:
                by_file.setdefault(related.span.file, []).append(
                    _Mark(related.span, related.message, False))
            else:
                notes.append(f"{related.message} ({related.span.file}:{related.span.line}:"
                             f"{related.span.column})")
        snippets = {file: _lines(texts[file]) if texts.get(file) is not None else ()
                    for file in by_file}
        shown_lines = [m.span.line for file, marks in by_file.items() for m in marks
                       if 1 <= m.span.line <= len(snippets[file])]
        gutter = max((len(str(n)) for n in shown_lines), default=1) + 1
        pad = " " * gutter
        out = [head, f"{pad}{self.style('gutter', '-->')} {span.file}:{span.line}:{span.column}"]
        for index, (file, marks) in enumerate(by_file.items()):
            if index:
                first = min(marks, key=lambda m: (m.span.line, m.span.column)).span
                out.append(f"{pad}{self.style('gutter', ':::')} {file}:{first.line}:"
                           f"{first.column}")
            out += self._snippet(snippets[file], marks, gutter)
        for note in notes:
            out.append(f"{pad} {self.style('gutter', '=')} {self.style('bold', 'note')}: {note}")
        if diagnostic.help:
            out.append(f"{pad} {self.style('gutter', '=')} {self.style('help', 'help')}: "
                       f"{diagnostic.help}")
        return printable("\n".join(out))

    def _snippet(self, lines_of_source: tuple[str, ...], marks: list[_Mark],
                 gutter: int) -> list[str]:
        """The lines `marks` are on, each followed by its underlines."""
        shown = sorted({m.span.line for m in marks if 1 <= m.span.line <= len(lines_of_source)})
        if not shown:
            return []
        pad = " " * gutter
        bar = self.style("gutter", "|")
        out = [f"{pad} {bar}"]
        previous = None
        for number in shown:
            if previous is not None and number > previous + 1:
                out.append(self.style("gutter", "...") if number > previous + 2 else
                           f"{self.style('gutter', str(previous + 1).rjust(gutter))} {bar} "
                           f"{lines_of_source[previous]}")
            text = lines_of_source[number - 1]
            out.append(f"{self.style('gutter', str(number).rjust(gutter))} {bar} {text}")
            for mark in sorted((m for m in marks if m.span.line == number),
                               key=lambda m: (not m.primary, m.span.column)):
                out.append(f"{pad} {bar} {self._underline(text, mark)}")
            previous = number
        return out

    def _underline(self, text: str, mark: _Mark) -> str:
        span = mark.span
        end = span.end_column if span.end_line == span.line else len(text) + 1
        before = text[: span.column - 1]
        marked = text[span.column - 1 : max(end - 1, span.column)]
        # Copy tabs so the terminal expands them the same way as in the line above.
        lead = "".join("\t" if ch == "\t" else " " * _width(ch) for ch in before)
        count = max(1, _width(marked.replace("\t", "    ")))
        underline = ("^" if mark.primary else "-") * count
        if mark.label:
            underline += " " + mark.label
        return lead + self.style("error" if mark.primary else "secondary", underline)

    # --- whole reports -------------------------------------------------------------

    def render_reports(self, reports: Iterable[FileReport], *,
                       max_errors: int | Callable[[str], int] | None = None,
                       sources: Mapping[str, str | None] | None = None) -> str:
        """Every report's diagnostics, at most `max_errors` per file (or that
        function of the file's name); `sources`, the texts of all files by
        name, lets a diagnostic show spans in files other than its report's."""
        reports = list(reports)
        others = dict(sources) if sources is not None else \
            {report.path: report.source for report in reports}
        blocks = []
        limit = max_errors
        for report in reports:
            diagnostics = list(report.diagnostics)
            hidden = 0
            max_errors = limit(report.path) if callable(limit) else limit
            if max_errors is not None and len(diagnostics) > max_errors:
                hidden = len(diagnostics) - max_errors
                diagnostics = diagnostics[:max_errors]
            for diagnostic in diagnostics:
                blocks.append(self.render(diagnostic, report.source, report.path, others)
                              + "\n")
            if hidden:
                blocks.append(printable(f"{report.path}: {hidden} more diagnostic"
                                        f"{'s' if hidden > 1 else ''} not shown "
                                        f"(--max-errors {max_errors})\n"))
        return "\n".join(blocks)


def render_concise(reports: Iterable[FileReport]) -> str:
    """One line per diagnostic, `path:line:col: error[CODE]: message`: the
    shape editors' error formats and grep understand."""
    lines = []
    for report in reports:
        for d in report.diagnostics:
            lines.append(f"{d.span.file}:{d.span.line}:{d.span.column}: "
                         f"{d.severity.value}[{d.code}]: {d.message}")
    return printable("\n".join(lines) + ("\n" if lines else ""))


def summary(reports: Iterable[FileReport]) -> str:
    reports = list(reports)
    errors = sum(d.severity is Severity.ERROR for r in reports for d in r.diagnostics)
    warnings = sum(d.severity is Severity.WARNING for r in reports for d in r.diagnostics)

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return f"{plural(errors, 'error')}, {plural(warnings, 'warning')} in {plural(len(reports), 'file')}"
