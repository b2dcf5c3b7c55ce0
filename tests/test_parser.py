"""The syntax family (DP0xx), the shape of the syntax tree, and recovery.

Every test pins the code and the 1-based line and column of what is
reported; most pin the complete list of diagnostics, so that an extra
(cascade) error fails the test as surely as a missing one.
"""

from __future__ import annotations

import pytest

from dialplan_compiler import check_source, compile_source
from dialplan_compiler.nodes import Duration, Integer, Phone, Placeholder, String, Word
from dialplan_compiler.parser import MAX_NESTING, MAX_SYNTAX_ERRORS, parse

VALID = 'say "Hi" in en-GB\n'


def found(result) -> list[tuple[str, int, int]]:
    """(code, line, column) of every diagnostic, in the order reported."""
    return [(d.code, d.span.line, d.span.column) for d in result.diagnostics]


def check(source) -> list[tuple[str, int, int]]:
    return found(check_source(source, "test.call"))


def the(result, code: str):
    """The one diagnostic with `code`."""
    matches = [d for d in result.diagnostics if d.code == code]
    assert len(matches) == 1, found(result)
    return matches[0]


def span_of(node) -> tuple[int, int, int, int]:
    s = node.span
    return (s.line, s.column, s.end_line, s.end_column)


# --- DP0xx: one table, the whole diagnostic list each time ---------------------------

SYNTAX_ERRORS = {
    # DP002 unterminated string: at the opening quote.
    "unterminated string": ('say "Hello in en-GB\n', [("DP002", 1, 5)]),
    "unterminated string after arguments": ('say "Hi" in en-GB "oops\n', [("DP002", 1, 19)]),
    "unterminated string on line 2": (VALID + 'say "Hi" in en-GB "x\n', [("DP002", 2, 19)]),
    "backslash escapes the closing quote": ('say "a\\" in en-GB\n', [("DP002", 1, 5)]),
    # DP003 stray character: a control character or a lone backslash.
    "control character": ('say "Hi" in en-GB \x01\n', [("DP003", 1, 19)]),
    "control character glued to a word": ('say "Hi" in en-GB\x01\n', [("DP003", 1, 18)]),
    "backslash mid-line": ('say \\ "Hi" in en-GB\n', [("DP003", 1, 5)]),
    "NUL in a str source": ('say "Hi" in en-GB\x00\n', [("DP003", 1, 18)]),
    "stray character on line 2": (VALID + "say \x01\n", [("DP003", 2, 5)]),
    # DP004 unmatched '}'.
    "closing brace alone": (VALID + "}\n", [("DP004", 2, 1)]),
    "closing brace at the start": ("}\n" + VALID, [("DP004", 1, 1)]),
    # DP005 unclosed block: at the (outermost) '{'.
    "unclosed block": ('say "Hi" in en-GB {\n', [("DP005", 1, 19)]),
    "two unclosed blocks": ('say "Hi" in en-GB {\n  say {\n', [("DP005", 1, 19)]),
    # DP006 a line that starts with a string.
    "line starts with a string": (VALID + '"Hello" in en-GB\n', [("DP006", 2, 1)]),
    "indented line starts with a string": (VALID + '   "Hello"\n', [("DP006", 2, 4)]),
    "string after a semicolon": (VALID.strip() + '; "Hello"\n', [("DP006", 1, 20)]),
    # DP007 bad escape: at the backslash.
    "bad escape": ('say "a\\qb" in en-GB\n', [("DP007", 1, 7)]),
    # DP008 bad placeholder.
    "brace that opens nothing": ('say "a {b c" in en-GB\n', [("DP008", 1, 8)]),
    "placeholder that starts with a digit": ('say "a {1x} c" in en-GB\n',
                                             [("DP008", 1, 8), ("DP008", 1, 11)]),
    "lone closing brace in a string": ('say "a } c" in en-GB\n', [("DP008", 1, 8)]),
    "empty placeholder": ('say "{}" in en-GB\n', [("DP008", 1, 6), ("DP008", 1, 7)]),
}


@pytest.mark.parametrize("source, expected", SYNTAX_ERRORS.values(), ids=SYNTAX_ERRORS.keys())
def test_syntax_error(source, expected):
    assert check(source) == expected


