"""`dialplan preview`: a simulated path heard as a WAV file, through the CLI."""

from __future__ import annotations

import subprocess
import sys
import wave

import pytest
from click.testing import CliRunner

from dialplan_compiler.audio import PREVIEW_RATE
from dialplan_compiler.cli import main
from dialplan_compiler.menus.preview import wav_names
from dialplan_compiler.menus.simulate import every_path, load

from helpers import ROOT, WITHOUT_AUDIO

CLINIC = ROOT / "examples" / "ivr" / "clinic.call"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def wav_seconds(path) -> float:
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == \
            (1, 2, PREVIEW_RATE)
        return wav.getnframes() / wav.getframerate()


def test_all_writes_one_valid_wav_per_path_named_after_it(tmp_path):
    pytest.importorskip("espeakng_loader")
    out = tmp_path / "previews"
    result = run("preview", str(CLINIC), "--all", "-o", str(out))
    assert result.exit_code == 0, result.output
    flow = load(CLINIC.read_bytes(), str(CLINIC))
    expected = wav_names(every_path(flow), out)
    assert sorted(out.iterdir()) == sorted(expected)
    assert len(expected) == 19
    for path in expected:
        seconds = wav_seconds(path)
        assert seconds > 1
        assert f"{path}: {seconds:.1f} s" in result.output
    assert "19 files written" in result.output
    assert "standing in for Routee's" in result.output
    assert "the bridged call is not heard" in result.output  # the dial's note


def test_one_path_to_one_file_and_to_standard_output(tmp_path):
    pytest.importorskip("espeakng_loader")
    target = tmp_path / "booking.wav"
    result = run("preview", str(CLINIC), "--press", "1", "--press", "1234#", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert f"{target}: {wav_seconds(target):.1f} s, --press 1 --press 1234#" in result.output
    code = "from dialplan_compiler.cli import main; main(prog_name='dialplan')"
    piped = subprocess.run([sys.executable, "-c", code, "preview", str(CLINIC), "--press", "1",
                            "--press", "1234#", "-o", "-"], capture_output=True)
    assert piped.returncode == 0, piped.stderr
    # espeak-ng's samples vary a little from process to process: the file is
    # checked as a WAV of the length reported, not byte for byte.
    streamed = tmp_path / "streamed.wav"
    streamed.write_bytes(piped.stdout)
    assert f"standard output: {wav_seconds(streamed):.1f} s".encode() in piped.stderr
    assert b"standing in for Routee's" in piped.stderr


def test_without_the_audio_extra_it_exits_2_with_the_install_command(tmp_path):
    out = tmp_path / "previews"
    done = subprocess.run([sys.executable, "-c", WITHOUT_AUDIO, "preview", str(CLINIC), "--all",
                           "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert "pip install '.[audio]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()  # nothing half-written


def test_bad_usage_exits_2(tmp_path):
    assert run("preview", str(CLINIC), "--all", "-o", "-").exit_code == 2
    assert run("preview", str(CLINIC), "--all", "--press", "1", "-o",
               str(tmp_path)).exit_code == 2
    assert run("preview", str(CLINIC)).exit_code == 2  # no -o
    taken = tmp_path / "taken"
    taken.write_text("not a folder", encoding="utf-8")
    result = run("preview", str(CLINIC), "--all", "-o", str(taken))
    assert result.exit_code == 2 and f"cannot write {taken}: File exists" in result.output
    result = run("preview", str(CLINIC), "-o", str(tmp_path))  # a folder without --all
    assert result.exit_code == 2 and "Is a directory" in result.output


def test_a_plan_fetched_from_a_url_is_noted_not_heard(tmp_path):
    target = tmp_path / "hosted.wav"
    result = run("preview", str(ROOT / "examples" / "hosted-plan.call"), "-o", str(target))
    assert result.exit_code == 0, result.output
    assert wav_seconds(target) == 0
    assert "https://plans.example.com/welcome.json is fetched by Routee: not heard" \
        in result.output
