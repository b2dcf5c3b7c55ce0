"""The fast contextual lexer and LALR loop (`dialplan_compiler/fastparse.py`)
parse exactly as Lark's own lexer and loop do: the same syntax tree, the
same diagnostics at the same positions, the same recovery after errors, on
examples, on hand-picked traps and on random token soup."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialplan_compiler import _standalone_parser, fastparse, parser

from helpers import ROOT

#: Where a per-state lexer and the root lexer could part ways: keywords as
#: statements, as arguments and as prefixes, after blocks, at the end of
#: the file; errors of every kind, and line endings of every kind.
TRAPS = [
    "", "again", "again again", "x { } again", "x {\n}\nagain\n", "x { y } againx",
    "x { y }again", "x {} back end", "menu {\n  1 { say \"a\" back }\n  again\n}",
    "x {\n}\nendless\n", "x { }\nbackup 1", "again x back y end z", "end", "back",
    "x }", "}", "}}} again", "{", "x {\n", "say \"unterminated\nsay x",
    "say \"a\\\"b\" \\\n  in en-GB", "say x \\   \r\n  y", "a\rb\r\nc\n", "a;;;b",
    "# comment\nsay x # trailing\n#", "say \x01 x", "say \x7f", "x \"{y}\" \"{{\" \"}\"",
    "x {" * 55, "x { again { back } }", "say x; again; back; end", "\t\f\vsay x",
]

#: Fragments random programs are built from.
FRAGMENTS = st.sampled_from([
    "say", "x", "again", "back", "end", "againx", "endless", "backup", "en-GB", "+3069",
    "1s", "-5", '"text"', '"{name}"', '"a\\"b"', '"bad\\q"', '"open', "{", "}", ";",
    "\n", "\r\n", "\r", "\\\n", "\\ \r\n", "# note", " ", "  ", "\t", "\x01", "é", "中",
])


def _stock_parser():
    """The parser as Lark builds it, with its own contextual lexer."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parser, "contextual_lexer", lambda runtime: runtime.ContextualLexer)
        parser._lark.cache_clear()
        built = parser._lark()
    parser._lark.cache_clear()
    return built


def _parse_with(built, text: str):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parser, "_lark", lambda: built)
        result = parser.parse(text, "in.call")
    return (result.module, [(d.code, d.span, d.message) for d in result.diagnostics],
            result.error_lines)


@pytest.fixture(scope="module")
def parsers():
    parser._backend.cache_clear()
    parser._lark.cache_clear()
    return {"stock": _stock_parser(), "fast": parser._lark()}


def test_the_parser_lexes_on_the_fast_path(parsers):
    assert parser._lark().parser.lexer.fast_path
    # and reduces with list callbacks, not Lark's Tree-building ones
    assert fastparse._list_callbacks(parser._lark().parser.parser.parser.callbacks)
    assert not parsers["stock"].parser.lexer.__class__.__name__ == "FastContextualLexer"


@pytest.mark.parametrize("text", TRAPS + [p.read_text(encoding="utf-8")
                                          for p in sorted((ROOT / "examples").glob("*.call"))])
def test_same_result_as_lark_lexer(parsers, text):
    assert _parse_with(parsers["fast"], text) == _parse_with(parsers["stock"], text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FRAGMENTS, max_size=40).map("".join))
def test_random_token_soup_parses_alike(parsers, text):
    assert _parse_with(parsers["fast"], text) == _parse_with(parsers["stock"], text)


def test_with_lark_building_the_parser(monkeypatch):
    """The runtime Lark backend (while the grammar is edited) gets the fast
    lexer too, and parses the traps as its own lexer does."""
    import lark

    monkeypatch.setattr(_standalone_parser, "GRAMMAR_DIGEST", "stale")
    parser._backend.cache_clear()
    parser._lark.cache_clear()
    try:
        assert parser._backend() is lark
        fast = parser._lark()
        assert fast.parser.lexer.fast_path
        assert parser._clean_parser(fast) is not None
        stock = _stock_parser()
        for text in TRAPS:
            assert _parse_with(fast, text) == _parse_with(stock, text), text
    finally:
        parser._backend.cache_clear()
        parser._lark.cache_clear()


def test_a_callback_on_a_keyword_keeps_larks_lexer():
    """Whether Lark calls a callback on AGAIN for an ATOM it retypes as
    AGAIN depends on the parser state; rather than copy that, the fast
    lexer steps aside and Lark lexes."""
    import lark
    import lark.lexer

    fast_lexer = fastparse.contextual_lexer(SimpleNamespace(
        ContextualLexer=lark.lexer.ContextualLexer, Token=lark.Token,
        UnexpectedCharacters=lark.exceptions.UnexpectedCharacters,
        UnexpectedToken=lark.exceptions.UnexpectedToken))
    grammar = Path(parser.grammar_path()).read_text(encoding="utf-8")
    text = "again\nx { y again }\n"
    results = []
    for plugins in ({"ContextualLexer": fast_lexer}, {}):
        seen = []
        built = lark.Lark(grammar, parser="lalr", maybe_placeholders=False,
                          lexer_callbacks={"AGAIN": lambda token: seen.append(token) or token},
                          _plugins=plugins)
        results.append((built.parse(text), seen))
    assert not lark.Lark(grammar, parser="lalr", lexer_callbacks={"AGAIN": print},
                         _plugins={"ContextualLexer": fast_lexer}).parser.lexer.fast_path
    assert results[0] == results[1]


def test_states_without_atom_hand_keywords_to_lark():
    """After a block's '}' the parser takes `again`, `back` and `end` but no
    plain word, so its own lexer would read `again` out of `againx`: in
    such states a token that starts with a keyword is lexed by Lark."""
    lexer_ = parser._lark().parser.lexer
    states = parser._lark().parser.parser.parser.parse_table.states
    for state, (accepted, stranded) in lexer_._fast_states.items():
        takes = set(states[state])
        expected = ("again", "back", "end") if "AGAIN" in takes and "ATOM" not in takes else ()
        assert stranded == expected, state
        terminals = {name for name in takes if name.isupper()} - {"$END"}
        assert accepted == terminals | {"WHITESPACE", "COMMENT", "CONTINUATION"}


def test_clean_input_never_reaches_larks_loop(monkeypatch):
    """Input without syntax errors is parsed by the fast loop alone; the
    first syntax error hands the file to Lark's loop, which reports it."""
    calls = []
    lark_parser = parser._lark()
    monkeypatch.setattr(lark_parser, "parse",
                        lambda *args, **kwargs: calls.append(args) or ())
    clean = 'menu {\n  1 { say "a" back }\n  again # ask again\n}\nsay x; end\n'
    assert parser.parse(clean).module.statements
    assert calls == []
    parser.parse("say x }\n")
    assert calls == [("say x }\n",)]
