"""Source text → syntax tree (`nodes.Module`), with syntax diagnostics.

The Lark grammar (`grammar/dialplan.lark`) is compiled into an LALR parser
once per process. The tree is built while parsing (Lark's inline transformer),
which is both faster than building a parse tree first and free of recursion.
Later stages (checker, formatter, editor support) do walk blocks
recursively, so blocks nest at most `MAX_NESTING` deep: a block deeper
than that is reported (DP012) and left out of the tree, which is then never
deeper than the limit, whatever the input.

The tokens come from `fastparse`'s contextual lexer and, for a file without
syntax errors, the parse from its LALR loop: both do what Lark's do, faster.
A file with a syntax error is parsed again by Lark's own loop.

Syntax errors do not stop the parse: the parser reports them and recovers
(skips the offending token, closes blocks left open at the end of the file,
drops the rest of a line with an unterminated string). Statements on a line
that had a syntax error are marked so the checker does not pile further
errors on top.
"""

from __future__ import annotations

import os
import re
import zlib
from contextvars import ContextVar
from .records import field, record
from functools import cache

from . import rules
from .diagnostics import Diagnostic
from .fastparse import NotClean, clean_parser, contextual_lexer
from .nodes import (Argument, Block, Comment, Duration, Integer, Module, Phone, Placeholder,
                    Span, Statement, String, Word)
from .resources import grammar_path

#: Syntax errors reported per file before the parser gives up on it. A binary
#: or otherwise hopeless file would otherwise report one error per byte.
MAX_SYNTAX_ERRORS = 50
#: Deepest nesting of `{ … }` blocks accepted. A menu inside a branch of
#: another menu takes two levels (the menu's block and the branch's), so
#: this allows menus 25 deep; real call flows stay under five. Every walk
#: of the tree is safe well past it.
MAX_NESTING = 50


@record(frozen=False)
class ParseResult:
    module: Module | None
    diagnostics: list[Diagnostic]
    #: Lines on which a syntax error was reported; their statements are
    #: incomplete, so the checker leaves them alone.
    error_lines: frozenset[int] = frozenset()


@record(frozen=False)
class _Context:
    """State of one parse, reachable from Lark's callbacks."""

    file: str
    text: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    open_braces: list = field(default_factory=list)
    #: Offsets of the '{' of blocks at depth MAX_NESTING + 1: built empty.
    too_deep: set[int] = field(default_factory=set)
    error_lines: set[int] = field(default_factory=set)
    syntax_errors: int = 0


_context: ContextVar[_Context] = ContextVar("dialplan_parse_context")


# --- atoms ---------------------------------------------------------------------

_INTEGER = re.compile(r"-?[0-9]+")
_PHONE = re.compile(r"\+[0-9][0-9\-.()]*")
_DURATION = re.compile(
    r"(?=[0-9])(?:(?P<h>[0-9]+)h)?(?:(?P<m>[0-9]+)m(?!s))?(?:(?P<s>[0-9]+)s)?(?:(?P<ms>[0-9]+)ms)?")
_PLACEHOLDER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL = re.compile(r"[\\{}]")
#: A carriage return that is not part of "\r\n": a line break of its own
#: (classic Mac OS line endings).
_LONE_CR = re.compile(r"\r(?!\n)")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


def classify_atom(text: str, span: Span) -> Argument:
    """Decide what a bare atom is: integer, duration, phone number or word."""
    if text[0].isalpha():  # most atoms are keywords and languages
        return Word(span, text)
    if _INTEGER.fullmatch(text):
        return Integer(span, text, int(text))
    match = _DURATION.fullmatch(text)
    if match:
        h, m, s, ms = (int(match.group(g) or 0) for g in ("h", "m", "s", "ms"))
        return Duration(span, text, ((h * 60 + m) * 60 + s) * 1000 + ms)
    if _PHONE.fullmatch(text):
        return Phone(span, text)
    return Word(span, text)


