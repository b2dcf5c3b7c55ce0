"""How long a call lasts: a (min, max) range in seconds for each step of
each path that `dialplan simulate` walks, and for the whole path.

    >>> from dialplan_compiler.menus.simulate import load, every_path
    >>> flow = load(source, "clinic.call")
    >>> timings = time_paths(flow, every_path(flow), speech="rate")
    >>> timings[0].total            # (min, max) seconds

What each step counts:

* a SAY: its speech, heard `repeat + 1` times (`repeat: -1`, forever, is at
  least once and at most the call's limit). The speech's length is
  espeak-ng's (`audio.speech_seconds`, the voice a preview uses) when the
  `audio` extra is installed, else characters / SPEAKING_RATES[language];
  `Step.source` says which. Neither is Routee's own voice, which paces
  differently: the figures are estimates.
* a PAUSE, or a menu's wait (the served `/audio/silence-Ns.wav`): N seconds.
* a key press: the silence it was pressed in, 0 to N seconds (the caller
  may press at once or at the last moment). A press in a PAUSE that goes on
  (the keys did not end it) takes no time; the PAUSE's own step counts it.
* a DIAL: ringing, 0 to its `hangupDelay` (ring), then the bridged call, 0
  to its `maxDuration` (limit), or to the call's limit when it has none.
* a `plan url` script's plan, fetched by Routee and not known offline: 0
  to the call's limit (flagged).
* a PLAY: a WAV on this machine (a path, file: URL or 127.0.0.1/localhost
  URL, read as a preview reads it) is its length; any other file's length
  is unknown, assumed UNKNOWN_PLAY seconds, and the step is flagged.

Nothing here is capped by the call's limit except what is otherwise
unbounded: `PathTiming.exceeds_limit` says when a path's max is beyond the
limit (Routee would end the call there), and `menu_timings` when a menu's
prompt and wait, times its tries, are. With no limit in the script (Routee
does not document its default) an unbounded step's max is math.inf
(`None` in `to_dict`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal
from urllib.parse import urlsplit

# SPEAKING_RATES and DEFAULT_RATE are read here as they were before they moved.
from ..speaking import DEFAULT_RATE, SPEAKING_RATES, rate_seconds  # noqa: F401
from . import engine
from .simulate import Flow, Run

#: The speaking rates (characters per second) and the rate of a language
#: not in the table live in `speaking.py`, which the checker reads too.
#: The sentences SPEAKING_RATES was measured on: "your appointment is
#: tomorrow at ten; press one to confirm it, or two to cancel it".
CALIBRATION: dict[str, str] = {
    "en-US": "Your appointment is tomorrow at ten in the morning. Press one to confirm it, "
             "or two to cancel it.",
    "en-GB": "Your appointment is tomorrow at ten in the morning. Press one to confirm it, "
             "or two to cancel it.",
    "de-DE": "Ihr Termin ist morgen um zehn Uhr. Drücken Sie die Eins, um ihn zu bestätigen, "
             "oder die Zwei, um ihn abzusagen.",
    "fr-FR": "Votre rendez-vous est demain à dix heures. Appuyez sur un pour le confirmer, "
             "ou sur deux pour l'annuler.",
    "it-IT": "Il suo appuntamento è domani alle dieci. Prema uno per confermarlo, "
             "o due per annullarlo.",
    "pt-BR": "Sua consulta é amanhã às dez horas. Pressione um para confirmar, "
             "ou dois para cancelar.",
    "es-ES": "Su cita es mañana a las diez. Pulse uno para confirmarla, o dos para cancelarla.",
    "es-LA": "Su cita es mañana a las diez. Presione uno para confirmarla, "
             "o dos para cancelarla.",
    "el-GR": "Το ραντεβού σας είναι αύριο στις δέκα. Πατήστε ένα για να το επιβεβαιώσετε, "
             "ή δύο για να το ακυρώσετε.",
    "bg-BG": "Вашият час е утре в десет. Натиснете едно, за да го потвърдите, "
             "или две, за да го откажете.",
    "pl-PL": "Twoja wizyta jest jutro o dziesiątej. Naciśnij jeden, aby ją potwierdzić, "
             "lub dwa, aby ją odwołać.",
    "hu-HU": "Az időpontja holnap tíz órakor van. Nyomja meg az egyest a megerősítéshez, "
             "vagy a kettest a lemondáshoz.",
    "sv-SE": "Din tid är i morgon klockan tio. Tryck ett för att bekräfta den, "
             "eller två för att avboka den.",
    "ru-RU": "Ваша запись на завтра в десять часов. Нажмите один, чтобы подтвердить её, "
             "или два, чтобы отменить.",
}
#: A PLAY whose file cannot be read here: assumed 0 to 60 seconds (flagged).
UNKNOWN_PLAY = (0.0, 60.0)

Speech = Literal["auto", "espeak", "rate"]
RATE, ESPEAK = "rate", "espeak"


def speech_source(speech: Speech = "auto") -> str:
    """The source `speech` selects: "espeak" when asked, or "auto" and the
    audio extra imports; else "rate" (the SPEAKING_RATES table)."""
    if speech == RATE:
        return RATE
    if speech == ESPEAK:
        return ESPEAK
    if speech != "auto":
        raise ValueError(f"speech must be auto, espeak or rate, not {speech!r}")
    try:
        import espeakng_loader  # noqa: F401
    except ImportError:
        return RATE
    return ESPEAK


def say_seconds(text: str, language: str, gender: str | None = None,
                source: str = RATE) -> float:
    """One hearing of a SAY, in seconds, from `source` ("rate" or "espeak")."""
    if source == ESPEAK:
        from ..audio import VOICES, speech_seconds

        if language in VOICES:
            return speech_seconds(text, language, gender if gender in ("male", "female")
                                  else None)
    return rate_seconds(text, language)


@dataclass(frozen=True)
class Step:
    """One step of a path: what happens, and for how long (seconds)."""
    description: str
    min: float
    max: float
    #: How the length was found: "rate", "espeak", "wav", "script",
    #: "assumed" (UNKNOWN_PLAY) or "limit" (unbounded, the call's limit).
    source: str = "script"
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"step": self.description, "min": _json(self.min), "max": _json(self.max),
                "source": self.source, **({"notes": list(self.notes)} if self.notes else {})}


@dataclass(frozen=True)
class PathTiming:
    """The steps of one simulated path and their total."""
    name: str
    presses: tuple[str, ...]
    steps: tuple[Step, ...]
    #: The call's maxDuration (None: the script gives none).
    limit: float | None
    speech_source: str

    @property
    def total(self) -> tuple[float, float]:
        return (_sum(s.min for s in self.steps), _sum(s.max for s in self.steps))

    @property
    def exceeds_limit(self) -> bool | None:
        """Whether the path may run past the call's limit (None: no limit)."""
        if self.limit is None:
            return None
        return self.total[1] > self.limit

    @property
    def billable(self) -> tuple[float, float]:
        """`total` cut at the call's limit, where Routee ends the call: the
        duration to price (pricing.cost_range). A DIAL's bridged leg is in
        it, as timed here; whether Routee bills it as a leg of its own is
        not documented."""
        low, high = self.total
        if self.limit is None:
            return low, high
        return min(low, self.limit), min(high, self.limit)

    @property
    def flagged(self) -> tuple[Step, ...]:
        """The steps whose length is assumed or unbounded."""
        return tuple(s for s in self.steps if s.source in ("assumed", "limit"))

    def to_dict(self) -> dict:
        low, high = self.total
        return {"path": self.name, "presses": list(self.presses),
                "steps": [s.to_dict() for s in self.steps],
                "total": {"min": _json(low), "max": _json(high)},
                "billable": {"min": _json(self.billable[0]), "max": _json(self.billable[1])},
                "limit": self.limit, "exceeds_limit": self.exceeds_limit,
                "speech": self.speech_source}


