"""What the caller hears, rendered as audio: the layer under an audio preview
of a call.

    >>> from dialplan_compiler.audio import Keys, Silence, render, write_wav
    >>> rendered = render([Silence(0.5), Keys("1#")])
    >>> [(p.start, p.length) for p in rendered.placements]
    [(0, 11025), (11025, 6614)]

Speech is espeak-ng's voice standing in for Routee's (the `audio` extra,
`pip install '.[audio]'`; without it, rendering speech raises
AudioUnavailable). Tones, silence and WAV files need nothing beyond the core
install. Everything is mono 16-bit PCM at PREVIEW_RATE.
"""

from __future__ import annotations

from .errors import AudioUnavailable
from .pcm import PREVIEW_RATE
from .render import Placement, Rendered, render, write_wav
from .segments import Keys, Play, Ringback, Segment, Silence, Speech
from .voices import GENDERS, VOICES

__all__ = ["AudioUnavailable", "GENDERS", "Keys", "PREVIEW_RATE", "Placement", "Play",
           "Rendered", "Ringback", "Segment", "Silence", "Speech", "VOICES", "espeak_voice",
           "render", "speech_seconds", "write_wav"]


def speech_seconds(text: str, language: str, gender: str | None = None) -> float:
    """How long espeak-ng takes to say `text` in `language` and `gender`, in
    seconds: an estimate of a SAY's length (Routee's voices pace differently).
    Measured by synthesising it; the speech is kept (the last 256 texts), so
    a render() of the same text that follows is exactly this long. Raises
    AudioUnavailable without the audio extra."""
    from .speech import seconds

    return seconds(text, language, gender)


def espeak_voice(language: str, gender: str | None = None) -> str:
    """The espeak-ng voice that stands in for Routee's in `language` and
    `gender`, as espeak-ng names it (e.g. "roa/es-419+f2"). Raises
    AudioUnavailable without the audio extra."""
    from .speech import voice

    return voice(language, gender)
