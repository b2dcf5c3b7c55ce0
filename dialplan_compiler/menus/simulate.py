"""`dialplan simulate`: a whole call flow, offline.

The script is compiled with a throw-away signing secret, its eventUrls are
answered in-process by the same `Router` that `dialplan serve` uses, and the
plans run in the same `engine` that the local Routee stand-in uses. Nothing
touches the network.
"""

from __future__ import annotations

import json
import secrets
import shlex
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping
from urllib.parse import parse_qsl, urlsplit

from ..menus import engine
from ..errors import DialplanError
from ..lowering import Bundle
from ..model import Again
from ..statements import KEYS_HELP, read_keys
from .router import TIMED_OUT, Router

#: `--answer` words that stand for a backend's failure rather than a choice.
FAILURES = {"timeout": TIMED_OUT, "error": "HTTP 500 (simulated)", "garbage": None}


def backend_reply(answer: Any) -> Any:
    """What a backend replies, from an `--answer` or a scenario's `answers`
    item: an object as the backend would send it, a choice's name, or
    `timeout`, `error`, `garbage`."""
    if isinstance(answer, dict):
        return answer
    if answer in FAILURES:
        return FAILURES[answer]
    text = str(answer)
    if text.startswith("{"):
        try:
            return json.loads(text)
        except ValueError:
            return None
    return {"choice": text}

#: Routee's body for the simulated call (observed shape).
CALLER = {"from": "+306900000000", "to": "+302101234567",
          "messageId": "simulated-message", "conversationTrackingId": "simulated-call"}


class PressError(DialplanError, ValueError):
    """A press that is neither keys nor `timeout` nor `hangup`."""


def read_press(text: str) -> str:
    """What a caller does at a question, as `--press` and scenario files
    write it: keys ("1", "1234#", "star", "1 2 hash"; see
    `statements.read_keys`), "timeout" (nothing) or "hangup". Returns the
    keys themselves ("star" → "*"); PressError for anything else."""
    if text in (engine.TIMEOUT, engine.HANGUP):
        return text
    try:
        return read_keys(text)
    except ValueError as error:
        reason = str(error).removesuffix("; " + KEYS_HELP)
        raise PressError(f"{text!r} is not a press: {reason}; a press is keys such as 1, "
                         f"1234# or star ({KEYS_HELP}), timeout or hangup") from None


class SimulationError(DialplanError):
    """The script does not compile; `diagnostics` says why."""

    def __init__(self, diagnostics: list) -> None:
        super().__init__(f"{len(diagnostics)} errors")
        self.diagnostics = diagnostics


@dataclass
class Flow:
    """A compiled script, ready to simulate. `bundle` and `router` are None
    for a script without menus (one plan, nothing to route)."""

    main: dict
    bundle: Bundle | None
    router: Router | None
    #: The call's own settings beside its plan (`hangupDelay`, `maxDuration`,
    #: ...), as compiled; empty for a script that is a plan only.
    settings: dict = field(default_factory=dict)

    def outcomes(self) -> list[str]:
        """Every outcome a caller can reach, for coverage ("MENU → CHOICE")."""
        if self.bundle is None:
            return []
        found = []
        asked_again = {p.end.menu for p in self.bundle.source.values()
                       if isinstance(p.end, Again)} | set(self.bundle.implicit_otherwise)
        for menu in self.bundle.menus.values():
            found += [f"{menu.id} → {choice_label(c)}" for c in menu.choices]
            found.append(f"{menu.id} → otherwise")
            found.append(f"{menu.id} → timeout")
            if menu.id in asked_again:
                found.append(f"{menu.id} → tries used up")
        for branch, ask in self.bundle.asks.items():
            found += [f"{branch} asks → {choice}" for choice in ask.choices]
            found.append(f"{branch} asks → otherwise")
            if ask.timeout:
                found.append(f"{branch} asks → timeout")
        if "machine" in self.bundle.plans:
            found.append("machine")
        return found


def choice_label(choice) -> str:
    if choice.keys is not None:
        return choice.keys
    return f"any {choice.length} digits" if choice.length else "any digits"


def load(source: str | bytes, filename: str, *,
         variables: Mapping[str, str] | None = None) -> Flow:
    """Compile a script for simulation (SimulationError when it has errors)."""
    from ..compiler import compile_bundle

    secret = secrets.token_bytes(16)
    result = compile_bundle(source, filename, variables=variables, signing_secret=secret)
    if result.payload is None:
        raise SimulationError([d for d in result.diagnostics if d.is_error])
    bundle = result.bundle
    payload = result.payload
    settings = {k: v for k, v in payload.items() if k not in ("verbs", "dialPlan")}
    if bundle is None:
        return Flow(payload if "verbs" in payload else payload["dialPlan"], None, None, settings)
    router = Router({bundle.name: bundle}, secret)
    return Flow(router.main_plan(bundle.name), bundle, router, settings)


