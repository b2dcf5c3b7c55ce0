"""`dialplan simulate --timing`: what the caller hears on each path, with
how long each step lasts, the path's total and, with a prices file, what
the path costs; as lines for people (`timing_lines`) or one JSON document
for tools (`timing_document`).

    >>> timed = time_flow(flow, every_path(flow), prices=load_prices("prices.csv"))
    >>> print("\\n".join(timing_lines(timed)))

The durations are `timing`'s (read its docstring for what each step
counts); a cost is `pricing.cost_range` of the path's billable time, as a
call to the script's `to` (or the number given).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterator

from ..errors import DialplanError
from ..pricing import Price, Prices, call_cost
from .simulate import Flow, Run, run_flags
from .timing import ESPEAK, MenuTiming, PathTiming, Speech, Step, call_limit, menu_timings, \
    time_paths

#: Where the speech time of each source comes from, as the output says it.
SPEECH_SOURCES = {
    ESPEAK: "speech is timed by saying it with espeak-ng (the audio extra), the voice that "
            "stands in for Routee's; Routee's own voices pace differently",
    "rate": "speech is timed at a speaking rate per language (characters a second, measured "
            "on espeak-ng; with the audio extra, --speech espeak times each text); Routee's "
            "own voices pace differently",
}


class TimingError(DialplanError):
    """A timing that cannot be made as asked (no number to price); str() says why."""


@dataclass(frozen=True)
class TimedPath:
    """A simulated path, its timing, and its cost (None: not priced)."""
    run: Run
    timing: PathTiming
    cost: tuple[Decimal, Decimal] | None = None

    def lines(self) -> list[tuple[str, Step | None]]:
        """What the caller hears, a line each, with the step that times it
        (None for a line that takes no time: a note, the call's end). A
        DIAL's ringing is a step of its own, before the line of its call."""
        steps = list(self.timing.steps)
        found: list[tuple[str, Step | None]] = []
        for event in self.run.call.events:
            if event.text is None:
                continue
            index = next((i for i, s in enumerate(steps) if s.description == event.text), None)
            if index is None:
                found.append((event.text, None))
                continue
            found += [(s.description, s) for s in steps[:index + 1]]
            del steps[:index + 1]
        return found + [(s.description, s) for s in steps]


@dataclass(frozen=True)
class TimedFlow:
    paths: list[TimedPath]
    menus: list[MenuTiming]
    speech: str
    limit: float | None
    #: The number the paths are priced as a call to, and at which price.
    number: str | None = None
    price: Price | None = None
    prices: Prices | None = None


def recipient_number(flow: Flow) -> str | None:
    """The script's own recipient as a number a prices file can price (a
    phone or a Viber number), if it has one."""
    to = flow.settings.get("to")
    if isinstance(to, dict):
        number = to.get("phone") or to.get("viber")
        if isinstance(number, str):
            return number
    return None


def time_flow(flow: Flow, runs: list[Run], *, speech: Speech = "auto",
              prices: Prices | None = None, number: str | None = None) -> TimedFlow:
    """Each run timed and, with `prices`, priced as a call to `number`
    (default: the script's `to`). TimingError when there is no number to
    price, or no prefix of the prices prices it."""
    timings = time_paths(flow, runs, speech=speech)
    source = timings[0].speech_source if timings else speech
    price = None
    if prices is not None:
        number = number or recipient_number(flow)
        if number is None:
            raise TimingError("the script calls no phone number (`to`): give the number "
                              "to price the paths as a call to with --to")
        price = prices.find(number)
        if price is None:
            raise TimingError(f"no prefix of {prices.path} prices {number}: add a row for "
                              "its country code (e.g. +30)")
    paths = [TimedPath(run, timing, None if price is None else
                       (call_cost(timing.billable[0], price), call_cost(timing.billable[1], price)))
             for run, timing in zip(runs, timings)]
    return TimedFlow(paths, menu_timings(flow, speech=source) if flow.bundle else [], source,
                     call_limit(flow), number if price else None, price, prices)


# --- for people ------------------------------------------------------------------------------

def seconds_text(value: float) -> str:
    """12.5 → "12.5 s"; math.inf → "no end"."""
    if math.isinf(value):
        return "no end"
    return f"{value:.2f}".rstrip("0").rstrip(".") + " s"


def range_text(low: float, high: float) -> str:
    if low == high:
        return seconds_text(low)
    if math.isinf(high):
        return f"{seconds_text(low)} or more"
    return f"{seconds_text(low)[:-2]}–{seconds_text(high)}"


def money_text(value: Decimal, currency: str | None, *, exact: bool = False) -> str:
    """An amount with at least 2 decimals (at most 4, or as written with
    `exact`), and its currency if known."""
    if value.is_infinite():
        return "no end"
    if exact:
        return f"{value:f} {currency}" if currency else f"{value:f}"
    shown = f"{value.quantize(Decimal('0.0001')):f}".rstrip("0")
    shown = shown + "00" if shown.endswith(".") else shown
    if len(shown.partition(".")[2]) == 1:
        shown += "0"
    return f"{shown} {currency}" if currency else shown


def cost_text(cost: tuple[Decimal, Decimal], currency: str | None) -> str:
    low, high = (money_text(c, currency) for c in cost)
    return low if low == high else f"{low} to {high}"


def total_text(timing: PathTiming) -> str:
    low, high = timing.total
    text = f"total {range_text(low, high)}"
    if timing.limit is None:
        if math.isinf(high):
            text += " (the script sets no `limit`: nothing ends the call)"
        return text
    if timing.exceeds_limit:
        text += (f": beyond the call's limit of {seconds_text(timing.limit)}, where Routee "
                 f"ends the call ({range_text(*timing.billable)} billed)")
    return text


def timing_lines(timed: TimedFlow, *, headers: bool = True) -> Iterator[str]:
    """Each path: its lines, each with its duration, then its total and
    cost; with more than one path, a table of the paths; then where the
    speech time comes from."""
    currency = timed.prices.currency if timed.prices else None
    for index, path in enumerate(timed.paths):
        if headers:
            if index:
                yield ""
            yield f"# path {index + 1}: {run_flags(path.run) or '(no presses)'}"
        lines = path.lines()
        width = max((len(range_text(s.min, s.max)) for _, s in lines if s), default=0)
        for text, step in lines:
            if step is None:
                yield f"{'':>{width}}  {text}"
                continue
            flags = f"  [{'; '.join(step.notes)}]" if step.notes else ""
            yield f"{range_text(step.min, step.max):>{width}}  {text}{flags}"
        yield total_text(path.timing)
        if path.cost is not None:
            yield f"cost {cost_text(path.cost, currency)}"
    if len(timed.paths) > 1:
        yield ""
        yield from _table(timed, currency)
    yield ""
    if timed.price is not None:
        yield (f"priced as a call to {timed.number}: "
               f"{money_text(timed.price.per_minute, currency, exact=True)} a minute, "
               f"billed by {timed.price.increment} s (prefix {timed.price.prefix}, "
               f"{timed.prices.path} line {timed.price.line})")
    yield SPEECH_SOURCES.get(timed.speech, f"speech timed by {timed.speech}")


def _table(timed: TimedFlow, currency: str | None) -> Iterator[str]:
    rows = [(str(i + 1), p.timing.name, seconds_text(p.timing.total[0]),
             seconds_text(p.timing.total[1]),
             cost_text(p.cost, currency) if p.cost is not None else "")
            for i, p in enumerate(timed.paths)]
    head = ("path", "presses", "min", "max", "cost" if timed.price else "")
    widths = [max(len(r[c]) for r in rows + [head]) for c in range(5)]
    for row in [head] + rows:
        yield "  ".join(f"{cell:<{widths[c]}}" if c < 2 else f"{cell:>{widths[c]}}"
                        for c, cell in enumerate(row) if widths[c]).rstrip()
    totals = [p.timing.total for p in timed.paths]
    yield (f"{len(timed.paths)} paths, from {seconds_text(min(t[0] for t in totals))} to "
           f"{seconds_text(max(t[1] for t in totals))}")


# --- for tools -------------------------------------------------------------------------------

def timing_document(timed: TimedFlow) -> dict:
    """The JSON-able form: each path's transcript with each line's duration
    (null: no end), its steps and totals (as `PathTiming.to_dict`) and
    cost (strings of decimals, null when not priced)."""
    currency = timed.prices.currency if timed.prices else None
    paths = []
    for path in timed.paths:
        item = path.timing.to_dict()
        item["flags"] = run_flags(path.run)
        item["transcript"] = [{"text": text} if step is None else
                              {"text": text, **{k: v for k, v in step.to_dict().items()
                                                if k != "step"}}
                              for text, step in path.lines()]
        item["cost"] = None if path.cost is None else {
            "min": _money(path.cost[0]), "max": _money(path.cost[1]), "currency": currency}
        paths.append(item)
    document: dict = {"limit": timed.limit, "speech": timed.speech,
                      "speech_source": SPEECH_SOURCES.get(timed.speech, timed.speech),
                      "paths": paths, "menus": [m.to_dict() for m in timed.menus]}
    if timed.price is not None:
        document["priced"] = {"number": timed.number, "prefix": timed.price.prefix,
                              "price_per_minute": str(timed.price.per_minute),
                              "increment_seconds": timed.price.increment,
                              "currency": currency}
    return document


def _money(value: Decimal) -> str | None:
    return None if value.is_infinite() else f"{value.normalize():f}"


__all__ = ["SPEECH_SOURCES", "TimedFlow", "TimedPath", "TimingError", "cost_text",
           "range_text", "recipient_number", "seconds_text", "time_flow", "timing_document",
           "timing_lines"]
