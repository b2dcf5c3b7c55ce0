"""`dialplan validate` knows what it was given: a request body, a dialplan,
a single verb, or (with `--kind event`) one of the bodies Routee sends, and
judges each as that kind. Routee's own invalid examples each get one
precise diagnostic with its fix.

The golden cases are in golden_kinds/: `auto/` is validated as the command
recognises it, `event/` with `--kind event`; each NAME.json has the text
output beside it in NAME.out. To update them after a deliberate change,
run `DIALPLAN_UPDATE_GOLDEN=1 pytest tests/test_validator_kinds.py` and
review the diff.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialplan_compiler import cli, compile_source
from dialplan_compiler.decompiler import decompile
from dialplan_compiler.diagnostics import Fix
from dialplan_compiler.schemas import load_schema
from dialplan_compiler.validator import (BODY, CALLBACK, DIALPLAN, EVENT, KIND_CHOICES, KINDS,
                                         PLAN_REQUEST, VERB, recognise, validate_files,
                                         validate_json)
from calls.test_standin import Receiver
from helpers import APP_ID, SECRET, SENDER
from dialplan_compiler.jsonpos import parse_json
from test_validator import JSON_VALUES, call_sources, mutated_payloads, position_of

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden_kinds"
CASES = sorted(GOLDEN.glob("*/*.json"))


def run(*args, cwd: Path | None = None):
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(cli.main, [str(a) for a in args])
    finally:
        os.chdir(old)


# --- golden cases, through the command line ----------------------------------------------------

@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden(path: Path):
    kind = "event" if path.parent.name == "event" else "auto"
    result = run("validate", "--kind", kind, "--color", "never", path.name, cwd=path.parent)
    expected = path.with_suffix(".out")
    if os.environ.get("DIALPLAN_UPDATE_GOLDEN"):
        expected.write_text(result.output, encoding="utf-8")
    assert result.output == expected.read_text(encoding="utf-8")
    report = validate_json(path.read_bytes(), path.name, kind=kind)
    assert result.exit_code == (1 if any(d.is_error for d in report.diagnostics) else 0)
    # the kind line comes first, then the findings
    assert result.output.splitlines()[0] == f"{path.name}: {report.judged_as}"


def test_there_is_a_golden_case_of_each_kind():
    judged = {validate_json(p.read_bytes(), p.name,
                            kind="event" if p.parent.name == "event" else "auto").kind
              for p in CASES}
    assert judged == set(KINDS.values())


def test_every_golden_diagnostic_has_a_position_and_a_help():
    for path in CASES:
        kind = "event" if path.parent.name == "event" else "auto"
        for diagnostic in validate_json(path.read_bytes(), path.name, kind=kind).diagnostics:
            assert diagnostic.span.file == path.name
            assert diagnostic.span.line >= 1 and diagnostic.span.column >= 1
            assert diagnostic.help, (path.name, diagnostic)


# --- Routee's own invalid examples: one precise diagnostic each ---------------------------------

DIAL = '{\n  "type": "DIAL",\n  "from": "+302101234567",\n  "to": {"phone": "+306912345678"}%s\n}\n'
COLLECT = '{\n  "type": "COLLECT",\n  "eventUrl": "https://hooks.example.com/keys"%s\n}\n'
BODY_TEXT = ('{\n  "from": "+302101234567",\n  "to": {"phone": "+306912345678"},%s\n'
             '  "dialPlan": {"verbs": [{"type": "PAUSE", "duration": 2}]}\n}\n')

#: name → (JSON, code, text at the diagnostic, words of its message, the fix or None)
ROUTEE_MISTAKES = {
    "record as a string": (DIAL % ',\n  "record": "true"', "DP220", '"true"',
                           '\'record\' is the string "true", not a boolean: "true" → true',
                           "true"),
    "submitOnHash as a string": (COLLECT % ',\n  "submitOnHash": "false"', "DP220", '"false"',
                                 '"false" → false', "false"),
    "hangupDelay as a string": (BODY_TEXT % '\n  "hangupDelay": "30",', "DP220", '"30"',
                                '\'hangupDelay\' is the string "30", not a number: "30" → 30',
                                "30"),
    "callback as a string": (BODY_TEXT % '\n  "callback": ":https://hooks.example.com/s",',
                             "DP220", '":https', "callback must be an object {url, strategy}",
                             None),
    "a DIAL's callback as a string": (DIAL % ',\n  "callback": ":https://hooks.example.com/s"',
                                      "DP220", '":https',
                                      "callback must be an object {url, strategy}", None),
    "trailing comma": (COLLECT % ',\n  "maxDigits": 4,', "DP010", ",\n}",
                       "trailing comma before '}'", None),
    "placeholder recipient": (DIAL.replace("+306912345678", "+3069xxxxxxxx") % "", "DP211",
                              '"+3069x', "'+3069xxxxxxxx' is not a number: a placeholder?",
                              None),
    "placeholder sender": (DIAL.replace("+302101234567", "+30210xxxxxxx") % "", "DP217",
                           '"+30210x', "'+30210xxxxxxx' is not a number: a placeholder?", None),
    "placeholder in a request body": (BODY_TEXT.replace("+306912345678", "+30 69X XXX XXXX")
                                      % "", "DP211", '"+30 69X',
                                      "is not a number: a placeholder?", None),
}


@pytest.mark.parametrize("name", list(ROUTEE_MISTAKES))
def test_each_routee_mistake_is_one_precise_diagnostic(name):
    text, code, needle, words, fix = ROUTEE_MISTAKES[name]
    (found,) = validate_json(text, "routee.json").diagnostics
    assert found.code == code
    assert words in found.message
    assert (found.span.line, found.span.column) == position_of(text, needle)
    assert found.help
    if fix is not None:
        assert found.fixes == (Fix(found.span, fix),)
        start, end = found.span.start, found.span.end
        fixed = text[:start] + fix + text[end:]
        assert validate_json(fixed, "fixed.json").diagnostics == ()


def test_a_callback_string_gets_the_object_to_write_with_its_url():
    text = BODY_TEXT % '\n  "callback": ":https://hooks.example.com/s",'
    (found,) = validate_json(text, "routee.json").diagnostics
    assert found.help.startswith('write "callback": {"url": "https://hooks.example.com/s", '
                                 '"strategy": "OnChange"}')


def test_the_bare_dial_verb_of_routee_s_reference_is_valid_as_a_verb():
    report = validate_json(DIAL % "", "dial.json")
    assert (report.kind, report.judged_as, report.diagnostics) == \
        (VERB, "a single verb (DIAL)", ())


def test_a_to_given_as_a_string_says_which_object_to_write():
    text = BODY_TEXT.replace('{"phone": "+306912345678"}', '"+306912345678"') % ""
    (found,) = validate_json(text, "to.json").diagnostics
    assert "`to` must be an object {phone | sip | viber}" in found.message
    assert found.help == 'write "to": {"phone": "+306912345678"}'


# --- recognising, and being told -----------------------------------------------------------------

@pytest.mark.parametrize("payload, asked, kind", [
    ({"from": "x", "to": {}, "dialPlan": {}}, "auto", BODY),
    ({"verbs": []}, "auto", DIALPLAN),
    ([{"type": "PAUSE"}], "auto", DIALPLAN),
    ({"type": "DIAL", "from": "x", "to": {}}, "auto", VERB),
    ({"from": "x", "to": {}, "type": "call", "dialPlanUrl": "u"}, "auto", BODY),
    ({}, "auto", BODY),
    ("text", "auto", BODY),
    ({"messageId": "m", "conversationTrackingId": "c", "from": "a", "to": "b"}, "event",
     PLAN_REQUEST),
    ({"messageId": "m", "collectedTones": ""}, "event", EVENT),
    ({"messageId": "m", "status": {"name": "Busy"}}, "event", CALLBACK),
    ({"type": "DIAL"}, "body", BODY),
    ({"verbs": []}, "callback", CALLBACK),
])
def test_recognise(payload, asked, kind):
    assert recognise(payload, asked) is kind


def test_a_forced_kind_is_judged_as_that_kind():
    report = validate_json(DIAL % "", "dial.json", kind="body")
    assert report.kind is BODY
    assert "DP203" in {d.code for d in report.diagnostics}   # a body needs a plan


def test_an_unknown_kind_is_a_value_error():
    with pytest.raises(ValueError, match="kind must be one of"):
        validate_json("{}", kind="verbs")


def test_the_command_offers_exactly_the_kinds_of_the_validator():
    assert cli.VALIDATE_KINDS == KIND_CHOICES
    result = run("validate", "--kind", "verbs", GOLDEN / "auto" / "verb-dial.json")
    assert result.exit_code == 2 and "'verbs' is not one of" in result.output


def test_validate_files_takes_a_kind(tmp_path):
    path = tmp_path / "cb.json"
    path.write_text((GOLDEN / "event" / "callback.json").read_text(), encoding="utf-8")
    (report,) = validate_files([path], kind="event")
    assert (report.kind, report.diagnostics) == (CALLBACK, ())
    (report,) = validate_files([path])
    assert [d.code for d in report.diagnostics] == ["DP220"]
    assert "--kind event" in report.diagnostics[0].help


def test_machine_formats_have_no_kind_line():
    result = run("validate", "--format", "json", GOLDEN / "auto" / "verb-dial.json")
    assert result.exit_code == 0
    json.loads(result.output)


def test_the_callback_schema_knows_every_final_status():
    from dialplan_compiler.routee import FINAL_STATUSES

    names = load_schema(CALLBACK.schema)["properties"]["status"]["properties"]["name"]["enum"]
    assert set(FINAL_STATUSES) <= set(names)
    assert {"Queued", "Initiated", "Ringing", "InProgress", "Unknown"} <= set(names)


# --- decompile takes a single verb --------------------------------------------------------------

def test_decompile_of_a_single_verb_through_the_command_line(tmp_path):
    path = GOLDEN / "auto" / "verb-dial.json"
    result = run("decompile", path)
    assert result.exit_code == 0, result.output
    assert result.output == ("# decompiled from verb-dial.json\n"
                             "dial +306912345678 from +302101234567 ring 30s record wav\n")
    back = compile_source(result.output, "back.call").payload
    assert back == {"verbs": [json.loads(path.read_text())]}


def test_decompile_of_a_quoted_verb_reports_the_fix_and_writes_the_script():
    result = decompile(DIAL % ',\n  "record": "true"', "dial.json")
    assert [d.code for d in result.diagnostics] == ["DP220"]
    assert result.text.splitlines()[-1] == "dial +306912345678 from +302101234567 record"


def test_decompile_of_a_body_routee_sends_writes_nothing():
    result = decompile((GOLDEN / "event" / "callback.json").read_bytes(), "callback.json")
    assert result.text is None
    assert [d.code for d in result.diagnostics] == ["DP220"]


# --- properties ------------------------------------------------------------------------------

@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call_sources())
def test_every_compiled_plan_validates_as_its_own_kind_and_as_a_request_body(source):
    """A compiled payload is recognised as what it is, with no error; its
    plan is a valid dialplan and, given a sender and recipient, a valid
    request body; each of its verbs is a valid single verb."""
    result = compile_source(source, "gen.call")
    assert result.ok, (source, result.diagnostics)
    payload = result.payload
    report = validate_json(json.dumps(payload, indent=2), "gen.json")
    assert report.kind is (BODY if "to" in payload else DIALPLAN)
    assert not any(d.is_error for d in report.diagnostics), report.diagnostics
    plan = payload.get("dialPlan", payload)
    as_plan = validate_json(json.dumps(plan), "plan.json", kind="dialplan")
    assert not any(d.is_error for d in as_plan.diagnostics), as_plan.diagnostics
    body = {"from": "+302101234567", "to": {"phone": "+306912345678"}, "dialPlan": plan}
    as_body = validate_json(json.dumps(body), "body.json")
    assert as_body.kind is BODY
    assert not any(d.is_error for d in as_body.diagnostics), as_body.diagnostics
    for verb in plan["verbs"]:
        alone = validate_json(json.dumps(verb), "verb.json")
        assert alone.kind is VERB and alone.judged_as == f"a single verb ({verb['type']})"
        assert not any(d.is_error for d in alone.diagnostics), (verb, alone.diagnostics)


SCALAR_FIELDS = {  # a field of a verb, with the JSON type it takes and a valid value
    ("PAUSE", "duration"): 7, ("COLLECT", "maxDigits"): 4, ("COLLECT", "submitOnHash"): True,
    ("SAY", "repeat"): 2, ("SAY", "bargeIn"): False, ("DIAL", "hangupDelay"): 30,
    ("DIAL", "record"): True, ("DIAL", "maxDuration"): 600,
}
VERBS = {"PAUSE": {"type": "PAUSE", "duration": 1},
         "COLLECT": {"type": "COLLECT", "eventUrl": "https://hooks.example.com/k"},
         "SAY": {"type": "SAY", "message": {"text": "Hi.", "language": "en-GB"}},
         "DIAL": {"type": "DIAL", "from": "+302101234567", "to": {"phone": "+306912345678"}}}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(SCALAR_FIELDS)), st.sampled_from(("verb", "dialplan", "body")),
       st.integers(0, 4))
def test_a_quoted_scalar_is_one_diagnostic_whose_fix_makes_it_valid(field, where, indent):
    """Whatever the field and however deep, quoting a number or boolean is
    exactly one error, at the string, and applying its fix leaves nothing."""
    kind, name = field
    value = SCALAR_FIELDS[field]
    verb = {**VERBS[kind], name: json.dumps(value)}   # "7", "true"
    document = {"verb": verb, "dialplan": {"verbs": [verb]},
                "body": {"from": "+302101234567", "to": {"phone": "+306912345678"},
                         "dialPlan": {"verbs": [verb]}}}[where]
    text = json.dumps(document, indent=indent or None)
    (found,) = validate_json(text, "q.json").diagnostics
    assert text[found.span.start:found.span.end] == json.dumps(json.dumps(value))
    (fix,) = found.fixes
    fixed = text[:fix.span.start] + fix.replacement + text[fix.span.end:]
    assert json.loads(fixed) == {"verb": {**VERBS[kind], name: value},
                                 "dialplan": {"verbs": [{**VERBS[kind], name: value}]},
                                 "body": {**document, "dialPlan": {
                                     "verbs": [{**VERBS[kind], name: value}]}}}[where]
    assert not any(d.is_error for d in validate_json(fixed, "fixed.json").diagnostics)


# --- what Routee's stand-in sends validates as its kind ------------------------------------------

def test_the_bodies_the_stand_in_sends_validate_as_their_kinds(standin):
    plan: dict = {}
    hooks = Receiver(plan)   # answers every POST with `plan`, filled in once its URL is known
    plan["verbs"] = [{"type": "COLLECT", "eventUrl": hooks.url + "/keys"},
                     {"type": "PAUSE", "duration": 1}]
    try:
        server = standin(execute=True, progress=(("Queued", 0.0), ("Initiated", 0.02),
                                                 ("Ringing", 0.04), ("InProgress", 0.06),
                                                 ("Completed", 0.08)))
        token = httpx.post(server.url + "/oauth/token", auth=(APP_ID, SECRET),
                           data={"grant_type": "client_credentials"}).json()["access_token"]
        answer = httpx.post(server.url + "/voice/conversation",
                            headers={"Authorization": f"Bearer {token}"},
                            json={"from": SENDER, "to": {"phone": "+306911111111"},
                                  "dialPlanUrl": hooks.url + "/plan",
                                  "callback": {"url": hooks.url + "/status",
                                               "strategy": "OnChange"}})
        assert answer.status_code == 200, answer.text
        end = time.monotonic() + 20
        while not (hooks.paths("/keys") and len(hooks.paths("/status")) >= 5):
            assert time.monotonic() < end, hooks.got
            time.sleep(0.02)
        expected = {"/plan": PLAN_REQUEST, "/keys": EVENT, "/status": CALLBACK}
        for path, kind in expected.items():
            for body in hooks.paths(path):
                report = validate_json(json.dumps(body), path, kind="event")
                assert (report.kind, report.diagnostics) == (kind, ()), (path, body)
                forced = validate_json(json.dumps(body), path, kind=kind.name)
                assert forced.diagnostics == ()
    finally:
        hooks.close()


# --- the documentation's transcripts are what the command prints ---------------------------------

def _transcripts(doc: Path, commands: tuple[str, ...]) -> list[tuple[str, str]]:
    """Each ```console block of `doc` whose command starts with one of
    `commands`: (the command, what it prints)."""
    found = []
    for block in doc.read_text(encoding="utf-8").split("```console\n")[1:]:
        command, _, output = block.split("\n```")[0].partition("\n")
        if command.startswith(commands):
            found.append((command.removeprefix("$ "), output + "\n"))
    return found


