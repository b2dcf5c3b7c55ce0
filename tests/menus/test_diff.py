"""`dialplan diff`: what a change does to callers, per path.

tests/menus/golden_diff/CASE/ holds an old.call, a new.call and the text
`dialplan diff old.call new.call` prints (expected.txt). Regenerate them
after an intended change with `DIALPLAN_UPDATE_GOLDEN=1 pytest
tests/menus/test_diff.py` and review the diff."""

from __future__ import annotations

import json
import os
import shutil
import sys
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft7Validator

from dialplan_compiler.cli import main
from dialplan_compiler.formatter import format_source
from dialplan_compiler.menus.diff import (ADDED, CHANGED, REMOVED, DiffError, diff_git,
                                          diff_sources, render)
from test_menu_properties import programs

from helpers import EXAMPLE_VARIABLES, EXAMPLES

GOLDEN = Path(__file__).resolve().parent / "golden_diff"
SARIF = Draft7Validator(json.loads(
    (Path(__file__).resolve().parent.parent / "data" / "sarif-schema-2.1.0.json")
    .read_text(encoding="utf-8")), format_checker=Draft7Validator.FORMAT_CHECKER)

#: Each golden case and the exit code of `dialplan diff` on it.
CASES = {"text-change": 1, "removed-branch": 1, "removed-choice": 1,
         "reordered-options": 0, "formatting-only": 0}


def diff(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, ["diff", *args], env=env)


def case(name: str) -> tuple[str, str]:
    folder = GOLDEN / name
    return ((folder / "old.call").read_text(encoding="utf-8"),
            (folder / "new.call").read_text(encoding="utf-8"))


# --- golden cases ---------------------------------------------------------------------

def test_every_case_has_a_golden_folder():
    assert sorted(CASES) == sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_matches_its_golden_text(name, monkeypatch):
    monkeypatch.chdir(GOLDEN / name)
    result = diff("old.call", "new.call", "--format", "text")
    assert result.exit_code == CASES[name], result.output
    golden = GOLDEN / name / "expected.txt"
    if os.environ.get("DIALPLAN_UPDATE_GOLDEN"):
        golden.write_text(result.output, encoding="utf-8")
    assert result.output == golden.read_text(encoding="utf-8")


def test_a_text_change_is_a_changed_line_at_its_say():
    old, new = case("text-change")
    result = diff_sources(old, "old.call", new, "new.call")
    by_label = {p.label: p for p in result.paths}
    confirm = by_label["--press 1"]
    assert confirm.status == CHANGED
    [line] = confirm.lines
    assert (line.change, line.old, line.new) == (
        CHANGED, "caller hears (en-GB, female): Thank you. See you on Monday.",
        "caller hears (en-GB, female): Thank you. See you on Monday at ten.")
    # The say of `on 1`, line 5 of new.call, column 10.
    assert (line.span.file, line.span.line, line.span.column) == ("new.call", 5, 10)
    assert confirm.duration_changed


def test_a_wait_that_changes_only_the_time_is_placed_at_the_wait():
    old, new = case("text-change")
    result = diff_sources(old, "old.call", new, "new.call")
    cancel = {p.label: p for p in result.paths}["--press 2"]
    assert cancel.lines == () and cancel.old == cancel.new
    assert cancel.old_duration != cancel.new_duration
    # `wait 8s` in line 3: the silence the caller presses 2 in is 2 s longer.
    assert cancel.new_duration[1] - cancel.old_duration[1] == pytest.approx(2)
    assert (cancel.span.line, cancel.span.column) == (3, 48)


def test_a_removed_menu_removes_the_paths_through_it():
    old, new = case("removed-branch")
    result = diff_sources(old, "old.call", new, "new.call")
    statuses = {p.label: p.status for p in result.paths}
    assert statuses["--press 2"] == CHANGED
    assert statuses["--press 2 --press 1"] == REMOVED
    removed = {p.label: p for p in result.paths}["--press 2 --press 1"]
    assert removed.new_duration is None and removed.old_duration is not None
    assert "caller hears (en-GB, female): Billing is closed today." in removed.old
    # What the caller hears instead, from the `say` in `on 2`.
    assert removed.span.line == 10
    assert ADDED not in statuses.values()


