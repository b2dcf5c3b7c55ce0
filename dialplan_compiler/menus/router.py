"""Which plan answers an eventUrl: the logic of `dialplan serve`, without HTTP.

`Router.event(query, body)` takes the eventUrl's query (`p`, `n`, `t`, `s`)
and Routee's JSON body (`collectedTones`, …) and returns an `Answer`: a
status, the dialplan to answer and a log record. It keeps no state between
calls: everything it needs is in the bundles (compiled once, at start-up)
and in the signed query. `simulate.py` uses it offline and `server.py` over
HTTP, so both pick branches the same way.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .. import signing
from ..lowering import Bundle, sorry_plan
from ..model import fill_template
from .bundles import bundle_json

KEYS = re.compile(r"[0-9*#]*")
#: Routee's bodies are flat objects; json.loads recurses once per level and
#: fails with RecursionError (not ValueError) some thousand levels down.
MAX_DEPTH = 64
#: A JSON string (unterminated at the end, too), its escapes included: the
#: brackets inside it do not nest. No alternative overlaps, so it is linear.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING = frozenset(b"[{")


class TooDeep(ValueError):
    """A JSON text nested deeper than MAX_DEPTH."""


def json_depth(data: bytes | str, limit: int = MAX_DEPTH) -> int:
    """How deep the arrays and objects of JSON `data` nest (counting stops
    just past `limit`), found without parsing it: brackets outside strings."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    depth = deepest = 0
    for byte in _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS):
        if byte in _OPENING:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def loads(data: bytes | str) -> Any:
    """json.loads, refusing (TooDeep) what nests deeper than MAX_DEPTH
    before it can exhaust the recursion limit."""
    if json_depth(data) > MAX_DEPTH:
        raise TooDeep(f"JSON nested deeper than {MAX_DEPTH} levels")
    return json.loads(data)


@dataclass
class Answer:
    status: int
    plan: dict[str, Any] | None
    log: dict[str, Any]
    #: The branch taken (a plan id), if any.
    branch: str | None = None
    #: A `handoff`: (url, seconds); `plan` then holds the verbs before it.
    handoff: tuple[str, float] | None = None
    #: The plan as JSON bytes, when it could be prepared in advance.
    data: bytes | None = field(default=None, repr=False)
    #: `report to URL`s of the branch: (url, body) to post once it is answered.
    reports: list[tuple[str, dict]] = field(default_factory=list)
    #: An `ask`: `plan` holds the verbs before it; `Router.choose` finishes
    #: the answer with the backend's reply. `context` is what is posted to it.
    ask: Any = None
    context: dict | None = None
    #: What `choose` needs: the script, the values, the state, the keys.
    pending: dict | None = field(default=None, repr=False)


#: The longest value an `ask`'s answer may give a placeholder.
MAX_VAR_CHARS = 200
#: What a reply that is no answer at all says, for `choose`.
TIMED_OUT = "timeout"


def read_reply(ask: Any, reply: Any) -> tuple[str | None, dict[str, str], str]:
    """(choice, vars, outcome) of a backend's reply to `ask`: the choice
    taken (None: `otherwise`/`timeout`), the values it gives, and what
    happened, for the log ("chosen", "timeout", "error: …", "garbage: …")."""
    if reply == TIMED_OUT:
        return None, {}, "timeout"
    if isinstance(reply, str):
        return None, {}, f"error: {reply}"
    if not isinstance(reply, dict) or not isinstance(reply.get("choice"), str):
        return None, {}, "garbage: not {\"choice\": \"…\"}"
    choice = reply["choice"]
    if choice not in ask.choices:
        return None, {}, f"garbage: the choice {choice[:40]!r} is not declared"
    given = reply.get("vars", {})
    if not isinstance(given, dict):
        return None, {}, "garbage: vars is not an object"
    found: dict[str, str] = {}
    for name, value in given.items():
        if name not in ask.vars:
            return None, {}, f"garbage: vars has {str(name)[:40]!r}, not declared"
        if not isinstance(value, str) or len(value) > MAX_VAR_CHARS:
            return None, {}, f"garbage: vars.{name} is not a string of at most " \
                             f"{MAX_VAR_CHARS} characters"
        found[name] = value
    return choice, found, "chosen"


def fill(text: str, values: dict[str, str]) -> str:
    """A template (literal braces doubled) with `values` in it: the keys
    (`digits`) and the call's values; a name without one says nothing."""
    filled, missing = fill_template(text, values)
    if missing:
        filled, _ = fill_template(text, {**values, **dict.fromkeys(missing, "")})
    return filled


