"""Benchmarks of `dialplan check`, measured side by side, as medians and ratios.

    pip install '.[bench]'        # an installed wheel: compiled .pyc, as users run it
    python bench/run.py           # every target; exits 1 when one is missed
    python bench/run.py --smoke   # tiny inputs, few runs, no targets (CI keeps it working)

Targets (issue "Speed"):
  1. one 30-line file: check <= 6x `python -c pass`, and >= 3x faster than
     check-jsonschema on the same script compiled to JSON;
  2. one big file: >= 30,000 lines/s on 100,000 lines, 100k <= 11x 10k,
     peak memory <= 300 MB;
  3. 2,000 files of 30 lines: >= 1.7x faster with every core than --jobs 1;
  4. the success path imports no HTTP client, server or jsonschema.

Commands whose ratio is reported run in alternation, in the same loop, so
that both see the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "delivery-window.call"
BIN = Path(sys.executable).parent
#: Modules the success path of `check` must not import (target 4).
HEAVY = ("jsonschema", "referencing", "httpx", "httpcore", "starlette", "uvicorn", "lark",
         "pygls", "sqlite3")


@dataclass
class Row:
    target: str
    measured: str
    limit: str
    ok: bool | None  # None: informational (smoke mode)


def tool(name: str) -> str:
    found = BIN / name
    if found.exists():
        return str(found)
    path = shutil.which(name)
    if not path:
        sys.exit(f"bench: `{name}` is not installed (pip install '.[bench]')")
    return path


def run(cmd: list[str], *, cwd: Path | None = None, expect: int | None = 0) -> float:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if expect is not None and done.returncode != expect:
        sys.exit(f"bench: {' '.join(cmd)} exited {done.returncode}\n"
                 f"{done.stderr.decode(errors='replace')}")
    return elapsed


def side_by_side(commands: dict[str, list[str]], runs: int, cwd: Path) -> dict[str, float]:
    """Median seconds of each command, the commands alternating run by run."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for name, cmd in commands.items():  # warm the page cache once
        run(cmd, cwd=cwd)
    for _ in range(runs):
        for name, cmd in commands.items():
            times[name].append(run(cmd, cwd=cwd))
    return {name: statistics.median(values) for name, values in times.items()}


def peak_rss_mb(cmd: list[str], cwd: Path) -> float:
    """Peak resident memory of a command, in MB (measured by a small wrapper
    process whose only child is the command)."""
    probe = ("import resource, subprocess, sys\n"
             "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], cwd=cwd, capture_output=True,
                         text=True, check=True).stdout
    return int(out.strip()) / 1024


# --- inputs -------------------------------------------------------------------------

VERBS = [
    'say "Hello there, this is line {i}."',
    'play "https://cdn.example.com/audio/a{i}.wav" repeat 1',
    'pause {s}s',
    'say "Bonjour {i}." in fr-FR as male interruptible',
    '# a comment on line {i}',
    '',
]


def big_file(path: Path, lines: int) -> Path:
    """A valid script of `lines` lines: settings, then many verbs."""
    out = ["from +302101234567", "to +306912345678", "voice en-GB female"]
    for i in range(lines - 4):
        out.append(VERBS[i % len(VERBS)].format(i=i, s=i % 50 + 1))
    out.append('collect to "https://hooks.example.com/keys" max 4 digits')
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def many_files(folder: Path, count: int) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    for i in range(count):
        sub = folder / f"team{i % 20:02}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"call{i:04}.call").write_text(text.replace("GR-88123", f"GR-{i:05}"),
                                               encoding="utf-8")
    return folder


def imported_modules(dialplan: str, example: Path) -> set[str]:
    """Top-level packages a `check` of one clean file imports."""
    code = ("import sys\nfrom dialplan_compiler.cli import main\n"
            f"sys.argv = ['dialplan', 'check', {str(example)!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n")
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                          capture_output=True, text=True)
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


