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

from .resources import CONVERSATION, DIALPLAN, load_schema

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


Check = Callable[[Any], bool]


class _Compiler:
    """Turns each schema node into one Python function, once: validating a
    payload is then a chain of plain calls, with no schema walking."""

    def __init__(self) -> None:
        self.documents = {n: load_schema(n) for n in (CONVERSATION, DIALPLAN)}
        self.compiled: dict[int, Check] = {}

    def resolve(self, ref: str, document: dict) -> tuple[Any, dict]:
        target, _, fragment = ref.partition("#")
        doc = self.documents[target] if target else document
        node: Any = doc
        for part in filter(None, fragment.split("/")):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, doc

    def compile(self, schema: Any, doc: dict) -> Check:
        if schema is True:
            return lambda value: True
        if schema is False:
            return lambda value: False
        key = id(schema)
        if key not in self.compiled:
            # A placeholder first, so that a schema referring to itself terminates.
            cell: list[Check] = []
            self.compiled[key] = lambda value: cell[0](value)
            checks = []
            for keyword, arg in schema.items():
                build = _KEYWORDS.get(keyword)
                if build is None:
                    if keyword in _ANNOTATIONS or keyword in ("then", "minContains",
                                                              "maxContains"):
                        continue  # handled with "if" and "contains"
                    raise UnsupportedSchema(keyword)
                checks.append(build(self, arg, schema, doc))
            cell.append(_all(checks))
            self.compiled[key] = cell[0]
        return self.compiled[key]


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda value: True
    if len(checks) == 1:
        return checks[0]
    checks = tuple(checks)

    def every(value) -> bool:  # a loop: cheaper than all() over a generator
        for check in checks:
            if not check(value):
                return False
        return True
    return every


def _type(c: _Compiler, arg, schema, doc) -> Check:
    tests = [_TYPES[t] for t in (arg if isinstance(arg, list) else [arg])]
    return lambda value: any(test(value) for test in tests)


def _only(kind: type | tuple, test: Check) -> Check:
    """A keyword that constrains one JSON type and lets the others pass."""
    return lambda value: not isinstance(value, kind) or test(value)


def _properties(c: _Compiler, arg, schema, doc) -> Check:
    subs = tuple((name, c.compile(sub, doc)) for name, sub in arg.items())

    def properties(value) -> bool:
        if not isinstance(value, dict):
            return True
        for name, check in subs:
            if name in value and not check(value[name]):
                return False
        return True
    return properties


def _additional(c: _Compiler, arg, schema, doc) -> Check:
    if "patternProperties" in schema:
        raise UnsupportedSchema("patternProperties")
    known = frozenset(schema.get("properties", {}))
    if arg is False:  # the usual case: no other keys at all
        return _only(dict, lambda value: known.issuperset(value))
    check = c.compile(arg, doc)
    return _only(dict, lambda value: all(check(value[k]) for k in value if k not in known))


def _contains(c: _Compiler, arg, schema, doc) -> Check:
    check = c.compile(arg, doc)
    low, high = schema.get("minContains", 1), schema.get("maxContains")

    def contains(value) -> bool:
        count = sum(1 for item in value if check(item))
        return count >= low and (high is None or count <= high)
    return _only(list, contains)


def _if(c: _Compiler, arg, schema, doc) -> Check:
    if "else" in schema:
        raise UnsupportedSchema("else")
    condition, then = c.compile(arg, doc), c.compile(schema.get("then", True), doc)
    return lambda value: not condition(value) or then(value)


def _ref(c: _Compiler, arg, schema, doc) -> Check:
    target, target_doc = c.resolve(arg, doc)
    compiled: list[Check] = []

    def ref(value) -> bool:  # compiled on first use: references may be circular
        if not compiled:
            compiled.append(c.compile(target, target_doc))
        return compiled[0](value)
    return ref


def _number(test: Callable[[Any], bool]) -> Check:
    return lambda value: not _is_number(value) or test(value)


