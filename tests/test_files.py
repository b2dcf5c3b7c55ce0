"""Reading inputs and writing outputs (files.py), through the command line:
devices and FIFOs are written in place and never renamed over, links stay
links, modes are kept or follow the umask, failures are one line and exit 2,
a directory walk takes only regular files and reports what it cannot list,
reads are capped, and arguments that are not UTF-8 are refused.

Devices are made with mknod inside tmp_path (never the machine's /dev); a
test that cannot make one (mknod refused: no CAP_MKNOD, or a nodev mount)
skips only the assertions that need it."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialplan_compiler import files
from dialplan_compiler.cli import main

from helpers import ROOT
EXAMPLES = ROOT / "examples"
SCRIPT = EXAMPLES / "delivery-window.call"
MENUS = EXAMPLES / "ivr" / "clinic.call"
NULL, ZERO, FULL = (1, 3), (1, 5), (1, 7)   # Linux's major, minor of /dev/null, zero, full


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def cli_process(*args, timeout: float = 120, **options) -> subprocess.CompletedProcess:
    """`dialplan ARGS` in a process of its own: for what could hang or eat the
    machine's memory if it went wrong (the timeout only keeps a broken build
    from hanging the run; a working one answers at once)."""
    code = "from dialplan_compiler.cli import main; main(prog_name='dialplan')"
    options.setdefault("stdout", subprocess.PIPE)
    options.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([sys.executable, "-c", code, *args], timeout=timeout,
                          stdin=subprocess.DEVNULL, **options)


def make_device(path: Path, numbers: tuple[int, int]) -> Path:
    """A character device node in tmp_path, or a skip saying why not."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(*numbers))
    except (PermissionError, OSError) as error:
        pytest.skip(f"cannot make a device node here to write to ({error}); the same "
                    "behaviour is held for a FIFO")
    return path


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def umask():
    """Set the process's umask for one test; the old one comes back after."""
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


@pytest.fixture
def payload_json(tmp_path) -> Path:
    """A request body to decompile."""
    result = run("compile", SCRIPT)
    assert result.exit_code == 0, result.output
    path = tmp_path / "in" / "body.json"
    path.parent.mkdir()
    path.write_text(result.stdout)
    return path


def writing_to(target: Path | None, payload_json: Path) -> dict[str, list]:
    """Each command that writes a file given with -o, writing to `target`
    (None: to standard output)."""
    output = [] if target is None else ["-o", target]
    return {"compile": ["compile", SCRIPT, *output],
            "graph": ["graph", MENUS, *output],
            "decompile": ["decompile", payload_json, *output]}


COMMANDS = ["compile", "graph", "decompile"]


# --- devices, FIFOs and links are written in place ------------------------------------------

@pytest.mark.parametrize("command", COMMANDS)
def test_a_device_stays_a_device(command, tmp_path, payload_json):
    null = make_device(tmp_path / "null", NULL)
    result = run(*writing_to(null, payload_json)[command])
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.lstat(null).st_mode)        # not renamed over with a regular file
    assert os.lstat(null).st_rdev == os.makedev(*NULL)
    assert entries(tmp_path) == ["in", "null"]         # and no temporary file beside it


def test_a_device_receives_the_bytes(tmp_path):
    # /dev/full refuses every byte written to it: the error shows the bytes reached it.
    full = make_device(tmp_path / "full", FULL)
    result = run("compile", SCRIPT, "-o", full)
    assert result.exit_code == 2
    assert result.stderr == f"dialplan: cannot write {full}: No space left on device\n"
    assert stat.S_ISCHR(os.lstat(full).st_mode)
    assert entries(tmp_path) == ["full"]


