"""Segments to samples, and samples to a WAV file."""

from __future__ import annotations

import os
import wave
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from . import play, tones
from .pcm import PREVIEW_RATE, SAMPLE_WIDTH, silence, to_little_endian
from .segments import Keys, Play, Ringback, Segment, Silence, Speech


@dataclass(frozen=True)
class Placement:
    """Where one segment is in a rendering: `length` samples from sample
    `start`, and a note when what is heard is not what the call plays (a
    PLAY's placeholder)."""
    segment: Segment
    start: int
    length: int
    note: str | None = None

    @property
    def end(self) -> int:
        return self.start + self.length


@dataclass(frozen=True, eq=False)
class Rendered:
    """What the caller hears: mono 16-bit `samples` at `rate`, and where
    each segment is in them, in order and end to end."""
    samples: array
    placements: tuple[Placement, ...]
    rate: int = PREVIEW_RATE

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    @property
    def notes(self) -> tuple[str, ...]:
        """What the listener should know: each placeholder and why, once
        (the placements keep a note each)."""
        return tuple(dict.fromkeys(p.note for p in self.placements if p.note))


def _audio(segment: Segment, played: dict) -> tuple[array, str | None]:
    if isinstance(segment, Silence):
        return silence(segment.seconds), None
    if isinstance(segment, Keys):
        return tones.keys(segment.keys), None
    if isinstance(segment, Ringback):
        return tones.ringback(segment.seconds), None
    if isinstance(segment, Play):
        # Read once per rendering: a menu that loops plays the same file again.
        key = os.fspath(segment.source)
        if key not in played:
            played[key] = play.load(segment.source)
        loaded = played[key]
        return loaded.samples * segment.times, loaded.note
    if isinstance(segment, Speech):
        # Imported here: it raises AudioUnavailable without the audio extra,
        # which only a preview with speech in it needs.
        from .speech import synthesize

        return synthesize(segment.text, segment.language, segment.gender) * segment.times, None
    raise TypeError(f"{segment!r} is not a segment (Speech, Silence, Keys, Ringback, Play)")


def render(segments: Iterable[Segment]) -> Rendered:
    """The audio of `segments`, one after the other. Raises AudioUnavailable
    if there is speech and the audio extra is not installed."""
    samples = array("h")
    placements = []
    played: dict[str, play.Loaded] = {}
    for segment in segments:
        audio, note = _audio(segment, played)
        placements.append(Placement(segment, len(samples), len(audio), note))
        samples += audio
    return Rendered(samples, tuple(placements))


def write_wav(target: str | os.PathLike | BinaryIO, rendered: Rendered) -> None:
    """`rendered` as a WAV file (mono, 16-bit PCM) at the path `target`, or
    into the binary file `target`, which stays open. The header is written
    complete first, so `target` need not be seekable (a pipe will do)."""
    if isinstance(target, os.PathLike):
        target = os.fspath(target)
    with wave.open(target, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(rendered.rate)
        wav.setnframes(len(rendered.samples))
        wav.writeframes(to_little_endian(rendered.samples))
