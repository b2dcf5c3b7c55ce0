"""`dialplan decompile`: golden files, Routee's documented examples, every
kind of JSON the language cannot write, the command line, and the property
compile(decompile(P)) == P for generated valid payloads (hypothesis) that
cover every verb, every optional field and every language.

Regenerate the expected `.call` files after an intended change with
`DIALPLAN_UPDATE_GOLDEN=1 pytest tests/test_decompiler.py` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialplan_compiler import cli, compile_source, schemas
from dialplan_compiler.decompiler import decompile
from dialplan_compiler.emitter import to_json
from dialplan_compiler.formatter import format_text
from dialplan_compiler.routee import LANGUAGES

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden_decompile"
CASES = sorted(GOLDEN.glob("*.json"))
ROUTEE_NOTES = HERE.parent.parent / "shared" / "ROUTEE.md"

#: Golden inputs that Routee or the language rejects, with the error codes
#: expected (the .call is still written). The others must have no error and
#: compile back to exactly their JSON.
EXPECTED_ERRORS = {
    "doc-style-strings": ["DP220", "DP220", "DP220"],
    "routee-reference-verb": ["DP010", "DP220", "DP220"],
    "rejected-by-routee": ["DP204", "DP206", "DP208", "DP209", "DP211"],
    "inexpressible": ["DP220", "DP220", "DP220", "DP401", "DP401", "DP401", "DP401", "DP401",
                      "DP401", "DP401", "DP401"],
}

PROPERTY = settings(max_examples=1000, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def errors(result) -> list[str]:
    return sorted(d.code for d in result.diagnostics if d.is_error)


def back(text: str):
    return compile_source(text, "back.call").payload


# --- golden files --------------------------------------------------------------------------

@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_golden(path: Path):
    result = decompile(path.read_bytes(), path.name)
    expected = path.with_suffix(".call")
    if os.environ.get("DIALPLAN_UPDATE_GOLDEN"):
        expected.write_text(result.text, encoding="utf-8")
    assert result.text == expected.read_text(encoding="utf-8")
    assert format_text(result.text) == result.text
    assert errors(result) == EXPECTED_ERRORS.get(path.stem, [])
    if path.stem not in EXPECTED_ERRORS:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if "type" in payload:   # a single verb: its script compiles to the plan around it
            payload = {"verbs": [payload]}
        assert back(result.text) == payload


def test_there_are_golden_files():
    assert len(CASES) >= 8
    assert {p.stem for p in CASES} >= set(EXPECTED_ERRORS)


def test_string_numbers_from_the_documentation_come_out_as_numbers():
    """Routee's docs quote numbers and booleans as strings; Routee rejects
    them (DP220), and the .call written compiles to what was meant."""
    path = GOLDEN / "doc-style-strings.json"
    payload = json.loads(path.read_text())
    verbs = payload["dialPlan"]["verbs"]
    verbs[1]["duration"], verbs[2]["maxDigits"], verbs[2]["submitOnHash"] = 10, 4, True
    assert back(decompile(path.read_text(), path.name).text) == payload


def routee_examples() -> list[str]:
    """The JSON examples of the project's Routee notes (../shared/ROUTEE.md,
    beside this repository). golden_decompile/routee-pin-prompt.json keeps
    a copy of the one it has today, for clones that lack the notes."""
    if not ROUTEE_NOTES.is_file():
        return []
    text = ROUTEE_NOTES.read_text(encoding="utf-8")
    return re.findall(r"```json\n(.*?)```", text, re.S)


def test_routee_notes_have_examples():
    if not ROUTEE_NOTES.is_file():
        pytest.skip(f"{ROUTEE_NOTES} is not beside this clone")
    examples = [json.loads(e) for e in routee_examples()]
    assert examples
    assert json.loads((GOLDEN / "routee-pin-prompt.json").read_text()) in examples


@pytest.mark.parametrize("index", range(len(routee_examples())))
def test_every_example_in_the_routee_notes_compiles_back_to_itself(index):
    source = routee_examples()[index]
    result = decompile(source, "ROUTEE.md")
    assert errors(result) == [], result.diagnostics
    assert back(result.text) == json.loads(source)


@pytest.mark.parametrize("golden", sorted((HERE / "golden").glob("*.json")), ids=lambda p: p.stem)
def test_compiled_examples_decompile_and_compile_back(golden: Path):
    result = decompile(golden.read_text(encoding="utf-8"), golden.name)
    assert errors(result) == []
    assert back(result.text) == json.loads(golden.read_text(encoding="utf-8"))


# --- what the output looks like -------------------------------------------------------------

def plan(*verbs) -> str:
    return json.dumps({"verbs": list(verbs)})


def say(text="Hi.", language="en-GB", gender=None, **extra) -> dict:
    message = {"text": text, "language": language}
    if gender:
        message["gender"] = gender
    return {"type": "SAY", "message": message, **extra}


def body(result) -> list[str]:
    return result.text.splitlines()[1:]


def test_header_names_the_source_file_without_its_directory():
    assert decompile(plan(say()), "/var/log/calls/x.json").text.splitlines()[0] == \
        "# decompiled from x.json"
    assert decompile(plan(say()), "-").text.splitlines()[0] == "# decompiled from <stdin>"
    assert decompile(plan(say()), "a\nb.json").text.splitlines()[0] == "# decompiled from a?b.json"


def test_voice_line_for_a_run_of_says_sharing_language_and_gender():
    result = decompile(plan(say("a", gender="male"), {"type": "PAUSE", "duration": 1},
                            say("b", gender="male"), say("c", "fr-FR", "female")), "x.json")
    assert body(result) == ["voice en-GB male", 'say "a"', "pause 1s", 'say "b"',
                            'say "c" in fr-FR as female']
    assert back(result.text)["verbs"][3]["message"] == {"text": "c", "language": "fr-FR",
                                                        "gender": "female"}


def test_a_say_without_gender_after_a_gendered_voice_gets_a_voice_line():
    result = decompile(plan(say("a", gender="female"), say("b", gender="female"), say("c")),
                       "x.json")
    assert body(result) == ["voice en-GB female", 'say "a"', 'say "b"', "voice en-GB", 'say "c"']


def test_no_voice_line_for_a_single_say():
    assert body(decompile(plan(say()), "x.json")) == ['say "Hi." in en-GB']


def test_no_voice_line_when_a_say_lacks_a_language():
    result = decompile(plan(say("a"), say("b"), {"type": "SAY", "message": {"text": "c"}}),
                       "x.json")
    assert body(result) == ['say "a" in en-GB', 'say "b" in en-GB', 'say "c"']
    assert errors(result) == ["DP205"]           # the validator: a SAY needs a language


def test_durations_in_the_largest_exact_units():
    result = decompile(plan(*({"type": "PAUSE", "duration": s} for s in (90, 60, 3600, 5401))),
                       "x.json")
    assert body(result) == ["pause 1m30s", "pause 1m", "pause 1h", "pause 1h30m1s"]


def test_dial_leaves_out_the_call_sender():
    payload = {"from": "+302101234567", "to": {"phone": "+306912345678"}, "dialPlan": {"verbs": [
        {"type": "DIAL", "from": "+302101234567", "to": {"phone": "+302107654321"}}]}}
    result = decompile(json.dumps(payload), "x.json")
    assert body(result)[-1] == "dial +302107654321"
    assert back(result.text) == payload


def test_bare_plan_with_a_request_body_key_is_a_plan():
    result = decompile(json.dumps({"verbs": [say()], "from": "+302101234567"}), "x.json")
    assert "DP401" in errors(result)
    assert "# not decompiled: /from = \"+302101234567\"" in result.text


# --- what cannot be written --------------------------------------------------------------------

@pytest.mark.parametrize("verb, pointer, line", [
    ({"type": "SAY", "message": {"text": "a", "language": "en-GB"}, "bargeIn": False},
     "/verbs/0/bargeIn", '# not decompiled: /verbs/0/bargeIn = false'),
    ({"type": "SAY", "message": {"text": "a\rb", "language": "en-GB"}},
     "/verbs/0/message/text", '# not decompiled: /verbs/0/message/text = "a\\rb"'),
    ({"type": "SAY", "message": {"text": "a", "language": "en-GB", "gender": "fe male"}},
     "/verbs/0/message/gender", None),
    ({"type": "SAY", "message": {"text": 5, "language": "en-GB"}}, "/verbs/0/message/text", None),
    ({"type": "PLAY", "fileURL": "https://c.example.com/a.wav", "loop": 2}, "/verbs/0/loop", None),
    ({"type": "PAUSE", "duration": 1.5}, "/verbs/0/duration", None),
    ({"type": "PAUSE", "duration": -3}, "/verbs/0/duration", None),
    ({"type": "COLLECT", "eventUrl": "https://h.example.com/k", "submitOnHash": False},
     "/verbs/0/submitOnHash", None),
    ({"type": "COLLECT"}, "/verbs/0", None),
    ({"type": "HANGUP"}, "/verbs/0/type", '# not decompiled: /verbs/0/type = {"type": "HANGUP"}'),
    ({"message": "hi"}, "/verbs/0", None),
    ({"type": "DIAL", "from": "+302101234567", "to": {"phone": "+302107654321"},
      "recordingCallbackUrl": "https://h.example.com/r"}, "/verbs/0/recordingCallbackUrl", None),
    ({"type": "DIAL", "from": "+302101234567", "to": {"phone": "+302107654321"},
      "record": True, "recordingFormat": "OGG"}, "/verbs/0/recordingFormat", None),
    ({"type": "DIAL", "from": "+302101234567", "to": {"phone": "+302107654321", "sip": "a@b.c"}},
     "/verbs/0/to/sip", None),
    ({"type": "DIAL", "from": "+302101234567", "to": {"email": "a@b.c"}}, "/verbs/0/to/email", None),
    ({"type": "DIAL", "from": "+302101234567", "to": {"phone": "+302107654321"},
      "machineDetection": {"strategy": "Hangup", "eventUrl": "https://h.example.com/a"}},
     "/verbs/0/machineDetection/eventUrl", None),
    ({"type": "DIAL", "from": "+302101234567", "to": {"phone": "+302107654321"},
      "machineDetection": {"strategy": "Ignore"}}, "/verbs/0/machineDetection/strategy", None),
    ({"type": "DIAL", "from": "+302101234567", "to": {"phone": "+302107654321"},
      "callback": {"url": "https://h.example.com/c", "strategy": "Always"}},
     "/verbs/0/callback/strategy", None),
    ({"type": "DIAL", "from": "+302101234567", "to": {"phone": "+302107654321"},
      "callback": {"url": "https://h.example.com/c"}}, "/verbs/0/callback", None),
    ({"type": "DIAL", "from": "+30 210 1234567", "to": {"phone": "+302107654321"}},
     "/verbs/0/from", None),
])
def test_what_the_language_cannot_write_is_an_error_naming_the_pointer(verb, pointer, line):
    source = plan(verb)
    result = decompile(source, "x.json")
    found = [d for d in result.diagnostics if d.code == "DP401"]
    assert found, result.diagnostics
    assert any(f"(at {pointer})" in d.message for d in found), [d.message for d in found]
    assert result.text is not None
    if line:
        assert line in result.text.splitlines()
    for d in found:                       # a real position in the JSON, and a way out
        assert d.span.file == "x.json" and d.span.line == 1 and d.span.column >= 1
        assert d.label


def test_position_of_an_unknown_field_is_its_key():
    source = '{"verbs": [\n  {"type": "PAUSE",\n   "length": 2}\n]}\n'
    [d] = [d for d in decompile(source, "x.json").diagnostics if d.code == "DP401"]
    assert (d.span.line, d.span.column, d.span.end_column) == (3, 4, 12)
    assert d.message == ("'length' is not a field of a PAUSE verb, and the .call language "
                         "has nothing to write it with (at /verbs/0/length)")
    assert d.help == "the fields are: duration"


@pytest.mark.parametrize("source, code", [
    ('{"verbs": [', "DP010"),
    ("[1, 2]", "DP220"),
    ('"text"', "DP220"),
    (b'{"verbs": "\xff"}', "DP001"),
    (b"\xff\xfe{", "DP001"),
    ("", "DP010"),
])
def test_input_that_is_not_a_json_object_writes_nothing(source, code):
    result = decompile(source, "x.json")
    assert code in errors(result)
    assert result.text is None and not result.ok


def test_duplicate_key_is_reported_and_the_last_value_decompiled():
    result = decompile('{"verbs": [{"type": "PAUSE", "duration": 1, "duration": 2}]}', "x.json")
    assert errors(result) == ["DP010"]
    assert body(result) == ["pause 2s"]


def test_json_placeholders_stay_literal():
    payload = {"verbs": [say("Hello {name}, {{x}}}")]}
    result = decompile(json.dumps(payload), "x.json")
    assert 'say "Hello {{name}}, {{{{x}}}}}}" in en-GB' in result.text
    assert back(result.text) == payload


def test_every_language_and_gender():
    payload = {"verbs": [say(f"{lang}-{g}", lang, g) for lang in LANGUAGES
                         for g in (None, "male", "female")]}
    result = decompile(json.dumps(payload), "x.json")
    assert errors(result) == []
    assert back(result.text) == payload


# --- the command line ---------------------------------------------------------------------------

def run(*args, input=None):
    return CliRunner().invoke(cli.main, [str(a) for a in args], input=input)


PIN = GOLDEN / "routee-pin-prompt.json"
HOSTED = GOLDEN / "hosted-plan.json"


def test_cli_decompile_prints_the_call_and_the_validators_warnings():
    result = run("decompile", PIN, "--color", "never")
    assert result.exit_code == 0, result.output
    assert result.stdout == (GOLDEN / "routee-pin-prompt.call").read_text()
    assert "warning[DP304]" in result.stderr and "routee-pin-prompt.json:2:11" in result.stderr
    assert "0 errors, 2 warnings in 1 file" in result.stderr


def test_cli_decompile_output_file_then_compile_gives_the_json_back(tmp_path):
    out = tmp_path / "hosted.call"
    result = run("decompile", HOSTED, "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and result.stderr == ""
    compiled = run("compile", out)
    assert compiled.exit_code == 0
    assert json.loads(compiled.stdout) == json.loads(HOSTED.read_text())


def test_cli_decompile_several_files_into_a_directory(tmp_path):
    out = tmp_path / "calls"
    result = run("decompile", PIN, HOSTED, "-o", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["hosted-plan.call", "routee-pin-prompt.call"]


def test_cli_decompile_usage_errors(tmp_path):
    assert run("decompile", PIN, HOSTED).exit_code == 2
    assert run("decompile").exit_code == 2
    assert run("decompile", tmp_path / "missing.json").exit_code == 2
    twin = tmp_path / "a" / "routee-pin-prompt.json"
    twin.parent.mkdir()
    twin.write_text(PIN.read_text())
    clash = run("decompile", PIN, twin, "-o", tmp_path / "out")
    assert clash.exit_code == 2 and "routee-pin-prompt.call" in clash.output
    afile = tmp_path / "file"
    afile.write_text("")
    assert run("decompile", PIN, HOSTED, "-o", afile).exit_code == 2


def test_cli_decompile_stdin_with_errors_still_writes_the_call():
    source = '{"verbs": [{"type": "SAY", "message": {"text": "Hi", "language": "en-gb"}}]}'
    result = run("decompile", "-", "--color", "never", input=source)
    assert result.exit_code == 1
    assert result.stdout == '# decompiled from <stdin>\nsay "Hi" in en-gb\n'
    assert "error[DP204]" in result.stderr and "<stdin>:1:66" in result.stderr
    assert "did you mean 'en-GB'?" in result.stderr


def test_cli_decompile_invalid_json_writes_nothing(tmp_path):
    out = tmp_path / "x.call"
    result = run("decompile", "-", "-o", out, "--color", "never", input='{"verbs": [')
    assert result.exit_code == 1
    assert not out.exists()
    assert "error[DP010]" in result.stderr and "<stdin>:1:11" in result.stderr
    assert "Traceback" not in result.output


def test_cli_decompile_inexpressible_field_is_an_error_and_kept_as_a_comment():
    result = run("decompile", "-", "--color", "never",
                 input=plan({"type": "PAUSE", "duration": 2, "unit": "s"}))
    assert result.exit_code == 1
    assert "# not decompiled: /verbs/0/unit = \"s\"" in result.stdout
    assert "error[DP401]" in result.stderr
    assert "not written to the .call" in result.stderr


# --- the property ---------------------------------------------------------------------------------

PHONES = ("+306912345678", "+302101234567", "+302107654321", "+442079460958", "+14155552671",
          "+4915123456789", "+33612345678")
URLS = ("https://hooks.example.com/k", "https://h.example.com/a?b=c&d={e}", "http://x.example.org/p",
        "https://10.0.0.1:8443/r")
WAVS = ("https://cdn.example.com/a.wav", "https://cdn.example.com/music/b.WAV")
SENDERS = PHONES + ("306900000000", "1234", "Example Clinic", "ACME")
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\r\x00",
                             exclude_categories=("Cs",)), min_size=1, max_size=12)


def maybe(draw, value) -> dict:
    return value if draw(st.booleans()) else {}


@st.composite
def targets(draw) -> dict:
    kind = draw(st.sampled_from(("phone", "sip", "viber")))
    if kind == "phone":
        return {"phone": draw(st.sampled_from(PHONES))}
    if kind == "sip":
        return {"sip": draw(st.sampled_from(("alice@pbx.example.com:5060", "b.o-b@10.0.0.1",
                                             "support@pbx.example.com")))}
    return {"viber": draw(st.sampled_from(("306971234567", "447911123456")))}


@st.composite
def callbacks(draw) -> dict:
    return {"url": draw(st.sampled_from(URLS)),
            "strategy": draw(st.sampled_from(("OnChange", "OnCompletion")))}


@st.composite
def machines(draw) -> dict:
    if draw(st.booleans()):
        return {"strategy": "Hangup"}
    return {"strategy": "Continue", "eventUrl": draw(st.sampled_from(URLS))}


def playback(draw) -> dict:
    return {**maybe(draw, {"repeat": draw(st.integers(-1, 5))}), **maybe(draw, {"bargeIn": True})}


@st.composite
def verbs(draw, kind: str, call_sender: str | None) -> dict:
    if kind == "SAY":
        message = {"text": draw(TEXT), "language": draw(st.sampled_from(LANGUAGES)),
                   **maybe(draw, {"gender": draw(st.sampled_from(("male", "female")))})}
        return {"type": "SAY", "message": message, **playback(draw)}
    if kind == "PLAY":
        return {"type": "PLAY", "fileURL": draw(st.sampled_from(WAVS)), **playback(draw)}
    if kind == "PAUSE":
        return {"type": "PAUSE", "duration": draw(st.integers(1, 100_000))}
    if kind == "COLLECT":
        return {"type": "COLLECT", "eventUrl": draw(st.sampled_from(URLS)),
                **maybe(draw, {"maxDigits": draw(st.integers(1, 30))}),
                **maybe(draw, {"submitOnHash": True})}
    sender = call_sender if call_sender and draw(st.booleans()) else draw(st.sampled_from(SENDERS))
    dial = {"type": "DIAL", "from": sender, "to": draw(targets()),
            **maybe(draw, {"hangupDelay": draw(st.integers(1, 120))}),
            **maybe(draw, {"maxDuration": draw(st.integers(1, 86_400))}),
            **maybe(draw, {"callback": draw(callbacks())})}
    if draw(st.booleans()):
        dial["record"] = True
        dial.update(maybe(draw, {"recordingFormat": draw(st.sampled_from(("WAV", "MP3")))}))
        dial.update(maybe(draw, {"recordingCallbackUrl": draw(st.sampled_from(URLS))}))
    dial.update(maybe(draw, {"machineDetection": draw(machines())}))
    return dial


@st.composite
def payloads(draw) -> dict:
    """A payload Routee accepts, built from the schemas' constraints."""
    shape = draw(st.sampled_from(("request", "request", "hosted", "plan")))
    sender = draw(st.sampled_from(SENDERS)) if shape != "plan" else None
    kinds = draw(st.lists(st.sampled_from(("SAY", "SAY", "PLAY", "PAUSE", "COLLECT", "DIAL")),
                          min_size=1, max_size=6))
    kinds = [k for i, k in enumerate(kinds) if k != "DIAL" or "DIAL" not in kinds[:i]]
    plan_ = {"verbs": [draw(verbs(kind, sender)) for kind in kinds]}
    if shape == "plan":
        return plan_
    request = {"from": sender, "to": draw(targets())}
    if shape == "hosted":
        request["dialPlanUrl"] = draw(st.sampled_from(URLS))
    else:
        request["dialPlan"] = plan_
    request.update(maybe(draw, {"hangupDelay": draw(st.integers(1, 60))}))
    request.update(maybe(draw, {"maxDuration": draw(st.integers(1, 86_400))}))
    request.update(maybe(draw, {"callback": draw(callbacks())}))
    request.update(maybe(draw, {"machineDetection": draw(machines())}))
    return request


