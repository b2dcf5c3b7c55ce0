"""Each file is checked with the configuration closest to it, and a setting
that does nothing is a DP330 warning naming its file, line and column; run
as users run it: the `dialplan` command in a subprocess, from the top of a
repository."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from helpers import ROOT

ALPHANUMERIC = 'from "Clinic"\nto +306912345678\nsay "Hi." in en-US\n'  # DP304 at 1:6


def dialplan(*args, cwd, stdin=None):
    return subprocess.run([sys.executable, "-m", "dialplan_compiler", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, input=stdin, timeout=120)


def concise(done) -> list[str]:
    return [line for line in done.stdout.splitlines() if ": warning[" in line or
            ": error[" in line]


@pytest.fixture
def repo(tmp_path):
    """A repository whose calls/ folder ignores DP304, and a script outside it."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "calls" / "deep").mkdir(parents=True)
    (root / "calls" / ".dialplan.toml").write_text('ignore = ["DP304"]\n')
    for name in ("top.call", "calls/a.call", "calls/deep/b.call"):
        (root / name).write_text(ALPHANUMERIC)
    return root


@pytest.mark.parametrize("command", ["check", "validate"])
def test_nested_configuration_applies_to_its_folder_only(repo, command):
    if command == "validate":
        for name in ("top", "calls/a", "calls/deep/b"):
            compiled = dialplan("compile", f"{name}.call", "--config", ROOT / "pyproject.toml",
                                cwd=repo)
            (repo / f"{name}.json").write_text(compiled.stdout)
            (repo / f"{name}.call").unlink()
    done = dialplan(command, "--format", "concise", ".", cwd=repo)
    assert done.returncode == 0, done.stderr
    found = concise(done)
    assert [line.split(":")[0] for line in found] == [f"./top.{'json' if command == 'validate' else 'call'}"], found
    assert "DP304" in found[0]


def test_compile_uses_the_configuration_closest_to_the_script(repo):
    (repo / "calls" / ".dialplan.toml").write_text('from = "+302101234567"\n')
    (repo / "calls" / "a.call").write_text('to +306912345678\nsay "Hi." in en-US\n')
    done = dialplan("compile", "calls/a.call", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["from"] == "+302101234567"


def test_the_search_stops_at_the_repository_root(tmp_path):
    (tmp_path / ".dialplan.toml").write_text('ignore = ["DP304"]\n')  # outside the repository
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "a.call").write_text(ALPHANUMERIC)
    done = dialplan("check", "--format", "concise", "a.call", cwd=root)
    assert [line.split(": ")[1] for line in concise(done)] == ["warning[DP304]"]


def test_config_option_overrides_every_file(repo, tmp_path):
    other = tmp_path / "strict.toml"
    other.write_text("warnings-as-errors = true\n")
    done = dialplan("check", "--format", "concise", "--config", other, ".", cwd=repo)
    assert done.returncode == 1
    assert len([line for line in concise(done) if "DP304" in line]) == 3


def test_warnings_as_errors_follows_each_files_configuration(repo):
    (repo / "calls" / ".dialplan.toml").write_text("warnings-as-errors = true\n")
    assert dialplan("check", "top.call", cwd=repo).returncode == 0
    assert dialplan("check", "calls/a.call", cwd=repo).returncode == 1


def test_standard_input_uses_the_current_directorys_configuration(repo):
    done = dialplan("check", "--format", "concise", "-", cwd=repo / "calls", stdin=ALPHANUMERIC)
    assert done.returncode == 0 and concise(done) == [], done.stdout


def test_files_of_one_folder_share_its_configuration_and_a_link_takes_its_targets(repo):
    """The folder of a file is resolved once for all its files; a file that
    is a symbolic link is configured where its target lives."""
    (repo / "calls" / "deep" / "c.call").write_text(ALPHANUMERIC)
    (repo / "linked.call").symlink_to(repo / "calls" / "a.call")   # ignores DP304 there
    (repo / "calls" / "back.call").symlink_to(repo / "top.call")   # reports it there
    done = dialplan("check", "--format", "concise", "top.call", "linked.call",
                    "calls/back.call", "calls/deep/b.call", "calls/deep/c.call", cwd=repo)
    assert [line.split(":")[0] for line in concise(done)] == ["top.call", "calls/back.call"]


# --- settings that do nothing --------------------------------------------------------

def test_unknown_key_and_codes_are_warnings_at_their_place(repo):
    (repo / "calls" / ".dialplan.toml").write_text(
        'ignore = [\n  "DP304",\n  "DP999",\n  "DP204",\n]\nselect = ["DP3", "DP8"]\nignroe = []\n')
    done = dialplan("check", "--format", "concise", "calls", cwd=repo)
    assert done.returncode == 0, done.stderr
    found = concise(done)
    config = "calls/.dialplan.toml"
    assert found[0].startswith(f"{config}:3:3: warning[DP330]: 'DP999' in 'ignore' is not a "
                               "rule code or prefix"), found
    assert found[1].startswith(f"{config}:4:3: warning[DP330]: 'DP204' in 'ignore' has no "
                               "effect: DP204 is an error, and errors cannot be ignored"), found
    assert found[2].startswith(f"{config}:6:18: warning[DP330]: 'DP8' in 'select'"), found
    assert found[3].startswith(f"{config}:7:1: warning[DP330]: unknown configuration key "
                               "'ignroe'"), found
    assert len(found) == 4  # said once for the two files that use it; DP304 still ignored


def test_ignoring_a_whole_family_of_errors_says_so(repo):
    (repo / "calls" / ".dialplan.toml").write_text('ignore = ["DP2"]\n')
    done = dialplan("check", "--format", "concise", "calls/a.call", cwd=repo)
    assert "calls/.dialplan.toml:1:11: warning[DP330]: 'DP2' in 'ignore' has no effect: " \
           "every DP2xx rule is an error" in done.stdout


def test_bad_codes_in_ignore_comments_are_warnings_at_the_code(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.call").write_text(
        'from "Clinic"  # dialplan: ignore[DP304, DP999]\n'
        'to +306912345678\nsay "Hi." in en-gb  # dialplan: ignore[DP204]\n')
    done = dialplan("check", "--format", "concise", "a.call", cwd=tmp_path)
    assert done.returncode == 1  # DP204 is still an error
    assert concise(done) == [
        "a.call:1:42: warning[DP330]: 'DP999' in this ignore comment is not a rule code "
        "(ignored)",
        "a.call:3:14: error[DP204]: 'en-gb' is not a language Routee speaks",
        "a.call:3:40: warning[DP330]: 'DP204' in this ignore comment has no effect: DP204 is "
        "an error, and errors cannot be ignored (Routee would reject the call)",
    ]


def test_configuration_warnings_can_themselves_be_ignored(repo):
    (repo / "calls" / ".dialplan.toml").write_text('ignore = ["DP330", "DP304"]\nbogus = 1\n')
    done = dialplan("check", "--format", "concise", "calls", cwd=repo)
    assert concise(done) == [], done.stdout


def test_a_value_of_the_wrong_type_is_still_an_error_exit_2(repo):
    (repo / "calls" / ".dialplan.toml").write_text('max-errors = "ten"\n')
    done = dialplan("check", ".", cwd=repo)
    assert done.returncode == 2
    assert "error[DP011]: 'max-errors' must be a whole number" in done.stderr
    assert "--> calls/.dialplan.toml:1:1" in done.stderr