def test_the_same_change_backwards_adds_the_paths():
    old, new = case("removed-branch")
    result = diff_sources(new, "new.call", old, "old.call")
    statuses = {p.label: p.status for p in result.paths}
    assert statuses["--press 2 --press 1"] == ADDED
    assert REMOVED not in statuses.values()


def test_a_file_that_appears_adds_every_path():
    _, new = case("text-change")
    result = diff_sources(None, None, new, "new.call")
    assert result.paths and {p.status for p in result.paths} == {ADDED}
    assert all(p.old == () and p.old_duration is None for p in result.paths)


# --- formats ----------------------------------------------------------------------------

def test_json_lists_each_path_with_its_lines(monkeypatch):
    monkeypatch.chdir(GOLDEN / "text-change")
    result = diff("old.call", "new.call", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert document["version"] == 1 and document["identical"] is False
    [file] = document["files"]
    assert (file["old"], file["new"], file["identical"]) == ("old.call", "new.call", False)
    confirm = next(p for p in file["paths"] if p["path"] == "--press 1")
    assert confirm["presses"] == ["1"] and confirm["status"] == "changed"
    assert confirm["lines"][0]["line"] == 5
    assert confirm["duration"]["changed"] is True
    assert set(confirm["duration"]["old"]) == {"min", "max"}


def test_json_of_an_identical_pair_says_so(monkeypatch):
    monkeypatch.chdir(GOLDEN / "formatting-only")
    result = diff("old.call", "new.call", "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert document["identical"] is True and document["files"][0]["paths"] == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_sarif_validates_against_the_schema(name, monkeypatch):
    monkeypatch.chdir(GOLDEN / name)
    result = diff("old.call", "new.call", "--format", "sarif")
    log = json.loads(result.output)
    errors = list(SARIF.iter_errors(log))
    assert not errors, [e.message for e in errors]
    results = log["runs"][0]["results"]
    assert bool(results) == bool(CASES[name])  # a note per path, none when identical
    for item in results:
        location = item["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "new.call"
        assert location["region"]["startLine"] >= 1
        assert item["ruleId"] in {r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]}


def test_github_annotates_the_changed_line_of_new(monkeypatch):
    monkeypatch.chdir(GOLDEN / "text-change")
    result = diff("old.call", "new.call", "--format", "github")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines and all(line.startswith("::notice file=new.call,line=") for line in lines)
    first = next(line for line in lines if "::--press 1:" in line)
    assert first.startswith("::notice file=new.call,line=5,col=10,")
    assert "See you on Monday at ten." in first


def test_github_is_the_default_under_github_actions(monkeypatch):
    monkeypatch.chdir(GOLDEN / "text-change")
    result = diff("old.call", "new.call", env={"GITHUB_ACTIONS": "true"})
    assert result.output.startswith("::notice ")


def test_render_refuses_an_unknown_format():
    old, new = case("text-change")
    from dialplan_compiler.menus.diff import DiffResult

    with pytest.raises(ValueError):
        render(DiffResult((diff_sources(old, "a", new, "b"),)), "xml", "1")


# --- bad input ---------------------------------------------------------------------------

def test_a_version_with_errors_exits_2_with_its_diagnostics(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("old.call").write_text('say "Hi" in en-GB\n', encoding="utf-8")
    Path("new.call").write_text('say "Hi" in en-gb\n', encoding="utf-8")
    result = diff("old.call", "new.call")
    assert result.exit_code == 2
    assert "error[DP204]" in result.output and "new.call:1:13" in result.output


def test_a_missing_file_exits_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("old.call").write_text('say "Hi" in en-GB\n', encoding="utf-8")
    result = diff("old.call", "nowhere.call")
    assert result.exit_code == 2
    assert "nowhere.call" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("args", [["one.call"], ["a.call", "b.call", "c.call"],
                                  ["a.call", "b.call", "--git", "HEAD"], ["-", "-"]])
def test_wrong_arguments_are_a_usage_error(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = diff(*args)
    assert result.exit_code == 2, result.output


def test_one_version_can_come_from_standard_input(monkeypatch):
    monkeypatch.chdir(GOLDEN / "text-change")
    old, _ = case("text-change")
    result = CliRunner().invoke(main, ["diff", "-", "new.call"], input=old)
    assert result.exit_code == 1
    assert result.output.startswith("<stdin> → new.call: 7 of 7 paths differ")


def test_scripts_without_menus_are_diffed_too():
    result = diff_sources('say "Hello." in en-GB\npause 2s\n', "a.call",
                          'say "Hello there." in en-GB\npause 2s\n', "b.call")
    [path] = result.paths
    assert path.label == "(no presses)"
    assert [line.change for line in path.lines] == [CHANGED]
    assert (path.span.line, path.span.column) == (1, 1)


# --- --git --------------------------------------------------------------------------------

def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
                        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.fail("the --git tests need the git executable")
    old, _ = case("text-change")
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "calls").mkdir()
    (tmp_path / "calls" / "confirm.call").write_text(old, encoding="utf-8")
    (tmp_path / "calls" / "gone.call").write_text('say "Bye." in en-GB\n', encoding="utf-8")
    (tmp_path / "calls" / "same.call").write_text(case("formatting-only")[0], encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a script\n", encoding="utf-8")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


def test_git_compares_each_changed_call_file_with_its_version_at_ref(repo, monkeypatch):
    _, new = case("text-change")
    (repo / "calls" / "confirm.call").write_text(new, encoding="utf-8")
    (repo / "calls" / "gone.call").unlink()
    (repo / "calls" / "fresh.call").write_text('say "New." in en-GB\n', encoding="utf-8")
    (repo / "calls" / "same.call").write_text(case("formatting-only")[1], encoding="utf-8")
    (repo / "notes.txt").write_text("changed\n", encoding="utf-8")
    monkeypatch.chdir(repo / "calls")  # names are still relative to the root
    result = diff("--git", "HEAD", "--format", "json")
    assert result.exit_code == 1, result.output
    files = {(f["old"], f["new"]): f for f in json.loads(result.output)["files"]}
    assert set(files) == {("calls/confirm.call", "calls/confirm.call"),
                          (None, "calls/fresh.call"), ("calls/gone.call", None),
                          ("calls/same.call", "calls/same.call")}
    assert files[("calls/same.call", "calls/same.call")]["identical"] is True
    assert {p["status"] for p in files[(None, "calls/fresh.call")]["paths"]} == {"added"}
    gone = files[("calls/gone.call", None)]["paths"]
    assert {p["status"] for p in gone} == {"removed"}
    assert {(p["file"], p["line"]) for p in gone} == {("calls/gone.call", 1)}
    confirm = files[("calls/confirm.call", "calls/confirm.call")]
    assert any(line["new"] == "caller hears (en-GB, female): Thank you. See you on Monday "
                              "at ten." and line["line"] == 5
               for path in confirm["paths"] for line in path["lines"])


def test_git_with_only_layout_changes_exits_0(repo, monkeypatch):
    (repo / "calls" / "same.call").write_text(case("formatting-only")[1], encoding="utf-8")
    monkeypatch.chdir(repo)
    result = diff("--git", "HEAD")
    assert result.exit_code == 0, result.output
    assert result.output == "calls/same.call: the caller hears the same on all 7 paths\n"


def test_git_with_nothing_changed_says_so(repo, monkeypatch):
    monkeypatch.chdir(repo)
    result = diff("--git", "HEAD")
    assert (result.exit_code, result.output) == (0, "no .call file changed\n")


def test_git_against_an_earlier_commit(repo):
    _, new = case("text-change")
    (repo / "calls" / "confirm.call").write_text(new, encoding="utf-8")
    git(repo, "commit", "-q", "-am", "second")
    assert diff_git("HEAD", cwd=str(repo)).identical
    changed = diff_git("HEAD~1", cwd=str(repo))
    assert [f.name for f in changed.files] == ["calls/confirm.call"]
    assert not changed.identical


@pytest.mark.parametrize("ref", ["no-such-branch", "--output=x"])
def test_git_with_a_bad_ref_exits_2(repo, monkeypatch, ref):
    monkeypatch.chdir(repo)
    result = diff("--git", ref)
    assert result.exit_code == 2
    assert result.output.startswith("dialplan: ") and "Traceback" not in result.output
    with pytest.raises(DiffError):
        diff_git(ref, cwd=str(repo))


def test_git_outside_a_repository_exits_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    result = diff("--git", "HEAD")
    assert result.exit_code == 2 and "git" in result.output


def test_git_reports_a_broken_new_version_with_its_diagnostics(repo, monkeypatch):
    (repo / "calls" / "confirm.call").write_text('say "Hi" in en-gb\n', encoding="utf-8")
    monkeypatch.chdir(repo)
    result = diff("--git", "HEAD")
    assert result.exit_code == 2
    assert "error[DP204]" in result.output and "calls/confirm.call:1:13" in result.output


# --- properties ------------------------------------------------------------------------------

PROPERTIES = settings(max_examples=40, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])


@PROPERTIES
@given(programs())
def test_a_script_diffed_with_itself_is_identical(source):
    assert diff_sources(source, "a.call", source, "a.call").identical


@PROPERTIES
@given(programs())
def test_a_script_diffed_with_its_formatted_self_is_identical(source):
    formatted = format_source(source, "a.call")
    assert formatted.text is not None
    result = diff_sources(source, "a.call", formatted.text, "a.call")
    assert result.identical, [p.summary() for p in result.paths]


def test_a_hosted_plan_has_no_call_to_diff(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(EXAMPLES / "hosted-plan.call", "a.call")
    result = diff("a.call", "a.call")
    assert result.exit_code == 2
    assert "plan url" in result.output and "Traceback" not in result.output


SIMULATED = [p for p in sorted(EXAMPLES.glob("**/*.call")) if p.stem != "hosted-plan"]


@pytest.mark.parametrize("example", SIMULATED, ids=lambda p: p.stem)
def test_every_example_is_identical_to_itself_and_to_its_formatted_self(example):
    text = example.read_text(encoding="utf-8")
    variables = EXAMPLE_VARIABLES.get(example.stem)
    result = diff_sources(text, example.name, text, example.name, variables=variables)
    assert result.identical
    assert result.compared >= 1
    formatted = format_source(text, example.name).text
    assert diff_sources(text, example.name, formatted, example.name,
                        variables=variables).identical


# --- the documentation ---------------------------------------------------------------------

def console_blocks(text: str) -> list[list[tuple[str, str]]]:
    """Each ```console block of a page as (command, expected output) pairs."""
    blocks = []
    for block in text.split("```console\n")[1:]:
        pairs: list[tuple[str, str]] = []
        for line in block.split("\n```", 1)[0].splitlines():
            if line.startswith("$ "):
                pairs.append((line[2:], ""))
            elif pairs:
                pairs[-1] = (pairs[-1][0], pairs[-1][1] + line + "\n")
        blocks.append(pairs)
    return blocks


def test_reviewing_md_shows_what_the_commands_print():
    """Every console block of docs/reviewing.md, run as written from the
    root of the clone (a `cd` carries over within the page)."""
    root = GOLDEN.parents[2]
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
           "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    cwd, last = root, 0
    blocks = console_blocks((root / "docs" / "reviewing.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 3
    for pairs in blocks:
        for command, expected in pairs:
            if command.startswith("cd "):
                cwd = (cwd / command[3:]).resolve()
                continue
            if command == "echo $?":
                assert f"{last}\n" == expected, command
                continue
            done = subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True,
                                  text=True)
            last = done.returncode
            assert done.stdout == expected, command
