"""DP2xx: well-formed scripts that break one of Routee's rules.

Each case pins the complete list of (code, line, column) reported, in
`check` or in `compile` (with the given variables / --to / --from / --plan).
"""

from __future__ import annotations

import pytest

from dialplan_compiler import check_source, compile_source

SAY = 'say "Hi" in en-GB\n'
FROM = "from +302101234567\n"
TO = "to +306912345678\n"
PLAN_URL = 'plan url "https://p.example.com/p.json"\n'
DIAL = "dial +302107654321 from +302101234567"
URL = '"https://h.example.com/k"'


def found(result) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.column) for d in result.diagnostics]


def check(source) -> list[tuple[str, int, int]]:
    return found(check_source(source, "test.call"))


def compile_(source, **options) -> list[tuple[str, int, int]]:
    return found(compile_source(source, "test.call", **options))


def the(result, code: str):
    matches = [d for d in result.diagnostics if d.code == code]
    assert len(matches) == 1, found(result)
    return matches[0]


def where(diagnostic) -> tuple[str, int, int]:
    return diagnostic.span.file, diagnostic.span.line, diagnostic.span.column


CHECKED = {
    # DP201 a setting given twice: at the second one's name.
    "ring twice": ("ring 30s\nring 20s\n" + SAY, [("DP201", 2, 1)]),
    "from twice": (FROM + "from +302101234568\n" + SAY, [("DP201", 2, 1)]),
    "to twice": (TO + "to +306912345679\n" + FROM + SAY, [("DP201", 2, 1)]),
    "plan twice": (PLAN_URL + "  " + PLAN_URL, [("DP201", 2, 3)]),
    # BUG: when the first `ring` is itself invalid, the second is not
    # reported as a duplicate.
    "ring twice, the first out of range": ("ring 90s\nring 20s\n" + SAY,
                                           [("DP208", 1, 6), ("DP201", 2, 1)]),

    # DP202 a setting after the first verb: at its name.
    "ring after a verb": (SAY + "ring 30s\n", [("DP202", 2, 1)]),
    "two settings after a verb": (SAY + FROM + TO, [("DP202", 2, 1), ("DP202", 3, 1)]),
    "setting after a pause": ("pause 1s\n" + SAY + "limit 1m\n", [("DP202", 3, 1)]),

    # DP203 verbs and `plan url`, or neither.
    "verbs and plan url": (PLAN_URL + SAY, [("DP203", 2, 1)]),
    "plan url after a verb": ("pause 1s\n" + PLAN_URL, [("DP203", 1, 1), ("DP202", 2, 1)]),
    "only settings": ("ring 30s\n", [("DP203", 1, 1)]),
    "only voice": ("voice en-GB\n", [("DP203", 1, 1)]),
    "empty file": ("", [("DP203", 1, 1)]),
    "only comments": ("# nothing\n\n", [("DP203", 1, 1)]),

    # DP204 unknown language: at the language.
    "lowercase region": ('say "Hi" in en-gb\n', [("DP204", 1, 13)]),
    "unknown language": ('say "Hi" in klingon\n', [("DP204", 1, 13)]),
    "unknown voice language": ("voice en-gb\n" + SAY, [("DP204", 1, 7)]),
    "quoted unknown language": ('say "Hi" in "en_GB"\n', [("DP204", 1, 13)]),

    # DP205 say without a language: at `say`.
    "say without language": ('say "Hi"\n', [("DP205", 1, 1)]),
    "voice only applies to later says": ('say "Hi"\nvoice en-GB\n', [("DP205", 1, 1)]),

    # DP206 a second dial: at its name.
    "two dials": (f"{DIAL}\n{DIAL}\n", [("DP206", 2, 1)]),
    "three dials": (f"{DIAL}\n{DIAL}\n  {DIAL}\n", [("DP206", 2, 1), ("DP206", 3, 3)]),
    "second dial after an invalid first": (f"dial +3021 from +302101234567\n{DIAL}\n",
                                           [("DP211", 1, 6), ("DP206", 2, 1)]),

    # DP207 text length: at the string.
    "text over 1000 characters": ('say "' + "a" * 1001 + '" in en-GB\n', [("DP207", 1, 5)]),
    "empty text": ('say "" in en-GB\n', [("DP207", 1, 5)]),
    "literal part of a template over 1000": ('say "{x}' + "a" * 1001 + '" in en-GB\n',
                                             [("DP207", 1, 5)]),

    # DP208 ring outside 1–60 s: at the duration.
    "ring 61s": ("ring 61s\n" + SAY, [("DP208", 1, 6)]),
    "ring 1m1s": ("ring 1m1s\n" + SAY, [("DP208", 1, 6)]),
    "ring 2h": ("ring 2h\n" + SAY, [("DP208", 1, 6)]),

    # DP209 under 1 s or not whole seconds: at the duration.
    "pause 500ms": ("pause 500ms\n", [("DP209", 1, 7)]),
    "pause 0s": ("pause 0s\n", [("DP209", 1, 7)]),
    "pause 1500ms": ("pause 1500ms\n", [("DP209", 1, 7)]),
    "limit 1s500ms": ("limit 1s500ms\n" + SAY, [("DP209", 1, 7)]),
    "ring 0s": ("ring 0s\n" + SAY, [("DP209", 1, 6)]),
    "dial limit 0s": (DIAL + " limit 0s\n", [("DP209", 1, 45)]),
    "dial ring 999ms": (DIAL + " ring 999ms\n", [("DP209", 1, 44)]),

    # DP210 max 0 digits: at the number.
    "max 0 digits": (f"collect to {URL} max 0 digits\n", [("DP210", 1, 42)]),
    "max -1 digits": (f"collect to {URL} max -1 digits\n", [("DP210", 1, 42)]),

    # DP211 a phone number that cannot exist: at the number.
    "too short": ("to +3021\n" + FROM + SAY, [("DP211", 1, 4)]),
    "too long": ("to +302101234567890123\n" + FROM + SAY, [("DP211", 1, 4)]),
    "no such country code": ("to +99912345678\n" + FROM + SAY, [("DP211", 1, 4)]),
    "leading zero country code": ("to +0306912345678\n" + FROM + SAY, [("DP211", 1, 4)]),
    "number without +": ("to 306912345678\n" + FROM + SAY, [("DP211", 1, 4)]),
    "quoted number without +": ('to "306912345678"\n' + FROM + SAY, [("DP211", 1, 4)]),
    "SIP address as a phone number": ('to "alice@example.com"\n' + FROM + SAY,
                                      [("DP211", 1, 4)]),
    "phone keyword with a bad number": ('to phone "+3021"\n' + FROM + SAY, [("DP211", 1, 10)]),
    "sender too short": ("from +3021\n" + SAY, [("DP211", 1, 6)]),
    "dial target too short": ("dial +3021 from +302101234567\n", [("DP211", 1, 6)]),
    "dial sender too short": ("dial +302107654321 from +3021\n", [("DP211", 1, 25)]),

    # DP212 Viber number: at the address string.
    "viber with +": ('to viber "+306971234567"\n' + FROM + SAY, [("DP212", 1, 10)]),
    "viber with a space": ('to viber "30 697"\n' + FROM + SAY, [("DP212", 1, 10)]),
    "viber letters": ('to viber "abc"\n' + FROM + SAY, [("DP212", 1, 10)]),
    "dial viber": ('dial viber "0697" from +302101234567\n', [("DP212", 1, 12)]),

    # DP213 SIP address: at the address string.
    "sip without host": ('to sip "alice"\n' + FROM + SAY, [("DP213", 1, 8)]),
    "sip with scheme": ('to sip "sip:alice@example.com"\n' + FROM + SAY, [("DP213", 1, 8)]),
    "sip port too high": ('to sip "alice@example.com:99999"\n' + FROM + SAY,
                          [("DP213", 1, 8)]),
    "dial sip": ('dial sip "alice@-bad" from +302101234567\n', [("DP213", 1, 10)]),

    # DP214 machine continue without a URL: at `continue`.
    "machine continue": ("machine continue\n" + SAY, [("DP214", 1, 9)]),
    "machine continue with a number": ("machine continue 5\n" + SAY,
                                       [("DP214", 1, 9), ("DP109", 1, 18)]),
    "dial machine continue": (DIAL + " machine continue\n", [("DP214", 1, 47)]),

    # DP216 a dial with no sender anywhere: at `dial`.
    "dial without any from": ("dial +302107654321\n", [("DP216", 1, 1)]),
    # BUG: in `check`, a call with a recipient and no sender gets through the
    # checker and is caught by the schema safety net (DP901) instead.
    "call without from": (TO + SAY, [("DP216", 1, 1)]),

    # DP217 a sender Routee cannot use: at the sender.
    "numeric sender of 17 digits": ("from 12345678901234567\n" + SAY, [("DP217", 1, 6)]),
    "quoted numeric sender of 17 digits": ('from "12345678901234567"\n' + SAY,
                                           [("DP217", 1, 6)]),
    "empty sender": ('from ""\n' + SAY, [("DP217", 1, 6)]),
    "blank sender": ('from "   "\n' + SAY, [("DP217", 1, 6)]),
    "empty dial sender": (FROM + 'dial +302107654321 from ""\n', [("DP217", 2, 25)]),

    # DP219 repeat: at the count.
    "repeat -1": ('say "Hi" in en-GB repeat -1\n', [("DP219", 1, 26)]),
    "repeat -2": ('play "https://c.example.com/a.wav" repeat -2\n', [("DP219", 1, 43)]),
    "repeat a word": ('say "Hi" in en-GB repeat lots\n', [("DP219", 1, 26)]),
}


