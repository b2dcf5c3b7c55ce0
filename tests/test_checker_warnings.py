"""DP3xx: warnings. The script compiles, but probably does not do what its
author meant. Warnings never withhold the payload."""

from __future__ import annotations

import pytest

from dialplan_compiler import Severity, check_source, compile_source

SAY = 'say "Hi" in en-GB\n'
FROM = "from +302101234567\n"
TO = "to +306912345678\n"
WAV = '"https://c.example.com/a.wav"'
DIAL = "dial +302107654321 from +302101234567"


def found(result) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.column) for d in result.diagnostics]


def run(source, mode: str = "check", **options):
    if mode == "check":
        return check_source(source, "test.call")
    return compile_source(source, "test.call", **options)


CASES = {
    # DP301 possible but unassigned number: at the number.
    "unassigned recipient": (FROM + "to +15555550100\n" + SAY, "check", {},
                             [("DP301", 2, 4)]),
    "unassigned sender": ("from +15555550100\n" + TO + SAY, "check", {}, [("DP301", 1, 6)]),
    "unassigned quoted sender": ('from "+1 (555) 555-0100"\n' + TO + SAY, "check", {},
                                 [("DP301", 1, 6)]),
    "unassigned dial target": ("dial +15555550100 from +302101234567\n", "check", {},
                               [("DP301", 1, 6)]),
    "unassigned --to": (FROM + SAY, "compile", {"to": "+15555550100"}, [("DP301", 1, 1)]),

    # DP302 play URL not .wav: at the URL.
    "mp3": ('play "https://c.example.com/a.mp3"\n', "check", {}, [("DP302", 1, 6)]),
    "no extension": ('play "https://c.example.com/a"\n', "check", {}, [("DP302", 1, 6)]),
    "wav directory": ('play "https://c.example.com/a.wav/"\n', "check", {}, [("DP302", 1, 6)]),
    "mp3 after a placeholder": ('play "https://c.example.com/{f}.mp3"\n', "check", {},
                                [("DP302", 1, 6)]),
    "mp3 from a placeholder": ('play "https://c.example.com/{f}"\n', "compile",
                               {"variables": {"f": "a.mp3"}}, [("DP302", 1, 6)]),

    # DP303 plain http: at the URL.
    "http play": ('play "http://c.example.com/a.wav"\n', "check", {}, [("DP303", 1, 6)]),
    "http collect": ('collect to "http://h.example.com/k"\n', "check", {}, [("DP303", 1, 12)]),
    "http notify": ('notify "http://h.example.com/s"\n' + SAY, "check", {}, [("DP303", 1, 8)]),
    "http machine": ('machine continue "http://h.example.com/m"\n' + SAY, "check", {},
                     [("DP303", 1, 18)]),
    "http plan": ('plan url "http://p.example.com/p.json"\n' + FROM, "compile",
                  {"to": "+306912345678"}, [("DP303", 1, 10)]),
    "http recording": (DIAL + ' record to "http://h.example.com/r"\n', "check", {},
                       [("DP303", 1, 49)]),

    # DP304 alphanumeric sender: at the sender.
    "alphanumeric sender": ('from "Clinic"\n' + TO + SAY, "check", {}, [("DP304", 1, 6)]),
    "alphanumeric dial sender": ('dial +302107654321 from "Clinic"\n', "check", {},
                                 [("DP304", 1, 25)]),
    "alphanumeric --from": (SAY, "compile", {"to": "+306912345678", "sender": "Clinic"},
                            [("DP304", 1, 1)]),

    # DP305 second collect: at its name.
    "two collects": ('collect to "https://h.example.com/k"\n'
                     '  collect to "https://h.example.com/j"\n', "check", {},
                     [("DP305", 2, 3)]),

    # DP306 verbs after repeat forever: once, at the first unreachable verb.
    "after say forever": ('say "a" in en-GB repeat forever\nsay "b" in en-GB\npause 1s\n',
                          "check", {}, [("DP306", 2, 1)]),
    "after play forever": (f"play {WAV} repeat forever\n{DIAL}\n", "check", {},
                           [("DP306", 2, 1)]),
    "two forevers": ('say "a" in en-GB repeat forever\nsay "b" in en-GB repeat forever\n',
                     "check", {}, [("DP306", 2, 1)]),

    # DP307 interruptible without collect: at `interruptible`.
    "interruptible say": ('say "a" in en-GB interruptible\n', "check", {}, [("DP307", 1, 18)]),
    "interruptible play": (f"play {WAV} interruptible\n", "check", {}, [("DP307", 1, 36)]),
    "two interruptibles": ('say "a" in en-GB interruptible\nsay "b" interruptible in en-GB\n',
                           "check", {}, [("DP307", 1, 18), ("DP307", 2, 9)]),

    # DP308 dial ring over 60 s: at the duration.
    "dial ring 90s": (DIAL + " ring 90s\n", "check", {}, [("DP308", 1, 44)]),
    "dial ring 2m": (DIAL + " ring 2m\n", "check", {}, [("DP308", 1, 44)]),

    # DP309 unused --var: reported against "--var".
    "unused var": (SAY, "compile", {"variables": {"nme": "Bob"}}, [("DP309", 1, 1)]),
    "two unused vars": (SAY, "compile", {"variables": {"b": "1", "a": "2"}},
                        [("DP309", 1, 1), ("DP309", 1, 1)]),

    # DP310 call settings in a bare plan: at each setting.
    "ring in a bare plan": ("ring 30s\n" + SAY, "compile", {}, [("DP310", 1, 1)]),
    "every setting in a bare plan": ('ring 30s\nnotify "https://h.example.com/s"\n'
                                     "machine hangup\nlimit 5m\n" + SAY, "compile", {},
                                     [("DP310", 1, 1), ("DP310", 2, 1), ("DP310", 3, 1),
                                      ("DP310", 4, 1)]),
    "settings with --plan": (FROM + TO + "ring 30s\n" + SAY, "compile", {"plan": True},
                             [("DP310", 3, 1)]),
}


