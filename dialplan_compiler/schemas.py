"""Validation of payloads against the JSON Schemas in `schemas/`.

`conversation.schema.json` describes the request body of
`POST /voice/conversation`; `dialplan.schema.json` the `{"verbs": [...]}`
object (inline, behind a dialPlanUrl, or answered to an eventUrl);
`verb.schema.json` one verb of it. `plan-request`, `event` and `callback`
describe the bodies Routee sends to a dialPlanUrl, an eventUrl and a
callback URL (`dialplan validate --kind event`). All are Draft 2020-12.
jsonschema is imported only when a payload is validated.
"""

from __future__ import annotations

from .records import record
from functools import cache
from typing import TYPE_CHECKING, Any

from .resources import CONVERSATION, DIALPLAN, SCHEMAS, load_schema

if TYPE_CHECKING:
    from .diagnostics import Diagnostic
    from .emitter import Emitted
    from .nodes import Span



@record
class SchemaError:
    """One place where a payload breaks its schema."""

    path: tuple[str | int, ...]   # where in the payload (JSON pointer parts)
    message: str
    keyword: str                  # the schema keyword that failed

    @property
    def pointer(self) -> str:
        return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in self.path)


@cache
def _validator(name: str):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    # The schemas have no $id: they refer to each other by file name, so that
    # tools given a schema file (check-jsonschema, editors) find the other one
    # beside it instead of trying to download it.
    resources = [(n, Resource.from_contents(load_schema(n))) for n in SCHEMAS]
    registry = Registry().with_resources(resources)
    return Draft202012Validator(load_schema(name), registry=registry)


def validate(payload: Any, schema: str) -> list[SchemaError]:
    """Every way `payload` breaks `schema` (empty when it is valid)."""
    errors = []
    for error in _validator(schema).iter_errors(payload):
        # A failed `if`/`then` or `allOf` wraps the real cause; report the
        # innermost errors, which point at the field that is wrong.
        leaves = _leaves(error)
        for leaf in leaves:
            errors.append(SchemaError(tuple(leaf.absolute_path), leaf.message, str(leaf.validator)))
    return sorted(set(errors), key=_order)


def _order(error: SchemaError) -> tuple:
    return (tuple(f"{p:09d}" if isinstance(p, int) else p for p in error.path), error.message)


def _leaves(error) -> list:
    if error.validator in ("allOf", "$ref") and error.context:
        return [leaf for sub in error.context for leaf in _leaves(sub)]
    return [error]


def schema_for(payload: Any) -> str:
    """The schema a payload is meant to follow: a bare plan has `verbs`."""
    return DIALPLAN if isinstance(payload, dict) and "verbs" in payload and "to" not in payload \
        else CONVERSATION


def schema_diagnostics(emitted: Emitted, fallback: Span) -> list[Diagnostic]:
    """The safety net after emitting: DP901 at the span that produced each
    field the schema rejects (none, without loading jsonschema, when the
    fast check passes). Fields that still hold a placeholder are judged
    once it has a value."""
    from . import fastschema, rules

    schema = schema_for(emitted.payload)
    if fastschema.is_valid(emitted.payload, schema):
        return []  # the usual case: no need to load jsonschema for the details
    found = []
    for error in validate(emitted.payload, schema):
        if emitted.is_unfilled(error.path):
            continue  # judged once the placeholder has a value
        span = emitted.span_for(error.path) or fallback
        found.append(rules.SCHEMA(
            span, f"the payload breaks Routee's schema at {error.pointer or 'the top level'}: "
            f"{error.message}",
            help="this is a bug in dialplan's checker: please report it with this script"))
    return found
