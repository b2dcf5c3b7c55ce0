"""The `dialplan` command line, driven through click's runner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialplan_compiler import __version__, cli
from dialplan_compiler.rules import RULES

from helpers import ROOT
EXAMPLES = ROOT / "examples"


def run(*args, input=None, color=False):
    return CliRunner().invoke(cli.main, [str(a) for a in args], input=input, color=color)


@pytest.fixture
def write(tmp_path):
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path
    return write


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_check_clean_file_exits_0():
    result = run("check", EXAMPLES / "pin-prompt.call")
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings in 1 file" in result.output


def test_check_reports_every_error_with_position(write):
    path = write("bad.call", 'from +302101234567\nsya "hi"\nsay "x" in en-gb\nring 0s\n')
    result = run("check", "--format", "concise", path)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}:2:1: error[DP101]: unknown statement 'sya'",
        f"{path}:3:12: error[DP204]: 'en-gb' is not a language Routee speaks",
        f"{path}:4:1: error[DP202]: `ring` is a call setting and must come before the first verb",
        f"{path}:4:6: error[DP209]: the ring time must be at least 1 s, not 0s",
        "4 errors, 0 warnings in 1 file",
    ]


def test_text_format_shows_source_caret_label_and_help(write):
    path = write("bad.call", 'from +302101234567\nsay "x" in en-gb\n')
    result = run("check", path)
    assert result.exit_code == 1
    assert result.output == (
        "error[DP204]: 'en-gb' is not a language Routee speaks\n"
        f"  --> {path}:2:12\n"
        "   |\n"
        ' 2 | say "x" in en-gb\n'
        "   |            ^^^^^ did you mean 'en-GB'?\n"
        "   = help: Routee's languages: en-US de-DE fr-FR it-IT pt-BR es-ES es-LA en-GB "
        "el-GR bg-BG pl-PL hu-HU sv-SE ru-RU\n"
        "\n"
        "1 error, 0 warnings in 1 file\n")


def test_related_span_is_drawn_in_the_snippet(write):
    path = write("two.call", 'from +302101234567\ndial +302107654321\ndial +302107654321\n')
    result = run("check", path)
    assert (" 2 | dial +302107654321\n"
            "   | ------------------ first `dial` is here\n"
            " 3 | dial +302107654321\n"
            "   | ^^^^ second dial\n") in result.output


def test_carets_stay_aligned_after_tabs_and_wide_characters(write):
    path = write("wide.call", 'say "漢字" in fr\n\tsay "x" in xx\n')
    out = run("check", path).output
    # 漢字 takes four terminal columns: the caret sits under 'fr', not two columns early
    assert ' 1 | say "漢字" in fr\n   | ' + " " * 14 + "^^ " in out
    assert " 2 | \tsay \"x\" in xx\n   | \t           ^^" in out


def test_color_only_when_asked_or_forced(write, monkeypatch):
    path = write("bad.call", "sya\n")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    # color=True: the runner passes escape codes through instead of stripping them
    assert "\x1b[" not in run("check", path, color=True).output  # not a terminal
    assert "\x1b[" in run("check", "--color", "always", path, color=True).output
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in run("check", path, color=True).output
    assert "\x1b[" not in run("check", "--color", "never", path, color=True).output
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run("check", path, color=True).output


def test_max_errors_caps_text_output(write):
    path = write("many.call", "".join(f"sya{i}\n" for i in range(10)))
    out = run("check", "--max-errors", "3", path).output
    assert out.count("error[DP101]") == 3
    assert f"{path}: 7 more diagnostics not shown (--max-errors 3)" in out
    assert "10 errors, 0 warnings in 1 file" in out


def test_warnings_as_errors(write):
    path = write("warn.call", 'play "https://cdn.example.com/a.mp3"\n')
    assert run("check", path).exit_code == 0
    assert run("check", "--warnings-as-errors", path).exit_code == 1
    compiled = run("compile", "--warnings-as-errors", path)
    assert compiled.exit_code == 1
    assert compiled.stdout == ""


def test_github_format_is_the_default_under_github_actions(write, monkeypatch):
    path = write("bad.call", "sya\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out = run("check", path).output
    assert out.startswith(f"::error file={path},line=1,col=1,")


def test_warnings_alone_exit_0(write):
    path = write("warn.call", 'play "https://cdn.example.com/a.mp3"\n')
    result = run("check", path)
    assert result.exit_code == 0
    assert "warning[DP302]" in result.output


def test_check_directory_finds_call_files_in_order(write, tmp_path):
    write("b/two.call", "sya\n")
    write("a/one.call", "sya\n")
    write("a/ignored.txt", "sya\n")
    result = run("check", tmp_path)
    assert result.exit_code == 1
    files = re.findall(r"--> (\S+\.call):1:1", result.output)
    assert files == [str(tmp_path / "a/one.call"), str(tmp_path / "b/two.call")]
    assert "in 2 files" in result.output


def test_check_many_files_reports_errors_in_each(write):
    paths = [write(f"f{i}.call", 'say "x"\n') for i in range(3)]
    result = run("check", *paths)
    assert result.exit_code == 1
    assert result.output.count("error[DP205]") == 3


def test_missing_file_is_a_usage_error():
    result = run("check", "does-not-exist.call")
    assert result.exit_code == 2


def test_unknown_flag_is_a_usage_error():
    result = run("check", "--no-such-flag", EXAMPLES / "pin-prompt.call")
    assert result.exit_code == 2


def test_compile_prints_request_body():
    result = run("compile", EXAMPLES / "pin-prompt.call")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert list(body) == ["from", "to", "dialPlan"]
    assert body["to"] == {"phone": "+306911111111"}
    assert result.stdout.endswith("}\n")


def test_compile_plan_flag_prints_bare_plan():
    result = run("compile", "--plan", EXAMPLES / "pin-prompt.call")
    assert result.exit_code == 0
    assert list(json.loads(result.stdout)) == ["verbs"]


def test_compile_without_recipient_prints_bare_plan():
    result = run("compile", EXAMPLES / "menu-answer.call")
    assert result.exit_code == 0
    assert list(json.loads(result.stdout)) == ["verbs"]


def test_to_and_from_override_the_script():
    result = run("compile", EXAMPLES / "pin-prompt.call", "--to", "+442079460000",
                 "--from", "+302107654321")
    body = json.loads(result.stdout)
    assert body["to"] == {"phone": "+442079460000"}
    assert body["from"] == "+302107654321"


def test_to_turns_a_bare_plan_into_a_call():
    result = run("compile", EXAMPLES / "menu-answer.call", "--to", "sip:bob@pbx.example.com",
                 "--from", "+302101234567")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["to"] == {"sip": "bob@pbx.example.com"}


def test_bad_to_override_is_reported_against_the_flag():
    result = run("compile", EXAMPLES / "pin-prompt.call", "--to", "+30123")
    assert result.exit_code == 1
    assert "--> --to:1:1" in result.stderr
    assert "error[DP211]" in result.stderr
    assert result.stdout == ""


def test_vars_fill_placeholders():
    result = run("compile", EXAMPLES / "appointment-reminder.call", "--var", "name=Ana",
                 "--var", "date=Friday")
    assert result.exit_code == 0, result.output
    verbs = json.loads(result.stdout)["dialPlan"]["verbs"]
    assert verbs[0]["message"]["text"] == "Hello Ana, this is Example Clinic."
    assert verbs[1]["message"]["text"] == "Your appointment is on Friday."


def test_missing_var_is_an_error_in_compile_not_in_check():
    path = EXAMPLES / "appointment-reminder.call"
    compiled = run("compile", path, "--var", "name=Ana")
    assert compiled.exit_code == 1
    assert f"error[DP215]: no value for {{date}}\n   --> {path}:12:29" in compiled.stderr
    assert run("check", path).exit_code == 0


def test_malformed_var_is_a_usage_error():
    result = run("compile", EXAMPLES / "pin-prompt.call", "--var", "no-equals-sign")
    assert result.exit_code == 2
    assert "NAME=VALUE" in result.output


def test_output_file_is_written(tmp_path):
    out = tmp_path / "body.json"
    result = run("compile", EXAMPLES / "pin-prompt.call", "-o", out)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(out.read_text())["from"] == "+302101234567"


def test_output_file_untouched_on_error(write, tmp_path):
    out = tmp_path / "body.json"
    out.write_text("previous")
    result = run("compile", write("bad.call", "sya\n"), "-o", out)
    assert result.exit_code == 1
    assert out.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".body")] == []


def test_stdin_is_read_with_dash():
    result = run("compile", "-", input='say "Hi." in en-US\n')
    assert result.exit_code == 0
    assert json.loads(result.stdout)["verbs"][0]["message"]["text"] == "Hi."
    bad = run("check", "-", input="sya\n")
    assert bad.exit_code == 1
    assert "error[DP101]: unknown statement 'sya'\n  --> <stdin>:1:1" in bad.output


def test_rules_lists_every_code():
    result = run("rules")
    assert result.exit_code == 0
    listed = re.findall(r"^(DP\d{3})\s", result.output, re.M)
    assert listed == sorted(RULES)


def test_internal_error_exits_3_and_names_the_file(monkeypatch):
    from dialplan_compiler import compiler

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    # The only way to reach the internal-error path is a bug; plant one.
    monkeypatch.setattr(compiler, "check_source", broken)
    path = EXAMPLES / "pin-prompt.call"
    result = run("check", path)
    assert result.exit_code == 3
    assert f"internal error while checking {path}" in result.output
    assert "Traceback" not in result.output


def test_validate_reports_json_problems_at_their_json_position(write):
    path = write("body.json", '{\n  "from": "+302101234567",\n  "to": {"phone": "+306912345678"},\n'
                              '  "dialPlan": {"verbs": [{"type": "PAUSE", "length": 10}]}\n}\n')
    result = run("validate", "--format", "concise", path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"{path}: a request body (POST /voice/conversation)"
    assert lines[1].startswith(
        f"{path}:4:44: error[DP220]: 'length' is not a PAUSE field; did you mean 'duration'?")


def test_validate_accepts_golden_files_and_searches_directories():
    result = run("validate", ROOT / "tests" / "golden")
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output
    assert f"in {len(list((ROOT / 'tests' / 'golden').glob('*.json')))} files" in result.output


def test_to_override_replaces_a_templated_to_line():
    result = run("compile", EXAMPLES / "campaign-template.call", "--to", "+306912345678",
                 *[f"--var={v}" for v in ("first_name=Ana", "language=en-GB", "pharmacy=X",
                                          "row=1", "pharmacist=+302107654321")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["to"] == {"phone": "+306912345678"}
    assert "{phone}" not in result.stderr
