"""Hostile input through the real command line.

Every input here is broken: the `dialplan` command must exit 1, report at
least one error located as `file:line:col` (`error[DPnnn]: …` then
`--> file:line:col` in the default text format; `file:line:col: error[DPnnn]: …`
with `--format concise`), and never show a Python traceback. Most tests drive `dialplan_compiler.cli.main` with click's
CliRunner; a few run the installed `dialplan` executable in a subprocess.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialplan_compiler.cli import main

TEN_MB = 10 * 1024 * 1024

VALID_LINES = (
    '# a reminder, repeated until the file is large\n'
    'say "Hello, this is Example Clinic with a reminder about your appointment." in en-GB as female\n'
    'pause 2s\n'
    'say "Press 1 to confirm, or 2 to talk to us; we will call you back otherwise." in en-GB\n'
    '\n'
)


def diagnostic_re(name: str) -> re.Pattern:
    """An error located as `name:line:col`: in the default (rustc-style)
    text output the `error[DPnnn]: …` line is followed by `--> name:line:col`;
    the concise format puts it first, `name:line:col: error[DPnnn]: …`."""
    where = re.escape(name) + r":(\d+):(\d+)"
    return re.compile(rf"^(?:error\[(DP\d{{3}})\]: [^\n]*\n[ \t]*--> {where}$"
                      rf"|{where}: error\[(DP\d{{3}})\]: )", re.MULTILINE)


def located_errors(name: str, output: str) -> list[tuple[str, int, int]]:
    """(code, line, column) of every located error for `name` in `output`."""
    found = []
    for match in diagnostic_re(name).finditer(output):
        code1, line1, col1, line2, col2, code2 = match.groups()
        found.append((code1 or code2, int(line1 or line2), int(col1 or col2)))
    return found


#: No colour, no GitHub annotations: the plain text format whatever the
#: environment of the test run.
ENV = {"FORCE_COLOR": None, "NO_COLOR": "1", "GITHUB_ACTIONS": None}


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Run from an empty directory so that no configuration file is found."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


def run(args: list[str], input: bytes | None = None):
    return CliRunner(env=ENV).invoke(main, args, input=input)


def assert_findings(result, name: str, line: int | None = None, column: int | None = None,
                    code: str | None = None) -> None:
    """Exit 1, a located error for `name`, and no traceback anywhere."""
    output = result.output
    assert "Traceback" not in output, output[:3000]
    assert "Traceback" not in result.stderr, result.stderr[:3000]
    # sys.exit(1) is the only exception allowed to end the command.
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == 1, (result.exit_code, output[:3000])
    found = located_errors(name, output)
    assert found, output[:3000]
    for _code, found_line, found_column in found:
        assert found_line >= 1 and found_column >= 1
    if code is not None:
        assert code in {c for c, _, _ in found}, (code, found)
    if line is not None:
        assert any((l, c) == (line, column) and (code is None or k == code)
                   for k, l, c in found), (line, column, code, found)


def write(tmp_path: Path, name: str, data: bytes | str) -> str:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return str(path)


def random_bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def big_valid_ish() -> tuple[bytes, int]:
    """About 10 MB of valid lines with one error in the middle; returns the
    data and the line of the error."""
    repeats = TEN_MB // len(VALID_LINES)
    half = VALID_LINES * (repeats // 2)
    error_line = half.count("\n") + 1
    text = half + 'say "The one mistake." in en-gb\n' + half
    assert len(text.encode()) >= TEN_MB - len(VALID_LINES)
    return text.encode(), error_line


# --- the inputs -----------------------------------------------------------------

BINARY = random_bytes(64 * 1024, seed=1)
assert BINARY.count(b"\x00") > 100
NUL_IN_TEXT = b'say "Hello" in en-GB\npause 1s\x00\x00\x00\nsay "Bye" in en-GB\n'


@pytest.mark.parametrize("command", ["check", "compile"])
def test_binary_data(tmp_path, command):
    name = write(tmp_path, "binary.call", BINARY)
    assert_findings(run([command, name]), name, code="DP001")


@pytest.mark.parametrize("command", ["check", "compile"])
def test_only_nul_bytes(tmp_path, command):
    name = write(tmp_path, "zeros.call", b"\x00" * 4096)
    assert_findings(run([command, name]), name, 1, 1, "DP001")


@pytest.mark.parametrize("command", ["check", "compile"])
def test_nul_bytes_in_otherwise_valid_text(tmp_path, command):
    name = write(tmp_path, "nul.call", NUL_IN_TEXT)
    assert_findings(run([command, name]), name, 2, 9, "DP001")


@pytest.mark.parametrize("command", ["check", "compile"])
def test_invalid_utf8(tmp_path, command):
    name = write(tmp_path, "latin1.call", 'pause 1s\nsay "Caf\u00e9" in fr-FR\n'.encode("latin-1"))
    assert_findings(run([command, name]), name, 2, 9, "DP001")


def test_truncated_utf8_at_end_of_file(tmp_path):
    name = write(tmp_path, "cut.call", 'say "\u4e2d\u6587" in en-GB\n'.encode()[:-1] + "\u4e2d".encode()[:2])
    assert_findings(run(["check", name]), name, 1, 18, "DP001")


def test_ten_megabytes_of_valid_lines_with_one_error(tmp_path):
    data, line = big_valid_ish()
    name = write(tmp_path, "big.call", data)
    result = run(["check", name])
    assert_findings(result, name, line, 27, "DP204")
    assert len(located_errors(name, result.output)) == 1


@pytest.mark.parametrize("command", ["check", "compile"])
def test_ten_megabytes_of_random_bytes(tmp_path, command):
    name = write(tmp_path, "garbage.call", random_bytes(TEN_MB, seed=2))
    assert_findings(run([command, name]), name, code="DP001")


@pytest.mark.parametrize("command", ["check", "compile"])
def test_ten_megabytes_of_printable_garbage(tmp_path, command):
    """Valid UTF-8, so it reaches the parser, which gives up after its cap
    of syntax errors."""
    rng = random.Random(3)
    alphabet = 'abcxyz0123+-{}";#\\ \t\n\u00e9\u4e2d'
    text = "".join(rng.choices(alphabet, k=TEN_MB // 2)) * 2
    name = write(tmp_path, "garbage.call", text)
    result = run([command, name])
    assert_findings(result, name)
    if command == "check":  # the text output shows the first 50 and counts the rest
        assert "more diagnostics not shown" in result.output
    concise = run(["check", "--format", "concise", name])
    assert_findings(concise, name, code="DP009")  # too many errors: the parser stopped


@pytest.mark.parametrize("command", ["check", "compile"])
@pytest.mark.parametrize("source, line, column", [
    ("a {" * 5000, 1, 3),
    ("a {\n" * 5000, 1, 3),
    ("{" * 5000, 1, 1),
    ("}" * 5000, 1, 1),
    ('say "x" {' * 5000 + "}" * 5000, None, None),
    ('"' * 5000, 1, 1),
    ("\\" * 5000, 1, 1),
])
def test_deep_nesting_and_repetition(tmp_path, command, source, line, column):
    name = write(tmp_path, "nest.call", source)
    assert_findings(run([command, name]), name, line, column)


@pytest.mark.parametrize("command", ["check", "compile"])
@pytest.mark.parametrize("data", [b"", b"\n\n\n", b"# only a comment\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path, command, data):
    name = write(tmp_path, "empty.call", data)
    assert_findings(run([command, name]), name, 1, 1, "DP203")


@pytest.mark.parametrize("command", ["check", "compile"])
def test_binary_on_standard_input(command):
    assert_findings(run([command, "-"], input=BINARY), "<stdin>", code="DP001")


@pytest.mark.parametrize("command", ["check", "compile"])
def test_missing_file_is_a_usage_error(tmp_path, command):
    result = run([command, str(tmp_path / "no-such-file.call")])
    assert result.exit_code == 2, result.output
    assert "no-such-file.call" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("data, line, column, code", [
    (BINARY, None, None, "DP001"),
    (NUL_IN_TEXT, 2, 9, "DP001"),
    (("a {" * 5000).encode(), 1, 3, "DP005"),
    (b"", 1, 1, "DP203"),
])
def test_concise_format(tmp_path, data, line, column, code):
    """`--format concise` prints `file:line:col: error[DPnnn]: message`."""
    name = write(tmp_path, "x.call", data)
    result = run(["check", "--format", "concise", name])
    assert_findings(result, name, line, column, code)
    assert re.search(rf"^{re.escape(name)}:\d+:\d+: error\[{code}\]: ", result.output, re.M)


@pytest.mark.parametrize("output_format", ["text", "concise", "json", "sarif", "github"])
@pytest.mark.parametrize("data", [BINARY, NUL_IN_TEXT, ("a {" * 5000).encode(), ("{" * 5000).encode(),
                                  b"", random_bytes(4096, seed=5).decode("latin-1").encode()])
def test_every_output_format_survives_hostile_input(tmp_path, output_format, data):
    name = write(tmp_path, "x.call", data)
    result = run(["check", "--format", output_format, name])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == 1, result.output[:3000]
    if output_format in ("json", "sarif"):
        json.loads(result.stdout)
    else:
        assert "error" in result.output


def test_check_directory_with_one_broken_file(tmp_path):
    write(tmp_path, "good.call", 'say "Hello." in en-GB\n')
    broken = write(tmp_path, "bad.call", BINARY)
    assert_findings(run(["check", str(tmp_path)]), broken, code="DP001")


# --- -o with errors writes nothing ------------------------------------------------

BROKEN = 'say "Hello." in en-gb\ndial +306912345678\n'


def test_output_file_not_created_on_errors(tmp_path):
    name = write(tmp_path, "broken.call", BROKEN)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "out.json"
    result = run(["compile", name, "-o", str(out)])
    assert_findings(result, name, 1, 17, "DP204")
    assert not out.exists()
    assert list(out_dir.iterdir()) == []  # no temporary file left behind either


def test_existing_output_file_left_unchanged_on_errors(tmp_path):
    name = write(tmp_path, "broken.call", BROKEN)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "out.json"
    out.write_bytes(b'{"previous": "run"}\n')
    before = out.stat()
    result = run(["compile", name, "-o", str(out)])
    assert_findings(result, name, 1, 17, "DP204")
    assert out.read_bytes() == b'{"previous": "run"}\n'
    assert out.stat().st_mtime_ns == before.st_mtime_ns
    assert out.stat().st_ino == before.st_ino
    assert sorted(p.name for p in out_dir.iterdir()) == ["out.json"]


def test_output_file_untouched_for_binary_input(tmp_path):
    name = write(tmp_path, "binary.call", BINARY)
    out = tmp_path / "out.json"
    out.write_text("keep me\n")
    assert_findings(run(["compile", name, "-o", str(out)]), name, code="DP001")
    assert out.read_text() == "keep me\n"


def test_output_file_written_when_there_are_no_errors(tmp_path):
    """The counterpart of the tests above: -o does write a good compile."""
    name = write(tmp_path, "good.call", 'say "Hello." in en-GB\n')
    out = tmp_path / "out.json"
    out.write_text("old\n")
    result = run(["compile", name, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith('{\n  "verbs"')


def test_output_into_a_missing_directory_is_a_usage_error(tmp_path):
    """A good script, but -o names a folder that does not exist: a usage
    problem (exit 2) with a message, not a traceback."""
    name = write(tmp_path, "good.call", 'say "Hello." in en-GB\n')
    out = tmp_path / "no-such-dir" / "out.json"
    result = run(["compile", name, "-o", str(out)])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "no-such-dir" in result.output
    assert not out.parent.exists()


# --- the installed executable -------------------------------------------------------

def dialplan_executable() -> str:
    here = Path(sys.executable).parent
    for candidate in (here / "dialplan", here / "dialplan.exe"):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("dialplan")
    assert found, "the `dialplan` console script is not installed"
    return found


def run_executable(args: list[str], cwd: Path, input: bytes | None = None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTHON") and k not in ("FORCE_COLOR", "GITHUB_ACTIONS")}
    env["NO_COLOR"] = "1"
    return subprocess.run([dialplan_executable(), *args], cwd=cwd, input=input,
                          capture_output=True, env=env, timeout=300)


@pytest.mark.parametrize("name, data, line, column, code", [
    ("binary.call", BINARY, None, None, "DP001"),
    ("latin1.call", 'say "Caf\u00e9" in fr-FR\n'.encode("latin-1"), 1, 9, "DP001"),
    ("nest.call", ("a {" * 5000).encode(), 1, 3, "DP005"),
    ("braces.call", ("{" * 5000).encode(), 1, 1, "DP006"),
    ("empty.call", b"", 1, 1, "DP203"),
])
def test_installed_executable(tmp_path, name, data, line, column, code):
    (tmp_path / name).write_bytes(data)
    for command in ("check", "compile"):
        done = run_executable([command, name], tmp_path)
        output = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
        assert "Traceback" not in output, output[:3000]
        assert done.returncode == 1, (done.returncode, output[:3000])
        found = located_errors(name, output)
        assert code in {k for k, _, _ in found}, output[:3000]
        if line is not None:
            assert (code, line, column) in found, (found, output[:3000])


def test_installed_executable_big_garbage_and_missing_file(tmp_path):
    (tmp_path / "garbage.call").write_bytes(random_bytes(TEN_MB, seed=4))
    done = run_executable(["compile", "garbage.call", "-o", "out.json"], tmp_path)
    output = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert done.returncode == 1, output[:3000]
    assert "Traceback" not in output
    assert located_errors("garbage.call", output), output[:3000]
    assert not (tmp_path / "out.json").exists()

    done = run_executable(["check", "missing.call"], tmp_path)
    output = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert done.returncode == 2, output
    assert "missing.call" in output and "Traceback" not in output


def test_installed_executable_output_into_a_missing_directory(tmp_path):
    (tmp_path / "good.call").write_text('say "Hello." in en-GB\n', encoding="utf-8")
    done = run_executable(["compile", "good.call", "-o", "no-such-dir/out.json"], tmp_path)
    output = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert "Traceback" not in output, output[:3000]
    assert done.returncode == 2, (done.returncode, output[:3000])
    assert "no-such-dir" in output


def test_installed_executable_binary_on_stdin(tmp_path):
    done = run_executable(["check", "-"], tmp_path, input=BINARY)
    output = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert done.returncode == 1, output[:3000]
    assert "Traceback" not in output
    assert located_errors("<stdin>", output), output[:3000]


def test_force_color_survives_a_pipe(tmp_path):
    """FORCE_COLOR colours output even when it goes to a pipe (as in CI logs);
    without it, piped output has no escape codes."""
    import os
    import shutil
    import subprocess
    import sys

    exe = shutil.which("dialplan", path=os.path.dirname(sys.executable)) or "dialplan"
    path = tmp_path / "bad.call"
    path.write_text("sya\n")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR",
                                                             "GITHUB_ACTIONS")}
    plain = subprocess.run([exe, "check", str(path)], env=env, capture_output=True, text=True)
    forced = subprocess.run([exe, "check", str(path)], env={**env, "FORCE_COLOR": "1"},
                            capture_output=True, text=True)
    assert "\x1b[" not in plain.stdout and "error[DP101]" in plain.stdout
    assert "\x1b[1;31merror[DP101]" in forced.stdout


# --- nesting deeper than dialplan walks -----------------------------------------------

from dialplan_compiler.parser import MAX_NESTING

VIA = 'menu via "https://ivr.example.com/routee"'


def nested_menus(count: int) -> tuple[str, int, int]:
    """`count` menus, each in the `on 1` branch of the one before; returns
    the script and the line and column of the first '{' deeper than
    MAX_NESTING (or (0, 0) if none is)."""
    lines = ["from +302101234567", "to +306912345678", "voice en-GB female"]
    where = (0, 0)
    for level in range(count):
        indent = "  " * (2 * level)
        lines.append(f"{indent}{VIA} {{")
        if 2 * level + 1 == MAX_NESTING + 1:
            where = (len(lines), len(lines[-1]))
        lines.append(f'{indent}  say "Press 1 for level {level + 2}."')
        lines.append(f"{indent}  on 1 {{")
        if 2 * level + 2 == MAX_NESTING + 1:
            where = (len(lines), len(lines[-1]))
    lines.append("  " * (2 * count) + 'say "You reached the bottom."')
    lines += ["  " * level + "}" for level in reversed(range(2 * count))]
    return "\n".join(lines) + "\n", *where


@pytest.mark.parametrize("command", ["check", "compile", "simulate", "graph"])
def test_menus_nested_too_deep_are_one_located_error(tmp_path, command, monkeypatch):
    """150 menus one inside the other used to end in a RecursionError
    (exit 3, "internal error"); now the '{' past the limit is DP012."""
    monkeypatch.setenv("DIALPLAN_SIGNING_SECRET", "s" * 32)
    source, line, column = nested_menus(150)
    name = write(tmp_path, "deep.call", source)
    result = run([command, name])
    assert "RecursionError" not in result.output and "internal error" not in result.output
    assert_findings(result, name, line, column, "DP012")
    assert "blocks nest at most 50 deep" in result.output


@pytest.mark.parametrize("command", ["check", "compile", "simulate", "graph", "fmt"])
def test_menus_nested_up_to_the_limit_work(tmp_path, command, monkeypatch):
    """Every walk of the tree is safe at the deepest nesting accepted."""
    monkeypatch.setenv("DIALPLAN_SIGNING_SECRET", "s" * 32)
    source, _, _ = nested_menus(MAX_NESTING // 2)
    name = write(tmp_path, "deepest.call", source)
    result = run([command, name])
    assert result.exit_code == 0, result.output[-3000:]
    assert "Traceback" not in result.output


def test_fmt_of_blocks_nested_too_deep_is_an_error_not_a_crash(tmp_path):
    source = 'say "x" in en-GB {\n' * 500 + "}\n" * 500
    name = write(tmp_path, "blocks.call", source)
    result = run(["fmt", name])
    assert "RecursionError" not in result.output and "internal error" not in result.output
    assert_findings(result, name, MAX_NESTING + 1, 18, "DP012")
    assert Path(name).read_text() == source  # left alone


def test_fmt_check_of_blocks_nested_too_deep(tmp_path):
    name = write(tmp_path, "blocks.call", "on 1 {\n" * 500 + "}\n" * 500)
    assert_findings(run(["fmt", "--check", name]), name, MAX_NESTING + 1, 6, "DP012")


def test_config_nested_too_deep_is_a_usage_error_naming_the_file(tmp_path):
    """tomllib recurses: 5,000 nested arrays used to print a raw
    RecursionError traceback. Now: DP011 at the bracket, exit 2."""
    (tmp_path / ".dialplan.toml").write_text("select = " + "[" * 5000 + "]" * 5000 + "\n")
    (tmp_path / "ok.call").write_text('say "Hello." in en-GB\n')
    for command in ("check", "compile"):
        done = run_executable([command, "ok.call"], tmp_path)
        output = (done.stdout + done.stderr).decode("utf-8", "replace")
        assert "Traceback" not in output and "RecursionError" not in output, output[-3000:]
        assert done.returncode == 2, (done.returncode, output[-3000:])
        assert re.search(r"error\[DP011\]: invalid TOML: arrays or tables are nested too deep",
                         output), output[:3000]
        assert ".dialplan.toml:1:110" in output, output[:3000]


@pytest.mark.parametrize("opener", ["[", '{"a":'])
@pytest.mark.parametrize("command", ["validate", "decompile"])
def test_json_nested_100k_deep(tmp_path, opener, command):
    name = write(tmp_path, "deep.json", opener * 100_000)
    result = run([command, name])
    assert "RecursionError" not in result.output and "internal error" not in result.output
    assert_findings(result, name, 1, 100 * len(opener) + 1, "DP010")


# --- line endings: \r\n, \n and a lone \r are all line breaks ----------------------------

LINES = ['from +302101234567', 'to +306912345678', 'voice en-GB', '',
         'say "Hello."  # greet', 'say "Bye." in en-gb', 'pause 1s']


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
def test_every_line_ending_gives_the_same_positions(tmp_path, ending):
    """A file saved with classic Mac line endings (a lone \\r) used to be
    one long line: its errors were all on line 1, and fmt merged it."""
    name = write(tmp_path, "endings.call", ending.join(LINES) + ending)
    result = run(["check", name])
    assert_findings(result, name, 6, 15, "DP204")
    assert " 6 | say \"Bye.\" in en-gb\n" in result.output  # the snippet is that line alone
    data = json.loads(run(["check", "--format", "json", name]).stdout)
    assert [(d["line"], d["column"], d["code"]) for d in data["diagnostics"]] == \
        [(6, 15, "DP204")]


@pytest.mark.parametrize("ending", ["\r", "\r\n"])
def test_fmt_keeps_the_lines_apart_and_writes_newlines(tmp_path, ending):
    name = write(tmp_path, "endings.call", ending.join(LINES) + ending)
    result = run(["fmt", name])
    assert result.exit_code == 0, result.output
    assert Path(name).read_bytes().decode() == "\n".join(LINES) + "\n"


def test_lone_carriage_returns_mixed_with_newlines(tmp_path):
    # "\r\r\n" is a lone \r and then \r\n: two line breaks.
    name = write(tmp_path, "mixed.call", 'say "A." in en-GB\r\r\nsay "B." in en-gb\rpause 1s\n')
    assert_findings(run(["check", name]), name, 3, 13, "DP204")


def test_unreadable_byte_after_lone_carriage_returns(tmp_path):
    name = write(tmp_path, "cr.call", b'say "A." in en-GB\rpause 1s\r\xff\r')
    assert_findings(run(["check", name]), name, 3, 1, "DP001")


def test_continuation_before_a_lone_carriage_return(tmp_path):
    name = write(tmp_path, "cont.call", 'say "A." \\\r  in en-gb\rpause 1s\r')
    assert_findings(run(["check", name]), name, 2, 6, "DP204")


# --- lone surrogates: JSON escapes that are no character, names that are not UTF-8 -------

FORMATS = ["text", "concise", "json", "sarif", "github"]


@pytest.mark.parametrize("output_format", FORMATS)
def test_json_key_with_a_lone_surrogate(tmp_path, output_format):
    """`{"\\ud800": 1}` used to end `validate` in a UnicodeEncodeError
    traceback when the key was printed."""
    name = write(tmp_path, "surrogate.json", b'{"\\ud800": 1}\n')
    result = run(["validate", "--format", output_format, name])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == 1, result.output[:3000]
    if output_format == "json":
        found = [(d["code"], d["line"], d["column"]) for d in json.loads(result.stdout)["diagnostics"]]
        assert ("DP010", 1, 3) in found, found
    elif output_format == "sarif":
        results = json.loads(result.stdout)["runs"][0]["results"]
        assert any(r["ruleId"] == "DP010" and "surrogate" in r["message"]["text"]
                   for r in results), results
    elif output_format == "github":
        assert "line=1,col=3,endLine=1,endColumn=9,title=DP010::" in result.output
    else:
        assert_findings(result, name, 1, 3, "DP010")
        assert "surrogate pair, alone" in result.output


def test_decompile_of_a_lone_surrogate(tmp_path):
    name = write(tmp_path, "surrogate.json",
                 b'{"verbs": [{"type": "SAY", "message": {"text": "\\ud800", '
                 b'"language": "en-GB"}}]}\n')
    assert_findings(run(["decompile", name]), name, 1, 49, "DP010")


def test_say_text_with_a_lone_surrogate_is_not_valid(tmp_path):
    """Half a pair in the text used to pass validation, as if Routee could
    speak it; a whole pair is one character, and a \\\\ is no escape."""
    text = '"Hi \\udc00 \\ud83d\\ude00 \\\\ud800 \\ud800\\ud800!"'
    payload = ('{"verbs": [{"type": "SAY", "message": {"text": ' + text +
               ', "language": "en-GB"}}]}\n')
    name = write(tmp_path, "say.json", payload)
    result = run(["validate", name])
    assert_findings(result, name)
    found = [(c, l, k) for c, l, k in located_errors(name, result.output)]
    start = payload.index(text) + 1
    assert found == [("DP010", 1, start + 4), ("DP010", 1, start + 32),
                     ("DP010", 1, start + 38)], found


@pytest.mark.parametrize("output_format", FORMATS)
def test_file_name_that_is_not_utf8_in_every_format(tmp_path, output_format):
    (tmp_path / os.fsdecode(b"bad\xff.call")).write_text('say "Hi." in en-gb\n')
    done = run_executable(["check", "--format", output_format, "."], tmp_path)
    output = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert "Traceback" not in output, output[-3000:]
    assert done.returncode == 1, (done.returncode, output[-3000:])
    assert "DP204" in output
    if output_format == "json":
        assert json.loads(done.stdout)["diagnostics"][0]["file"] == "./bad\ufffd.call"
    elif output_format == "sarif":
        location = json.loads(done.stdout)["runs"][0]["results"][0]["locations"][0]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "bad%FF.call"


# --- memory: a file of errors in a machine format ---------------------------------------------

#: Peak resident memory allowed to `dialplan check --format json|sarif` of
#: two megabytes of errors (65,536 of them). Listing them all took 314 MB
#: (json) and 617 MB (sarif); the first 1,000 per file take about 165 MB,
#: most of it the syntax tree and the diagnostics of the check itself.
PEAK_RSS_LIMIT_MB = 250


#: `dialplan` run in-process, writing its peak RSS (VmHWM, in kB) to the
#: file named by its first argument when it exits. The kernel's VmHWM
#: starts afresh at exec; a child's ru_maxrss does not: it keeps what the
#: process had before exec, that is pytest's own size at the fork.
MEASURED = """
import atexit, sys
report = sys.argv.pop(1)

