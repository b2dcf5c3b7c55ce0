"""The checked call script: what the checker hands to the emitter.

Unlike the syntax tree, these objects hold resolved values (seconds, E.164
numbers, Routee's enum spellings) and know nothing about statements or
options. Each keeps the `Span` it came from, and `spans` maps the Routee
field names it will produce to the exact argument that set them, so that the
emitter can build a source map from JSON pointers back to the source.

A `Script` holds its plans as a tuple: the main plan first, then one plan
per menu branch (answered to the menu's eventUrl) and the `on machine`
plan. A plan may end in a `Menu` (asked at its end), an `Again` (the menu
asked once more), a `Back` (the parent menu asked afresh) or a `Handoff`;
`lowering.py` turns those into the flat
verbs Routee runs.
"""

from __future__ import annotations

import re

from .records import field, record
from typing import Mapping, Union

from .nodes import Span


class Unfilled(str):
    """Text that still holds `{placeholders}`: `dialplan check` keeps them
    as they are, and schema validation does not judge such values."""


class Sourced(str):
    """A value given from outside the script (a `--var`, a column of a
    recipients' row), with `origin`: where it was given. A value that makes
    a field invalid is reported there, with the script's line beside it."""

    origin: Span

    def __new__(cls, text: str, origin: Span) -> "Sourced":
        value = super().__new__(cls, text)
        value.origin = origin
        return value


class Deferred(str):
    """`say` text that holds `{digits}`, filled by `dialplan serve` with the
    keys the caller pressed. It is written in the `.call` string form:
    `{digits}` is the placeholder and literal braces are doubled."""


_TEMPLATE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def fill_template(template: str, values: Mapping[str, str], *,
                  partial: bool = False) -> tuple[str, list[str]]:
    """`Deferred` text with `values` in its placeholders, in one pass: a
    value is text, never read again as a template. Returns the text and the
    names that had no value (left as `{name}`). With `partial`, the text
    returned is still a template (values and literal braces escaped)."""
    missing: list[str] = []

    def one(match: "re.Match[str]") -> str:
        token = match.group()
        if token in ("{{", "}}"):
            return token if partial else token[0]
        name = match.group(1)
        if name in values:
            value = values[name]
            return value.replace("{", "{{").replace("}", "}}") if partial else value
        missing.append(name)
        return token
    return _TEMPLATE.sub(one, template), missing


def template_names(template: str) -> list[str]:
    """The placeholders of `Deferred` text, in order."""
    return [m.group(1) for m in _TEMPLATE.finditer(template) if m.group(1) is not None]


@record
class Target:
    kind: str          # "phone" | "sip" | "viber", Routee's field names
    address: str
    span: Span


@record
class Callback:
    url: str
    strategy: str      # "OnChange" | "OnCompletion"
    span: Span


@record
class MachineDetection:
    strategy: str      # "Hangup" | "Continue"
    event_url: str | None
    span: Span


@record
class Say:
    span: Span
    text: str
    language: str
    gender: str | None = None
    repeat: int | None = None
    barge_in: bool | None = None
    spans: Mapping[str, Span] = field(default_factory=dict)


@record
class Play:
    span: Span
    url: str
    repeat: int | None = None
    barge_in: bool | None = None
    spans: Mapping[str, Span] = field(default_factory=dict)


@record
class Pause:
    span: Span
    seconds: int
    spans: Mapping[str, Span] = field(default_factory=dict)


@record
class Collect:
    span: Span
    event_url: str
    max_digits: int | None = None
    submit_on_hash: bool | None = None
    spans: Mapping[str, Span] = field(default_factory=dict)


@record
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


@record
class Choice:
    """One `on …` of a menu: exact `keys` ("1", "12", "*"), or `any` entry
    of `length` digits (0: any length)."""

    span: Span
    label: str                 # its part of the branch id: "1", "star", "any4"
    branch: str                # the id of the plan it answers
    keys: str | None = None
    length: int | None = None  # `on any N digits`; 0 for `on any digits`


@record
class Menu:
    """A question: its prompt, how to wait, and where each answer leads.
    `id` is the id of the plan that asks it first (its position in the tree
    of menus: "main", "1", "1.any4", …)."""

    span: Span
    id: str
    via: str
    wait: int                  # seconds of (interruptible) silence after the prompt
    tries: int                 # the most times it is asked, `again` included
    max_digits: int
    hash: bool                 # entries end with '#' (submitOnHash)
    prompt: tuple[Verb, ...]
    timeout: tuple[Verb, ...]
    choices: tuple[Choice, ...]
    otherwise: str | None      # the id of the `otherwise` plan
    spans: Mapping[str, Span] = field(default_factory=dict)


@record
class Again:
    """`again`: ask `menu` once more (or run its `timeout` once its tries
    are used up)."""

    span: Span
    menu: str


@record
class Back:
    """`back`: ask `menu`, the menu whose branch asked this one, afresh
    (from its first try: going back is the caller's choice, not a miss)."""

    span: Span
    menu: str


@record
class Handoff:
    """`handoff URL within D`: `dialplan serve` asks URL for the rest of
    the call and answers Routee with it."""

    span: Span
    url: str
    within_ms: int


@record
class Ask:
    """`ask URL within D vars NAME… { on CHOICE { … } … }`: `dialplan serve`
    posts the call's context to URL and takes the branch of the choice it
    answers; `vars` are the placeholders the answer may fill."""

    span: Span
    url: str
    within_ms: int
    choices: Mapping[str, str]        # choice → plan id
    otherwise: str                    # plan id
    timeout: str | None = None        # plan id, when the script says what a late answer does
    vars: tuple[str, ...] = ()


@record
class Report:
    """`report to URL`: when `dialplan serve` answers the plan, it posts
    what the caller chose to URL, in the background."""

    span: Span
    url: str


@record
class Plan:
    name: str
    verbs: tuple[Verb, ...]
    span: Span
    #: What happens when the verbs are done: a menu is asked, asked again,
    #: or the call is handed off. None: the call ends.
    end: Union[Menu, Again, Back, Handoff, "Ask", None] = None
    #: The `report`s of the branch, made when its plan is answered.
    reports: tuple[Report, ...] = ()


@record
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
    #: In a script with menus: the placeholders of `say` text, kept in the
    #: plans as `Deferred` text, each with where it is first used.
    per_call_names: Mapping[str, Span] = field(default_factory=dict)

    @property
    def main(self) -> Plan | None:
        return self.plans[0] if self.plans else None

    @property
    def has_menus(self) -> bool:
        """True when the program has more than one plan to answer: menus,
        or an `on machine` plan."""
        return any(p.end is not None or p.name != "main" for p in self.plans)
