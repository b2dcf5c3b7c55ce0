"""JSON text → Python value, keeping the position of every value.

`parse_json` reads strict JSON (RFC 8259) with the LALR grammar in
`grammar/json.lark` and returns the plain value (dicts, lists, str, int,
float, bool, None, as `json.loads` gives them) together with a map from
each value's path (a tuple of keys and indices, `()` for the root) to its
`Span`, and for object members the span of the key. `dialplan validate`
uses them to report a problem at the line and column of the JSON.

A trailing comma before `]` or `}` is reported and then read past, so the
rest of the document is still checked (Routee's own examples have them).
It never raises on bad input: a syntax error, a duplicate key, a number
Python cannot hold, a lone surrogate escape or nesting deeper than
`MAX_DEPTH` becomes a DP010 diagnostic. The parser keeps its own stack and the paths are collected
without recursion; nesting is still capped, because later stages (schema
validation, messages that print a value) do recurse.
"""

from __future__ import annotations

import json
import math
import os
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Union

from . import rules
from .diagnostics import Diagnostic, Related
from .nodes import Span
from .resources import data_dir

Path = tuple[Union[str, int], ...]

#: Deepest nesting of arrays and objects accepted. A Routee payload is six
#: levels deep at most (body → dialPlan → verbs → verb → message → text).
MAX_DEPTH = 100


@dataclass
class ParsedJSON:
    """What `parse_json` found.

    `ok` is False when the text is not JSON (then `value` is None and the
    maps are empty). A duplicate key is reported but leaves `ok` True: the
    value is what `json.loads` would give (the last of the duplicates wins).
    """

    value: Any
    ok: bool
    #: path → span of the value there
    spans: dict[Path, Span] = field(default_factory=dict)
    #: path of an object member → span of its key (quotes included)
    key_spans: dict[Path, Span] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def span_for(self, path: Path) -> Span | None:
        """The span of `path`, or of the closest enclosing value that has one."""
        for end in range(len(path), -1, -1):
            span = self.spans.get(tuple(path[:end]))
            if span is not None:
                return span
        return None


