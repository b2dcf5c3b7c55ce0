"""Check JSON payloads written by hand or by another tool.

`validate_json` takes the text of a JSON document and first decides what it
is (its `Kind`): a request body for `POST /voice/conversation`, a dialplan
`{"verbs": [...]}`, or one verb `{"type": "DIAL", ...}` as Routee's reference
pages show them; with `kind="event"`, one of the bodies Routee itself sends
(to a dialPlanUrl, an eventUrl, a callback URL); or the kind it is told.
It judges the document as that kind and reports, at the line and column of
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

Mistakes copied from Routee's own examples get one precise diagnostic each:
a quoted scalar (`"true"` → `true`, `"30"` → `30`, with the fix), a callback
given as a string, a placeholder number such as `+3069xxxxxxxx`, a document
of another kind than the one asked for.

A problem the schema reports is not reported again by the semantic checks.
Nothing here raises on bad input.
"""

from __future__ import annotations

import json
import math
import os
import re
from .records import record, replace
from typing import Any, Iterable
from urllib.parse import urlsplit

from . import planrules, resources, routee, rules, schemas, values
from .diagnostics import Diagnostic, FileReport, Fix, Related, sort_diagnostics
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


# --- what a document is ------------------------------------------------------------------

@record
class Kind:
    """A kind of JSON document, judged against its own schema."""

    #: as `dialplan validate --kind` spells it
    name: str
    #: the file in schemas/ that describes it
    schema: str
    #: what it is, as a message says it ("a request body")
    what: str
    #: whether Routee sends it (rather than takes it)
    sent_by_routee: bool = False


BODY = Kind("body", resources.CONVERSATION, "a request body (POST /voice/conversation)")
DIALPLAN = Kind("dialplan", resources.DIALPLAN, 'a dialplan {"verbs": […]}')
VERB = Kind("verb", resources.VERB, "a single verb")
PLAN_REQUEST = Kind("dialplan-url", resources.PLAN_REQUEST,
                    "the body Routee sends to a dialPlanUrl", True)
EVENT = Kind("event-url", resources.EVENT, "the body Routee sends to an eventUrl", True)
CALLBACK = Kind("callback", resources.CALLBACK, "the body Routee sends to a callback URL", True)

KINDS: dict[str, Kind] = {kind.name: kind for kind in
                          (BODY, DIALPLAN, VERB, PLAN_REQUEST, EVENT, CALLBACK)}
#: What `kind=` takes: a kind's name to judge the document as that kind;
#: "auto" to recognise a request body, a dialplan or a single verb; "event"
#: to recognise which of the bodies Routee sends it is.
KIND_CHOICES = ("auto", "event", *KINDS)

#: Fields only the bodies Routee sends have.
_SENT_MARKERS = ("messageId", "conversationTrackingId", "collectedTones")
#: Fields only a callback body has.
_CALLBACK_MARKERS = ("status", "direction", "originatingService", "respectQuietHours",
                     "duration", "price")
#: Fields only what you send to Routee has.
_SENT_TO_ROUTEE_MARKERS = ("type", "verbs", "dialPlan", "dialPlanUrl")


def recognise(payload: Any, asked: str = "auto") -> Kind:
    """The kind a parsed document is judged as, for `asked` (one of
    `KIND_CHOICES`). A document that is not an object is judged as what
    was asked, or as a request body."""
    if asked in KINDS:
        return KINDS[asked]
    obj = payload if isinstance(payload, dict) else {}
    if asked == "event":
        keys = {key.lower() for key in obj}   # a misspelt case still tells the kind
        if keys & {key.lower() for key in _CALLBACK_MARKERS}:
            return CALLBACK
        return EVENT if "collectedtones" in keys else PLAN_REQUEST
    if "type" in obj and not {"verbs", "dialPlan", "dialPlanUrl"} & obj.keys():
        return VERB
    if isinstance(payload, list) and payload and \
            all(isinstance(item, dict) and "type" in item for item in payload):
        return DIALPLAN   # verbs without the {"verbs": …} around them
    return DIALPLAN if schemas.schema_for(payload) == resources.DIALPLAN else BODY


