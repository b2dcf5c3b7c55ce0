"""`ask URL { on CHOICE … }`, offline: what the checker says, what the
backend's replies make of a call in `dialplan simulate` and `dialplan test`,
and how `dialplan graph` draws it. (Over HTTP: test_ask_end_to_end.py.)"""

from __future__ import annotations

from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from dialplan_compiler import check_source, compile_source
from dialplan_compiler.cli import main
from dialplan_compiler.menus.router import MAX_VAR_CHARS, read_reply
from dialplan_compiler.menus.simulate import coverage, every_path, load, simulate
from dialplan_compiler.model import Ask
from dialplan_compiler.nodes import Span

from helpers import ROOT

ACCOUNT = ROOT / "examples" / "ivr" / "account.call"
HEAD = 'voice en-GB\nmenu via "https://ivr.example.com/routee" {\n  say "Press 1."\n  on 1 {\n'
TAIL = '  }\n}\n'


def errors(body: str) -> list[tuple[str, int, int]]:
    result = check_source(HEAD + body + TAIL)
    return [(d.code, d.span.line, d.span.column) for d in result.diagnostics]


ASK = '    ask "https://crm.example.com/a" vars balance {\n'


def test_a_well_formed_ask_checks_cleanly():
    assert errors(ASK + '      on open { say "B {balance}." }\n'
                  '      otherwise { say "No." }\n      timeout { say "Late." }\n    }\n') == []


def test_what_the_checker_says_about_an_ask():
    assert errors(ASK + '      on open { say "B." }\n    }\n') == [("DP103", 5, 5)]  # no otherwise
    assert errors(ASK + '      on other { say "B." }\n      otherwise { say "No." }\n    }\n') \
        == [("DP104", 6, 10)]                                      # a reserved name
    assert errors(ASK + '      on open { say "A." }\n      on open { say "B." }\n'
                  '      otherwise { say "No." }\n    }\n') == [("DP221", 7, 10)]
    assert errors(ASK + '      say "Hi."\n      otherwise { say "No." }\n    }\n') == \
        [("DP111", 6, 7)]                                           # only choices in its block
    assert errors('    ask "https://crm.example.com/a" within 3s {\n'
                  '      otherwise { say "No." }\n    }\n') == [("DP226", 5, 37)]
    assert errors(ASK + '      on open { handoff "https://crm.example.com/h" }\n'
                  '      otherwise { say "No." }\n    }\n') == [("DP111", 6, 17)]
    top = check_source('say "Hi." in en-GB\nask "https://crm.example.com/a" {\n'
                       '  otherwise { say "No." in en-GB }\n}\n')
    assert [(d.code, d.span.line) for d in top.diagnostics] == [("DP111", 2)]


def test_the_answers_vars_need_no_value_when_a_call_is_compiled_and_others_do():
    source = ('from +302101234567\n' + HEAD + ASK +
              '      on open { say "Hello {name}, your balance is {balance}." }\n'
              '      otherwise { say "No." }\n    }\n' + TAIL)
    missing = compile_source(source, "a.call", signing_secret="a-secret-for-the-test")
    assert [(d.code, d.span.line, d.span.column) for d in missing.diagnostics] == [
        ("DP215", 7, 28)]                                           # {name}, not {balance}
    filled = compile_source(source, "a.call", variables={"name": "Maria"},
                            signing_secret="a-secret-for-the-test")
    assert filled.payload is not None, filled.diagnostics


def test_simulate_takes_the_backends_replies_from_answer():
    def heard(*answers: str) -> list[str]:
        args = ["simulate", str(ACCOUNT), "--press", "1", "--press", "123456#"]
        for answer in answers:
            args += ["--answer", answer]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        return result.output.splitlines()[4:]

    assert heard('{"choice": "open", "vars": {"name": "Ana", "balance": "3"}}')[-2] == \
        "caller hears (en-GB, female): Hello Ana. Your balance is 3 euros."
    assert heard("closed")[:2] == ["presses 1 2 3 4 5 6 #",
                                   "asks https://crm.example.com/routee/balance → closed"]
    assert heard("error")[1] == ("asks https://crm.example.com/routee/balance → otherwise "
                                 "(error: HTTP 500 (simulated))")
    assert heard()[1] == ("asks https://crm.example.com/routee/balance → timeout "
                          "(no answer within 2 s)")
    assert heard('{"choice": "open", "vars": {"name": "x" }')[1].endswith("(garbage: not "
                                                                          '{"choice": "…"})')


