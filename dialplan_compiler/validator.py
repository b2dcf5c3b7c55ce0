"""Check JSON payloads written by hand or by another tool.

`validate_json` takes the text of a request body for `POST /voice/conversation`
or of a bare plan `{"verbs": [...]}` and reports, at the line and column of
the JSON and with its JSON pointer:

* text that is not JSON (DP010, from `jsonpos`), or not UTF-8 (DP001);
* every way it breaks Routee's schema (`schemas.validate`), each under the
  most specific code the `.call` checker uses for the same mistake (DP204
  for an unknown language, DP206 for a second DIAL, …) and DP220
  `payload-schema` for the rest, with a message that says what was
  expected ("'length' is not a PAUSE field; did you mean 'duration'?");
* the rules a schema cannot express, which the checker applies to scripts:
  phone numbers checked against real numbering plans, `.wav` files, plain
  http, alphanumeric senders, a second COLLECT, verbs after one that
  repeats forever, bargeIn without COLLECT, a DIAL ringing over 60 s.

A problem the schema reports is not reported again by the semantic checks.
Nothing here raises on bad input.
"""

from __future__ import annotations

import json
import os
import re
from .records import replace
from typing import Any, Iterable
from urllib.parse import urlsplit

from . import planrules, routee, rules, schemas, values
from .diagnostics import Diagnostic, FileReport, Related, sort_diagnostics
from .jsonpos import ParsedJSON, Path, json_pointer, parse_json
from .nodes import Span
from .text import decode_utf8, strip_bom

VERB_TYPES = routee.VERB_TYPES

#: Fields counted in whole seconds (DP209 when under 1 s or fractional).
SECONDS_FIELDS = ("duration", "hangupDelay", "maxDuration")

#: Field names people write for the ones Routee uses. A guess is offered only
#: when it is a field of the object at hand and not already in it.
ALIASES: dict[str, tuple[str, ...]] = {
    "length": ("duration",), "seconds": ("duration",), "time": ("duration",),
    "delay": ("duration", "hangupDelay"), "wait": ("duration",),
    "url": ("fileURL", "eventUrl"), "file": ("fileURL",), "audio": ("fileURL",),
    "src": ("fileURL",), "callbackurl": ("eventUrl", "recordingCallbackUrl"),
    "lang": ("language",), "locale": ("language",), "voice": ("gender",),
    "digits": ("maxDigits",), "max": ("maxDigits",), "numdigits": ("maxDigits",),
    "loop": ("repeat",), "interruptible": ("bargeIn",),
    "ring": ("hangupDelay",), "timeout": ("hangupDelay",), "limit": ("maxDuration",),
    "sender": ("from",), "caller": ("from",), "recipient": ("to",), "number": ("phone",),
    "plan": ("dialPlan",), "dialplan": ("dialPlan",),
    "status": ("callback",), "amd": ("machineDetection",),
}


