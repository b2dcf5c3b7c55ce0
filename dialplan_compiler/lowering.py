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
  since what it does depends on how many tries are left; one that goes
  `back` asks the parent menu from its first try;
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

import os
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Mapping

from . import routee, signing
from .model import (Again, Ask, Back, Collect, Deferred, Handoff, MachineDetection, Menu,
                    Pause, Plan, Play, Say, Script, fill_template, template_names)
from .nodes import Span
from .records import replace

#: Overrides the longest eventUrl a call may have (routee.MAX_URL_LENGTH,
#: an assumption: Routee documents no limit).
URL_LIMIT_ENV = "DIALPLAN_URL_LIMIT"


def url_limit() -> int:
    """The longest eventUrl allowed: DIALPLAN_URL_LIMIT, or Routee's assumed limit."""
    text = os.environ.get(URL_LIMIT_ENV, "")
    return int(text) if signing.is_digits(text) and 0 < len(text) <= 7 and int(text) > 0 \
        else routee.MAX_URL_LENGTH

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
    #: The per-call values known when it was compiled: a call's (sealed in
    #: `state`), or `dialplan serve`'s defaults (`--var`).
    values: dict[str, str] = field(default_factory=dict)
    #: The placeholders each plan says, which `dialplan serve` fills, by plan id.
    needs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: The call's values that its branches say, sealed (`signing.seal_state`).
    state: str | None = None
    #: The URLs each branch reports to (`report to URL`), by branch id.
    reports: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: The branches that end in an `ask`, by branch id.
    asks: dict[str, Ask] = field(default_factory=dict)

    def otherwise(self, menu: Menu) -> str:
        return menu.otherwise or self.implicit_otherwise[menu.id]

    def plan_for(self, branch: str, attempt: int) -> Plan | None:
        return self.plans.get(branch) or self.plans.get(f"{branch}@{attempt}")


def _branch_of(menu: Menu, label: str) -> str:
    return label if menu.id == "main" else f"{menu.id}.{label}"


def plan_needs(plan: Plan) -> tuple[str, ...]:
    """The placeholders that the `say` text of a flat plan still holds."""
    found: dict[str, None] = {}
    for verb in plan.verbs:
        if isinstance(verb, Say) and isinstance(verb.text, Deferred):
            found.update(dict.fromkeys(template_names(verb.text)))
    return tuple(found)


def fill_plan(plan: Plan, values: Mapping[str, str]) -> Plan:
    """`plan` with `values` in its `say` text; what has no value stays Deferred."""
    verbs = []
    for verb in plan.verbs:
        if isinstance(verb, Say) and isinstance(verb.text, Deferred):
            text, missing = fill_template(verb.text, values, partial=True)
            if missing:
                verb = replace(verb, text=Deferred(text))
            else:
                verb = replace(verb, text=fill_template(verb.text, values)[0])
        verbs.append(verb)
    return replace(plan, verbs=tuple(verbs))


