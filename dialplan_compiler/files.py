"""Reading inputs and writing outputs: every command that touches a file
the user named goes through here.

Writing. A regular file (or a path where nothing exists yet) is replaced
atomically: the bytes go to a temporary file in the same folder, which is
flushed to disk and then renamed over the target, so that a reader never
sees half a file and a failed write leaves the old one whole. Anything else
is written in place, never renamed over: `-o /dev/null` or `-o /dev/stdout`
names a device or a pipe that belongs to someone else, and a rename would
put a regular file where it was (as root, in place of the machine's
/dev/null). A FIFO is written as a shell's `>` writes it; `-` is standard
output. A symbolic link to a regular file is followed: its target is
replaced and the link stays a link.

Modes. An existing file keeps its mode (and, where allowed, its owner).
A new file gets what `open` would give it, 0o666 less the umask (0644 under
the usual 022): the temporary file is created with that mode by the kernel,
which applies the umask itself (tempfile.mkstemp would make it 0600, and
reading the umask means setting it, for every thread of the process).
`private=True` makes the file 0600, new or not, for what others must not
read.

Reading. A file is read whole, but at most MAX_INPUT_BYTES of it: a name
may be a device (`check /dev/zero` would read until memory runs out) or a
FIFO that never ends. A directory walk takes only regular files, as a FIFO
found there would block the walk until someone writes to it, and reports a
folder it cannot list instead of passing over its files in silence.

This module is on the path of every `check`: it imports nothing costly.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from typing import Iterable

from .text import decode_lenient
from .errors import DialplanError

#: The largest input read (a script or a JSON payload is a few kilobytes;
#: more than this is a device, a runaway pipe or the wrong file).
MAX_INPUT_BYTES = 64 * 1024 * 1024



class ReadError(DialplanError, OSError):
    """An input that cannot be read; str() is `cannot read PATH: reason`."""

    def __str__(self) -> str:
        return f"cannot read {self.filename}: {self.strerror}"


class WriteError(DialplanError, OSError):
    """An output that cannot be written; str() is `cannot write PATH: reason`.
    Nothing was left behind: no temporary file, no half-replaced target."""

    def __str__(self) -> str:
        return f"cannot write {self.filename}: {self.strerror}"


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


# --- reading ---------------------------------------------------------------------------

def read_input(path: str | os.PathLike, *, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of `path` (`-`: standard input), or ReadError when it cannot
    be read or holds more than `limit` bytes."""
    name = os.fspath(path)
    try:
        if name == "-":
            data = _read_at_most(sys.stdin.buffer, limit + 1)
        else:
            with open(name, "rb", buffering=0) as handle:
                info = os.fstat(handle.fileno())
                size = info.st_size if stat.S_ISREG(info.st_mode) else 0
                data = _read_at_most(handle, limit + 1, min(size, limit))
    except OSError as error:
        raise ReadError(error.errno, _reason(error), _display(name)) from None
    if len(data) > limit:
        raise ReadError(errno.EFBIG, f"too large (more than {_size(limit)}; is it the right "
                                     "file?)", _display(name))
    return data