@record
class ValidationReport(FileReport):
    """A `FileReport` that also says what the document was judged as
    (None when it is not JSON)."""

    kind: Kind | None = None
    #: what the document is, for people: "a single verb (DIAL)"
    judged_as: str = "not JSON"


def validate_json(source: str | bytes, filename: str = "<string>", *,
                  config=None, kind: str = "auto") -> ValidationReport:
    """Check one JSON document (text, or bytes that should be UTF-8).

    `kind` (one of `KIND_CHOICES`) says what the document is, or how to
    recognise it; the report says what it was judged as. `config` (a
    `config.Config`) selects the warnings reported, as for `.call` files;
    errors are always kept. Never raises on bad input.
    """
    if kind not in KIND_CHOICES:
        raise ValueError(f"kind must be one of {', '.join(KIND_CHOICES)}, not {kind!r}")
    if isinstance(source, (bytes, bytearray, memoryview)):
        text, diagnostics = _decode(bytes(source), filename)
        if text is None:
            return ValidationReport(filename, None, tuple(diagnostics))
    else:
        text = strip_bom(source)
    validation = _Validation(parse_json(text, filename), filename, kind)
    diagnostics = validation.run()
    if config is not None:
        diagnostics = [d for d in diagnostics if config.keeps(d)]
    judged = validation.kind if validation.parsed.ok else None
    return ValidationReport(filename, text, tuple(sort_diagnostics(diagnostics)), judged,
                            validation.judged_as() if judged else "not JSON")