def lower(script: Script, name: str, secret: bytes | None,
          values: Mapping[str, str] | None = None, *,
          state_ttl: int = signing.STATE_TTL_SECONDS) -> Bundle:
    """Turn the plans of a checked script into flat plans. `values` are the
    call's (or the server's defaults): those the branches say are sealed
    into the main plan's eventUrls, and the main plan's own are filled in."""
    values = dict(values or {})
    state: str | None = None
    menus: dict[str, Menu] = {}
    for plan in script.plans:
        if isinstance(plan.end, Menu):
            menus[plan.end.id] = plan.end

    def ask(menu: Menu, attempt: int) -> list:
        via_span = menu.spans.get("via", menu.span)
        collect = Collect(menu.span, signing.event_url(menu.via, secret, name, menu.id, attempt,
                                                       state),
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
    asks: dict[str, Ask] = {}
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
        elif isinstance(end, Back):  # the parent menu, asked afresh
            plans[plan.name] = Plan(plan.name, finish([*plan.verbs, *ask(menus[end.menu], 1)],
                                                      plan.span), plan.span)
        elif isinstance(end, Handoff):
            handoffs[plan.name] = end
            plans[plan.name] = Plan(plan.name, tuple(plan.verbs), plan.span)
        elif isinstance(end, Ask):
            # Its verbs come first; serve appends the plan of the choice made.
            asks[plan.name] = end
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

    needs = {plan_id: found for plan_id, plan in plans.items() if (found := plan_needs(plan))}
    served = {n for plan_id, found in needs.items() if plan_id != "main" for n in found}
    sealed = {n: values[n] for n in sorted(served) if n in values}
    if any(plan.reports for plan in script.plans):
        # A report names the call's values (a row's id, say): all of them go with it.
        sealed = dict(sorted(values.items()))
    if sealed and secret:
        # The branches say these: they go with the call, in the eventUrls of
        # the plan Routee is given, and serve adds them to those it answers.
        state = signing.seal_state(secret, name, sealed, ttl=state_ttl)
        main_source = next((p for p in script.plans if p.name == "main"), None)
        if main_source is not None:
            add(main_source)
    main = plans.get("main")
    if main is not None:
        main = plans["main"] = fill_plan(main, values)
        if plan_needs(main):
            needs["main"] = plan_needs(main)
        else:
            needs.pop("main", None)
    machine = script.machine
    if machine is not None and machine.strategy == "Continue" and "machine" in plans:
        machine = MachineDetection(machine.strategy, signing.event_url(
            machine.event_url, secret, name, "machine", 1, state), machine.span)
    flat = replace(script, plans=(main,) if main else (), machine=machine)
    language, gender = _voice(script)
    reports = {plan.name: tuple(r.url for r in plan.reports)
               for plan in script.plans if plan.reports}
    return Bundle(name, flat, plans, menus, handoffs, implicit, language, gender,
                  {plan.name: plan for plan in script.plans}, values, needs, state, reports,
                  asks)


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
        if plan_id == "main" or ((plan_id in bundle.handoffs or plan_id in bundle.asks)
                                 and not plan.verbs):
            continue
        found.extend(schema_diagnostics(emit_plan(plan), plan.span))
    return found + per_call_diagnostics(script, bundle)


def per_call_diagnostics(script: Script, bundle: Bundle) -> list:
    """What the call's own values break: an eventUrl that their sealed state
    makes longer than the URL limit (DP230), and `say` text that is over
    Routee's 1000 characters once a branch says them (DP207)."""
    from . import rules
    from .diagnostics import Related

    found = []
    if bundle.state:
        limit = url_limit()
        related = [Related(span, f"{{{name}}} goes with the call")
                   for name, span in script.per_call_names.items()][:3]
        for menu in bundle.menus.values():
            url = signing.event_url(menu.via, b"x", bundle.name, menu.id, menu.tries,
                                    bundle.state)
            if len(url) > limit:
                found.append(rules.STATE_URL_TOO_LONG(
                    menu.spans.get("via", menu.span),
                    f"with this call's values, this menu's eventUrl is {len(url)} characters "
                    f"long; the limit is {limit}",
                    related=related,
                    help="shorten the values the branches say, or say fewer of them in the "
                         f"branches; {URL_LIMIT_ENV} sets another limit"))
                break
    if bundle.values:
        for plan_id, plan in bundle.plans.items():
            if plan_id == "main":
                continue
            for verb in plan.verbs:
                if not (isinstance(verb, Say) and isinstance(verb.text, Deferred)):
                    continue
                text, missing = fill_template(verb.text, {**bundle.values, "digits": ""})
                if not missing and len(text) > routee.MAX_TEXT_LENGTH:
                    found.append(rules.TEXT_LENGTH(
                        verb.spans.get("text", verb.span),
                        f"with this call's values, this `say` text has {len(text)} "
                        f"characters; the limit is {routee.MAX_TEXT_LENGTH}",
                        help="shorten the values, or split the text over several `say` lines"))
    unique = {}
    for d in found:
        unique.setdefault((d.code, d.span), d)
    return list(unique.values())
