"""The limit rules of `dialplan check`: what the durations a script states
say about its `limit` (Routee's maxDuration, where Routee ends the call).

* DP313: a path of the call can run past the limit. Each plan is walked
  with the most each verb can take: a `say` at the speaking rate of its
  language (speaking.py) times its hearings (`repeat forever` once), a
  `pause` its seconds, a `dial` its `ring` plus its `limit`; a `play` (whose
  length is not known here) nothing. A menu adds its prompt and its wait,
  then each answer's branch is walked; a menu is asked once on a path (its
  `again`s are DP314's). Only what the script states is added, so every
  path reported is one a caller can take: the verb reported is the first
  whose end can come after the limit.
* DP314: a menu asked all its `tries` without an answer (prompt and wait
  each time) lasts longer than the limit, so its last tries are cut.

`dialplan simulate --timing` times every path the same way (menus/timing.py),
with espeak-ng's lengths when the audio extra is installed.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from . import rules
from .diagnostics import Diagnostic, Related
from .model import Dial, Menu, Pause, Plan, Say, Script, Verb
from .speaking import rate_seconds


def verb_seconds(verb: Verb) -> float:
    """The most `verb` takes that the script states (0 when it states none)."""
    if isinstance(verb, Say):
        repeat = verb.repeat if isinstance(verb.repeat, int) and verb.repeat > 0 else 0
        return rate_seconds(str(verb.text), str(verb.language)) * (repeat + 1)
    if isinstance(verb, Pause):
        return float(verb.seconds)
    if isinstance(verb, Dial):
        return float(verb.ring or 0) + float(verb.limit or 0)
    return 0.0


def prompt_seconds(menu: Menu) -> float:
    return sum(verb_seconds(verb) for verb in menu.prompt)


def limit_diagnostics(script: Script) -> list[Diagnostic]:
    """DP313 and DP314 for `script` (none when it has no `limit`)."""
    if script.limit is None or script.main is None:
        return []
    limit = float(script.limit)
    at_limit = [Related(script.spans["maxDuration"], "the call's limit")] \
        if "maxDuration" in script.spans else []
    plans = {plan.name: plan for plan in script.plans}
    found: dict[tuple, Diagnostic] = {}
    for span, reached in _crossings(plans, script.main, 0.0, limit):
        key = (span.line, span.column)
        if key not in found:
            found[key] = rules.PATH_OVER_LIMIT(
                span, f"a path of the call can reach the end of this after "
                      f"{_seconds(reached)}, past its `limit` of {_seconds(limit)}: Routee "
                      "ends the call before it is done",
                label="past the limit", related=at_limit,
                help="raise `limit`, or shorten what comes before: waits, pauses, a "
                     "dial's `ring` and `limit`")
    for menu in _menus(script.plans):
        prompt = prompt_seconds(menu)
        total = (prompt + menu.wait) * menu.tries
        if total > limit:
            found[(menu.span.line, menu.span.column, "menu")] = rules.MENU_OVER_LIMIT(
                menu.span, f"asked {menu.tries} times without an answer, this menu lasts "
                           f"{_seconds(total)} ({menu.tries} × ({_seconds(prompt)} of prompt "
                           f"+ {menu.wait} s of wait)), past the call's `limit` of "
                           f"{_seconds(limit)}: its last tries are cut",
                label="past the limit", related=at_limit,
                help="lower `tries` or `wait`, shorten the prompt, or raise `limit`")
    return list(found.values())


def _crossings(plans: dict[str, Plan], plan: Plan, start: float,
               limit: float) -> Iterator[tuple]:
    """(span, seconds) of each verb or menu of `plan` (and of the branches
    after it) whose end can come after `limit`, the first of each path."""
    elapsed, crossed = _walk(plan.verbs, start, limit)
    menu = plan.end
    if crossed or not isinstance(menu, Menu):
        yield from crossed
        return
    elapsed, crossed = _walk(menu.prompt, elapsed, limit)
    if crossed:
        yield from crossed
        return
    elapsed += menu.wait
    if elapsed > limit:
        yield menu.span, elapsed
        return
    yield from _walk(menu.timeout, elapsed, limit)[1]
    branches = [c.branch for c in menu.choices] + ([menu.otherwise] if menu.otherwise else [])
    for branch in dict.fromkeys(branches):
        if branch in plans and branch != plan.name:
            yield from _crossings(plans, plans[branch], elapsed, limit)


def _walk(verbs: Iterable[Verb], elapsed: float, limit: float) -> tuple[float, list[tuple]]:
    """The seconds after `verbs` (from `elapsed`), and [(span, seconds)] of
    the first verb whose end can come after `limit` (empty: none)."""
    for verb in verbs:
        elapsed += verb_seconds(verb)
        if elapsed > limit:
            return elapsed, [(verb.span, elapsed)]
    return elapsed, []


def _menus(plans: Iterable[Plan]) -> Iterator[Menu]:
    for plan in plans:
        if isinstance(plan.end, Menu):
            yield plan.end


def _seconds(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") + " s"


__all__ = ["limit_diagnostics", "prompt_seconds", "verb_seconds"]