def peak():
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(report, "w") as out:
        out.write(kb)

atexit.register(peak)
from dialplan_compiler.cli import main
main()
"""


def peak_rss_mb(args: list[str], cwd: Path) -> tuple[int, float, bytes]:
    """Run dialplan with `args`; its exit code, peak RSS in MiB, and stdout."""
    if not os.path.exists("/proc/self/status"):
        pytest.skip("needs /proc/self/status (Linux)")
    report = cwd / "peak-rss"
    done = subprocess.run([sys.executable, "-c", MEASURED, str(report), *args], cwd=cwd,
                          capture_output=True, env={**os.environ, "NO_COLOR": "1"}, timeout=600)
    return done.returncode, int(report.read_text()) / 1024, done.stdout


@pytest.mark.parametrize("output_format", ["json", "sarif"])
def test_two_megabytes_of_errors_in_bounded_memory(tmp_path, output_format):
    line = 'say "The one mistake." in en-gb\n'
    count = 2 * 1024 * 1024 // len(line)
    (tmp_path / "errors.call").write_text(line * count)
    code, peak, stdout = peak_rss_mb(["check", "--format", output_format, "errors.call"],
                                     tmp_path)
    assert code == 1
    assert peak < PEAK_RSS_LIMIT_MB, f"peak RSS {peak:.0f} MB"
    document = json.loads(stdout)
    if output_format == "json":
        assert document["summary"]["errors"] == count
        assert len(document["diagnostics"]) == 1000
        assert document["summary"]["omitted"] == count - 1000
        assert document["omitted"][0]["count"] == count - 1000
    else:
        assert len(document["runs"][0]["results"]) == 1000