DOC_TRANSCRIPTS = (_transcripts(HERE.parent / "docs" / "checking.md", ("$ dialplan validate",))
                   + _transcripts(HERE.parent / "docs" / "language.md",
                                  ("$ dialplan decompile",)))


def test_the_documentation_shows_validate_and_decompile():
    assert len(DOC_TRANSCRIPTS) >= 4


@pytest.mark.parametrize("command, output", DOC_TRANSCRIPTS, ids=lambda c: c[:50])
def test_documented_transcript(command, output):
    import shlex

    words = shlex.split(command)
    assert words[0] == "dialplan"
    result = run(*words[1:], cwd=HERE.parent)
    assert result.output == output


# --- every diagnostic has a place and a help ------------------------------------------------------

JSONISH = st.text('{}[],:"0123456789.-etruflasn \n\\xX+', max_size=60)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(mutated_payloads().map(lambda p: json.dumps(p, indent=1)),
                 JSON_VALUES.map(json.dumps), JSONISH),
       st.sampled_from(KIND_CHOICES))
def test_every_diagnostic_has_a_position_and_a_help(text, kind):
    for diagnostic in validate_json(text, "any.json", kind=kind).diagnostics:
        assert diagnostic.span.file == "any.json"
        assert diagnostic.span.line >= 1 and diagnostic.span.column >= 1
        assert diagnostic.help, diagnostic