def branch_path(branch: str) -> list[dict[str, str]]:
    """The menus a branch id went through, with the choice taken in each:
    "2.any4" → [{menu: main, choice: 2}, {menu: 2, choice: any4}]."""
    if branch == "machine":
        return []
    labels = branch.split("@")[0].split(".")
    return [{"menu": ".".join(labels[:i]) or "main", "choice": label}
            for i, label in enumerate(labels)]


def report_body(script: str, branch: str, keys: str, attempt: str, routee: dict,
                values: dict[str, str]) -> dict:
    """What `report to URL` posts (docs/language.md, "Reports")."""
    call = {name: routee[key] for name, key in (
        ("from", "from"), ("to", "to"), ("trackingId", "conversationTrackingId"),
        ("messageId", "messageId")) if isinstance(routee.get(key), str)}
    return {"script": script, "branch": branch.split("@")[0], "path": branch_path(branch),
            "keys": keys, "try": int(attempt) if signing.is_digits(attempt) else None,
            "call": call, "values": values}


def _add_state(plan: dict, state: str) -> dict:
    """`plan` with the call's sealed state on every eventUrl it asks with."""
    plan = copy.deepcopy(plan)
    for verb in plan.get("verbs", []):
        if verb.get("type") == "COLLECT" and isinstance(verb.get("eventUrl"), str):
            verb["eventUrl"] = signing.with_state(verb["eventUrl"], state)
    return plan


class _Compiled:
    """One bundle, ready to answer: plans as JSON (and bytes)."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        data = bundle_json(bundle)
        self.plans: dict[str, dict] = data["plans"]
        self.fill: dict[str, list[str]] = data.get("fill", {})
        self.bytes = {k: json.dumps(v, ensure_ascii=False).encode("utf-8")
                      for k, v in self.plans.items() if k not in self.fill}
        self.sorry = data["sorry"]
        #: The plans that ask a menu (a COLLECT), whose eventUrls carry the state.
        self.collects = {k for k, v in self.plans.items()
                     if any(verb.get("type") == "COLLECT" for verb in v.get("verbs", []))}

    def plan(self, plan_id: str, values: dict[str, str],
             state: str | None = None) -> tuple[dict, bytes | None]:
        """The plan `plan_id` with `values` in its templates, and the
        call's `state` on its eventUrls (the bytes too, when nothing changed)."""
        plan = self.plans[plan_id]
        pointers = self.fill.get(plan_id)
        if not pointers and not (state and plan_id in self.collects):
            return plan, self.bytes[plan_id]
        plan = _add_state(plan, state) if state and plan_id in self.collects else \
            copy.deepcopy(plan)
        for pointer in pointers or ():
            *parents, last = pointer.strip("/").split("/")
            node: Any = plan
            for part in parents:
                node = node[int(part)] if isinstance(node, list) else node[part]
            node[last] = fill(node[last], values)
        return plan, None


