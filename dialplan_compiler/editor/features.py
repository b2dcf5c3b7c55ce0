"""What an editor needs from a `.call` file, with no LSP library involved:
positions in the client's encoding, completion, hover text and the outline.

`lsp.py` puts these into Language Server Protocol messages; keeping them
here, as plain functions over text and offsets, lets them be tested without
a server. Every text shown to the user comes from the table in
`statements.py`, rendered by `reference.py` (statements and options), or
from `rules.py` and `explanations.py` (diagnostic codes).

Offsets are indices into the document's text as the editor holds it (a
byte-order mark, if any, included); the parser's spans are shifted past the
mark where needed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, Iterator, Literal

from .. import rules
from ..nodes import Statement, Word
from ..parser import parse
from ..text import bom_length
from ..reference import markdown
from ..statements import (BLOCK_ENDS, DURATION_UNITS, KEY_NAMES, STATEMENTS, VALUES, Slot,
                          StatementDoc)


def code_units(text: str, encoding: str) -> int:
    """The length of `text` in the code units of `encoding`."""
    if encoding == "utf-32":
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class TextIndex:
    """Converts between the checker's positions (1-based lines, 1-based
    columns in code points, after any byte-order mark), offsets into the
    editor's text, and LSP positions (0-based lines, characters in the
    negotiated encoding). Both split lines at `\\r\\n`, `\\n` or `\\r`."""

    def __init__(self, text: str, encoding: str = "utf-16") -> None:
        self.text = text
        self.encoding = encoding
        self.bom = bom_length(text)
        body = text[self.bom:]
        self._starts = [0] + [m.end() for m in re.finditer("\n|\r(?!\n)", body)]
        self._body_length = len(body)
        breaks = list(re.finditer(r"\r\n|\n|\r", text))
        self._lsp_starts = [0] + [m.end() for m in breaks]
        self._lsp_ends = [m.start() for m in breaks] + [len(text)]

    @property
    def line_count(self) -> int:
        """Lines of the document, as LSP counts them."""
        return len(self._lsp_starts)

    def offset(self, line: int, column: int) -> int:
        """The offset of a checker position, clamped to its line."""
        if line < 1:
            return self.bom
        if line > len(self._starts):
            return len(self.text)
        start = self._starts[line - 1]
        end = self._starts[line] - 1 if line < len(self._starts) else self._body_length
        return self.bom + min(start + max(column - 1, 0), end)

    def span_offsets(self, span) -> tuple[int, int]:
        start = self.offset(span.line, span.column)
        return start, max(start, self.offset(span.end_line, span.end_column))

    def position(self, offset: int) -> tuple[int, int]:
        """The LSP position (line, character) of an offset."""
        offset = min(max(offset, 0), len(self.text))
        line = bisect_right(self._lsp_starts, offset) - 1
        start = self._lsp_starts[line]
        return line, code_units(self.text[start:min(offset, self._lsp_ends[line])], self.encoding)

    def to_offset(self, line: int, character: int) -> int:
        """The offset of an LSP position; past the end of a line is its end."""
        if line < 0:
            return 0
        if line >= len(self._lsp_starts):
            return len(self.text)
        start, end = self._lsp_starts[line], self._lsp_ends[line]
        units = 0
        for index in range(start, end):
            if units >= character:
                return index
            units += code_units(self.text[index], self.encoding)
        return end

    def end_position(self) -> tuple[int, int]:
        return self.position(len(self.text))


# --- completion ------------------------------------------------------------------------

@dataclass(frozen=True)
class Completion:
    label: str
    kind: Literal["statement", "option", "keyword", "value", "unit"]
    #: Replaces the text from `start` to `end` (the word being typed).
    insert: str
    start: int
    end: int
    detail: str | None = None
    documentation: str | None = None
    sort: str = ""


_TOKEN = re.compile(r"""
    (?P<string>"(?:[^"\\\r\n]|\\[^\r\n])*"?)
  | (?P<comment>\#[^\r\n]*)
  | (?P<continuation>\\[ \t]*(?:\r\n|\n|\r))
  | (?P<separator>\r\n|\n|\r|;|[{}])
  | (?P<space>[ \t\f\v]+)
  | (?P<atom>[^\s"{};\#\\\x00-\x1f\x7f]+)
  | (?P<other>.)
""", re.X | re.S)

_DURATION_PREFIX = re.compile(r"(?:[0-9]+h)?(?:[0-9]+m)?[0-9]+")


@dataclass
class _Context:
    """The statement the cursor is in: its words so far, and the one being
    typed (`prefix`, which runs from `start` to the cursor)."""

    words: list[str]
    prefix: str
    start: int
    before: list[str] = field(default_factory=list)  # names of the statements above
    depth: int = 0  # how many { … } blocks the cursor is in


def _context(text: str, offset: int) -> _Context | None:
    bom = bom_length(text)
    chunk = text[bom:max(offset, bom)]
    words: list[tuple[str, int, int]] = []
    before: list[str] = []
    depth = 0
    last = None
    for match in _TOKEN.finditer(chunk):
        kind, last = match.lastgroup, match
        if kind == "separator" or (kind == "atom" and match.group() in BLOCK_ENDS and words):
            # (`again`, `back` and `end` are statements of their own even
            # straight after another)
            if words:
                before.append(words[0][0])
            words = []
            depth += {"{": 1, "}": -1}.get(match.group(), 0)
            depth = max(depth, 0)
        if kind in ("atom", "string", "other"):
            words.append((match.group(), match.start() + bom, kind))
    if last is not None and last.end() == len(chunk):
        if last.lastgroup in ("comment", "string", "other"):
            return None  # in a comment or a string, or right after one
        if last.lastgroup == "atom":
            prefix, start, _ = words.pop()
            return _Context([w for w, _, _ in words], prefix, start, before, depth)
    return _Context([w for w, _, _ in words], "", offset, before, depth)


def _slot_offers(slot: Slot) -> tuple[str, tuple[str, ...]]:
    if slot.kind == "keyword":
        return "keyword", slot.words
    return "value", VALUES.get(slot.kind, ())


def _expected(doc: StatementDoc, words: list[str]) -> tuple[list[Slot], set[str]]:
    """The slots still open after `words` (the statement's arguments so far),
    and the options already used."""
    pending = list(doc.takes)
    used: set[str] = set()
    for word in words:
        while pending and pending[0].optional and not pending[0].accepts(word):
            pending.pop(0)
        if pending:
            slot = pending.pop(0)
            if slot.kind == "target" and word.lower() in ("sip", "viber", "phone"):
                pending.insert(0, Slot("text"))
            pending[0:0] = slot.then
            continue
        option = doc.option(word)
        if option is not None:
            used.add(option.name)
            pending = list(option.takes)
        # anything else is not ours to judge: the checker reports it
    return pending, used


def complete(text: str, offset: int) -> list[Completion]:
    """What may be written at `offset`: statement names at the start of a
    statement; then the values and options the statement accepts there."""
    context = _context(text, offset)
    if context is None:
        return []
    start, prefix = context.start, context.prefix
    if not context.words:
        return _statements(context, start, offset)
    doc = STATEMENTS.get(context.words[0])
    if doc is None:
        return []
    pending, used = _expected(doc, context.words[1:])
    if doc.name == "on" and context.words[-1].endswith(","):
        # `on 1, …`: another key of the same branch.
        return [Completion(name, "value", name, start, offset, sort=f"0{i:02d}")
                for i, name in enumerate(KEY_NAMES)]
    items: list[Completion] = []
    for slot in pending:
        if slot.kind == "duration":
            items += _durations(prefix, start, offset)
        else:
            kind, values = _slot_offers(slot)
            items += [Completion(v, kind, v, start, offset, sort=f"0{i:02d}")
                      for i, v in enumerate(values)]
        if not slot.optional:
            return items
    for index, option in enumerate(doc.options):
        if option.name not in used:
            items.append(Completion(option.name, "option", option.name, start, offset,
                                    option.syntax, markdown(doc.name, option.name),
                                    f"1{index:02d}"))
    return items


#: Statements that only make sense in a menu's block (or a branch of it).
_IN_BLOCKS = ("otherwise", "timeout", "again", "back", "handoff", "report", "ask")


def _statements(context: _Context, start: int, end: int) -> list[Completion]:
    after_verb = any(STATEMENTS.get(n) is not None and STATEMENTS[n].kind in ("verb", "menu")
                     for n in context.before)
    items = []
    for index, doc in enumerate(STATEMENTS.values()):
        if doc.kind == "setting" and (after_verb or doc.name in context.before
                                      or context.depth):
            continue  # once each, at the top of the file, before the first verb
        if doc.name in _IN_BLOCKS and not context.depth:
            continue
        items.append(Completion(doc.name, "statement", doc.name, start, end, doc.syntax,
                                markdown(doc.name), f"{index:02d}"))
    return items


def _durations(prefix: str, start: int, end: int) -> list[Completion]:
    """`30` → `30s`, `30m`, `30h`; `1h30` → `1h30m`, `1h30s`."""
    if not _DURATION_PREFIX.fullmatch(prefix):
        return []
    units = ["s"] if "m" in prefix else ["m", "s"] if "h" in prefix else list(DURATION_UNITS)
    number = re.search("[0-9]+$", prefix).group()
    return [Completion(prefix + unit, "unit", prefix + unit, start, end,
                       f"{number} {DURATION_UNITS[unit]}", sort=f"0{i}")
            for i, unit in enumerate(units)]


# --- hover ------------------------------------------------------------------------------

def _walk(statements) -> Iterator[Statement]:
    for statement in statements:
        yield statement
        if statement.block is not None:
            yield from _walk(statement.block.statements)


_UNPARSED: Any = object()


def _module(text: str, bom: int, module):
    return parse(text[bom:]).module if module is _UNPARSED else module


def hover(text: str, offset: int, module=_UNPARSED) -> tuple[str, int, int] | None:
    """Markdown for the statement name or option under `offset`, with the
    offsets of the word it is about. `module` is the text parsed, if the
    caller has it."""
    bom = bom_length(text)
    module = _module(text, bom, module)
    if module is None:
        return None
    at = offset - bom
    for statement in _walk(module.statements):
        if not statement.span.start <= at <= statement.span.end:
            continue
        doc = STATEMENTS.get(statement.name.text)
        if doc is None:
            continue
        name = statement.name.span
        if name.start <= at <= name.end:
            return markdown(doc.name), name.start + bom, name.end + bom
        for arg in statement.args:
            if isinstance(arg, Word) and arg.span.start <= at <= arg.span.end \
                    and doc.option(arg.text) is not None:
                return markdown(doc.name, arg.text), arg.span.start + bom, arg.span.end + bom
    return None


def definition(text: str, offset: int, module=_UNPARSED) -> tuple[int, int] | None:
    """For `again` under `offset`: where the menu it asks again is; for
    `back`: where the parent menu it goes back to is (the offsets of that
    `menu` keyword); None elsewhere."""
    bom = bom_length(text)
    module = _module(text, bom, module)
    if module is None:
        return None
    at = offset - bom

    def visit(statements, menu: Statement | None,
              parent: Statement | None) -> tuple[bool, Statement | None]:
        """Whether the `again` or `back` at `at` is among `statements` (or
        inside them), and the menu it goes to. `menu` is the menu whose
        branch `statements` are, `parent` the menu whose branch asked it."""
        for statement in statements:
            name = statement.name
            if name.text in ("again", "back") and name.span.start <= at <= name.span.end:
                return True, menu if name.text == "again" else parent
            if statement.block is None:
                continue
            if name.text == "menu":
                for child in statement.block.statements:
                    if child.name.text in ("on", "otherwise") and child.block is not None:
                        found = visit(child.block.statements, statement, menu)  # a branch
                    else:
                        found = visit([child], None, None)  # the question, `timeout`
                    if found[0]:
                        return found
            else:  # `on machine`, or a block out of place: no menu to go to
                found = visit(statement.block.statements, None, None)
                if found[0]:
                    return found
        return False, None

    found, menu = visit(module.statements, None, None)
    if not found or menu is None:
        return None
    return menu.name.span.start + bom, menu.name.span.end + bom


def explanation_markdown(code: str) -> str | None:
    """A rule's explanation, for a hover over its diagnostic."""
    from ..explanations import EXPLANATIONS

    rule, explanation = rules.RULES.get(code), EXPLANATIONS.get(code)
    if rule is None or explanation is None:
        return None
    lines = [f"**{rule.code}** `{rule.name}` ({rule.severity}): {rule.summary}", "",
             explanation.text]
    language = "dialplan" if explanation.mode in ("check", "compile") else \
        "toml" if explanation.mode == "config" else "json"
    if explanation.wrong is not None and explanation.wrong.count("\n") <= 12:
        lines += ["", "Wrong:", f"```{language}", explanation.wrong.rstrip("\n"), "```"]
    lines += ["", "Right:", f"```{language}", explanation.right.rstrip("\n"), "```", "",
              f"`dialplan explain {rule.code}`"]
    return "\n".join(lines)


# --- outline ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Symbol:
    name: str
    detail: str
    kind: Literal["setting", "verb", "directive", "menu", "unknown"]
    start: int
    end: int
    name_start: int
    name_end: int
    children: tuple["Symbol", ...] = ()


_CONTINUATION = re.compile(r"\\[ \t]*(?:\r\n|\n|\r)")


def symbols(text: str, module=_UNPARSED) -> list[Symbol]:
    """The statements of the file, in order, for an outline."""
    bom = bom_length(text)
    body = text[bom:]
    module = _module(text, bom, module)
    if module is None:
        return []

    def symbol(statement: Statement) -> Symbol:
        doc = STATEMENTS.get(statement.name.text)
        detail = ""
        if statement.args:
            source = body[statement.args[0].span.start:statement.args[-1].span.end]
            detail = " ".join(_CONTINUATION.sub(" ", source).split())
            if len(detail) > 60:
                detail = detail[:59] + "…"
        children = tuple(symbol(s) for s in statement.block.statements) \
            if statement.block is not None else ()
        return Symbol(statement.name.text, detail, doc.kind if doc else "unknown",
                      statement.span.start + bom, statement.span.end + bom,
                      statement.name.span.start + bom, statement.name.span.end + bom, children)

    return [symbol(s) for s in module.statements]
