"""JSON payload → `.call` source (`dialplan decompile`).

The input is what `dialplan compile` outputs: a request body of
`POST /voice/conversation` or a bare plan `{"verbs": [...]}`, or a single
verb `{"type": "DIAL", ...}` as Routee's reference pages show them (it
becomes a one-verb script). The output is
a script in canonical style (it goes through the formatter last) that
compiles back to the same JSON:

* a `# decompiled from NAME` comment at the top;
* the call settings, then a blank line, then the verbs;
* a `voice LANG [GENDER]` line before a run of two or more `say`s that share
  a language and gender (other `say`s carry their own `in`/`as`);
* a `dial` leaves out its `from` when it is the call's;
* durations in the largest exact units (90 → `1m30s`), strings escaped
  minimally (JSON text that looks like a `{placeholder}` is written with
  doubled braces, so it stays literal);
* Routee's defaults are not added: `notify URL` for `OnChange`;
* numbers and booleans in quotes (`"duration": "10"`, as some of Routee's
  own examples write them) become the numbers and booleans they mean.

Two kinds of problems are reported, both with the JSON pointer and the line
and column of the JSON:

* what Routee would reject, by `validator.validate_json` (the diagnostics of
  `dialplan validate`). The JSON is still decompiled where the language can
  write it, so that the checker's messages can guide the fix;
* what the `.call` language cannot write (DP401): an unknown field, a value
  of the wrong JSON type, `"bargeIn": false` (the language only has
  `interruptible`), a COLLECT without `eventUrl`, and the like. Nothing is
  dropped silently: each such field is an error and is also left in the
  output as a `# not decompiled: POINTER = VALUE` comment.

When the input has no errors at all, the result is compiled and compared
with the input; a difference is reported as DP401 at the pointer where they
part, so `compile(decompile(P)) == P` is checked on every run, not assumed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from . import routee, rules, schemas
from .diagnostics import Diagnostic, has_errors, sort_diagnostics
from .formatter import duration_text, format_source, quote
from .nodes import Span
from .statements import REQUEST_FIELDS, SETTINGS, STATEMENTS, VERB_TYPES, VERBS

#: A bare atom, as `grammar/dialplan.lark` reads one.
_ATOM = re.compile(r'[^\s"{};#\\\x00-\x1f\x7f]+')
_MISSING = object()

#: The fields of each verb, by its Routee type (from the statement table).
_VERB_FIELDS = {STATEMENTS[name].verb: ("type",) + STATEMENTS[name].fields for name in VERBS}
#: The setting that writes each field of the request body (`ring` for
#: hangupDelay, ...), and the option of `dial` that writes each field of DIAL.
_SETTING_FOR = {field: name for name in SETTINGS for field in STATEMENTS[name].fields}
_DIAL_OPTION_FOR = {field: option.name for option in STATEMENTS["dial"].options
                    for field in option.fields}
_STRATEGIES = {v: k for k, v in routee.CALLBACK_STRATEGIES.items()}   # OnChange → change


@dataclass
class Decompiled:
    """What `decompile` produced.

    `text` is the `.call` source, or None when the input is not a JSON
    object. `diagnostics` holds the validator's findings and the DP401
    errors, all located in the JSON (`json_text`, for snippets).
    """

    text: str | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    json_text: str | None = None

    @property
    def ok(self) -> bool:
        return self.text is not None and not has_errors(self.diagnostics)


def decompile(source: str | bytes, filename: str = "<string>", *, config=None) -> Decompiled:
    """Decompile one JSON payload (text, or bytes that should be UTF-8).
    `config` selects the validator's warnings, as for `dialplan validate`.
    Never raises on bad input."""
    from .jsonpos import parse_json
    from .validator import BODY, DIALPLAN, VERB, validate_json

    report = validate_json(source, filename, config=config)
    diagnostics = list(report.diagnostics)
    if report.source is None:
        return Decompiled(None, diagnostics, None)
    parsed = parse_json(report.source, filename)
    if not parsed.ok:
        return Decompiled(None, diagnostics, report.source)
    if report.kind not in (BODY, DIALPLAN, VERB):  # a body Routee sends: no script in it
        return Decompiled(None, diagnostics, report.source)
    writer = _Writer(parsed, filename, single_verb=report.kind is VERB)
    if not isinstance(parsed.value, dict):
        if not has_errors(diagnostics):  # the validator reports this; never pass silently
            writer.fail((), "the payload must be an object: a request body or "
                            '{"verbs": [...]}', note=False, label="nothing was written")
        return Decompiled(None, sort_diagnostics(diagnostics + writer.diagnostics),
                          report.source)
    body = writer.payload(parsed.value, _source_name(filename))
    formatted = format_source(body, "decompiled.call")
    if formatted.text is None:  # pragma: no cover - a bug in the writer
        problem = formatted.diagnostics[0] if formatted.diagnostics else None
        raise RuntimeError(f"decompile wrote source that does not parse: "
                           f"{problem.message if problem else '?'}\n{body}")
    if not has_errors(diagnostics) and not writer.diagnostics:
        writer.round_trip(formatted.text, parsed.value)
    return Decompiled(formatted.text, sort_diagnostics(diagnostics + writer.diagnostics),
                      report.source)


def _source_name(filename: str) -> str:
    name = "<stdin>" if filename in ("-", "<stdin>") else PurePath(filename).name or filename
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029\x85]", "?", name)


def _is_int(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or \
        (isinstance(value, float) and value.is_integer())


def _show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _pointer(path: tuple) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path) or "/"


def writable_text(text: str) -> bool:
    """Whether a `.call` string literal can hold `text` exactly."""
    if "\r" in text or "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a JSON \ud800 escape
        return False
    return True


def bare_word(text: str) -> bool:
    """Whether `text` can be written unquoted and is read back as a word."""
    from .nodes import Word
    from .parser import classify_atom

    return bool(_ATOM.fullmatch(text)) and isinstance(
        classify_atom(text, Span("", 1, 1, 1, 1)), Word)


class _Writer:
    def __init__(self, parsed, file: str, *, single_verb: bool = False) -> None:
        self.parsed = parsed
        self.file = file
        #: the payload is one verb, not a plan or a request body
        self.single_verb = single_verb
        self.diagnostics: list[Diagnostic] = []
        #: `# not decompiled` notes waiting for the next line written.
        self.pending: list[str] = []

    # --- reporting --------------------------------------------------------------------

    def span(self, path: tuple, key: bool = False) -> Span:
        if key and path in self.parsed.key_spans:
            return self.parsed.key_spans[path]
        return self.parsed.span_for(path) or Span(self.file, 1, 1, 1, 2, 0, 1)

    def fail(self, path: tuple, message: str, *, help: str | None = None, key: bool = False,
             note: bool = True, value: Any = _MISSING,
             label: str = "not written to the .call") -> None:
        self.diagnostics.append(rules.NOT_EXPRESSIBLE(
            self.span(path, key), f"{message} (at {_pointer(path)})", label=label, help=help))
        if note:
            shown = self.value(path) if value is _MISSING else value
            self.pending.append(f"# not decompiled: {_pointer(path)} = {_show(shown)}")

    def value(self, path: tuple) -> Any:
        node = self.parsed.value
        for part in path:
            node = node[part]
        return node

    def unknown_fields(self, obj: dict, path: tuple, allowed, what: str) -> None:
        for key in obj:
            if key not in allowed:
                self.fail(path + (key,), f"'{key}' is not a field of {what}, and the .call "
                                         "language has nothing to write it with", key=True,
                          help="the fields are: " + ", ".join(a for a in allowed if a != "type"))

    def line(self, lines: list[str], text: str) -> None:
        lines.extend(self.pending)
        self.pending.clear()
        lines.append(text)

    # --- values -----------------------------------------------------------------------

    def string(self, path: tuple, value: Any, what: str) -> str | None:
        if isinstance(value, str):
            if writable_text(value):
                return quote(value)
            self.fail(path, f"{what} holds a character a .call string cannot (a carriage "
                            "return, NUL or unpaired surrogate)",
                      help="remove the character from the JSON")
            return None
        self.fail(path, f"{what} must be a string, not {_show(value)}")
        return None

    def integer(self, path: tuple, value: Any, what: str) -> int | None:
        if _is_int(value):
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,9}", value.strip()):
            return int(value)   # "10", as some of Routee's own examples write it
        self.fail(path, f"{what} must be a whole number, not {_show(value)}")
        return None

    def duration(self, path: tuple, value: Any, what: str) -> str | None:
        seconds = self.integer(path, value, what)
        if seconds is None:
            return None
        if seconds < 0:
            self.fail(path, f"{what} of {seconds} s cannot be written: a duration is not "
                            "negative", help="Routee counts in whole seconds from 1")
            return None
        return duration_text(seconds)

    def flag(self, path: tuple, value: Any, what: str, default_hint: str) -> bool:
        if value is True or value == "true":
            return True
        if value is False or value == "false":
            self.fail(path, f"{what} false cannot be written: the language only has {default_hint}",
                      help="remove the field: false is Routee's default")
        else:
            self.fail(path, f"{what} must be true or false, not {_show(value)}")
        return False

    def sender(self, path: tuple, value: Any) -> str | None:
        if isinstance(value, str) and re.fullmatch(r"\+?[0-9]+", value):
            return value
        return self.string(path, value, "the sender")

    def target(self, path: tuple, value: Any) -> str | None:
        if not isinstance(value, dict):
            self.fail(path, f"`to` must be an object with phone, sip or viber, not {_show(value)}")
            return None
        written = None
        for key, address in value.items():
            here = path + (key,)
            if key not in ("phone", "sip", "viber"):
                self.fail(here, f"'{key}' is not a kind of recipient the language has",
                          key=True, help="a recipient is a phone, sip or viber address")
            elif written is not None:
                self.fail(here, "a recipient has one address; this second one cannot be "
                                "written", key=True)
            elif key == "phone" and isinstance(address, str) and \
                    re.fullmatch(r"\+[0-9]+", address):
                written = address
            else:
                text = self.string(here, address, f"the {key} address")
                if text is not None:
                    written = text if key == "phone" else f"{key} {text}"
        if written is None and not value:
            self.fail(path, "`to` holds no phone, sip or viber address", note=False)
        return written

    def callback(self, path: tuple, value: Any) -> list[str] | None:
        if not isinstance(value, dict):
            self.fail(path, f"callback must be an object, not {_show(value)}")
            return None
        self.unknown_fields(value, path, ("url", "strategy"), "callback")
        url = self.string(path + ("url",), value.get("url", ""), "the callback URL")
        if url is None:
            return None
        tokens = ["notify", url]
        strategy = value.get("strategy", _MISSING)
        if strategy is _MISSING:
            self.fail(path, "a callback without a strategy cannot be written: `notify` "
                            "always sends one (OnChange, or OnCompletion with `on completion`)",
                      help='add "strategy": "OnChange" to the JSON', note=False,
                      label='written as `notify`, which adds "strategy": "OnChange"')
        elif isinstance(strategy, str) and strategy in _STRATEGIES:
            if strategy != "OnChange":
                tokens += ["on", _STRATEGIES[strategy]]
        else:
            self.fail(path + ("strategy",), f"callback strategy {_show(strategy)} cannot be "
                                            "written", help="the strategies are OnChange and "
                                                            "OnCompletion")
        return tokens

    def machine(self, path: tuple, value: Any) -> list[str] | None:
        if not isinstance(value, dict):
            self.fail(path, f"machineDetection must be an object, not {_show(value)}")
            return None
        self.unknown_fields(value, path, ("strategy", "eventUrl"), "machineDetection")
        strategy = value.get("strategy", _MISSING)
        url = value.get("eventUrl", _MISSING)
        if strategy == "Hangup":
            if url is not _MISSING:
                self.fail(path + ("eventUrl",), "an eventUrl with strategy Hangup cannot be "
                                                "written: `machine hangup` takes no URL",
                          key=True, help="remove eventUrl; Routee only calls it with Continue")
            return ["machine", "hangup"]
        if strategy == "Continue":
            if url is _MISSING:
                return ["machine", "continue"]
            text = self.string(path + ("eventUrl",), url, "the machine-detection URL")
            return ["machine", "continue"] + ([text] if text else [])
        self.fail(path + ("strategy",) if strategy is not _MISSING else path,
                  f"machine-detection strategy {_show(strategy) if strategy is not _MISSING else '(none)'}"
                  " cannot be written", help="the strategies are Hangup and Continue")
        return None

    # --- the payload ------------------------------------------------------------------

    def payload(self, value: dict, source_name: str) -> str:
        lines = [f"# decompiled from {source_name}"]
        if self.single_verb:
            lines += self.verb_lines([((), value)], None)
        elif schemas.schema_for(value) == schemas.DIALPLAN:
            self.unknown_fields(value, (), ("verbs",), "a plan")
            lines.extend(self.pending)
            self.pending.clear()
            verbs = self.plan_verbs((), value, None)
            if verbs:
                lines += verbs
        else:
            settings, sender = self.settings(value)
            lines += settings
            verbs = []
            if "dialPlan" in value:
                plan = value["dialPlan"]
                if isinstance(plan, dict):
                    self.unknown_fields(plan, ("dialPlan",), ("verbs",), "dialPlan")
                    verbs = self.plan_verbs(("dialPlan",), plan, sender)
                else:
                    self.fail(("dialPlan",), f"dialPlan must be an object, not {_show(plan)}")
            if verbs:
                lines += [""] + verbs
        lines.extend(self.pending)
        self.pending.clear()
        return "\n".join(lines) + "\n"

    def settings(self, body: dict) -> tuple[list[str], str | None]:
        self.unknown_fields(body, (), REQUEST_FIELDS, "the request body")
        lines: list[str] = []
        sender = None
        if "from" in body:
            token = self.sender(("from",), body["from"])
            if token is not None:
                self.line(lines, f"from {token}")
                sender = body["from"]
        if "to" in body:
            token = self.target(("to",), body["to"])
            if token is not None:
                self.line(lines, f"to {token}")
        if "dialPlanUrl" in body:
            url = self.string(("dialPlanUrl",), body["dialPlanUrl"], "dialPlanUrl")
            if url is not None:
                self.line(lines, f"plan url {url}")
        for key in ("hangupDelay", "maxDuration"):
            if key in body:
                text = self.duration((key,), body[key], key)
                if text is not None:
                    self.line(lines, f"{_SETTING_FOR[key]} {text}")
        if "callback" in body:
            tokens = self.callback(("callback",), body["callback"])
            if tokens:
                self.line(lines, " ".join(tokens))
        if "machineDetection" in body:
            tokens = self.machine(("machineDetection",), body["machineDetection"])
            if tokens:
                self.line(lines, " ".join(tokens))
        return lines, sender

    def plan_verbs(self, path: tuple, plan: dict, sender: str | None) -> list[str]:
        verbs = plan.get("verbs", _MISSING)
        if verbs is _MISSING:
            return []
        path = path + ("verbs",)
        if not isinstance(verbs, list):
            self.fail(path, f"verbs must be an array, not {_show(verbs)}")
            return []
        return self.verb_lines([(path + (index,), verb) for index, verb in enumerate(verbs)],
                               sender)

    def verb_lines(self, verbs: list[tuple[tuple, Any]], sender: str | None) -> list[str]:
        """The lines of the verbs, each given with its path."""
        voices = _VoicePlan([verb for _, verb in verbs])
        lines: list[str] = []
        for index, (here, verb) in enumerate(verbs):
            if not isinstance(verb, dict):
                self.fail(here, f"a verb must be an object, not {_show(verb)}")
                continue
            kind = verb.get("type", _MISSING)
            if kind not in VERB_TYPES:
                where = here + ("type",) if kind is not _MISSING else here
                self.fail(where, f"a verb of type {_show(kind)} cannot be written"
                          if kind is not _MISSING else "a verb without a type cannot be written",
                          help="the verbs are " + ", ".join(VERB_TYPES), value=verb)
                continue
            self.unknown_fields(verb, here, _VERB_FIELDS[kind], f"a {kind} verb")
            if kind == "SAY":
                for voice in voices.before(index):
                    self.line(lines, voice)
                tokens = self.verb_say(here, verb, voices.options(index))
            elif kind == "DIAL":
                tokens = self.verb_dial(here, verb, sender)
            else:
                tokens = getattr(self, f"verb_{kind.lower()}")(here, verb)
            self.line(lines, " ".join(tokens))
        return lines

    def playback(self, path: tuple, verb: dict) -> list[str]:
        tokens: list[str] = []
        if "repeat" in verb:
            count = self.integer(path + ("repeat",), verb["repeat"], "repeat")
            if count is not None:
                tokens += ["repeat", "forever" if count == -1 else str(count)]
        if "bargeIn" in verb and self.flag(path + ("bargeIn",), verb["bargeIn"], "bargeIn",
                                           "`interruptible` (true)"):
            tokens.append("interruptible")
        return tokens

    def verb_say(self, path: tuple, verb: dict, options: list[str]) -> list[str]:
        message = verb.get("message", _MISSING)
        text = None
        if isinstance(message, dict):
            here = path + ("message",)
            self.unknown_fields(message, here, ("text", "language", "gender"), "a SAY message")
            if "text" in message:
                text = self.string(here + ("text",), message["text"], "the text")
            if "language" in message:
                language = message["language"]
                if isinstance(language, str):
                    self.string(here + ("language",), language, "the language")
                else:
                    self.fail(here + ("language",),
                              f"the language must be a string, not {_show(language)}")
            if "gender" in message and not _gender_ok(message["gender"]):
                self.fail(here + ("gender",), f"gender {_show(message['gender'])} cannot be "
                                              "written: `as` takes a word",
                          help="the genders are male and female")
        elif message is not _MISSING:
            self.fail(path + ("message",), f"message must be an object, not {_show(message)}")
        return ["say", text or '""'] + options + self.playback(path, verb)

    def verb_play(self, path: tuple, verb: dict) -> list[str]:
        url = self.string(path + ("fileURL",), verb["fileURL"], "fileURL") \
            if "fileURL" in verb else None
        return ["play", url or '""'] + self.playback(path, verb)

    def verb_pause(self, path: tuple, verb: dict) -> list[str]:
        if "duration" not in verb:
            return ["pause"]
        text = self.duration(path + ("duration",), verb["duration"], "duration")
        return ["pause"] + ([text] if text else [])

    def verb_collect(self, path: tuple, verb: dict) -> list[str]:
        tokens = ["collect"]
        if "eventUrl" in verb:
            url = self.string(path + ("eventUrl",), verb["eventUrl"], "eventUrl")
            if url is not None:
                tokens += ["to", url]
        else:
            self.fail(path, "a COLLECT without eventUrl cannot be written: `collect` needs "
                            "`to URL`", note=False, label="written as `collect` without `to`",
                      help="add the eventUrl that should receive the keys")
        if "maxDigits" in verb:
            digits = self.integer(path + ("maxDigits",), verb["maxDigits"], "maxDigits")
            if digits is not None:
                tokens += ["max", str(digits), "digit" if digits == 1 else "digits"]
        if "submitOnHash" in verb and self.flag(path + ("submitOnHash",), verb["submitOnHash"],
                                                "submitOnHash", "`submit on hash` (true)"):
            tokens += ["submit", "on", "hash"]
        return tokens

    def verb_dial(self, path: tuple, verb: dict, call_sender: str | None) -> list[str]:
        target = self.target(path + ("to",), verb["to"]) if "to" in verb else None
        tokens = ["dial", target or '""']
        if "from" in verb:
            own = verb["from"]
            if not (isinstance(own, str) and own == call_sender):
                token = self.sender(path + ("from",), own)
                if token is not None:
                    tokens += ["from", token]
        for key in ("hangupDelay", "maxDuration"):
            if key in verb:
                text = self.duration(path + (key,), verb[key], key)
                if text is not None:
                    tokens += [_DIAL_OPTION_FOR[key], text]
        if "callback" in verb:
            tokens += self.callback(path + ("callback",), verb["callback"]) or []
        record = "record" in verb and self.flag(path + ("record",), verb["record"], "record",
                                                "`record` (true)")
        extra: list[str] = []
        for key in ("recordingFormat", "recordingCallbackUrl"):
            if key in verb and not record:
                self.fail(path + (key,), f"{key} without \"record\": true cannot be written: "
                                         "the language sets it with `record`", key=True,
                          help='add "record": true, or remove the field')
        if record:
            fmt = verb.get("recordingFormat", _MISSING)
            if fmt is not _MISSING:
                if isinstance(fmt, str) and fmt.upper() in routee.RECORDING_FORMATS:
                    extra.append(fmt.lower())
                else:
                    self.fail(path + ("recordingFormat",), f"recordingFormat {_show(fmt)} "
                                                           "cannot be written",
                              help="the formats are WAV and MP3")
            if "recordingCallbackUrl" in verb:
                url = self.string(path + ("recordingCallbackUrl",), verb["recordingCallbackUrl"],
                                  "recordingCallbackUrl")
                if url is not None:
                    extra += ["to", url]
            tokens += ["record"] + extra
        if "machineDetection" in verb:
            tokens += self.machine(path + ("machineDetection",), verb["machineDetection"]) or []
        return tokens

    # --- the round trip ---------------------------------------------------------------

    def round_trip(self, text: str, value: dict) -> None:
        """Compile the result and report where it differs from the input."""
        from .compiler import compile_source

        result = compile_source(text, "decompiled.call")
        if result.payload is None:
            first = next(d for d in result.diagnostics if d.is_error)
            self.fail((), f"the decompiled script does not compile: line {first.span.line}: "
                          f"{first.message}", note=False, label="decompiled from here",
                      help="please report this with the JSON: dialplan validate accepted it")
            return
        compiled = result.payload
        if self.single_verb:  # a one-verb script compiles to the plan around it
            compiled = compiled["verbs"][0] if len(compiled.get("verbs", ())) == 1 else compiled
        where = _difference(compiled, value, ())
        if where is not None:
            path, compiled = where
            self.fail(path, f"the decompiled script compiles to {_show(compiled)} here, not "
                            f"{_show(self.value(path) if _has(value, path) else None)}",
                      note=False, label="written in the only form the language has",
                      help="the .call language writes this value in one form only")


def _gender_ok(gender: Any) -> bool:
    return isinstance(gender, str) and bare_word(gender)


def _has(value: Any, path: tuple) -> bool:
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return False
    return True


def _difference(compiled: Any, original: Any, path: tuple):
    """The first path where two JSON values differ (bool is not a number)."""
    if isinstance(compiled, dict) and isinstance(original, dict):
        for key in list(original) + [k for k in compiled if k not in original]:
            if key not in compiled:
                return path + (key,), None
            if key not in original:
                return path + (key,), compiled[key]
            found = _difference(compiled[key], original[key], path + (key,))
            if found:
                return found
        return None
    if isinstance(compiled, list) and isinstance(original, list):
        for index, (a, b) in enumerate(zip(compiled, original)):
            found = _difference(a, b, path + (index,))
            if found:
                return found
        if len(compiled) != len(original):
            index = min(len(compiled), len(original))
            return path + (index,), compiled[index] if index < len(compiled) else None
        return None
    if isinstance(compiled, bool) != isinstance(original, bool) or compiled != original or \
            type(compiled) is str and type(original) is not str:
        return path, compiled
    return None


class _VoicePlan:
    """Where `voice` lines go, and which `in`/`as` each `say` still needs.

    A run of two or more consecutive `say`s (other verbs may come between)
    with the same language and gender gets a `voice` line before its first
    `say`, and those `say`s carry no `in`/`as`. Any other `say` writes what
    differs from the voice in force. When a `say` has no usable language,
    no `voice` line is written at all (it would lend that `say` one).
    """

    def __init__(self, verbs: list) -> None:
        #: verb index → (language, gender) of each SAY; the language is None
        #: when missing or unusable, the gender None when absent and
        #: _MISSING when it cannot be written.
        self.keys: dict[int, tuple[Any, Any]] = {}
        self.usable = True
        for index, verb in enumerate(verbs):
            if not (isinstance(verb, dict) and verb.get("type") == "SAY"):
                continue
            message = verb.get("message")
            message = message if isinstance(message, dict) else {}
            language = message.get("language")
            if not isinstance(language, str) or not writable_text(language):
                self.usable = False
                language = None
            gender = message.get("gender", None)
            if "gender" in message and not _gender_ok(gender):
                gender = _MISSING
            self.keys[index] = (language, gender)
        says = sorted(self.keys)
        #: index of the first SAY of a run → how many SAYs the run has
        self.run_length: dict[int, int] = {}
        for position, index in enumerate(says):
            if position and self.keys[says[position - 1]] == self.keys[index]:
                continue
            length = 1
            while position + length < len(says) and \
                    self.keys[says[position + length]] == self.keys[index]:
                length += 1
            self.run_length[index] = length
        self.current: tuple[Any, Any] | None = None

    @staticmethod
    def _language(language: str) -> str:
        return language if bare_word(language) else quote(language)

    def before(self, index: int) -> list[str]:
        """The `voice` line to write before the `say` at `index`, if any."""
        language, gender = self.keys[index]
        if not self.usable or gender is _MISSING:
            return []
        key = (language, gender)
        if self.current == key:
            return []
        needs_voice = self.run_length.get(index, 1) >= 2 or (
            gender is None and self.current is not None and self.current[1] is not None)
        if not needs_voice:
            return []
        self.current = key
        return [" ".join(["voice", self._language(language)] + ([gender] if gender else []))]

    def options(self, index: int) -> list[str]:
        """The `in`/`as` the `say` at `index` needs under the voice in force."""
        language, gender = self.keys[index]
        current = self.current if self.usable else None
        tokens: list[str] = []
        if language is not None and (current is None or current[0] != language):
            tokens += ["in", self._language(language)]
        if gender is not _MISSING and gender is not None and \
                (current is None or current[1] != gender):
            tokens += ["as", gender]
        return tokens