@dataclass(frozen=True)
class MenuTiming:
    """A menu asked `tries` times with nobody answering: prompt and wait."""
    menu: str
    prompt: tuple[float, float]
    wait: float
    tries: int
    limit: float | None

    @property
    def total(self) -> tuple[float, float]:
        return ((self.prompt[0] + self.wait) * self.tries,
                (self.prompt[1] + self.wait) * self.tries)

    @property
    def exceeds_limit(self) -> bool | None:
        return None if self.limit is None else self.total[1] > self.limit

    def to_dict(self) -> dict:
        return {"menu": self.menu, "prompt": {"min": _json(self.prompt[0]),
                                              "max": _json(self.prompt[1])},
                "wait": self.wait, "tries": self.tries,
                "total": {"min": _json(self.total[0]), "max": _json(self.total[1])},
                "limit": self.limit, "exceeds_limit": self.exceeds_limit}


def _json(value: float) -> float | None:
    return None if math.isinf(value) else round(value, 2)


def _sum(values: Iterable[float]) -> float:
    return round(math.fsum(values), 6)


def path_name(run: Run) -> str:
    """A path's name from its presses: "1-1234#-timeout", "machine", or
    "call" for a path with none."""
    parts = (["machine"] if run.machine else []) + list(run.presses)
    return "-".join(parts) or "call"


def call_limit(flow: Flow) -> float | None:
    value = flow.settings.get("maxDuration")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


