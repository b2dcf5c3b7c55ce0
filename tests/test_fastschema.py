"""The fast yes/no schema check accepts and rejects exactly what jsonschema
does (a differential test over generated payloads)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialplan_compiler import fastschema
from dialplan_compiler.schemas import CONVERSATION, DIALPLAN, schema_for, validate

GOLDEN = [json.loads(p.read_text()) for p in
          sorted((Path(__file__).parent / "golden").glob("*.json"))]
SEEDS = GOLDEN + [{"verbs": g["dialPlan"]["verbs"]} for g in GOLDEN if "dialPlan" in g]

#: Values that sit on the edges of what the schemas allow.
EDGES = [None, True, False, 0, 1, -1, -2, 1.0, 1.5, 60, 61, 0.0, "", "x", "+306912345678",
         "+30 69", "306971234567", "alice@example.com:5060", "https://h.example.com/a.wav",
         "http://h", "ftp://h", "en-GB", "en-gb", "male", "Male", "SAY", "PLAY", "PAUSE",
         "COLLECT", "DIAL", "RECORD", "OnChange", "Continue", "Hangup", "MP3", "wav",
         "12345678901234567", "1234567890123456", "x" * 1000, "x" * 1001, [], {},
         {"phone": "+306912345678"}, {"sip": "a@b"}, {"viber": "+3069"},
         {"type": "DIAL", "from": "+302101234567", "to": {"phone": "+302107654321"}}]

json_values = st.recursive(
    # deep copies: a payload is mutated after drawing, and EDGES holds lists and dicts
    st.sampled_from(EDGES).map(copy.deepcopy) | st.integers(-5, 100) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["type", "from", "to", "verbs", "message", "text",
                                       "language", "duration", "length", "phone", "url"]),
                      children, max_size=3),
    max_leaves=8)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


@st.composite
def mutated_payloads(draw):
    payload = copy.deepcopy(draw(st.sampled_from(SEEDS)))  # SEEDS themselves never change
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(payload) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = payload
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add", "duplicate", "edge", "edge"]))
        current = parent[path[-1]]
        if action == "edge" and isinstance(current, str):
            # the length limits: 1000 (say text), 16 (numeric sender), 2048 (URLs)
            parent[path[-1]] = draw(st.sampled_from(["", current + "0" * (1001 - len(current)),
                                                     current[:1] + "1" * 16,
                                                     current + "a" * (2049 - len(current))]))
        elif action == "edge" and isinstance(current, int) and not isinstance(current, bool):
            parent[path[-1]] = current + draw(st.sampled_from([-current, -current - 1, 1, -1, 61]))
        elif action == "replace":
            parent[path[-1]] = draw(json_values)
        elif action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["repeat", "bargeIn", "gender", "extra", "hangupDelay",
                                         "dialPlanUrl", "maxDigits", "sip"]))] = draw(json_values)
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
    return payload


def _agrees(payload, schema):
    expected = validate(payload, schema) == []
    assert fastschema.is_valid(payload, schema) == expected, (schema, payload)


@pytest.mark.parametrize("payload", SEEDS)
def test_seeds_are_valid(payload):
    assert fastschema.is_valid(payload, schema_for(payload))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_payloads(), st.sampled_from([CONVERSATION, DIALPLAN]))
def test_agrees_with_jsonschema_on_mutated_payloads(payload, schema):
    _agrees(payload, schema)


@settings(max_examples=200, deadline=None)
@given(json_values, st.sampled_from([CONVERSATION, DIALPLAN]))
def test_agrees_with_jsonschema_on_random_json(payload, schema):
    _agrees(payload, schema)


def test_unknown_keyword_is_refused():
    with pytest.raises(fastschema.UnsupportedSchema):
        fastschema._Compiler().compile({"format": "uri"}, {})


def _leaf_variants(value):
    if isinstance(value, bool):
        return [not value, 1, "true", None]
    if isinstance(value, int):
        return [-2, -1, 0, 1, 60, 61, 1.0, 1.5, "1", True]
    if isinstance(value, str):
        return ["", value.upper(), value + "0" * (1001 - len(value)), "1" * 16, "1" * 17,
                value + "a" * (2049 - len(value)), 1]
    return [None, [], {}]


def test_agrees_with_jsonschema_at_every_leaf_boundary():
    """Every leaf of every seed replaced by values on the edges of the rules."""
    checked = 0
    for seed in SEEDS:
        for path in _paths(seed):
            if not path:
                continue
            original = seed
            for part in path:
                original = original[part]
            for variant in _leaf_variants(original):
                payload = copy.deepcopy(seed)
                parent = payload
                for part in path[:-1]:
                    parent = parent[part]
                parent[path[-1]] = variant
                for schema in (CONVERSATION, DIALPLAN):
                    _agrees(payload, schema)
                    checked += 1
    assert checked > 1000
