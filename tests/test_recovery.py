"""A syntax error does not stop the file: every mistake is reported, once, in
source order, syntax and semantic alike."""

from __future__ import annotations

from click.testing import CliRunner

from dialplan_compiler import check_source, cli

FIVE_MISTAKES = """\
from +302101234567
to +306912345678
say "Hello in en-GB
sya "Welcome." in en-GB
pause 2
}
say "Bye." in en-gb
collect to "https://hooks.example.com/keys" max 4 digits
"""

PLANTED = [
    ("DP002", 3, 5),   # unterminated string
    ("DP101", 4, 1),   # unknown statement 'sya'
    ("DP105", 5, 7),   # a duration without a unit
    ("DP004", 6, 1),   # a '}' that closes nothing
    ("DP204", 7, 15),  # 'en-gb'
]


def test_five_planted_mistakes_are_reported_exactly_once_each_in_order():
    result = check_source(FIVE_MISTAKES, "five.call")
    found = [(d.code, d.span.line, d.span.column) for d in result.diagnostics]
    assert found == PLANTED


def test_the_same_through_the_command_line(tmp_path):
    path = tmp_path / "five.call"
    path.write_text(FIVE_MISTAKES)
    result = CliRunner().invoke(cli.main, ["check", "--format", "concise", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert [line.split(": ")[0] for line in lines[:-1]] == [
        f"{path}:{line}:{column}" for _, line, column in PLANTED]
    assert lines[-1] == "5 errors, 0 warnings in 1 file"


def test_stray_brace_inside_and_after_blocks_does_not_derail_later_lines():
    source = 'say "a" in en-GB\n}\nsay "b" in en-GB {\n}\n}\nsya\n'
    found = [(d.code, d.span.line) for d in check_source(source).diagnostics]
    assert found == [("DP004", 2), ("DP110", 3), ("DP004", 5), ("DP101", 6)]


def test_unclosed_block_is_reported_where_it_opened():
    source = 'say "a" in en-GB {\n  say "b" in en-GB\n'
    found = [(d.code, d.span.line, d.span.column, d.label)
             for d in check_source(source).diagnostics]
    assert found == [("DP005", 1, 18, "block opened here")]


def test_one_error_per_broken_line():
    source = 'say "x" in en-GB \x01 \x02 "unterminated\nsya\n'
    found = [(d.code, d.span.line) for d in check_source(source).diagnostics]
    assert found == [("DP003", 1), ("DP101", 2)]
