"""A Pygments lexer for `.call` files: `pygmentize -l dialplan`, and ```dialplan
code blocks in Sphinx and MkDocs.

Registered as the `pygments.lexers` entry point `dialplan` (pyproject.toml),
so installing dialplan is all it takes. The statement, option and value
names come from the table in `statements.py` and from `routee.py`; the
shapes of strings, durations and phone numbers follow
`grammar/dialplan.lark` and the parser.
Only what the grammar cannot read is an Error token (a stray character, a
bad escape, a lone brace in a string); a misspelt statement is a plain name,
as it is for the parser, and is left to the checker.
"""

from __future__ import annotations

import re

from pygments.lexer import RegexLexer, bygroups, default, words
from pygments.token import (Comment, Error, Keyword, Name, Number, Punctuation, String, Text,
                            Whitespace)

from .. import routee
from ..statements import (BLOCK_ENDS, DIRECTIVES, MENU_STATEMENTS, SETTINGS, STATEMENTS,
                          VALUES, VERBS)

# An atom ends where the grammar ends it (see ATOM in grammar/dialplan.lark).
_END = r'(?=[\s";{}#\\]|$)'
_ATOM = r'[^\s"{};#\\\x00-\x1f\x7f]+'


def _names() -> tuple[set[str], set[str]]:
    """Option names (and the keywords that read like them: `on`, `to`,
    `url`, `within`), and the enumerated values (`female`, `forever`,
    `mp3`, `star`, …)."""
    names: set[str] = set()
    keywords: set[str] = set()
    values: set[str] = {"phone"}
    for kind in ("gender", "repeat", "target", "choice"):
        values.update(VALUES[kind])

    def slots(takes) -> None:
        for slot in takes:
            if slot.kind == "keyword":
                (values if len(slot.words) > 1 else keywords).update(slot.words)
            slots(slot.then)

    for statement in STATEMENTS.values():
        slots(statement.takes)
        for option in statement.options:
            names.add(option.name)
            slots(option.takes)
    values -= names
    return (names | keywords) - values, values


OPTION_WORDS, VALUE_WORDS = _names()
_SETTINGS = list(SETTINGS)
_VERBS = list(VERBS + DIRECTIVES)
_MENUS = list(MENU_STATEMENTS)


class DialplanLexer(RegexLexer):
    """Call scripts for Routee's Voice API, compiled by dialplan."""

    name = "dialplan"
    aliases = ["dialplan", "call"]
    filenames = ["*.call"]
    mimetypes = ["text/x-dialplan"]
    url = "https://docs.routee.net/"
    flags = re.MULTILINE

    tokens = {
        # Where a statement may start.
        "root": [
            (r"[ \t\f\v\r]+|\n", Whitespace),
            (r"#\s*dialplan:\s*ignore.*?$", Comment.Special),
            (r"#.*?$", Comment.Single),
            (r"[;{}]", Punctuation),
            (r"\\[ \t]*\r?\n", Text),
            (words(_SETTINGS, suffix=_END), Keyword.Declaration, "arguments"),
            (words(_VERBS, suffix=_END), Keyword, "arguments"),
            (words(_MENUS, suffix=_END), Keyword.Reserved, "arguments"),
            (_ATOM, Name.Function, "arguments"),  # an unknown statement: the checker says so
            default("arguments"),
        ],
        # The rest of a statement, up to the end of its line (a backslash
        # at the end of a line continues it), a ';' or a brace.
        "arguments": [
            (r"[ \t\f\v\r]+", Whitespace),
            (r"\\[ \t]*\r?\n", Text),
            (r"\n", Whitespace, "#pop"),
            (r"[;{}]", Punctuation, "#pop"),
            # `again`, `back` and `end` are always statements of their own,
            # even after another one.
            (words(BLOCK_ENDS, suffix=_END), Keyword.Reserved, ("#pop", "arguments")),
            (r"#\s*dialplan:\s*ignore.*?$", Comment.Special),
            (r"#.*?$", Comment.Single),
            (r'"(?:[^"\\\r\n]|\\[^\r\n])*(?=\r?\n|\Z)', Error),  # never closed
            (r'"', String.Double, "string"),
            (r"\+[0-9][0-9\-.()]*" + _END, Number),
            (r"-?[0-9]+" + _END, Number.Integer),
            (r"(?=[0-9])(?:[0-9]+h)?(?:[0-9]+m(?!s))?(?:[0-9]+s)?(?:[0-9]+ms)?" + _END,
             Number),
            (words(routee.LANGUAGES, suffix=_END), Name.Constant),
            (words(sorted(OPTION_WORDS), suffix=_END), Keyword.Pseudo),
            (words(sorted(VALUE_WORDS), suffix=_END), Name.Builtin),
            # `on 1, 2, star`: keys before a comma, and the comma.
            (r"[0-9*]+(?=,)", Number.Integer),
            (r"(?:star|hash)(?=,)", Name.Builtin),
            (r",", Punctuation),
            (_ATOM, Name),
            (r"[\x00-\x08\x0e-\x1f\x7f]|\\", Error),
        ],
        "string": [
            (r'\\["\\nt]', String.Escape),
            (r"\\[^\r\n]", Error),
            (r"\{\{|\}\}", String.Escape),
            (r"(\{)([A-Za-z_][A-Za-z0-9_]*)(\})",
             bygroups(String.Interpol, Name.Variable, String.Interpol)),
            (r'"', String.Double, "#pop"),
            (r'[^"\\{}\r\n]+', String.Double),
            (r"[{}]|\\", Error),
            default("#pop"),
        ],
    }