@pytest.mark.parametrize("source, mode, options, expected", CASES.values(), ids=CASES.keys())
def test_warning(source, mode, options, expected):
    result = run(source, mode, **options)
    assert found(result) == expected
    assert all(d.severity is Severity.WARNING for d in result.diagnostics)
    # Warnings alone still give a payload.
    assert result.payload is not None
    assert result.ok


# --- what does not warn ---------------------------------------------------------------------

QUIET = {
    "wav in capitals": ('play "https://c.example.com/a.WAV"\n', "check", {}),
    "wav with a query": ('play "https://c.example.com/a.wav?v=2"\n', "check", {}),
    "play URL ending in a placeholder": ('play "https://c.example.com/{f}"\n', "check", {}),
    "play URL from a placeholder filled with wav": ('play "{u}"\n', "compile",
                                                    {"variables": {"u": "https://c.example.com/a.wav"}}),
    "interruptible with a collect": (f"play {WAV} interruptible\n"
                                     'collect to "https://h.example.com/k"\n', "check", {}),
    "forever on the last verb": ('pause 1s\nsay "a" in en-GB repeat forever\nvoice fr-FR\n',
                                 "check", {}),
    "dial ring of 60 s": (DIAL + " ring 60s\n", "check", {}),
    "used var": ('say "{x}" in en-GB\n', "compile", {"variables": {"x": "Hi"}}),
    "settings in a full call": (FROM + TO + "ring 30s\nlimit 5m\n" + SAY, "compile", {}),
    "numeric sender": ("from 306900000000\n" + TO + SAY, "check", {}),
    "unfilled https placeholder": ('collect to "{u}"\n', "check", {}),
    "settings ignored only when compiling": ("ring 30s\n" + SAY, "check", {}),
    "var only when compiling": (SAY, "check", {}),
}


@pytest.mark.parametrize("source, mode, options", QUIET.values(), ids=QUIET.keys())
def test_no_warning(source, mode, options):
    result = run(source, mode, **options)
    assert found(result) == []
    assert result.payload is not None


# --- details ----------------------------------------------------------------------------------

def test_unassigned_number_names_its_region():
    [d] = run(FROM + "to +15555550100\n" + SAY).diagnostics
    assert (d.code, d.span.line, d.span.column) == ("DP301", 2, 4)
    assert "+1 (US)" in d.message


def test_unassigned_number_is_still_emitted_in_e164():
    result = run(FROM + 'to "+1 555 555 0100"\n' + SAY)
    assert found(result) == [("DP301", 2, 4)]
    assert result.payload["to"] == {"phone": "+15555550100"}


def test_unused_variable_span_is_the_var_flag():
    [d] = run(SAY, "compile", variables={"nme": "Bob"}).diagnostics
    assert (d.code, d.span.file, d.span.line, d.span.column) == ("DP309", "--var", 1, 1)
    assert "nme" in d.message


def test_unreachable_verb_points_back_at_the_forever():
    result = run('say "a" in en-GB repeat forever\n  pause 1s\n')
    [d] = result.diagnostics
    assert (d.code, d.span.line, d.span.column) == ("DP306", 2, 3)
    assert [(r.span.line, r.span.column) for r in d.related] == [(1, 1)]


def test_second_collect_points_back_at_the_first():
    [d] = run('collect to "https://h.example.com/k"\ncollect to "https://h.example.com/j"\n'
              ).diagnostics
    assert (d.code, d.span.line, d.span.column) == ("DP305", 2, 1)
    assert [(r.span.line, r.span.column) for r in d.related] == [(1, 1)]


def test_warnings_do_not_hide_errors():
    result = run('play "http://c.example.com/a.mp3"\npause 0s\n')
    assert found(result) == [("DP302", 1, 6), ("DP303", 1, 6), ("DP209", 2, 7)]
    assert result.payload is None


def test_warnings_alone_yield_the_full_payload():
    result = run('from "Clinic"\n' + TO + "ring 30s\n"
                 'play "http://c.example.com/a.mp3" interruptible repeat forever\n'
                 + DIAL + " ring 90s\n", "compile")
    assert found(result) == [("DP304", 1, 6), ("DP302", 4, 6), ("DP303", 4, 6),
                             ("DP307", 4, 35), ("DP306", 5, 1), ("DP308", 5, 44)]
    assert result.ok
    assert result.payload == {
        "from": "Clinic",
        "to": {"phone": "+306912345678"},
        "dialPlan": {"verbs": [
            {"type": "PLAY", "fileURL": "http://c.example.com/a.mp3", "repeat": -1,
             "bargeIn": True},
            {"type": "DIAL", "from": "+302101234567", "to": {"phone": "+302107654321"},
             "hangupDelay": 90},
        ]},
        "hangupDelay": 30,
    }