def test_unterminated_string_spans_the_rest_of_the_line():
    result = check_source('say "Hello in en-GB\r\n' + VALID)
    span = the(result, "DP002").span
    assert (span.line, span.column, span.end_line, span.end_column) == (1, 5, 1, 20)


def test_stray_character_names_the_code_point():
    d = the(check_source("say \x07\n"), "DP003")
    assert (d.span.line, d.span.column) == (1, 5)
    assert "U+0007" in d.message


def test_unclosed_blocks_are_counted_in_the_help():
    d = the(check_source('say "Hi" in en-GB {\n  say {\n'), "DP005")
    assert (d.span.line, d.span.column) == (1, 19)
    assert "2 blocks" in d.help


def test_bad_escape_span_covers_backslash_and_letter():
    d = the(check_source('say "a\\qb" in en-GB\n'), "DP007")
    assert (d.span.line, d.span.column, d.span.end_column) == (1, 7, 9)
    assert "\\q" in d.message


@pytest.mark.parametrize("text", ['"{{literal}}"', '"a }} b"', '"{name}"', '"{_x1}"',
                                  '"tab\\tquote\\"slash\\\\nl\\n"'])
def test_valid_strings_have_no_syntax_error(text):
    assert check(f"say {text} in en-GB\n") == []


# --- DP009 too many errors ------------------------------------------------------------

def test_too_many_errors_stops_after_the_limit():
    result = check_source("\x01\n" * (MAX_SYNTAX_ERRORS + 10))
    expected = [("DP003", n, 1) for n in range(1, MAX_SYNTAX_ERRORS + 1)]
    assert found(result) == expected + [("DP009", MAX_SYNTAX_ERRORS + 1, 1)]
    assert result.payload is None


def test_exactly_the_limit_is_not_too_many():
    assert check(VALID + "\x01\n" * MAX_SYNTAX_ERRORS) == \
        [("DP003", n, 1) for n in range(2, MAX_SYNTAX_ERRORS + 2)]


def test_one_error_per_line_counts_towards_the_limit():
    # Two stray characters on each line: only the first one per line is
    # reported, so 30 lines stay under the limit of 50.
    assert check(VALID + "\x01 \x01\n" * 30) == [("DP003", n, 1) for n in range(2, 32)]


# --- DP001 unreadable bytes -------------------------------------------------------------

UNREADABLE = {
    "invalid UTF-8": (b'say "\xff" in en-GB\n', 1, 6),
    "invalid UTF-8 after a multi-byte character": (b'say "\xc3\xa9\xff" in en-GB\n', 1, 7),
    "invalid UTF-8 on line 2": (b'say "\xe6\x97\xa5" in en-GB\n\xff', 2, 1),
    "NUL byte": (b'say "Hi" in en-GB\nsay "\x00"\n', 2, 6),
    "NUL byte after CRLF": (b'say "Hi" in en-GB\r\n\x00', 2, 1),
}