def validate_files(paths: Iterable[str | os.PathLike], *, config=None,
                   kind: str = "auto") -> list[ValidationReport]:
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
            reports.append(ValidationReport(name, None, (rules.UNREADABLE(
                Span(name, 1, 1, 1, 2, 0, 1), f"cannot read the file: {reason}",
                help="check the path and its permissions"),)))
            continue
        reports.append(validate_json(data, name, config=config, kind=kind))
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
    def __init__(self, parsed: ParsedJSON, file: str, asked: str = "auto") -> None:
        self.parsed = parsed
        self.file = file
        self.payload = parsed.value
        self.asked = asked
        self.diagnostics: list[Diagnostic] = list(parsed.diagnostics)
        self.kind = recognise(self.payload, asked)
        self.schema = self.kind.schema
        self.conversation = self.kind is BODY
        #: Paths the schema reported; the semantic checks leave them alone.
        self.flagged: set[Path] = set()

    def run(self) -> list[Diagnostic]:
        if not self.parsed.ok:
            return self.diagnostics
        if self._other_kind():
            return self.diagnostics
        self._schema_rules()
        if isinstance(self.payload, dict):
            self._semantic_rules()
        return _unique(self.diagnostics)

    def judged_as(self) -> str:
        if isinstance(self.payload, list) and self.kind is DIALPLAN:
            return "a list of verbs"
        if self.kind is VERB and self.verb_type(()):
            return f"a single verb ({self.verb_type(())})"
        return self.kind.what

    def _other_kind(self) -> bool:
        """Whether the document is plainly of a kind other than the ones
        asked for (a body Routee sends, given as one to send, or the other
        way round); then that is the one thing to say about it."""
        if not isinstance(self.payload, dict) or self.asked not in ("auto", "event"):
            return False
        sent = [key for key in _SENT_MARKERS if key in self.payload]
        to_routee = [key for key in _SENT_TO_ROUTEE_MARKERS if key in self.payload]
        if self.asked == "auto" and sent and not to_routee:
            kind = recognise(self.payload, "event")
            self.kind, self.schema = kind, kind.schema
            self.report(rules.PAYLOAD_SCHEMA, (sent[0],),
                        f"this is {kind.what}, not a document to send to Routee (it has "
                        f"{_names(sent)})", span=self.key_span((sent[0],)),
                        label="only Routee's own requests have this",
                        help=f"validate it as what Routee sends: dialplan validate --kind "
                             f"event (or --kind {kind.name})")
            return True
        if self.asked == "event" and to_routee and not sent:
            kind = recognise(self.payload)
            self.kind, self.schema = kind, kind.schema
            self.report(rules.PAYLOAD_SCHEMA, (to_routee[0],),
                        f"this is {kind.what}, which is sent to Routee, not a body Routee "
                        f"sends (it has {_names(to_routee)})",
                        span=self.key_span((to_routee[0],)),
                        label="only what is sent to Routee has this",
                        help=f"validate it without --kind event (or with --kind {kind.name})")
            return True
        return False

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
               related: Iterable[Related] = (), fixes: Iterable[Fix] = ()) -> None:
        pointer = json_pointer(path)
        where = f"at {pointer}" if pointer else "at the top level"
        self.diagnostics.append(rule(span or self.span(path), f"{message} ({where})",
                                     label=label, help=help, related=related, fixes=fixes))

    def is_verb(self, path: Path) -> bool:
        """Whether `path` is where a verb is: verbs/N, or the top of a single verb."""
        return _is_verb_path(path) or (not path and self.kind is VERB)

    def verb_type(self, path: Path) -> str | None:
        """The type of the verb at `path` (a verbs/N path), if it is one Routee has."""
        verb = self.node(path)
        kind = verb.get("type") if isinstance(verb, dict) else None
        return kind if kind in VERB_TYPES else None

    def object_name(self, path: Path) -> str:
        if not path and self.kind is not VERB:
            return {BODY: "the request body", DIALPLAN: "the plan"}.get(self.kind,
                                                                         self.kind.what)
        last = path[-1] if path else None
        if self.is_verb(path):
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
        if self.kind is BODY and self._verbs_for_a_plan(("dialPlan",)):
            # What is wrong inside is said once the verbs are in a plan.
            errors = [e for e in errors if e.path[:1] != ("dialPlan",)]
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

    def _verbs_for_a_plan(self, path: Path) -> bool:
        """Whether the plan at `path` is given as one verb or a list of
        verbs (as Routee's reference pages show verbs); if so, says so."""
        plan = self.node(path)
        if isinstance(plan, dict) and "type" in plan and "verbs" not in plan:
            what = "a single verb"
        elif isinstance(plan, list) and plan and \
                all(isinstance(item, dict) and "type" in item for item in plan):
            what = "a list of verbs"
        else:
            return False
        self.flagged.add(path)
        self.report(rules.PLAN_SHAPE, path, f"dialPlan holds {what}, not a plan",
                    label='a plan is {"verbs": […]}',
                    help='write "dialPlan": {"verbs": [ … ]} with the verbs inside')
        return True

    def _generic(self, error: schemas.SchemaError) -> None:
        message = error.message if len(error.message) <= 200 else error.message[:199] + "…"
        self.report(rules.PAYLOAD_SCHEMA, error.path, f"this does not match Routee's schema: "
                                                      f"{message}",
                    help=f"{self.kind.what} is described in schemas/{self.schema}")

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
            elif not error.path and self.kind in (BODY, DIALPLAN) and key == "type":
                message, help = (f"'type' is not a field of {name}: this is a verb",
                                 'validate it as a verb (--kind verb), or send it inside '
                                 + ('"dialPlan": ' if self.conversation else "")
                                 + '{"verbs": [ … ]}')
            elif error.path and error.path[-1] == "to":
                message = f"'{key}' is not a kind of recipient"
                help = "`to` holds exactly one of: phone, sip, viber"
            else:
                kind = self.verb_type(error.path) if self.is_verb(error.path) else None
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
            spelt = values.suggest(name, [key for key in obj if key not in allowed]) \
                if isinstance(obj, dict) else None
            if spelt is not None:
                self.report(rules.PAYLOAD_SCHEMA, error.path + (spelt,),
                            f"{owner} needs '{name}'; '{spelt}' is spelt differently",
                            span=self.key_span(error.path + (spelt,)),
                            label=f"'{name}'?", help=f"rename it to '{name}'")
                return
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
            self._not_an_object(value)
            return
        unquoted = _unquoted(value, expected, last in SECONDS_FIELDS)
        if unquoted is not None:
            wanted = "a boolean" if expected == "boolean" else "a number"
            self.report(rules.PAYLOAD_SCHEMA, path,
                        f"{field} is the string {json.dumps(value)}, not {wanted}: "
                        f"{json.dumps(value)} → {unquoted}",
                        label=f"write {unquoted}",
                        help=f"write {unquoted} without quotes: Routee wants a JSON "
                             f"{'boolean' if expected == 'boolean' else 'number'}, not a string",
                        fixes=[Fix(self.span(path), unquoted)])
            return
        if expected == "object" and isinstance(value, str) and \
                self._object_as_string(path, value):
            return
        if expected == "integer" and isinstance(value, float) and last in SECONDS_FIELDS:
            low = int(value) if value >= 0 else 0
            self.report(rules.SHORT_DURATION, path,
                        f"{field} must be whole seconds, not {_describe(value)}",
                        help=f"Routee counts in whole seconds: {low} or {low + 1}")
            return
        if expected == "integer" and isinstance(value, float):
            low = math.floor(value)
            self.report(rules.PAYLOAD_SCHEMA, path,
                        f"{field} must be a whole number, not {_describe(value)}",
                        help=f"write {low} or {low + 1}")
            return
        if self.is_verb(path):
            self.report(rules.PAYLOAD_SCHEMA, path,
                        f"a verb must be an object, not {_describe(value)}",
                        help='for example {"type": "PAUSE", "duration": 2}')
            return
        wanted = _TYPE_NAMES.get(expected, f"of type {expected}") if isinstance(expected, str) \
            else "something else"
        quoted = json.dumps(str(value)) if expected == "string" and _is_number(value) else None
        example = self._example(path, expected)
        self.report(rules.PAYLOAD_SCHEMA, path, f"{field} must be {wanted}, not "
                                                f"{_describe(value)}",
                    help=f"write it in quotes: {quoted}" if quoted else
                    f'for example "{last}": {example}' if isinstance(last, str) else
                    f"for example {example}",
                    fixes=[Fix(self.span(path), quoted)] if quoted else ())

    def _example(self, path: Path, expected: Any) -> str:
        """A value of the right kind for the field at `path`, as JSON."""
        last = path[-1] if path else None
        facts = self.facts(path)
        if facts.has("phone"):
            return '"+306912345678"'
        if facts.has("url"):
            return '"https://hooks.example.com/routee"'
        if isinstance(last, str) and last in _EXAMPLES:
            return _EXAMPLES[last]
        if isinstance(expected, list):
            expected = expected[0]
        return _TYPE_EXAMPLES.get(expected, "null")

    def _not_an_object(self, value: Any) -> None:
        if self.kind.sent_by_routee:
            help = f"{self.kind.what} is a JSON object"
        elif isinstance(value, list) and value and \
                all(isinstance(item, dict) and "type" in item for item in value):
            self.report(rules.PLAN_SHAPE, (), "these are verbs without the dialplan around "
                                              "them", label='wrap them in {"verbs": …}',
                        help='a dialplan is an object: write {"verbs": [ … ]}')
            return
        else:
            help = ('write a request body {"from": …, "to": …, "dialPlan": {"verbs": […]}}, '
                    'a plan {"verbs": […]} or one verb {"type": "SAY", …}')
        what = "the payload" if self.asked in ("auto", "event") else self.kind.what
        self.report(rules.PAYLOAD_SCHEMA, (), f"{what} must be a JSON object, not "
                                              f"{_describe(value)}", help=help)

    def _object_as_string(self, path: Path, value: str) -> bool:
        """A string where Routee's examples have an object: `callback`,
        `to`, `machineDetection`. Reported with the object to write."""
        last = path[-1]
        found = re.search(r"https?://\S+", value)
        url = found.group() if found else "https://hooks.example.com/status"
        if last == "callback":
            self.report(rules.PAYLOAD_SCHEMA, path,
                        f"callback must be an object {{url, strategy}}, not "
                        f"{_describe(value)}", label="an object goes here",
                        help=f'write "callback": {{"url": "{url}", "strategy": "OnChange"}} '
                             "(OnChange: every status; OnCompletion: the final one)")
        elif last == "to":
            compact = re.sub(r"[\s\-.()]", "", value)
            kind = "sip" if "@" in value else ("phone" if compact.startswith("+") else "viber")
            address = compact if kind != "sip" else value.removeprefix("sip:")
            self.report(rules.PAYLOAD_SCHEMA, path,
                        f"`to` must be an object {{phone | sip | viber}}, not "
                        f"{_describe(value)}", label="an object goes here",
                        help=f'write "to": {{"{kind}": {json.dumps(address)}}}')
        elif last == "machineDetection":
            strategy = value.strip().capitalize()
            strategy = strategy if strategy in routee.MACHINE_STRATEGIES.values() else "Hangup"
            self.report(rules.PAYLOAD_SCHEMA, path,
                        f"machineDetection must be an object {{strategy, eventUrl}}, not "
                        f"{_describe(value)}", label="an object goes here",
                        help=f'write "machineDetection": {{"strategy": "{strategy}"}}'
                             + (' with "eventUrl" for Continue' if strategy == "Continue"
                                else ""))
        else:
            return False
        return True

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
        if guess and guess[:1].lower() != value[:1].lower():
            guess = None  # "Answered" is not a slip for "NoAnswer": a typo keeps the first letter
        if last == "type" and self.is_verb(path[:-1]) and isinstance(value, str):
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
        elif isinstance(value, str) and not value:
            self.report(rules.PAYLOAD_SCHEMA, path, f"{self._field(path)} is empty",
                        help="write its value, or leave the field out if it is optional")
        else:
            self._generic(error)

    def _kw_pattern(self, error: schemas.SchemaError) -> None:
        value = self.node(error.path)
        path = error.path
        facts = self.facts(path)
        text = value if isinstance(value, str) else ""
        if _placeholder(text) and (facts.has("phone") or facts.has("target/properties/viber")):
            self._placeholder(path, text, rules.BAD_PHONE if facts.has("phone")
                              else rules.BAD_VIBER)
        elif facts.has("phone"):
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

    def _placeholder(self, path: Path, text: str, rule) -> None:
        example = {rules.BAD_VIBER: '"306912345678" (digits only)',
                   rules.BAD_SENDER: '"+302101234567", your caller id'}
        self.report(rule, path, f"'{text}' is not a number: a placeholder?",
                    label="a placeholder, as in Routee's examples",
                    help="put the real number here, e.g. "
                         + example.get(rule, '"+306912345678" (E.164)'))

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
        elif last in SECONDS_FIELDS and self.kind is not CALLBACK:
            self.report(rules.SHORT_DURATION, path,
                        f"'{last}' must be at least 1 s, not {_describe(value)}",
                        help="Routee counts in whole seconds; the shortest is 1")
        elif _is_number(self.facts(path).first("minimum")):
            least = self.facts(path).first("minimum")
            self.report(rules.PAYLOAD_SCHEMA, path,
                        f"{self._field(path)} must be at least {least}, not {_describe(value)}",
                        help=f"write {least} or more")
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
        if self.kind is VERB:
            self._plan([((), self.payload)], whole=False)
            return
        if self.kind is BODY:
            self._sender(("from",))
            self._target(("to",))
            self._url(("dialPlanUrl",))
            self._url(("callback", "url"))
            self._url(("machineDetection", "eventUrl"))
            base: Path = ("dialPlan", "verbs")
        elif self.kind is DIALPLAN:
            base = ("verbs",)
        else:
            return  # what Routee sends: its schema says all we know
        verbs = self.node(base)
        if isinstance(verbs, list):
            self._plan([(base + (index,), verb) for index, verb in enumerate(verbs)])

    def _usable(self, path: Path) -> Any:
        """The value at `path`, or _MISSING when absent or already reported."""
        if path in self.flagged:
            return _MISSING
        return self.node(path)

    def _plan(self, verbs: list[tuple[Path, Any]], whole: bool = True) -> None:
        """The rules of each verb, and (for a `whole` plan, not one verb on
        its own) the rules of the plan."""
        collects: list[Path] = []
        barge_ins: list[Path] = []
        forever: Path | None = None
        unreachable_reported = False
        for path, verb in verbs:
            if not isinstance(verb, dict):
                continue
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
        if not whole:
            return
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
        if _placeholder(sender):
            self._placeholder(path, sender, rules.BAD_SENDER)
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