@dataclass
class Run:
    presses: list[str]
    call: engine.CallLog
    #: What the caller reached, as in `Flow.outcomes`, in order.
    outcomes: list[str] = field(default_factory=list)
    #: The menu still waiting when the presses ran out: (menu id, try).
    open_menu: tuple[str, int] | None = None
    #: A machine answered.
    machine: bool = False
    #: The backend's replies, one per `ask`, in order.
    answers: list = field(default_factory=list)
    #: The branch whose `ask` found no answer left (it was given `timeout`).
    open_ask: str | None = None

    @property
    def transcript(self) -> list[str]:
        return self.call.transcript


def simulate(flow: Flow, presses: Iterable[str] = (), *, machine: bool = False,
             answers: Iterable[Any] = ()) -> Run:
    """One call. The caller presses `presses`, one item per question:
    keys ("1", "1234#", "star"), "timeout" (nothing) or "hangup"
    (PressError for anything else); each `ask` gets the next of `answers`
    (see `backend_reply`), or no answer in time."""
    call = engine.CallLog()
    run = Run([read_press(p) for p in presses], call, machine=machine, answers=list(answers))
    pending_answers = list(run.answers)

    def post(url: str, body: dict) -> Any:
        query = dict(parse_qsl(urlsplit(url).query))
        final = body.get("collectedTones") == "" and call.events and \
            call.events[-1].kind == "end"
        if flow.router is None or flow.bundle is None or query.get("p") != flow.bundle.name:
            # A plain `collect`: the keys go to the script's own URL, which
            # is not called offline, and the plan goes on as if it answered
            # nothing.
            if not final:
                keys = body.get("collectedTones") or "no keys"
                call.events.append(engine.Event(
                    "note", f"keys {keys} go to {url} (not called offline: the plan goes on)"))
            return None
        answer = flow.router.event(query, body)
        if answer.branch and not final:
            run.outcomes.append(_outcome(flow, query, answer, body.get("collectedTones")))
        if answer.handoff is not None and not final:
            call.events.append(engine.Event(
                "note", f"the call is handed to {answer.handoff[0]} (not fetched offline)"))
        if answer.ask is not None and not final:
            asking = answer.branch.split("@")[0]
            if pending_answers:
                reply = backend_reply(pending_answers.pop(0))
            else:
                reply = TIMED_OUT
                run.open_ask = run.open_ask or asking
            answer = flow.router.choose(answer, reply)
            label = answer.log.get("choice") or answer.branch.rsplit(".", 1)[-1].replace(
                "other", "otherwise")
            line = f"asks {answer.log['url']} → {label}"
            if answer.log["outcome"] == "timeout":
                line += f" (no answer within {answer.log['within']:g} s)"
            elif answer.log["outcome"] != "chosen":
                line += f" ({answer.log['outcome']})"
            if answer.context and answer.context.get("vars"):
                line += " " + json.dumps(answer.context["vars"], ensure_ascii=False,
                                         sort_keys=True)
            run.outcomes.append(f"{asking} asks → {label}")
            call.events.append(engine.Event("ask", line, {"log": answer.log}))
        if not final:
            for url, report in answer.reports:
                call.events.append(engine.Event("report", report_line(url, report),
                                                {"url": url, "body": report}))
        return answer.plan

    start = flow.main
    if machine:
        call.events.append(engine.Event("note", "a machine answers"))
        detection = flow.bundle.script.machine if flow.bundle else None
        if detection is None or detection.event_url is None or flow.router is None \
                or "machine" not in flow.bundle.plans:
            call.events.append(engine.Event(
                "note", "(no `on machine` plan: the call goes on as with a person)"))
        else:
            start = post(detection.event_url, dict(CALLER))
    engine.run(start, presses=run.presses, post=post, body=CALLER, call=call)
    for event in call.events:
        if event.kind == "wait" and event.data.get("silent"):
            query = dict(parse_qsl(urlsplit(event.data["silent"]).query))
            menu, attempt = query.get("n", ""), query.get("t", "1")
            if event.data.get("unscripted"):
                # The caller had no presses left and stayed silent: the run
                # took the timeout all the same; `every_path` goes on from here.
                run.open_menu = run.open_menu or (menu, int(attempt) if attempt.isdigit() else 1)
            if flow.bundle is not None and menu in flow.bundle.menus:
                run.outcomes.append(f"{menu} → timeout")
    return run


def report_line(url: str, report: dict) -> str:
    """A report as a transcript line: where it goes, the branch, the keys
    and the call's values (what a scenario asserts)."""
    shown = {"branch": report["branch"], "keys": report["keys"], "values": report["values"]}
    return f"reports to {url} " + json.dumps(shown, ensure_ascii=False, sort_keys=True)


def _outcome(flow: Flow, query: dict, answer, tones: Any) -> str:
    node = query.get("n", "")
    if node == "machine":
        return "machine"
    menu = flow.bundle.menus.get(node)
    if menu is None:
        return answer.branch
    branch = answer.branch.split("@")[0]
    # Several choices may share a branch (`on 1, 2`): the keys tell which.
    taken = [c for c in menu.choices if c.branch == branch]
    choice = next((c for c in taken if c.keys == tones), taken[0] if taken else None)
    label = choice_label(choice) if choice is not None else "otherwise"
    attempt = query.get("t", "")
    if "@" in answer.branch and attempt == str(menu.tries):
        return f"{node} → {label}; {node} → tries used up"
    return f"{node} → {label}"


