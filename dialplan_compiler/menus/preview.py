"""Hear a simulated path: what the caller of a `Run` hears, as the audio
package's segments, and rendered to WAV files.

The voice is espeak-ng's, standing in for Routee's: a preview says the
same words in the same language and gender, but Routee's voices sound and
pace differently. Rendering speech needs the `audio` extra (AudioUnavailable
without it); `segments` does not.

What each step of the path becomes:

* a SAY → Speech, heard `repeat + 1` times (`repeat: -1`, forever, is heard
  once, with a note);
* a PAUSE or a menu's wait → Silence of its seconds;
* a key press → PRESS_AFTER seconds of silence (at most the silence it is
  pressed in), then the keys' DTMF tones;
* a DIAL → ring-back for its `hangupDelay` capped at MAX_RINGBACK seconds
  (DEFAULT_RINGBACK when it has none), with a note that the bridged call
  is not heard;
* a `plan url` script's fetched plan → nothing, with a note;
* a PLAY → Play of its URL (only local files and 127.0.0.1/localhost are
  read; anything else is placeholder beeps, which the rendering notes).
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ..audio import Keys, Play, Rendered, Ringback, Segment, Silence, Speech, render, write_wav
from ..audio.voices import GENDERS, VOICES
from .simulate import Run, run_flags
from .timing import path_name

#: The caller presses this many seconds into a silence.
PRESS_AFTER = 1.0
#: A DIAL rings back for its hangupDelay, at most this long...
MAX_RINGBACK = 20.0
#: ... or this long when it has none.
DEFAULT_RINGBACK = 10.0


@dataclass(frozen=True)
class Preview:
    """A path's segments, and what the listener should know about them."""
    name: str
    segments: tuple[Segment, ...]
    notes: tuple[str, ...] = ()


def segments(run: Run) -> Preview:
    """What the caller of `run` hears, as segments for `audio.render`."""
    found: list[Segment] = []
    notes: list[str] = []
    for event in run.call.events:
        data = event.data
        if event.kind == "say":
            verb = data["verb"]
            message = verb.get("message") or {}
            language = message.get("language")
            gender = message.get("gender") if message.get("gender") in GENDERS else None
            if language not in VOICES:
                notes.append(f"{language!r} is not a language of Routee's: not heard")
                continue
            times = _times(verb)
            if times is None:
                notes.append(f"repeats forever, heard once: {message.get('text', '')}")
            found.append(Speech(str(message.get("text", "")), language, gender, times or 1))
        elif event.kind == "wait":
            found.append(Silence(float(data.get("seconds") or 0)))
        elif event.kind == "press":
            silence = float(data.get("seconds") or 0)
            found.append(Silence(min(PRESS_AFTER, silence)))
            keys = "".join(k for k in data.get("keys", "") if k.upper() in "0123456789*#ABCD")
            if keys:
                found.append(Keys(keys))
        elif event.kind == "dial":
            verb = data["verb"]
            ring = verb.get("hangupDelay")
            seconds = min(float(ring), MAX_RINGBACK) if isinstance(ring, (int, float)) \
                else DEFAULT_RINGBACK
            found.append(Ringback(seconds))
            notes.append(f"{event.text}: the bridged call is not heard")
        elif event.kind == "fetch":
            notes.append(f"the plan at {data['url']} is fetched by Routee: not heard")
        elif event.kind == "play":
            verb = data["verb"]
            times = _times(verb)
            if times is None:
                notes.append(f"{event.text}: heard once")
            found.append(Play(str(verb.get("fileURL", "")), times or 1))
    return Preview(path_name(run), tuple(found), tuple(notes))


def render_path(run: Run, target: str | os.PathLike) -> Rendered:
    """`run`'s audio, written to the WAV file `target`. The notes of the
    rendering (placeholders) are `Rendered.notes`; the path's own are
    `segments(run).notes`."""
    from ..files import write_output

    rendered = render(segments(run).segments)
    buffer = io.BytesIO()
    write_wav(buffer, rendered)
    write_output(target, buffer.getvalue())  # whole or not at all
    return rendered


