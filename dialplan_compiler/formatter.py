"""`.call` source → the same script in canonical style (`dialplan fmt`).

The formatter works on the syntax tree and the comments the parser kept,
never on the text: it rebuilds every line from the tree, so the output does
not depend on how the input was spaced. It never changes what a script
means: the compiled payload of the output is the payload of the input (the
property tests check this). What it changes is described in the "Canonical
style" section of docs/language.md; in short:

* one statement per line, tokens separated by one space, two-space
  indentation inside blocks, `\\n` line endings and one final newline;
* the call settings at the top of the file in a fixed order (`from`, `to`,
  `plan`, `ring`, `limit`, `notify`, `machine`), sorted inside each
  blank-line-separated group the way gofmt sorts imports;
* the options of `say`, `play`, `collect` and `dial` in a fixed order (the
  order of the fields they produce in Routee's JSON);
* durations in the largest exact units (`90s` → `1m30s`), strings with
  minimal escaping, keywords in lower case, `max N digits` spelled out;
* a statement longer than `WIDTH` columns broken before each option, with
  `\\` at the end of each line but the last;
* comments stay with the statement they belong to: a full-line comment
  with the statement below it, an end-of-line comment on the (last) line of
  its statement; at most one blank line between groups, none at the start
  or end of the file or of a block.

A file with syntax errors (any DP0xx diagnostic) is not formatted: the
result carries the diagnostics and no text, and the caller leaves the file
alone. Nothing here raises on bad input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence, Union

from . import routee
from .diagnostics import Diagnostic
from .nodes import (Argument, Comment, Duration, Integer, Module, Placeholder, Statement, String,
                    Word)
from .parser import parse
from .statements import (DIGITS_SLOTS, MACHINE_SLOTS, NOTIFY_SLOTS, ON_HASH_SLOTS, RECORD_SLOTS,
                         REQUEST_FIELDS, SETTINGS, STATEMENTS, VERBS, Slot)

#: The call settings, in the order the formatter puts them (the order of the
#: fields they produce in the request body).
SETTING_ORDER = tuple(sorted(SETTINGS, key=lambda name: REQUEST_FIELDS.index(
    STATEMENTS[name].fields[0])))
#: Columns a statement may take before it is broken over several lines
#: (end-of-line comments are not counted).
WIDTH = 100
INDENT = "  "
CONTINUATION = "    "

_SUPPRESSION = re.compile(r"#\s*dialplan:\s*ignore")


@dataclass
class Formatted:
    """What `format_source` produced.

    `text` is the canonical source, or None when the file was left alone
    because it cannot be parsed (then `diagnostics` says why). `original` is
    the decoded input (without a byte-order mark), for diffs and snippets.
    """

    text: str | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    original: str | None = None

    @property
    def ok(self) -> bool:
        return self.text is not None

    @property
    def changed(self) -> bool:
        return self.text is not None and self.text != self.original


def format_source(source: str | bytes, filename: str = "<string>") -> Formatted:
    """Format one `.call` file. Never raises on bad input."""
    from .compiler import decode_source

    if isinstance(source, (bytes, bytearray)):
        text, problems = decode_source(bytes(source), filename)
        if text is None:
            return Formatted(None, problems, None)
    else:
        text = source.removeprefix("\ufeff")
    parsed = parse(text, filename)
    if parsed.diagnostics or parsed.module is None:
        return Formatted(None, list(parsed.diagnostics), text)
    return Formatted(format_module(parsed.module), [], text)


def format_text(text: str) -> str:
    """The canonical form of `text`; raises ValueError when it does not parse."""
    result = format_source(text)
    if result.text is None:
        first = result.diagnostics[0] if result.diagnostics else None
        where = f" at {first.span.line}:{first.span.column}: {first.message}" if first else ""
        raise ValueError(f"the source has syntax errors{where}")
    return result.text


# --- layout: statements, comments and blank lines ----------------------------------------

@dataclass
class _Line:
    """A comment on a line of its own."""

    comment: Comment

    @property
    def first_line(self) -> int:
        return self.comment.span.line

    @property
    def last_line(self) -> int:
        return self.comment.span.line


@dataclass
class _Stmt:
    statement: Statement
    #: The comment at the end of the statement's (last) line.
    trailing: Comment | None = None
    #: For a statement with a block: the comment after its `{`.
    open_comment: Comment | None = None
    body: list[list[_Item]] = field(default_factory=list)

    @property
    def first_line(self) -> int:
        return self.statement.span.line

    @property
    def last_line(self) -> int:
        return self.statement.span.end_line


_Item = Union[_Line, _Stmt]
_Paragraph = list[_Item]


def _inside(comment: Comment, statement: Statement) -> bool:
    return statement.span.start <= comment.span.start < statement.span.end


def _layout(statements: Sequence[Statement], comments: list[Comment],
            open_line: int | None = None) -> tuple[list[_Paragraph], Comment | None]:
    """Group a module's or block's statements and comments into paragraphs
    (runs of lines without a blank line between them). `comments` are those
    inside this module or block; `open_line` is the line of the block's `{`."""
    items = [_Stmt(s) for s in statements]
    open_comment = None
    loose: list[_Item] = []
    for comment in comments:
        owner = None
        for item in items:
            if _inside(comment, item.statement):
                owner = item
                break
        if owner is not None:
            continue  # inside a child block: laid out with it
        on_line = [item for item in items if item.statement.span.end_line == comment.span.line
                   and item.statement.span.end <= comment.span.start]
        if on_line:
            max(on_line, key=lambda i: i.statement.span.end).trailing = comment
        elif open_line is not None and comment.span.line == open_line:
            open_comment = comment
        else:
            loose.append(_Line(comment))
    for item in items:
        block = item.statement.block
        if block is not None:
            inner = [c for c in comments if block.open.end <= c.span.start < block.close.start]
            item.body, item.open_comment = _layout(block.statements, inner, block.open.line)
    ordered = sorted(items + loose, key=lambda i: i.statement.span.start if isinstance(i, _Stmt)
                     else i.comment.span.start)
    paragraphs: list[_Paragraph] = []
    previous: _Item | None = None
    for item in ordered:
        if previous is None or item.first_line - previous.last_line >= 2:
            paragraphs.append([])
        paragraphs[-1].append(item)
        previous = item
    return paragraphs, open_comment


