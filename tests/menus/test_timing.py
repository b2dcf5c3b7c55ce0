"""menus.timing: how long each simulated path lasts.

tests/menus/golden_timing/ holds `timing.report` of each example (the
examples in examples/ivr/ and the plain examples/*.call, but hosted-plan,
whose plan is fetched from a URL and cannot be simulated), timed with the
speaking-rate table (speech="rate": espeak-ng's lengths vary slightly from
build to build) and without reading PLAY files. Regenerate after an intended
change with `DIALPLAN_UPDATE_GOLDEN=1 pytest tests/menus/test_timing.py`
and review the diff."""

from __future__ import annotations

import json
import math
import os
import wave
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from dialplan_compiler.menus import engine
from dialplan_compiler.menus.simulate import Flow, Run, every_path, load, simulate
from dialplan_compiler.menus.timing import (SPEAKING_RATES, UNKNOWN_PLAY, menu_timings, report,
                                            say_seconds, speech_source, time_path, time_paths)

from helpers import ROOT

GOLDEN = Path(__file__).resolve().parent / "golden_timing"
#: Plain examples with a plan to simulate (hosted-plan's is behind a URL).
EXAMPLES = sorted([p for p in (ROOT / "examples").glob("*.call") if p.stem != "hosted-plan"]
                  + list((ROOT / "examples" / "ivr").glob("*.call")))
#: The --var values of the examples that need them (as tests/test_examples.py).
VARIABLES = {
    "appointment-reminder": {"name": "Maria", "date": "Monday 3 March at 10:30"},
    "campaign-template": {"phone": "+306912345678", "first_name": "Nikos", "language": "el-GR",
                          "pharmacy": "Kifisias 12", "row": "17",
                          "pharmacist": "+302107654321"},
    "reminder": {"name": "Maria", "date": "Monday 3 May at 10:30"},
}
CLINIC = ROOT / "examples" / "ivr" / "clinic.call"


def flow_of(path: Path) -> Flow:
    return load(path.read_bytes(), str(path), variables=VARIABLES.get(path.stem))


#: A call's settings: `limit` (and a dial's sender) need a call.
CALL = "from +302101234567\nto +306912345678\n"


