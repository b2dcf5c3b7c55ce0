"""Checking many files at once, on every core.

Each file is independent, so `check_files` hands them to a pool of worker
processes in chunks and collects the reports in the order the files were
given: the output is the same whatever the number of jobs. Small batches
are checked in this process, where a pool would cost more than it saves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Sequence

from .config import Config
from .diagnostics import FileReport

#: Below this many files per job a pool's start-up outweighs the work.
MIN_FILES_PER_JOB = 8


@dataclass(frozen=True)
class Failure:
    """A file that could not be checked: unreadable (a usage problem; `error`
    is then `cannot read PATH: reason`), or its check raised (a bug in
    dialplan, not in the file)."""

    name: str
    error: str
    unreadable: bool = False


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _check_one(item: tuple[str, str, bytes | None], config: Config) -> FileReport | Failure:
    from .compiler import check_source
    from .files import ReadError, read_input, source_text

    path, name, data = item
    try:
        if data is None:
            data = read_input(path)  # at most MAX_INPUT_BYTES: a device would never end
        result = check_source(data, name, config=config)
        return FileReport(name, source_text(data), tuple(result.diagnostics))
    except ReadError as error:
        return Failure(name, str(error), unreadable=True)
    except Exception as error:  # noqa: BLE001 - reported by the caller as an internal error
        return Failure(name, f"{type(error).__name__}: {error}")


def _worker(chunk: list[tuple[str, str, bytes | None]], config: Config) -> list:
    return [_check_one(item, config) for item in chunk]


def check_files(items: Sequence[tuple[str, str, bytes | None]], config: Config, *,
                jobs: int | None = None) -> list[FileReport | Failure]:
    """Check `(path, display name, bytes or None to read the path)` items;
    the results come back in the same order."""
    jobs = jobs or default_jobs()
    if jobs <= 1 or len(items) < MIN_FILES_PER_JOB * 2:
        return [_check_one(item, config) for item in items]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # A few chunks per worker balances the load without paying for a task per file.
    size = max(1, len(items) // (jobs * 4))
    chunks = [list(items[i:i + size]) for i in range(0, len(items), size)]
    # fork: the workers start with everything already imported.
    context = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        results = pool.map(_worker, chunks, [config] * len(chunks))
        return [report for chunk in results for report in chunk]
