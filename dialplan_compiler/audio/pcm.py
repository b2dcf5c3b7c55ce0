"""Mono 16-bit PCM at the preview's rate: the one format every part of the
preview produces, so segments can be joined by concatenation."""

from __future__ import annotations

import math
import sys
from array import array

#: Samples per second of every preview. espeak-ng's native rate, so speech,
#: the longest part of most calls, is never resampled.
PREVIEW_RATE = 22050

#: Bytes per sample of the preview (signed 16-bit, as telephony WAVs are).
SAMPLE_WIDTH = 2

_LITTLE = sys.byteorder == "little"
# 8-bit WAV is unsigned: flipping the top bit makes it signed, and it then
# becomes the high byte of a 16-bit sample.
_UNSIGNED_TO_SIGNED = bytes(b ^ 0x80 for b in range(256))


def samples_for(seconds: float, rate: int = PREVIEW_RATE) -> int:
    """The number of samples that `seconds` lasts, rounded to the nearest;
    every length in the preview goes through here so that parts add up."""
    return int(round(seconds * rate))


def silence(seconds: float) -> array:
    """`seconds` of digital silence (all zeros)."""
    return array("h", bytes(SAMPLE_WIDTH * samples_for(seconds)))


def clip(value: float) -> int:
    return -32768 if value < -32768 else 32767 if value > 32767 else int(round(value))


def from_little_endian(data: bytes) -> array:
    samples = array("h")
    samples.frombytes(data[:len(data) - len(data) % 2])
    if not _LITTLE:
        samples.byteswap()
    return samples


def to_little_endian(samples: array) -> bytes:
    if _LITTLE:
        return samples.tobytes()
    swapped = array("h", samples)
    swapped.byteswap()
    return swapped.tobytes()


def to_int16(frames: bytes, width: int) -> array:
    """Little-endian PCM frames of `width` bytes per sample (as the stdlib
    `wave` module reads them) as signed 16-bit samples, keeping the top 16
    bits of wider samples. Done by slicing bytes rather than per sample,
    because a minute of 44.1 kHz audio is millions of samples."""
    count = len(frames) // width
    frames = frames[:count * width]
    if width == 2:
        return from_little_endian(frames)
    wide = bytearray(2 * count)
    if width == 1:
        wide[1::2] = frames.translate(_UNSIGNED_TO_SIGNED)
    elif width in (3, 4):
        wide[0::2] = frames[width - 2::width]
        wide[1::2] = frames[width - 1::width]
    else:
        raise ValueError(f"{width}-byte samples are not PCM the preview reads")
    return from_little_endian(bytes(wide))


def mix_down(samples: array, channels: int) -> array:
    """Interleaved `channels` as one, each sample the channels' average."""
    if channels == 1:
        return samples
    columns = [samples[c::channels] for c in range(channels)]
    length = min(len(column) for column in columns)
    return array("h", (int(sum(frame) / channels)
                       for frame in zip(*(column[:length] for column in columns))))


def resample(samples: array, rate: int, to: int = PREVIEW_RATE) -> array:
    """`samples` at `rate` as samples at `to`, by linear interpolation: the
    length becomes the same duration at the new rate. No low-pass filter: a
    preview is for hearing what plays when, not for fidelity."""
    if rate == to or not samples:
        return array("h", samples)
    length = samples_for(len(samples) / rate, to)
    step = rate / to
    last = len(samples) - 1
    out = array("h", bytes(SAMPLE_WIDTH * length))
    for i in range(length):
        position = i * step
        j = int(position)
        if j >= last:
            out[i] = samples[last]
            continue
        a = samples[j]
        out[i] = int(round(a + (samples[j + 1] - a) * (position - j)))
    return out


def sine(frequencies: tuple[float, ...], seconds: float, amplitude: float,
         ramp: float = 0.005) -> array:
    """A sum of sines, each of peak `amplitude` (a fraction of full scale),
    `seconds` long, with `ramp` seconds of raised-cosine fade at each end
    because a tone that starts or stops at full level clicks."""
    count = samples_for(seconds)
    edge = min(samples_for(ramp), count // 2)
    steps = [2 * math.pi * f / PREVIEW_RATE for f in frequencies]
    peak = amplitude * 32767
    out = array("h", bytes(SAMPLE_WIDTH * count))
    for n in range(count):
        value = peak * sum(math.sin(step * n) for step in steps)
        if n < edge:
            value *= 0.5 - 0.5 * math.cos(math.pi * n / edge)
        elif n >= count - edge:
            value *= 0.5 - 0.5 * math.cos(math.pi * (count - 1 - n) / edge)
        out[n] = clip(value)
    return out