def read_fifo_in_thread(fifo: Path) -> tuple[threading.Thread, list[bytes]]:
    received: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as handle:
            received.append(handle.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return thread, received


@pytest.mark.parametrize("command", COMMANDS)
def test_a_fifo_stays_a_fifo_and_its_reader_gets_the_output(command, tmp_path, payload_json):
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    thread, received = read_fifo_in_thread(fifo)
    result = run(*writing_to(fifo, payload_json)[command])
    thread.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    expected = run(*writing_to(None, payload_json)[command])
    assert received == [expected.stdout_bytes]
    assert entries(tmp_path) == ["in", "out"]


def test_a_link_to_a_device_stays_a_link(tmp_path):
    null = make_device(tmp_path / "null", NULL)
    link = tmp_path / "link"
    link.symlink_to(null)
    result = run("compile", SCRIPT, "-o", link)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(null)
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    assert entries(tmp_path) == ["link", "null"]


def test_a_link_to_a_fifo_stays_a_link(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(fifo)
    thread, received = read_fifo_in_thread(fifo)
    result = run("compile", SCRIPT, "-o", link)
    thread.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(received[0])["to"]


needs_proc_fd = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"),
                                   reason="no /proc/self/fd to make a /dev/stdout of")


@needs_proc_fd
def test_a_link_like_dev_stdout_writes_into_a_pipe(tmp_path):
    # /dev/stdout is a link to /proc/self/fd/1; one in tmp_path is the same
    # thing, and an old build renamed over it rather than over the real one.
    stdout = tmp_path / "stdout"
    stdout.symlink_to("/proc/self/fd/1")
    done = cli_process("compile", str(SCRIPT), "-o", str(stdout))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["to"]
    assert stdout.is_symlink() and entries(tmp_path) == ["stdout"]


@needs_proc_fd
def test_a_link_like_dev_stdout_writes_into_a_redirected_file(tmp_path):
    stdout = tmp_path / "stdout"
    stdout.symlink_to("/proc/self/fd/1")
    out = tmp_path / "out.json"
    with open(out, "wb") as handle:
        done = cli_process("compile", str(SCRIPT), "-o", str(stdout), stdout=handle,
                           stderr=subprocess.PIPE)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["to"]
    assert stdout.is_symlink() and entries(tmp_path) == ["out.json", "stdout"]


def test_a_link_to_a_file_stays_a_link_and_its_target_is_replaced(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "plan.json"
    link.symlink_to(real.name)  # relative, as links usually are
    result = run("compile", SCRIPT, "-o", link)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == "real.json"
    assert json.loads(real.read_text())["to"]
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert entries(tmp_path) == ["plan.json", "real.json"]


def test_a_dangling_link_gets_its_target_created(tmp_path):
    link = tmp_path / "plan.json"
    link.symlink_to("made.json")
    result = run("compile", SCRIPT, "-o", link)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and json.loads((tmp_path / "made.json").read_text())["to"]


def test_dash_is_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("compile", SCRIPT, "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout == run("compile", SCRIPT).stdout
    assert entries(tmp_path) == []                      # not a file called "-"


# --- modes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600], ids=oct)
def test_an_existing_file_keeps_its_mode(mode, tmp_path, umask):
    umask(0o022)
    out = tmp_path / "plan.json"
    out.write_text("old\n")
    out.chmod(mode)
    result = run("compile", SCRIPT, "-o", out)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["to"]
    assert stat.S_IMODE(out.stat().st_mode) == mode


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)],
                         ids=["022", "002", "077"])
def test_a_new_file_gets_the_usual_mode_under_the_umask(mask, mode, tmp_path, umask):
    umask(mask)
    out = tmp_path / "plan.json"
    result = run("compile", SCRIPT, "-o", out)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == mode


def test_a_private_file_is_0600_whatever_the_umask(tmp_path, umask):
    umask(0o002)
    new, old = tmp_path / "new", tmp_path / "old"
    old.write_text("x")
    old.chmod(0o644)
    files.write_output(new, "secret", private=True)
    files.write_output(old, "secret", private=True)
    assert stat.S_IMODE(new.stat().st_mode) == stat.S_IMODE(old.stat().st_mode) == 0o600


def test_build_writes_files_others_can_read(tmp_path, monkeypatch, umask):
    umask(0o022)
    monkeypatch.setenv("DIALPLAN_SIGNING_SECRET", "build-secret-of-the-tests")
    out = tmp_path / "dist"
    result = run("build", MENUS, "-o", out)
    assert result.exit_code == 0, result.output
    written = [p for p in out.rglob("*") if p.is_file()]
    assert {p.suffix for p in written} == {".json", ".wav"}
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in written} == \
        {p.name: 0o644 for p in written}


def test_the_campaign_report_is_private_as_the_journal_is(tmp_path, umask):
    # It lists who was called, as the journal does: for its owner's eyes.
    from dialplan_compiler.calls.campaign import CampaignResult, Recipient, write_report

    umask(0o022)
    result = CampaignResult([Recipient(2, "+306912345678", "+306912345678", {})], {})
    report = tmp_path / "report.csv"
    write_report(report, result)
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert report.read_text().splitlines()[1].startswith("2,+306912345678,")
    null = make_device(tmp_path / "null", NULL)
    write_report(null, result)
    assert stat.S_ISCHR(os.lstat(null).st_mode)