#: A value of each field whose type alone says too little, as JSON.
_EXAMPLES = {
    "from": '"+302101234567"', "to": '{"phone": "+306912345678"}', "sip": '"alice@pbx.example.com"',
    "viber": '"306912345678"', "text": '"Hello."', "message":
    '{"text": "Hello.", "language": "en-GB"}', "verbs": '[{"type": "PAUSE", "duration": 1}]',
    "dialPlan": '{"verbs": [ … ]}', "callback":
    '{"url": "https://hooks.example.com/status", "strategy": "OnChange"}',
    "machineDetection": '{"strategy": "Hangup"}', "status": '{"name": "Completed"}',
    "collectedTones": '"12#"', "hangupDelay": "30", "maxDuration": "600", "duration": "2",
    "maxDigits": "4", "repeat": "2", "messageId": '"3f2a6c1e-…"',
    "conversationTrackingId": '"b1c7e0a2-…"',
}
_TYPE_EXAMPLES = {"integer": "1", "number": "0.5", "string": '"…"', "boolean": "true",
                  "object": "{ … }", "array": "[ … ]"}

_TYPE_NAMES = {"integer": "a whole number", "number": "a number", "string": "a string",
               "boolean": "true or false", "object": "an object", "array": "an array",
               "null": "null"}