# --- every path ------------------------------------------------------------------------------

def options(flow: Flow, menu_id: str) -> list[tuple[str, str]]:
    """(label, press) for each way to answer a menu: each choice, a key
    that no choice takes (if there is one), and silence."""
    menu = flow.bundle.menus[menu_id]
    end = "#" if menu.hash else ""
    found = []
    exact = {c.keys for c in menu.choices if c.keys is not None}
    lengths = {c.length for c in menu.choices if c.keys is None}
    for choice in menu.choices:
        if choice.keys is not None:
            found.append((choice.keys, choice.keys + end))
        else:
            digits = "1234567890" * 3
            found.append((choice_label(choice),
                          digits[:choice.length or 2] + end))
    candidates = ("*", "0", "**", "*0") if menu.hash else tuple("0*5#791")
    for candidate in candidates:
        if candidate in exact or (candidate.isdigit() and (0 in lengths or
                                                           len(candidate) in lengths)):
            continue
        found.append(("otherwise", candidate + end))
        break
    found.append(("timeout", engine.TIMEOUT))
    return found


def every_path(flow: Flow, *, limit: int = 500) -> list[Run]:
    """Runs that together answer every menu in every way at every try,
    each run as short as it can be (breadth first)."""
    runs: list[Run] = []
    if flow.bundle is not None and "machine" in flow.bundle.plans:
        runs.append(simulate(flow, machine=True))
    seen: set[tuple[str, int, str]] = set()
    frontier: list[tuple[list[str], list[str]]] = [([], [])]
    while frontier and len(runs) < limit:
        presses, answers = frontier.pop(0)
        run = simulate(flow, presses, answers=answers)
        if run.open_ask is not None:
            # Every reply the ask declares, then a failure, then silence.
            ask = flow.bundle.asks[run.open_ask]
            # A choice's vars stand for themselves: [balance].
            replies = [{"choice": c, "vars": {n: f"[{n}]" for n in ask.vars}} if ask.vars else c
                       for c in ask.choices]
            for reply in [*replies, "garbage", engine.TIMEOUT]:
                key = (run.open_ask, len(answers), json.dumps(reply, sort_keys=True))
                if key not in seen:
                    seen.add(key)
                    frontier.append((presses, answers + [reply]))
            continue
        if run.open_menu is None or flow.bundle is None:
            runs.append(run)
            continue
        menu_id, attempt = run.open_menu
        fresh = False
        for label, press in options(flow, menu_id):
            edge = (menu_id, attempt, label)
            if edge not in seen:
                seen.add(edge)
                fresh = True
                frontier.append((presses + [press], answers))
        if not fresh:  # every way on is taken elsewhere: end this path in silence
            frontier.append((presses + [engine.TIMEOUT], answers))
    return runs


def coverage(flow: Flow, runs: Iterable[Run]) -> list[tuple[str, int]]:
    """Each outcome of the flow with the number of runs that reached it."""
    counts = {outcome: 0 for outcome in flow.outcomes()}
    for run in runs:
        reached = {part for outcome in run.outcomes for part in outcome.split("; ")}
        for outcome in reached:
            counts[outcome] = counts.get(outcome, 0) + 1
    return list(counts.items())


# --- as `dialplan simulate` shows runs -------------------------------------------------------

def run_lines(run: Run, *, verbose: bool = False) -> Iterator[str]:
    """What the caller hears in `run`, a line each; with `verbose`, too, the
    keys sent to each eventUrl."""
    for event in run.call.events:
        if event.text is not None:
            yield event.text
        elif verbose and event.kind == "post" and not event.data.get("final"):
            query = dict(parse_qsl(urlsplit(event.data["url"]).query))
            if "n" not in query:
                continue  # a plain `collect`'s URL: its line says where the keys went
            yield (f"  (keys {event.data['tones']!r} sent for menu {query.get('n')}, "
                   f"try {query.get('t')})")


def press_text(keys: str) -> str:
    """A press as a shell takes it whole: `*` is spelt `star` (a shell
    would expand it), and a leading `#` `hash` (a shell would read a
    comment): "*" → "star", "#" → "hash", "1234#" stays."""
    text = keys.replace("*", "star")
    return "hash" + text[1:] if text.startswith("#") else text


def run_flags(run: Run) -> str:
    """The options that repeat `run`: `--machine --press 1 --press 2# --answer open`."""
    return " ".join(["--machine"] * run.machine +
                    [f"--press {press_text(p)}" for p in run.presses] +
                    ["--answer " + shlex.quote(a if isinstance(a, str) else
                                               json.dumps(a, ensure_ascii=False))
                     for a in run.answers])


def coverage_lines(flow: Flow, runs: Iterable[Run]) -> Iterator[str]:
    """The coverage table of `runs`: runs per outcome, then how many were reached."""
    rows = coverage(flow, runs)
    yield "runs  outcome"
    for outcome, count in rows:
        yield f"{count:>4}  {outcome}"
    missed = sum(1 for _, count in rows if not count)
    yield f"{len(rows) - missed} of {len(rows)} outcomes reached"
