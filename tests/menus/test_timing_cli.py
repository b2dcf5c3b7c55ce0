"""`dialplan simulate --timing`, `--format json` and `--prices`: every path
timed (and priced) through the CLI.

tests/menus/golden_timing_cli/ holds `dialplan simulate EXAMPLE --all --timing
--speech rate` of every example (the speaking-rate table: espeak-ng's
lengths vary slightly from build to build). Regenerate after an intended
change with `DIALPLAN_UPDATE_GOLDEN=1 pytest tests/menus/test_timing_cli.py`
and review the diff."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialplan_compiler.cli import main
from dialplan_compiler.menus.simulate import every_path, load, run_lines
from dialplan_compiler.speaking import SPEAKING_RATES

from helpers import EXAMPLE_VARIABLES, ROOT, WITHOUT_AUDIO, matches_golden

GOLDEN = Path(__file__).resolve().parent / "golden_timing_cli"
EXAMPLES = sorted(list((ROOT / "examples").glob("*.call"))
                  + list((ROOT / "examples" / "ivr").glob("*.call")))
VARIABLES = EXAMPLE_VARIABLES
PRICES = ("prefix,price_per_minute,increment_seconds,currency\n"
          "+30,0.020,60,EUR\n"
          "+3069,0.050,30,EUR\n")


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def var_options(path: Path) -> list[str]:
    return [f"--var={k}={v}" for k, v in VARIABLES.get(path.stem, {}).items()]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_matches_its_golden_timed_transcript(example):
    result = run("simulate", str(example), "--all", "--timing", "--speech", "rate",
                 *var_options(example))
    assert result.exit_code == 0, result.output
    assert matches_golden(GOLDEN / f"{example.stem}.txt", result.output)


def test_every_golden_has_an_example():
    assert {p.stem for p in GOLDEN.glob("*.txt")} == {p.stem for p in EXAMPLES}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_json_is_the_transcript_with_timings_that_add_up(example):
    result = run("simulate", str(example), "--all", "--format", "json", "--speech", "rate",
                 *var_options(example))
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    flow = load(example.read_bytes(), str(example), variables=VARIABLES.get(example.stem))
    runs = every_path(flow)
    assert document["speech"] == "rate" and "speaking rate" in document["speech_source"]
    assert len(document["paths"]) == len(runs)
    for path, simulated in zip(document["paths"], runs):
        lines = [item["text"] for item in path["transcript"]]
        # The transcript is simulate's, with each DIAL's ringing as a line of its own.
        assert [line for line in lines if not line.startswith("rings ")] == \
            list(run_lines(simulated))
        timed = [item for item in path["transcript"] if "min" in item]
        assert [item["text"] for item in timed] == [step["step"] for step in path["steps"]]
        low = sum(item["min"] for item in timed)
        assert path["total"]["min"] == pytest.approx(low, abs=0.01 * len(timed) + 0.01)
        highs = [item["max"] for item in timed]
        if None in highs:
            assert path["total"]["max"] is None
        else:
            assert path["total"]["max"] == pytest.approx(sum(highs), abs=0.01 * len(timed) + .01)
        assert path["cost"] is None


def test_a_say_is_timed_at_its_languages_rate_and_the_output_says_so(tmp_path):
    script = tmp_path / "hello.call"
    text = "Hello there, how are you today?"
    script.write_text(f'say "{text}" in en-GB repeat 1\npause 3s\n', encoding="utf-8")
    result = run("simulate", str(script), "--timing", "--speech", "rate")
    assert result.exit_code == 0, result.output
    say = round(2 * round(len(text) / SPEAKING_RATES["en-GB"], 2), 2)
    lines = result.output.splitlines()
    assert lines[0].split("  ")[0].strip() == f"{say:g} s"
    assert lines[1].strip() == "3 s  waits 3 s"
    assert f"total {round(say + 3, 2):g} s" in lines
    assert "speaking rate per language" in result.output


def test_prices_turn_each_path_into_a_cost_checked_by_hand(tmp_path):
    prices = tmp_path / "prices.csv"
    prices.write_text(PRICES, encoding="utf-8")
    script = tmp_path / "wait.call"
    # 45 s to a +3069 number: two 30 s increments of 0.05 a minute = 0.05;
    # +30 alone (0.02 by the minute) would make it 0.02.
    script.write_text("from +302101234567\nto +306912345678\npause 45s\n", encoding="utf-8")
    result = run("simulate", str(script), "--prices", str(prices))
    assert result.exit_code == 0, result.output
    assert "cost 0.05 EUR" in result.output.splitlines()
    assert "priced as a call to +306912345678: 0.050 EUR a minute, billed by 30 s " \
        f"(prefix +3069, {prices} line 3)" in result.output
    # Another number, given on the command line: 45 s by the minute at 0.02.
    result = run("simulate", str(script), "--prices", str(prices), "--to", "+302101111111",
                 "--format", "json")
    document = json.loads(result.output)
    [path] = document["paths"]
    assert path["cost"] == {"min": "0.02", "max": "0.02", "currency": "EUR"}
    assert document["priced"]["prefix"] == "+30"


def test_a_cost_range_follows_the_duration_range(tmp_path):
    prices = tmp_path / "prices.csv"
    prices.write_text(PRICES, encoding="utf-8")
    script = tmp_path / "dial.call"
    # 0 to 20 s of ringing, then 0 to 2 minutes bridged; the call's limit is 1 minute.
    script.write_text("from +302101234567\nto +306912345678\nlimit 1m\n"
                      "dial +302101111111 ring 20s limit 2m\n", encoding="utf-8")
    result = run("simulate", str(script), "--prices", str(prices), "--format", "json")
    [path] = json.loads(result.output)["paths"]
    assert path["total"] == {"min": 0, "max": 140} and path["exceeds_limit"] is True
    assert path["billable"] == {"min": 0, "max": 60}
    assert Decimal(path["cost"]["min"]) == 0
    # 60 s billed: two 30 s increments of 0.025 each (0.05 a minute).
    assert Decimal(path["cost"]["max"]) == 2 * Decimal("0.025")
    text = run("simulate", str(script), "--timing").output
    assert "beyond the call's limit of 60 s, where Routee ends the call (0–60 s billed)" in text


def test_pricing_needs_a_number_and_a_good_prices_file(tmp_path):
    prices = tmp_path / "prices.csv"
    prices.write_text(PRICES, encoding="utf-8")
    sip = str(ROOT / "examples" / "support-transfer.call")
    result = run("simulate", sip, "--prices", str(prices))
    assert result.exit_code == 2
    assert "give the number to price the paths as a call to with --to" in result.output
    result = run("simulate", sip, "--prices", str(prices), "--to", "+15551234567")
    assert result.exit_code == 2 and "no prefix of" in result.output
    broken = tmp_path / "broken.csv"
    broken.write_text("prefix,price_per_minute,increment_seconds\n+30,cheap,60\n",
                      encoding="utf-8")
    result = run("simulate", sip, "--prices", str(broken), "--to", "+302101111111")
    assert result.exit_code == 2
    assert f"{broken}:2:5: 'cheap' is not a price" in result.output
    assert "Traceback" not in result.output


def test_a_hosted_plan_simulates_as_a_fetch_up_to_the_calls_limit():
    hosted = str(ROOT / "examples" / "hosted-plan.call")
    result = run("simulate", hosted)
    assert result.exit_code == 0, result.output
    assert result.output == ("Routee fetches the plan from https://plans.example.com/welcome.json"
                             " (not fetched offline)\ncall ends\n")
    [path] = json.loads(run("simulate", hosted, "--format", "json").output)["paths"]
    assert path["total"] == {"min": 0, "max": 5400}  # `limit 1h30m`
    assert path["steps"][0]["source"] == "limit"


def test_no_limit_means_no_upper_bound(tmp_path):
    script = tmp_path / "forever.call"
    script.write_text('say "Hold on." in en-GB repeat forever\n', encoding="utf-8")
    result = run("simulate", str(script), "--timing", "--speech", "rate")
    assert "(the script sets no `limit`: nothing ends the call)" in result.output
    [path] = json.loads(run("simulate", str(script), "--format", "json").output)["paths"]
    assert path["total"]["max"] is None and not math.isinf(path["total"]["min"])


def test_coverage_follows_the_timings_and_json_refuses_text_options():
    clinic = str(ROOT / "examples" / "ivr" / "clinic.call")
    result = run("simulate", clinic, "--all", "--timing", "--coverage", "--speech", "rate")
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("outcomes reached")
    assert "runs  outcome" in result.output and "19 paths, from" in result.output
    result = run("simulate", clinic, "--format", "json", "--coverage")
    assert result.exit_code == 2 and "--coverage and -v are for text output" in result.output


def test_without_the_audio_extra_speech_is_timed_at_the_rate_and_says_so():
    clinic = str(ROOT / "examples" / "ivr" / "clinic.call")
    done = subprocess.run([sys.executable, "-c", WITHOUT_AUDIO, "simulate", clinic, "--timing"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == run("simulate", clinic, "--timing", "--speech", "rate").output
    assert "speaking rate per language" in done.stdout.splitlines()[-1]
    done = subprocess.run([sys.executable, "-c", WITHOUT_AUDIO, "simulate", clinic, "--timing",
                           "--speech", "espeak"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "pip install '.[audio]'" in done.stderr and "Traceback" not in done.stderr


def test_with_the_audio_extra_speech_is_timed_by_espeak_and_says_so():
    pytest.importorskip("espeakng_loader")
    clinic = str(ROOT / "examples" / "ivr" / "clinic.call")
    document = json.loads(run("simulate", clinic, "--format", "json").output)
    assert document["speech"] == "espeak" and "espeak-ng" in document["speech_source"]
    assert {step["source"] for path in document["paths"] for step in path["steps"]
            if step["step"].startswith("caller hears")} == {"espeak"}
