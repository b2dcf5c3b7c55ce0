"""Checked `Script` → the JSON Routee expects.

Output is deterministic: keys in a fixed order (`type` first in every verb,
then the fields in the order Routee's documentation lists them), 2-space
indentation, UTF-8, a trailing newline. An optional field is written only
when the script set it (or inherited it, like a `say`'s language from
`voice`), so the output says exactly what the script says.

Alongside the payload the emitter builds a source map from each JSON path to
the span that produced it, so that a schema error in the output can be
reported at the line and column of the script.
"""

from __future__ import annotations

import json
from .records import field, record
from typing import Any

from .model import (Callback, Collect, Deferred, Dial, MachineDetection, Pause, Plan, Play, Say,
                    Script, Target, Unfilled)
from .nodes import Span

Path = tuple[Any, ...]


@record(frozen=False)
class Emitted:
    payload: dict[str, Any]
    #: JSON path (as a tuple of keys and indices) → the span that produced it.
    source_map: dict[Path, Span] = field(default_factory=dict)
    #: Paths whose values still hold {placeholders} (only in `check`).
    unfilled: set[Path] = field(default_factory=set)
    #: Paths of `say` text that holds `{digits}`, which `dialplan serve` fills.
    deferred: set[Path] = field(default_factory=set)

    def span_for(self, path: Path) -> Span | None:
        """The span of the closest enclosing path that has one."""
        for end in range(len(path), -1, -1):
            span = self.source_map.get(tuple(path[:end]))
            if span is not None:
                return span
        return None

    def is_unfilled(self, path: Path) -> bool:
        return any(tuple(path[: len(p)]) == p for p in self.unfilled)


class _Writer:
    def __init__(self) -> None:
        self.out = Emitted({})

    def put(self, obj: dict, path: Path, key: str, value: Any, span: Span | None) -> None:
        if value is None:
            return
        obj[key] = value
        here = path + (key,)
        if span is not None:
            self.out.source_map[here] = span
        if isinstance(value, Unfilled):
            self.out.unfilled.add(here)
        elif isinstance(value, Deferred):
            self.out.deferred.add(here)

    def target(self, target: Target, path: Path) -> dict:
        obj: dict = {}
        self.put(obj, path, target.kind, target.address, target.span)
        return obj

    def callback(self, callback: Callback, path: Path) -> dict:
        obj: dict = {}
        self.put(obj, path, "url", callback.url, callback.span)
        self.put(obj, path, "strategy", callback.strategy, callback.span)
        return obj

    def machine(self, machine: MachineDetection, path: Path) -> dict:
        obj: dict = {}
        self.put(obj, path, "strategy", machine.strategy, machine.span)
        self.put(obj, path, "eventUrl", machine.event_url, machine.span)
        return obj

    def verb(self, verb, path: Path) -> dict:
        self.out.source_map[path] = verb.span
        spans = verb.spans
        obj: dict = {}

        def put(key: str, value: Any, span_key: str | None = None) -> None:
            self.put(obj, path, key, value, spans.get(span_key or key, verb.span))

        if isinstance(verb, Say):
            obj["type"] = "SAY"
            message: dict = {}
            mpath = path + ("message",)
            self.put(message, mpath, "text", verb.text, spans.get("text", verb.span))
            self.put(message, mpath, "language", verb.language, spans.get("language", verb.span))
            self.put(message, mpath, "gender", verb.gender, spans.get("gender", verb.span))
            put("message", message, "text")
            put("repeat", verb.repeat)
            put("bargeIn", verb.barge_in)
        elif isinstance(verb, Play):
            obj["type"] = "PLAY"
            put("fileURL", verb.url)
            put("repeat", verb.repeat)
            put("bargeIn", verb.barge_in)
        elif isinstance(verb, Pause):
            obj["type"] = "PAUSE"
            put("duration", verb.seconds)
        elif isinstance(verb, Collect):
            obj["type"] = "COLLECT"
            put("eventUrl", verb.event_url)
            put("maxDigits", verb.max_digits)
            put("submitOnHash", verb.submit_on_hash)
        elif isinstance(verb, Dial):
            obj["type"] = "DIAL"
            put("from", verb.sender)
            put("to", self.target(verb.target, path + ("to",)))
            put("hangupDelay", verb.ring)
            put("maxDuration", verb.limit)
            if verb.callback:
                put("callback", self.callback(verb.callback, path + ("callback",)))
            put("record", verb.record)
            put("recordingFormat", verb.recording_format)
            put("recordingCallbackUrl", verb.recording_url)
            if verb.machine:
                put("machineDetection", self.machine(verb.machine, path + ("machineDetection",)))
        else:  # pragma: no cover - the model has no other verbs
            raise TypeError(f"unknown verb {verb!r}")
        return obj

    def plan(self, plan: Plan, path: Path) -> dict:
        self.out.source_map[path] = plan.span
        verbs = [self.verb(v, path + ("verbs", i)) for i, v in enumerate(plan.verbs)]
        self.out.source_map[path + ("verbs",)] = plan.span
        return {"verbs": verbs}


def emit_plan(plan: Plan) -> Emitted:
    """`{"verbs": [...]}`: a plan on its own (dialPlanUrl, eventUrl answers)."""
    writer = _Writer()
    writer.out.payload = writer.plan(plan, ())
    return writer.out


def emit_request(script: Script) -> Emitted:
    """The request body of `POST /voice/conversation`."""
    writer = _Writer()
    body: dict = {}
    spans = script.spans
    writer.out.source_map[()] = script.span
    writer.put(body, (), "from", script.sender, spans.get("from"))
    if script.target is not None:
        writer.put(body, (), "to", writer.target(script.target, ("to",)), spans.get("to"))
    if script.plan_url is not None:
        writer.put(body, (), "dialPlanUrl", script.plan_url, spans.get("dialPlanUrl"))
    elif script.main is not None:
        writer.put(body, (), "dialPlan", writer.plan(script.main, ("dialPlan",)), script.main.span)
    writer.put(body, (), "hangupDelay", script.ring, spans.get("hangupDelay"))
    writer.put(body, (), "maxDuration", script.limit, spans.get("maxDuration"))
    if script.callback is not None:
        writer.put(body, (), "callback", writer.callback(script.callback, ("callback",)),
                   spans.get("callback"))
    if script.machine is not None:
        writer.put(body, (), "machineDetection",
                   writer.machine(script.machine, ("machineDetection",)),
                   spans.get("machineDetection"))
    writer.out.payload = body
    return writer.out


def emit(script: Script, *, as_request: bool) -> Emitted:
    if as_request:
        return emit_request(script)
    if script.main is None:
        return Emitted({"verbs": []})
    return emit_plan(script.main)


def to_json(payload: Any) -> str:
    """The one way this project writes JSON."""
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
