"""For any call's worth of segments, the rendering is exactly as long as its
parts and the WAV written holds exactly those samples."""

from __future__ import annotations

import io
import wave

import pytest
from audio_checks import tone, wav_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialplan_compiler.audio import (GENDERS, PREVIEW_RATE, VOICES, Keys, Play, Ringback,
                                     Silence, Speech, render, write_wav)
from dialplan_compiler.audio import tones
from dialplan_compiler.audio.pcm import samples_for, to_little_endian


#: The local file: a chime of this many samples at 11025 Hz, which is twice
#: as many at the preview's rate.
CHIME = 3307


@pytest.fixture(scope="module")
def local_wav(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("audio") / "chime.wav"
    path.write_bytes(wav_bytes(tone(880, CHIME / 11025, 11025, 8000), 11025))
    return str(path)


seconds = st.floats(min_value=0, max_value=6, allow_nan=False, allow_infinity=False)
texts = st.text(st.sampled_from("abcdefg hijk, lmnop. 0123?"), max_size=30)
speech = st.builds(Speech, texts, st.sampled_from(list(VOICES)),
                   st.sampled_from([None, *GENDERS]), st.integers(1, 2))
keys = st.builds(Keys, st.text(st.sampled_from(tones.KEYS + "abcd"), max_size=6))
# Nothing here reaches the network: a host other than this machine is never
# asked, and the missing path and the other scheme are not fetched either.
unplayable = st.builds(Play, st.sampled_from(["http://example.com/prompt.wav",
                                               "/nonexistent/prompt.wav",
                                               "ftp://127.0.0.1/prompt.wav"]),
                       st.integers(1, 2))


def one_of_each(local: str):
    return st.lists(st.one_of(speech, keys, unplayable, st.builds(Silence, seconds),
                              st.builds(Ringback, seconds),
                              st.builds(Play, st.just(local), st.integers(1, 2))),
                    max_size=6)


def expected_length(segment, local: str) -> int | None:
    """A segment's length known without rendering it (None for speech)."""
    key = samples_for(tones.KEY_TONE_SECONDS) + samples_for(tones.KEY_GAP_SECONDS)
    if isinstance(segment, (Silence, Ringback)):
        return samples_for(segment.seconds)
    if isinstance(segment, Keys):
        return key * len(segment.keys)
    if isinstance(segment, Play):
        one = 2 * CHIME if segment.source == local else len(tones.placeholder())
        return one * segment.times
    return None


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_length_is_the_sum_of_the_parts_and_the_wav_round_trips(local_wav, data):
    segments = data.draw(one_of_each(local_wav))
    rendered = render(segments)

    assert [p.segment for p in rendered.placements] == segments
    assert len(rendered.samples) == sum(p.length for p in rendered.placements)
    start = 0
    for placement in rendered.placements:
        assert placement.start == start
        start = placement.end
        expected = expected_length(placement.segment, local_wav)
        if expected is not None:
            assert placement.length == expected
        if isinstance(placement.segment, Speech) and placement.segment.text.strip(" ,.?"):
            assert placement.length > 0

    buffer = io.BytesIO()
    write_wav(buffer, rendered)
    buffer.seek(0)
    with wave.open(buffer, "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) \
            == (1, 2, PREVIEW_RATE)
        assert wav.getnframes() == len(rendered.samples)
        assert wav.readframes(wav.getnframes() + 1) == to_little_endian(rendered.samples)
