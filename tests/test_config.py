"""Configuration files and `# dialplan: ignore[…]` comments, through the CLI
and the Python API."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dialplan_compiler import check_source, cli
from dialplan_compiler.config import Config, find_config, load_config, ConfigError

ALPHANUMERIC = 'from "Clinic"\nto +306912345678\nsay "Hi." in en-US\n'  # DP304 on line 1


def run(*args, cwd):
    import os

    previous = os.getcwd()
    os.chdir(cwd)  # configuration is looked for from the working directory up
    try:
        return CliRunner().invoke(cli.main, [str(a) for a in args])
    finally:
        os.chdir(previous)


def codes(result):
    return [d.code for d in result.diagnostics]


def test_ignore_comment_silences_that_warning_on_that_line():
    assert codes(check_source(ALPHANUMERIC)) == ["DP304"]
    silenced = ALPHANUMERIC.replace('"Clinic"', '"Clinic"  # dialplan: ignore[DP304]')
    assert codes(check_source(silenced)) == []


def test_ignore_comment_for_another_code_or_line_does_not_silence():
    other_code = ALPHANUMERIC.replace('"Clinic"', '"Clinic"  # dialplan: ignore[DP301]')
    assert codes(check_source(other_code)) == ["DP304"]
    other_line = ALPHANUMERIC.replace("to +306912345678", "to +306912345678 # dialplan: ignore")
    assert codes(check_source(other_line)) == ["DP304"]


def test_bare_ignore_comment_silences_every_warning_but_no_error():
    source = 'from "Clinic"\nsay "Hi." in en-gb  # dialplan: ignore\n'
    assert codes(check_source(source)) == ["DP304", "DP204"]


def test_select_and_ignore_apply_to_warnings_only():
    source = ALPHANUMERIC + 'say "x" in en-gb\n'
    assert codes(check_source(source, config=Config(ignore=("DP3",)))) == ["DP204"]
    assert codes(check_source(source, config=Config(select=("DP1",)))) == ["DP204"]
    assert codes(check_source(source, config=Config(select=("DP304",)))) == ["DP304", "DP204"]


def test_pyproject_configuration_is_found_from_a_subdirectory(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.dialplan]\nignore = ["DP304"]\nwarnings-as-errors = true\n')
    sub = tmp_path / "calls"
    sub.mkdir()
    (sub / "a.call").write_text(ALPHANUMERIC)
    (sub / "b.call").write_text('play "https://x.example.com/a.mp3"\n')
    assert find_config(sub) == tmp_path / "pyproject.toml"
    ok = run("check", "a.call", cwd=sub)
    assert ok.exit_code == 0, ok.output
    assert "0 errors, 0 warnings" in ok.output
    strict = run("check", "b.call", cwd=sub)  # DP302 warning + warnings-as-errors
    assert strict.exit_code == 1


def test_dialplan_toml_wins_over_pyproject_in_the_same_directory(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.dialplan]\nignore = ["DP304"]\n')
    (tmp_path / ".dialplan.toml").write_text('select = ["DP3"]\n')
    assert find_config(tmp_path) == tmp_path / ".dialplan.toml"
    assert load_config(find_config(tmp_path)).ignore == ()


def test_pyproject_without_tool_table_is_skipped(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config(tmp_path) is None or find_config(tmp_path).parent != tmp_path


def test_default_sender_from_configuration(tmp_path):
    (tmp_path / ".dialplan.toml").write_text('from = "+302101234567"\n')
    (tmp_path / "call.call").write_text('to +306912345678\nsay "Hi." in en-US\n')
    result = run("compile", "call.call", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert '"from": "+302101234567"' in result.stdout


@pytest.mark.parametrize("content, line, column, words", [
    ('warnings-as-errors = "yes"\n', 1, 1, "'warnings-as-errors' must be true or false"),
    ('\n\n  max-errors = 0\n', 3, 3, "'max-errors' must be at least 1"),
    ('select = [\n', 2, 1, "invalid TOML"),
])
def test_bad_configuration_names_file_and_line(tmp_path, content, line, column, words):
    path = tmp_path / ".dialplan.toml"
    path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    diagnostic = caught.value.diagnostic
    assert (diagnostic.code, diagnostic.span.file, diagnostic.span.line,
            diagnostic.span.column) == ("DP011", str(path), line, column)
    assert words in diagnostic.message
    (tmp_path / "a.call").write_text(ALPHANUMERIC)
    result = run("check", "a.call", cwd=tmp_path)
    assert result.exit_code == 2
    assert f"--> .dialplan.toml:{line}:{column}" in result.output


def test_unknown_key_in_pyproject_points_into_the_tool_table(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n\n[tool.dialplan]\nname = "oops"\n')
    [warning] = load_config(path).warnings
    assert (warning.code, warning.span.line, warning.span.column) == ("DP330", 5, 1)


def test_ignore_comment_does_not_reach_diagnostics_of_other_origins():
    from dialplan_compiler import compile_source

    source = 'say "Hi." in en-US  # dialplan: ignore\n'
    result = compile_source(source, "a.call", variables={"unused": "x"})
    assert [(d.code, d.span.file) for d in result.diagnostics] == [("DP309", "--var")]