def decode_string(raw: str, span: Span, report: list[Diagnostic]) -> String:
    """Decode the content of a string token (quotes included in `raw`) into
    literal text and placeholders. Problems are appended to `report`."""
    if not _SPECIAL.search(raw, 1, len(raw) - 1):  # the common case: plain text
        return String(span, raw, (raw[1:-1],) if len(raw) > 2 else ())
    parts: list[str | Placeholder] = []
    literal: list[str] = []
    i, end = 1, len(raw) - 1
    while i < end:
        ch = raw[i]
        if ch == "\\":
            escaped = raw[i + 1]
            if escaped in _ESCAPES:
                literal.append(_ESCAPES[escaped])
            else:
                report.append(rules.BAD_ESCAPE(
                    span.shifted(i, 2), f"unknown escape sequence '\\{escaped}'",
                    help='the escapes are \\" \\\\ \\n \\t; write \\\\ for a backslash'))
                literal.append(escaped)
            i += 2
        elif ch in "{}" and raw[i + 1 : i + 2] == ch:
            literal.append(ch)
            i += 2
        elif ch == "{":
            match = _PLACEHOLDER_NAME.match(raw, i + 1)
            if match and raw[match.end() : match.end() + 1] == "}":
                if literal:
                    parts.append("".join(literal))
                    literal.clear()
                length = match.end() + 1 - i
                parts.append(Placeholder(span.shifted(i, length), match.group()))
                i += length
            else:
                report.append(rules.BAD_PLACEHOLDER(
                    span.shifted(i, 1), "'{' does not start a placeholder",
                    label="expected a name and '}'",
                    help="placeholders look like {name}; write {{ for a literal '{'"))
                literal.append(ch)
                i += 1
        elif ch == "}":
            report.append(rules.BAD_PLACEHOLDER(
                span.shifted(i, 1), "'}' without a placeholder to close",
                help="write }} for a literal '}'"))
            literal.append(ch)
            i += 1
        else:
            literal.append(ch)
            i += 1
    if literal:
        parts.append("".join(literal))
    return String(span, raw, tuple(parts))


# --- tree building ---------------------------------------------------------------

def _span(token) -> Span:
    return Span(_context.get().file, token.line, token.column, token.end_line,
                token.end_column, token.start_pos, token.end_pos)


def _argument(token) -> Argument:
    span = _span(token)
    if token.type == "STRING":
        return decode_string(str(token), span, _context.get().diagnostics)
    return classify_atom(str(token), span)


def _build_start(children) -> tuple[Statement, ...]:
    return tuple(children)


def _build_block(children) -> Block:
    open_span, close_span = _span(children[0]), _span(children[-1])
    if open_span.start in _context.get().too_deep:
        return Block(open_span.to(close_span), (), open_span, close_span)  # reported (DP012)
    return Block(open_span.to(close_span), tuple(children[1:-1]), open_span, close_span)


def _build_statement(children) -> Statement:
    head = children[0]
    name = Word(_span(head), str(head))
    block = children[-1] if isinstance(children[-1], Block) else None
    tokens = children[1:-1] if block is not None else children[1:]
    args = tuple(_argument(t) for t in tokens)
    last = block or (args[-1] if args else name)
    return Statement(name.span.to(last.span), name, args, block)


# --- error recovery --------------------------------------------------------------

#: Reported even on a line that already has a syntax error: what they say
#: is not a consequence of it.
_ALWAYS_REPORTED = frozenset((rules.UNCLOSED_BLOCK.code, rules.TOO_DEEP.code))


def _report(diagnostic: Diagnostic) -> bool:
    """Record a syntax error; False once the file has too many of them."""
    ctx = _context.get()
    span = diagnostic.span
    if span.line in ctx.error_lines and diagnostic.code not in _ALWAYS_REPORTED:
        return True  # one syntax error per line: the rest are consequences
    ctx.error_lines.update(range(span.line, span.end_line + 1))
    ctx.syntax_errors += 1
    if ctx.syntax_errors > MAX_SYNTAX_ERRORS + 1:
        return False
    if ctx.syntax_errors > MAX_SYNTAX_ERRORS:
        ctx.diagnostics.append(rules.TOO_MANY_ERRORS(
            span, f"more than {MAX_SYNTAX_ERRORS} syntax errors; stopped checking this file",
            help="is this really a .call file?"))
        return False
    ctx.diagnostics.append(diagnostic)
    return True


