"""Menus: the language (`menu`, `on`, `otherwise`, `timeout`, `again`,
`handoff`, `on machine`), its checks, and the bundles it compiles to.

The golden bundles in tests/menus/golden_bundles/ are the examples in
examples/ivr/ compiled with the secret below. Regenerate them after an
intended change with `DIALPLAN_UPDATE_GOLDEN=1 pytest tests/test_menus.py`
and review the diff."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dialplan_compiler import check_source, compile_source, rules
from dialplan_compiler.compiler import compile_bundle
from dialplan_compiler.emitter import to_json
from dialplan_compiler.formatter import format_source
from dialplan_compiler.lowering import script_name
from dialplan_compiler.menus.bundles import bundle_json
from dialplan_compiler.parser import parse
from dialplan_compiler.schemas import DIALPLAN, schema_for, validate
from dialplan_compiler.signing import signature

from helpers import ROOT
IVR = sorted((ROOT / "examples" / "ivr").glob("*.call"))
GOLDEN = Path(__file__).resolve().parent / "golden_bundles"
SECRET = b"golden-secret"

#: The example of issue 7, exactly as the issue writes it.
ISSUE_EXAMPLE = '''from +302101234567
voice en-GB female

say "Welcome to Example Clinic."
menu via "https://ivr.example.com/routee" wait 8s tries 3 {
  say "For appointments press 1. For the front desk press 2. To hear this again press 9."
  on 1 {
    say "Please enter your four digit booking code, then press hash."
    menu via "https://ivr.example.com/routee" wait 15s {      # nested menus
      on any 4 digits { say "Thank you. Booking {digits} is confirmed." }  # {digits}: the keys pressed
      otherwise { say "That code is not valid."  again }
    }
  }
  on 2 { dial +302101111111 }
  on 9 { again }                                           # replay this menu
  otherwise { say "Sorry, that is not an option."  again } # a key with no branch
  timeout { say "We did not hear from you. Goodbye." }     # nothing pressed within `wait`, or tries used up
}
'''

M = 'voice en-GB\nmenu via "https://ivr.example.com/routee" {\n  say "Press 1."\n'


def bundle_of(source: str, **options):
    result = compile_bundle(source, options.pop("filename", "t.call"), signing_secret=SECRET,
                            **options)
    assert result.payload is not None, [(d.code, d.message) for d in result.diagnostics]
    return result.bundle


def plans_of(source: str) -> dict:
    return bundle_json(bundle_of(source))["plans"]


def codes(source: str, **options) -> list[str]:
    return [d.code for d in check_source(source, "t.call", **options).diagnostics]


# --- the examples ------------------------------------------------------------------------------

def test_the_issues_example_compiles_as_written():
    result = compile_bundle(ISSUE_EXAMPLE, "clinic.call", signing_secret=SECRET)
    assert result.payload is not None
    # No error; the booking-code menu has no `timeout`, which the path lint
    # reports for its silence and for its last try.
    assert [d.code for d in result.diagnostics] == ["DP320", "DP322"]
    assert set(result.bundle.plans) == {"main", "1", "1.any4", "1.other@1", "1.other@2",
                                        "1.other@3", "2", "9@1", "9@2", "9@3", "other@1",
                                        "other@2", "other@3"}


def test_the_canonical_example_compiles_like_the_issues():
    ours = bundle_json(bundle_of((ROOT / "examples/ivr/clinic.call").read_text(), filename="clinic.call"))
    issue = bundle_json(bundle_of(ISSUE_EXAMPLE, filename="clinic.call"))
    assert ours == issue


@pytest.mark.parametrize("example", IVR, ids=lambda p: p.stem)
def test_example_bundle_matches_golden_file(example: Path):
    # As `dialplan build` compiles it: a call's values come with each call.
    result = compile_bundle(example.read_text(encoding="utf-8"), str(example),
                            signing_secret=SECRET, per_call="deferred")
    assert result.payload is not None and not any(d.is_error for d in result.diagnostics)
    request = result.payload if "to" in result.payload else None
    text = to_json(bundle_json(result.bundle, request))
    golden = GOLDEN / f"{example.stem}.json"
    if os.environ.get("DIALPLAN_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_every_plan_of_a_golden_bundle_is_a_valid_dialplan(golden: Path):
    bundle = json.loads(golden.read_text(encoding="utf-8"))
    for plan_id, plan in bundle["plans"].items():
        if plan_id in bundle.get("asks", {}) and not plan["verbs"]:
            continue  # nothing before the ask: serve answers the chosen plan alone
        assert validate(plan, DIALPLAN) == [], plan_id
    assert validate(bundle["sorry"], DIALPLAN) == []
    if "call" in bundle:
        assert validate(bundle["call"], schema_for(bundle["call"])) == []


def test_every_golden_bundle_has_an_example():
    assert {p.stem for p in GOLDEN.glob("*.json")} == {p.stem for p in IVR}


# --- what the plans are made of -----------------------------------------------------------

def test_a_single_key_menu_is_interruptible_throughout():
    main = plans_of(M + '  on 1 { say "One." }\n  timeout { say "Bye." }\n}\n')["main"]["verbs"]
    collect, prompt, wait, timeout = main
    assert collect["type"] == "COLLECT" and collect["maxDigits"] == 1
    assert "submitOnHash" not in collect
    assert prompt["type"] == "SAY" and prompt["bargeIn"] is True
    # The wait is a served silent WAV played with bargeIn: a PAUSE could not be cut short.
    assert wait == {"type": "PLAY", "fileURL": "https://ivr.example.com/routee/audio/silence-5s.wav",
                    "bargeIn": True}
    assert timeout["message"]["text"] == "Bye."


def test_a_menu_of_several_keys_ends_entries_with_hash():
    source = ('voice en-GB\nmenu via "https://ivr.example.com/routee" wait 9s {\n'
              '  say "Enter your code." interruptible\n  on any 4 digits { say "Thanks." }\n}\n')
    collect, prompt, wait = plans_of(source)["main"]["verbs"]
    assert collect["maxDigits"] == 4 and collect["submitOnHash"] is True
    # The first key would otherwise interrupt and send a one-digit entry.
    assert "bargeIn" not in prompt
    assert wait == {"type": "PAUSE", "duration": 9}


def test_the_eventurl_carries_the_menu_the_try_and_a_signature():
    plans = plans_of(M + '  on 1 { say "One." }\n  otherwise { again }\n}\n')
    url = plans["main"]["verbs"][0]["eventUrl"]
    assert url == ("https://ivr.example.com/routee/events?p=t&n=main&t=1&s="
                   + signature(SECRET, "t", "main", 1))
    again = plans["other@1"]["verbs"][0]["eventUrl"]
    assert "n=main&t=2&" in again


def test_again_asks_the_menu_with_its_own_collect_until_the_tries_are_used_up():
    plans = plans_of('voice en-GB\nmenu via "https://ivr.example.com/routee" tries 2 {\n'
                     '  say "Press 1."\n  on 1 { say "One." }\n'
                     '  otherwise { say "No." again }\n  timeout { say "Bye." }\n}\n')
    first = [v["type"] for v in plans["other@1"]["verbs"]]
    assert first == ["SAY", "COLLECT", "SAY", "PLAY", "SAY"]
    last = [v.get("message", {}).get("text") for v in plans["other@2"]["verbs"]]
    assert last == ["No.", "Bye."]  # no tries left: the timeout, and no COLLECT
    assert "other@3" not in plans


def test_a_key_with_no_branch_asks_again_when_there_is_no_otherwise():
    bundle = bundle_of(M + '  on 1 { say "One." }\n}\n')
    assert bundle.implicit_otherwise == {"main": "other"}
    assert {"other@1", "other@2", "other@3"} <= set(bundle.plans)


def test_a_branch_with_nothing_to_do_ends_the_call_deliberately():
    plans = plans_of(M + '  on 1 { }\n}\n')
    assert plans["1"] == {"verbs": [{"type": "PAUSE", "duration": 1}]}


def test_digits_are_left_for_serve_only_in_branches():
    bundle = bundle_json(bundle_of(M + '  on any 2 digits { say "You said {digits}, {{ok}}." }\n}\n'))
    assert bundle["fill"] == {"any2": ["/verbs/0/message/text"]}
    assert bundle["plans"]["any2"]["verbs"][0]["message"]["text"] == \
        "You said {digits}, {{ok}}."
    outside = compile_source('say "You said {digits}." in en-GB\n', "t.call",
                             signing_secret=SECRET)
    assert [d.code for d in outside.diagnostics] == ["DP215"]
    assert "menu" in outside.diagnostics[0].help


def test_on_machine_answers_the_machine_detection_eventurl():
    source = (ROOT / "examples/ivr/reminder-machine.call").read_text()
    result = compile_bundle(source, "reminder-machine.call", signing_secret=SECRET)
    detection = result.payload["machineDetection"]
    assert detection["strategy"] == "Continue"
    assert detection["eventUrl"].startswith(
        "https://ivr.example.com/routee/events?p=reminder-machine&n=machine&t=1&s=")
    assert result.bundle.plans["machine"].verbs


def test_a_machine_url_without_on_machine_is_left_alone():
    source = 'machine continue "https://hooks.example.com/amd"\nsay "Hi." in en-GB\n'
    result = compile_source(source, "t.call", to="+306912345678", sender="+302101234567")
    assert result.payload["machineDetection"]["eventUrl"] == "https://hooks.example.com/amd"


def test_ids_depend_on_the_menus_not_on_the_lines():
    plain = bundle_json(bundle_of(M + '  on 1 { say "One." }\n  on 2 { say "Two." }\n}\n'))
    edited = bundle_json(bundle_of(
        '# a comment\n\n' + M + '  # more\n  on 2 { say "Two." }\n\n  on 1 { say "One." }\n'
        '  on 3 { say "Three." }\n}\n'))
    for plan_id in ("main", "1", "2"):
        assert plain["plans"][plan_id] == edited["plans"][plan_id]


def test_script_names_come_from_the_file_name():
    assert script_name("examples/ivr/clinic.call") == "clinic"
    assert script_name("<stdin>") == "stdin"
    assert script_name("My Flow!.call") == "My-Flow"


#: A menu that the path lint (DP32x) has nothing to say about.
COMPLETE = (M + '  on 1 { say "One." }\n  otherwise { say "Sorry." again }\n'
            '  timeout { say "Goodbye." }\n}\n')


def test_compiling_menus_needs_the_signing_secret(monkeypatch):
    result = compile_source(COMPLETE, "t.call")
    assert [d.code for d in result.diagnostics] == ["DP227"]
    monkeypatch.setenv("DIALPLAN_SIGNING_SECRET", "from-the-environment")
    result = compile_source(COMPLETE, "t.call")
    assert result.diagnostics == [] and result.payload is not None
    assert signature(b"from-the-environment", "t", "main", 1) in \
        result.payload["verbs"][0]["eventUrl"]


def test_check_needs_no_secret():
    assert check_source(COMPLETE, "t.call").diagnostics == []


# --- the grammar and the formatter --------------------------------------------------------

def test_again_is_a_statement_of_its_own_after_another_on_the_same_line():
    module = parse('otherwise { say "No."  again }\n').module
    [block] = [s.block for s in module.statements]
    assert [s.name.text for s in block.statements] == ["say", "again"]
    assert parse('again; say "x"').module.statements[0].name.text == "again"


def test_again_is_never_an_argument():
    module = parse('say "x" again\n').module
    assert [s.name.text for s in module.statements] == ["say", "again"]
    assert [getattr(a, "text", None) for a in parse("say againx").module.statements[0].args] == \
        ["againx"]


def test_fmt_keeps_what_a_menu_compiles_to():
    formatted = format_source(ISSUE_EXAMPLE, "clinic.call").text
    assert format_source(formatted, "clinic.call").text == formatted
    assert bundle_json(bundle_of(formatted, filename="clinic.call")) == \
        bundle_json(bundle_of(ISSUE_EXAMPLE, filename="clinic.call"))


# --- the checks -------------------------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    # again outside a menu, in a timeout, in a question, in `on machine`
    ('say "Hi" in en-GB\nagain\n', ["DP111"]),
    (M + '  on 1 { say "A." }\n  timeout { again }\n}\n', ["DP111"]),
    (M + '  again\n  on 1 { say "A." }\n}\n', ["DP111"]),
    ('machine continue "https://ivr.example.com/r"\non machine { again }\nsay "Hi" in en-GB\n',
     ["DP111"]),
    # what a menu's block, a timeout, and the top level cannot hold
    (M + '  collect to "https://h.example.com/k"\n  on 1 { say "A." }\n}\n', ["DP111"]),
    (M + '  on 1 { say "A." }\n  timeout { menu via "https://h.example.com/r" { } }\n}\n',
     ["DP111"]),
    (M + '  on 1 { ring 30s }\n}\n', ["DP111"]),
    ('say "Hi" in en-GB\non 1 { say "Hi" in en-GB }\n', ["DP111"]),
    ('say "Hi" in en-GB\notherwise { say "Hi" in en-GB }\n', ["DP111"]),
    ('say "Hi" in en-GB\nhandoff "https://crm.example.com/r"\n', ["DP111"]),
    # duplicate choices
    (M + '  on 1 { }\n  on 1 { }\n}\n', ["DP221"]),
    (M + '  otherwise { }\n  otherwise { }\n}\n', ["DP221"]),
    (M + '  timeout { }\n  timeout { }\n}\n', ["DP221"]),
    (M + '  on any 4 digits { }\n  on any 4 digits { }\n}\n', ["DP221"]),
    # too long, hash
    ('voice en-GB\nmenu via "https://h.example.com/r" max 2 digits {\n  on 123 { }\n}\n',
     ["DP222"]),
    (M + '  on ' + "1" * 31 + ' { }\n}\n', ["DP222"]),
    (M + '  on 12 { }\n  on "1#" { }\n}\n', ["DP223"]),  # a bare # starts a comment
    (M + '  on hash { say "A." }\n}\n', []),  # a single '#' is a fine single key
    # via, loops, budget
    ('voice en-GB\nmenu wait 5s {\n  on 1 { }\n}\n', ["DP224"]),
    ('voice en-GB\nmenu via "https://h.example.com/r" tries forever {\n  on 1 { }\n}\n',
     ["DP225"]),
    ('voice en-GB\nmenu via "https://h.example.com/r" {\n  say "Hi." repeat forever\n'
     '  on 1 { }\n}\n', ["DP225"]),
    (M + '  on 1 { handoff "https://crm.example.com/r" within 2500ms }\n}\n', ["DP226"]),
    (M + '  on 1 { handoff "https://crm.example.com/r" within 2s }\n}\n', []),
    # never taken
    ('voice en-GB\nmenu via "https://h.example.com/r" {\n'
     + "".join(f'  on {k} {{ }}\n' for k in "0123456789") + '  on star { }\n  on hash { }\n'
     '  otherwise { say "?" }\n}\n', ["DP311"]),
    ('machine hangup\non machine { say "Hi" in en-GB }\nsay "Hi" in en-GB\n', ["DP311"]),
    # unreachable after what ends a block
    (M + '  on 1 { say "A." }\n}\nsay "Bye."\n', ["DP312"]),
    (M + '  on 1 { again\n say "never" }\n}\n', ["DP312"]),
    (M + '  on 1 { handoff "https://crm.example.com/r"\n say "never" }\n}\n', ["DP312"]),
    # bad keys, bad options
    (M + '  on A { }\n}\n', ["DP104"]),
    (M + '  on any 0 digits { }\n}\n', ["DP210"]),
    ('voice en-GB\nmenu via "https://h.example.com/r" tries 0 {\n  on 1 { }\n}\n', ["DP104"]),
    ('voice en-GB\nmenu via "https://h.example.com/r?x=1" {\n  on 1 { }\n}\n', ["DP107"]),
    ('machine continue "https://h.example.com/r?x=1"\non machine { say "Hi" in en-GB }\n'
     'say "Hi" in en-GB\n', ["DP107"]),
    ('voice en-GB\nmenu via "https://h.example.com/r" {\n  on 1 }\n', ["DP103"]),
    ('voice en-GB\nmenu via "https://h.example.com/r"\n', ["DP103"]),
    # existing rules apply inside branches
    (M + '  on 1 { say "Hi" in en-gb }\n}\n', ["DP204"]),
    (M + '  on 1 { dial +302101111111 from +302101234567\n'
         '    dial +302101111112 from +302101234567 }\n}\n', ["DP206"]),
    (M + '  on 1 { dial +302101111111 from +302101234567\n    again }\n'
         '  timeout { dial +302101111112 from +302101234567 }\n}\n', ["DP206"]),
])
def test_menu_checks(source, expected):
    # The path lint (DP32x) has tests of its own (tests/test_path_lint.py).
    found = [c for c in codes(source) if c != "DP303" and not c.startswith("DP32")]
    assert found == expected, check_source(source, "t.call").diagnostics


def test_a_voice_in_a_branch_stays_in_it():
    plans = plans_of(M + '  on 1 { voice fr-FR\n say "Un." }\n  on 2 { say "Two." }\n}\n')
    assert plans["1"]["verbs"][0]["message"]["language"] == "fr-FR"
    assert plans["2"]["verbs"][0]["message"]["language"] == "en-GB"


def test_a_dial_in_a_branch_takes_the_calls_sender():
    plans = plans_of("from +302101234567\n" + M + '  on 0 { dial +302101111111 }\n}\n')
    assert plans["0"]["verbs"][0]["from"] == "+302101234567"


# --- back, several keys to one branch, end, via inherited ------------------------------------

#: A menu asked in branch `1, 2` of another, with no `via` of its own.
NESTED = (M + '  on 1, 2 {\n    say "Sales."\n    menu {\n      say "Press 0 to go back."\n'
          '      on 0 { back }\n      on 1 { say "Orders."  end }\n    }\n  }\n'
          '  otherwise { say "Bye."  end\n    say "never" }\n}\n')


def test_several_keys_share_one_branch():
    bundle = bundle_of(NESTED)
    routes = bundle_json(bundle)["menus"]["main"]["choices"]
    assert routes == [{"keys": "1", "plan": "1-2"}, {"keys": "2", "plan": "1-2"}]
    assert "1-2" in bundle.plans and "1" not in bundle.plans and "2" not in bundle.plans


def test_a_menu_in_a_branch_inherits_the_via_of_its_menu():
    plans = plans_of(NESTED)
    collect = next(v for v in plans["1-2"]["verbs"] if v["type"] == "COLLECT")
    assert collect["eventUrl"].startswith("https://ivr.example.com/routee/events?p=t&n=1-2&t=1&")
    wait = plans["1-2"]["verbs"][-1]
    assert wait["fileURL"] == "https://ivr.example.com/routee/audio/silence-5s.wav"


def test_an_own_via_wins_over_the_inherited_one():
    plans = plans_of(NESTED.replace("    menu {", '    menu via "https://other.example.com/r" {'))
    collect = next(v for v in plans["1-2"]["verbs"] if v["type"] == "COLLECT")
    assert collect["eventUrl"].startswith("https://other.example.com/r/events?")


def test_back_asks_the_parent_menu_from_its_first_try():
    plans = plans_of(NESTED)
    back = plans["1-2.0"]["verbs"]
    assert back[0]["type"] == "COLLECT"
    assert "n=main&t=1&" in back[0]["eventUrl"]
    assert back[1] == plans["main"]["verbs"][1]  # the parent's question, asked again


def test_end_ends_the_branch_and_what_follows_never_runs():
    assert plans_of(NESTED)["other"] == {"verbs": [
        {"type": "SAY", "message": {"text": "Bye.", "language": "en-GB"}, }]}
    assert [code for code in codes(NESTED) if code not in LEFT_ASIDE] == ["DP312"]
    assert plans_of(NESTED)["1-2.1"]["verbs"][-1]["message"]["text"] == "Orders."


def test_end_at_the_top_level_of_a_plain_script():
    result = compile_source('say "Hi." in en-GB  end\nsay "never" in en-GB\n', "t.call")
    assert result.payload == {"verbs": [{"type": "SAY",
                                         "message": {"text": "Hi.", "language": "en-GB"}}]}
    assert [d.code for d in result.diagnostics] == ["DP312"]


def test_back_and_end_are_statements_of_their_own_and_never_arguments():
    module = parse('otherwise { say "No."  back }\non 1 { say "x" end }\n').module
    assert [[s.name.text for s in st.block.statements] for st in module.statements] == \
        [["say", "back"], ["say", "end"]]
    assert [a.text for a in parse("say backs endx").module.statements[0].args] == \
        ["backs", "endx"]


def test_fmt_writes_a_list_of_keys_one_way_and_keeps_what_it_compiles_to():
    source = NESTED.replace("on 1, 2", "on 1 ,2")
    formatted = format_source(source, "t.call").text
    assert "  on 1, 2 {\n" in formatted
    assert format_source(formatted, "t.call").text == formatted
    assert bundle_json(bundle_of(formatted)) == bundle_json(bundle_of(NESTED))


#: Warnings these cases leave aside: the path lint (tests/test_path_lint.py) and DP303.
LEFT_ASIDE = {"DP303", rules.NO_TIMEOUT.code, rules.NO_OTHERWISE.code, rules.SILENT_LAST_TRY.code}


def located(source: str) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.column)
            for d in check_source(source, "t.call").diagnostics if d.code not in LEFT_ASIDE]


@pytest.mark.parametrize("source, expected", [
    # back: only where there is a parent menu to go back to
    (M + '  on 1 { back }\n}\n', [("DP111", 4, 10)]),
    ('say "Hi" in en-GB\nback\n', [("DP111", 2, 1)]),
    (M + '  back\n  on 1 { }\n}\n', [("DP111", 4, 3)]),
    (NESTED.replace("      on 0 { back }\n", "      timeout { back }\n"),
     [("DP111", 8, 17), ("DP312", 13, 5)]),
    # end: not in a question
    (M + '  end\n  on 1 { }\n}\n', [("DP111", 4, 3)]),
    (M + '  on 1 { say "A."  end\n    say "B." }\n}\n', [("DP312", 5, 5)]),
    # several keys
    (M + '  on 1 2 { }\n}\n', [("DP104", 4, 8)]),
    (M + '  on 1,,2 { }\n}\n', [("DP103", 4, 6)]),
    (M + '  on 1, x { }\n}\n', [("DP104", 4, 9)]),
    (M + '  on 1, 1 { }\n}\n', [("DP221", 4, 9)]),
    (M + '  on 2 { }\n  on 1, 2 { }\n}\n', [("DP221", 5, 9)]),
    (M + '  on star, "*" { }\n}\n', [("DP221", 4, 12)]),
    # via: inherited only from a menu that has one
    ('voice en-GB\nmenu {\n  on 1 {\n    menu {\n      on 1 { }\n    }\n  }\n}\n',
     [("DP224", 2, 1), ("DP224", 4, 5)]),
])
def test_checks_of_back_end_key_lists_and_via(source, expected):
    assert located(source) == expected