def _sort_settings(paragraphs: list[_Paragraph]) -> None:
    """Sort the settings at the top of the file into `SETTING_ORDER`, inside
    each paragraph. Only settings before every other statement move: one
    after a verb is an error the checker reports where it stands."""
    rank = {name: i for i, name in enumerate(SETTING_ORDER)}
    for index, paragraph in enumerate(paragraphs):
        end = len(paragraph)
        stop = False
        for position, item in enumerate(paragraph):
            if isinstance(item, _Stmt) and item.statement.name.text not in rank:
                end, stop = position, True
                break
        settings = [p for p in range(end) if isinstance(paragraph[p], _Stmt)]
        if settings:
            last = settings[-1] + 1
            head = paragraph[:settings[0]]          # comments that open the paragraph
            units: list[list[_Item]] = []
            start = settings[0]
            for position in settings:
                units.append(paragraph[start:position + 1])
                start = position + 1
            units.sort(key=lambda unit: rank[unit[-1].statement.name.text])
            paragraphs[index] = head + [i for unit in units for i in unit] + paragraph[last:]
        if stop:
            return


# --- tokens ------------------------------------------------------------------------------

def quote(text: str) -> str:
    """`text` as a `.call` string literal, escaped minimally: `\\` `"`,
    newline and tab are escaped, `{` and `}` doubled; everything else is
    written as it is."""
    return '"' + _escape(text) + '"'


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("\t", "\\t").replace("{", "{{").replace("}", "}}"))


def _string(node: String) -> str:
    out = ['"']
    for part in node.parts:
        out.append("{" + part.name + "}" if isinstance(part, Placeholder) else _escape(part))
    out.append('"')
    return "".join(out)


