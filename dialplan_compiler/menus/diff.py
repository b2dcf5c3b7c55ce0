"""`dialplan diff`: what a change to a script does to its callers.

Both versions are simulated offline (`simulate.py`) along every path of
either: a path is the caller's presses, so the same presses are run on the
old script and on the new one, and what the caller hears is compared line
by line, with each path's duration (`timing.py`, from the speaking-rate
table, so that the figures do not depend on what is installed):

    >>> from dialplan_compiler.menus.diff import diff_sources
    >>> result = diff_sources(old_text, "a.call", new_text, "a.call")
    >>> result.identical, [p.label for p in result.paths]

A path of one version that the other does not have is *added* or
*removed*: the other version ends the call before the caller has made all
of the path's presses (a menu choice that no longer leads anywhere). Only
what the caller hears counts: comments, layout, the order of a menu's
choices, and the branch ids and signed URLs that the lowering derives from
them, do not. Each change is placed at a line of the new version (the verb
that says the changed line, or the last one before a removed line), where a
pull request's annotation goes.

`diff_git(ref)` does this for every `.call` file that differs between the
working tree and a git revision, reading the revision with the `git`
executable.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping, Sequence

from ..errors import DialplanError
from ..nodes import Span
from .simulate import Flow, Run, SimulationError, every_path, load, simulate
from .timing import time_path

#: The version of the `--format json` document of `dialplan diff`: fields
#: are only ever added, never renamed, removed or given a new meaning.
DIFF_FORMAT_VERSION = 1
#: The kinds of change, as `--format json`, `sarif` and `github` name them.
ADDED, REMOVED, CHANGED = "added", "removed", "changed"
SUFFIX = ".call"
#: The text output shows this many added (and removed) paths of a file whole.
SHOWN_IN_FULL = 3


class DiffError(DialplanError):
    """A version that cannot be diffed. `reports` holds (name, text,
    diagnostics) of scripts that do not compile; without any, the message
    says what went wrong (git, a file)."""

    def __init__(self, message: str, reports: Sequence[tuple[str, str, list]] = ()) -> None:
        super().__init__(message)
        self.reports = list(reports)


@dataclass(frozen=True)
class Line:
    """A transcript line added, removed or changed on one path. `old` and
    `new` are the line in each version (None where it has none); `span` is
    where the change is in the new version."""
    change: str
    old: str | None
    new: str | None
    span: Span

    def to_dict(self) -> dict:
        return {"change": self.change, "old": self.old, "new": self.new,
                **_position(self.span)}


@dataclass(frozen=True)
class PathChange:
    """One path whose caller hears something else, or waits another time."""
    presses: tuple[str, ...]
    machine: bool
    #: ADDED, REMOVED or CHANGED.
    status: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    lines: tuple[Line, ...]
    #: The path's (min, max) seconds in each version; None where it has none.
    old_duration: tuple[float, float] | None
    new_duration: tuple[float, float] | None
    span: Span

    @property
    def label(self) -> str:
        return " ".join(["--machine"] * self.machine +
                        [f"--press {p}" for p in self.presses]) or "(no presses)"

    @property
    def duration_changed(self) -> bool:
        return self.old_duration != self.new_duration

    def summary(self) -> str:
        """One sentence: what changed on the path (a CI annotation's message)."""
        if self.status == ADDED:
            what = "a new path"
        elif self.status == REMOVED:
            what = "this path is gone: the call ends before these presses are made"
        else:
            counts = [f"{n} line{'s' * (n != 1)} {kind}"
                      for kind in (ADDED, REMOVED, CHANGED)
                      if (n := sum(line.change == kind for line in self.lines))]
            what = ", ".join(counts) or "the same lines"
        if self.duration_changed:
            what += f"; duration {duration_text(self.old_duration)} → " \
                    f"{duration_text(self.new_duration)}"
        return f"{self.label}: {what}"

    def to_dict(self) -> dict:
        return {"path": self.label, "presses": list(self.presses), "machine": self.machine,
                "status": self.status, **_position(self.span),
                "lines": [line.to_dict() for line in self.lines],
                "duration": {"old": _range(self.old_duration), "new": _range(self.new_duration),
                             "changed": self.duration_changed},
                "old": list(self.old), "new": list(self.new)}


@dataclass(frozen=True)
class FileDiff:
    """The paths of one script that differ between two versions. `old_name`
    or `new_name` is None for a file that one version does not have."""
    old_name: str | None
    new_name: str | None
    paths: tuple[PathChange, ...]
    #: How many paths were compared (the union of both versions' paths).
    compared: int

    @property
    def name(self) -> str:
        return self.new_name or self.old_name or ""

    @property
    def identical(self) -> bool:
        return not self.paths

    def to_dict(self) -> dict:
        return {"old": self.old_name, "new": self.new_name, "identical": self.identical,
                "compared": self.compared, "changed": len(self.paths),
                "paths": [p.to_dict() for p in self.paths]}


@dataclass(frozen=True)
class DiffResult:
    files: tuple[FileDiff, ...] = ()

    @property
    def identical(self) -> bool:
        return all(f.identical for f in self.files)

    @property
    def paths(self) -> tuple[PathChange, ...]:
        return tuple(p for f in self.files for p in f.paths)


# --- one file --------------------------------------------------------------------------

@dataclass
class _Version:
    """A compiled version of a script, with where each verb it emits is."""
    name: str
    flow: Flow
    #: The checked plans by id, whose verbs line up with the emitted plans'.
    plans: Mapping[str, Any]
    start: Span
    limit_span: Span | None


@dataclass
class _Heard:
    """One path run on one version."""
    run: Run
    #: Whether the version has this path: it asks for every press.
    exists: bool
    spans: list[Span | None] = field(default_factory=list)
    duration: tuple[float, float] | None = None

    @property
    def lines(self) -> list[str]:
        return [e.text for e in self.run.call.events if e.text is not None]


class _Recorder:
    """The router of a flow, keeping every plan it answers, by plan id."""

    def __init__(self, router) -> None:
        self.router = router
        self.answered: list[tuple[str, dict]] = []

    def event(self, query, body):
        answer = self.router.event(query, body)
        if answer.plan is not None and answer.branch:
            self.answered.append((answer.branch, answer.plan))
        return answer


def _compile(source: str | bytes, name: str, variables: Mapping[str, str] | None) -> _Version:
    from ..checker import check
    from ..parser import parse
    from ..text import strip_bom

    try:
        if _hosted(source):
            raise DiffError(f"{name}: its verbs are behind its `plan url`, so there is no "
                            "call to simulate here; diff the script that answers that URL")
        flow = load(source, name, variables=variables)
    except SimulationError as error:
        text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
        raise DiffError(f"{name} does not compile", [(name, text, error.diagnostics)]) from None
    if flow.bundle is not None:
        script = flow.bundle.script
        plans = dict(flow.bundle.plans)
    else:
        text = source.decode("utf-8") if isinstance(source, bytes) else source
        parsed = parse(strip_bom(text), name)
        script, _ = check(parsed.module, variables=dict(variables or {}))
        plans = {"main": script.main} if script.main is not None else {}
    return _Version(name, flow, plans, Span(name, 1, 1, 1, 1),
                    script.spans.get("maxDuration"))


def _hosted(source: str | bytes) -> bool:
    """Whether a script is a `plan url` one (and checks without errors)."""
    from ..compiler import check_source

    result = check_source(source, "<hosted>")
    return result.payload is not None and "dialPlanUrl" in result.payload


def _hear(version: _Version | None, presses: Sequence[str], machine: bool) -> _Heard | None:
    if version is None:
        return None
    flow = version.flow
    recorder = _Recorder(flow.router) if flow.router is not None else None
    watched = replace(flow, router=recorder) if recorder is not None else flow
    run = simulate(watched, presses, machine=machine)
    exists = _has_path(flow, presses, machine)
    origin: dict[int, Span] = {}
    for plan_id, plan in [("main", flow.main), *(recorder.answered if recorder else [])]:
        checked = version.plans.get(plan_id)
        if checked is None or not isinstance(plan, dict):
            continue
        for emitted, verb in zip(plan.get("verbs", []), checked.verbs):
            origin[id(emitted)] = verb.span
    spans = [origin.get(id(e.data.get("verb"))) for e in run.call.events if e.text is not None]
    low, high = time_path(flow, run, speech="rate", read_files=False).total
    return _Heard(run, exists, spans, (round(low, 2), round(high, 2)))


def _has_path(flow: Flow, presses: Sequence[str], machine: bool) -> bool:
    """Whether the caller is asked for every one of `presses`: the last
    press is made only if a question is still open when the others are."""
    if machine and (flow.bundle is None or "machine" not in flow.bundle.plans):
        return False
    if not presses:
        return True
    return simulate(flow, presses[:-1], machine=machine).open_menu is not None


def _paths(version: _Version | None) -> list[tuple[tuple[str, ...], bool]]:
    if version is None:
        return []
    return [(tuple(run.presses), run.machine) for run in every_path(version.flow)]


def _compare(old: _Version | None, new: _Version | None) -> FileDiff:
    keys: dict[tuple[tuple[str, ...], bool], None] = {}
    for key in _paths(new) + _paths(old):
        keys.setdefault(key)
    changes = []
    for presses, machine in keys:
        before, after = _hear(old, presses, machine), _hear(new, presses, machine)
        change = _path_change(presses, machine, before, after, new or old)
        if change is not None:
            changes.append(change)
    return FileDiff(old.name if old else None, new.name if new else None, tuple(changes),
                    len(keys))


def _path_change(presses, machine, before: _Heard | None, after: _Heard | None,
                 new: _Version) -> PathChange | None:
    """The change on one path, placed in `new` (the old version, for a file
    that the new one does not have: its first line)."""
    had = before is not None and before.exists
    has = after is not None and after.exists
    if not had and not has:
        return None
    # A path one version lacks is still compared with what that version's
    # caller hears on the same presses: where the two part is the news.
    old_lines = before.lines if before is not None else []
    new_lines = after.lines if after is not None else []
    new_spans = after.spans if after is not None else []
    old_duration = before.duration if had else None
    new_duration = after.duration if has else None
    if had and has and old_lines == new_lines and old_duration == new_duration:
        return None
    start = new.start
    lines = tuple(_line_changes(old_lines, new_lines, new_spans, start))
    if lines:
        span = lines[0].span
    elif had and has:
        span = _first_difference(before, after) or new.limit_span or start
    else:
        span = start
    status = CHANGED if had and has else ADDED if has else REMOVED
    return PathChange(tuple(presses), machine, status, tuple(old_lines), tuple(new_lines),
                      lines, old_duration, new_duration, span)


def _line_changes(old: list[str], new: list[str], spans: list[Span | None],
                  start: Span) -> Iterable[Line]:
    def at(index: int) -> Span:
        # The line's own verb, else the nearest verb before it, else after.
        for i in [*range(min(index, len(spans) - 1), -1, -1), *range(index + 1, len(spans))]:
            if 0 <= i < len(spans) and spans[i] is not None:
                return spans[i]
        return start

    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pairs = max(i2 - i1, j2 - j1)
        for k in range(pairs):
            before = old[i1 + k] if i1 + k < i2 else None
            after = new[j1 + k] if j1 + k < j2 else None
            kind = CHANGED if before is not None and after is not None else \
                ADDED if after is not None else REMOVED
            # A line removed is placed at the last line that replaces it, or
            # at the line before the gap it leaves.
            yield Line(kind, before, after,
                       at(j1 + k if after is not None else j2 - 1 if j2 > j1 else j1 - 1))


def _first_difference(before: _Heard, after: _Heard) -> Span | None:
    """Where the same lines differ in time: the first verb that is not the
    same in both versions (a `ring`, a `wait` that says nothing)."""
    old_verbs = [e.data.get("verb") for e in before.run.call.events if e.text is not None]
    new_verbs = [e.data.get("verb") for e in after.run.call.events if e.text is not None]
    for index, (a, b) in enumerate(zip(old_verbs, new_verbs)):
        if a != b and index < len(after.spans) and after.spans[index] is not None:
            return after.spans[index]
    return None


def diff_sources(old: str | bytes | None, old_name: str | None, new: str | bytes | None,
                 new_name: str | None, *, variables: Mapping[str, str] | None = None,
                 ) -> FileDiff:
    """Diff two versions of a script; None for a version that does not
    exist (every path of the other is then added or removed). Raises
    DiffError, with the diagnostics, when a version does not compile."""
    versions = _each([(old, old_name), (new, new_name)], lambda version: None
                     if version[0] is None else
                     _compile(version[0], version[1] or "<string>", variables))
    return _compare(versions[0], versions[1])


def _each(items: Iterable[Any], work) -> list:
    """`work(item)` for each item; the scripts that do not compile are
    gathered and raised together, so that every broken one is shown."""
    done, reports = [], []
    for item in items:
        try:
            done.append(work(item))
        except DiffError as error:
            if not error.reports:
                raise
            reports += error.reports
    if reports:
        raise DiffError("a version does not compile", reports)
    return done


def diff_files(old_path: str, new_path: str, *,
               variables: Mapping[str, str] | None = None) -> DiffResult:
    """Diff two files (`-` is standard input, for one of them)."""
    from ..files import ReadError, read_input

    sources = []
    for path in (old_path, new_path):
        try:
            sources.append(read_input(path))
        except ReadError as error:
            raise DiffError(str(error)) from None
    return DiffResult((diff_sources(sources[0], _shown(old_path), sources[1],
                                    _shown(new_path), variables=variables),))


def _shown(path: str) -> str:
    return "<stdin>" if path == "-" else path


# --- git ------------------------------------------------------------------------------

def _git(args: list[str], cwd: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise DiffError("--git needs the git executable, and it is not on PATH") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiffError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return done.stdout


def changed_files(ref: str, cwd: str | None = None) -> tuple[str, list[tuple[str, str]]]:
    """The repository's root, and each `.call` file (relative to the root)
    that differs between `ref` and the working tree, untracked ones too, as
    (status, path): "M" modified, "A" added since `ref`, "D" deleted."""
    cwd = cwd or os.getcwd()
    if ref.startswith("-"):
        raise DiffError(f"{ref!r} is not a git revision")
    root = _git(["rev-parse", "--show-toplevel"], cwd).decode("utf-8").strip()
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    found: dict[str, str] = {}
    listed = _git(["diff", "--name-status", "--no-renames", "-z", ref, "--"], root)
    fields = listed.decode("utf-8", "surrogateescape").split("\0")
    for status, path in zip(fields[0::2], fields[1::2]):
        if path.endswith(SUFFIX):
            found[path] = status[:1]
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], root)
    for path in untracked.decode("utf-8", "surrogateescape").split("\0"):
        if path.endswith(SUFFIX):
            found.setdefault(path, "A")
    return root, sorted(((status, path) for path, status in found.items()),
                        key=lambda item: item[1])


