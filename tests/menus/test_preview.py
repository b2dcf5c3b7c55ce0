"""menus.preview: a simulated path as audio (espeak-ng's voice standing in
for Routee's)."""

from __future__ import annotations

import wave

import pytest

# tests/audio/audio_checks.py (tests/ is on the path; tests/audio is a namespace package).
from audio.audio_checks import goertzel

from dialplan_compiler.audio import PREVIEW_RATE, Keys, Play, Ringback, Silence, Speech, tones
from dialplan_compiler.audio.pcm import samples_for
from dialplan_compiler.menus import engine
from dialplan_compiler.menus.preview import (DEFAULT_RINGBACK, PRESS_AFTER, file_name, render_all,
                                             render_path, segments)
from dialplan_compiler.menus.simulate import Run, every_path, load, simulate

from helpers import ROOT

CLINIC = ROOT / "examples" / "ivr" / "clinic.call"
TONE = round(tones.KEY_TONE_SECONDS * PREVIEW_RATE)
GAP = round(tones.KEY_GAP_SECONDS * PREVIEW_RATE)


@pytest.fixture(scope="module")
def clinic():
    return load(CLINIC.read_bytes(), str(CLINIC))


def test_a_clinic_path_as_segments(clinic):
    preview = segments(simulate(clinic, ["1", "1234#"]))
    assert preview.name == "1-1234#"
    assert preview.segments == (
        Speech("Welcome to Example Clinic.", "en-GB", "female"),
        Speech("For appointments press 1. For the front desk press 2. "
               "To hear this again press 9.", "en-GB", "female"),
        Silence(PRESS_AFTER), Keys("1"),
        Speech("Please enter your four digit booking code, then press hash.", "en-GB",
               "female"),
        Silence(PRESS_AFTER), Keys("1234#"),
        Speech("Thank you. Booking 1234 is confirmed.", "en-GB", "female"))


def test_waits_dials_plays_and_repeats_as_segments(clinic):
    preview = segments(simulate(clinic, ["timeout"]))
    assert Silence(8) in preview.segments
    preview = segments(simulate(clinic, ["2"]))
    assert preview.segments[-1] == Ringback(DEFAULT_RINGBACK)
    assert any("not heard" in note for note in preview.notes)
    plan = {"verbs": [
        {"type": "SAY", "message": {"text": "Hi.", "language": "en-GB"}, "repeat": 2},
        {"type": "PLAY", "fileURL": "https://cdn.example.com/a.wav", "repeat": 1},
        {"type": "PAUSE", "duration": 3},
        {"type": "DIAL", "to": {"phone": "+302101111111"}, "hangupDelay": 45},
        {"type": "SAY", "message": {"text": "Bye.", "language": "en-GB"}, "repeat": -1}]}
    run = Run([], engine.run(plan, post=lambda url, body: None))
    preview = segments(run)
    assert preview.segments == (Speech("Hi.", "en-GB", None, 3),
                                Play("https://cdn.example.com/a.wav", 2), Silence(3),
                                Ringback(20), Speech("Bye.", "en-GB", None, 1))
    assert any("forever" in note for note in preview.notes)


def test_file_names_are_safe():
    assert file_name("1-1234#-timeout") == "1-1234hash-timeout"
    assert file_name("*0/../x") == "star0____x"
    assert file_name("") == "call"


def _has_key(samples, key: str) -> bool:
    row, column = tones.DTMF[key]
    others = [f for f in tones.DTMF_ROWS + tones.DTMF_COLUMNS if f not in (row, column)]
    strongest = max(goertzel(samples, f) for f in others)
    return goertzel(samples, row) > 100 * strongest and goertzel(samples, column) > 100 * strongest


def test_a_rendered_clinic_path_is_its_segments_end_to_end_with_its_keys(clinic, tmp_path):
    pytest.importorskip("espeakng_loader")
    target = tmp_path / "path.wav"
    rendered = render_path(simulate(clinic, ["1", "1234#"]), target)
    with wave.open(str(target)) as wav:
        frames, rate = wav.getnframes(), wav.getframerate()
    assert rate == PREVIEW_RATE
    assert frames == len(rendered.samples) == sum(p.length for p in rendered.placements)
    for placement in rendered.placements:
        if isinstance(placement.segment, Silence):
            assert placement.length == samples_for(placement.segment.seconds)
    pressed = [p for p in rendered.placements if isinstance(p.segment, Keys)]
    assert [p.segment.keys for p in pressed] == ["1", "1234#"]
    for placement in pressed:
        for index, key in enumerate(placement.segment.keys):
            start = placement.start + index * (TONE + GAP)
            assert _has_key(rendered.samples[start:start + TONE], key), key


def test_every_path_renders_to_a_file_named_after_it(clinic, tmp_path):
    pytest.importorskip("espeakng_loader")
    runs = every_path(clinic)[:3]
    written = render_all(runs, tmp_path / "paths")
    assert [p.name for p in written] == [file_name(segments(r).name) + ".wav" for r in runs]
    assert all(p.stat().st_size > 44 for p in written)


def test_paths_with_the_same_name_get_numbered(tmp_path):
    # Two runs named "timeout" (a wait, no speech: no audio extra needed).
    silent = Run(["timeout"], engine.run({"verbs": [{"type": "PAUSE", "duration": 1}]},
                                         post=lambda url, body: None))
    written = render_all([silent, silent], tmp_path)
    assert [p.name for p in written] == ["timeout.wav", "timeout-2.wav"]
