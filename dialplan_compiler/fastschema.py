"""A small, fast yes/no validator for the project's own JSON Schemas.

Importing jsonschema (with referencing and its format checkers) costs more
than the whole rest of a `dialplan check` run, and on the success path all
that is needed is "valid: yes or no". This module answers that question for
exactly the keywords `schemas/` uses; when the answer is "no", callers ask
jsonschema for the detailed errors.

Every keyword it does not know raises `UnsupportedSchema`, so a schema that
starts using a new keyword fails loudly in the tests instead of being
silently ignored, and a hypothesis differential test checks that it accepts
and rejects exactly what jsonschema does.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Callable

from .schemas import CONVERSATION, DIALPLAN, load_schema

_ANNOTATIONS = {"$schema", "$id", "title", "description", "$defs", "$comment", "examples",
                "default"}


class UnsupportedSchema(Exception):
    """The schema uses a keyword this validator does not implement."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": lambda v: _is_number(v) and (isinstance(v, int) or float(v).is_integer()),
}


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if _is_number(a) and _is_number(b):
        return a == b
    return type(a) is type(b) and a == b


class _Validator:
    def __init__(self) -> None:
        self.documents = {load_schema(n)["$id"].rsplit("/", 1)[-1]: load_schema(n)
                          for n in (CONVERSATION, DIALPLAN)}

    def resolve(self, ref: str, document: dict) -> tuple[dict, dict]:
        target, _, fragment = ref.partition("#")
        doc = self.documents[target] if target else document
        node: Any = doc
        for part in filter(None, fragment.split("/")):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, doc

    def valid(self, value: Any, schema: Any, doc: dict) -> bool:
        if schema is True:
            return True
        if schema is False:
            return False
        for key, arg in schema.items():
            check = _KEYWORDS.get(key)
            if check is None:
                if key in _ANNOTATIONS or key in ("then", "minContains", "maxContains"):
                    continue  # handled with "if" and "contains"
                raise UnsupportedSchema(key)
            if not check(self, value, arg, schema, doc):
                return False
        return True


def _properties(v: _Validator, value, arg, schema, doc) -> bool:
    return not isinstance(value, dict) or all(
        v.valid(value[k], sub, doc) for k, sub in arg.items() if k in value)


def _additional(v: _Validator, value, arg, schema, doc) -> bool:
    if not isinstance(value, dict):
        return True
    known = schema.get("properties", {})
    if "patternProperties" in schema:
        raise UnsupportedSchema("patternProperties")
    return all(v.valid(value[k], arg, doc) for k in value if k not in known)


def _contains(v: _Validator, value, arg, schema, doc) -> bool:
    if not isinstance(value, list):
        return True
    count = sum(v.valid(item, arg, doc) for item in value)
    low = schema.get("minContains", 1)
    high = schema.get("maxContains")
    return count >= low and (high is None or count <= high)


def _if(v: _Validator, value, arg, schema, doc) -> bool:
    if "else" in schema:
        raise UnsupportedSchema("else")
    if v.valid(value, arg, doc):
        return v.valid(value, schema.get("then", True), doc)
    return True


def _ref(v: _Validator, value, arg, schema, doc) -> bool:
    target, target_doc = v.resolve(arg, doc)
    return v.valid(value, target, target_doc)


def _pattern(arg: str) -> re.Pattern:
    return _compiled(arg)


@cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


_KEYWORDS: dict[str, Callable[..., bool]] = {
    "type": lambda v, value, arg, s, d: (any(_TYPES[t](value) for t in arg)
                                         if isinstance(arg, list) else _TYPES[arg](value)),
    "enum": lambda v, value, arg, s, d: any(_equal(value, e) for e in arg),
    "const": lambda v, value, arg, s, d: _equal(value, arg),
    "pattern": lambda v, value, arg, s, d: not isinstance(value, str)
    or _pattern(arg).search(value) is not None,
    "minLength": lambda v, value, arg, s, d: not isinstance(value, str) or len(value) >= arg,
    "maxLength": lambda v, value, arg, s, d: not isinstance(value, str) or len(value) <= arg,
    "minimum": lambda v, value, arg, s, d: not _is_number(value) or value >= arg,
    "maximum": lambda v, value, arg, s, d: not _is_number(value) or value <= arg,
    "required": lambda v, value, arg, s, d: not isinstance(value, dict)
    or all(k in value for k in arg),
    "minProperties": lambda v, value, arg, s, d: not isinstance(value, dict) or len(value) >= arg,
    "maxProperties": lambda v, value, arg, s, d: not isinstance(value, dict) or len(value) <= arg,
    "properties": _properties,
    "additionalProperties": _additional,
    "items": lambda v, value, arg, s, d: not isinstance(value, list)
    or all(v.valid(item, arg, d) for item in value),
    "minItems": lambda v, value, arg, s, d: not isinstance(value, list) or len(value) >= arg,
    "contains": _contains,
    "allOf": lambda v, value, arg, s, d: all(v.valid(value, sub, d) for sub in arg),
    "anyOf": lambda v, value, arg, s, d: any(v.valid(value, sub, d) for sub in arg),
    "oneOf": lambda v, value, arg, s, d: sum(v.valid(value, sub, d) for sub in arg) == 1,
    "if": _if,
    "$ref": _ref,
}


@cache
def _validator() -> _Validator:
    return _Validator()


def is_valid(payload: Any, schema: str) -> bool:
    """Whether `payload` is valid against the named schema in `schemas/`."""
    validator = _validator()
    document = load_schema(schema)
    return validator.valid(payload, document, validator.documents[document["$id"].rsplit("/", 1)[-1]])