# --- failures to write ----------------------------------------------------------------------

def unwritable_targets(tmp_path: Path) -> dict[str, Path]:
    """Paths no one can write, root included (root ignores mode bits)."""
    (tmp_path / "file.txt").write_text("a file, not a folder\n")
    return {"under a file": tmp_path / "file.txt" / "out.json",
            "in no folder": tmp_path / "no-such-folder" / "out.json",
            "in /proc": Path("/proc/version")}


@pytest.mark.parametrize("where", ["under a file", "in no folder", "in /proc"])
@pytest.mark.parametrize("command", COMMANDS)
def test_an_unwritable_target_is_one_line_and_exit_2(command, where, tmp_path, payload_json):
    target = unwritable_targets(tmp_path)[where]
    if where == "in /proc" and not target.exists():
        pytest.skip("no /proc/version on this system")
    if where == "in /proc" and command == "compile" and not os.access(target, os.W_OK):
        pytest.skip("click's writable check refuses it before dialplan tries (not as root)")
    before = entries(tmp_path)
    result = run(*writing_to(target, payload_json)[command])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"dialplan: cannot write {target}: "), \
        result.stderr
    assert "Traceback" not in result.output
    assert entries(tmp_path) == before                   # no temporary file left behind


def test_build_into_an_unwritable_place_is_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALPLAN_SIGNING_SECRET", "build-secret-of-the-tests")
    (tmp_path / "file.txt").write_text("a file, not a folder\n")
    target = tmp_path / "file.txt" / "dist"
    result = run("build", MENUS, "-o", target)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == \
        [f"dialplan: cannot write {target / 'clinic' / 'plans'}: Not a directory"]


def test_a_failed_replace_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path,
                                                                           monkeypatch):
    out = tmp_path / "plan.json"
    out.write_text("old\n")

    def refuse(source, target):  # a folder root cannot write either has none to offer
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "replace", refuse)
    result = run("compile", SCRIPT, "-o", out)
    assert result.exit_code == 2
    assert result.stderr == f"dialplan: cannot write {out}: Read-only file system\n"
    assert out.read_text() == "old\n"
    assert entries(tmp_path) == ["plan.json"]