@pytest.mark.parametrize("source, expected", CHECKED.values(), ids=CHECKED.keys())
def test_checked(source, expected):
    assert check(source) == expected


COMPILED = {
    # DP204 after substitution.
    "language from a placeholder": ('say "x" in "{lang}"\n', {"variables": {"lang": "xx"}},
                                    [("DP204", 1, 12)]),
    # DP207 after substitution: at the string.
    "filled text over 1000": ('say "{x}" in en-GB\n', {"variables": {"x": "a" * 1001}},
                              [("DP207", 1, 5)]),
    # BUG: a placeholder filled with "" yields an empty text that only the
    # schema safety net (DP901) catches.
    "filled text empty": ('say "{x}" in en-GB\n', {"variables": {"x": ""}}, [("DP207", 1, 5)]),
    # DP211 after substitution.
    "phone from a placeholder": ('to "{t}"\n' + FROM + SAY, {"variables": {"t": "+3021"}},
                                 [("DP211", 1, 4)]),
    "viber from a placeholder": ('to viber "{t}"\n' + FROM + SAY, {"variables": {"t": "1"}},
                                 [("DP212", 1, 10)]),
    "sender from a placeholder": ('from "{s}"\n' + TO + SAY,
                                  {"variables": {"s": "12345678901234567"}},
                                  [("DP217", 1, 6)]),
    "empty sender from a placeholder": ('from "{s}"\n' + TO + SAY, {"variables": {"s": ""}},
                                        [("DP217", 1, 6)]),
    # DP215 unfilled placeholder: at the placeholder, braces included.
    "unfilled placeholder": ('say "Hi {name}" in en-GB\n', {}, [("DP215", 1, 9)]),
    "one of two unfilled": ('say "{a} {b}" in en-GB\n', {"variables": {"a": "x"}},
                            [("DP215", 1, 10)]),
    "unfilled in a URL": ('collect to "https://h.example.com/{p}"\n', {},
                          [("DP215", 1, 35)]),
    "unfilled recipient": ('to "{who}"\n' + FROM + SAY, {}, [("DP215", 1, 5)]),
    # DP216 a call with a recipient but no sender: at the `to` statement.
    "to without from": (TO + SAY, {}, [("DP216", 1, 1)]),
    "dial without any from": ("dial +302107654321\n", {}, [("DP216", 1, 1)]),
    # DP218 plan url without a recipient: at the plan statement.
    "plan url without to": (PLAN_URL, {}, [("DP218", 1, 1)]),
    "plan url with --plan": (FROM + TO + PLAN_URL, {"plan": True}, [("DP218", 3, 1)]),
}


