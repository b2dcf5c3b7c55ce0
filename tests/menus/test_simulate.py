"""`dialplan simulate`, `dialplan test` and the plan-execution engine.

tests/menus/golden_simulate/ holds `dialplan simulate --all --coverage` of each
example in examples/ivr/: the transcript of every path. Regenerate after an
intended change with `DIALPLAN_UPDATE_GOLDEN=1 pytest tests/test_simulate.py`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialplan_compiler.menus import engine
from dialplan_compiler.cli import main
from dialplan_compiler.menus.simulate import coverage, every_path, load, simulate

from helpers import EXAMPLE_VARIABLES, ROOT
IVR = sorted((ROOT / "examples" / "ivr").glob("*.call"))
GOLDEN = Path(__file__).resolve().parent / "golden_simulate"
CLINIC = ROOT / "examples" / "ivr" / "clinic.call"

WELCOME = "caller hears (en-GB, female): Welcome to Example Clinic."
MENU = ("caller hears (en-GB, female): For appointments press 1. For the front desk press 2. "
        "To hear this again press 9.")
CODE = "caller hears (en-GB, female): Please enter your four digit booking code, then press hash."
BYE = "caller hears (en-GB, female): We did not hear from you. Goodbye."
SORRY = "caller hears (en-GB, female): Sorry, that is not an option."
INVALID = "caller hears (en-GB, female): That code is not valid."


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def clinic():
    return load(CLINIC.read_bytes(), str(CLINIC))


# --- every path of the examples ------------------------------------------------------------

#: The --var values of the examples that need some (a campaign row's).
VARIABLES = EXAMPLE_VARIABLES


def var_options(example: Path) -> list[str]:
    return [f"--var={k}={v}" for k, v in VARIABLES.get(example.stem, {}).items()]


@pytest.mark.parametrize("example", IVR, ids=lambda p: p.stem)
def test_every_path_matches_the_golden_transcripts(example):
    result = run("simulate", str(example), "--all", "--coverage", *var_options(example))
    assert result.exit_code == 0, result.output
    golden = GOLDEN / f"{example.stem}.txt"
    if os.environ.get("DIALPLAN_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(result.output, encoding="utf-8")
    assert result.output == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("example", IVR, ids=lambda p: p.stem)
def test_every_path_reaches_every_outcome(example):
    flow = load(example.read_bytes(), str(example), variables=VARIABLES.get(example.stem))
    runs = every_path(flow)
    missed = [outcome for outcome, count in coverage(flow, runs) if not count]
    assert missed == []
    assert all(r.transcript[-1] == "call ends" for r in runs)


@pytest.mark.parametrize("presses, transcript", [
    (["1", "1234#"], [WELCOME, MENU, "presses 1", CODE, "presses 1 2 3 4 #",
                      "caller hears (en-GB, female): Thank you. Booking 1234 is confirmed.",
                      "call ends"]),
    (["2"], [WELCOME, MENU, "presses 2", "call is bridged to +302101111111", "call ends"]),
    (["timeout"], [WELCOME, MENU, "waits 8 s", BYE, "call ends"]),
    ([], [WELCOME, MENU, "waits 8 s", BYE, "call ends"]),
    (["9", "9", "9"], [WELCOME, MENU, "presses 9", MENU, "presses 9", MENU, "presses 9", BYE,
                       "call ends"]),
    (["0", "timeout"], [WELCOME, MENU, "presses 0", SORRY, MENU, "waits 8 s", BYE, "call ends"]),
    (["1", "12#", "timeout"], [WELCOME, MENU, "presses 1", CODE, "presses 1 2 #", INVALID,
                               "waits 15 s", "call ends"]),
    (["1", "12"], [WELCOME, MENU, "presses 1", CODE, "presses 1 2", "waits 15 s", "call ends"]),
    # COLLECT keeps maxDigits keys (4 here): the fifth is dropped.
    (["1", "99999#"], [WELCOME, MENU, "presses 1", CODE, "presses 9 9 9 9 9 #",
                       "caller hears (en-GB, female): Thank you. Booking 9999 is confirmed.",
                       "call ends"]),
    (["hangup"], [WELCOME, MENU, "caller hangs up", "call ends"]),
])
def test_paths_of_the_clinic(clinic, presses, transcript):
    assert simulate(clinic, presses).transcript == transcript


def test_outcomes_of_a_run(clinic):
    assert simulate(clinic, ["0", "0", "0"]).outcomes == [
        "main → otherwise", "main → otherwise", "main → otherwise; main → tries used up"]


def test_a_machine_gets_the_machine_plan():
    example = ROOT / "examples" / "ivr" / "reminder-machine.call"
    result = run("simulate", str(example), "--machine")
    assert result.output.splitlines()[0] == "a machine answers"
    assert "reminder of your appointment" in result.output.splitlines()[1]


def test_simulate_shows_the_keys_sent_when_verbose():
    result = run("simulate", str(CLINIC), "--press", "2", "-v")
    assert "  (keys '2' sent for menu main, try 1)" in result.output.splitlines()


def test_simulate_reports_compile_errors(tmp_path):
    bad = tmp_path / "bad.call"
    bad.write_text('menu { on 1 { } }\n')
    result = run("simulate", str(bad))
    assert result.exit_code == 1
    assert "error[DP224]" in result.output


def test_simulate_runs_a_script_without_menus():
    result = run("simulate", str(ROOT / "examples" / "pin-prompt.call"), "--press", "1234#")
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == "call ends"
    assert "presses 1 2 3 4 #" in result.output


def test_simulate_all_takes_no_presses():
    assert run("simulate", str(CLINIC), "--all", "--press", "1").exit_code == 2


# --- the engine's model of Routee --------------------------------------------------------------

def say(text, **extra):
    return {"type": "SAY", "message": {"text": text, "language": "en-GB"}, **extra}


def test_a_key_interrupts_a_bargein_verb_and_is_sent_at_once():
    posted = []
    plan = {"verbs": [{"type": "COLLECT", "eventUrl": "https://x/e", "maxDigits": 1},
                      {"type": "PAUSE", "duration": 3},
                      say("after")]}
    call = engine.run(plan, presses=["1"], post=lambda u, b: posted.append(b) or None)
    # A PAUSE is not interruptible: the key is gathered, nothing is sent until the end.
    assert [b["collectedTones"] for b in posted] == [""]
    assert call.transcript == ["presses 1", "waits 3 s", "caller hears (en-GB): after",
                               "call ends"]
    plan["verbs"][1] = {"type": "PLAY", "fileURL": "https://x/audio/silence-3s.wav",
                        "bargeIn": True}
    posted.clear()
    call = engine.run(plan, presses=["12"], post=lambda u, b: posted.append(b) or
                      {"verbs": [say("branch")]})
    assert [b["collectedTones"] for b in posted] == ["1", ""]
    assert call.transcript == ["presses 1 2", "caller hears (en-GB): branch", "call ends"]


def test_hash_submits_without_the_hash_and_maxdigits_caps():
    posted = []
    plan = {"verbs": [{"type": "COLLECT", "eventUrl": "https://x/e", "maxDigits": 3,
                       "submitOnHash": True}, {"type": "PAUSE", "duration": 5}]}
    engine.run(plan, presses=["12345#"], post=lambda u, b: posted.append(b) or None)
    assert posted[0]["collectedTones"] == "123"


def test_an_answer_that_is_not_a_plan_leaves_the_plan_running():
    plan = {"verbs": [{"type": "COLLECT", "eventUrl": "https://x/e"},
                      {"type": "PLAY", "fileURL": "https://x/audio/silence-2s.wav",
                       "bargeIn": True}, say("still here")]}
    for answer in (None, {"verbs": []}, {"nope": 1}, [1]):
        call = engine.run(plan, presses=["1"], post=lambda u, b: answer, final_post=False)
        assert call.transcript[-2:] == ["caller hears (en-GB): still here", "call ends"]


def test_a_failing_eventurl_is_survived():
    def boom(url, body):
        raise OSError("connection refused")

    plan = {"verbs": [{"type": "COLLECT", "eventUrl": "https://x/e"},
                      {"type": "PLAY", "fileURL": "https://x/audio/silence-2s.wav",
                       "bargeIn": True}]}
    call = engine.run(plan, presses=["1"], post=boom)
    assert call.transcript[-1] == "call ends"
    assert "connection refused" in call.posts[0].data["error"]


def test_forever_stops_the_simulation():
    call = engine.run({"verbs": [say("hold", repeat=-1), say("never")]}, post=lambda u, b: None)
    assert call.transcript == ["caller hears (en-GB): hold (repeats forever)",
                               "(it never ends: the simulation stops here)", "call ends"]


def test_repeats_and_plays_are_shown():
    call = engine.run({"verbs": [{"type": "PLAY", "fileURL": "https://cdn.example.com/chime.wav",
                                  "repeat": 1}, say("x", repeat=2)]}, post=lambda u, b: None)
    assert call.transcript[:2] == ["plays chime.wav ×2", "caller hears (en-GB): x ×3"]


def test_a_loop_of_plans_is_cut_short():
    plan = {"verbs": [{"type": "COLLECT", "eventUrl": "https://x/e"},
                      {"type": "PLAY", "fileURL": "https://x/audio/silence-1s.wav",
                       "bargeIn": True}]}
    call = engine.run(plan, presses=["1"] * 200, post=lambda u, b: plan)
    assert f"(the simulation stops after {engine.MAX_PLANS} plans)" in call.transcript


# --- dialplan test -------------------------------------------------------------------------------

def test_the_examples_scenarios_pass():
    result = run("test", str(ROOT / "examples" / "ivr"))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "13 passed, 0 failed"


def scenario_file(tmp_path: Path, expect: str, press='["2"]') -> Path:
    (tmp_path / "clinic.call").write_text(CLINIC.read_text())
    path = tmp_path / "desk.scenarios.toml"
    path.write_text(f'script = "clinic.call"\n\n[[scenario]]\nname = "desk"\npress = {press}\n'
                    f'expect = """\n{expect}\n"""\n')
    return path


def test_a_failing_scenario_shows_a_diff(tmp_path):
    path = scenario_file(tmp_path, f"{WELCOME}\n{MENU}\npresses 2\ncall is bridged to "
                                   "+302109999999\ncall ends")
    result = run("test", str(path), "--coverage")
    assert result.exit_code == 1
    assert "FAIL" in result.output
    assert "-call is bridged to +302109999999" in result.output
    assert "+call is bridged to +302101111111" in result.output
    assert "reached  main → 2" in result.output and "MISSED   main → 9" in result.output
    assert result.output.splitlines()[-1] == "0 passed, 1 failed"


def test_a_passing_scenario(tmp_path):
    path = scenario_file(tmp_path, f"  {WELCOME}\n\n{MENU}\npresses 2\n"
                                   "call is bridged to +302101111111\ncall ends")
    result = run("test", str(path))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("text, message", [
    ("script = 1\n", "script"),
    ('script = "clinic.call"\n', "no [[scenario]]"),
    ('script = "clinic.call"\n[[scenario]]\npress = ["1"]\n', "expect"),
    ('script = "clinic.call"\n[[scenario]]\nexpect = ""\npresses = ["1"]\n', "unknown key"),
    ("not toml at all [", "TOML"),
    ('script = "missing.call"\n[[scenario]]\nexpect = "x"\n', "cannot read"),
])
def test_a_broken_scenario_file_is_a_usage_error(tmp_path, text, message):
    path = tmp_path / "x.scenarios.toml"
    path.write_text(text)
    result = run("test", str(path))
    assert result.exit_code == 2
    assert message in result.output


def test_coverage_counts_the_run_of_a_caller_who_presses_nothing():
    result = run("simulate", str(CLINIC), "--coverage")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert BYE in lines
    assert "   1  main → timeout" in lines
    assert lines[-1] == "1 of 10 outcomes reached"


def test_coverage_counts_a_run_whose_presses_run_out_before_a_menu():
    result = run("simulate", str(CLINIC), "--press", "1", "--coverage")
    lines = result.output.splitlines()
    assert "   1  main → 1" in lines and "   1  1 → timeout" in lines
    assert lines[-1] == "2 of 10 outcomes reached"


# --- keys by name, and keys that are none ------------------------------------------------------

KEYPAD = '''menu via "https://ivr.example.com/routee" {
  say "Press star for the menu, hash to leave, 0 for the desk." in en-GB
  on star { say "The menu." in en-GB }
  on hash { say "Goodbye." in en-GB }
  on 0 { say "The desk." in en-GB }
}
'''


@pytest.fixture
def keypad(tmp_path) -> Path:
    path = tmp_path / "keypad.call"
    path.write_text(KEYPAD)
    return path


@pytest.mark.parametrize("press, keys, heard", [
    ("star", "*", "The menu."), ("*", "*", "The menu."), ("hash", "#", "Goodbye."),
    ("#", "#", "Goodbye."), ("0", "0", "The desk.")])
def test_press_takes_keys_by_name_as_the_script_writes_them(keypad, press, keys, heard):
    result = run("simulate", str(keypad), "--press", press)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == f"presses {keys}"
    assert lines[2] == f"caller hears (en-GB): {heard}"


def test_a_run_is_repeated_with_presses_a_shell_takes_whole(keypad):
    result = run("simulate", str(keypad), "--all")
    flags = [line for line in result.output.splitlines() if line.startswith("# path")]
    assert "# path 1: --press star" in flags and "# path 2: --press hash" in flags
    for line in flags:
        assert "*" not in line and " --press #" not in line


@pytest.mark.parametrize("press, bad", [("1x", "'x'"), ("stars", "'s'"), ("Star", "'Star'"),
                                        ("", "no key")])
def test_a_press_that_is_no_key_is_a_usage_error(keypad, press, bad):
    result = run("simulate", str(keypad), "--press", "0", "--press", press)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"Invalid value for --press: {press!r} is not a press: " in result.output
    assert bad in result.output
    assert "keys are 0-9, * (or star) and # (or hash)" in result.output


def test_a_scenario_presses_keys_by_name(tmp_path, keypad):
    path = tmp_path / "keypad.scenarios.toml"
    path.write_text('script = "keypad.call"\n[[scenario]]\nname = "menu"\npress = ["star"]\n'
                    'expect = """\ncaller hears (en-GB): Press star for the menu, hash to '
                    'leave, 0 for the desk.\npresses *\ncaller hears (en-GB): The menu.\n'
                    'call ends\n"""\n')
    result = run("test", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "1 passed, 0 failed"


def test_a_scenario_press_that_is_no_key_is_a_usage_error(tmp_path, keypad):
    path = tmp_path / "keypad.scenarios.toml"
    path.write_text('script = "keypad.call"\n[[scenario]]\npress = ["0", "1x"]\n'
                    'expect = "call ends"\n')
    result = run("test", str(path))
    assert result.exit_code == 2
    assert "scenario 1: press 2: '1x' is not a press: 'x' is not a key" in result.output


def test_a_plain_collect_says_where_the_keys_went():
    result = run("simulate", str(ROOT / "examples" / "pin-prompt.call"), "--press", "1234#")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1:3] == ["presses 1 2 3 4 #", "keys 1234 go to https://www.example.com/pin "
                          "(not called offline: the plan goes on)"]


def test_a_plain_collect_in_a_branch_says_where_the_keys_went(tmp_path):
    script = tmp_path / "mixed.call"
    script.write_text('voice en-GB\nmenu via "https://ivr.example.com/routee" {\n'
                      '  say "Press 1 to enter your PIN."\n  on 1 {\n    say "Your PIN, then hash."\n'
                      '    collect to "https://hooks.example.com/pin" max 4 digits submit on hash\n'
                      '    pause 5s\n  }\n}\n')
    result = run("simulate", str(script), "--press", "1", "--press", "42#", "-v")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-6:] == [
        "  (keys '1' sent for menu main, try 1)",
        "caller hears (en-GB): Your PIN, then hash.",
        "presses 4 2 #",
        "keys 42 go to https://hooks.example.com/pin (not called offline: the plan goes on)",
        "waits 5 s",
        "call ends"]