def diff_git(ref: str, *, cwd: str | None = None,
             variables: Mapping[str, str] | None = None) -> DiffResult:
    """Diff every `.call` file changed since git revision `ref` with its
    version there. Names are relative to the repository's root, as a pull
    request's annotations want them."""
    root, files = changed_files(ref, cwd)

    def one(item: tuple[str, str]) -> FileDiff:
        status, path = item
        old = _git(["show", f"{ref}:{path}"], root) if status != "A" else None
        new = None
        if status != "D":
            try:
                with open(os.path.join(root, path), "rb") as handle:
                    new = handle.read()
            except OSError as error:
                raise DiffError(f"cannot read {path}: {error.strerror}") from None
        return diff_sources(old, path if old is not None else None, new,
                            path if new is not None else None, variables=variables)

    return DiffResult(tuple(_each(files, one)))


# --- output ---------------------------------------------------------------------------

def duration_text(duration: tuple[float, float] | None) -> str:
    if duration is None:
        return "none"
    low, high = (f"{v:g}" if v != float("inf") else "unbounded" for v in duration)
    return f"{low} s" if low == high else f"{low}–{high} s"


def _range(duration: tuple[float, float] | None) -> dict | None:
    if duration is None:
        return None
    return {"min": duration[0], "max": None if duration[1] == float("inf") else duration[1]}


