"""The audio of a PLAY: its WAV file when the preview may read it, the
placeholder beeps (tones.placeholder) and a note saying why when not.

A preview reads only what is on this machine: a local path (or file: URL),
or an http(s) URL on 127.0.0.1, ::1 or localhost, e.g. a development server
for the call's audio. Any other host is never contacted: a preview works
offline, and asking a server for a call's files tells it about the call.
"""

from __future__ import annotations

import io
import os
import struct
import wave
from array import array
from dataclasses import dataclass
from urllib.parse import urlsplit

from .pcm import PREVIEW_RATE, mix_down, resample, to_int16
from .tones import placeholder

#: The hosts a PLAY's URL is fetched from: this machine's, by name or address.
LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
#: Seconds to connect, and between bytes, to a local server: one that takes
#: longer is not serving the file.
FETCH_TIMEOUT = 2.0
#: A larger file is not read: about six minutes of 48 kHz stereo, longer
#: than any prompt, and a preview holds it all in memory.
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Loaded:
    """A PLAY's audio at the preview's rate, and why it is the placeholder
    (None when it is the file)."""
    samples: array
    note: str | None = None


class _Unreadable(Exception):
    """Why the file is not played (the message ends the note)."""


def load(source: str | os.PathLike) -> Loaded:
    """The audio that `source` (a PLAY's fileURL, or a local path) plays in
    a preview: the WAV as mono 16-bit at PREVIEW_RATE, or the placeholder
    with a note."""
    try:
        return Loaded(decode(_read(source)))
    except _Unreadable as reason:
        return Loaded(placeholder(), f"placeholder beeps stand in for {os.fspath(source)}: "
                                     f"{reason}")


def decode(data: bytes) -> array:
    """A WAV file's audio (any PCM that the stdlib `wave` reads) as mono
    16-bit samples at PREVIEW_RATE: channels averaged, rate resampled."""
    try:
        with wave.open(io.BytesIO(data)) as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
        if channels < 1 or rate < 1:
            raise ValueError(f"{channels} channels at {rate} Hz")
        samples = mix_down(to_int16(frames, width), channels)
    except (wave.Error, EOFError, ValueError, struct.error) as error:
        raise _Unreadable(f"it is not a WAV file that can be read ({error})") from None
    return resample(samples, rate, PREVIEW_RATE)


def _read(source: str | os.PathLike) -> bytes:
    if not isinstance(source, str):
        return _read_file(os.fspath(source))
    parts = urlsplit(source)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return _fetch(source)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise _Unreadable(f"a file: URL on {parts.netloc} is not on this machine")
        # Imported here: urllib.request brings in http.client and email.
        from urllib.request import url2pathname

        return _read_file(url2pathname(parts.path))
    # No scheme, or a Windows drive letter, is a path.
    if scheme == "" or (len(scheme) == 1 and os.name == "nt"):
        return _read_file(source)
    raise _Unreadable(f"a preview does not fetch {scheme}: URLs")


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise _Unreadable(f"it cannot be read ({error.strerror or error})") from None
    if len(data) > MAX_FILE_BYTES:
        raise _Unreadable(f"it is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    return data


def _fetch(url: str) -> bytes:
    # Imported here: most previews play no URL, and httpx is slow to import.
    import httpx

    # The host is read by the parser the request is sent with, so that the
    # host checked is the host asked, however odd the URL (user info,
    # backslashes) that two parsers might read differently.
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as error:
        raise _Unreadable(f"it is not a URL that can be fetched ({error})") from None
    host = parsed.host.lower()
    if host not in LOCAL_HOSTS:
        raise _Unreadable(f"{host or 'no host'} is not this machine, and a preview fetches "
                          f"only local files and 127.0.0.1/localhost URLs")
    try:
        # trust_env=False: a proxy from the environment would carry the
        # request off this machine. No redirects: one could point anywhere.
        with httpx.Client(timeout=FETCH_TIMEOUT, trust_env=False,
                          follow_redirects=False) as client:
            with client.stream("GET", parsed) as response:
                if response.status_code != 200:
                    raise _Unreadable(f"the server answered {response.status_code} "
                                      f"{response.reason_phrase}".rstrip())
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > MAX_FILE_BYTES:
                        raise _Unreadable(f"it is larger than "
                                          f"{MAX_FILE_BYTES // (1024 * 1024)} MiB")
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise _Unreadable(f"it could not be fetched ({error or type(error).__name__})") from None
    return bytes(data)
