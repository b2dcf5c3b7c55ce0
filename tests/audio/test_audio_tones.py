"""DTMF keys, ring-back and the placeholder sound as they should."""

from __future__ import annotations

import pytest
from audio_checks import goertzel, rms

from dialplan_compiler.audio import PREVIEW_RATE, Keys, Ringback, render
from dialplan_compiler.audio import tones

DTMF_FREQUENCIES = tones.DTMF_ROWS + tones.DTMF_COLUMNS
TONE = round(tones.KEY_TONE_SECONDS * PREVIEW_RATE)
GAP = round(tones.KEY_GAP_SECONDS * PREVIEW_RATE)


def dominant(samples, expected, others) -> None:
    """Each expected frequency carries far more power (100 times, 20 dB)
    than the strongest of the others."""
    strongest = max(goertzel(samples, f) for f in others)
    for frequency in expected:
        assert goertzel(samples, frequency) > 100 * strongest, frequency


@pytest.mark.parametrize("key", list("0123456789*#ABCD"))
def test_each_key_has_exactly_its_two_frequencies(key):
    samples = render([Keys(key)]).samples
    assert len(samples) == TONE + GAP
    row, column = tones.DTMF[key]
    assert row in tones.DTMF_ROWS and column in tones.DTMF_COLUMNS
    dominant(samples[:TONE], (row, column), set(DTMF_FREQUENCIES) - {row, column})
    assert not any(samples[TONE:])


def test_the_keypad_is_the_standard_one():
    assert tones.DTMF["1"] == (697, 1209) and tones.DTMF["5"] == (770, 1336)
    assert tones.DTMF["9"] == (852, 1477) and tones.DTMF["0"] == (941, 1336)
    assert tones.DTMF["*"] == (941, 1209) and tones.DTMF["#"] == (941, 1477)
    assert tones.DTMF["D"] == (941, 1633)
    assert len(set(tones.DTMF.values())) == 16


def test_keys_follow_one_another_and_lower_case_letters_are_keys():
    samples = render([Keys("1a")]).samples
    assert len(samples) == 2 * (TONE + GAP)
    dominant(samples[TONE + GAP:2 * TONE + GAP], (697, 1633), {1209, 770, 852, 941, 1336})
    assert render([Keys("a")]).samples == render([Keys("A")]).samples


def test_ringback_has_its_frequency_and_cadence():
    seconds = 12
    samples = render([Ringback(seconds)]).samples
    assert len(samples) == seconds * PREVIEW_RATE
    on = round(tones.RINGBACK_ON_SECONDS * PREVIEW_RATE)
    cycle = on + round(tones.RINGBACK_OFF_SECONDS * PREVIEW_RATE)
    frame = PREVIEW_RATE // 20
    for start in range(0, len(samples), cycle):
        burst = samples[start:start + on]
        # On: sound throughout, every 50 ms of it; off: digital silence.
        assert all(rms(burst[i:i + frame]) > 1000 for i in range(frame, on - frame, frame))
        assert not any(samples[start + on:start + cycle])
        dominant(burst, tones.RINGBACK_FREQUENCIES, (350, 400, 440, 480, 1000))
    # 12 s is two whole cycles and the tone of a third.
    assert len(range(0, len(samples), cycle)) == 3


def test_ringback_stops_when_its_time_is_up():
    samples = render([Ringback(0.4)]).samples
    assert len(samples) == round(0.4 * PREVIEW_RATE) and rms(samples) > 1000


def test_the_placeholder_is_beeps_of_its_own_frequency():
    samples = tones.placeholder()
    beep = round(tones.PLACEHOLDER_BEEP_SECONDS * PREVIEW_RATE)
    gap = round(tones.PLACEHOLDER_GAP_SECONDS * PREVIEW_RATE)
    assert len(samples) == tones.PLACEHOLDER_BEEPS * beep + (tones.PLACEHOLDER_BEEPS - 1) * gap
    for start in range(0, len(samples), beep + gap):
        dominant(samples[start:start + beep], (tones.PLACEHOLDER_FREQUENCY,),
                 DTMF_FREQUENCIES + tones.RINGBACK_FREQUENCIES)
        assert not any(samples[start + beep:start + beep + gap])


def test_a_tone_handed_out_can_be_changed_without_changing_the_next():
    first = tones.key_tone("1")
    first[:] = first[:0]
    assert len(tones.key_tone("1")) == TONE + GAP
    tones.placeholder()[0] = 12345
    assert tones.placeholder()[0] == 0
