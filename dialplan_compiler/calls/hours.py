"""Calling hours: when a recipient may be rung, in their own time.

A window such as `09:00-20:00` is local time, start included, end not (a
window that ends before it starts, `21:00-06:00`, runs over midnight). A
recipient's time zones come from the phone number (`phonenumbers`'
time-zone data); a number that spans several zones (a country with one
numbering plan across many) is inside the window only when it is inside
in every one of them. SIP addresses, and numbers the data does not place,
take the campaign's default zone (`--timezone`), or are refused.

Times are wall-clock seconds (`time.time()`), so that the campaign's clock
can be given (`Campaign(clock=…)`) and a test can move it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time as day_time, timedelta, timezone
from functools import lru_cache

from ..errors import DialplanError

#: Zones `phonenumbers` answers when it cannot place a number.
UNKNOWN_ZONE = "Etc/Unknown"
#: How far ahead to look for a moment inside the window: a window that is
#: never open in all of a number's zones is found out within a few days.
LOOKAHEAD_DAYS = 3

_WINDOW = re.compile(r"\s*([0-2]?[0-9]):([0-5][0-9])\s*-\s*([0-2]?[0-9]):([0-5][0-9])\s*")
_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d)?\s*")
_UNITS = {None: 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class HoursError(DialplanError):
    """A calling-hours window, a time zone or a duration that cannot be used."""


@dataclass(frozen=True)
class Window:
    start: int      # minutes after midnight, local time
    end: int

    @property
    def text(self) -> str:
        return f"{self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:" \
               f"{self.end % 60:02d}"

    def contains(self, moment: datetime) -> bool:
        minutes = moment.hour * 60 + moment.minute + moment.second / 60
        if self.start <= self.end:
            return self.start <= minutes < self.end
        return minutes >= self.start or minutes < self.end


def parse_window(text: str) -> Window:
    """`HH:MM-HH:MM`, 24-hour local time."""
    match = _WINDOW.fullmatch(text or "")
    if not match:
        raise HoursError(f"calling hours {text!r} are not HH:MM-HH:MM (e.g. 09:00-20:00)")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 24 or h2 > 24 or (h1 == 24 and m1) or (h2 == 24 and m2):
        raise HoursError(f"calling hours {text!r}: an hour is 00 to 23 (24:00 ends a day)")
    window = Window(h1 * 60 + m1, h2 * 60 + m2)
    if window.start == window.end:
        raise HoursError(f"calling hours {text!r} are empty: the window starts when it ends")
    return window


def parse_duration(text: str) -> float:
    """Seconds from `90`, `90s`, `15m`, `2h`, `1d`."""
    match = _DURATION.fullmatch(str(text))
    if not match:
        raise HoursError(f"{text!r} is not a duration such as 90s, 15m, 2h or 1d")
    return float(match.group(1)) * _UNITS[match.group(2)]


@lru_cache(maxsize=None)
def zone(name: str):
    """A time zone by its IANA name; HoursError when there is none."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError(f"no time zone {name!r}: give an IANA name such as Europe/Athens "
                         "or America/New_York") from None


def zones_for(key: str) -> tuple[str, ...]:
    """The time zones of a recipient (`+E164`, `viber:digits`, `sip:…`) by
    its number; () when the number does not tell (SIP, unplaced numbers)."""
    if key.startswith("sip:"):
        return ()
    number = "+" + key[len("viber:"):] if key.startswith("viber:") else key
    import phonenumbers
    from phonenumbers import timezone as number_zones

    try:
        found = number_zones.time_zones_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return ()
    return tuple(z for z in found if z != UNKNOWN_ZONE)


def earliest(now: float, zones: tuple[str, ...], window: Window) -> float | None:
    """The first moment from `now` when the local time is inside `window`
    in every zone; None when there is none in the next days (the zones are
    too far apart for the window)."""
    tzs = [zone(name) for name in zones]

    def inside(moment: float) -> bool:
        utc = datetime.fromtimestamp(moment, timezone.utc)
        return all(window.contains(utc.astimezone(tz)) for tz in tzs)

    if inside(now):
        return now
    # Inside-all begins either now or when one of the zones opens its window.
    opening = day_time(window.start // 60 % 24, window.start % 60)
    candidates = set()
    for tz in tzs:
        today = datetime.fromtimestamp(now, tz).date()
        for days in range(-1, LOOKAHEAD_DAYS + 1):
            moment = datetime.combine(today + timedelta(days=days), opening, tzinfo=tz)
            stamp = moment.timestamp()
            if stamp > now:
                candidates.add(stamp)
    for stamp in sorted(candidates):
        if inside(stamp):
            return stamp
    return None


def describe_zones(zones: tuple[str, ...]) -> str:
    return zones[0] if len(zones) == 1 else f"{len(zones)} zones, {zones[0]} … {zones[-1]}"


def utc_text(moment: float, *, seconds: bool = False) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def local_text(moment: float, zones: tuple[str, ...]) -> str:
    """`09:00 America/New_York` (the first zone, for a number with several)."""
    local = datetime.fromtimestamp(moment, zone(zones[0]))
    return f"{local:%H:%M} {zones[0]}" + (f" (+{len(zones) - 1} zones)" if len(zones) > 1
                                          else "")


class CallingHours:
    """A campaign's window, and the zone of rows their number does not place."""

    def __init__(self, window: Window, default_zone: str | None = None) -> None:
        self.window = window
        self.default_zone = default_zone
        if default_zone is not None:
            zone(default_zone)                 # HoursError now, not mid-campaign

    @classmethod
    def parse(cls, text: str, default_zone: str | None = None) -> "CallingHours":
        return cls(parse_window(text), default_zone)

    def zones(self, key: str) -> tuple[str, ...]:
        """The zones a recipient's calling hours are read in; () when none
        is known (no default zone given)."""
        return zones_for(key) or ((self.default_zone,) if self.default_zone else ())

    def earliest(self, key: str, now: float) -> float | None:
        zones = self.zones(key)
        return earliest(now, zones, self.window) if zones else None

    def problems(self, rows: list[tuple[int, str]], file: str, now: float) -> list[str]:
        """One line per row that could never be called: no zone, or zones
        too far apart for the window (`file:row: error: …`)."""
        found = []
        for row, key in rows:
            zones = self.zones(key)
            if not zones:
                found.append(f"{file}:{row}: error: {key} has no time zone to read the calling "
                             f"hours {self.window.text} in: pass --timezone ZONE (e.g. "
                             "--timezone Europe/Athens) for the rows whose number does not "
                             "tell")
            elif earliest(now, zones, self.window) is None:
                found.append(f"{file}:{row}: error: {key} spans {describe_zones(zones)}, and "
                             f"no moment is inside the calling hours {self.window.text} in all "
                             "of them: widen the window, or call this row on its own")
        return found


__all__ = ["CallingHours", "HoursError", "Window", "describe_zones", "earliest", "local_text", "parse_duration",
           "parse_window", "utc_text", "zone", "zones_for"]
