"""Measurements the audio tests make on rendered samples."""

from __future__ import annotations

import io
import math
import wave
from array import array

from dialplan_compiler.audio import PREVIEW_RATE


def goertzel(samples, frequency: float, rate: int = PREVIEW_RATE) -> float:
    """The power of `samples` at `frequency` (the Goertzel algorithm: one
    DFT bin, at any frequency)."""
    coefficient = 2 * math.cos(2 * math.pi * frequency / rate)
    previous = before = 0.0
    for sample in samples:
        previous, before = sample + coefficient * previous - before, previous
    return previous * previous + before * before - coefficient * previous * before


def rms(samples) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if len(samples) else 0.0


def wav_bytes(samples, rate: int, channels: int = 1, width: int = 2) -> bytes:
    """A WAV file of `samples` (interleaved, already at `width`'s range)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        if width == 1:
            wav.writeframes(bytes(s + 128 for s in samples))
        elif width == 2:
            wav.writeframes(array("h", samples).tobytes())
        else:
            wav.writeframes(b"".join(s.to_bytes(width, "little", signed=True) for s in samples))
    return buffer.getvalue()


def tone(frequency: float, seconds: float, rate: int, peak: float) -> list[int]:
    return [int(round(peak * math.sin(2 * math.pi * frequency * n / rate)))
            for n in range(int(round(seconds * rate)))]
