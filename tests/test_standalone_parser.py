"""The generated standalone parser (`dialplan_compiler/_standalone_parser.py`)
is current, and parses exactly like Lark building the parser from the grammar.
Regenerate it with `python -m dialplan_compiler.parser` after editing
grammar/dialplan.lark."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialplan_compiler import _standalone_parser, parser

from helpers import ROOT
INPUTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.call"))] + [
    "", "\n\n", 'say "x" in en-GB; pause 1s', "a {\n b {\n c\n }\n}", "a { } b",
    'say "unterminated\nsya', "}\nsay x\n}", "a {" * 50, "{{{", 'x "\\q {y" \\\n  z',
    "say \x01 x\n\ty", "# only a comment", "a;;b;\n;c",
]


def test_generated_parser_matches_the_grammar():
    with open(parser.grammar_path(), encoding="utf-8") as handle:
        grammar = handle.read()
    assert _standalone_parser.GRAMMAR_DIGEST == parser.grammar_digest(grammar), \
        "grammar/dialplan.lark changed: run `python -m dialplan_compiler.parser`"


def test_generator_reproduces_the_header():
    generated = parser.generate_standalone()
    with open(parser.GENERATED, encoding="utf-8") as handle:
        committed = handle.read()
    assert generated.splitlines()[:3] == committed.splitlines()[:3]


def _parse_all():
    return [(r.module, [(d.code, d.span, d.message) for d in r.diagnostics], r.error_lines)
            for r in (parser.parse(text, "in.call") for text in INPUTS)]


@pytest.fixture
def lark_backend(monkeypatch):
    """Force the fallback: Lark compiling the grammar at run time."""
    monkeypatch.setattr(_standalone_parser, "GRAMMAR_DIGEST", "stale")
    parser._backend.cache_clear()
    parser._lark.cache_clear()
    yield
    parser._backend.cache_clear()
    parser._lark.cache_clear()


def test_standalone_is_used_when_current():
    parser._backend.cache_clear()
    parser._lark.cache_clear()
    assert parser._backend() is _standalone_parser


def test_standalone_and_runtime_lark_parse_alike(lark_backend):
    import lark

    expected = _parse_all()
    assert parser._backend() is lark
    parser._backend.cache_clear()
    parser._lark.cache_clear()
    _standalone_parser.GRAMMAR_DIGEST = parser.grammar_digest(
        parser._grammar_text())
    assert parser._backend() is _standalone_parser
    assert _parse_all() == expected