def script(text: str) -> Flow:
    return load(CALL + text, "test.call")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_path_of_the_examples_matches_the_golden_timing(example):
    flow = flow_of(example)
    timings = time_paths(flow, every_path(flow), speech="rate", read_files=False)
    text = json.dumps(report(flow, timings), indent=2, ensure_ascii=False) + "\n"
    golden = GOLDEN / f"{example.stem}.json"
    if os.environ.get("DIALPLAN_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_every_golden_timing_has_an_example():
    assert {p.stem for p in GOLDEN.glob("*.json")} == {p.stem for p in EXAMPLES}


def test_a_say_is_its_characters_at_the_languages_rate_times_its_repeats():
    flow = script('say "Hello there, how are you?" in en-GB repeat 2\n')
    [timing] = time_paths(flow, every_path(flow), speech="rate")
    [step] = timing.steps
    once = round(len("Hello there, how are you?") / SPEAKING_RATES["en-GB"], 2)
    assert step.min == step.max == pytest.approx(3 * once)
    assert step.source == "rate" and timing.speech_source == "rate"


def test_the_speech_source_is_espeak_when_it_is_installed():
    pytest.importorskip("espeakng_loader")
    assert speech_source() == "espeak"
    assert speech_source("rate") == "rate"
    flow = script('say "Hello." in en-GB\n')
    [timing] = time_paths(flow, every_path(flow))
    assert timing.speech_source == "espeak" and timing.steps[0].source == "espeak"
    assert timing.steps[0].max == pytest.approx(say_seconds("Hello.", "en-GB", None, "espeak"), abs=1e-5)


def test_repeat_forever_is_bounded_by_the_calls_limit():
    flow = script('limit 2m\nsay "Hold on." in en-GB repeat forever\n')
    [timing] = time_paths(flow, every_path(flow), speech="rate")
    [step] = timing.steps
    assert step.min == say_seconds("Hold on.", "en-GB") and step.max == 120
    assert step.source == "limit"
    assert timing.limit == 120 and timing.exceeds_limit is False


def test_without_a_limit_the_unbounded_is_infinite_and_null_in_json():
    flow = script('say "Hold on." in en-GB repeat forever\n')
    [timing] = time_paths(flow, every_path(flow), speech="rate")
    assert timing.total[1] == math.inf and timing.exceeds_limit is None
    assert timing.to_dict()["total"]["max"] is None


def test_a_dial_rings_up_to_its_ring_then_lasts_up_to_its_limit():
    flow = script("limit 5m\ndial +302101111111 ring 20s limit 2m\n")
    [timing] = time_paths(flow, every_path(flow), speech="rate")
    assert [(s.description, s.min, s.max) for s in timing.steps] == [
        ("rings +302101111111", 0, 20), ("call is bridged to +302101111111", 0, 120)]
    assert timing.exceeds_limit is False


def test_a_path_beyond_the_calls_limit_says_so():
    flow = script("limit 1m\npause 30s\ndial +302101111111 ring 20s limit 2m\n")
    [timing] = time_paths(flow, every_path(flow), speech="rate")
    assert timing.total == (30, 170) and timing.exceeds_limit is True
    assert timing.billable == (30, 60)


def test_a_press_takes_up_to_the_silence_it_is_pressed_in():
    flow = flow_of(CLINIC)
    timing = time_path(flow, simulate(flow, ["2"]), speech="rate")
    press = next(s for s in timing.steps if s.description == "presses 2")
    assert (press.min, press.max) == (0, 8)
    timing = time_path(flow, simulate(flow, ["timeout"]), speech="rate")
    assert ("waits 8 s", 8, 8) in [(s.description, s.min, s.max) for s in timing.steps]


def test_a_menus_prompt_and_wait_times_its_tries_against_the_limit():
    flow = script('limit 30s\nmenu via "https://ivr.example.com/routee" wait 8s tries 3 {\n'
                  '  say "Press 1." in en-GB\n  on 1 { say "One." in en-GB }\n}\n')
    [menu] = menu_timings(flow, speech="rate")
    prompt = say_seconds("Press 1.", "en-GB")
    assert menu.prompt == (prompt, prompt) and menu.wait == 8 and menu.tries == 3
    assert menu.total[1] == pytest.approx(3 * (prompt + 8))
    assert menu.exceeds_limit is False
    flow = script('limit 20s\nmenu via "https://ivr.example.com/routee" wait 8s tries 3 {\n'
                  '  say "Press 1." in en-GB\n  on 1 { say "One." in en-GB }\n}\n')
    assert menu_timings(flow, speech="rate")[0].exceeds_limit is True


def _wav(path: Path, seconds: float, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(bytes(2 * round(seconds * rate)))


def _run_plan(verbs: list[dict]) -> tuple[Flow, Run]:
    plan = {"verbs": verbs}
    call = engine.run(plan, post=lambda url, body: None)
    return Flow(plan, None, None), Run([], call)


def test_a_local_wav_is_its_length_and_a_remote_one_is_assumed(tmp_path):
    _wav(tmp_path / "chime.wav", 1.5)
    flow, run = _run_plan([{"type": "PLAY", "fileURL": str(tmp_path / "chime.wav"), "repeat": 1},
                           {"type": "PLAY", "fileURL": "https://cdn.example.com/x.wav"}])
    local, remote = time_path(flow, run, speech="rate").steps
    assert (local.min, local.max, local.source) == (3.0, 3.0, "wav")
    assert (remote.min, remote.max, remote.source) == (*UNKNOWN_PLAY, "assumed")
    assert remote.notes
    local, _ = time_path(flow, run, speech="rate", read_files=False).steps
    assert local.source == "assumed"


# --- any plain script ---------------------------------------------------------------------

WORDS = st.text(alphabet="abcdefghij klmnop,.", min_size=1, max_size=40).filter(str.strip)
LANGUAGES = st.sampled_from(sorted(SPEAKING_RATES))
REPEAT = st.one_of(st.none(), st.integers(0, 5), st.just("forever"))


def _repeat(value) -> str:
    return "" if value is None else f" repeat {value}"


STATEMENT = st.one_of(
    st.builds(lambda text, language, repeat: f'say "{text.strip()}" in {language}{_repeat(repeat)}',
              WORDS, LANGUAGES, REPEAT),
    st.builds(lambda seconds: f"pause {seconds}s", st.integers(1, 600)),
    st.builds(lambda name, repeat: f'play "https://cdn.example.com/{name}.wav"{_repeat(repeat)}',
              st.sampled_from(["a", "hold", "chime"]), REPEAT),
)
#: A plan has at most one dial (Routee's rule).
DIAL = st.builds(lambda ring, limit: "dial +302101111111" + (f" ring {ring}s" if ring else "")
                 + (f" limit {limit}s" if limit else ""),
                 st.one_of(st.none(), st.integers(1, 60)), st.one_of(st.none(), st.integers(1, 7200)))


@settings(max_examples=60, deadline=None)
@given(limit=st.one_of(st.none(), st.integers(1, 7200)),
       statements=st.lists(STATEMENT, min_size=1, max_size=8),
       dial=st.one_of(st.none(), DIAL), where=st.integers(0, 8))
def test_any_plain_script_has_min_at_most_max_and_a_total_that_adds_up(limit, statements, dial,
                                                                       where):
    if dial is not None:
        statements.insert(where, dial)
    source = (f"limit {limit}s\n" if limit else "") + "\n".join(statements) + "\n"
    flow = script(source)
    for timing in time_paths(flow, every_path(flow), speech="rate", read_files=False):
        assert timing.steps
        for step in timing.steps:
            assert 0 <= step.min <= step.max
        low, high = timing.total
        assert low == pytest.approx(math.fsum(s.min for s in timing.steps))
        assert high == pytest.approx(math.fsum(s.max for s in timing.steps))
        assert low <= high
        json.dumps(timing.to_dict(), allow_nan=False)