def _eof_token(text: str):
    Token = _backend().Token
    line = text.count("\n") + 1
    column = len(text) - (text.rfind("\n") + 1) + 1
    return Token("RBRACE", "", start_pos=len(text), line=line, column=column,
                 end_line=line, end_column=column, end_pos=len(text))


def _describe(token) -> str:
    return {"STRING": f"a string {token}", "LBRACE": "'{'", "RBRACE": "'}'",
            "ATOM": f"'{token}'", "AGAIN": "'again'",
            "BACK": "'back'", "END": "'end'"}.get(token.type, repr(str(token)))


def _on_error(error) -> bool:
    lark = _backend()
    ctx = _context.get()
    if isinstance(error, lark.UnexpectedCharacters):
        line_start = ctx.text.rfind("\n", 0, error.pos_in_stream) + 1
        line_end = ctx.text.find("\n", error.pos_in_stream)
        if line_end == -1:
            line_end = len(ctx.text)
        if ctx.text[line_end - 1 : line_end] == "\r":
            line_end -= 1
        column = error.pos_in_stream - line_start + 1
        if error.char == '"':
            length = max(1, line_end - error.pos_in_stream)
            keep_going = _report(rules.UNTERMINATED_STRING(
                Span(ctx.file, error.line, column, error.line, column + length,
                     error.pos_in_stream, error.pos_in_stream + length),
                "unterminated string", label="this string has no closing '\"'",
                help='close it with " on the same line (strings cannot span lines; '
                     'end a line with \\ to continue a statement)'))
            # Skip the rest of the line: it is all inside the broken string.
            state = error.interactive_parser.lexer_thread.state
            state.line_ctr.feed(ctx.text[error.pos_in_stream:line_end])
            return keep_going
        char = error.char
        return _report(rules.UNEXPECTED_CHARACTER(
            Span.point(ctx.file, error.line, column, error.pos_in_stream),
            f"unexpected character {char!r} (U+{ord(char):04X})",
            help="remove it; text belongs inside double quotes"))

    if isinstance(error, lark.UnexpectedToken):
        token = error.token
        if token.type == "$END":
            # Close every block still open and let the parse finish. Which of
            # several open blocks lacks its '}' is a guess, so report the
            # outermost once rather than one error per brace.
            if not ctx.open_braces:
                return False
            brace = ctx.open_braces[0]
            count = len(ctx.open_braces)
            _report(rules.UNCLOSED_BLOCK(
                Span(ctx.file, brace.line, brace.column, brace.line, brace.column + 1,
                     brace.start_pos, brace.start_pos + 1),
                "this block is never closed", label="block opened here",
                help="add a '}' where the block ends" if count == 1 else
                     f"{count} blocks are still open at the end of the file; "
                     "add a '}' where each one ends"))
            closing = _eof_token(ctx.text)
            for _ in ctx.open_braces:
                error.interactive_parser.feed_token(closing)
            ctx.open_braces.clear()
            return True
        span = Span(ctx.file, token.line, token.column, token.end_line, token.end_column,
                    token.start_pos, token.end_pos)
        if token.type in ("RBRACE", "STRAY_RBRACE"):
            return _report(rules.UNMATCHED_CLOSE(
                span, "'}' closes nothing", label="no block is open here",
                help="remove it, or add the '{' it was meant to close"))
        return _report(rules.UNEXPECTED_TOKEN(
            span, f"expected a statement, found {_describe(token)}",
            label="a statement starts with its name",
            help="start the line with a statement such as `say`, or end the previous "
                 "line with \\ to continue it"))
    return False


# --- the parser ------------------------------------------------------------------