def _position(span: Span) -> dict:
    return {"file": span.file, "line": max(span.line, 1), "column": max(span.column, 1)}


def text_lines(result: DiffResult) -> Iterable[str]:
    """The diff for people: per file, each changed path with its transcript,
    `-` before a line only the old version says, `+` before one only the new
    says, and the durations."""
    if not result.files:
        yield "no .call file changed"
        return
    for file in result.files:
        names = file.old_name if file.old_name == file.new_name else \
            f"{file.old_name or '(none)'} → {file.new_name or '(none)'}"
        if file.identical:
            yield f"{names}: the caller hears the same on all {file.compared} paths"
            continue
        kinds = ", ".join(f"{n} {kind}" for kind in (CHANGED, ADDED, REMOVED)
                          if (n := sum(p.status == kind for p in file.paths)))
        yield f"{names}: {len(file.paths)} of {file.compared} paths differ ({kinds})"
        # A menu removed or added takes every path through it along: the
        # first few are shown whole, the rest named.
        whole = [p for p in file.paths if p.status == CHANGED]
        for kind in (ADDED, REMOVED):
            whole += [p for p in file.paths if p.status == kind][:SHOWN_IN_FULL]
        named = [p for p in file.paths if p not in whole]
        for change in sorted(whole, key=file.paths.index):
            yield ""
            yield f"{change.status} path {change.label}  ({change.span.file}:{change.span.line})"
            matcher = difflib.SequenceMatcher(a=list(change.old), b=list(change.new),
                                              autojunk=False)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                if tag == "equal":
                    yield from (f"  {line}" for line in change.new[j1:j2])
                    continue
                yield from (f"- {line}" for line in change.old[i1:i2])
                yield from (f"+ {line}" for line in change.new[j1:j2])
            if change.duration_changed:
                yield (f"  duration: {duration_text(change.old_duration)} → "
                       f"{duration_text(change.new_duration)}")
            else:
                yield f"  duration: {duration_text(change.new_duration)} (unchanged)"
        for kind in (ADDED, REMOVED):
            rest = [p.label for p in named if p.status == kind]
            if rest:
                yield ""
                yield f"{len(rest)} more {kind} path{'s' * (len(rest) != 1)} " \
                      "(--format json lists each in full):"
                yield from (f"  {label}" for label in rest)
    if len(result.files) > 1:
        changed = sum(not f.identical for f in result.files)
        yield ""
        yield f"{changed} of {len(result.files)} files behave differently"