def json_pointer(path: Path) -> str:
    """RFC 6901 pointer for a path: `("dialPlan", "verbs", 1)` → `/dialPlan/verbs/1`."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


# --- tree building ---------------------------------------------------------------

class _TooDeep(Exception):
    def __init__(self, token) -> None:
        super().__init__()
        self.token = token


@dataclass
class _Context:
    file: str
    text: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Brackets opened and not yet closed, innermost last. The lexer runs
    #: one token ahead of the parser's complaints, so the closing bracket
    #: last seen and the opener it removed are kept to undo that step.
    open: list = field(default_factory=list)
    last_closed: tuple | None = None
    #: A value could not be read (a number too large); the result is not usable.
    broken: bool = False


_context: ContextVar[_Context] = ContextVar("dialplan_json_context")


@dataclass(slots=True)
class _Node:
    value: Any
    span: Span
    #: list of `_Node` for an array; list of (key, key span, `_Node`) for an
    #: object; None for a scalar.
    children: list | None = None
    is_object: bool = False


def _token_span(token) -> Span:
    return Span(_context.get().file, token.line, token.column, token.end_line, token.end_column,
                token.start_pos, token.end_pos)


def _build_start(children):
    return children[0]


#: An escape in a JSON string: `\\uXXXX` (group 1 the digits) or any other.
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _decode(token) -> str:
    """The text of a STRING token. `\\ud83d\\ude00` is one character (😀),
    but half of such a pair alone is no character at all: text with one
    cannot be encoded as UTF-8, so Routee could not take it. It is reported
    here and read as U+FFFD, so that nothing later trips on it."""
    # The terminal only matches valid strings, so the C decoder cannot fail.
    text = json.loads(token)
    if "\\u" not in token or not _SURROGATE.search(text):
        return text
    high = None  # (offset, code) of a high surrogate waiting for its low half
    for match in _ESCAPE.finditer(token):
        digits = match.group(1)
        code = int(digits, 16) if digits else None
        if high is not None and code is not None and 0xDC00 <= code <= 0xDFFF \
                and match.start() == high[0] + 6:
            high = None  # a pair
            continue
        if high is not None:
            _lone_surrogate(token, *high)
            high = None
        if code is not None and 0xD800 <= code <= 0xDBFF:
            high = (match.start(), code)
        elif code is not None and 0xDC00 <= code <= 0xDFFF:
            _lone_surrogate(token, match.start(), code)
    if high is not None:
        _lone_surrogate(token, *high)
    return _SURROGATE.sub("\ufffd", text)


def _lone_surrogate(token, offset: int, code: int) -> None:
    half = "first" if code < 0xDC00 else "second"
    _context.get().diagnostics.append(rules.BAD_JSON(
        _token_span(token).shifted(offset, 6),
        f"\\u{code:04x} is the {half} half of a UTF-16 surrogate pair, alone: "
        "not a character, so this string is not valid Unicode text",
        label="a lone surrogate",
        help="a character past U+FFFF takes both halves, high then low (\\ud83d\\ude00 "
             "is 😀); write the pair, the character itself, or remove the escape"))


def _build_string(children) -> _Node:
    token = children[0]
    return _Node(_decode(token), _token_span(token))


def _build_number(children) -> _Node:
    token = children[0]
    span = _token_span(token)
    try:
        value = json.loads(token)
    except ValueError:  # more digits than int() accepts (sys.get_int_max_str_digits)
        value = None
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        ctx = _context.get()
        ctx.broken = True
        ctx.diagnostics.append(rules.BAD_JSON(
            span, f"the number {_abbreviate(str(token))} is too large to read",
            help="Routee's numbers are small whole numbers such as 30"))
        value = 0
    return _Node(value, span)


_LITERALS = {"true": True, "false": False, "null": None}


def _build_literal(children) -> _Node:
    token = children[0]
    return _Node(_LITERALS[str(token)], _token_span(token))


def _build_array(children) -> _Node:
    items = children[1:-1]
    span = _token_span(children[0]).to(_token_span(children[-1]))
    return _Node([item.value for item in items], span, items)


def _build_pair(children) -> tuple[str, Span, _Node]:
    key = children[0]
    return _decode(key), _token_span(key), children[1]


def _build_object(children) -> _Node:
    span = _token_span(children[0]).to(_token_span(children[-1]))
    members: dict[str, tuple[str, Span, _Node]] = {}
    for key, key_span, node in children[1:-1]:
        first = members.get(key)
        if first is not None:
            _context.get().diagnostics.append(rules.BAD_JSON(
                key_span, f"duplicate key {_quote(key)} in this object",
                label="second time", related=[Related(first[1], "first given here")],
                help="an object has each key once; readers disagree on which value "
                     "wins (here the last one is checked), so remove one"))
        members[key] = (key, key_span, node)
    value = {key: node.value for key, _, node in members.values()}
    return _Node(value, span, list(members.values()), is_object=True)


def _open(token):
    ctx = _context.get()
    ctx.open.append(token)
    if len(ctx.open) > MAX_DEPTH:
        raise _TooDeep(token)
    return token


def _close(token):
    ctx = _context.get()
    ctx.last_closed = (token, ctx.open.pop()) if ctx.open else (token, None)
    return token


def _open_before(ctx: _Context, token) -> list:
    """The brackets open just before `token` was read."""
    if ctx.open and ctx.open[-1] is token:
        return ctx.open[:-1]
    if ctx.last_closed is not None and ctx.last_closed[0] is token and ctx.last_closed[1]:
        return ctx.open + [ctx.last_closed[1]]
    return list(ctx.open)


@cache
def _lark():
    from lark import Lark, Transformer

    class _Builder(Transformer):
        start = staticmethod(_build_start)
        string = staticmethod(_build_string)
        number = staticmethod(_build_number)
        literal = staticmethod(_build_literal)
        array = staticmethod(_build_array)
        pair = staticmethod(_build_pair)
        object = staticmethod(_build_object)

    with open(os.path.join(data_dir("grammar"), "json.lark"), encoding="utf-8") as handle:
        grammar = handle.read()
    return Lark(grammar, parser="lalr", transformer=_Builder(), maybe_placeholders=False,
                lexer_callbacks={"LSQB": _open, "LBRACE": _open,
                                 "RSQB": _close, "RBRACE": _close})


def _flatten(root: _Node, parsed: ParsedJSON) -> None:
    """Fill the path → span maps, top-down, without recursion."""
    stack: list[tuple[Path, _Node]] = [((), root)]
    while stack:
        path, node = stack.pop()
        parsed.spans[path] = node.span
        if node.children is None:
            continue
        if node.is_object:
            for key, key_span, child in node.children:
                parsed.key_spans[path + (key,)] = key_span
                stack.append((path + (key,), child))
        else:
            stack.extend((path + (index,), child) for index, child in enumerate(node.children))


#: Trailing commas read past in one text, at most (each is still reported).
MAX_TRAILING_COMMAS = 20


def parse_json(text: str, file: str = "<string>") -> ParsedJSON:
    """Parse JSON text, keeping positions. Never raises on bad input.

    A trailing comma before `]` or `}` (as in some of Routee's own examples)
    is reported, and the text is then read as if the comma were not there,
    so that what follows is still checked; the result stays usable."""
    commas: list[Diagnostic] = []
    while True:
        parsed, comma = _parse(text, file)
        if comma is None or len(commas) >= MAX_TRAILING_COMMAS:
            parsed.diagnostics[:0] = commas
            return parsed
        commas.append(parsed.diagnostics[-1])
        # A space keeps every later offset, line and column where it was.
        text = text[:comma] + " " + text[comma + 1:]


def _parse(text: str, file: str) -> tuple[ParsedJSON, int | None]:
    """One reading of `text`, and the offset of the trailing comma that
    stopped it (then its diagnostic is the last one), if one did."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    ctx = _Context(file, text)
    comma = None
    reset = _context.set(ctx)
    root: _Node | None = None
    try:
        root = _lark().parse(text)
    except _TooDeep as error:
        token = error.token
        ctx.diagnostics.append(rules.BAD_JSON(
            _token_span(token), f"arrays and objects are nested more than {MAX_DEPTH} deep here",
            label=f"level {MAX_DEPTH + 1}",
            help="a Routee payload is a few levels deep; is this the right file?"))
    except UnexpectedCharacters as error:
        ctx.diagnostics.append(_bad_character(ctx, error.pos_in_stream, error.allowed))
    except UnexpectedToken as error:
        comma = _trailing_comma(ctx, error.token)
        ctx.diagnostics.append(_bad_token(ctx, error.token, error.expected))
    except UnexpectedInput as error:  # pragma: no cover - other Lark input errors
        offset = getattr(error, "pos_in_stream", 0) or 0
        ctx.diagnostics.append(rules.BAD_JSON(_point(ctx, offset), "this is not valid JSON",
                                              help="check the JSON from this point on"))
    finally:
        _context.reset(reset)
    if root is None or ctx.broken:
        return ParsedJSON(None, False, diagnostics=ctx.diagnostics), comma
    parsed = ParsedJSON(root.value, True, diagnostics=ctx.diagnostics)
    _flatten(root, parsed)
    return parsed, None


# --- syntax errors ---------------------------------------------------------------

def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in code points) of a 0-based offset."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _region(ctx: _Context, start: int, end: int) -> Span:
    line, column = position(ctx.text, start)
    end_line, end_column = position(ctx.text, end)
    return Span(ctx.file, line, column, end_line, end_column, start, end)