def validate_json(source: str | bytes, filename: str = "<string>", *,
                  config=None) -> FileReport:
    """Check one JSON payload (text, or bytes that should be UTF-8).

    `config` (a `config.Config`) selects the warnings reported, as for
    `.call` files; errors are always kept. Never raises on bad input.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        text, diagnostics = _decode(bytes(source), filename)
        if text is None:
            return FileReport(filename, None, tuple(diagnostics))
    else:
        text = strip_bom(source)
    diagnostics = _Validation(parse_json(text, filename), filename).run()
    if config is not None:
        diagnostics = [d for d in diagnostics if config.keeps(d)]
    return FileReport(filename, text, tuple(sort_diagnostics(diagnostics)))


def validate_files(paths: Iterable[str | os.PathLike], *, config=None) -> list[FileReport]:
    """`validate_json` for each file; one that cannot be read gets a DP001
    diagnostic instead of an exception."""
    reports = []
    for path in paths:
        name = os.fsdecode(path)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            reports.append(FileReport(name, None, (rules.UNREADABLE(
                Span(name, 1, 1, 1, 2, 0, 1), f"cannot read the file: {reason}",
                help="check the path and its permissions"),)))
            continue
        reports.append(validate_json(data, name, config=config))
    return reports


def _decode(data: bytes, file: str) -> tuple[str | None, list[Diagnostic]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [rules.UNREADABLE(Span(file, 1, 1, 1, 2, 0, 1),
                                       "the file is UTF-16, not UTF-8 (byte 0)",
                                       help="JSON files are UTF-8: save it as UTF-8")]
    text, bom, bad = decode_utf8(data)
    if text is not None:
        return text, []
    before = data[bom: bom + bad]
    line = before.count(b"\n") + 1
    line_text = before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")
    column = len(line_text) + 1
    offset = len(before.decode("utf-8", "replace"))
    return None, [rules.UNREADABLE(
        Span(file, line, column, line, column + 1, offset, offset + 1),
        f"the file is not valid UTF-8 (byte {bom + bad})",
        help="JSON files are UTF-8: save it as UTF-8")]


# --- the schema, as far as messages need it ----------------------------------------

def _resolve(ref: str, base: str) -> tuple[Any, str]:
    name, _, fragment = ref.partition("#")
    name = name or base
    schema: Any = schemas.load_schema(name)
    for part in fragment.split("/")[1:]:
        schema = schema[part.replace("~1", "/").replace("~0", "~")]
    return schema, name


_IF_VALIDATORS: dict[int, Any] = {}


def _matches(schema: dict, instance: Any) -> bool:
    validator = _IF_VALIDATORS.get(id(schema))
    if validator is None:
        from jsonschema import Draft202012Validator

        validator = _IF_VALIDATORS[id(schema)] = Draft202012Validator(schema)
    return validator.is_valid(instance)


def _applicable(parts: list[tuple[Any, str]], instance: Any) -> list[tuple[dict, str]]:
    """The schemas in `parts` (each with the file its references are relative
    to) and every subschema that applies to `instance` through `$ref`,
    `allOf` and `if`/`then`/`else`."""
    found, todo = [], list(parts)
    while todo:
        schema, base = todo.pop()
        if not isinstance(schema, dict):
            continue
        found.append((schema, base))
        if "$ref" in schema:
            todo.append(_resolve(schema["$ref"], base))
        todo.extend((sub, base) for sub in schema.get("allOf", ()))
        if "if" in schema:
            branch = "then" if _matches(schema["if"], instance) else "else"
            if branch in schema:
                todo.append((schema[branch], base))
    return found


class _Facts:
    """What the schema says about the value at one path."""

    def __init__(self, parts: list[tuple[dict, str]]) -> None:
        self.parts = [schema for schema, _ in parts]

    def first(self, keyword: str) -> Any:
        return next((p[keyword] for p in self.parts if keyword in p), None)

    @property
    def properties(self) -> list[str]:
        names: dict[str, None] = {}
        for part in self.parts:
            names.update(dict.fromkeys(part.get("properties", {})))
        return list(names)

    @property
    def required(self) -> list[str]:
        names: dict[str, None] = {}
        for part in self.parts:
            names.update(dict.fromkeys(part.get("required", ())))
        return list(names)

    def has(self, definition: str) -> bool:
        """Whether `dialplan.schema.json#/$defs/<definition>` applies here."""
        target = schemas.load_schema(schemas.DIALPLAN)["$defs"]
        for part in definition.split("/"):
            target = target[part]
        return any(part is target for part in self.parts)


_MISSING = object()


# --- one validation --------------------------------------------------------------

class _Validation:
    def __init__(self, parsed: ParsedJSON, file: str) -> None:
        self.parsed = parsed
        self.file = file
        self.payload = parsed.value
        self.diagnostics: list[Diagnostic] = list(parsed.diagnostics)
        self.schema = schemas.schema_for(self.payload)
        self.conversation = self.schema == schemas.CONVERSATION
        #: Paths the schema reported; the semantic checks leave them alone.
        self.flagged: set[Path] = set()

    def run(self) -> list[Diagnostic]:
        if not self.parsed.ok:
            return self.diagnostics
        self._schema_rules()
        if isinstance(self.payload, dict):
            self._semantic_rules()
        return _unique(self.diagnostics)

    # --- helpers -------------------------------------------------------------------

    def node(self, path: Path) -> Any:
        value = self.payload
        for part in path:
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                return _MISSING
        return value

    def span(self, path: Path) -> Span:
        return self.parsed.span_for(path) or Span(self.file, 1, 1, 1, 2, 0, 1)

    def key_span(self, path: Path) -> Span:
        return self.parsed.key_spans.get(tuple(path)) or self.span(path)

    def facts(self, path: Path) -> _Facts:
        """The schema at `path`, found by walking the payload down it."""
        parts: list[tuple[Any, str]] = [(schemas.load_schema(self.schema), self.schema)]
        instance = self.payload
        try:
            for step in path:
                nested = []
                for schema, base in _applicable(parts, instance):
                    sub = schema.get("items") if isinstance(step, int) else \
                        schema.get("properties", {}).get(step)
                    if sub is not None:
                        nested.append((sub, base))
                instance = instance[step]
                parts = nested
            return _Facts(_applicable(parts, instance))
        except (KeyError, IndexError, TypeError):  # a path the payload does not have
            return _Facts([])

    def report(self, rule, path: Path, message: str, *, span: Span | None = None,
               label: str | None = None, help: str | None = None,
               related: Iterable[Related] = ()) -> None:
        pointer = json_pointer(path)
        where = f"at {pointer}" if pointer else "at the top level"
        self.diagnostics.append(rule(span or self.span(path), f"{message} ({where})",
                                     label=label, help=help, related=related))

    def verb_type(self, path: Path) -> str | None:
        """The type of the verb at `path` (a verbs/N path), if it is one Routee has."""
        verb = self.node(path)
        kind = verb.get("type") if isinstance(verb, dict) else None
        return kind if kind in VERB_TYPES else None

    def object_name(self, path: Path) -> str:
        if not path:
            return "the request body" if self.conversation else "the plan"
        last = path[-1]
        if _is_verb_path(path):
            kind = self.verb_type(path)
            return f"a {kind} verb" if kind else "a verb"
        return {"message": "a SAY message", "to": "`to`"}.get(str(last), f"'{last}'")

    # --- schema errors ---------------------------------------------------------------

    def _schema_rules(self) -> None:
        errors = schemas.validate(self.payload, self.schema)
        if not isinstance(self.payload, dict):
            # `oneOf: [{required: …}, …]` fails on anything that is not an
            # object; "must be an object" says all there is to say.
            errors = [e for e in errors if e.path or e.keyword == "type"]
        # A value of the wrong type breaks its range or length too; the type
        # is what to fix.
        mistyped = {e.path for e in errors if e.keyword == "type"}
        errors = [e for e in errors if e.keyword == "type" or e.path not in mistyped]
        renamed: dict[Path, set[str]] = {}
        for error in errors:
            if error.keyword == "additionalProperties":
                renamed.setdefault(error.path, set()).update(
                    self._extra_properties(error.path, error.message))
        for error in errors:
            self.flagged.add(error.path)
            handler = getattr(self, f"_kw_{error.keyword}", None)
            if handler is None:
                self._generic(error)
            elif error.keyword == "required":
                handler(error, renamed.get(error.path, set()))
            else:
                handler(error)

    def _generic(self, error: schemas.SchemaError) -> None:
        message = error.message if len(error.message) <= 200 else error.message[:199] + "…"
        self.report(rules.PAYLOAD_SCHEMA, error.path, f"this does not match Routee's schema: "
                                                      f"{message}")

    def _field(self, path: Path) -> str:
        if not path:
            return "the payload"
        last = path[-1]
        return f"item {last} of '{path[-2]}'" if isinstance(last, int) and len(path) > 1 \
            else f"'{last}'"

    # additionalProperties: one diagnostic per unknown field, at its key.

    def _extra_properties(self, path: Path, message: str) -> list[str]:
        obj = self.node(path)
        if not isinstance(obj, dict):
            return []
        allowed = self.facts(path).properties
        if allowed:
            return [key for key in obj if key not in allowed]
        match = re.search(r"\((.*) (?:was|were) unexpected\)", message)
        if not match:
            return []
        return [key for key in obj if repr(key) in match.group(1)]

    def _guess(self, key: str, allowed: list[str], present: Iterable[str]) -> str | None:
        candidates = [name for name in allowed if name not in present]
        for alias in ALIASES.get(key.lower(), ()):
            if alias in candidates:
                return alias
        return values.suggest(key, candidates) if candidates else None

    def _kw_additionalProperties(self, error: schemas.SchemaError) -> None:
        obj = self.node(error.path)
        if not isinstance(obj, dict):
            return self._generic(error)
        allowed = self.facts(error.path).properties
        name = self.object_name(error.path)
        for key in self._extra_properties(error.path, error.message):
            path = error.path + (key,)
            guess = self._guess(key, allowed, obj)
            if not error.path and self.conversation and key == "verbs":
                message, help = ("'verbs' is not a field of the request body",
                                 'the verbs go inside "dialPlan": {"verbs": […]}')
            elif error.path and error.path[-1] == "to":
                message = f"'{key}' is not a kind of recipient"
                help = "`to` holds exactly one of: phone, sip, viber"
            else:
                kind = self.verb_type(error.path) if _is_verb_path(error.path) else None
                what = f"a {kind} field" if kind else f"a field of {name}"
                message = f"'{key}' is not {what}"
                help = f"{name} takes: " + ", ".join(allowed) if allowed else None
            if guess:
                message += f"; did you mean '{guess}'?"
                if guess in self.facts(error.path).required:
                    help = f"rename it to '{guess}'" + (f" ({help})" if help else "")
            self.report(rules.PAYLOAD_SCHEMA, path, message, span=self.key_span(path),
                        label=f"did you mean '{guess}'?" if guess else "unknown field",
                        help=help)

    # required: a missing field, at the object that lacks it.

    def _kw_required(self, error: schemas.SchemaError, renamed: set[str]) -> None:
        obj = self.node(error.path)
        facts = self.facts(error.path)
        missing = [name for name in facts.required if isinstance(obj, dict) and name not in obj]
        match = re.fullmatch(r"'(.*)' is a required property", error.message)
        name = match.group(1) if match else (missing[0] if len(missing) == 1 else None)
        if name is None:
            return self._generic(error)
        allowed = facts.properties
        if any(self._guess(key, allowed, obj) == name for key in renamed):
            return  # reported as "'length' is not a PAUSE field; did you mean 'duration'?"
        owner = self.object_name(error.path)
        message = f"{owner} needs '{name}'"
        last = error.path[-1] if error.path else None
        if name == "eventUrl" and last == "machineDetection":
            self.report(rules.MACHINE_URL, error.path,
                        "machineDetection with strategy Continue needs 'eventUrl', the URL "
                        "Routee calls when a machine answers",
                        help='add "eventUrl": "https://hooks.example.com/amd", or use '
                             '"strategy": "Hangup"')
        elif name == "from":
            self.report(rules.NO_SENDER, error.path, message,
                        help='add "from": "+302101234567" (the caller id)')
        elif name == "to":
            self.report(rules.NO_RECIPIENT, error.path, message,
                        help='add "to": {"phone": "+306912345678"}')
        elif name == "language" and last == "message":
            self.report(rules.NO_LANGUAGE, error.path, message,
                        help='add "language": "en-GB"; Routee\'s languages: '
                             + " ".join(routee.LANGUAGES))
        elif name == "verbs":
            self.report(rules.PLAN_SHAPE, error.path, message,
                        help='a plan is {"verbs": [{"type": "SAY", …}, …]}')
        elif name == "type":
            self.report(rules.PAYLOAD_SCHEMA, error.path, message,
                        help="a verb's type is one of: " + ", ".join(VERB_TYPES))
        else:
            self.report(rules.PAYLOAD_SCHEMA, error.path, message,
                        help=f"{owner} takes: " + ", ".join(allowed) if allowed else None)

    # type: the wrong kind of value, with quoted numbers and booleans singled out.

    def _kw_type(self, error: schemas.SchemaError) -> None:
        value = self.node(error.path)
        expected = self.facts(error.path).first("type")
        if expected is None:
            match = re.search(r"is not of type '(\w+)'", error.message)
            expected = match.group(1) if match else None
        path, field = error.path, self._field(error.path)
        last = path[-1] if path else None
        if not path:
            self.report(rules.PAYLOAD_SCHEMA, path,
                        f"the payload must be a JSON object, not {_describe(value)}",
                        help='write a request body {"from": …, "to": …, "dialPlan": '
                             '{"verbs": […]}} or a plan {"verbs": […]}')
            return
        if isinstance(value, str) and expected == "integer" and \
                re.fullmatch(r"\s*-?[0-9]+\s*", value):
            number = int(value)
            self.report(rules.PAYLOAD_SCHEMA, path,
                        f"{field} is the string {json.dumps(value)}, not a number",
                        label="quoted", help=f"write {number} without quotes: Routee "
                                             "wants a JSON number, not a string")
            return
        if isinstance(value, str) and expected == "boolean" and \
                value.strip().lower() in ("true", "false"):
            literal = value.strip().lower()
            self.report(rules.PAYLOAD_SCHEMA, path,
                        f"{field} is the string {json.dumps(value)}, not a boolean",
                        label="quoted", help=f"write {literal} without quotes: Routee "
                                             "wants a JSON boolean, not a string")
            return
        if expected == "integer" and isinstance(value, float) and last in SECONDS_FIELDS:
            low = int(value) if value >= 0 else 0
            self.report(rules.SHORT_DURATION, path,
                        f"{field} must be whole seconds, not {_describe(value)}",
                        help=f"Routee counts in whole seconds: {low} or {low + 1}")
            return
        if expected == "integer" and isinstance(value, float):
            self.report(rules.PAYLOAD_SCHEMA, path,
                        f"{field} must be a whole number, not {_describe(value)}")
            return
        if _is_verb_path(path):
            self.report(rules.PAYLOAD_SCHEMA, path,
                        f"a verb must be an object, not {_describe(value)}",
                        help='for example {"type": "PAUSE", "duration": 2}')
            return
        wanted = _TYPE_NAMES.get(expected, f"of type {expected}") if isinstance(expected, str) \
            else "something else"
        self.report(rules.PAYLOAD_SCHEMA, path, f"{field} must be {wanted}, not "
                                                f"{_describe(value)}")

    # enum and const: a value outside a fixed list.

    def _kw_enum(self, error: schemas.SchemaError) -> None:
        value = self.node(error.path)
        path, field = error.path, self._field(error.path)
        last = path[-1] if path else None
        choices = self.facts(path).first("enum") or []
        if last == "language":
            guess = values.suggest_language(value) if isinstance(value, str) else None
            message = f"'{value}' is not a language Routee speaks" if isinstance(value, str) \
                else f"the language must be a code such as \"en-GB\", not {_describe(value)}"
            self.report(rules.UNKNOWN_LANGUAGE, path,
                        message + (f"; did you mean '{guess}'?" if guess else ""),
                        label=f"did you mean '{guess}'?" if guess else None,
                        help="Routee's languages: " + " ".join(routee.LANGUAGES))
            return
        guess = values.suggest(value, [str(c) for c in choices]) if isinstance(value, str) else None
        if last == "type" and _is_verb_path(path[:-1]) and isinstance(value, str):
            message = f"'{value}' is not a verb type"
        elif choices:
            message = f"{field} must be one of {', '.join(map(str, choices))}, not " \
                      f"{_describe(value)}"
        else:
            message = error.message
        if guess:
            message += f"; did you mean '{guess}'?"
        self.report(rules.PAYLOAD_SCHEMA, path, message,
                    label=f"did you mean '{guess}'?" if guess else None,
                    help="one of: " + ", ".join(map(str, choices)) if choices else None)

    # lengths, patterns and ranges: mapped to the checker's codes.

    def _kw_minLength(self, error: schemas.SchemaError) -> None:
        self._length(error)

    def _kw_maxLength(self, error: schemas.SchemaError) -> None:
        self._length(error)

    def _length(self, error: schemas.SchemaError) -> None:
        value = self.node(error.path)
        path = error.path
        last = path[-1] if path else None
        facts = self.facts(path)
        size = len(value) if isinstance(value, str) else 0
        if last == "text" and len(path) >= 2 and path[-2] == "message":
            limit = routee.MAX_TEXT_LENGTH
            self.report(rules.TEXT_LENGTH, path,
                        f"SAY text must be 1 to {limit} characters; this one has {size}",
                        help="split long text over several SAY verbs" if size else
                        "write the text to speak, or remove the verb")
        elif last == "from":
            if size == 0:
                self.report(rules.BAD_SENDER, path, "the sender id is empty",
                            help='write a number such as "+302101234567"')
            else:
                self.report(rules.BAD_SENDER, path,
                            f"a numeric sender id has at most {routee.MAX_NUMERIC_SENDER} "
                            f"characters; this one has {size}",
                            help="check the number: E.164 has at most 15 digits")
        elif facts.has("url"):
            self.report(rules.BAD_URL, path, f"the URL is {size} characters long; "
                                             f"Routee takes at most {routee.MAX_URL_LENGTH}",
                        help="shorten it, e.g. move state from the query string to "
                             "your server")
        else:
            self._generic(error)

    def _kw_pattern(self, error: schemas.SchemaError) -> None:
        value = self.node(error.path)
        path = error.path
        facts = self.facts(path)
        text = value if isinstance(value, str) else ""
        if facts.has("phone"):
            compact = re.sub(r"[\s\-.()]", "", text)
            if re.fullmatch(r"[0-9]+", compact):
                self.report(rules.BAD_PHONE, path,
                            f"'{text}' is not an E.164 phone number: it lacks the +",
                            help=f'write "+{compact.lstrip("0")}" with the country code')
            elif compact != text and re.fullmatch(r"\+[1-9][0-9]{1,14}", compact):
                self.report(rules.BAD_PHONE, path,
                            f"'{text}' holds spaces or punctuation",
                            help=f'write "{compact}": E.164 is + and digits only')
            else:
                self.report(rules.BAD_PHONE, path,
                            f"'{text}' is not an E.164 phone number",
                            help='write it with + and the country code, e.g. "+302101234567"')
        elif facts.has("target/properties/viber"):
            digits = re.sub(r"[^0-9]", "", text)
            self.report(rules.BAD_VIBER, path,
                        f"'{text}' is not a Viber number: digits only, with the country "
                        "code and no +",
                        help=f'write "{digits}"' if digits else 'for example "306971234567"')
        elif facts.has("target/properties/sip"):
            hint = 'without the "sip:" prefix' if text.lower().startswith("sip:") else \
                'as "alice@example.com" or "alice@10.0.0.1:5060"'
            self.report(rules.BAD_SIP, path,
                        f"'{text}' is not a SIP address of the form user@host[:port]",
                        help=f"write it {hint}")
        elif facts.has("url"):
            self.report(rules.BAD_URL, path,
                        f"{self._field(path)} must be an absolute http(s) URL, not "
                        f"{_describe(value)}",
                        help='for example "https://hooks.example.com/routee"')
        else:
            self._generic(error)

    def _kw_minimum(self, error: schemas.SchemaError) -> None:
        value = self.node(error.path)
        path = error.path
        last = path[-1] if path else None
        if last == "maxDigits":
            self.report(rules.ZERO_DIGITS, path, f"maxDigits {_describe(value)} collects nothing",
                        help="collect at least 1 digit (Routee's default is 30)")
        elif last == "repeat":
            self.report(rules.BAD_REPEAT, path,
                        f"repeat takes a count of 0 or more, or -1 for forever, not "
                        f"{_describe(value)}", help="repeat 2, or -1 to repeat forever")
        elif last in SECONDS_FIELDS:
            self.report(rules.SHORT_DURATION, path,
                        f"'{last}' must be at least 1 s, not {_describe(value)}",
                        help="Routee counts in whole seconds; the shortest is 1")
        else:
            self._generic(error)

    def _kw_maximum(self, error: schemas.SchemaError) -> None:
        value = self.node(error.path)
        path = error.path
        if path and path[-1] == "hangupDelay":
            low, high = routee.HANGUP_DELAY_RANGE
            self.report(rules.RING_RANGE, path,
                        f"hangupDelay is {_describe(value)} s; Routee waits {low} to {high} s "
                        "for an answer", help=f"use at most {high}")
        else:
            self._generic(error)

    # the shape of the plan and of the request.

    def _kw_maxContains(self, error: schemas.SchemaError) -> None:
        verbs = self.node(error.path)
        if not isinstance(verbs, list):
            return self._generic(error)
        dials = [i for i, verb in enumerate(verbs)
                 if isinstance(verb, dict) and verb.get("type") == "DIAL"]
        paths = [error.path + (index,) for index in dials]
        self._findings(planrules.second_dials([planrules.Verb(p, p) for p in paths],
                                              planrules.JSON))

    def _kw_minItems(self, error: schemas.SchemaError) -> None:
        if error.path and error.path[-1] == "verbs":
            self.report(rules.PLAN_SHAPE, error.path, "the plan has no verbs",
                        help='add at least one, e.g. {"type": "SAY", "message": '
                             '{"text": "Hello.", "language": "en-GB"}}')
        else:
            self._generic(error)

    def _kw_oneOf(self, error: schemas.SchemaError) -> None:
        payload = self.node(error.path)
        if error.path or not isinstance(payload, dict):
            return self._generic(error)
        if "dialPlan" in payload and "dialPlanUrl" in payload:
            self.report(rules.PLAN_SHAPE, ("dialPlanUrl",),
                        "a request has dialPlan or dialPlanUrl, not both",
                        span=self.key_span(("dialPlanUrl",)),
                        related=[Related(self.key_span(("dialPlan",)), "dialPlan is here")],
                        help="remove dialPlanUrl to send the verbs inline, or dialPlan to "
                             "let Routee fetch them")
        else:
            self.report(rules.PLAN_SHAPE, error.path,
                        "the request has neither dialPlan nor dialPlanUrl: the call has "
                        "nothing to do",
                        help='add "dialPlan": {"verbs": […]}, or "dialPlanUrl": "https://…"')

    def _kw_minProperties(self, error: schemas.SchemaError) -> None:
        self._target_count(error)

    def _kw_maxProperties(self, error: schemas.SchemaError) -> None:
        self._target_count(error)

    def _target_count(self, error: schemas.SchemaError) -> None:
        obj = self.node(error.path)
        if not (error.path and error.path[-1] == "to" and isinstance(obj, dict)):
            return self._generic(error)
        kinds = ", ".join(obj) or "nothing"
        self.report(rules.PAYLOAD_SCHEMA, error.path,
                    f"`to` must hold exactly one of phone, sip, viber; this one has {kinds}",
                    help='for example {"phone": "+306912345678"}')

    # --- rules the schema cannot express ------------------------------------------------

    def _semantic_rules(self) -> None:
        if self.conversation:
            self._sender(("from",))
            self._target(("to",))
            self._url(("dialPlanUrl",))
            self._url(("callback", "url"))
            self._url(("machineDetection", "eventUrl"))
            base: Path = ("dialPlan", "verbs")
        else:
            base = ("verbs",)
        verbs = self.node(base)
        if isinstance(verbs, list):
            self._plan(base, verbs)

    def _usable(self, path: Path) -> Any:
        """The value at `path`, or _MISSING when absent or already reported."""
        if path in self.flagged:
            return _MISSING
        return self.node(path)

    def _plan(self, base: Path, verbs: list) -> None:
        collects: list[Path] = []
        barge_ins: list[Path] = []
        forever: Path | None = None
        unreachable_reported = False
        for index, verb in enumerate(verbs):
            if not isinstance(verb, dict):
                continue
            path = base + (index,)
            if forever is not None and not unreachable_reported:
                unreachable_reported = True
                self._findings([planrules.unreachable_verb(path, forever + ("repeat",),
                                                           planrules.JSON)])
            kind = verb.get("type")
            if kind in ("SAY", "PLAY"):
                if _number_equals(verb.get("repeat"), -1) and forever is None:
                    forever = path
                if verb.get("bargeIn") is True:
                    barge_ins.append(path + ("bargeIn",))
            if kind == "PLAY":
                url = self._url(path + ("fileURL",))
                if url is not None:
                    values.wav(urlsplit(url).path, self.span(path + ("fileURL",)),
                               self._at(path + ("fileURL",)))
            elif kind == "COLLECT":
                collects.append(path)
                self._url(path + ("eventUrl",))
            elif kind == "DIAL":
                self._sender(path + ("from",))
                self._target(path + ("to",))
                self._url(path + ("recordingCallbackUrl",))
                self._url(path + ("callback", "url"))
                self._url(path + ("machineDetection", "eventUrl"))
                ring = self._usable(path + ("hangupDelay",))
                high = routee.HANGUP_DELAY_RANGE[1]
                if _is_number(ring) and ring > high:
                    self._findings([planrules.long_dial_ring(
                        path + ("hangupDelay",), _describe(ring), planrules.JSON)])
        collect_verbs = [planrules.Verb(p, p) for p in collects]
        self._findings(planrules.second_collects(collect_verbs, planrules.JSON)
                       + planrules.useless_interruptibles(barge_ins, collect_verbs,
                                                          planrules.JSON))

    def _findings(self, findings: Iterable[planrules.Finding]) -> None:
        """Report what the plan rules found, at their JSON paths."""
        for found in findings:
            self.report(found.rule, found.at, found.message, label=found.label,
                        help=found.help,
                        related=[Related(self.span(where), note) for where, note in found.related])

    def _url(self, path: Path) -> str | None:
        """A URL field the schema accepted; warns about plain http."""
        url = self._usable(path)
        if not isinstance(url, str):
            return None
        if urlsplit(url).scheme.lower() == "http":
            values.plain_http(self.span(path), self._field(path), self._at(path))
        return url

    def _sender(self, path: Path) -> None:
        sender = self._usable(path)
        if not isinstance(sender, str) or not sender:
            return
        values.sender(sender, self.span(path), self._at(path), spaced_phone=False)

    def _target(self, path: Path) -> None:
        target = self._usable(path)
        if not isinstance(target, dict):
            return
        phone = self._usable(path + ("phone",))
        if isinstance(phone, str):
            values.phone(phone, self.span(path + ("phone",)), "phone number",
                         self._at(path + ("phone",)))
        sip = self._usable(path + ("sip",))
        if isinstance(sip, str):
            values.sip(sip, self.span(path + ("sip",)), "sip address", self._at(path + ("sip",)))

    def _at(self, path: Path) -> values.Report:
        """A `values` reporter whose diagnostics say where in the JSON they are."""
        pointer = json_pointer(path)

        def report(found: Diagnostic) -> None:
            self.diagnostics.append(replace(found, message=f"{found.message} (at {pointer})"))

        return report


_TYPE_NAMES = {"integer": "a whole number", "number": "a number", "string": "a string",
               "boolean": "true or false", "object": "an object", "array": "an array",
               "null": "null"}


def _is_verb_path(path: Path) -> bool:
    return len(path) >= 2 and isinstance(path[-1], int) and path[-2] == "verbs"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number_equals(value: Any, number: int) -> bool:
    return _is_number(value) and value == number


def _describe(value: Any) -> str:
    """A JSON value as it would be written, shortened."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if _is_number(value):
        return json.dumps(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return f"the string {text if len(text) <= 60 else text[:58] + '…' + chr(34)}"
    if isinstance(value, list):
        return "an empty array" if not value else "an array"
    if isinstance(value, dict):
        return "an empty object" if not value else "an object"
    return repr(value)


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen, out = set(), []
    for diagnostic in diagnostics:
        key = (diagnostic.code, diagnostic.span, diagnostic.message)
        if key not in seen:
            seen.add(key)
            out.append(diagnostic)
    return out