def _push_brace(token):
    ctx = _context.get()
    ctx.open_braces.append(token)
    if len(ctx.open_braces) == MAX_NESTING + 1:
        # Only the outermost block too deep is reported and cut: the ones
        # inside it go with it.
        ctx.too_deep.add(token.start_pos)
        _report(rules.TOO_DEEP(
            Span(ctx.file, token.line, token.column, token.line, token.column + 1,
                 token.start_pos, token.start_pos + 1),
            f"blocks nest more than {MAX_NESTING} deep here",
            label=f"level {MAX_NESTING + 1}",
            help=f"blocks nest at most {MAX_NESTING} deep (a menu in a branch of another "
                 "menu takes two levels); hand deep branches over to another call flow "
                 "with `handoff`"))
    return token


def _pop_brace(token):
    braces = _context.get().open_braces
    if braces:
        braces.pop()
    else:
        # A '}' with nothing to close. Left as RBRACE, the LALR parser could
        # first reduce on it (LALR merges the lookaheads of the top level and
        # of blocks) and leave its stack in a state recovery cannot use; a
        # type no parser state accepts fails at once, before any reduction.
        token.type = "STRAY_RBRACE"
    return token


def _collect_comment(token):
    _context.get().comments.append(Comment(_span(token), str(token)))
    return token


GENERATED = os.path.join(os.path.dirname(__file__), "_standalone_parser.py")


def grammar_digest(text: str) -> str:
    """Identifies a version of the grammar. A checksum is enough to tell an
    edited grammar from the one the parser was generated from, and zlib
    is already loaded where hashlib would cost a module import."""
    data = text.encode("utf-8")
    return f"{len(data)}-{zlib.crc32(data):08x}-{zlib.adler32(data):08x}"


@cache
def _backend():
    """The Lark runtime: the standalone parser generated from the grammar
    (no `lark` import, no grammar compilation at start-up) when it matches
    the grammar file, else Lark itself, building the parser from the grammar
    (while the grammar is being edited). `python -m dialplan_compiler.parser`
    regenerates the standalone parser."""
    from . import _standalone_parser as standalone

    if standalone.GRAMMAR_DIGEST == grammar_digest(_grammar_text()):
        return standalone
    import lark
    import lark.exceptions
    import lark.lexer
    import lark.utils

    lark.UnexpectedCharacters = lark.exceptions.UnexpectedCharacters
    lark.UnexpectedToken = lark.exceptions.UnexpectedToken
    # The names the generated module has at its top level, for fastparse.
    lark.ContextualLexer, lark.LexerState = lark.lexer.ContextualLexer, lark.lexer.LexerState
    lark.TextSlice = lark.utils.TextSlice
    return lark


def _grammar_text() -> str:
    with open(grammar_path(), encoding="utf-8") as handle:
        return handle.read()


@cache
def _lark():
    backend = _backend()

    class _Builder(backend.Transformer):
        start = staticmethod(_build_start)
        block = staticmethod(_build_block)
        statement = staticmethod(_build_statement)
        again = staticmethod(_build_statement)  # `again` is a statement like any other
        back = staticmethod(_build_statement)
        end = staticmethod(_build_statement)

    callbacks = {"LBRACE": _push_brace, "RBRACE": _pop_brace, "COMMENT": _collect_comment}
    plugins = {"ContextualLexer": contextual_lexer(backend)}
    if hasattr(backend, "Lark_StandAlone"):
        return backend.Lark_StandAlone(transformer=_Builder(), lexer_callbacks=callbacks,
                                       _plugins=plugins)
    return backend.Lark(_grammar_text(), parser="lalr", transformer=_Builder(),
                        maybe_placeholders=False, lexer_callbacks=callbacks, _plugins=plugins)


def _parse_clean(text: str):
    """The statements of `text`, by the fast loop for input without syntax
    errors; raises NotClean when `text` has one."""
    clean = _clean_parser(_lark())
    if clean is None:
        raise NotClean
    return clean(text)


@cache
def _clean_parser(lark_parser):
    return clean_parser(lark_parser, _backend())


