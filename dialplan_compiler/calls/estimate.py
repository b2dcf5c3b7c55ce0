"""A campaign's estimate, printed by `dialplan call --recipients … --dry-run`
before anything is sent: how many calls, how long placing them takes at the
rate, how long they talk, and, with a prices file, what they cost per
country and in all.

Each call is timed as `dialplan simulate --all --timing` times its script:
every path of the row's compiled plan (a script with menus: of the script
compiled with the command's --var values), from the shortest path's least
to the longest path's most, cut at the call's limit. Speech is timed at the
speaking rate per language (speaking.SPEAKING_RATES): the same figure
on every installation, and quick for a long list.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterator

from ..menus.simulate import Flow, SimulationError, every_path, load
from ..menus.timed import cost_text, range_text, seconds_text
from ..menus.timing import RATE, time_paths
from ..errors import DialplanError
from ..pricing import (CampaignEstimate, CountryEstimate, Prices, PricesUnusable,
                       estimate_campaign, read_prices, region)


class EstimateError(DialplanError):
    """The estimate cannot be made (a prices file that cannot be read); str() says why."""


#: Where the estimate's speech time comes from, as it says.
SPEECH = ("speech is timed at a speaking rate per language (characters a second, measured on "
          "espeak-ng); Routee's own voices pace differently")


@dataclass
class Estimate:
    """The campaign's figures (`pricing.CampaignEstimate`), the range of one
    call, and whether a prices file priced it."""
    campaign: CampaignEstimate
    per_call: tuple[float, float]
    priced: Prices | None
    notes: list[str] = field(default_factory=list)


def call_range(flow: Flow) -> tuple[float, float]:
    """One call of `flow`: (least, most) billable seconds over its paths."""
    timings = time_paths(flow, every_path(flow), speech=RATE)
    return (min(t.billable[0] for t in timings), max(t.billable[1] for t in timings))


def _plan_flow(payload: dict[str, Any]) -> Flow:
    """The call of a compiled request body, as `simulate` runs it."""
    settings = {k: v for k, v in payload.items() if k != "dialPlan"}
    if "dialPlan" in payload:
        return Flow(payload["dialPlan"], None, None, settings)
    return Flow({"verbs": []}, None, None, settings, plan_url=str(payload.get("dialPlanUrl")))


def _asks_a_server(payload: dict[str, Any]) -> str | None:
    verbs = (payload.get("dialPlan") or {}).get("verbs") or []
    return next((v.get("eventUrl") for v in verbs
                 if v.get("type") == "COLLECT" and v.get("eventUrl")), None)


def estimate(recipients: list[tuple[str, dict[str, Any]]], text: str, name: str, *,
             variables: dict[str, str], rate: float, prices: Prices | None = None) -> Estimate:
    """The estimate of calling each (number, compiled request body) of
    `recipients` at `rate` calls a second."""
    unanswered: list[str] = []
    menus: Flow | None = None
    by_plan: dict[str, tuple[tuple[float, float], list[str]]] = {}
    for number, payload in recipients:
        key = json.dumps({k: v for k, v in payload.items() if k != "to"}, sort_keys=True)
        if key not in by_plan:
            event_url = _asks_a_server(payload)
            flow = _plan_flow(payload)
            if event_url is not None:
                if menus is None:
                    try:
                        menus = load(text, name, variables=variables)
                    except SimulationError:
                        menus = flow
                if menus.bundle is not None:
                    flow = menus
                else:
                    unanswered.append(event_url)
            by_plan[key] = (call_range(flow), [])
        by_plan[key][1].append(number)
    parts = [estimate_campaign(numbers, duration, prices or Prices({}), rate=rate)
             for duration, numbers in by_plan.values()]
    campaign = _merged(parts, rate, prices)
    low = min((d[0] for d, _ in by_plan.values()), default=0.0)
    high = max((d[1] for d, _ in by_plan.values()), default=0.0)
    notes = []
    unanswered = list(dict.fromkeys(unanswered))
    if unanswered:
        others = f" (and {len(unanswered) - 1} more)" if len(unanswered) > 1 else ""
        notes.append(f"the keys go to {unanswered[0]}{others}: what is answered there is "
                     "not timed")
    return Estimate(campaign, (low, high), prices, notes)


def _merged(parts: list[CampaignEstimate], rate: float,
            prices: Prices | None) -> CampaignEstimate:
    countries: dict[str, CountryEstimate] = {}
    for part in parts:
        for code, found in part.countries.items():
            country = countries.setdefault(code, CountryEstimate())
            country.calls += found.calls
            country.cost = (country.cost[0] + found.cost[0], country.cost[1] + found.cost[1])
    calls = sum(p.calls for p in parts)
    unpriced = [n for p in parts for n in p.unpriced] if prices is not None else []
    return CampaignEstimate(
        calls, (sum((p.cost[0] for p in parts), Decimal(0)),
                sum((p.cost[1] for p in parts), Decimal(0))),
        prices.currency if prices else None, countries, unpriced, calls / rate,
        (math.fsum(p.talk_seconds[0] for p in parts), math.fsum(p.talk_seconds[1] for p in parts)),
        rate)


def duration_text(seconds: float) -> str:
    """90 → "1m30s", 5 → "5 s", 7322.5 → "2h2m3s" (up to the second)."""
    if math.isinf(seconds):
        return "no end"
    if seconds < 60:
        return seconds_text(seconds)
    whole = math.ceil(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return "".join(f"{value}{unit}" for value, unit in ((hours, "h"), (minutes, "m"), (secs, "s"))
                   if value) or "0s"


def estimate_lines(found: Estimate) -> Iterator[str]:
    """The estimate for people, as the dry run prints it (each line a `#` comment)."""
    campaign = found.campaign
    calls = f"{campaign.calls} call{'s' * (campaign.calls != 1)}"
    yield f"# estimate: {calls}, before anything is sent"
    yield (f"# placing: {duration_text(campaign.placing_seconds)} at {campaign.rate:g} "
           f"request{'s' * (campaign.rate != 1)} a second")
    low, high = campaign.talk_seconds
    total = duration_text(low) if low == high else \
        f"{duration_text(low)} to {duration_text(high)}"
    yield f"# talk time: {total} in all ({range_text(*found.per_call)} a call)"
    if found.priced is not None:
        currency = campaign.currency
        width = max([len(code) for code in campaign.countries] + [5])
        count_width = max(len(f"{c.calls} calls") for c in campaign.countries.values())
        unpriced = Counter(region(number) for number in campaign.unpriced)
        yield f"# cost, by {found.priced.path}:"
        for code, country in sorted(campaign.countries.items()):
            count = f"{country.calls} call{'s' * (country.calls != 1)}"
            shown = cost_text(country.cost, currency)
            if unpriced[code] == country.calls:
                shown = "no price"
            elif unpriced[code]:
                shown += f" ({unpriced[code]} unpriced)"
            yield f"#   {code:<{width}}  {count:<{count_width}}  {shown}"
        total = cost_text(campaign.cost, currency)
        yield f"#   {'total':<{width}}  {calls:<{count_width}}  {total}"
        if campaign.unpriced:
            yield (f"# no prefix of {found.priced.path} prices {len(campaign.unpriced)} of the "
                   f"numbers ({', '.join(campaign.unpriced[:3])}"
                   f"{', …' if len(campaign.unpriced) > 3 else ''}): not in the cost")
    for note in found.notes:
        yield f"# note: {note}"
    yield f"# {SPEECH}"


def dry_run_estimate(recipients: list[tuple[str, dict[str, Any]]], text: str, name: str, *,
                     variables: dict[str, str], rate: float,
                     prices_path: str | None = None) -> list[str]:
    """`estimate_lines` of the campaign, priced by the file `prices_path` if
    given (EstimateError when it cannot be read)."""
    try:
        prices = None if prices_path is None else read_prices(prices_path)
    except PricesUnusable as error:
        raise EstimateError(str(error)) from None
    return list(estimate_lines(estimate(recipients, text, name, variables=variables, rate=rate,
                                        prices=prices)))


__all__ = ["Estimate", "EstimateError", "call_range", "dry_run_estimate", "duration_text",
           "estimate", "estimate_lines"]
