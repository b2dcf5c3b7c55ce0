"""`dialplan_compiler.explanations`: every rule is explained, and every
explanation's examples do what they claim when run through the checker."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dialplan_compiler import rules
from dialplan_compiler.compiler import Result, check_source, compile_source
from dialplan_compiler.explanations import (EXPLANATIONS, MAX_SHOWN_LINES, WIDTH, Explanation,
                                            explain)
from dialplan_compiler.parser import MAX_SYNTAX_ERRORS

CODES = sorted(EXPLANATIONS)
WITH_WRONG = [code for code in CODES if EXPLANATIONS[code].wrong is not None]


def run(explanation: Explanation, source: str | bytes, tmp_path: Path,
        environment: dict[str, str] | None = None) -> list[tuple[str, bool]]:
    """(code, is_error) of every diagnostic the example produces, in the
    explanation's mode (with `environment` added to os.environ)."""
    if environment:
        import os
        from unittest import mock

        with mock.patch.dict(os.environ, environment):
            return run(explanation, source, tmp_path)
    if explanation.mode == "config":
        from dialplan_compiler.config import ConfigError, load_config

        path = tmp_path / ".dialplan.toml"
        path.write_bytes(source if isinstance(source, bytes) else source.encode("utf-8"))
        try:
            load_config(path)
        except ConfigError as error:
            return [(error.diagnostic.code, error.diagnostic.is_error)]
        return []
    if explanation.mode == "json":
        return run_json(source if isinstance(source, str) else source.decode("utf-8"))
    if explanation.mode == "decompile":
        from dialplan_compiler.decompiler import decompile

        return [(d.code, d.is_error) for d in decompile(source, "example.json").diagnostics]
    result: Result
    if explanation.mode == "check":
        result = check_source(source, "example.call")
    else:
        assert explanation.mode == "compile", explanation.mode
        result = compile_source(source, "example.call", variables=dict(explanation.variables))
    return [(d.code, d.is_error) for d in result.diagnostics]


def run_json(text: str) -> list[tuple[str, bool]]:
    """A JSON payload checked as it is: DP010 for JSON that does not parse,
    DP220 for each place where it breaks Routee's schema. (No public entry
    point does both yet; this is what `dialplan validate` is to do.)"""
    from dialplan_compiler import schemas
    from dialplan_compiler.jsonpos import parse_json

    parsed = parse_json(text, "example.json")
    found = [(d.code, d.is_error) for d in parsed.diagnostics]
    if parsed.ok and not found:
        errors = schemas.validate(parsed.value, schemas.schema_for(parsed.value))
        found += [(rules.PAYLOAD_SCHEMA.code, True) for _ in errors]
    return found


def shown(example: str) -> list[str]:
    lines = example.rstrip("\n").split("\n")
    return ["    " + line if line else "" for line in lines]


# --- coverage ------------------------------------------------------------------------

def test_every_rule_has_an_explanation():
    assert sorted(set(rules.RULES) - set(EXPLANATIONS)) == []


def test_no_explanation_without_a_rule():
    assert sorted(set(EXPLANATIONS) - set(rules.RULES)) == []


@pytest.mark.parametrize("code", ["DP999", "DP000", "", "unknown-language", "DP20"])
def test_unknown_code_has_no_explanation(code):
    assert code not in EXPLANATIONS
    with pytest.raises(KeyError):
        explain(code)


def test_only_the_safety_net_has_no_wrong_example():
    assert [code for code in CODES if EXPLANATIONS[code].wrong is None] == ["DP901"]
    assert "no wrong example" in EXPLANATIONS["DP901"].text


def test_explanations_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        EXPLANATIONS["DP204"].text = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        EXPLANATIONS["DP999"] = EXPLANATIONS["DP204"]  # type: ignore[index]


@pytest.mark.parametrize("code", CODES)
def test_explanation_is_well_formed(code):
    explanation = EXPLANATIONS[code]
    assert explanation.mode in ("check", "compile", "config", "json", "decompile")
    assert explanation.text.count(". ") >= 1, "a few sentences, not a phrase"
    assert explanation.right.strip()
    assert explanation.right != explanation.wrong
    if explanation.variables:
        assert explanation.mode == "compile", "variables only apply to compile examples"


@pytest.mark.parametrize("code", [c for c in CODES if c[2] in "23"])
def test_routee_rules_say_how_sure_their_fact_is(code):
    """DP2xx and DP3xx rest on a Routee fact (or on none): the text says
    whether it is documented, observed or our reading."""
    text = EXPLANATIONS[code].text
    assert any(word in text for word in ("document", "observed", "our reading",
                                         "heuristic", "not Routee", "not of Routee")), text


# --- the examples ----------------------------------------------------------------------

@pytest.mark.parametrize("code", WITH_WRONG)
def test_wrong_example_triggers_its_rule(code, tmp_path):
    explanation = EXPLANATIONS[code]
    found = run(explanation, explanation.wrong_source, tmp_path, dict(explanation.environment))
    assert code in [c for c, _ in found], found


