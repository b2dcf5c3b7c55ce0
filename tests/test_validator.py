"""`validate_json`: hand-written JSON payloads checked against the schemas and
the checker's semantic rules, reported at JSON lines, columns and pointers."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialplan_compiler import compile_source
from dialplan_compiler.jsonpos import MAX_DEPTH, json_pointer, parse_json
from dialplan_compiler.routee import LANGUAGES
from dialplan_compiler.rules import RULES
from dialplan_compiler.validator import validate_files, validate_json

GOLDEN = sorted((Path(__file__).resolve().parent / "golden").glob("*.json"))

#: The complete example of ROUTEE.md, as written there.
ROUTEE_EXAMPLE = """\
{
  "from": "Company Name",
  "to": {"phone": "+306911111111"},
  "dialPlan": {"verbs": [
    {"type": "SAY", "message": {"language": "en-GB", "gender": "female",
      "text": "Please enter your four digits service number and then press the pound key."}},
    {"type": "PAUSE", "duration": 10},
    {"type": "COLLECT", "eventUrl": "http://www.example.com", "maxDigits": 4, "submitOnHash": true}
  ]}
}
"""

SAY = '{"type": "SAY", "message": {"text": "Hello.", "language": "en-GB"}}'
PAUSE = '{"type": "PAUSE", "duration": 2}'
COLLECT = '{"type": "COLLECT", "eventUrl": "https://h.example.com/k", "maxDigits": 4}'
DIAL = '{"type": "DIAL", "from": "+302101234567", "to": {"phone": "+302107654321"}}'


def request(*verbs: str, **fields: str) -> str:
    """A request body, one field and one verb per line. `fields` are raw
    JSON texts that replace or add top-level fields."""
    top = {"from": '"+302101234567"', "to": '{"phone": "+306912345678"}', **fields}
    lines = ["{"]
    lines += [f'  "{key}": {value},' for key, value in top.items() if value is not None]
    lines.append('  "dialPlan": {"verbs": [')
    lines.append(",\n".join(f"    {verb}" for verb in (verbs or (SAY,))))
    lines += ["  ]}", "}"]
    return "\n".join(lines) + "\n"


def plan(*verbs: str) -> str:
    return '{"verbs": [\n' + ",\n".join(f"  {v}" for v in verbs) + "\n]}\n"


def position_of(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """Line and column (code points, 1-based) of the n-th `needle` in `text`."""
    offset = -1
    for _ in range(occurrence):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def diagnostics(text: str | bytes):
    return list(validate_json(text, "payload.json").diagnostics)


def errors(text: str | bytes):
    return [d for d in diagnostics(text) if d.is_error]


def the(code: str, text: str):
    found = [d for d in diagnostics(text) if d.code == code]
    assert len(found) == 1, (code, diagnostics(text))
    return found[0]


# --- each mapping: code, line, column, pointer -----------------------------------------

LONG_TEXT = "x" * 1001

#: name → (JSON text, code, needle and occurrence where it is reported, pointer)
CASES = {
    # schema errors mapped to the checker's codes
    "second DIAL": (request(SAY, DIAL, PAUSE, DIAL), "DP206", ('{"type": "DIAL"', 2),
                    "/dialPlan/verbs/3"),
    "unknown language": (request('{"type": "SAY", "message": {"text": "Hi", "language": "en-gb"}}'),
                         "DP204", ('"en-gb"', 1), "/dialPlan/verbs/0/message/language"),
    "text too long": (request('{"type": "SAY", "message": {"text": "' + LONG_TEXT
                              + '", "language": "en-GB"}}'),
                      "DP207", ('"xxx', 1), "/dialPlan/verbs/0/message/text"),
    "empty text": (plan('{"type": "SAY", "message": {"text": "", "language": "en-GB"}}'),
                   "DP207", ('""', 1), "/verbs/0/message/text"),
    "hangupDelay over 60": (request(SAY, hangupDelay="61"), "DP208", ("61", 1), "/hangupDelay"),
    "hangupDelay 0": (request(SAY, hangupDelay="0"), "DP209", ("0,", 1), "/hangupDelay"),
    "pause of 0": (plan('{"type": "PAUSE", "duration": 0}'), "DP209", ("0}", 1),
                   "/verbs/0/duration"),
    "maxDuration 0": (request(SAY, maxDuration="0"), "DP209", ("0,", 1), "/maxDuration"),
    "DIAL hangupDelay 0": (plan('{"type": "DIAL", "from": "+302101234567", "to": {"phone": '
                                '"+302107654321"}, "hangupDelay": 0}'),
                           "DP209", ("0}", 1), "/verbs/0/hangupDelay"),
    "fractional pause": (plan('{"type": "PAUSE", "duration": 1.5}'), "DP209", ("1.5", 1),
                         "/verbs/0/duration"),
    "maxDigits 0": (plan('{"type": "COLLECT", "eventUrl": "https://h.example.com/k", '
                         '"maxDigits": 0}'), "DP210", ("0}", 1), "/verbs/0/maxDigits"),
    "phone without +": (request(SAY, to='{"phone": "306912345678"}'), "DP211",
                        ('"306912345678"', 1), "/to/phone"),
    "viber with +": (request(SAY, to='{"viber": "+306971234567"}'), "DP212",
                     ('"+306971234567"', 1), "/to/viber"),
    "sip with prefix": (request(SAY, to='{"sip": "sip:alice@example.com"}'), "DP213",
                        ('"sip:', 1), "/to/sip"),
    "Continue without eventUrl": (request(SAY, machineDetection='{"strategy": "Continue"}'),
                                  "DP214", ('{"strategy"', 1), "/machineDetection"),
    # more of the checker's codes that fit a schema error exactly
    "ftp URL": (plan('{"type": "COLLECT", "eventUrl": "ftp://h.example.com/k"}'), "DP107",
                ('"ftp:', 1), "/verbs/0/eventUrl"),
    "empty plan": ('{"verbs": []}', "DP203", ("[]", 1), "/verbs"),
    "dialPlan and dialPlanUrl": (request(SAY, dialPlanUrl='"https://p.example.com/p.json"'),
                                 "DP203", ('"dialPlanUrl"', 1), "/dialPlanUrl"),
    "no language": (plan('{"type": "SAY", "message": {"text": "Hi"}}'), "DP205",
                    ('{"text"', 1), "/verbs/0/message"),
    "DIAL without from": (plan('{"type": "DIAL", "to": {"phone": "+302107654321"}}'), "DP216",
                          ('{"type"', 1), "/verbs/0"),
    "numeric sender too long": (request(SAY, **{"from": '"12345678901234567"'}), "DP217",
                                ('"12345678901234567"', 1), "/from"),
    "request without to": (request(SAY, to=None), "DP218", ("{", 1), ""),
    "repeat -2": (plan('{"type": "PLAY", "fileURL": "https://c.example.com/a.wav", '
                       '"repeat": -2}'), "DP219", ("-2", 1), "/verbs/0/repeat"),
    # everything else: DP220
    "length instead of duration": (request(SAY, '{"type": "PAUSE", "length": 3}'), "DP220",
                                   ('"length"', 1), "/dialPlan/verbs/1/length"),
    "quoted number": (request(SAY, hangupDelay='"30"'), "DP220", ('"30"', 1), "/hangupDelay"),
    "quoted boolean": (plan('{"type": "COLLECT", "eventUrl": "https://h.example.com/k", '
                            '"submitOnHash": "true"}'), "DP220", ('"true"', 1),
                       "/verbs/0/submitOnHash"),
    "lower-case verb type": (plan('{"type": "say", "message": {"text": "Hi", '
                                  '"language": "en-GB"}}'), "DP220", ('"say"', 1),
                             "/verbs/0/type"),
    "two recipients": (request(SAY, to='{"phone": "+306912345678", "sip": "a@b.example"}'),
                       "DP220", ('{"phone"', 1), "/to"),
    "array as payload": ("[]", "DP220", ("[", 1), ""),
    "verb that is a string": (plan('"SAY"'), "DP220", ('"SAY"', 1), "/verbs/0"),
    "bad recording format": (plan('{"type": "DIAL", "from": "+302101234567", "to": '
                                  '{"phone": "+302107654321"}, "recordingFormat": "mp3"}'),
                             "DP220", ('"mp3"', 1), "/verbs/0/recordingFormat"),
    "PLAY without fileURL": (plan('{"type": "PLAY"}'), "DP220", ("{", 2), "/verbs/0"),
    # rules the schema cannot express
    "impossible phone": (request(SAY, to='{"phone": "+99912345678"}'), "DP211",
                         ('"+99912345678"', 1), "/to/phone"),
    "impossible sender": (request(SAY, **{"from": '"+30210"'}), "DP211", ('"+30210"', 1), "/from"),
    "unassigned phone": (request(SAY, to='{"phone": "+302001234567"}'), "DP301",
                         ('"+302001234567"', 1), "/to/phone"),
    "SIP port out of range": (plan('{"type": "DIAL", "from": "+302101234567", "to": '
                                   '{"sip": "a@pbx.example.com:70000"}}'), "DP213",
                              ('"a@pbx', 1), "/verbs/0/to/sip"),
    "mp3": (plan('{"type": "PLAY", "fileURL": "https://c.example.com/a.mp3"}'), "DP302",
            ('"https:', 1), "/verbs/0/fileURL"),
    "plain http": (request(SAY, callback='{"url": "http://h.example.com/s"}'), "DP303",
                   ('"http:', 1), "/callback/url"),
    "alphanumeric sender": (request(SAY, **{"from": '"Clinic"'}), "DP304", ('"Clinic"', 1),
                            "/from"),
    "second COLLECT": (request(SAY, COLLECT, PAUSE, COLLECT), "DP305",
                       ('{"type": "COLLECT"', 2), "/dialPlan/verbs/3"),
    "after repeat forever": (plan('{"type": "PLAY", "fileURL": "https://c.example.com/a.wav", '
                                  '"repeat": -1}', PAUSE, SAY), "DP306",
                             ('{"type": "PAUSE"', 1), "/verbs/1"),
    "bargeIn without COLLECT": (plan('{"type": "SAY", "message": {"text": "Hi", "language": '
                                     '"en-GB"}, "bargeIn": true}', PAUSE), "DP307",
                                ("true", 1), "/verbs/0/bargeIn"),
    "DIAL ringing 90 s": (plan('{"type": "DIAL", "from": "+302101234567", "to": '
                               '{"phone": "+302107654321"}, "hangupDelay": 90}'), "DP308",
                          ("90", 1), "/verbs/0/hangupDelay"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_mapping(name):
    text, code, (needle, occurrence), pointer = CASES[name]
    found = the(code, text)
    assert (found.span.line, found.span.column) == position_of(text, needle, occurrence)
    where = f"(at {pointer})" if pointer else "(at the top level)"
    assert where in found.message, found.message
    assert found.severity is RULES[code].severity


def test_every_new_mapping_case_is_the_only_error_or_a_warning():
    """Each case is about one thing: it reports exactly one error (or, for a
    warning, no error at all)."""
    for name, (text, code, _, _) in CASES.items():
        found = errors(text)
        if RULES[code].severity.value == "error":
            assert [d.code for d in found] == [code], (name, found)
        else:
            assert found == [], (name, found)


def test_a_field_name_people_confuse_gets_its_real_name():
    found = the("DP220", request(SAY, '{"type": "PAUSE", "length": 3}'))
    assert found.message.startswith("'length' is not a PAUSE field; did you mean 'duration'?")
    # the missing `duration` is not reported on top of it
    assert len(errors(request(SAY, '{"type": "PAUSE", "length": 3}'))) == 1
    found = the("DP220", plan('{"type": "PLAY", "fileUrl": "https://c.example.com/a.wav"}'))
    assert "did you mean 'fileURL'?" in found.message


def test_language_suggestion_comes_from_the_checker():
    found = the("DP204", plan('{"type": "SAY", "message": {"text": "Hi", "language": "en_GB"}}'))
    assert "did you mean 'en-GB'?" in found.message
    assert found.label == "did you mean 'en-GB'?"


def test_quoted_values_say_how_to_write_them():
    assert "write 30 without quotes" in the("DP220", request(SAY, hangupDelay='"30"')).help
    text = plan('{"type": "SAY", "message": {"text": "Hi", "language": "en-GB"}, '
                '"bargeIn": "true"}', COLLECT)
    assert "write true without quotes" in the("DP220", text).help


def test_second_dial_points_at_each_extra_dial_with_the_first_related():
    text = plan(DIAL, SAY, DIAL, DIAL)
    found = [d for d in diagnostics(text) if d.code == "DP206"]
    assert [(d.span.line, d.span.column) for d in found] == [(4, 3), (5, 3)]
    assert all(d.related[0].span.line == 2 for d in found)


def test_neither_dialPlan_nor_dialPlanUrl():
    text = '{"from": "+302101234567", "to": {"phone": "+306912345678"}}'
    assert [(d.code, d.span.line, d.span.column) for d in errors(text)] == [("DP203", 1, 1)]


# --- reported once ---------------------------------------------------------------------

@pytest.mark.parametrize("text, code", [
    (request(SAY, to='{"phone": "+30 691 234 5678"}'), "DP211"),
    (request(SAY, **{"from": '"+12345678901234567"'}), "DP217"),
    (plan('{"type": "PLAY", "fileURL": "ftp://c.example.com/a.mp3"}'), "DP107"),
    (request(SAY, hangupDelay="75"), "DP208"),
    (plan(DIAL, DIAL), "DP206"),
])
def test_schema_and_semantic_report_once(text, code):
    assert [d.code for d in diagnostics(text)] == [code]


def test_http_mp3_gets_both_warnings():
    text = plan('{"type": "PLAY", "fileURL": "http://c.example.com/a.mp3"}')
    assert sorted(d.code for d in diagnostics(text)) == ["DP302", "DP303"]


# --- whole payloads ----------------------------------------------------------------------

def test_routee_example_has_only_the_expected_warnings():
    report = validate_json(ROUTEE_EXAMPLE, "routee.json")
    found = [(d.code, d.span.line, d.span.column) for d in report.diagnostics]
    assert found == [("DP304", 2, 11), ("DP303", 8, 37)]
    assert not any(d.is_error for d in report.diagnostics)
    assert report.path == "routee.json" and report.source == ROUTEE_EXAMPLE


@pytest.mark.parametrize("golden", GOLDEN, ids=lambda p: p.stem)
def test_golden_files_have_no_errors(golden):
    (report,) = validate_files([golden])
    assert [d for d in report.diagnostics if d.is_error] == []


def test_golden_files_warn_like_the_checker():
    found = {r.path: sorted({d.code for d in r.diagnostics}) for r in validate_files(GOLDEN)}
    assert {Path(p).stem: codes for p, codes in found.items()} == {
        "appointment-reminder": ["DP306"], "campaign-template": ["DP304"], "hosted-plan": [],
        "menu-answer": ["DP308"], "pin-prompt": [], "support-transfer": [],
        "delivery-window": []}


def test_every_diagnostic_names_its_pointer():
    text = request('{"type": "SAY", "message": {"text": "", "language": "xx"}, "bargeIn": 1}',
                   '{"type": "PAUSE", "length": 3}', DIAL, DIAL, COLLECT, COLLECT,
                   hangupDelay='"30"', machineDetection='{"strategy": "Continue"}')
    found = diagnostics(text)
    assert len(found) >= 8
    for diagnostic in found:
        assert "(at /" in diagnostic.message or "(at the top level)" in diagnostic.message


# --- invalid JSON -------------------------------------------------------------------------

@pytest.mark.parametrize("text, line, column, words", [
    ('{"verbs": [\n  {"type": "PAUSE", "duration": 2},\n]}\n', 2, 35, "trailing comma"),
    ('{"verbs": [\n  {"type": "PAUSE", "duration": 2}\n', 1, 11, "never closed"),
    ('{"verbs": [{"type": "PAUSE", "duration": 2}\n', 1, 11, "never closed"),
    ('{"verbs": [' + PAUSE + '],\n "verbs": [' + PAUSE + ']}\n', 2, 2, "duplicate key"),
    ("", 1, 1, "empty"),
    ("  \n\n", 1, 1, "empty"),
    ("[" * 5000 + "]" * 5000, 1, MAX_DEPTH + 1, "nested"),
    ('{"verbs": [1 2]}', 1, 14, "expected ',' or ']'"),
    ('{"verbs": [1]}}', 1, 15, "has ended"),
    ("{'verbs': []}", 1, 2, "double quotes"),
    ('{verbs: []}', 1, 2, "not in double quotes"),
    ('{"verbs": [True]}', 1, 12, "'True' is not JSON"),
    ('{"a": "x\\qy"}', 1, 9, "unknown escape"),
    ('{"a": "tab\there"}', 1, 11, "control character"),
    ('{"a": "open\n}', 1, 7, "unterminated string"),
    ('{"a": 01}', 1, 7, "cannot start with 0"),
    ('// comment\n{}', 1, 1, "no comments"),
    ('{"a": 1' + "0" * 5000 + "}", 1, 7, "too large"),
])
def test_invalid_json_is_a_diagnostic_with_a_position(text, line, column, words):
    found = diagnostics(text)
    assert found and all(d.code == "DP010" for d in found), found
    first = found[0]
    assert (first.span.line, first.span.column) == (line, column), first
    assert words in first.message


def test_a_duplicate_key_does_not_stop_validation():
    text = '{"verbs": [{"type": "PAUSE", "duration": 0, "duration": 2}, {"type": "PAUSE"}]}'
    assert [d.code for d in diagnostics(text)] == ["DP010", "DP220"]


def test_invalid_utf8_is_dp001_at_its_line_and_column():
    data = '{"verbs": [\n  {"type": "SAY", "message": {"text": "caf'.encode() + b"\xe9" + \
        b'", "language": "fr-FR"}}]}'
    report = validate_json(data, "latin1.json")
    assert report.source is None
    (found,) = report.diagnostics
    assert (found.code, found.span.line, found.span.column) == ("DP001", 2, 43)


def test_invalid_utf8_after_a_bom_counts_bytes_with_it_and_columns_without():
    (found,) = validate_json(b'\xef\xbb\xbf{"a": "\xff"}', "bom.json").diagnostics
    assert (found.code, found.span.line, found.span.column) == ("DP001", 1, 8)
    assert "(byte 10)" in found.message


def test_bytes_with_a_bom_are_fine():
    report = validate_json(b"\xef\xbb\xbf" + plan(PAUSE).encode(), "bom.json")
    assert report.diagnostics == ()


def test_utf16_is_dp001():
    (found,) = validate_json(plan(PAUSE).encode("utf-16"), "u16.json").diagnostics
    assert found.code == "DP001" and "UTF-16" in found.message


def test_unreadable_files_are_dp001(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(plan(PAUSE), encoding="utf-8")
    reports = validate_files([tmp_path / "missing.json", tmp_path, good])
    assert [[d.code for d in r.diagnostics] for r in reports] == [["DP001"], ["DP001"], []]
    assert [r.path for r in reports] == [str(tmp_path / "missing.json"), str(tmp_path), str(good)]


# --- positions count code points -----------------------------------------------------------

def test_positions_after_non_ascii_text():
    line = ('  {"type": "SAY", "message": {"text": "Καλησπέρα 😀 — ü", '
            '"language": "xx-XX"}},')
    text = '{"verbs": [\n' + line + '\n  {"type": "PAUSE", "duration": 2}\n]}'
    found = the("DP204", text)
    # "xx-XX" starts at code point 70 of the line (the emoji is one code point,
    # though two UTF-16 units and four UTF-8 bytes)
    assert (found.span.line, found.span.column, found.span.end_column) == (2, 70, 77)
    assert text[found.span.start:found.span.end] == '"xx-XX"'


def test_syntax_error_after_non_ascii_text():
    text = '{"verbs": [\n  {"text": "é😀中文", @}\n]}'
    (found,) = diagnostics(text)
    assert (found.code, found.span.line, found.span.column) == ("DP010", 2, 20)
    assert text[found.span.start] == "@"


def test_crlf_line_endings():
    text = plan(PAUSE, '{"type": "PAUSE", "duration": 0}').replace("\n", "\r\n")
    found = the("DP209", text)
    assert (found.span.line, found.span.column) == (3, 33)


def test_parse_json_maps_paths_to_values_and_keys():
    text = '{\n  "a": [1, {"b": "é"}],\n  "c": null\n}'
    parsed = parse_json(text, "x.json")
    assert parsed.ok and parsed.value == {"a": [1, {"b": "é"}], "c": None}
    spans = {path: text[s.start:s.end] for path, s in parsed.spans.items()}
    assert spans == {(): text, ("a",): '[1, {"b": "é"}]', ("a", 0): "1",
                     ("a", 1): '{"b": "é"}', ("a", 1, "b"): '"é"', ("c",): "null"}
    keys = {path: (s.line, s.column) for path, s in parsed.key_spans.items()}
    assert keys == {("a",): (2, 3), ("a", 1, "b"): (2, 13), ("c",): (3, 3)}
    assert json_pointer(("a/b", "m~n", 0)) == "/a~1b/m~0n/0"


# --- properties ------------------------------------------------------------------------------

PHONES = ("+306912345678", "+302101234567", "+302107654321", "+442079460958",
          "+4915123456789", "+33612345678", "+14155552671")
SENDERS = PHONES + ('"Clinic"',)
TEXT = st.text(string.ascii_letters + string.digits + " .,!?'-\"\\{}éüΩжλ中文😀€",
               min_size=1, max_size=40).filter(lambda t: t.strip())


def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("{", "{{").replace("}", "}}")
    return f'"{escaped}"'


@st.composite
def say(draw):
    line = f"say {quote(draw(TEXT))} in {draw(st.sampled_from(LANGUAGES))}"
    if draw(st.booleans()):
        line += f" as {draw(st.sampled_from(('male', 'female')))}"
    if draw(st.booleans()):
        line += f" repeat {draw(st.sampled_from(('0', '1', '3', 'forever')))}"
    if draw(st.booleans()):
        line += " interruptible"
    return line


@st.composite
def url(draw, suffix=""):
    scheme = draw(st.sampled_from(("https", "http")))
    name = draw(st.text(string.ascii_lowercase, min_size=1, max_size=6))
    return f'"{scheme}://h.example.com/{name}{suffix}"'


VERB = st.one_of(
    say(),
    st.builds(lambda u, r: f"play {u}" + (" repeat 2" if r else ""), url(".wav"), st.booleans()),
    st.builds(lambda s: f"pause {s}s", st.integers(1, 120)),
    st.builds(lambda u, n, h: f"collect to {u}" + (f" max {n} digits" if n else "")
              + (" submit on hash" if h else ""), url(), st.integers(0, 8), st.booleans()),
)


@st.composite
def call_sources(draw):
    lines = []
    call = draw(st.booleans())
    if call:
        lines += [f"from {draw(st.sampled_from(SENDERS))}",
                  f"to {draw(st.sampled_from(PHONES))}"]
        if draw(st.booleans()):
            lines.append(f"ring {draw(st.integers(1, 60))}s")
    lines += draw(st.lists(VERB, min_size=1, max_size=6))
    if draw(st.booleans()):
        ring = draw(st.integers(1, 90))
        lines.append(f"dial {draw(st.sampled_from(PHONES))} from "
                     f"{draw(st.sampled_from(PHONES))} ring {ring}s")
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call_sources(), st.booleans())
def test_compiled_payloads_validate(source, ascii_only):
    result = compile_source(source, "gen.call")
    assert result.ok, (source, result.diagnostics)
    text = json.dumps(result.payload, indent=2, ensure_ascii=ascii_only)
    report = validate_json(text, "gen.json")
    assert [d for d in report.diagnostics if d.is_error] == [], (source, text)
    # the same warnings as the checker gave the script
    assert {d.code for d in report.diagnostics} == \
        {d.code for d in result.diagnostics} - {"DP309", "DP310"}, (source, text)


FIELDS = ("type", "verbs", "dialPlan", "dialPlanUrl", "from", "to", "phone", "sip", "viber",
          "message", "text", "language", "gender", "repeat", "bargeIn", "fileURL", "duration",
          "eventUrl", "maxDigits", "submitOnHash", "hangupDelay", "maxDuration", "callback",
          "url", "strategy", "machineDetection", "record", "recordingFormat", "length")
WORDS = ("SAY", "PLAY", "PAUSE", "COLLECT", "DIAL", "en-GB", "en-gb", "Continue", "Hangup",
         "+306912345678", "306912345678", "+99912345678", "a@b.example", "http://x.example/a",
         "https://x.example/a.wav", "true", "30", "")
SCALARS = (st.none() | st.booleans() | st.integers(-3, 100) | st.integers()
           | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(WORDS) | st.text())
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), children, max_size=6),
    max_leaves=30)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES, st.sampled_from((None, 0, 2)))
def test_validate_json_never_raises_on_json(value, indent):
    text = json.dumps(value, indent=indent)
    report = validate_json(text, "r.json")
    for diagnostic in report.diagnostics:
        assert diagnostic.code in RULES
        assert diagnostic.span.line >= 1 and diagnostic.span.column >= 1
        assert diagnostic.code != "DP010"


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=60), st.binary(max_size=60),
                 st.text('{}[],:"0123456789.-etruflasn \n\\', max_size=40)))
def test_validate_json_never_raises_on_anything(data):
    report = validate_json(data, "r.json")
    for diagnostic in report.diagnostics:
        assert diagnostic.span.line >= 1 and diagnostic.span.column >= 1


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, path + (index,))


@st.composite
def mutated_payloads(draw):
    """A golden payload with one value replaced, one member removed or one added."""
    payload = json.loads(draw(st.sampled_from(GOLDEN)).read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(payload) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = payload
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(("replace", "remove", "add")))
        if action == "replace":
            parent[path[-1]] = draw(JSON_VALUES)
        elif action == "remove":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(FIELDS))] = draw(JSON_VALUES)
        else:
            parent.insert(path[-1], draw(JSON_VALUES))
    return payload


@settings(max_examples=200, deadline=None)
@given(mutated_payloads())
def test_validate_json_never_raises_on_broken_payloads(payload):
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    report = validate_json(text, "m.json")
    for diagnostic in report.diagnostics:
        assert diagnostic.code in RULES
        assert 1 <= diagnostic.span.line <= text.count("\n") + 1
        assert "(at /" in diagnostic.message or "(at the top level)" in diagnostic.message
