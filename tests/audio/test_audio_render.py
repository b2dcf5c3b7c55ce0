"""render() and write_wav(): the WAV is what a player expects, and its
length is the sum of its parts."""

from __future__ import annotations

import io
import wave

import pytest

from dialplan_compiler.audio import (PREVIEW_RATE, Keys, Play, Ringback, Silence, Speech,
                                     render, write_wav)
from dialplan_compiler.audio import tones
from dialplan_compiler.audio.pcm import to_little_endian


def read(target) -> tuple[wave._wave_params, bytes]:
    with wave.open(target, "rb") as wav:
        return wav.getparams(), wav.readframes(wav.getnframes())


def test_the_wav_is_mono_16_bit_at_the_preview_rate_and_its_parts_add_up(tmp_path):
    segments = [Speech("Welcome to Example Clinic.", "en-GB", "female"), Silence(0.5),
                Keys("12#"), Ringback(6), Play(tmp_path / "missing.wav"),
                Speech("Goodbye.", "de-DE", times=2)]
    rendered = render(segments)
    path = tmp_path / "call.wav"
    write_wav(path, rendered)

    params, frames = read(str(path))
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, PREVIEW_RATE)
    assert params.nframes == len(rendered.samples) == sum(p.length for p in rendered.placements)
    assert frames == to_little_endian(rendered.samples)
    assert [p.segment for p in rendered.placements] == segments
    ends = [0] + [p.end for p in rendered.placements]
    assert [p.start for p in rendered.placements] == ends[:-1]
    assert rendered.seconds == params.nframes / PREVIEW_RATE


def test_lengths_are_those_of_the_parts():
    rendered = render([Silence(0.5), Keys("1#"), Ringback(6), Play("ftp://example.com/a.wav",
                                                                  times=2)])
    key = round(tones.KEY_TONE_SECONDS * PREVIEW_RATE) + round(tones.KEY_GAP_SECONDS
                                                                * PREVIEW_RATE)
    assert [p.length for p in rendered.placements] == [
        PREVIEW_RATE // 2, 2 * key, 6 * PREVIEW_RATE, 2 * PREVIEW_RATE]


def test_silence_is_silent():
    rendered = render([Silence(1.25)])
    assert len(rendered.samples) == round(1.25 * PREVIEW_RATE)
    assert not any(rendered.samples)


def test_nothing_renders_as_an_empty_wav():
    rendered = render([])
    buffer = io.BytesIO()
    write_wav(buffer, rendered)
    buffer.seek(0)
    params, frames = read(buffer)
    assert (params.nchannels, params.nframes, frames) == (1, 0, b"")


def test_speech_repeated_is_heard_that_many_times():
    once, twice = render([Speech("One.", "en-US")]), render([Speech("One.", "en-US", times=2)])
    assert twice.samples == once.samples * 2


class _Pipe:
    """A file with write and nothing else, as stdout piped to a player is."""

    def __init__(self):
        self.data = bytearray()

    def write(self, data):
        self.data += data
        return len(data)

    def flush(self):
        pass


def test_a_wav_can_be_written_to_a_file_that_cannot_seek():
    rendered = render([Keys("5"), Silence(0.1)])
    pipe = _Pipe()
    write_wav(pipe, rendered)
    params, frames = read(io.BytesIO(bytes(pipe.data)))
    assert params.nframes == len(rendered.samples)
    assert frames == to_little_endian(rendered.samples)


def test_an_open_file_stays_open(tmp_path):
    with open(tmp_path / "out.wav", "wb") as file:
        write_wav(file, render([Silence(0.01)]))
        assert not file.closed


@pytest.mark.parametrize("make", [
    lambda: Silence(-1), lambda: Silence(float("nan")), lambda: Ringback(float("inf")),
    lambda: Silence("1"), lambda: Keys("12x"), lambda: Speech("Hi", "en-AU"),
    lambda: Speech("Hi", "en-GB", "neutral"), lambda: Speech("Hi", "en-GB", times=0),
    lambda: Play("a.wav", times=True), lambda: Play(3)])
def test_a_segment_that_cannot_be_heard_is_refused_when_made(make):
    with pytest.raises(ValueError):
        make()


def test_something_else_is_not_a_segment():
    with pytest.raises(TypeError):
        render(["Hello"])


def test_the_package_example_is_right():
    import doctest

    import dialplan_compiler.audio

    assert doctest.testmod(dialplan_compiler.audio).failed == 0