class Router:
    def __init__(self, bundles: Mapping[str, Bundle], secret: bytes) -> None:
        self.secret = secret
        #: Derived once: HKDF per request would cost every answer.
        self.state_key = signing.state_key(secret)
        self.scripts = {name: _Compiled(b) for name, b in bundles.items()}
        self.default_sorry = sorry_plan()

    def main_plan(self, name: str) -> dict | None:
        """The main plan of script `name`, or None. A plan whose text needs
        a call's values that the server has no default for is None too:
        such a plan goes inline in the call (`dialplan call`)."""
        compiled = self.scripts.get(name)
        if compiled is None or "main" not in compiled.plans:
            return None
        bundle = compiled.bundle
        if any(n not in bundle.values for n in bundle.needs.get("main", ())):
            return None
        return compiled.plan("main", dict(bundle.values))[0]

    def _sorry(self, compiled: _Compiled | None, log: dict) -> Answer:
        return Answer(200, compiled.sorry if compiled else self.default_sorry, log)

    def event(self, query: Mapping[str, str], body: Any) -> Answer:
        """Answer an eventUrl. `body` is the request's bytes (or parsed JSON)."""
        p, n, t, s = (query.get(k, "") for k in ("p", "n", "t", "s"))
        if not (p and n and s) or not signing.verify(self.secret, p, n, t, s):
            return Answer(403, None, {"event": "forged", "script": p, "node": n, "try": t})
        compiled = self.scripts.get(p)
        base = {"event": "event", "script": p, "node": n, "try": t}
        if compiled is None:
            return self._sorry(None, {**base, "event": "unknown-script"})
        state = query.get(signing.STATE_PARAMETER) or None
        values = dict(compiled.bundle.values)
        if state is not None:
            try:
                values.update(signing.open_state(self.secret, p, state, key=self.state_key))
            except signing.StateRefused as refused:
                return Answer(403, None, {"event": "forged", "script": p, "node": n, "try": t,
                                          "state": str(refused)})
        if isinstance(body, (bytes, bytearray, str)):
            try:
                body = loads(body) if body else {}
            except TooDeep:  # not Routee: refused, as a body too large is
                return Answer(400, None, {**base, "event": "body-too-deep"})
            except ValueError:
                return self._sorry(compiled, {**base, "event": "bad-body"})
        if not isinstance(body, dict):
            return self._sorry(compiled, {**base, "event": "bad-body"})
        tones = body.get("collectedTones", "")
        if isinstance(tones, int) and not isinstance(tones, bool):
            tones = str(tones)
        if not isinstance(tones, str) or len(tones) > 64:
            return self._sorry(compiled, {**base, "event": "bad-body"})
        tones = tones.strip()
        base["tones"] = tones
        for key in ("conversationTrackingId", "messageId"):
            if isinstance(body.get(key), str):
                base[key] = body[key]
        bundle = compiled.bundle
        if n == "machine" and "machine" in compiled.plans:
            return self._answer(compiled, "machine", "", base, values, state, body)
        menu = bundle.menus.get(n)
        attempt = int(t) if signing.is_digits(t) else 0
        if menu is None or not 1 <= attempt <= menu.tries:
            return self._sorry(compiled, {**base, "event": "unknown-node"})
        keys = tones[:-1] if tones.endswith("#") and menu.hash else tones
        branch = None
        if KEYS.fullmatch(keys):
            branch = next((c.branch for c in menu.choices if c.keys == keys), None)
            if branch is None and signing.is_digits(keys):  # `any N digits`, then `any digits`
                by_length = {c.length: c.branch for c in menu.choices if c.keys is None}
                branch = by_length.get(len(keys)) or by_length.get(0)
        if branch is None:
            branch = bundle.otherwise(menu)
        plan = bundle.plan_for(branch, attempt)
        plan_id = branch if branch in compiled.plans else f"{branch}@{attempt}"
        if plan is None or plan_id not in compiled.plans:
            return self._sorry(compiled, {**base, "event": "unknown-node"})
        return self._answer(compiled, plan_id, keys if KEYS.fullmatch(keys) else "", base,
                            values, state, body)

    def _answer(self, compiled: _Compiled, plan_id: str, digits: str, log: dict,
                values: dict[str, str], state: str | None, routee: dict) -> Answer:
        plan, data = compiled.plan(plan_id, {**values, "digits": digits}, state)
        log = {**log, "branch": plan_id}
        reports = [(url, report_body(log["script"], plan_id, digits,
                                     log.get("try", ""), routee, values))
                   for url in compiled.bundle.reports.get(plan_id.split("@")[0], ())]
        handoff = compiled.bundle.handoffs.get(plan_id.split("@")[0])
        if handoff is not None:
            return Answer(200, plan, log, plan_id, (handoff.url, handoff.within_ms / 1000),
                          reports=reports)
        ask = compiled.bundle.asks.get(plan_id.split("@")[0])
        if ask is not None:
            context = report_body(log["script"], plan_id, digits, log.get("try", ""), routee,
                                  values)
            return Answer(200, plan, log, plan_id, reports=reports, ask=ask, context=context,
                          pending={"script": log["script"], "values": values, "state": state,
                                   "digits": digits, "routee": routee,
                                   "try": log.get("try", "")})
        return Answer(200, plan, log, plan_id, data=data, reports=reports)

    def choose(self, asked: Answer, reply: Any) -> Answer:
        """The answer to Routee once the backend has replied to an `ask`:
        the verbs before it, then the plan of the choice (its `vars` in its
        text), or of `timeout`/`otherwise`. `reply` is the parsed JSON,
        TIMED_OUT, or a string saying what went wrong."""
        ask, pending = asked.ask, asked.pending
        compiled = self.scripts[pending["script"]]
        choice, given, outcome = read_reply(ask, reply)
        if choice is not None:
            branch = ask.choices[choice]
        elif outcome == "timeout" and ask.timeout:
            branch = ask.timeout
        else:
            branch = ask.otherwise
        state = pending["state"]
        values = {**pending["values"], **given}
        if given and branch in compiled.collects:
            # Its menus' eventUrls carry the answer's values on, sealed with the call's.
            opened = signing.open_state(self.secret, pending["script"], state,
                                        key=self.state_key) if state else {}
            state = signing.seal_state(self.secret, pending["script"], {**opened, **given})
        answered = self._answer(compiled, branch, pending["digits"],
                                {"event": "asked", "script": pending["script"],
                                 "url": ask.url, "within": ask.within_ms / 1000,
                                 "outcome": outcome,
                                 **({"choice": choice} if choice else {})},
                                values, state, pending["routee"])
        plan = {"verbs": list(asked.plan.get("verbs", [])) + list(answered.plan["verbs"])}
        return Answer(200, plan, answered.log, answered.branch,
                      reports=asked.reports + answered.reports, context={"vars": given})