def _point(ctx: _Context, offset: int) -> Span:
    return _region(ctx, offset, offset + 1)


def _abbreviate(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str) -> str:
    return _abbreviate(json.dumps(text, ensure_ascii=False))


_VALUE_TERMINALS = {"LSQB", "LBRACE", "STRING", "NUMBER", "TRUE", "FALSE", "NULL"}
_TERMINAL_NAMES = {"_COMMA": "','", "_COLON": "':'", "RSQB": "']'", "RBRACE": "'}'",
                   "$END": "the end of the file"}
_WORDS = {"True": "true", "False": "false", "None": "null", "TRUE": "true", "FALSE": "false",
          "NULL": "null", "Null": "null"}


def _expected(names, open_brackets: list | None = None) -> str:
    names = set(names)
    if open_brackets is not None:
        # LALR merges states, so Lark's list can name a bracket that cannot
        # close here; the innermost open bracket says which one can.
        inner = open_brackets[-1].type if open_brackets else None
        if inner != "LSQB":
            names.discard("RSQB")
        if inner != "LBRACE":
            names.discard("RBRACE")
        if inner is None:
            names.discard("_COMMA")
            if not names & _VALUE_TERMINALS:
                names.add("$END")
    out = []
    if "STRING" in names and not names & (_VALUE_TERMINALS - {"STRING"}):
        out.append("a key in double quotes")
    elif names & _VALUE_TERMINALS:
        out.append("a value")
    out.extend(_TERMINAL_NAMES[n] for n in ("_COMMA", "_COLON", "RSQB", "RBRACE", "$END")
               if n in names)
    if len(out) <= 1:
        return "".join(out) or "something else"
    return ", ".join(out[:-1]) + " or " + out[-1]