@st.composite
def trailing_commas(draw):
    """A valid JSON text with a comma put before some of its closing
    brackets that follow an item; and the value it holds."""
    value = draw(JSON_VALUES.filter(lambda v: isinstance(v, (dict, list)) and v))
    text = json.dumps(value, indent=draw(st.sampled_from((None, 2))))
    # a closing bracket after an item, outside strings (inside one it is text)
    closers = [i for i, char in enumerate(text) if char in "]}"
               and text[:i].rstrip()[-1:] not in "[{" and _outside_strings(text, i)]
    chosen = sorted(draw(st.sets(st.sampled_from(closers), min_size=1, max_size=3))) \
        if closers else []
    for offset in reversed(chosen):
        text = text[:offset] + "," + text[offset:]
    return text, value, len(chosen)


def _outside_strings(text: str, offset: int) -> bool:
    inside, escaped = False, False
    for char in text[:offset]:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = inside
        elif char == '"':
            inside = not inside
    return not inside


@settings(max_examples=200, deadline=None)
@given(trailing_commas())
def test_a_trailing_comma_is_reported_at_itself_and_read_past(case):
    text, value, commas = case
    parsed = parse_json(text, "c.json")
    if commas == 0:
        return
    assert parsed.ok and parsed.value == value
    assert [d.code for d in parsed.diagnostics] == ["DP010"] * commas
    for diagnostic in parsed.diagnostics:
        assert text[diagnostic.span.start] == ","
        assert "trailing comma" in diagnostic.message


@pytest.mark.parametrize("kind, says", [
    ("body", "'type' is not a field of the request body: this is a verb"),
    ("dialplan", "'type' is not a field of the plan: this is a verb"),
])
def test_a_verb_forced_to_another_kind_says_it_is_a_verb(kind, says):
    path = GOLDEN / "auto" / "verb-dial.json"
    result = run("validate", "--kind", kind, "--format", "concise", path.name, cwd=path.parent)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"verb-dial.json: {KINDS[kind].what}"
    assert any(says in line and line.startswith("verb-dial.json:2:3:") for line in lines), lines


def test_a_request_body_forced_to_a_verb_lacks_only_its_type():
    path = GOLDEN / "auto" / "request-body.json"
    (found,) = validate_json(path.read_bytes(), path.name, kind="verb").diagnostics
    assert found.message.startswith("a verb needs 'type'")
    assert found.help