def test_every_path_walks_every_declared_choice():
    flow = load(ACCOUNT.read_bytes(), str(ACCOUNT))
    runs = every_path(flow)
    reached = dict(coverage(flow, runs))
    assert {k: v for k, v in reached.items() if "asks" in k} and \
        all(reached[f"1.any6 asks → {c}"] for c in ("open", "closed", "otherwise", "timeout"))
    assert [o for o, n in reached.items() if not n] == []
    opened = next(r for r in runs if "1.any6 asks → open" in r.outcomes)
    assert "caller hears (en-GB, female): Hello [name]. Your balance is [balance] euros." in \
        opened.transcript


def test_a_scenario_gives_the_backends_answers(tmp_path):
    (tmp_path / "account.call").write_text(ACCOUNT.read_text())
    path = tmp_path / "a.scenarios.toml"
    path.write_text('script = "account.call"\n\n[[scenario]]\nname = "open"\n'
                    'press = ["1", "111111#"]\n'
                    'answers = [{ choice = "open", vars = { name = "Ana", balance = "9" } }]\n'
                    'expect = """\ncaller hears (en-GB, female): Hello Ana. Your balance is 8 '
                    'euros.\n"""\n')
    result = CliRunner().invoke(main, ["test", str(path)])
    assert result.exit_code == 1
    assert "+caller hears (en-GB, female): Hello Ana. Your balance is 9 euros." in result.output
    path.write_text(path.read_text().replace('answers = [', 'answers = [3, '))
    result = CliRunner().invoke(main, ["test", str(path)])
    assert result.exit_code == 2 and "`answers` must be a list" in result.output


def test_graph_draws_the_ask_and_its_choices():
    result = CliRunner().invoke(main, ["graph", str(ACCOUNT)])
    assert result.exit_code == 0, result.output
    assert 'n_1_any6 -->|"asks"| n_1_any6_ask' in result.output
    for choice, target in (("“open”", "n_1_any6_open"), ("“closed”", "n_1_any6_closed"),
                           ("otherwise", "n_1_any6_other"), ("timeout", "n_1_any6_timeout")):
        assert f'n_1_any6_ask -->|"{choice}"| {target}' in result.output
    dot = CliRunner().invoke(main, ["graph", str(ACCOUNT), "--format", "dot"]).output
    assert '"1.any6.ask" -> "1.any6.open" [label="“open”"];' in dot


def test_simulate_is_the_same_router_as_serve_for_a_late_answer():
    flow = load(ACCOUNT.read_bytes(), str(ACCOUNT))
    run = simulate(flow, ["1", "123456#"], answers=["timeout"])
    assert run.outcomes[-1] == "1.any6 asks → timeout"


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=250),
                     lambda inner: st.lists(inner, max_size=3) |
                     st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_JSON, st.fixed_dictionaries(
    {"choice": st.sampled_from(["open", "closed", "x"]),
     "vars": st.dictionaries(st.sampled_from(["name", "balance", "say"]),
                             st.one_of(st.text(max_size=250), st.integers()), max_size=3)})))
def test_a_reply_takes_only_a_declared_choice_with_declared_short_text(reply):
    ask = Ask(Span("a.call", 1, 1, 1, 2), "https://crm.example.com/a", 2000,
              {"open": "1.open", "closed": "1.closed"}, "1.other", "1.timeout",
              ("name", "balance"))
    choice, given, outcome = read_reply(ask, reply)
    if choice is None:
        assert given == {} and outcome != "chosen"
    else:
        assert outcome == "chosen" and choice in ask.choices
        assert set(given) <= set(ask.vars)
        assert all(isinstance(v, str) and len(v) <= MAX_VAR_CHARS for v in given.values())