def render_json(result: DiffResult, tool_version: str) -> str:
    document = {"version": DIFF_FORMAT_VERSION,
                "tool": {"name": "dialplan", "version": tool_version},
                "identical": result.identical,
                "files": [f.to_dict() for f in result.files]}
    return json.dumps(document, indent=2, ensure_ascii=True) + "\n"


#: The SARIF rules of `dialplan diff`: one per kind of change (not check
#: rules: a changed path is a fact for review, not a mistake).
DIFF_RULES = {
    ADDED: "a path the new version has and the old one did not",
    REMOVED: "a path the old version had and the new one does not",
    CHANGED: "a path on which the caller hears something else, or waits another time",
}


def render_sarif(result: DiffResult, tool_version: str) -> str:
    from ..formats import SARIF_SCHEMA_URI, SARIF_VERSION, artifact_location, sarif_text

    order = list(DIFF_RULES)
    results = []
    for change in result.paths:
        message = change.summary() + "".join(
            f"\n{line.change}: " + " → ".join(f"{text}" for text in (line.old, line.new)
                                              if text is not None)
            for line in change.lines)
        region = {"startLine": max(change.span.line, 1),
                  "startColumn": max(change.span.column, 1)}
        results.append({
            "ruleId": f"path-{change.status}", "ruleIndex": order.index(change.status),
            "level": "note", "message": {"text": sarif_text(message)},
            "locations": [{"physicalLocation": {
                "artifactLocation": artifact_location(change.span.file), "region": region}}],
            "partialFingerprints": {"pathOfCall": f"{change.span.file}:{change.label}"},
        })
    log = {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [{
        "tool": {"driver": {"name": "dialplan", "version": tool_version, "rules": [
            {"id": f"path-{kind}", "name": f"path-{kind}",
             "shortDescription": {"text": text}, "defaultConfiguration": {"level": "note"}}
            for kind, text in DIFF_RULES.items()]}},
        "columnKind": "unicodeCodePoints",
        "results": results}]}
    return json.dumps(log, indent=2, ensure_ascii=True) + "\n"