# --- the benchmark --------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true",
                        help="tiny inputs and few runs, no targets (for CI)")
    parser.add_argument("--runs", type=int, default=None, help="runs per measurement")
    options = parser.parse_args()
    smoke = options.smoke
    runs = options.runs or (3 if smoke else 21)
    big_runs = options.runs or (1 if smoke else 5)
    lines_big, lines_small = (2_000, 200) if smoke else (100_000, 10_000)
    file_count = 40 if smoke else 2_000
    jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

    dialplan = tool("dialplan")
    rows: list[Row] = []

    def target(name: str, value: float, limit: float, measured: str, limit_text: str,
               higher_is_better: bool) -> None:
        ok = None if smoke else (value >= limit if higher_is_better else value <= limit)
        rows.append(Row(name, measured, limit_text, ok))

    with tempfile.TemporaryDirectory(prefix="dialplan-bench-") as tmp:
        work = Path(tmp)
        example = work / EXAMPLE.name
        shutil.copy(EXAMPLE, example)
        compiled = work / "delivery-window.json"
        subprocess.run([dialplan, "compile", str(example), "-o", str(compiled)], check=True)
        schema = ROOT / "schemas" / "conversation.schema.json"

        # 1. one file, against bare Python and against check-jsonschema
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "dialplan check (30 lines)": [dialplan, "check", str(example)],
        }
        checker = BIN / "check-jsonschema"
        if checker.exists() or shutil.which("check-jsonschema"):
            commands["check-jsonschema (same JSON)"] = [
                tool("check-jsonschema"), "--schemafile", str(schema), str(compiled)]
        elif not smoke:
            sys.exit("bench: check-jsonschema is not installed (pip install '.[bench]')")
        medians = side_by_side(commands, runs, work)
        base, ours = medians["python -c pass"], medians["dialplan check (30 lines)"]
        target("1a. one file vs `python -c pass`", ours / base, 6.0,
               f"{ours * 1e3:.1f} ms vs {base * 1e3:.1f} ms = {ours / base:.2f}x", "<= 6x", False)
        if "check-jsonschema (same JSON)" in medians:
            theirs = medians["check-jsonschema (same JSON)"]
            target("1b. check-jsonschema / dialplan check", theirs / ours, 3.0,
                   f"{theirs * 1e3:.1f} ms / {ours * 1e3:.1f} ms = {theirs / ours:.2f}x",
                   ">= 3x", True)
        else:
            rows.append(Row("1b. check-jsonschema / dialplan check", "not installed", ">= 3x",
                            None))

        # 2. one big file: throughput, linearity, memory
        small = big_file(work / "small.call", lines_small)
        big = big_file(work / "big.call", lines_big)
        medians = side_by_side({"small": [dialplan, "check", str(small)],
                                "big": [dialplan, "check", str(big)]}, big_runs, work)
        rate = lines_big / medians["big"]
        target(f"2a. {lines_big:,}-line file", rate, 30_000,
               f"{medians['big']:.2f} s = {rate:,.0f} lines/s", ">= 30,000 lines/s", True)
        ratio = medians["big"] / medians["small"]
        target(f"2b. {lines_big:,} / {lines_small:,} lines", ratio, 11.0,
               f"{medians['big']:.2f} s / {medians['small']:.2f} s = {ratio:.2f}x", "<= 11x",
               False)
        memory = peak_rss_mb([dialplan, "check", str(big)], work)
        target(f"2c. peak memory, {lines_big:,} lines", memory, 300.0, f"{memory:.0f} MB",
               "<= 300 MB", False)

        # 3. many files on every core
        folder = many_files(work / "many", file_count)
        medians = side_by_side({"1 job": [dialplan, "check", "--jobs", "1", str(folder)],
                                f"{jobs} jobs": [dialplan, "check", "--jobs", str(jobs),
                                                 str(folder)]}, big_runs, work)
        speedup = medians["1 job"] / medians[f"{jobs} jobs"]
        target(f"3. {file_count:,} files, --jobs {jobs} vs 1", speedup, 1.7,
               f"{medians['1 job']:.2f} s / {medians[f'{jobs} jobs']:.2f} s = {speedup:.2f}x",
               ">= 1.7x", True)

        # 4. what the success path imports
        heavy = sorted(imported_modules(dialplan, example) & set(HEAVY))
        rows.append(Row("4. heavy imports on the success path", ", ".join(heavy) or "none",
                        "none", None if smoke else not heavy))

    print(f"dialplan bench ({'smoke' if smoke else 'full'}): Python "
          f"{sys.version.split()[0]}, {jobs} cores, median of {runs} runs "
          f"({big_runs} for big inputs)")
    width = max(len(r.target) for r in rows)
    measured_width = max(len(r.measured) for r in rows)
    print(f"{'target':<{width}}  {'measured':<{measured_width}}  {'limit':<18}  result")
    for row in rows:
        verdict = {True: "ok", False: "MISSED", None: "-"}[row.ok]
        print(f"{row.target:<{width}}  {row.measured:<{measured_width}}  {row.limit:<18}  "
              f"{verdict}")
    if options.smoke:
        print(json.dumps({"smoke": True, "rows": len(rows)}))
    return 1 if any(row.ok is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
