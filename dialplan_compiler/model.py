"""The checked call script: what the checker hands to the emitter.

Unlike the syntax tree, these objects hold resolved values (seconds, E.164
numbers, Routee's enum spellings) and know nothing about statements or
options. Each keeps the `Span` it came from, and `spans` maps the Routee
field names it will produce to the exact argument that set them, so that the
emitter can build a source map from JSON pointers back to the source.

A `Script` holds its plans as a tuple: today only the main plan, but the
shape allows a program to yield several (menus answered to eventUrls).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Union

from .nodes import Span


class Unfilled(str):
    """Text that still holds `{placeholders}`: `dialplan check` keeps them
    as they are, and schema validation does not judge such values."""


@dataclass(frozen=True, slots=True)
class Target:
    kind: str          # "phone" | "sip" | "viber", Routee's field names
    address: str
    span: Span


@dataclass(frozen=True, slots=True)
class Callback:
    url: str
    strategy: str      # "OnChange" | "OnCompletion"
    span: Span


@dataclass(frozen=True, slots=True)
class MachineDetection:
    strategy: str      # "Hangup" | "Continue"
    event_url: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Say:
    span: Span
    text: str
    language: str
    gender: str | None = None
    repeat: int | None = None
    barge_in: bool | None = None
    spans: Mapping[str, Span] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Play:
    span: Span
    url: str
    repeat: int | None = None
    barge_in: bool | None = None
    spans: Mapping[str, Span] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Pause:
    span: Span
    seconds: int
    spans: Mapping[str, Span] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Collect:
    span: Span
    event_url: str
    max_digits: int | None = None
    submit_on_hash: bool | None = None
    spans: Mapping[str, Span] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Dial:
    span: Span
    sender: str
    target: Target
    ring: int | None = None
    limit: int | None = None
    callback: Callback | None = None
    record: bool | None = None
    recording_format: str | None = None
    recording_url: str | None = None
    machine: MachineDetection | None = None
    spans: Mapping[str, Span] = field(default_factory=dict)


Verb = Union[Say, Play, Pause, Collect, Dial]


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    verbs: tuple[Verb, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Script:
    """A checked program: the call's settings and its plans (main first)."""

    span: Span
    plans: tuple[Plan, ...] = ()
    sender: str | None = None
    target: Target | None = None
    ring: int | None = None
    limit: int | None = None
    callback: Callback | None = None
    machine: MachineDetection | None = None
    plan_url: str | None = None
    spans: Mapping[str, Span] = field(default_factory=dict)

    @property
    def main(self) -> Plan | None:
        return self.plans[0] if self.plans else None