def render_github(result: DiffResult) -> str:
    from ..formats import github_data, github_property

    out = []
    for change in result.paths:
        lines = [change.summary()] + [
            f"{line.change}: " + " → ".join(text for text in (line.old, line.new)
                                            if text is not None)
            for line in change.lines]
        props = ",".join(f"{key}={github_property(value)}" for key, value in (
            ("file", change.span.file), ("line", str(max(change.span.line, 1))),
            ("col", str(max(change.span.column, 1))), ("title", f"dialplan diff: {change.status} path")))
        out.append(f"::notice {props}::{github_data(chr(10).join(lines))}\n")
    return "".join(out)


def render(result: DiffResult, output_format: str, tool_version: str) -> str:
    """The diff in `output_format`: "text", "json", "sarif" or "github"."""
    if output_format == "text":
        return "\n".join(text_lines(result)) + "\n"
    if output_format == "json":
        return render_json(result, tool_version)
    if output_format == "sarif":
        return render_sarif(result, tool_version)
    if output_format == "github":
        return render_github(result)
    raise ValueError(f"unknown diff format {output_format!r}")


FORMATS = ("text", "json", "sarif", "github")

__all__ = ["ADDED", "CHANGED", "DIFF_FORMAT_VERSION", "FORMATS", "REMOVED", "DiffError",
           "DiffResult", "FileDiff", "Line", "PathChange", "changed_files", "diff_files",
           "diff_git", "diff_sources", "render"]