def test_text_that_utf8_cannot_encode_is_a_write_error(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(files.WriteError, match="cannot write .*out: the text holds a lone"):
        files.write_output(out, "\ud800")
    assert entries(tmp_path) == []


# --- reading: directory walks, FIFOs, devices, size -----------------------------------------

def test_a_fifo_in_a_directory_does_not_hang_check(tmp_path):
    (tmp_path / "ok.call").write_bytes(SCRIPT.read_bytes())
    (tmp_path / "sub").mkdir()
    os.mkfifo(tmp_path / "sub" / "pipe.call")   # nobody will ever write to it
    done = cli_process("check", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines()[-1] == "0 errors, 0 warnings in 1 file"


def test_a_fifo_named_outright_is_read(tmp_path):
    fifo = tmp_path / "script.call"
    os.mkfifo(fifo)

    def writer() -> None:
        with open(fifo, "wb") as handle:
            handle.write(SCRIPT.read_bytes())

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    done = cli_process("check", str(fifo))
    thread.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert b"0 errors, 0 warnings in 1 file" in done.stdout


def test_a_walk_orders_by_folder_names_then_file_name(tmp_path):
    """By path components, not by the path's text: `a-b.call` comes after the
    folder `a` even though "-" sorts before "/"."""
    for name in ("z.call", "a-b.call", "a/y.call", "a/b/x.call", "a/b/notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(SCRIPT.read_bytes())
    found = files.collect_inputs([str(tmp_path)], "*.call")
    assert [os.path.relpath(p, tmp_path) for p in found] == \
        ["a/b/x.call", "a/y.call", "a-b.call", "z.call"]
    assert files.collect_inputs([str(tmp_path / "a"), str(tmp_path / "z.call")], "*.call") == \
        [str(tmp_path / "a" / "b" / "x.call"), str(tmp_path / "a" / "y.call"),
         str(tmp_path / "z.call")]


def test_a_walk_follows_links_to_files_not_to_folders(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "elsewhere.call").write_bytes(SCRIPT.read_bytes())
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "own.call").write_bytes(SCRIPT.read_bytes())
    (tree / "folder-link.call").symlink_to(outside)     # a folder, whatever its name
    (tree / "loop").symlink_to(tree)                    # followed, it would never end
    (tree / "file-link.call").symlink_to(outside / "elsewhere.call")
    done = cli_process("check", str(tree))
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines()[-1] == "0 errors, 0 warnings in 2 files"


def test_a_dangling_link_in_a_walk_is_reported_not_skipped(tmp_path):
    (tmp_path / "ok.call").write_bytes(SCRIPT.read_bytes())
    (tmp_path / "gone.call").symlink_to(tmp_path / "nowhere.call")
    done = cli_process("check", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == \
        [f"dialplan: cannot read {tmp_path / 'gone.call'}: No such file or directory"]


def limited_memory() -> None:
    """An old build read a device until it ran out of memory: keep that to
    this process, not the machine."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def test_an_endless_device_is_too_large_not_a_memory_error(tmp_path):
    zero = make_device(tmp_path / "zero.call", ZERO)
    done = cli_process("check", str(zero), preexec_fn=limited_memory)
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode().splitlines() == \
        [f"dialplan: cannot read {zero}: too large (more than 64 MiB; is it the right file?)"]


@pytest.mark.parametrize("command", ["check", "validate", "compile", "fmt"])
def test_an_input_over_the_cap_is_a_usage_error(command, tmp_path):
    big = tmp_path / "big.call"
    with open(big, "wb") as handle:
        handle.truncate(files.MAX_INPUT_BYTES + 1)   # sparse: no disk spent
    result = run(command, big)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"dialplan: cannot read {big}: too large (more than 64 MiB; is " \
                            "it the right file?)\n"


def test_the_cap_is_inclusive(tmp_path):
    path = tmp_path / "exactly"
    with open(path, "wb") as handle:
        handle.truncate(files.MAX_INPUT_BYTES)
    assert len(files.read_input(path)) == files.MAX_INPUT_BYTES
    with pytest.raises(files.ReadError, match="too large"):
        files.read_input(path, limit=files.MAX_INPUT_BYTES - 1)


def test_an_unreadable_subdirectory_is_reported(tmp_path, monkeypatch):
    (tmp_path / "a.call").write_bytes(SCRIPT.read_bytes())
    (tmp_path / "b.call").write_bytes(SCRIPT.read_bytes())
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "c.call").write_text('sya "not checked"\n')
    hidden.chmod(0)
    try:
        os.listdir(hidden)
    except PermissionError:
        pass
    else:
        # Root (CAP_DAC_READ_SEARCH) lists a 000 folder all the same, and no folder
        # refuses root a listing that a test can make. So refuse it as the kernel
        # would refuse anyone else: os.walk lists each folder with os.scandir.
        real = os.scandir

        def scandir(path="."):
            if os.fspath(path) == str(hidden):
                raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
            return real(path)

        monkeypatch.setattr(os, "scandir", scandir)
    try:
        result = run("check", tmp_path)
    finally:
        hidden.chmod(0o755)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"dialplan: cannot read {hidden}: Permission denied\n"
    assert "in 2 files" not in result.stdout


# --- arguments that are not UTF-8 -----------------------------------------------------------

@pytest.mark.parametrize("option, arguments", [
    ("--var", [b"--var", b"name=\xff", b"--var", b"date=Friday"]),
    ("--var", [b"--var", b"name=Ana", b"--var", b"date=\xe9t\xe9"]),   # Latin-1, not UTF-8
    ("--to", [b"--to", b"+30691234567\xff"]),
    ("--from", [b"--from", b"Clinic \xff"]),
])
@pytest.mark.parametrize("to_file", [False, True])
def test_an_argument_that_is_not_utf8_is_a_usage_error(option, arguments, to_file, tmp_path):
    # Bytes that are not UTF-8 reach Python as lone surrogates (os.fsdecode).
    out = tmp_path / "plan.json"
    args = [b"compile", bytes(EXAMPLES / "appointment-reminder.call"), *arguments]
    done = cli_process(*args, *([b"-o", bytes(out)] if to_file else []))
    assert done.returncode == 2, done.stderr
    assert done.stdout == b""
    assert not out.exists()
    error = done.stderr.decode().splitlines()[-1]
    assert error.startswith(f"Error: Invalid value for {option}: ") and "not valid UTF-8" in \
        error, done.stderr
    assert b"Traceback" not in done.stderr
