"""The syntax tree of a `.call` file.

Every node is a frozen record (records.py) that carries the `Span` it was parsed from,
so that every later stage (checker, emitter, formatter) can point back at the
source. The tree is generic on purpose: a `Statement` is a name, a list of
arguments and an optional block, and only the checker knows what a `say` or a
`dial` needs. That keeps the grammar stable while the language grows.
"""

from __future__ import annotations

from .records import record
from typing import NamedTuple, Union


class Span(NamedTuple):
    """A region of a source file.

    Lines and columns are 1-based and count Unicode code points, the way
    editors and SARIF's `unicodeCodePoints` do; `end_column` is exclusive.
    `start` and `end` are 0-based offsets into the decoded text.

    A NamedTuple rather than a frozen dataclass: the parser makes one for
    every token, and a tuple is built several times faster.
    """

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    start: int = 0
    end: int = 0

    def to(self, other: Span) -> Span:
        """The span from the start of `self` to the end of `other`."""
        return Span(self.file, self.line, self.column, other.end_line, other.end_column,
                    self.start, other.end)

    def shifted(self, offset: int, length: int) -> Span:
        """A sub-span of a single-line span: `length` characters from `offset`."""
        return Span(self.file, self.line, self.column + offset, self.line,
                    self.column + offset + length, self.start + offset,
                    self.start + offset + length)

    @classmethod
    def point(cls, file: str, line: int, column: int, start: int = 0) -> Span:
        return cls(file, line, column, line, column + 1, start, start + 1)


@record
class Node:
    span: Span


# --- arguments ---------------------------------------------------------------
# A bare atom is classified once, when the tree is built; see `classify_atom`.

@record
class Word(Node):
    """A bare word: a keyword (`repeat`, `on`), a language (`en-GB`), or
    anything that is not a number, duration or phone number."""

    text: str


@record
class Integer(Node):
    text: str
    value: int


@record
class Duration(Node):
    """`45s`, `2m`, `1h`, `1m30s`, `500ms`, kept in milliseconds so that the
    checker can say *why* `500ms` is not allowed instead of rounding it."""

    text: str
    milliseconds: int


@record
class Phone(Node):
    """A bare `+`-prefixed number such as `+302101234567`."""

    text: str


@record
class Placeholder(Node):
    """`{name}` inside a string; its span covers the braces."""

    name: str


@record
class String(Node):
    """A double-quoted string.

    `parts` is the decoded content split into literal text and placeholders;
    `{{` and `}}` are already literal braces there. Substitution works on
    these parts and never re-parses the result, so a value cannot inject
    syntax.
    """

    raw: str
    parts: tuple[Union[str, Placeholder], ...]

    @property
    def placeholders(self) -> tuple[Placeholder, ...]:
        return tuple(p for p in self.parts if isinstance(p, Placeholder))

    @property
    def is_template(self) -> bool:
        return any(isinstance(p, Placeholder) for p in self.parts)

    @property
    def text(self) -> str:
        """The value with placeholders written back as `{name}`."""
        return "".join(p if isinstance(p, str) else "{" + p.name + "}" for p in self.parts)


Argument = Union[Word, Integer, Duration, Phone, String]


# --- structure -----------------------------------------------------------------

@record
class Block(Node):
    statements: tuple[Statement, ...]
    open: Span
    close: Span


@record
class Statement(Node):
    name: Word
    args: tuple[Argument, ...]
    block: Block | None = None


@record
class Comment(Node):
    text: str


@record
class Module(Node):
    """A whole `.call` file."""

    statements: tuple[Statement, ...]
    comments: tuple[Comment, ...] = ()
