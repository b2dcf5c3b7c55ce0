"""Checking many files at once, on every core.

Each file is independent, so `check_files` hands them to a pool of worker
processes in chunks and collects the reports in the order the files were
given: the output is the same whatever the number of jobs. Small batches
are checked in this process, where a pool would cost more than it saves.
Each file carries its own configuration (the closest to it), and with a
`cache.Cache` a file whose key is remembered is not checked again.
"""

from __future__ import annotations

import os
from .records import record
from typing import TYPE_CHECKING, Callable, Sequence

from .config import Config
from .diagnostics import FileReport

if TYPE_CHECKING:
    from .cache import Cache

#: Below this many files per job a pool's start-up outweighs the work.
MIN_FILES_PER_JOB = 8
#: Files handed to a worker at a time (see _check_all).
CHUNK_FILES = 16


@record
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


Item = tuple[str, str, "bytes | None"]


def _check_one(item: Item, config: Config) -> FileReport | Failure:
    from .compiler import check_source
    from .files import ReadError, read_input, source_text

    path, name, data = item
    try:
        if data is None:
            data = read_input(path)  # at most MAX_INPUT_BYTES: a device would never end
        found = tuple(check_source(data, name, config=config).diagnostics)
        return FileReport(name, source_text(data), found)
    except ReadError as error:
        return Failure(name, str(error), unreadable=True)
    except Exception as error:  # noqa: BLE001 - reported by the caller as an internal error
        return Failure(name, f"{type(error).__name__}: {error}")


def _remembered(item: Item, config: Config, cache: Cache
                ) -> tuple[FileReport | Failure | None, Item, str | None]:
    """The cached report of `item` if there is one, else the item with its
    bytes read and its key, for checking."""
    from .files import ReadError, read_input, source_text

    path, name, data = item
    try:
        if data is None:
            data = read_input(path)
    except ReadError as error:
        return Failure(name, str(error), unreadable=True), item, None
    key = cache.key(data, name, config)
    found = cache.get(key)
    if found is None:
        return None, (path, name, data), key
    return FileReport(name, source_text(data), found), item, key


def _worker(chunk: list[tuple[Item, Config]]) -> list:
    return [_check_one(item, config) for item, config in chunk]


def check_files(items: Sequence[Item], config: Config | Callable[[str], Config], *,
                jobs: int | None = None, cache: Cache | None = None) -> list[FileReport | Failure]:
    """Check `(path, display name, bytes or None to read the path)` items,
    each with `config`, or with `config(path)` when it is a function; the
    results come back in the same order. With a `cache`, files it remembers
    are not checked again, and what is checked is remembered."""
    jobs = jobs or default_jobs()
    results: list[FileReport | Failure | None] = [None] * len(items)
    work: list[tuple[int, Item, Config, str | None]] = []
    for index, item in enumerate(items):
        each = config(item[0]) if callable(config) else config
        key = None
        if cache is not None:
            results[index], item, key = _remembered(item, each, cache)
            if results[index] is not None:
                continue
        work.append((index, item, each, key))
    checked = _check_all([(item, each) for _, item, each, _ in work], jobs)
    for (index, _, _, key), report in zip(work, checked):
        results[index] = report
        if key is not None and isinstance(report, FileReport):
            cache.put(key, report.diagnostics)
    if cache is not None:
        cache.save()
    return results  # type: ignore[return-value] - every slot is filled by now


def _check_all(tasks: list[tuple[Item, Config]], jobs: int) -> list[FileReport | Failure]:
    if jobs <= 1 or len(tasks) < MIN_FILES_PER_JOB * 2:
        return _worker(tasks)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from . import compiler  # noqa: F401 - imported once here, not once per forked worker

    # Small chunks, taken by whichever worker is free: cores of a shared
    # machine run at different speeds, and with a few big chunks the run
    # waits for the slowest core's last one. A chunk of CHUNK_FILES costs
    # tens of milliseconds, and passing it a fraction of one.
    size = max(1, min(CHUNK_FILES, len(tasks) // (jobs * 4)))
    chunks = [tasks[i:i + size] for i in range(0, len(tasks), size)]
    # fork: the workers start with everything already imported.
    context = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        results = pool.map(_worker, chunks)
        return [report for chunk in results for report in chunk]