@pytest.mark.parametrize("source, options, expected", COMPILED.values(), ids=COMPILED.keys())
def test_compiled(source, options, expected):
    assert compile_(source, **options) == expected


# --- check versus compile ----------------------------------------------------------------

def test_unfilled_placeholder_is_not_an_error_in_check():
    result = check_source('say "Hi {name}" in en-GB\n')
    assert found(result) == []
    assert result.payload["verbs"][0]["message"]["text"] == "Hi {name}"


def test_filled_placeholder_compiles():
    result = compile_source('say "Hi {name}" in en-GB\n', variables={"name": "Bob"})
    assert found(result) == []
    assert result.payload["verbs"][0]["message"]["text"] == "Hi Bob"


def test_plan_url_without_recipient_is_fine_in_check():
    # BUG: `check` reports DP901 (an empty {"verbs": []}) for a valid hosted
    # plan; DP218 is a compile-time rule.
    assert check(PLAN_URL) == []


def test_plan_url_with_recipient_compiles():
    result = compile_source(FROM + PLAN_URL, to="+306912345678")
    assert found(result) == []
    assert result.payload == {"from": "+302101234567", "to": {"phone": "+306912345678"},
                              "dialPlanUrl": "https://p.example.com/p.json"}


def test_dial_takes_the_sender_from_the_command_line():
    result = compile_source("dial +302107654321\n", sender="+302101234567")
    assert found(result) == []
    assert result.payload["verbs"][0]["from"] == "+302101234567"


