"""Checked script with menus → a bundle: the flat plans Routee runs.

Routee's dialplans are flat lists of verbs; a COLLECT's eventUrl receives the
keys and whatever dialplan it answers within 3 s replaces the rest of the
running plan (docs/language.md, "Menus", gives the Routee fact behind each
choice below). So a program with menus becomes:

* the main plan: its verbs, then the first menu asked: a COLLECT whose
  signed eventUrl names the menu and the try, the prompt, the wait, and the
  verbs of the menu's `timeout`, which run when the wait ends with no key;
* one plan per branch, answered to the eventUrl when its keys come in; a
  branch that asks its menu again (`again`) has one plan per try (`ID@T`),
  since what it does depends on how many tries are left;
* the `on machine` plan, answered to the machine-detection eventUrl.

Asking a menu:

    COLLECT   eventUrl …/events?p=SCRIPT&n=MENU&t=TRY&s=SIG, maxDigits, submitOnHash
    prompt    single-key menus: every SAY/PLAY is bargeIn, so the key interrupts it
              and goes to the eventUrl at once; multi-key menus leave them alone
    wait      single-key: PLAY of a served silent WAV with bargeIn (a PAUSE cannot
              be interrupted); multi-key: PAUSE (the '#' submits the entry)
    timeout   the `timeout` verbs; nothing more: the call ends

The ids are positions in the tree of menus (see `menucheck.py`), so they are
stable across edits that leave a menu alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from . import signing
from .model import (Again, Collect, Handoff, MachineDetection, Menu, Pause, Plan, Play, Say,
                    Script)
from .nodes import Span
from .records import replace

AUDIO_PATH = "/audio/silence-{seconds}s.wav"
BUNDLE_FORMAT = 1
SORRY_TEXT = "Sorry, something went wrong. Goodbye."


def script_name(filename: str) -> str:
    """A script's name in URLs: its file name without directory and suffix,
    reduced to letters, digits, '-' and '_' ("<stdin>" → "stdin")."""
    stem = PurePath(filename.strip("<>")).name
    stem = stem[:-5] if stem.endswith(".call") else stem
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "script"


def silence_url(base: str, seconds: int) -> str:
    return base.rstrip("/") + AUDIO_PATH.format(seconds=seconds)


@dataclass
class Bundle:
    """Everything `dialplan serve` (or a static host) needs for one script."""

    name: str
    script: Script                 # the call, with its main plan flattened
    plans: dict[str, Plan]         # flat plans by id ("main", "1", "9@2", …)
    menus: dict[str, Menu]         # by id
    handoffs: dict[str, Handoff] = field(default_factory=dict)
    #: The implicit `otherwise` (ask again) of menus that have none: menu id → branch id.
    implicit_otherwise: dict[str, str] = field(default_factory=dict)
    language: str = "en-GB"
    gender: str | None = None
    #: The checked plans, before flattening, by id (for `graph.py`).
    source: dict[str, Plan] = field(default_factory=dict)

    def otherwise(self, menu: Menu) -> str:
        return menu.otherwise or self.implicit_otherwise[menu.id]

    def plan_for(self, branch: str, attempt: int) -> Plan | None:
        return self.plans.get(branch) or self.plans.get(f"{branch}@{attempt}")


def _branch_of(menu: Menu, label: str) -> str:
    return label if menu.id == "main" else f"{menu.id}.{label}"


def lower(script: Script, name: str, secret: bytes | None) -> Bundle:
    """Turn the plans of a checked script into flat plans."""
    menus: dict[str, Menu] = {}
    for plan in script.plans:
        if isinstance(plan.end, Menu):
            menus[plan.end.id] = plan.end

    def ask(menu: Menu, attempt: int) -> list:
        via_span = menu.spans.get("via", menu.span)
        collect = Collect(menu.span, signing.event_url(menu.via, secret, name, menu.id, attempt),
                          menu.max_digits, True if menu.hash else None,
                          {"eventUrl": via_span, "maxDigits": menu.spans.get("max", menu.span)})
        prompt = []
        for verb in menu.prompt:
            if isinstance(verb, (Say, Play)):
                verb = replace(verb, barge_in=None if menu.hash else True)
            prompt.append(verb)
        wait_span = menu.spans.get("wait", menu.span)
        if menu.hash:
            wait = Pause(wait_span, menu.wait, {"duration": wait_span})
        else:
            wait = Play(wait_span, silence_url(menu.via, menu.wait), None, True,
                        {"fileURL": wait_span})
        return [collect, *prompt, wait, *menu.timeout]

    def finish(verbs: list, span: Span) -> tuple:
        # Routee has no hang-up verb, and a plan is never empty: a branch with
        # nothing left to do answers a 1 s pause, after which the call ends.
        return tuple(verbs) if verbs else (Pause(span, 1, {}),)

    plans: dict[str, Plan] = {}
    handoffs: dict[str, Handoff] = {}
    implicit: dict[str, str] = {}

    def add(plan: Plan) -> None:
        end = plan.end
        if isinstance(end, Menu):
            plans[plan.name] = Plan(plan.name, finish([*plan.verbs, *ask(end, 1)], plan.span),
                                    plan.span)
        elif isinstance(end, Again):
            menu = menus[end.menu]
            for attempt in range(1, menu.tries + 1):
                rest = ask(menu, attempt + 1) if attempt < menu.tries else list(menu.timeout)
                plans[f"{plan.name}@{attempt}"] = Plan(
                    f"{plan.name}@{attempt}", finish([*plan.verbs, *rest], plan.span), plan.span)
        elif isinstance(end, Handoff):
            handoffs[plan.name] = end
            plans[plan.name] = Plan(plan.name, tuple(plan.verbs), plan.span)
        else:
            plans[plan.name] = Plan(plan.name, finish(list(plan.verbs), plan.span), plan.span)

    for plan in script.plans:
        add(plan)
    for menu in menus.values():
        if menu.otherwise is None:  # a key with no branch asks again, as `otherwise { again }`
            branch = _branch_of(menu, "other")
            implicit[menu.id] = branch
            add(Plan(branch, (), menu.span, Again(menu.span, menu.id)))

    main = plans.get("main")
    machine = script.machine
    if machine is not None and machine.strategy == "Continue" and "machine" in plans:
        machine = MachineDetection(machine.strategy, signing.event_url(
            machine.event_url, secret, name, "machine", 1), machine.span)
    flat = replace(script, plans=(main,) if main else (), machine=machine)
    language, gender = _voice(script)
    return Bundle(name, flat, plans, menus, handoffs, implicit, language, gender,
                  {plan.name: plan for plan in script.plans})


def _voice(script: Script) -> tuple[str, str | None]:
    """The language (and gender) of the script's first `say`, for the
    short "sorry" plan of `dialplan serve`."""
    for plan in script.plans:
        verbs = list(plan.verbs)
        if isinstance(plan.end, Menu):
            verbs += list(plan.end.prompt)
        for verb in verbs:
            if isinstance(verb, Say) and not verb.language.startswith("{"):
                return verb.language, verb.gender
    return "en-GB", None


def sorry_plan(language: str = "en-GB", gender: str | None = None) -> dict[str, Any]:
    message = {"text": SORRY_TEXT, "language": language}
    if gender:
        message["gender"] = gender
    return {"verbs": [{"type": "SAY", "message": message}]}


def menu_diagnostics(script: Script, bundle: Bundle | None) -> list:
    """DP227 when there is no secret to sign with (`bundle` is None);
    otherwise the schema safety net (DP901) over every plan of the bundle
    (the main plan is checked with the call)."""
    from . import rules

    if bundle is None:
        span = script.span
        for plan in script.plans:
            if isinstance(plan.end, Menu):
                span = plan.end.spans.get("via", plan.end.span)
                break
            if plan.name == "machine":
                span = plan.span
        return [rules.SIGNING_SECRET(
            span, "the eventUrls of this script's menus must be signed, and "
                  "DIALPLAN_SIGNING_SECRET is not set",
            help="export DIALPLAN_SIGNING_SECRET=… (the same secret `dialplan serve` "
                 "uses; e.g. `openssl rand -hex 32`)")]
    from .emitter import emit_plan
    from .schemas import schema_diagnostics

    found = []
    for plan_id, plan in bundle.plans.items():
        if plan_id == "main" or (plan_id in bundle.handoffs and not plan.verbs):
            continue
        found.extend(schema_diagnostics(emit_plan(plan), plan.span))
    return found
