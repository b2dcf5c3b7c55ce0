"""Checking many files in parallel gives exactly the sequential result."""

from __future__ import annotations

from click.testing import CliRunner

from dialplan_compiler import batch, cli
from dialplan_compiler.config import Config

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


def test_large_batches_are_checked_in_worker_processes(tmp_path, monkeypatch):
    import os

    from dialplan_compiler.diagnostics import FileReport

    root = _tree(tmp_path, 40)
    items = [(str(p), str(p), None) for p in sorted(root.rglob("*.call"))]

    def report_pid(item, config):
        return FileReport(str(os.getpid()), None, ())

    # Workers are forked after this patch, so they inherit it.
    monkeypatch.setattr(batch, "_check_one", report_pid)
    parallel = {r.path for r in batch.check_files(items, Config(), jobs=2)}
    assert str(os.getpid()) not in parallel and len(parallel) >= 1
    sequential = {r.path for r in batch.check_files(items, Config(), jobs=1)}
    assert sequential == {str(os.getpid())}


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