def _describe_token(token) -> str:
    if token.type == "$END":
        return "the end of the file"
    if token.type == "STRING":
        return f"the string {_quote(json.loads(token))}"
    if token.type == "NUMBER":
        return f"the number {_abbreviate(str(token))}"
    return f"'{token}'"


def _trailing_comma(ctx: _Context, token) -> int | None:
    """The offset of the comma just before a closing bracket `token`, if any."""
    if token.type not in ("RSQB", "RBRACE"):
        return None
    before = ctx.text[: token.start_pos].rstrip(" \t\r\n")
    return len(before) - 1 if before.endswith(",") else None


def _bad_token(ctx: _Context, token, expected) -> Diagnostic:
    text = ctx.text
    if token.type == "$END":
        if not text.strip(" \t\r\n"):
            return rules.BAD_JSON(Span(ctx.file, 1, 1, 1, 2, 0, 1) if not text else
                                  _region(ctx, 0, len(text)),
                                  "the file is empty: expected a JSON value",
                                  help='a payload is an object: {"from": …, "to": …, '
                                       '"dialPlan": {"verbs": […]}} or {"verbs": […]}')
        if ctx.open:
            opener = ctx.open[-1]
            closer = "]" if opener.type == "LSQB" else "}"
            end = _point(ctx, len(text))
            count = len(ctx.open)
            return rules.BAD_JSON(
                _token_span(opener), f"this '{opener}' is never closed: the file ends first",
                label=f"expected a '{closer}' for this",
                related=[Related(end, "the file ends here")],
                help=f"add the missing '{closer}'" if count == 1 else
                f"{count} brackets are still open at the end of the file; close each one")
        return rules.BAD_JSON(_point(ctx, len(text)), "the file ends in the middle of a value",
                              help=f"expected {_expected(expected)}")
    span = _token_span(token)
    open_brackets = _open_before(ctx, token)
    before = text[: token.start_pos].rstrip(" \t\r\n")
    comma = _trailing_comma(ctx, token)
    if comma is not None:
        return rules.BAD_JSON(_point(ctx, comma), f"trailing comma before '{token}'",
                              label="remove this comma",
                              help="JSON allows no comma after the last item")
    if token.type == "NUMBER" and before == text[: token.start_pos] and before[-1:].isdigit():
        return rules.BAD_JSON(span.shifted(-1, len(token) + 1) if span.column > 1 else span,
                              "a number cannot start with 0",
                              help="write it without the leading zero, or in quotes if it is "
                                   "a phone number or an id")
    if set(expected) == {"$END"} or (not open_brackets and before
                                       and not set(expected) & _VALUE_TERMINALS):
        return rules.BAD_JSON(span, f"the JSON value has ended, but {_describe_token(token)} "
                                    "follows",
                              help="a JSON file holds one value: remove what follows it, or "
                                   "wrap several values in [ ]")
    closing = ""
    if open_brackets and token.type in ("RSQB", "RBRACE"):
        opener = open_brackets[-1]
        closing = f" (the '{opener}' on line {opener.line} is still open)"
    help = None
    if token.type in _VALUE_TERMINALS and "_COMMA" in expected:
        help = "add a ',' between the items"
    elif "_COLON" in expected:
        help = "write a ':' between a key and its value"
    wanted = _expected(expected, open_brackets)
    return rules.BAD_JSON(span, f"expected {wanted}, found {_describe_token(token)}{closing}",
                          label=f"expected {wanted}", help=help or f"write {wanted} here")


