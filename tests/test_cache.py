"""`dialplan check` remembers files it has checked: a second run over the same
files prints the same and exits the same without checking them again, and any
change to a file, its configuration or dialplan itself is a fresh check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

GOOD = 'from +302101234567\nto +306912345678\nsay "Hello." in en-GB\n'
WARNED = 'from "Clinic"\nto +306912345678\nsay "Hi." in en-US\n'            # DP304
BAD = 'from +302101234567\nto +306912345678\nsay "Hello." in en-gb\n'      # DP204


def dialplan(*args, cwd, env=None):
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    environment.pop("GITHUB_ACTIONS", None)
    return subprocess.run([sys.executable, "-m", "dialplan_compiler", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=300, env=environment)


def entries(folder) -> dict:
    """Every entry remembered in `folder`, by key."""
    found = {}
    for pack in sorted((folder / "v1").glob("pack-*.json")) if (folder / "v1").exists() else []:
        found.update(json.loads(pack.read_text(encoding="utf-8")))
    return found


def listing(folder) -> dict:
    return {p.name: p.stat().st_mtime_ns for p in (folder / "v1").iterdir()}


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    (root / "good.call").write_text(GOOD)
    (root / "warned.call").write_text(WARNED)
    (root / "bad.call").write_text(BAD)
    return root


@pytest.mark.parametrize("output_format", ["text", "concise", "json", "sarif", "github"])
def test_a_cached_run_prints_and_exits_as_the_first(project, tmp_path, output_format):
    cache = tmp_path / "cache"
    first = dialplan("check", "--format", output_format, "--cache-dir", cache, ".", cwd=project)
    assert len(entries(cache)) == 3
    stamps = listing(cache)
    second = dialplan("check", "--format", output_format, "--cache-dir", cache, ".", cwd=project)
    assert (second.returncode, second.stdout, second.stderr) == \
        (first.returncode, first.stdout, first.stderr)
    assert first.returncode == 1
    assert listing(cache) == stamps  # nothing new was found, so nothing was written
    uncached = dialplan("check", "--format", output_format, "--no-cache", ".", cwd=project)
    assert uncached.stdout == first.stdout


def test_the_default_folder_is_in_the_current_directory_and_ignored_by_git(project, tmp_path):
    clean = {k: v for k, v in os.environ.items() if k != "DIALPLAN_CACHE_DIR"}
    done = subprocess.run([sys.executable, "-m", "dialplan_compiler", "check", "good.call"],
                          cwd=project, env=clean, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(entries(project / ".dialplan_cache")) == 1
    assert (project / ".dialplan_cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_no_cache_reads_and_writes_nothing(project, tmp_path):
    cache = tmp_path / "cache"
    dialplan("check", "--no-cache", "--cache-dir", cache, ".", cwd=project)
    assert not cache.exists()


def test_a_changed_file_is_checked_again(project, tmp_path):
    cache = tmp_path / "cache"
    assert dialplan("check", "--cache-dir", cache, "good.call", cwd=project).returncode == 0
    (project / "good.call").write_text(BAD)
    again = dialplan("check", "--cache-dir", cache, "good.call", cwd=project)
    assert again.returncode == 1 and "error[DP204]" in again.stdout


def test_a_changed_configuration_is_a_fresh_check(project, tmp_path):
    cache = tmp_path / "cache"
    assert "DP304" in dialplan("check", "--cache-dir", cache, "warned.call", cwd=project).stdout
    (project / ".dialplan.toml").write_text('ignore = ["DP304"]\n')
    quiet = dialplan("check", "--cache-dir", cache, "warned.call", cwd=project)
    assert "DP304" not in quiet.stdout and "0 warnings" in quiet.stdout
    # warnings-as-errors changes no diagnostic, but the exit code still follows it
    (project / ".dialplan.toml").write_text("warnings-as-errors = true\n")
    assert dialplan("check", "--cache-dir", cache, "warned.call", cwd=project).returncode == 1


def test_another_dialplan_version_does_not_reuse_entries(project, tmp_path):
    cache = tmp_path / "cache"
    dialplan("check", "--cache-dir", cache, "good.call", cwd=project)
    # Python's version is part of the key: the same probe under another
    # "version" of the running interpreter must miss.
    probe = ("import sys, runpy\nsys.version = 'other ' + sys.version\n"
             "sys.argv = ['dialplan', *sys.argv[1:]]\n"
             "runpy.run_module('dialplan_compiler', run_name='__main__')\n")
    subprocess.run([sys.executable, "-c", probe, "check", "--cache-dir", str(cache), "good.call"],
                   cwd=project, check=True, capture_output=True)
    assert len(entries(cache)) == 2


def test_many_packs_are_merged_into_one(project, tmp_path):
    cache = tmp_path / "cache"
    for i in range(9):  # each run finds one new file, so writes one pack
        (project / f"new{i}.call").write_text(GOOD.replace("Hello", f"Hello {i}"))
        dialplan("check", "--cache-dir", cache, f"new{i}.call", cwd=project)
    assert len(list((cache / "v1").glob("pack-*.json"))) == 1
    assert len(entries(cache)) == 9
    stamps = listing(cache)
    done = dialplan("check", "--cache-dir", cache, *(f"new{i}.call" for i in range(9)),
                    cwd=project)
    assert done.returncode == 0 and listing(cache) == stamps  # every one remembered


def test_a_corrupt_entry_is_ignored_and_rewritten(project, tmp_path):
    cache = tmp_path / "cache"
    first = dialplan("check", "--cache-dir", cache, "--format", "concise", ".", cwd=project)
    [pack] = (cache / "v1").glob("pack-*.json")
    keys = list(entries(cache))
    # one entry damaged, the others replaced by entries that are not diagnostics
    pack.write_text(json.dumps({keys[0]: [1, [["DP204", "nonsense"]]], keys[1]: "junk"}))
    again = dialplan("check", "--cache-dir", cache, "--format", "concise", ".", cwd=project)
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
    pack.write_bytes(b'{"' + keys[2].encode() + b'": [1, [["DP2\xff')  # not even JSON
    third = dialplan("check", "--cache-dir", cache, "--format", "concise", ".", cwd=project)
    assert (third.returncode, third.stdout) == (first.returncode, first.stdout)
    assert all(isinstance(entry[1], list) for entry in entries(cache).values() if entry != [])
    stamps = listing(cache)
    fourth = dialplan("check", "--cache-dir", cache, "--format", "concise", ".", cwd=project)
    assert fourth.stdout == first.stdout and listing(cache) == stamps  # all rebuilt


def test_runs_at_the_same_time_share_a_cache_safely(project, tmp_path):
    cache = tmp_path / "cache"
    for i in range(40):
        (project / f"many{i:02}.call").write_text(GOOD.replace("Hello", f"Hello {i}"))
    expected = dialplan("check", "--no-cache", "--format", "concise", ".", cwd=project)
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda _: dialplan("check", "--cache-dir", cache, "--format",
                                                "concise", ".", cwd=project), range(4)))
    for done in runs + [dialplan("check", "--cache-dir", cache, "--format", "concise", ".",
                                 cwd=project)]:
        assert (done.returncode, done.stdout) == (expected.returncode, expected.stdout)
    assert not [p for p in (cache / "v1").iterdir() if p.name.endswith(".tmp")]
    assert len(entries(cache)) == 43  # 3 files and 40 more


def test_a_cache_dir_that_cannot_be_used_is_a_usage_error(project, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = dialplan("check", "--cache-dir", blocker / "cache", "good.call", cwd=project)
    assert done.returncode == 2
    assert done.stderr.startswith(f"dialplan: cannot use the cache folder {blocker / 'cache'}")


def imports_phonenumbers(*args, cwd) -> bool:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "dialplan_compiler",
                           *map(str, args)], cwd=cwd, capture_output=True, text=True)
    return any(line.startswith("import time:") and line.split("|")[-1].strip() == "phonenumbers"
               for line in done.stderr.splitlines())


def test_numbers_judged_before_need_no_phonenumbers_import(project, tmp_path):
    cache = tmp_path / "cache"
    unassigned = GOOD.replace("+306912345678", "+15555550100")  # DP301
    (project / "good.call").write_text(unassigned)
    first = dialplan("check", "--cache-dir", cache, "--format", "concise", "good.call",
                     cwd=project)
    assert "warning[DP301]" in first.stdout
    # The file changes (so it is checked again), its numbers do not.
    (project / "good.call").write_text(unassigned + "pause 1s\n")
    assert not imports_phonenumbers("check", "--cache-dir", cache, "good.call", cwd=project)
    again = dialplan("check", "--cache-dir", cache, "--format", "concise", "good.call",
                     cwd=project)
    assert again.stdout == first.stdout
    assert again.stdout == dialplan("check", "--no-cache", "--format", "concise", "good.call",
                                    cwd=project).stdout
    # A new number is judged by phonenumbers, and a damaged verdict judged again.
    (project / "good.call").write_text(unassigned.replace("+15555550100", "+3021"))
    assert imports_phonenumbers("check", "--cache-dir", cache, "good.call", cwd=project)
    for verdict in (cache / "phones").iterdir():
        verdict.write_text("assigned\n\n")
    damaged = dialplan("check", "--cache-dir", cache, "--format", "concise", "good.call",
                       cwd=project)
    assert "error[DP211]" in damaged.stdout and "DP301" not in damaged.stdout
    assert not [p for p in (cache / "phones").iterdir() if "\n" not in p.read_text()]