def test_dial_takes_the_script_sender():
    result = check_source(FROM + "dial +302107654321\n")
    assert found(result) == []
    assert result.payload["verbs"][0]["from"] == "+302101234567"


# --- command-line values are reported in their own "file" ------------------------------------

@pytest.mark.parametrize("options, expected", [
    ({"to": "306912345678", "sender": "+302101234567"}, ("DP211", "--to", 1, 1)),
    ({"to": "+3021", "sender": "+302101234567"}, ("DP211", "--to", 1, 1)),
    ({"to": "viber:abc", "sender": "+302101234567"}, ("DP212", "--to", 1, 7)),
    ({"to": "sip:alice", "sender": "+302101234567"}, ("DP213", "--to", 1, 5)),
    ({"to": "+306912345678", "sender": "12345678901234567"}, ("DP217", "--from", 1, 1)),
    ({"to": "+306912345678", "sender": "+3021"}, ("DP211", "--from", 1, 1)),
    ({"to": "+306912345678"}, ("DP216", "--to", 1, 1)),
])
def test_command_line_values(options, expected):
    result = compile_source(SAY, "test.call", **options)
    assert [(d.code, *where(d)) for d in result.diagnostics] == [expected]


# --- messages and help --------------------------------------------------------------------

def test_unknown_language_suggests_the_right_case():
    d = the(check_source('say "Hi" in en-gb\n'), "DP204")
    assert (d.span.line, d.span.column, d.span.end_column) == (1, 13, 18)
    assert d.label == "did you mean 'en-GB'?"


def test_unknown_language_without_a_close_match():
    d = the(check_source('say "Hi" in klingon\n'), "DP204")
    assert (d.span.line, d.span.column) == (1, 13)
    assert d.label is None and "en-GB" in d.help


def test_setting_after_verb_points_at_the_first_verb():
    d = the(check_source("pause 1s\n" + SAY + "ring 30s\n"), "DP202")
    assert (d.span.line, d.span.column) == (3, 1)
    assert "line 1" in d.help
    assert [(r.span.line, r.span.column) for r in d.related] == [(1, 1)]


