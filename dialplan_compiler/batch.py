"""Checking many files at once, on every core.

Each file is independent, so `check_files` splits them in chunks, checks
them in this process and in forked ones, and collects the reports in the
order the files were given: the output is the same whatever the number of
jobs. Small batches are checked in this process alone, where forking would
cost more than it saves.
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
    are not checked again, and what is checked is remembered. More than one
    job forks this process: a caller that runs threads passes `jobs=1`."""
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
    # Small chunks, taken by whichever process is free: cores of a shared
    # machine run at different speeds, and with a few big chunks the run
    # waits for the slowest core's last one. A chunk of CHUNK_FILES costs
    # tens of milliseconds, and passing it a fraction of one.
    size = max(1, min(CHUNK_FILES, len(tasks) // (jobs * 4)), -(-len(tasks) // MAX_CHUNKS))
    chunks = [tasks[i:i + size] for i in range(0, len(tasks), size)]
    if hasattr(os, "fork"):
        return _check_forked(chunks, jobs)
    return _check_in_pool(chunks, jobs)


#: The most chunks of one run: all their numbers are written to a pipe
#: before anyone reads, so they must fit in its buffer (16 KiB on macOS).
MAX_CHUNKS = 4096
_NUMBER_BYTES = 4


def _check_forked(chunks: list[list[tuple[Item, Config]]], jobs: int
                  ) -> list[FileReport | Failure]:
    """Check `chunks` here and in `jobs - 1` forked processes.

    The chunks' numbers wait in a pipe, and each process reads the next one
    when it is free: a read of a few bytes from a pipe is atomic, so no two
    processes take the same chunk, and an empty pipe ends the loop. A forked
    process inherits the chunks and everything imported, and writes what it
    checked, pickled, once the pipe is empty. This process checks chunks too
    instead of managing a pool: on 2 cores a pool's third busy process (its
    manager threads, the results it unpickles as they arrive, the
    concurrent.futures import) took what the second worker gained
    (measured in docs/performance.md). A chunk whose results never arrive
    (its process was killed) is checked here at the end."""
    import pickle

    from . import compiler  # noqa: F401 - imported once here, not once per forked process

    numbers, numbers_writer = os.pipe()
    os.write(numbers_writer, b"".join(n.to_bytes(_NUMBER_BYTES, "little")
                                      for n in range(len(chunks))))
    os.close(numbers_writer)  # so that a read of the empty pipe ends, not waits
    running: list[tuple[int, int]] = []  # (pid, read end of its results)
    done: dict[int, list] = {}
    try:
        for _ in range(jobs - 1):
            results, results_writer = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the forked process never returns
                os.close(results)
                _forked_checker(chunks, numbers, results_writer)
            os.close(results_writer)  # before the next fork, which must not inherit it
            running.append((pid, results))
        done.update(_take_chunks(chunks, numbers))
        while running:
            pid, results = running[0]
            data = b"".join(iter(lambda: os.read(results, 1 << 16), b""))
            running.pop(0)
            os.close(results)
            os.waitpid(pid, 0)
            try:
                done.update(pickle.loads(data))
            except Exception:  # noqa: BLE001 - cut short: its chunks are checked below
                pass
    finally:
        os.close(numbers)
        if running:  # this process was interrupted: stop the others
            import signal

            for pid, results in running:
                os.kill(pid, signal.SIGKILL)
                os.close(results)
                os.waitpid(pid, 0)
    return [report for number, chunk in enumerate(chunks)
            for report in (done[number] if number in done else _worker(chunk))]


def _take_chunks(chunks: list[list[tuple[Item, Config]]], numbers: int) -> dict[int, list]:
    done = {}
    while taken := os.read(numbers, _NUMBER_BYTES):
        number = int.from_bytes(taken, "little")
        done[number] = _worker(chunks[number])
    return done


def _forked_checker(chunks: list[list[tuple[Item, Config]]], numbers: int,
                    results: int) -> None:  # pragma: no cover - runs in the forked process
    import pickle

    code = 1
    try:
        data = pickle.dumps(_take_chunks(chunks, numbers), pickle.HIGHEST_PROTOCOL)
        with os.fdopen(results, "wb") as stream:
            stream.write(data)
        code = 0
    finally:
        # Not sys.exit: the forked process must not run the parent's exit
        # handlers or flush its copy of the parent's buffered output.
        os._exit(code)


def _check_in_pool(chunks: list[list[tuple[Item, Config]]], jobs: int
                   ) -> list[FileReport | Failure]:
    """Where there is no fork (Windows): a pool of new processes, which
    import the package again."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return [report for chunk in pool.map(_worker, chunks) for report in chunk]
