"""What the caller hears, as a list of segments for render().

A segment is one thing heard, in order: speech, silence, key tones,
ring-back or a played file. `times` counts how often a SAY or PLAY is heard
in all: Routee's `repeat: N` is heard N + 1 times, so it is times=N + 1
(and `repeat: -1`, forever, is for the caller to cut short).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Union

from .tones import DTMF, KEYS
from .voices import GENDERS, VOICES


def _seconds(value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value < 0:
        raise ValueError(f"seconds must be a finite number, 0 or more, not {value!r}")


def _times(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"times must be a whole number, 1 or more, not {value!r}")


@dataclass(frozen=True)
class Speech:
    """A SAY: `text` spoken in one of Routee's languages (e.g. "en-GB") and
    genders ("male", "female", or None for the voice's own). Rendered by
    espeak-ng, whose voice stands in for Routee's (see speech)."""
    text: str
    language: str
    gender: str | None = None
    times: int = 1

    def __post_init__(self):
        if not isinstance(self.text, str):
            raise ValueError(f"text must be a string, not {self.text!r}")
        if self.language not in VOICES:
            raise ValueError(f"{self.language!r} is not one of Routee's languages "
                             f"({' '.join(VOICES)})")
        if self.gender is not None and self.gender not in GENDERS:
            raise ValueError(f"{self.gender!r} is not a gender Routee speaks (male or female)")
        _times(self.times)


@dataclass(frozen=True)
class Silence:
    """Nothing heard for `seconds` (a PAUSE, or a wait for keys)."""
    seconds: float

    def __post_init__(self):
        _seconds(self.seconds)


@dataclass(frozen=True)
class Keys:
    """The caller pressing `keys` (0-9, *, #, A-D), heard as DTMF tones."""
    keys: str

    def __post_init__(self):
        if not isinstance(self.keys, str) or any(k.upper() not in DTMF for k in self.keys):
            raise ValueError(f"{self.keys!r} is not a string of DTMF keys ({KEYS})")


@dataclass(frozen=True)
class Ringback:
    """Ring-back for `seconds`: a DIAL's number ringing (tones.RINGBACK_*)."""
    seconds: float

    def __post_init__(self):
        _seconds(self.seconds)


@dataclass(frozen=True)
class Play:
    """A PLAY of `source`: a WAV's URL or local path. Only local files and
    127.0.0.1/localhost URLs are read; anything else is heard as the
    placeholder beeps, with a note (see play)."""
    source: str | os.PathLike
    times: int = 1

    def __post_init__(self):
        if not isinstance(self.source, (str, os.PathLike)):
            raise ValueError(f"source must be a URL or a path, not {self.source!r}")
        _times(self.times)


Segment = Union[Speech, Silence, Keys, Ringback, Play]