def _many(c: _Compiler, arg, doc) -> list[Check]:
    return [c.compile(sub, doc) for sub in arg]


def _discriminated(c: _Compiler, arg: list, doc: dict) -> Check | None:
    """`allOf` of `if: {properties: {K: {const: "V"}}, required: [K]}, then: T`
    branches (how the verb schema picks SAY, PLAY, … by "type") as one table
    look-up instead of trying every branch. None when `arg` is not that shape."""
    table: dict[str, Check] = {}
    key = None
    for branch in arg:
        condition = branch.get("if") if isinstance(branch, dict) else None
        if (set(branch) != {"if", "then"} or not isinstance(condition, dict)
                or set(condition) != {"properties", "required"}
                or len(condition["properties"]) != 1):
            return None
        (name, sub), = condition["properties"].items()
        if condition["required"] != [name] or set(sub) != {"const"} \
                or not isinstance(sub["const"], str) or key not in (None, name):
            return None
        key = name
        table[sub["const"]] = c.compile(branch["then"], doc)
    everything = _all(list(table.values()))

    def dispatch(value) -> bool:
        if not isinstance(value, dict):
            return everything(value)  # `properties`/`required` pass vacuously on non-objects
        if key not in value:
            return True
        tag = value[key]
        check = table.get(tag) if isinstance(tag, str) else None
        return True if check is None else check(value)
    return dispatch


def _enum(c: _Compiler, arg, schema, doc) -> Check:
    if all(isinstance(member, str) for member in arg):
        # Strings equal strings only: a set look-up says the same as _equal.
        members = frozenset(arg)
        return lambda value: isinstance(value, str) and value in members
    return lambda value: any(_equal(value, e) for e in arg)


def _const(c: _Compiler, arg, schema, doc) -> Check:
    if isinstance(arg, str):
        return lambda value: isinstance(value, str) and value == arg
    return lambda value: _equal(value, arg)


def _one_of(c: _Compiler, arg, schema, doc) -> Check:
    subs = _many(c, arg, doc)
    return lambda value: sum(1 for check in subs if check(value)) == 1


_KEYWORDS: dict[str, Callable[..., Check]] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "pattern": lambda c, arg, s, d: _only(str, re.compile(arg).search),
    "minLength": lambda c, arg, s, d: _only(str, lambda value: len(value) >= arg),
    "maxLength": lambda c, arg, s, d: _only(str, lambda value: len(value) <= arg),
    "minimum": lambda c, arg, s, d: _number(lambda value: value >= arg),
    "maximum": lambda c, arg, s, d: _number(lambda value: value <= arg),
    "required": lambda c, arg, s, d: _only(dict, lambda value: all(k in value for k in arg)),
    "minProperties": lambda c, arg, s, d: _only(dict, lambda value: len(value) >= arg),
    "maxProperties": lambda c, arg, s, d: _only(dict, lambda value: len(value) <= arg),
    "properties": _properties,
    "additionalProperties": _additional,
    "items": lambda c, arg, s, d: (lambda check: _only(
        list, lambda value: all(map(check, value))))(c.compile(arg, d)),
    "minItems": lambda c, arg, s, d: _only(list, lambda value: len(value) >= arg),
    "contains": _contains,
    "allOf": lambda c, arg, s, d: _discriminated(c, arg, d) or _all(_many(c, arg, d)),
    "anyOf": lambda c, arg, s, d: (lambda subs: lambda value: any(
        check(value) for check in subs))(_many(c, arg, d)),
    "oneOf": _one_of,
    "if": _if,
    "$ref": _ref,
}


@cache
def _compiler() -> _Compiler:
    return _Compiler()


@cache
def _check_for(schema: str) -> Check:
    compiler = _compiler()
    document = load_schema(schema)
    return compiler.compile(document, document)


def is_valid(payload: Any, schema: str) -> bool:
    """Whether `payload` is valid against the named schema in `schemas/`."""
    return _check_for(schema)(payload)
