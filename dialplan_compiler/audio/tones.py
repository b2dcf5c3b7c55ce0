"""The tones of a preview: key presses, ring-back and the placeholder that
stands in for a PLAY file the preview cannot fetch. Pure Python, so the core
install can render them."""

from __future__ import annotations

from array import array
from functools import lru_cache

from .pcm import samples_for, silence, sine

#: DTMF (ITU-T Q.23): each key is one row (low) and one column (high) tone.
DTMF_ROWS = (697.0, 770.0, 852.0, 941.0)
DTMF_COLUMNS = (1209.0, 1336.0, 1477.0, 1633.0)
_LAYOUT = ("123A", "456B", "789C", "*0#D")
DTMF: dict[str, tuple[float, float]] = {
    key: (DTMF_ROWS[row], DTMF_COLUMNS[column])
    for row, keys in enumerate(_LAYOUT) for column, key in enumerate(keys)}
KEYS = "".join(DTMF)

#: Each key press: a tone, then a gap before the next key. 100 ms + 50 ms is
#: well above the shortest tone and pause receivers must accept (about 40 ms
#: each, ITU-T Q.24) and sounds like a person typing quickly.
KEY_TONE_SECONDS = 0.100
KEY_GAP_SECONDS = 0.050
#: Peak level of each of the two DTMF components (the sum stays below 0.7).
KEY_AMPLITUDE = 0.35

#: Ring-back while a DIAL rings: the European one (CEPT's recommendation,
#: which most European networks follow), a single 425 Hz tone, 1 s on then
#: 4 s off, since Routee's callers are mostly in Europe. Cadences start with
#: the tone.
RINGBACK_FREQUENCIES = (425.0,)
RINGBACK_ON_SECONDS = 1.0
RINGBACK_OFF_SECONDS = 4.0
RINGBACK_AMPLITUDE = 0.3

#: The placeholder for a PLAY whose file cannot be fetched: three 1 kHz
#: beeps of 0.2 s with 0.2 s between them, 1 s in all. A single tone off the
#: DTMF grid and far from ring-back's, so it cannot be mistaken for either.
PLACEHOLDER_FREQUENCY = 1000.0
PLACEHOLDER_BEEPS = 3
PLACEHOLDER_BEEP_SECONDS = 0.2
PLACEHOLDER_GAP_SECONDS = 0.2
PLACEHOLDER_AMPLITUDE = 0.3


def key_tone(key: str) -> array:
    """One key press: its two DTMF frequencies, then the inter-key gap.
    `key` is one of 0-9, *, #, A-D (a-d too)."""
    if len(key) != 1 or key.upper() not in DTMF:
        raise ValueError(f"{key!r} is not a DTMF key (one of {KEYS})")
    return array("h", _key_tone(key.upper()))


# Tones are the same every time and a call repeats them (a menu's keys, a
# minute of ring-back): computing each sine once keeps long previews quick.
# The cached arrays are never handed out, only copies of them.
@lru_cache(maxsize=None)
def _key_tone(key: str) -> array:
    return sine(DTMF[key], KEY_TONE_SECONDS, KEY_AMPLITUDE) + silence(KEY_GAP_SECONDS)


@lru_cache(maxsize=1)
def _ringback_cycle() -> array:
    return sine(RINGBACK_FREQUENCIES, RINGBACK_ON_SECONDS, RINGBACK_AMPLITUDE) \
        + silence(RINGBACK_OFF_SECONDS)


@lru_cache(maxsize=1)
def _placeholder() -> array:
    beep = sine((PLACEHOLDER_FREQUENCY,), PLACEHOLDER_BEEP_SECONDS, PLACEHOLDER_AMPLITUDE)
    out = array("h", beep)
    for _ in range(PLACEHOLDER_BEEPS - 1):
        out += silence(PLACEHOLDER_GAP_SECONDS) + beep
    return out


def keys(pressed: str) -> array:
    """The tones of `pressed`, key after key (e.g. "1234#")."""
    out = array("h")
    for key in pressed:
        out += key_tone(key)
    return out


def ringback(seconds: float) -> array:
    """`seconds` of ring-back, starting with the tone; the last cycle is cut
    where the time runs out."""
    total = samples_for(seconds)
    cycle = _ringback_cycle()
    out = array("h")
    while len(out) < total:
        out += cycle[:total - len(out)]
    return out


def placeholder() -> array:
    """The placeholder beeps (see PLACEHOLDER_FREQUENCY)."""
    return array("h", _placeholder())
