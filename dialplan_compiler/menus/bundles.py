"""Bundles for hosting: many scripts compiled at once, and a bundle as JSON.

`dialplan serve` and `dialplan build` start here: every `.call` file given
becomes a `Bundle` (a script without menus is one plan), by script name,
and `bundle_json` writes a bundle as the static files `dialplan build`
hosts. This sits above the compiler: lowering one script (`lowering.py`)
needs none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import DialplanError
from ..lowering import BUNDLE_FORMAT, Bundle, script_name, sorry_plan
from ..model import Plan, Script
from ..nodes import Span


def bundle_json(bundle: Bundle, request: dict | None = None) -> dict[str, Any]:
    """The bundle as JSON, for `dialplan build` and for hosting elsewhere.

    `plans` are the dialplans to answer, by id; `menus` is the routing
    table: for an eventUrl whose `n` is a menu's id and `t` its try, the
    keys (`collectedTones`) pick a choice (exact keys first, then `any N`
    digits, then `any`), else `otherwise`; the answer is `plans[PLAN]`, or
    `plans[PLAN@t]` for a branch that asks again. In the strings listed in
    `fill`, `{digits}` is replaced by the keys (literal braces are doubled).
    """
    from ..emitter import emit_plan

    plans: dict[str, Any] = {}
    fill: dict[str, list[str]] = {}
    for plan_id, plan in bundle.plans.items():
        if isinstance(plan, _JsonPlan):
            plans[plan_id] = plan.payload
            continue
        emitted = emit_plan(plan)
        plans[plan_id] = emitted.payload
        if emitted.deferred:
            fill[plan_id] = sorted("/" + "/".join(str(p) for p in path)
                                   for path in emitted.deferred)
    menus = {}
    for menu_id, menu in bundle.menus.items():
        choices = []
        for choice in menu.choices:
            entry: dict[str, Any] = {"keys": choice.keys} if choice.keys is not None else \
                {"any": choice.length}
            entry["plan"] = choice.branch
            choices.append(entry)
        menus[menu_id] = {"via": menu.via, "tries": menu.tries, "wait": menu.wait,
                          "maxDigits": menu.max_digits, "submitOnHash": menu.hash,
                          "choices": choices, "otherwise": bundle.otherwise(menu)}
    out: dict[str, Any] = {"bundle": BUNDLE_FORMAT, "script": bundle.name}
    if request is not None:
        out["call"] = request
    out["plans"] = plans
    out["menus"] = menus
    if fill:
        out["fill"] = fill
    if bundle.handoffs:
        out["handoffs"] = {k: {"url": h.url, "withinMs": h.within_ms}
                           for k, h in bundle.handoffs.items()}
    if bundle.asks:
        out["asks"] = {k: {"url": a.url, "withinMs": a.within_ms, "choices": dict(a.choices),
                           "otherwise": a.otherwise, "timeout": a.timeout, "vars": list(a.vars)}
                       for k, a in bundle.asks.items()}
    if bundle.reports:
        out["reports"] = {k: list(v) for k, v in bundle.reports.items()}
    out["sorry"] = sorry_plan(bundle.language, bundle.gender)
    return out


class ScriptErrors(DialplanError):
    """Scripts that do not compile: `reports` holds (name, text, diagnostics)."""

    def __init__(self, reports: list) -> None:
        super().__init__(f"{len(reports)} scripts with errors")
        self.reports = reports


class ScriptNameClash(DialplanError, ValueError):
    """Two scripts given at once have the same name (their file names)."""


def compile_scripts(paths, secret: bytes, *, variables=None) -> dict[str, Bundle]:
    """Compile `.call` files into bundles by script name (the file name
    without `.call`), as `dialplan serve` and `dialplan build` do. A script
    without menus is served too: it is one plan. Raises ScriptErrors,
    or ScriptNameClash (a ValueError) when two files have the same name (and files.ReadError
    when one cannot be read)."""
    from ..compiler import compile_bundle
    from ..files import read_input

    bundles: dict[str, Bundle] = {}
    failed = []
    for path in paths:
        path = str(path)
        data = read_input(path)  # capped: a name may be a device that never ends
        name = script_name(path)
        if name in bundles:
            raise ScriptNameClash(f"two scripts are called {name!r}: rename one of them")
        result = compile_bundle(data, path, variables=variables, signing_secret=secret,
                                name=name, per_call="deferred")
        if result.payload is None:
            failed.append((path, data.decode("utf-8", "replace"),
                           [d for d in result.diagnostics]))
            continue
        if result.bundle is None:  # no menus: the one plan is the main plan
            payload = result.payload
            plan = payload if "verbs" in payload else payload.get("dialPlan")
            if plan is None:
                continue  # a `plan url` script: its plan is hosted elsewhere
            script = Script(Span(path, 1, 1, 1, 1))
            bundles[name] = Bundle(name, script, {"main": _plan_from_json(plan)}, {})
        else:
            bundles[name] = result.bundle
    if failed:
        raise ScriptErrors(failed)
    return bundles


def write_bundles(bundles: dict[str, Bundle], root: Path,
                  note: Callable[[str], Any] = lambda line: None) -> None:
    """Write each bundle as the static files `dialplan build` hosts:
    ROOT/NAME/plans/ID.json, ROOT/NAME/routes.json and ROOT/NAME/bundle.json,
    and the silent WAVs the menus wait with in ROOT/audio/. `note` is told
    a line per bundle; files.WriteError when something cannot be written."""
    from ..emitter import to_json
    from ..files import write_output
    from .silence import silent_wav

    waits = set()
    for name, bundle in sorted(bundles.items()):
        data = bundle_json(bundle)
        folder = _make_folder(root / name / "plans")
        for plan_id, plan in data["plans"].items():
            write_output(folder / f"{plan_id}.json", to_json(plan))
        routes = {k: v for k, v in data.items() if k != "plans"}
        write_output(root / name / "routes.json", to_json(routes))
        write_output(root / name / "bundle.json", to_json(data))
        waits |= {m.wait for m in bundle.menus.values() if not m.hash}
        note(f"{root / name}: {len(data['plans'])} plans")
    if waits:
        audio = _make_folder(root / "audio")
        for seconds in sorted(waits):
            write_output(audio / f"silence-{seconds}s.wav", silent_wav(seconds))


def _make_folder(path: Path) -> Path:
    from ..files import WriteError

    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WriteError(error.errno, error.strerror or str(error), str(path)) from None
    return path


def _plan_from_json(payload: dict) -> Plan:
    """A plan for a script without menus, kept as its JSON."""
    return _JsonPlan("main", (), Span("<json>", 1, 1, 1, 1), None, payload)


@dataclass(frozen=True)
class _JsonPlan:
    name: str
    verbs: tuple
    span: Span
    end: Any
    payload: dict