def _bad_character(ctx: _Context, offset: int, allowed) -> Diagnostic:
    text = ctx.text
    char = text[offset]
    if char == '"':
        return _bad_string(ctx, offset)
    if char == "'":
        return rules.BAD_JSON(_point(ctx, offset), "JSON strings use double quotes, not '",
                              help='write "…" instead of \'…\'')
    if char == "/" and text[offset + 1 : offset + 2] in ("/", "*"):
        return rules.BAD_JSON(_region(ctx, offset, offset + 2), "JSON has no comments",
                              help="remove the comment")
    word = re.match(r"[A-Za-z_$][A-Za-z0-9_$]*", text[offset:])
    if word:
        word_text = word.group()
        span = _region(ctx, offset, offset + len(word_text))
        if allowed and set(allowed) <= {"STRING", "RBRACE"}:
            return rules.BAD_JSON(span, f"the key {word_text} is not in double quotes",
                                  help=f'write "{word_text}"')
        if word_text in _WORDS:
            return rules.BAD_JSON(span, f"'{word_text}' is not JSON",
                                  help=f"write {_WORDS[word_text]}")
        if word_text in ("NaN", "Infinity", "undefined"):
            return rules.BAD_JSON(span, f"'{word_text}' is not JSON",
                                  help="JSON numbers are finite; use null or a number")
        return rules.BAD_JSON(span, f"unexpected '{_abbreviate(word_text)}'",
                              help=f'text is written in double quotes: "{_abbreviate(word_text)}"')
    if char in "+." or char.isdigit() or char == "-":
        return rules.BAD_JSON(_point(ctx, offset), f"{char!r} cannot start or continue a number "
                                                   "here",
                              help="JSON numbers look like 30, -1 or 2.5")
    if char == "\ufeff":
        return rules.BAD_JSON(_point(ctx, offset), "a byte-order mark (U+FEFF) inside the text",
                              help="remove it")
    shown = char if char.isprintable() else ""
    return rules.BAD_JSON(_point(ctx, offset),
                          f"unexpected character {shown + ' ' if shown else ''}(U+{ord(char):04X})",
                          help=f"expected {_expected(allowed or ())}")


def _bad_string(ctx: _Context, offset: int) -> Diagnostic:
    """Why the string starting at `offset` did not match: the first bad
    character in it, or its missing end."""
    text = ctx.text
    i = offset + 1
    while i < len(text):
        char = text[i]
        if char == '"':
            break  # unreachable in practice: the string would have matched
        if char == "\n" or char == "\r":
            break
        if char < " ":
            return rules.BAD_JSON(
                _point(ctx, i), f"a raw control character (U+{ord(char):04X}) in a string",
                help="write it as an escape: \\t for a tab, \\u00XX for others")
        if char == "\\":
            escape = text[i + 1 : i + 2]
            if escape == "u":
                digits = text[i + 2 : i + 6]
                if re.fullmatch(r"[0-9a-fA-F]{4}", digits):
                    i += 6
                    continue
                return rules.BAD_JSON(_region(ctx, i, min(i + 2 + len(digits), len(text))),
                                      "\\u must be followed by four hex digits",
                                      help="for example \\u00e9 for é")
            if escape and escape in '"\\/bfnrt':
                i += 2
                continue
            if not escape or escape in "\r\n":
                break
            return rules.BAD_JSON(_region(ctx, i, i + 2),
                                  f"unknown escape '\\{escape}' in a string",
                                  help='the escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX; '
                                       "write \\\\ for a backslash")
        i += 1
    line_end = i
    return rules.BAD_JSON(_region(ctx, offset, max(line_end, offset + 1)),
                          "unterminated string", label="this string has no closing '\"'",
                          help='close it with " on the same line; write \\n for a line break')