def _unquoted(value: Any, expected: Any, seconds: bool) -> str | None:
    """The JSON a quoted scalar means, when a number or boolean is wanted:
    "30" → 30, "true" → true (and "30s" → 30 for a field in seconds)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if expected == "boolean" and text.lower() in ("true", "false"):
        return text.lower()
    if expected in ("integer", "number"):
        if re.fullmatch(r"-?[0-9]{1,15}", text):
            return str(int(text))
        if seconds and re.fullmatch(r"[0-9]{1,9} ?(s|sec|secs|seconds?)", text):
            return str(int(re.match(r"[0-9]+", text).group()))
        if expected == "number" and re.fullmatch(r"-?[0-9]{1,15}\.[0-9]{1,15}", text):
            return text
    return None


def _placeholder(text: str) -> bool:
    """Whether a phone number is a placeholder, as Routee's examples write
    them: `+3069xxxxxxxx`, `+30 69X XXX XXXX`, `+XXXXXXXXXXXX`."""
    compact = re.sub(r"[\s\-.()]", "", text)
    return bool(re.fullmatch(r"\+?[0-9]*[xX#*?_…]{2,}[0-9xX#*?_…]*", compact))


def _names(keys: list[str]) -> str:
    quoted = [f"'{key}'" for key in keys]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


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