def _read_at_most(handle, count: int, size: int = 0) -> bytes:
    """Up to `count` bytes, in pieces: asking for all `count` at once would
    allocate that much for every small file. `size`, a regular file's, makes
    one piece enough; a device or a pipe is read in growing pieces."""
    parts: list[bytes] = []
    total = 0
    piece = size + 1 if size else 64 * 1024
    while total < count:
        chunk = handle.read(min(piece, count - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
        piece = min(piece * 2, 8 * 1024 * 1024)
    return b"".join(parts)


def source_text(data: bytes) -> str:
    """Bytes as text to show diagnostics against: UTF-8 without its BOM, an
    undecodable byte shown as U+FFFD (whether the bytes are valid is the
    checker's to say, with a diagnostic)."""
    return decode_lenient(data)


def collect_inputs(paths: Iterable[str], pattern: str) -> list[str]:
    """The paths given, and the regular files matching `pattern` below the
    directories given, in a stable order (by the names of the folders under
    the one given, then the file's). A folder that cannot be listed is a
    ReadError. (os and fnmatch rather than pathlib: this is on the path of
    every check, and pathlib's import costs more than a small check.)"""
    files: list[str] = []
    for raw in paths:
        if raw != "-" and os.path.isdir(raw):
            files.extend(path for _, path in sorted(_walk(raw, pattern)))
        else:
            files.append(raw)  # named outright: read whatever it is
    return files


def _walk(top: str, pattern: str) -> list[tuple[tuple[str, ...], str]]:
    """(the folder names from `top` and the file's name, the path) of each
    file below `top` that a walk takes, as os.walk would find them: symbolic
    links to folders are not followed. One scandir per folder: its entries
    already know which are folders and regular files, where os.walk and a
    stat of each file would ask the file system twice per file."""
    import fnmatch

    found = []
    pending: list[tuple[str, tuple[str, ...]]] = [(top, ())]
    while pending:
        folder, parts = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as error:
            raise ReadError(error.errno, _reason(error), error.filename) from None
        for entry in entries:
            if _is_folder(entry):
                if not entry.is_symlink():
                    pending.append((entry.path, parts + (entry.name,)))
            elif fnmatch.fnmatch(entry.name, pattern) and _walk_takes(entry):
                found.append((parts + (entry.name,), entry.path))
    return found


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # as os.walk: what cannot be looked at is not a folder
        return False


def _walk_takes(entry: os.DirEntry) -> bool:
    """A file found in a walk is read if it is a regular file (through a
    symbolic link too). One that cannot even be looked at is taken, so that
    reading it reports why."""
    try:
        if entry.is_file():
            return True
        return stat.S_ISREG(os.stat(entry.path).st_mode)
    except OSError:
        return True


# --- writing ---------------------------------------------------------------------------

def write_output(path: str | os.PathLike, data: str | bytes, *, private: bool = False) -> None:
    """Write `data` (text is written as UTF-8) to `path`, `-` being standard
    output: a regular file atomically, anything else in place (see the
    module's docstring). Raises WriteError, having left nothing behind."""
    name = os.fspath(path)
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError:
            raise WriteError(errno.EILSEQ, "the text holds a lone surrogate, which UTF-8 "
                                           "cannot encode", name) from None
    if name == "-":
        _write_stdout(data)
        return
    try:
        info = os.stat(name)  # through symbolic links
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise WriteError(error.errno, _reason(error), name) from None
    if info is None:
        if os.path.islink(name):  # a dangling link: create its target, as `>` would
            _write_in_place(name, data, private)
        else:
            _replace_atomically(name, data, mode=0o600 if private else 0o666, keep=None)
    elif not stat.S_ISREG(info.st_mode):
        _write_in_place(name, data, private)
    else:
        target = _resolved(name, info)
        if target is None:
            _write_in_place(name, data, private)
        else:
            mode = 0o600 if private else stat.S_IMODE(info.st_mode)
            _replace_atomically(target, data, mode=mode, keep=info, shown=name)


def _resolved(name: str, info: os.stat_result) -> str | None:
    """The file to replace for `name`: itself, or the regular file its link
    leads to; None if that cannot be named (a link such as /dev/stdout goes
    through /proc/self/fd, whose links name things no path reaches)."""
    if not os.path.islink(name):
        return name
    target = os.path.realpath(name)
    try:
        return target if os.path.samestat(os.stat(target), info) else None
    except OSError:
        return None


def _write_stdout(data: bytes) -> None:
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except OSError as error:
        raise WriteError(error.errno, _reason(error), "<stdout>") from None


def _write_in_place(name: str, data: bytes, private: bool) -> None:
    """Open and write, as a shell's `>` does: for a device or a FIFO, whose
    node must stay what it is (O_TRUNC means nothing to them)."""
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0),
                     0o600 if private else 0o666)
        with open(fd, "wb", closefd=True) as handle:
            handle.write(data)
    except OSError as error:
        raise WriteError(error.errno, _reason(error), name) from None


def _replace_atomically(target: str, data: bytes, *, mode: int, keep: os.stat_result | None,
                        shown: str | None = None) -> None:
    """Write a temporary file beside `target`, flush it to disk, rename it
    over `target`. A new file is created with `mode` (the kernel takes the
    umask off); an existing one (`keep`) gets its owner back, and `mode`."""
    folder = os.path.dirname(os.path.abspath(target))
    base = os.path.basename(target)
    tmp = None
    try:
        fd, tmp = _create_beside(folder, base, mode if keep is None else 0o600)
        with open(fd, "wb", closefd=True) as handle:
            if keep is not None:
                _take_owner_and_mode(handle.fileno(), keep, mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        tmp = None
        _sync_folder(folder)
    except OSError as error:
        raise WriteError(error.errno, _reason(error), shown or target) from None
    finally:
        if tmp is not None:  # failed or interrupted: the old file stays, alone
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _create_beside(folder: str, base: str, mode: int) -> tuple[int, str]:
    """A new hidden file in `folder`, open for writing, and its path."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):  # a random name that exists already: draw another
        candidate = os.path.join(folder, f".{base}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(candidate, flags, mode), candidate
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name in its folder")


def _take_owner_and_mode(fd: int, info: os.stat_result, mode: int) -> None:
    """The replaced file's owner (when allowed: root rewriting another
    user's file), and `mode`, set on the replacement before it is written."""
    if hasattr(os, "fchown") and (info.st_uid, info.st_gid) != _owner(fd):
        try:
            os.fchown(fd, info.st_uid, info.st_gid)
        except OSError:
            pass  # not ours to give away: the file becomes the writer's
    os.fchmod(fd, mode)  # after chown, which may clear setuid bits


def _owner(fd: int) -> tuple[int, int]:
    info = os.fstat(fd)
    return info.st_uid, info.st_gid


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable; a filesystem that cannot sync a
    folder is no reason to fail a write that has happened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _display(name: str) -> str:
    return "<stdin>" if name == "-" else name


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MiB" if count >= 1024 * 1024 else f"{count} bytes"


__all__ = ["MAX_INPUT_BYTES", "ReadError", "WriteError", "collect_inputs", "read_input",
           "source_text", "write_output"]