def file_name(name: str) -> str:
    """A path's name as a file name that any system takes: "#" → "hash",
    "*" → "star", anything else not a letter, digit, "-" or "_" → "_"."""
    name = name.replace("#", "hash").replace("*", "star")
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:120] or "call"


def render_all(runs: Iterable[Run], folder: str | os.PathLike) -> list[Path]:
    """Each run rendered to `folder` (made if need be), one WAV a path,
    named after its presses ("1-1234hash.wav"); the files, in order."""
    runs = list(runs)
    targets = wav_names(runs, folder)
    Path(folder).mkdir(parents=True, exist_ok=True)
    for run, target in zip(runs, targets):
        render_path(run, target)
    return targets


def wav_names(runs: Iterable[Run], folder: str | os.PathLike) -> list[Path]:
    """The WAV file of each run in `folder`: named after its presses, made
    unique (ignoring case) by a number."""
    found: list[Path] = []
    taken: set[str] = set()
    for run in runs:
        stem = base = file_name(path_name(run))
        count = 1
        while stem.lower() in taken:
            count += 1
            stem = f"{base}-{count}"
        taken.add(stem.lower())
        found.append(Path(folder) / f"{stem}.wav")
    return found


#: What every preview says of its voice.
STAND_IN = ("the voice is espeak-ng's, standing in for Routee's: the words, language and gender "
            "are the call's, the sound and pace are not Routee's")


@dataclass(frozen=True)
class Written:
    """A path rendered to a file: where, how long, and what the listener
    should know (the path's notes and the rendering's placeholders)."""
    path: Path
    name: str
    seconds: float
    notes: tuple[str, ...]


def preview_paths(runs: list[Run], target: str | os.PathLike, *,
                  folder: bool) -> list[Written]:
    """Render `runs`: into the folder `target` (made if need be; one WAV a
    path, named as `wav_names` names them) when `folder`, else the one run
    to the WAV file `target`. Raises AudioUnavailable, before writing
    anything, when speech cannot be rendered (the audio extra is missing)."""
    from ..audio.speech import synthesize  # noqa: F401 - AudioUnavailable without the extra

    runs = list(runs)
    if folder:
        targets = wav_names(runs, target)
        Path(target).mkdir(parents=True, exist_ok=True)
    else:
        if len(runs) != 1:
            raise ValueError("one run for one file; a folder for many")
        targets = [Path(target)]
    found = []
    for run, file in zip(runs, targets):
        rendered = render_path(run, file)
        preview = segments(run)
        found.append(Written(file, preview.name, rendered.seconds,
                             tuple(dict.fromkeys(preview.notes + rendered.notes))))
    return found


def written_lines(written: list[Written], runs: list[Run], *,
                  streamed: bool = False) -> Iterator[str]:
    """What `dialplan preview` says of the files it wrote (`streamed`: the
    one WAV went to standard output): each file's length and path, its
    notes, and that the voice stands in for Routee's."""
    for item, run in zip(written, runs):
        where = "standard output" if streamed else str(item.path)
        yield f"{where}: {item.seconds:.1f} s, {run_flags(run) or '(no presses)'}"
        yield from (f"  note: {note}" for note in item.notes)
    yield f"{len(written)} file{'s' * (len(written) != 1)} written"
    yield f"note: {STAND_IN}"


def _times(verb: dict) -> int | None:
    repeat = verb.get("repeat")
    if repeat == -1:
        return None
    return (repeat if isinstance(repeat, int) and repeat > 0 else 0) + 1


__all__ = ["DEFAULT_RINGBACK", "MAX_RINGBACK", "PRESS_AFTER", "STAND_IN", "Preview", "Written",
           "file_name", "preview_paths", "render_all", "render_path", "segments", "wav_names",
           "written_lines"]