def duration_text(seconds: int) -> str:
    """Whole seconds in the largest exact units: 90 → `1m30s`, 3600 → `1h`."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + \
        (f"{secs}s" if secs else "")
    return text or "0s"


def _token(arg: Argument) -> str:
    if isinstance(arg, String):
        return _string(arg)
    if isinstance(arg, Duration) and arg.milliseconds % 1000 == 0:
        return duration_text(arg.milliseconds // 1000)
    return arg.text


def _is_word(arg: Argument | None, *choices: str) -> bool:
    return isinstance(arg, Word) and (not choices or arg.text in choices)


def _keyword(arg: Argument, choices: Sequence[str]) -> str:
    """A keyword the checker reads case-insensitively, in lower case."""
    if isinstance(arg, Word) and arg.text.lower() in choices:
        return arg.text.lower()
    return _token(arg)


# --- arranging a statement's arguments -----------------------------------------------------
#
# Each reader mirrors how the checker consumes an option's arguments, so that
# options can be reordered without one taking another's argument. A reader
# returns the option's tokens (without its name) and where the next option
# starts, or None when the option is incomplete; then the statement keeps its
# arguments in the order written.

_Reader = Callable[[Sequence[Argument], int], Union[tuple[list[str], int], None]]


def _one(args: Sequence[Argument], i: int):
    return ([_token(args[i])], i + 1) if i < len(args) else None


def _flag(args: Sequence[Argument], i: int):
    return [], i


def _gender(args: Sequence[Argument], i: int):
    return ([_keyword(args[i], routee.GENDERS)], i + 1) if i < len(args) else None


def _count(args: Sequence[Argument], i: int):
    if i >= len(args):
        return None
    arg = args[i]
    if isinstance(arg, Integer) and arg.value >= 0:
        return [str(arg.value)], i + 1
    return [_token(arg)], i + 1


def _max(args: Sequence[Argument], i: int):
    if i >= len(args):
        return None
    arg = args[i]
    unit = args[i + 1] if i + 1 < len(args) and _is_word(args[i + 1], "digit", "digits") else None
    end = i + 2 if unit is not None else i + 1
    if isinstance(arg, Integer):
        return [str(arg.value), "digit" if arg.value == 1 else "digits"], end
    return [_token(arg)] + ([unit.text] if unit is not None else []), end


def _submit(args: Sequence[Argument], i: int):
    if i + 1 < len(args) and _is_word(args[i], "on") and _is_word(args[i + 1], "hash"):
        return ["on", "hash"], i + 2
    return None


def _notify(args: Sequence[Argument], i: int):
    if i >= len(args):
        return None
    tokens, i = [_token(args[i])], i + 1
    if i < len(args) and _is_word(args[i], "on"):
        if i + 1 >= len(args):
            return None
        tokens += ["on", _keyword(args[i + 1], tuple(routee.CALLBACK_STRATEGIES))]
        i += 2
    return tokens, i


def _record(args: Sequence[Argument], i: int):
    tokens: list[str] = []
    if i < len(args) and _is_word(args[i], "wav", "mp3", "WAV", "MP3"):
        tokens.append(args[i].text.lower())
        i += 1
    if i < len(args) and _is_word(args[i], "to"):
        if i + 1 >= len(args):
            return None
        tokens += ["to", _token(args[i + 1])]
        i += 2
    return tokens, i


def _machine(args: Sequence[Argument], i: int):
    if i >= len(args):
        return None
    arg = args[i]
    if not (isinstance(arg, Word) and arg.text.lower() in routee.MACHINE_STRATEGIES):
        return None
    strategy = arg.text.lower()
    if strategy == "hangup":
        return [strategy], i + 1
    if i + 1 < len(args) and isinstance(args[i + 1], String):
        return [strategy, _token(args[i + 1])], i + 2
    return None


def _target(args: Sequence[Argument]) -> int | None:
    """How many arguments a `to`/`dial` target takes (None: it is incomplete)."""
    if not args:
        return None
    if _is_word(args[0], "sip", "viber", "phone"):
        return 2 if len(args) >= 2 else None
    return 1


#: How an option's arguments are read, by what it takes (its slots in the
#: table of `statements.py`); any other option takes one argument as written.
_READERS: dict[tuple, _Reader] = {
    (): _flag, (Slot("gender"),): _gender, (Slot("repeat"),): _count, DIGITS_SLOTS: _max,
    ON_HASH_SLOTS: _submit, NOTIFY_SLOTS: _notify, RECORD_SLOTS: _record,
    MACHINE_SLOTS: _machine,
}


#: Per verb: how many leading arguments it takes (a number, or a function
#: of the arguments), then its options in canonical order: the table's.
_OPTIONS: dict[str, tuple[Union[int, Callable], tuple[tuple[str, _Reader], ...]]] = {
    name: (_target if [s.kind for s in STATEMENTS[name].takes] == ["target"]
           else len(STATEMENTS[name].takes),
           tuple((option.name, _READERS.get(option.takes, _one))
                 for option in STATEMENTS[name].options))
    for name in VERBS
}


def _settings_tokens(statement: Statement) -> list[str] | None:
    """Tokens of a setting or `voice`, with keywords in lower case; None
    when its shape is not the one the checker expects."""
    name, args = statement.name.text, statement.args
    if name == "notify":
        read = _notify(args, 0)
    elif name == "machine":
        read = _machine(args, 0)
    elif name == "voice" and len(args) == 2:
        read = ([_token(args[0]), _keyword(args[1], routee.GENDERS)], 2)
    else:
        return None
    if read is None or read[1] != len(args):
        return None
    return read[0]


def _choice_list(args: Sequence[Argument]) -> list[str] | None:
    """`on 1,2` / `on 1 , 2` → ["1,", "2"]: the keys of several choices,
    each comma straight after its keys; None unless `args` is such a list."""
    pieces: list[str | None] = []  # None: a comma
    for arg in args:
        if isinstance(arg, String):
            pieces.append(_token(arg))
            continue
        for number, part in enumerate(arg.text.split(",")):
            if number:
                pieces.append(None)
            if part:
                pieces.append(part)
    if None not in pieces or len(pieces) % 2 == 0:
        return None
    if any((piece is None) != (index % 2 == 1) for index, piece in enumerate(pieces)):
        return None
    keys = pieces[::2]
    return [key + "," for key in keys[:-1]] + [keys[-1]]


def arrange(statement: Statement) -> tuple[list[str], list[list[str]]]:
    """The statement's leading tokens (name and positional arguments) and its
    option groups in canonical order. A statement the checker would not
    read cleanly (unknown or repeated option, missing or extra argument)
    keeps its arguments in the order written, as leading tokens."""
    name, args = statement.name.text, list(statement.args)
    written = [name] + [_token(a) for a in args]
    spec = _OPTIONS.get(name)
    if name == "on":
        keys = _choice_list(args)
        return ([name] + keys if keys is not None else written), []
    if spec is None:
        tokens = _settings_tokens(statement)
        return ([name] + tokens if tokens is not None else written), []
    leading, readers = spec
    count = leading(args) if callable(leading) else leading
    if count is None or len(args) < count:
        return written, []
    groups: dict[str, list[str]] = {}
    table = dict(readers)
    i = count
    while i < len(args):
        arg = args[i]
        if not isinstance(arg, Word) or arg.text not in table or arg.text in groups:
            return written, []
        read = table[arg.text](args, i + 1)
        if read is None:
            return written, []
        groups[arg.text] = [arg.text] + read[0]
        i = read[1]
    return ([name] + [_token(a) for a in args[:count]],
            [groups[option] for option, _ in readers if option in groups])


# --- rendering ------------------------------------------------------------------------------

def _comment(comment: Comment) -> str:
    return comment.text.rstrip()


def _render_statement(item: _Stmt, indent: str) -> list[str]:
    statement = item.statement
    head, groups = arrange(statement)
    trailing = "  " + _comment(item.trailing) if item.trailing else ""
    block = statement.block
    if block is not None:
        opening = indent + " ".join(head + [t for g in groups for t in g])
        if not item.body and item.open_comment is None:
            return [opening + " {}" + trailing]
        lines = [opening + " {" + ("  " + _comment(item.open_comment)
                                   if item.open_comment else "")]
        lines += _render_paragraphs(item.body, indent + INDENT)
        return lines + [indent + "}" + trailing]
    one_line = indent + " ".join(head + [t for g in groups for t in g])
    keep_whole = item.trailing is not None and _SUPPRESSION.search(item.trailing.text)
    if len(one_line) <= WIDTH or not groups or keep_whole:
        return [one_line + trailing]
    lines = [indent + " ".join(head) + " \\"]
    for group in groups[:-1]:
        lines.append(indent + CONTINUATION + " ".join(group) + " \\")
    lines.append(indent + CONTINUATION + " ".join(groups[-1]) + trailing)
    return lines


def _render_paragraphs(paragraphs: list[_Paragraph], indent: str) -> list[str]:
    lines: list[str] = []
    for paragraph in paragraphs:
        if lines:
            lines.append("")
        for item in paragraph:
            if isinstance(item, _Line):
                lines.append(indent + _comment(item.comment))
            else:
                lines.extend(_render_statement(item, indent))
    return lines


def format_module(module: Module) -> str:
    """The canonical text of a parsed module (its comments included)."""
    paragraphs, _ = _layout(module.statements, list(module.comments))
    _sort_settings(paragraphs)
    lines = _render_paragraphs(paragraphs, "")
    return "\n".join(lines) + "\n" if lines else ""
