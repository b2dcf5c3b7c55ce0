"""Silent WAVs: how a single-key menu waits.

A PAUSE cannot be interrupted by a key, so a menu that takes one key waits
by PLAYing a silent WAV with bargeIn (see `lowering.py`). `dialplan serve`
streams them and `dialplan build` writes them; neither needs the other, so
they live here, apart from the web server.
"""

from __future__ import annotations

import struct
from typing import Iterator

#: The longest silent WAV served (9.6 MB at 8 kHz, 16-bit).
MAX_SILENCE = 600
RATE = 8000
#: One block of zeros, shared by every silent WAV sent: a WAV is streamed
#: from it, so no request, however long the silence, costs memory.
_ZEROS = bytes(64 * 1024)


def wav_header(seconds: int, rate: int = RATE) -> bytes:
    """The 44-byte header of `seconds` of 16-bit mono PCM at `rate` Hz."""
    size = seconds * rate * 2
    return (b"RIFF" + struct.pack("<I", 36 + size) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
            + b"data" + struct.pack("<I", size))


def silent_wav_chunks(seconds: int, rate: int = RATE) -> Iterator[bytes]:
    """`seconds` of silence as a WAV (8 kHz: telephone quality), in chunks
    of at most 64 KiB: the header, then the shared block of zeros."""
    yield wav_header(seconds, rate)
    left = seconds * rate * 2
    while left:
        size = min(left, len(_ZEROS))
        yield _ZEROS if size == len(_ZEROS) else _ZEROS[:size]
        left -= size


def silent_wav(seconds: int, rate: int = RATE) -> bytes:
    """The whole WAV of `silent_wav_chunks` (for tests and small files)."""
    return b"".join(silent_wav_chunks(seconds, rate))
