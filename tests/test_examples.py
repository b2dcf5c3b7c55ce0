"""Every example compiles to exactly its golden JSON, and that JSON is valid
against the schemas. Regenerate the golden files after an intended change
with `DIALPLAN_UPDATE_GOLDEN=1 pytest tests/test_examples.py` and review the
diff."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dialplan_compiler import compile_source
from dialplan_compiler.emitter import to_json
from dialplan_compiler.schemas import schema_for, validate

from helpers import EXAMPLE_VARIABLES, ROOT
EXAMPLES = sorted((ROOT / "examples").glob("*.call"))
GOLDEN = Path(__file__).resolve().parent / "golden"

#: The --var values each example is compiled with.
VARIABLES = EXAMPLE_VARIABLES


def test_there_are_at_least_six_examples():
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_matches_golden_file(example: Path):
    result = compile_source(example.read_text(encoding="utf-8"), str(example),
                            variables=VARIABLES.get(example.stem, {}))
    errors = [d for d in result.diagnostics if d.is_error]
    assert not errors, errors
    golden = GOLDEN / f"{example.stem}.json"
    text = to_json(result.payload)
    if os.environ.get("DIALPLAN_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_golden_file_is_schema_valid(golden: Path):
    payload = json.loads(golden.read_text(encoding="utf-8"))
    assert validate(payload, schema_for(payload)) == []


def test_every_golden_file_has_an_example():
    assert {p.stem for p in GOLDEN.glob("*.json")} == {p.stem for p in EXAMPLES}
