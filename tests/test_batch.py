"""Checking many files in parallel gives exactly the sequential result."""

from __future__ import annotations

import os
import time

import pytest
from click.testing import CliRunner

from dialplan_compiler import batch, cli
from dialplan_compiler.config import Config
from dialplan_compiler.diagnostics import FileReport

SOURCES = [
    'from +302101234567\nto +306912345678\nsay "Hello {n}." in en-GB\n',
    'sya "x"\nsay "x" in en-gb\n',
    'play "https://cdn.example.com/a.mp3"\n',
    'say "unterminated\n}\n',
]


def _tree(tmp_path, count):
    for i in range(count):
        folder = tmp_path / f"d{i % 7}"
        folder.mkdir(exist_ok=True)
        (folder / f"f{i:03}.call").write_text(SOURCES[i % len(SOURCES)])
    return tmp_path


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


def test_parallel_output_is_identical_and_in_order(tmp_path):
    root = _tree(tmp_path, 60)
    one = run("check", "--no-cache", "--jobs", "1", "--format", "concise", root)
    two = run("check", "--no-cache", "--jobs", "2", "--format", "concise", root)
    assert one.exit_code == two.exit_code == 1
    assert one.output == two.output
    files = [line.split(":")[0] for line in one.output.splitlines()[:-1]]
    assert files == sorted(files)  # directory order, file by file
    assert one.output.splitlines()[-1] == "60 errors, 15 warnings in 60 files"


def _items(root):
    return [(str(p), str(p), None) for p in sorted(root.rglob("*.call"))]


def _slow_check_naming_its_process(item, config):
    # Slow enough that every process gets chunks to check.
    time.sleep(0.01)
    return FileReport(item[1], str(os.getpid()), ())


def test_large_batches_are_checked_here_and_in_forked_processes(tmp_path, monkeypatch):
    items = _items(_tree(tmp_path, 40))
    # Forked processes inherit this patch.
    monkeypatch.setattr(batch, "_check_one", _slow_check_naming_its_process)
    parallel = batch.check_files(items, Config(), jobs=2)
    assert [r.path for r in parallel] == [name for _, name, _ in items]
    processes = {r.source for r in parallel}
    assert str(os.getpid()) in processes and len(processes) == 2
    sequential = batch.check_files(items, Config(), jobs=1)
    assert {r.source for r in sequential} == {str(os.getpid())}


def test_the_chunks_of_a_process_that_died_are_checked_here(tmp_path, monkeypatch):
    (tmp_path / "calls").mkdir()
    items = _items(_tree(tmp_path / "calls", 40))
    here = os.getpid()
    died = tmp_path / "died"

    def die_when_forked(item, config):
        if os.getpid() != here:
            died.write_text(item[1])
            os._exit(9)
        return _slow_check_naming_its_process(item, config)

    monkeypatch.setattr(batch, "_check_one", die_when_forked)
    reports = batch.check_files(items, Config(), jobs=2)
    assert died.exists()  # the forked process did take a chunk
    assert [r.path for r in reports] == [name for _, name, _ in items]
    assert {r.source for r in reports} == {str(here)}


def test_an_interrupted_check_stops_the_forked_processes(tmp_path, monkeypatch):
    items = _items(_tree(tmp_path, 40))
    here = os.getpid()
    forked = []

    def fork():
        pid = real_fork()
        if pid:
            forked.append(pid)
        return pid

    def interrupted_here(item, config):
        if os.getpid() == here:
            raise KeyboardInterrupt
        return _slow_check_naming_its_process(item, config)

    real_fork = os.fork
    monkeypatch.setattr(os, "fork", fork)
    monkeypatch.setattr(batch, "_check_one", interrupted_here)
    with pytest.raises(KeyboardInterrupt):
        batch.check_files(items, Config(), jobs=3)
    assert len(forked) == 2
    for pid in forked:  # stopped and reaped: no process is left behind
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_without_fork_a_pool_gives_the_same_reports(tmp_path):
    items = _items(_tree(tmp_path, 20))
    chunks = [[(item, Config())] for item in items]
    pooled = batch._check_in_pool(chunks, 2)
    assert pooled == batch.check_files(items, Config(), jobs=1)
    assert sum(len(r.diagnostics) for r in pooled) > 0


def test_a_crash_in_a_worker_is_an_internal_error_naming_the_file(tmp_path, monkeypatch):
    root = _tree(tmp_path, 40)
    from dialplan_compiler import compiler

    real = compiler.check_source

    def broken(data, name, **kwargs):
        if name.endswith("f013.call"):
            raise RuntimeError("boom")
        return real(data, name, **kwargs)

    # Workers are forked after this patch, so they inherit it.
    monkeypatch.setattr(compiler, "check_source", broken)
    result = run("check", "--jobs", "2", root)
    assert result.exit_code == 3
    assert "internal error while checking" in result.output
    assert "f013.call: RuntimeError: boom" in result.output