def time_path(flow: Flow, run: Run, *, speech: Speech = "auto",
              read_files: bool = True) -> PathTiming:
    """The timing of one simulated path (a `Run` of `simulate`).
    `read_files=False` never opens a PLAY's file (every PLAY is assumed)."""
    source = speech_source(speech)
    limit = call_limit(flow)
    unbounded = limit if limit is not None else math.inf
    steps: list[Step] = []
    events = run.call.events
    for index, event in enumerate(events):
        data = event.data
        if event.kind == "say":
            verb = data["verb"]
            message = verb.get("message") or {}
            once = say_seconds(str(message.get("text", "")), str(message.get("language", "")),
                               message.get("gender"), source)
            steps.append(_repeated(event.text, once, verb, source, unbounded))
        elif event.kind == "play":
            verb = data["verb"]
            once, how = _play_seconds(str(verb.get("fileURL", "")), read_files)
            if once is None:
                low, high = UNKNOWN_PLAY
                times = _times(verb)
                note = f"length unknown: assumed {low:g} to {high:g} s"
                if times is None:
                    steps.append(Step(event.text, low, unbounded, "limit",
                                      (note, "repeats forever: up to the call's limit")))
                else:
                    steps.append(Step(event.text, low * times, high * times, "assumed", (note,)))
            else:
                steps.append(_repeated(event.text, once, verb, how, unbounded))
        elif event.kind == "wait":
            seconds = float(data.get("seconds") or 0)
            steps.append(Step(event.text, seconds, seconds))
        elif event.kind in ("press", "hangup"):
            seconds = float(data.get("seconds") or 0)
            if _silence_goes_on(events, index):
                seconds = 0.0
            steps.append(Step(event.text, 0.0, seconds))
        elif event.kind == "fetch":
            steps.append(Step(event.text, 0.0, unbounded, "limit",
                              ("the fetched plan is not known offline: up to the call's limit",)))
        elif event.kind == "dial":
            verb = data["verb"]
            ring = verb.get("hangupDelay")
            ring_max = float(ring) if isinstance(ring, (int, float)) else unbounded
            steps.append(Step(f"rings {engine.target_text(verb.get('to'))}", 0.0, ring_max,
                              "script" if isinstance(ring, (int, float)) else "limit"))
            bridged = verb.get("maxDuration")
            if isinstance(bridged, (int, float)):
                steps.append(Step(event.text, 0.0, float(bridged)))
            else:
                steps.append(Step(event.text, 0.0, unbounded, "limit",
                                  ("the dial has no limit: up to the call's",)))
    return PathTiming(path_name(run), tuple(run.presses), tuple(steps), limit, source)


def time_paths(flow: Flow, runs: Iterable[Run], *, speech: Speech = "auto",
               read_files: bool = True) -> list[PathTiming]:
    """`time_path` for each run (e.g. `every_path(flow)`)."""
    return [time_path(flow, run, speech=speech, read_files=read_files) for run in runs]


def menu_timings(flow: Flow, *, speech: Speech = "auto") -> list[MenuTiming]:
    """Each menu of the flow, asked all its tries without an answer."""
    if flow.bundle is None:
        return []
    source = speech_source(speech)
    limit = call_limit(flow)
    found = []
    for menu in flow.bundle.menus.values():
        low = high = 0.0
        for item in menu.prompt:
            text = getattr(item, "text", None)
            if text is None:
                continue
            once = say_seconds(text, getattr(item, "language", None) or "",
                               getattr(item, "gender", None), source)
            repeat = getattr(item, "repeat", None)
            if repeat == -1:
                low, high = low + once, math.inf if limit is None else high + limit
            else:
                times = (repeat or 0) + 1
                low, high = low + once * times, high + once * times
        found.append(MenuTiming(menu.id, (round(low, 6), round(high, 6)), float(menu.wait),
                                int(menu.tries), limit))
    return found


def report(flow: Flow, timings: list[PathTiming], menus: list[MenuTiming] | None = None) -> dict:
    """The JSON-able form of a flow's timings (`--format json`); the menus'
    (`menu_timings`) are timed with the paths' speech source by default."""
    source = timings[0].speech_source if timings else speech_source()
    menus = menu_timings(flow, speech=source) if menus is None else menus
    return {"limit": call_limit(flow), "speech": source,
            "paths": [t.to_dict() for t in timings],
            "menus": [m.to_dict() for m in menus]}


def _times(verb: dict) -> int | None:
    """How often a SAY or PLAY is heard in all; None for forever."""
    repeat = verb.get("repeat")
    if repeat == -1:
        return None
    return (repeat if isinstance(repeat, int) and repeat > 0 else 0) + 1


def _repeated(text: Any, once: float, verb: dict, source: str, unbounded: float) -> Step:
    times = _times(verb)
    if times is None:
        return Step(str(text), once, max(once, unbounded), "limit",
                    ("repeats forever: up to the call's limit",))
    return Step(str(text), round(once * times, 6), round(once * times, 6), source)


def _play_seconds(url: str, read: bool) -> tuple[float | None, str]:
    if not read or not _is_local(url):
        return None, "assumed"
    from ..audio import PREVIEW_RATE
    from ..audio.play import load

    loaded = load(url)
    if loaded.note is not None:
        return None, "assumed"
    return round(len(loaded.samples) / PREVIEW_RATE, 3), "wav"


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        from ..audio.play import LOCAL_HOSTS

        return (parts.hostname or "").lower() in LOCAL_HOSTS
    return scheme in ("", "file")


def _silence_goes_on(events: list[engine.Event], index: int) -> bool:
    """Whether the silence a key was pressed in is still counted by a wait
    that follows (the keys did not end it)."""
    for event in events[index + 1:]:
        if event.kind == "post" and engine.is_plan(event.data.get("answer")):
            return False  # the answer replaced the plan: the silence ended
        if event.kind in ("post", "note"):
            continue
        return event.kind == "wait"
    return False
