"""Runs Routee dialplans the way Routee runs them, with a scripted caller.

One engine, used by `dialplan simulate` (offline: eventUrls are answered
in-process) and by the local Routee stand-in (`standin.py`: eventUrls are
real HTTP requests to `dialplan serve`). It models what ROUTEE.md says about
Routee, and where Routee's behaviour is not documented it makes the reading
the compiler relies on:

* verbs run one after another; the call ends after the last one;
* a plan's COLLECT gathers keys pressed at any time of that plan (the
  documentation's own example puts COLLECT after the PAUSE that waits for
  the keys), so it applies from the plan's start;
* a key pressed during a `bargeIn` verb interrupts it, and the keys
  gathered so far go to the COLLECT's eventUrl at once; with `submitOnHash`,
  '#' sends them (without the '#'); keys beyond `maxDigits` are dropped;
* a plan answered to the eventUrl (a JSON object with a non-empty `verbs`)
  replaces the rest of the running plan; any other answer leaves the plan
  running;
* after the call, the eventUrl is called once more with empty tones, and
  its answer is ignored.

The scripted caller listens to everything that is said, and presses its
next keys in the first silence (a PAUSE, or a silent WAV the compiler
serves for a menu's wait) while keys are being collected. `timeout` means
it presses nothing for the rest of that plan; `hangup` hangs up. With no
presses left it stays silent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

#: The silent WAVs of menus, as `menus.silence_url` writes them.
SILENCE = re.compile(r"/audio/silence-([0-9]+)s\.wav$")
TIMEOUT, HANGUP = "timeout", "hangup"
MAX_PLANS = 100

Post = Callable[[str, dict], "dict | None"]


@dataclass
class Event:
    kind: str      # say play wait press dial post answer end note fetch
    text: str | None
    data: dict = field(default_factory=dict)


@dataclass
class CallLog:
    """What happened in a call: its events, in order."""

    events: list[Event] = field(default_factory=list)

    @property
    def transcript(self) -> list[str]:
        return [e.text for e in self.events if e.text is not None]

    @property
    def posts(self) -> list[Event]:
        return [e for e in self.events if e.kind == "post"]


def is_plan(answer: Any) -> bool:
    return isinstance(answer, dict) and isinstance(answer.get("verbs"), list) \
        and bool(answer["verbs"]) and all(isinstance(v, dict) for v in answer["verbs"])


def _times(verb: dict) -> str:
    repeat = verb.get("repeat")
    if repeat == -1:
        return " (repeats forever)"
    if isinstance(repeat, int) and repeat > 0:
        return f" ×{repeat + 1}"
    return ""


def target_text(to: Any) -> str:
    if not isinstance(to, dict):
        return "?"
    if "phone" in to:
        return str(to["phone"])
    if "sip" in to:
        return f"sip:{to['sip']}"
    return f"viber:{to.get('viber')}"


def run(plan: dict, *, presses: Iterable[str] = (), post: Post,
        body: dict | None = None, final_post: bool = True,
        call: CallLog | None = None) -> CallLog:
    """Run `plan` with a caller who presses `presses` (e.g. "1", "1234#",
    "timeout", "hangup"), calling `post(eventUrl, body)` for the keys.
    Events go to `call` (a new one by default), which `post` may add to."""
    call = call if call is not None else CallLog()
    events = call.events
    queue = list(presses)
    base = dict(body or {})
    last_url: str | None = None
    plans = 0
    current: dict | None = plan
    while current is not None:
        plans += 1
        if plans > MAX_PLANS:
            events.append(Event("note", f"(the simulation stops after {MAX_PLANS} plans)"))
            break
        verbs = [v for v in current.get("verbs", []) if isinstance(v, dict)]
        collect = next((v for v in verbs if v.get("type") == "COLLECT"), None)
        if collect is not None:
            last_url = collect.get("eventUrl")
        silent = False            # `timeout`: nothing more in this plan
        tones = ""
        current = None
        stop = False
        for verb in verbs:
            kind = verb.get("type")
            if kind == "COLLECT":
                continue
            if kind == "SAY":
                message = verb.get("message") or {}
                voice = message.get("language", "?")
                if message.get("gender"):
                    voice += f", {message['gender']}"
                events.append(Event("say", f"caller hears ({voice}): {message.get('text', '')}"
                                           f"{_times(verb)}", {"verb": verb}))
                if verb.get("repeat") == -1:
                    events.append(Event("note", "(it never ends: the simulation stops here)"))
                    stop = True
                    break
                continue
            if kind == "DIAL":
                events.append(Event("dial", f"call is bridged to {target_text(verb.get('to'))}",
                                    {"verb": verb}))
                continue
            seconds = None
            if kind == "PAUSE":
                seconds = verb.get("duration")
            elif kind == "PLAY":
                url = str(verb.get("fileURL", ""))
                match = SILENCE.search(urlsplit(url).path)
                if match:
                    seconds = int(match.group(1))
                else:
                    name = urlsplit(url).path.rsplit("/", 1)[-1] or url
                    events.append(Event("play", f"plays {name}{_times(verb)}", {"verb": verb}))
                    if verb.get("repeat") == -1:
                        events.append(Event("note", "(it never ends: the simulation stops here)"))
                        stop = True
                        break
                    continue
            else:
                events.append(Event("note", f"(unknown verb {kind!r} skipped)"))
                continue
            # A silence: the caller's moment.
            pressed = False
            if collect is not None and not silent and queue:
                pressed = True
                press = queue.pop(0)
                if press == HANGUP:
                    events.append(Event("hangup", "caller hangs up",
                                        {"seconds": seconds, "verb": verb}))
                    stop = True
                    break
                if press == TIMEOUT:
                    silent, pressed = True, False
                else:
                    events.append(Event("press", "presses " + " ".join(press),
                                        {"keys": press, "seconds": seconds, "verb": verb}))
                    submitted = None
                    max_digits = collect.get("maxDigits", 30)
                    for key in press:
                        if key == "#" and collect.get("submitOnHash"):
                            submitted = tones
                            break
                        if len(tones) < (max_digits if isinstance(max_digits, int) else 30):
                            tones += key
                        if verb.get("bargeIn"):
                            submitted = tones
                            break
                    if submitted is not None:
                        answer = _post(events, post, collect.get("eventUrl"), base, submitted)
                        if is_plan(answer):
                            current = answer
                            break
                        tones = ""
            data: dict[str, Any] = {"seconds": seconds, "verb": verb}
            if collect is not None and not pressed:
                # Nobody pressed anything while keys were collected: a
                # timeout, or (no presses left) where a caller could go on.
                data["silent"] = collect.get("eventUrl")
                data["unscripted"] = not silent and not queue
            events.append(Event("wait", f"waits {seconds} s", data))
        if stop:
            break
    events.append(Event("end", "call ends"))
    if final_post and last_url:
        _post(events, post, last_url, base, "", final=True)
    return call


def _post(events: list[Event], post: Post, url: Any, base: dict, tones: str,
          final: bool = False) -> Any:
    if not isinstance(url, str):
        return None
    body = {**base, "collectedTones": tones}
    try:
        answer = post(url, body)
    except Exception as error:  # noqa: BLE001 - Routee carries on whatever the server does
        answer = None
        events.append(Event("post", None, {"url": url, "tones": tones, "error": str(error),
                                           "final": final}))
        return None
    events.append(Event("post", None, {"url": url, "tones": tones, "answer": answer,
                                       "final": final}))
    return answer