@pytest.mark.parametrize("data, line, column", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_unreadable_bytes(data, line, column):
    result = check_source(data, "test.call")
    assert found(result) == [("DP001", line, column)]
    assert result.payload is None


def test_unreadable_bytes_in_compile_too():
    assert found(compile_source(b"say \xfe\n", "test.call")) == [("DP001", 1, 5)]


def test_nul_message_mentions_binary():
    d = the(check_source(b"\x00"), "DP001")
    assert (d.span.line, d.span.column) == (1, 1)
    assert "NUL" in d.message


def test_utf8_bytes_with_bom_are_read():
    result = check_source(b"\xef\xbb\xbf" + VALID.encode())
    assert found(result) == []
    assert result.payload == {"verbs": [{"type": "SAY",
                                         "message": {"text": "Hi", "language": "en-GB"}}]}


def test_unreadable_byte_offset_counts_the_bom():
    # BUG: the BOM is stripped before the offset is taken, so the message
    # says "byte 4" for what is byte 7 of the file. The column is right: a
    # BOM takes no column.
    d = the(check_source(b"\xef\xbb\xbfsay \xff\n"), "DP001")
    assert (d.span.line, d.span.column) == (1, 5)
    assert "(byte 7)" in d.message


def test_bom_does_not_shift_columns():
    assert check(b"\xef\xbb\xbfsay \"Hi\" in en-gb\n") == [("DP204", 1, 13)]


# --- the syntax tree ----------------------------------------------------------------------

SOURCE = (
    "# head\n"
    'say "Hi {name}" in en-GB repeat 2 # tail\n'
    "pause 1m30s; dial +30 210-123 \\\n"
    "  ring 20s\n"
    "x { y 1 }\n"
)


@pytest.fixture(scope="module")
def module():
    result = parse(SOURCE, "f.call")
    assert result.diagnostics == []
    assert result.error_lines == frozenset()
    return result.module


def test_statements_and_their_names(module):
    assert [s.name.text for s in module.statements] == ["say", "pause", "dial", "x"]
    assert [span_of(s.name) for s in module.statements] == [
        (2, 1, 2, 4), (3, 1, 3, 6), (3, 14, 3, 18), (5, 1, 5, 2)]


def test_argument_kinds_and_spans(module):
    say = module.statements[0]
    assert [type(a) for a in say.args] == [String, Word, Word, Word, Integer]
    assert [span_of(a) for a in say.args] == [
        (2, 5, 2, 16), (2, 17, 2, 19), (2, 20, 2, 25), (2, 26, 2, 32), (2, 33, 2, 34)]
    assert say.args[4].value == 2
    assert span_of(say) == (2, 1, 2, 34)


def test_string_parts_and_placeholder_span(module):
    text = module.statements[0].args[0]
    assert text.raw == '"Hi {name}"'
    assert text.parts[0] == "Hi "
    placeholder = text.parts[1]
    assert isinstance(placeholder, Placeholder) and placeholder.name == "name"
    assert span_of(placeholder) == (2, 9, 2, 15)  # covers the braces
    assert text.text == "Hi {name}" and text.is_template


def test_semicolon_separates_statements(module):
    pause, dial = module.statements[1], module.statements[2]
    assert isinstance(pause.args[0], Duration) and pause.args[0].milliseconds == 90_000
    assert span_of(pause) == (3, 1, 3, 12)
    assert dial.span.line == 3 and dial.span.column == 14


def test_line_continuation_joins_lines(module):
    dial = module.statements[2]
    assert [type(a) for a in dial.args] == [Phone, Word, Word, Duration]
    assert [span_of(a) for a in dial.args] == [
        (3, 19, 3, 22), (3, 23, 3, 30), (4, 3, 4, 7), (4, 8, 4, 11)]
    assert span_of(dial) == (3, 14, 4, 11)


def test_comments_are_collected(module):
    assert [(c.text, span_of(c)) for c in module.comments] == [
        ("# head", (1, 1, 1, 7)), ("# tail", (2, 35, 2, 41))]


def test_blocks_are_parsed(module):
    x = module.statements[3]
    assert x.args == ()
    assert span_of(x.block) == (5, 3, 5, 10)
    assert (x.block.open.column, x.block.close.column) == (3, 9)
    [inner] = x.block.statements
    assert inner.name.text == "y" and isinstance(inner.args[0], Integer)
    assert span_of(inner) == (5, 5, 5, 8)


def test_module_span_covers_the_file(module):
    assert span_of(module) == (1, 1, 6, 1)
    assert (module.span.start, module.span.end) == (0, len(SOURCE))


ATOMS = {
    "4": (Integer, 4), "0": (Integer, 0), "-1": (Integer, -1),
    "45s": (Duration, 45_000), "2m": (Duration, 120_000), "1h": (Duration, 3_600_000),
    "1m30s": (Duration, 90_000), "1h30m": (Duration, 5_400_000), "500ms": (Duration, 500),
    "1s500ms": (Duration, 1_500),
    "+302101234567": (Phone, "+302101234567"), "+30-210-(123).4567": (Phone, "+30-210-(123).4567"),
    "en-GB": (Word, "en-GB"), "4.5": (Word, "4.5"), "3x": (Word, "3x"), "+": (Word, "+"),
    "@": (Word, "@"), "forever": (Word, "forever"), "1ms30s": (Word, "1ms30s"),
}


@pytest.mark.parametrize("atom, kind, value", [(a, k, v) for a, (k, v) in ATOMS.items()],
                         ids=list(ATOMS))
def test_atom_classification(atom, kind, value):
    result = parse(f"x {atom}\n")
    assert result.diagnostics == []
    [arg] = result.module.statements[0].args
    assert type(arg) is kind
    assert span_of(arg) == (1, 3, 1, 3 + len(atom))
    got = {Integer: lambda a: a.value, Duration: lambda a: a.milliseconds}.get(
        kind, lambda a: a.text)(arg)
    assert got == value


def test_string_escapes_are_decoded():
    result = parse('x "a\\"b\\\\c\\nd\\te{{f}}"\n')
    assert result.diagnostics == []
    [arg] = result.module.statements[0].args
    assert arg.parts == ('a"b\\c\nd\te{f}',)
    assert not arg.is_template


def test_columns_count_code_points():
    # Wide characters and an astral emoji each count as one column.
    assert check('say "日本語😀" in en-gb\n') == [("DP204", 1, 15)]


def test_a_tab_is_one_column():
    assert check('\tsay "Hi" in en-gb\n') == [("DP204", 1, 14)]


def test_crlf_line_endings():
    assert check('say "Hi" in en-GB\r\nsay "x" in en-gb\r\n') == [("DP204", 2, 12)]


def test_continued_statement_reports_on_the_continued_line():
    assert check('say "Hi" \\\n   in en-gb\n') == [("DP204", 2, 7)]


def test_comment_only_lines_and_blank_lines_are_ignored():
    result = parse("# a\n\n   # b\n;;\n" + VALID)
    assert result.diagnostics == []
    assert [s.name.text for s in result.module.statements] == ["say"]
    assert [c.span.line for c in result.module.comments] == [1, 3]


def test_last_statement_needs_no_newline():
    result = parse('say "Hi" in en-GB')
    assert result.diagnostics == []
    assert span_of(result.module.statements[0]) == (1, 1, 1, 18)


def test_parse_never_raises_and_gives_up_on_hopeless_input():
    result = parse("\x01\n" * 60)
    assert result.module is None
    last = result.diagnostics[-1]
    assert (last.code, last.span.line, last.span.column) == ("DP009", MAX_SYNTAX_ERRORS + 1, 1)


def depth(module) -> int:
    """How deep the blocks of `module` nest (without recursion)."""
    deepest, stack = 0, [(s, 1) for s in module.statements]
    while stack:
        statement, level = stack.pop()
        if statement.block is not None:
            deepest = max(deepest, level)
            stack.extend((s, level + 1) for s in statement.block.statements)
    return deepest


def test_deep_nesting_does_not_overflow():
    result = parse("x {" * 5000 + "}" * 5000)
    assert [(d.code, d.span.line, d.span.column) for d in result.diagnostics] == \
        [("DP012", 1, 3 * MAX_NESTING + 3)]
    assert len(result.module.statements) == 1
    assert depth(result.module) == MAX_NESTING + 1  # the block too deep is kept, empty


def test_nesting_up_to_the_limit_is_accepted():
    result = parse("x {\n" * MAX_NESTING + "}\n" * MAX_NESTING)
    assert result.diagnostics == []
    assert depth(result.module) == MAX_NESTING


def test_each_chain_too_deep_is_reported_once():
    chain = "x {\n" * (MAX_NESTING + 5) + "}\n" * (MAX_NESTING + 5)
    result = parse(chain + "y\n" + chain)
    assert [(d.code, d.span.line) for d in result.diagnostics] == \
        [("DP012", MAX_NESTING + 1), ("DP012", 2 * (MAX_NESTING + 5) + 1 + MAX_NESTING + 1)]
    assert [s.name.text for s in result.module.statements] == ["x", "y", "x"]


def test_deep_unclosed_nesting_reports_once():
    result = check_source("x {" * 5000)
    assert found(result) == [("DP005", 1, 3), ("DP012", 1, 3 * MAX_NESTING + 3)]
    assert "5000 blocks" in result.diagnostics[0].help


def test_error_lines_mark_the_broken_line():
    result = parse(VALID + 'say "oops\n' + VALID)
    assert result.error_lines == frozenset({2})
    assert [(d.code, d.span.line, d.span.column) for d in result.diagnostics] == [("DP002", 2, 5)]


# --- recovery -----------------------------------------------------------------------------
# A syntax error on one line does not hide a semantic error on another, and
# adds nothing on its own line (the statement there is incomplete).

RECOVERY = {
    "unterminated string": ('say "Hello in en-gb\nsay "Hi" in en-gb\n',
                            [("DP002", 1, 5), ("DP204", 2, 13)]),
    "stray character": ('say "Hi" \x01 in en-gb\nsay "x" in en-gb\n',
                        [("DP003", 1, 10), ("DP204", 2, 12)]),
    "line starting with a string": ('"Hi" in en-gb\nsay "x" in en-gb\n',
                                    [("DP006", 1, 1), ("DP204", 2, 12)]),
    "closing brace at the start": ('}\nsay "x" in en-gb\n', [("DP004", 1, 1), ("DP204", 2, 12)]),
    "unclosed block at the end": ('say "x" in en-gb\nsay "Hi" in en-GB {\n',
                                  [("DP204", 1, 12), ("DP005", 2, 19)]),
    "error on a continued line": ('say "Hi" in en-gb \\\n \x01 in fr-FR\nsay "x" in en-gb\n',
                                  [("DP003", 2, 2), ("DP204", 3, 12)]),
    "many broken lines": ('say "a\n\x01\npause 0s\n"b"\npause 1s 2s\n',
                          [("DP002", 1, 5), ("DP003", 2, 1), ("DP209", 3, 7),
                           ("DP006", 4, 1), ("DP109", 5, 10)]),
    # String-level errors (bad escape, bad placeholder) leave the statement
    # whole, so its other problems are still reported.
    "bad escape": ('say "a\\q" in en-gb\nsay "x" in en-gb\n',
                   [("DP007", 1, 7), ("DP204", 1, 14), ("DP204", 2, 12)]),
    # A '}' after a statement once made the LALR parser reduce the whole
    # file so far: every later line was reported as DP006 and its statements
    # were lost (fixed in a94a69d).
    "closing brace after a statement": ('say "Hi" in en-GB\n}\nsay "x" in en-gb\n',
                                        [("DP004", 2, 1), ("DP204", 3, 12)]),
    "closing brace at the end of a statement": ("pause 1s }\npause 0s\n",
                                                [("DP004", 1, 10), ("DP209", 2, 7)]),
    # The whole line of a syntax error is left alone, the statement after
    # the '}' included; the next line is checked.
    "closing brace between statements": ('say "Hi" in en-GB; }; say "x" in en-gb\npause 0s\n',
                                         [("DP004", 1, 20), ("DP209", 2, 7)]),
}


@pytest.mark.parametrize("source, expected", RECOVERY.values(), ids=RECOVERY.keys())
def test_recovery(source, expected):
    assert check(source) == expected


# When every line is broken, "the script has nothing to do" (DP203) is a
# consequence of the syntax error, not a finding of its own.
NO_CASCADE = {
    "unterminated string": ('say "Hello in en-GB\n', [("DP002", 1, 5)]),
    "stray character after a statement": ('say "Hi" in en-GB \x01\n', [("DP003", 1, 19)]),
    "string and words": ('"Hello" in en-GB\n', [("DP006", 1, 1)]),
    "unclosed block": ('say "Hi" in en-GB {\n', [("DP005", 1, 19)]),
    # BUG: with no statement left at all, DP203 is reported on the broken line.
    "only a string": ('"Hello"\n', [("DP006", 1, 1)]),
    "only a stray character": ("\x01\n", [("DP003", 1, 1)]),
    "only a closing brace": ("}\n", [("DP004", 1, 1)]),
}


@pytest.mark.parametrize("source, expected", NO_CASCADE.values(), ids=NO_CASCADE.keys())
def test_no_cascade_on_the_broken_line(source, expected):
    assert check(source) == expected