@pytest.mark.parametrize("code", CODES)
def test_right_example_is_accepted(code, tmp_path):
    explanation = EXPLANATIONS[code]
    found = run(explanation, explanation.right.encode("utf-8"), tmp_path,
                {**explanation.environment, **explanation.right_environment})
    assert code not in [c for c, _ in found], found
    assert [c for c, is_error in found if is_error] == []


@pytest.mark.parametrize("code", CODES)
def test_right_example_draws_no_warning_either(code, tmp_path):
    """A fix that trades an error for a warning is a poor example."""
    explanation = EXPLANATIONS[code]
    assert run(explanation, explanation.right.encode("utf-8"), tmp_path,
               {**explanation.environment, **explanation.right_environment}) == []


def test_unreadable_file_example_is_not_utf8():
    explanation = EXPLANATIONS["DP001"]
    assert explanation.wrong_bytes is not None
    with pytest.raises(UnicodeDecodeError):
        explanation.wrong_bytes.decode("utf-8")
    assert explanation.wrong_bytes.decode("latin-1") == explanation.wrong
    assert explanation.wrong_source is explanation.wrong_bytes


def test_only_the_unreadable_file_example_needs_bytes():
    assert [code for code in CODES if EXPLANATIONS[code].wrong_bytes is not None] == ["DP001"]


def test_too_many_errors_example_has_more_lines_than_the_limit():
    assert EXPLANATIONS["DP009"].wrong.count("\n") > MAX_SYNTAX_ERRORS


def test_examples_end_with_a_newline():
    for code in CODES:
        for example in (EXPLANATIONS[code].wrong, EXPLANATIONS[code].right):
            assert example is None or example.endswith("\n"), code


# --- explain() -----------------------------------------------------------------------------

@pytest.mark.parametrize("code", CODES)
def test_explain_shows_code_name_severity_summary_and_examples(code):
    rule, explanation = rules.RULES[code], EXPLANATIONS[code]
    out = explain(code)
    lines = out.splitlines()
    assert lines[0] == f"{code} {rule.name} ({rule.severity})"
    assert str(rule.severity) in ("error", "warning")
    assert " ".join(out.split()).count(" ".join(rule.summary.split())) >= 1
    assert " ".join(explanation.text.split()) in " ".join(out.split())
    assert "Wrong:" in lines and "Right:" in lines
    assert lines.index("Wrong:") < lines.index("Right:")
    wrong_part = "\n".join(lines[lines.index("Wrong:") + 1: lines.index("Right:")])
    right_part = "\n".join(lines[lines.index("Right:") + 1:])
    for example, part in ((explanation.wrong, wrong_part), (explanation.right, right_part)):
        if example is None:
            assert part.strip().startswith("(none"), part
            continue
        expected = shown(example)
        if len(expected) <= MAX_SHOWN_LINES:
            assert "\n".join(expected) in part
        else:  # cut short: the first lines, a note, the last line
            assert part.startswith("\n".join(expected[: MAX_SHOWN_LINES - 2]))
            assert "more lines" in part
            assert expected[-1] in part.splitlines()


@pytest.mark.parametrize("code", CODES)
def test_explain_prose_fits_the_terminal(code):
    lines = explain(code).splitlines()
    prose = lines[: lines.index("Wrong:")]
    assert all(len(line) <= WIDTH for line in prose), [l for l in prose if len(l) > WIDTH]
    assert all(line.startswith("    ") or not line.strip() or not line.startswith(" ")
               for line in lines)


def test_explain_title_for_the_documented_example():
    assert explain("DP204").splitlines()[0] == "DP204 unknown-language (error)"
    assert explain("DP304").splitlines()[0] == "DP304 alphanumeric-sender (warning)"


def test_explain_accepts_lowercase_and_spaces():
    assert explain(" dp204 ") == explain("DP204")


def test_explain_shows_the_variables_of_compile_examples():
    assert "--var name=Maria" in explain("DP215")
    assert "dialplan compile" in explain("DP216")
    assert "dialplan compile" not in explain("DP204")


def test_explain_cuts_long_examples_short():
    lines = explain("DP009").splitlines()
    wrong = lines[lines.index("Wrong:") + 1: lines.index("Right:")]
    assert len([line for line in wrong if line.strip()]) == MAX_SHOWN_LINES


# --- claims the explanations make about the checker ----------------------------------------

def test_safety_net_does_not_fire_for_say_text_filled_with_nothing():
    """DP901's explanation says every script the checker accepts passes the
    schema, and DP207's that `say` text must be 1 to 1000 characters. A
    placeholder filled with an empty value must therefore be DP207, not a
    payload that reaches schema validation."""
    result = compile_source('say "{text}" in en-GB\n', "example.call", variables={"text": ""})
    codes = [d.code for d in result.diagnostics]
    assert "DP207" in codes, codes
    assert "DP901" not in codes, codes