def test_duplicate_setting_points_at_the_first():
    d = the(check_source("ring 30s\n  ring 20s\n" + SAY), "DP201")
    assert (d.span.line, d.span.column) == (2, 3)
    assert [(r.span.line, r.span.column) for r in d.related] == [(1, 1)]


def test_second_dial_points_at_the_first():
    d = the(check_source(f"{DIAL}\n{DIAL}\n"), "DP206")
    assert (d.span.line, d.span.column) == (2, 1)
    assert [(r.span.line, r.span.column) for r in d.related] == [(1, 1)]


def test_text_length_counts_characters_not_bytes():
    assert check('say "' + "é" * 1000 + '" in en-GB\n') == []
    d = the(check_source('say "' + "é" * 1001 + '" in en-GB\n'), "DP207")
    assert (d.span.line, d.span.column) == (1, 5)
    assert "1001" in d.message


@pytest.mark.parametrize("ring", ["1s", "60s", "1m", "30s"])
def test_ring_in_range(ring):
    assert check(f"ring {ring}\n" + SAY) == []


def test_whole_seconds_help_offers_both_neighbours():
    d = the(check_source("pause 1500ms\n"), "DP209")
    assert (d.span.line, d.span.column) == (1, 7)
    assert "1s or 2s" in d.help


def test_phone_problem_is_named():
    for number, problem in [("+3021", "too short"), ("+302101234567890123", "too long"),
                            ("+99912345678", "no country has that calling code")]:
        d = the(check_source(f"to {number}\n" + FROM + SAY), "DP211")
        assert (d.span.line, d.span.column) == (1, 4)
        assert problem in d.message


def test_number_without_plus_suggests_one():
    d = the(check_source("to 0306912345678\n" + FROM + SAY), "DP211")
    assert (d.span.line, d.span.column) == (1, 4)
    assert "+306912345678" in d.help


def test_viber_help_keeps_only_digits():
    d = the(check_source('to viber "+30 697 1234567"\n' + FROM + SAY), "DP212")
    assert (d.span.line, d.span.column) == (1, 10)
    assert d.help == 'write "306971234567"'


def test_sip_help_for_the_scheme():
    d = the(check_source('to sip "sip:alice@example.com"\n' + FROM + SAY), "DP213")
    assert (d.span.line, d.span.column) == (1, 8)
    assert "sip:" in d.help


def test_machine_continue_label():
    d = the(check_source("machine continue\n" + SAY), "DP214")
    assert (d.span.line, d.span.column, d.span.end_column) == (1, 9, 17)
    assert d.label == "expected a URL after `continue`"


def test_unfilled_placeholder_names_the_variable():
    d = the(compile_source('say "Hi {name}" in en-GB\n'), "DP215")
    assert (d.span.line, d.span.column, d.span.end_column) == (1, 9, 15)
    assert d.help == "pass --var name=VALUE"


def test_repeat_minus_one_suggests_forever():
    d = the(check_source('say "Hi" in en-GB repeat -1\n'), "DP219")
    assert (d.span.line, d.span.column) == (1, 26)
    assert d.help == "write `repeat forever`"


@pytest.mark.parametrize("sender", ["1234567890123456", '"1234567890123456"', "+302101234567"])
def test_accepted_senders(sender):
    result = check_source(f"from {sender}\n" + TO + SAY)
    assert found(result) == []
    assert result.payload["from"] == sender.strip('"')


@pytest.mark.parametrize("target, field, value", [
    ('sip "alice@example.com:5060"', "sip", "alice@example.com:5060"),
    ('viber "306971234567"', "viber", "306971234567"),
    ('"+30 210 123 4567"', "phone", "+302101234567"),
    ("+30-210-123-4567", "phone", "+302101234567"),
])
def test_accepted_targets_are_normalised(target, field, value):
    result = check_source(f"to {target}\n" + FROM + SAY)
    assert found(result) == []
    assert result.payload["to"] == {field: value}


def test_errors_mean_no_payload():
    result = check_source("ring 61s\n" + SAY)
    assert found(result) == [("DP208", 1, 6)]
    assert result.payload is None and not result.ok
