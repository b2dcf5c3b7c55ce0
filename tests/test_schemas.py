"""The JSON Schemas hold Routee's documented rules on their own, whatever
produced the payload."""

from __future__ import annotations

import copy

import pytest
from jsonschema import Draft202012Validator

from dialplan_compiler.resources import SCHEMAS
from dialplan_compiler.schemas import CONVERSATION, DIALPLAN, load_schema, validate

#: The complete example of Routee's documentation (see the project's Routee notes).
DOCUMENTED_EXAMPLE = {
    "from": "Company Name",
    "to": {"phone": "+306911111111"},
    "dialPlan": {"verbs": [
        {"type": "SAY", "message": {"language": "en-GB", "gender": "female",
                                    "text": "Please enter your four digits service number "
                                            "and then press the pound key."}},
        {"type": "PAUSE", "duration": 10},
        {"type": "COLLECT", "eventUrl": "http://www.example.com", "maxDigits": 4,
         "submitOnHash": True},
    ]},
}

DIAL = {"type": "DIAL", "from": "+302101234567", "to": {"phone": "+302107654321"}}


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_is_valid_draft_2020_12(name):
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_documented_example_is_valid():
    assert validate(DOCUMENTED_EXAMPLE, CONVERSATION) == []


def _broken(change):
    payload = copy.deepcopy(DOCUMENTED_EXAMPLE)
    change(payload)
    return payload


def _verbs(payload):
    return payload["dialPlan"]["verbs"]


BROKEN = {
    "two DIAL verbs": (lambda p: _verbs(p).extend([DIAL, DIAL]), "/dialPlan/verbs", "maxContains"),
    "length instead of duration": (lambda p: _verbs(p)[1].update({"length": 3}),
                                   "/dialPlan/verbs/1", "additionalProperties"),
    "PLAY with fileUrl": (lambda p: _verbs(p).append({"type": "PLAY", "fileUrl": "https://x/a.wav"}),
                          "/dialPlan/verbs/3", "required"),
    "unknown language": (lambda p: _verbs(p)[0]["message"].update({"language": "en-gb"}),
                         "/dialPlan/verbs/0/message/language", "enum"),
    "text over 1000": (lambda p: _verbs(p)[0]["message"].update({"text": "x" * 1001}),
                       "/dialPlan/verbs/0/message/text", "maxLength"),
    "empty plan": (lambda p: p["dialPlan"].update({"verbs": []}), "/dialPlan/verbs", "minItems"),
    "both dialPlan and dialPlanUrl": (lambda p: p.update({"dialPlanUrl": "https://x/p.json"}), "",
                                      "oneOf"),
    "neither dialPlan nor dialPlanUrl": (lambda p: p.pop("dialPlan"), "", "oneOf"),
    "phone and sip": (lambda p: p["to"].update({"sip": "a@b.example"}), "/to", "maxProperties"),
    "phone without +": (lambda p: p.update({"to": {"phone": "306911111111"}}), "/to/phone", "pattern"),
    "viber with +": (lambda p: p.update({"to": {"viber": "+306971234567"}}), "/to/viber", "pattern"),
    "hangupDelay over 60": (lambda p: p.update({"hangupDelay": 61}), "/hangupDelay", "maximum"),
    "hangupDelay as a string": (lambda p: p.update({"hangupDelay": "30"}), "/hangupDelay", "type"),
    "submitOnHash as a string": (lambda p: _verbs(p)[2].update({"submitOnHash": "true"}),
                                 "/dialPlan/verbs/2/submitOnHash", "type"),
    "Continue without eventUrl": (lambda p: p.update({"machineDetection": {"strategy": "Continue"}}),
                                  "/machineDetection", "required"),
    "numeric sender too long": (lambda p: p.update({"from": "12345678901234567"}), "/from",
                                "maxLength"),
    "unknown verb": (lambda p: _verbs(p).append({"type": "RECORD"}), "/dialPlan/verbs/3/type", "enum"),
    "bad callback strategy": (lambda p: p.update({"callback": {"url": "https://x/cb",
                                                               "strategy": "Always"}}),
                              "/callback/strategy", "enum"),
    "pause of 0": (lambda p: _verbs(p)[1].update({"duration": 0}), "/dialPlan/verbs/1/duration",
                   "minimum"),
    "ftp URL": (lambda p: _verbs(p)[2].update({"eventUrl": "ftp://example.com"}),
                "/dialPlan/verbs/2/eventUrl", "pattern"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_schema_rejects(case):
    change, pointer, keyword = BROKEN[case]
    errors = validate(_broken(change), CONVERSATION)
    assert (pointer, keyword) in {(e.pointer, e.keyword) for e in errors}, errors


def test_bare_plan_schema():
    assert validate({"verbs": [{"type": "PAUSE", "duration": 1}]}, DIALPLAN) == []
    errors = validate({"verbs": [DIAL, DIAL]}, DIALPLAN)
    assert [(e.pointer, e.keyword) for e in errors] == [("/verbs", "maxContains")]