@PROPERTY
@given(payloads())
def test_property_compile_of_decompile_is_the_payload(payload):
    assert schemas.validate(payload, schemas.schema_for(payload)) == []
    result = decompile(to_json(payload), "p.json")
    assert errors(result) == [], [(d.code, d.message) for d in result.diagnostics]
    assert back(result.text) == payload


KEYS = st.sampled_from(["verbs", "type", "message", "text", "language", "gender", "repeat", "bargeIn",
                        "fileURL", "duration", "eventUrl", "maxDigits", "submitOnHash", "from", "to",
                        "phone", "sip", "viber", "hangupDelay", "callback", "url", "strategy",
                        "record", "recordingFormat", "machineDetection", "dialPlan", "x"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 100_000), st.floats(allow_nan=False),
                    st.sampled_from(("SAY", "PLAY", "PAUSE", "COLLECT", "DIAL", "en-GB", "en-gb",
                                     "Female", "OnCompletion", "Continue", "mp3", "+302101234567",
                                     "https://a.example.com/x", "10", "true", "", "a\rb", "{x}")),
                    st.text(max_size=4))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(KEYS, inner, max_size=5)),
                    max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(JSON, st.builds(lambda v: {"verbs": v},
                                 st.lists(st.dictionaries(KEYS, JSON, max_size=6), max_size=4))))
def test_property_any_json_decompiles_without_raising(value):
    result = decompile(json.dumps(value), "any.json")
    if result.text is not None:
        assert format_text(result.text) == result.text
    if result.ok:
        assert back(result.text) == value
    else:
        assert all(d.span.line >= 1 and d.span.column >= 1 for d in result.diagnostics)