def generate_standalone() -> str:
    """The source of `_standalone_parser.py` for the current grammar."""
    import io

    from lark import Lark
    from lark.tools.standalone import gen_standalone

    text = _grammar_text()
    out = io.StringIO()
    gen_standalone(Lark(text, parser="lalr", maybe_placeholders=False), out=out)
    return ("# Generated by `python -m dialplan_compiler.parser` from grammar/dialplan.lark:\n"
            "# do not edit. A test fails when it no longer matches the grammar.\n"
            f"GRAMMAR_DIGEST = {grammar_digest(text)!r}\n" + _trimmed(out.getvalue()))


#: What the generated module imports and never uses when it parses: every
#: `dialplan check` paid for logging, pickle, base64, inspect (with ast, dis
#: and tokenize) and dataclasses before parsing a line. Lark's logger is
#: silenced in the module anyway; pickle serves Lark's grammar cache and
#: inspect its `v_args` decorator, neither of which the parser uses.
_TRIMS = (
    ('import logging\n', ''),
    ('logger: logging.Logger = logging.getLogger("lark")\n'
     'logger.addHandler(logging.StreamHandler())\n',
     'class _SilentLogger:\n'
     '    def _nothing(self, *args, **kwargs):\n'
     '        pass\n'
     '    debug = info = warning = error = exception = critical = setLevel = _nothing\n'
     '\n'
     '\n'
     'logger = _SilentLogger()\n'),
    ('logger.setLevel(logging.CRITICAL)\n', ''),
    ('from dataclasses import dataclass\n', 'from .records import record as _record\n'),
    ('@dataclass(frozen=True)\nclass TextSlice(', '@_record\nclass TextSlice('),
    ('from inspect import getmembers, getmro\n',
     'def getmro(cls):\n'
     '    return cls.__mro__\n'
     '\n'
     '\n'
     'def getmembers(cls):\n'
     '    return sorted((name, getattr(cls, name)) for name in dir(cls))\n'),
    ('import pickle, zlib, base64\n', ''),
)


def _trimmed(source: str) -> str:
    for old, new in _TRIMS:
        assert source.count(old) == 1, f"the generated parser no longer has {old!r}"
        source = source.replace(old, new)
    return source


def parse(text: str, file: str = "<string>") -> ParseResult:
    """Parse `.call` source text. Never raises on bad input.

    Lines end at "\\r\\n", "\\n" or a lone "\\r". The lexer counts lines at
    "\\n", so a lone "\\r" is read as "\\n": one character for another, so
    that every offset and column stays the same as in `text`."""
    LarkError = _backend().LarkError
    if "\r" in text:
        text = _LONE_CR.sub("\n", text)
    ctx = _Context(file, text)
    token = _context.set(ctx)
    try:
        try:
            statements = _parse_clean(text)
        except NotClean:
            # Lark's own loop reports the syntax errors and recovers; it
            # starts again from a clean state.
            _context.reset(token)
            ctx = _Context(file, text)
            token = _context.set(ctx)
        else:
            return _parse_result(file, text, statements, ctx)
        try:
            statements = _lark().parse(text, on_error=_on_error)
        except LarkError as error:
            if not ctx.diagnostics:  # a failure recovery had no answer for
                line, column = getattr(error, "line", 1), getattr(error, "column", 1)
                ctx.diagnostics.append(rules.UNEXPECTED_TOKEN(
                    Span.point(file, max(line, 1), max(column, 1)),
                    "the parser could not make sense of this"))
            statements = None
    finally:
        _context.reset(token)
    return _parse_result(file, text, statements, ctx)


def _parse_result(file: str, text: str, statements, ctx: _Context) -> ParseResult:
    module = None
    if statements is not None:
        line = text.count("\n") + 1
        end = Span(file, line, len(text) - text.rfind("\n"), line,
                   len(text) - text.rfind("\n"), len(text), len(text))
        module = Module(Span(file, 1, 1, end.line, end.column, 0, len(text)), statements,
                        tuple(ctx.comments))
    return ParseResult(module, ctx.diagnostics, frozenset(ctx.error_lines))


if __name__ == "__main__":
    with open(GENERATED, "w", encoding="utf-8") as handle:
        handle.write(generate_standalone())
    print(f"wrote {GENERATED}")
