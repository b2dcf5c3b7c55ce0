"""The path lint (DP320–DP324): what a caller meets on the paths of a call.
Each rule's trigger with its line and column is in tests/test_rules.py;
here, where each one stays quiet, and the configurable limit of DP323."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dialplan_compiler import check_source
from dialplan_compiler.cli import main
from dialplan_compiler.config import Config, ConfigError, load_config
from dialplan_compiler.menucheck import MAX_PRESSES_TO_DIAL
from dialplan_compiler.speaking import SPEAKING_RATES

from helpers import EXAMPLES

VIA = 'menu via "https://ivr.example.com/routee"'
ENDS = '  otherwise { say "Sorry." again }\n  timeout { say "Goodbye." }\n}\n'


def menu(body: str, options: str = "", prompt: str = "Press 1.", voice: str = "en-GB") -> str:
    return f'voice {voice}\n{VIA} {options}{" " if options else ""}{{\n  say "{prompt}"\n' \
           + body


def codes(source: str, config: Config | None = None) -> list[str]:
    return [d.code for d in check_source(source, "t.call", config=config).diagnostics]


def nested(depth: int, bottom: str = "dial +302101111111\n") -> str:
    """`depth` menus, each in `on 1` of the one before, `bottom` in the last."""
    opening = f'{VIA} {{\n  say "Press 1."\n  on 1 {{\n'
    closing = "  }\n" + ENDS
    return "from +302101234567\nvoice en-GB\n" + opening * depth + bottom + closing * depth


# --- DP320, DP321, DP322 ---------------------------------------------------------------

def test_a_menu_with_otherwise_and_a_timeout_that_speaks_draws_nothing():
    assert codes(menu('  on 1 { say "One." }\n' + ENDS)) == []


def test_no_timeout_and_no_otherwise_are_two_warnings_at_the_menu():
    found = check_source(menu('  on 1 { say "One." }\n}\n'), "t.call").diagnostics
    assert [(d.code, d.span.line, d.span.column) for d in found] == [
        ("DP320", 2, 1), ("DP321", 2, 1)]
    assert "within 5 s" in found[0].message


def test_a_menu_whose_choices_take_every_key_needs_no_otherwise():
    choices = "".join(f'  on {key} {{ say "{key}." }}\n' for key in "0123456789")
    source = menu(choices + '  on star { say "Star." }\n  on hash { say "Hash." }\n'
                  '  timeout { say "Goodbye." }\n}\n')
    assert codes(source) == []


def test_an_entry_menu_with_any_digits_still_needs_an_otherwise():
    source = menu('  on any 4 digits { say "Thanks." }\n  timeout { say "Bye." }\n}\n')
    assert codes(source) == ["DP321"]


#: Two `again`s (in `on 9` and in `otherwise`): a silent last try is one
#: warning at each.
@pytest.mark.parametrize("timeout, expected", [
    ('  timeout { say "Goodbye." }\n', []),
    ('  timeout { play "https://cdn.example.com/bye.wav" }\n', []),
    ("  timeout { dial +302101111111 from +302101234567 }\n", []),
    ("  timeout { pause 2s }\n", ["DP322", "DP322"]),
    ("  timeout { }\n", ["DP322", "DP322"]),
    ("", ["DP320", "DP322", "DP322"]),
])
def test_an_again_warns_when_the_last_try_says_nothing(timeout, expected):
    source = menu('  on 1 { say "One." }\n  on 9 { again }\n'
                  '  otherwise { say "Sorry." again }\n' + timeout + "}\n")
    assert sorted(codes(source)) == expected


def test_each_again_of_a_silent_menu_is_reported_where_it_is():
    source = menu('  on 1 { say "One." }\n  on 9 { again }\n'
                  '  otherwise { say "Sorry." again }\n  timeout { }\n}\n')
    found = [(d.span.line, d.span.column) for d in
             check_source(source, "t.call").diagnostics if d.code == "DP322"]
    assert found == [(5, 10), (6, 28)]


# --- DP323 --------------------------------------------------------------------------------

def test_the_default_limit_allows_a_dial_three_menus_deep():
    assert MAX_PRESSES_TO_DIAL == 3
    assert codes(nested(3)) == []
    assert codes(nested(4)) == ["DP323"]


def test_a_dial_in_a_timeout_counts_the_presses_that_reached_its_menu():
    bottom = (f'{VIA} {{\n  say "Press 1."\n  on 1 {{ say "One." }}\n'
              '  otherwise { say "Sorry." again }\n'
              "  timeout { dial +302101111111 }\n}\n")
    assert codes(nested(3, bottom)) == []  # three answers, then silence
    assert codes(nested(4, bottom)) == ["DP323"]


def test_a_menu_of_the_machine_plan_is_one_answer_deep():
    source = ('from +302101234567\nmachine continue "https://ivr.example.com/routee"\n'
              'voice en-GB\non machine {\n' + f'{VIA} {{\n  say "Press 1."\n'
              '  on 1 { dial +302101111111 }\n' + ENDS + '}\nsay "Hello."\n')
    # "machine.1": the machine plan is reached with no press at all.
    assert codes(source, Config(max_presses_to_dial=1)) == []


def test_the_limit_comes_from_the_configuration():
    assert codes(nested(4), Config(max_presses_to_dial=4)) == []
    assert codes(nested(2), Config(max_presses_to_dial=1)) == ["DP323"]
    [found] = [d for d in check_source(nested(2), "t.call",
                                       config=Config(max_presses_to_dial=1)).diagnostics]
    assert "answers 2 menus" in found.message and "the 1 allowed" in found.message


def test_the_limit_is_read_from_tool_dialplan(tmp_path: Path):
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.dialplan]\nmax-presses-to-dial = 5\n", encoding="utf-8")
    assert load_config(path).max_presses_to_dial == 5
    assert load_config(None).max_presses_to_dial is None


@pytest.mark.parametrize("value", ["0", "-1", '"3"', "true"])
def test_a_bad_limit_is_a_configuration_error(tmp_path: Path, value):
    path = tmp_path / ".dialplan.toml"
    path.write_text(f'ignore = []\nmax-presses-to-dial = {value}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    diagnostic = raised.value.diagnostic
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("DP011", 2, 1)


def test_dialplan_check_reads_the_limit(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("deep.call").write_text(nested(2), encoding="utf-8")
    assert "DP323" not in CliRunner().invoke(main, ["check", "deep.call"]).output
    Path("pyproject.toml").write_text("[tool.dialplan]\nmax-presses-to-dial = 1\n",
                                      encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "deep.call"])
    assert "warning[DP323]" in result.output and result.exit_code == 0


# --- DP324 --------------------------------------------------------------------------------

def test_the_question_is_timed_at_its_languages_rate():
    text = "For appointments press one, for the front desk press two, or hold the line now."
    assert 4 < len(text) / SPEAKING_RATES["en-GB"] <= 5 < len(text) / SPEAKING_RATES["pl-PL"]
    body = '  on 1 { say "One." }\n' + ENDS
    assert codes(menu(body, "wait 5s", text)) == []
    assert codes(menu(body, "wait 5s", text, voice="pl-PL")) == ["DP324"]
    assert codes(menu(body, "wait 4s", text)) == ["DP324"]


def test_a_long_question_points_at_its_text_and_at_the_wait():
    prompt = "For sales press 1. For support press 2. For anything else, hold the line."
    [found] = check_source(menu('  on 1 { say "One." }\n' + ENDS, "wait 2s", prompt),
                           "t.call").diagnostics
    assert (found.code, found.span.line, found.span.column) == ("DP324", 3, 7)
    assert [r.message for r in found.related] == ["the menu's wait"]
    assert "wait 4s" in found.help  # 73 characters at 18.5 a second: 3.95 s


# --- the examples ---------------------------------------------------------------------------

def test_of_the_examples_only_the_clinics_code_menu_draws_the_path_lint():
    """The booking-code menu of clinic.call has no `timeout`: a caller who
    enters nothing, or three wrong codes, hears nothing more. That is what
    the example does, so it stays, and the lint says so."""
    found = {}
    for path in sorted(EXAMPLES.glob("**/*.call")):
        result = check_source(path.read_text(encoding="utf-8"), path.name)
        found[path.name] = [(d.code, d.span.line) for d in result.diagnostics
                            if d.code.startswith("DP32")]
    assert {name: lint for name, lint in found.items() if lint} == {
        "clinic.call": [("DP320", 15), ("DP322", 22)]}
