"""Machine-readable renderings of check results: `json`, `sarif`, `github`.

`render_report(format, reports, tool_version=...)` turns the `FileReport`s
of one run into the text of one of these formats. The human `text` format
lives elsewhere. `docs/output-formats.md` documents each format; the `json`
document is the one other tools should parse, and its `version` is a promise:
fields are only ever added to it, never renamed, removed or given a new
meaning, without a new version number.

Every format lists the files in the order of `reports` and each file's
diagnostics in source order (line, column, code), at most
`MAX_DIAGNOSTICS_PER_FILE` of them per file: a generated file can hold
hundreds of thousands of mistakes, and a document listing them all took
gigabytes to build. Each format says how many it left out.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from pathlib import PurePath
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import quote

from .diagnostics import Diagnostic, FileReport, Severity, printable, source_lines
from .nodes import Span
from .rules import RULES, Rule

__all__ = ["FORMATS", "JSON_FORMAT_VERSION", "MAX_DIAGNOSTICS_PER_FILE", "SARIF_SCHEMA_URI",
           "render_report"]

TOOL_NAME = "dialplan"

#: Diagnostics listed per file, the first in source order; the rest are
#: counted (docs/output-formats.md). The text format has --max-errors.
MAX_DIAGNOSTICS_PER_FILE = 1000

#: The version of the `json` document. Bumped only for a change that could
#: break a consumer: a field removed, renamed, retyped or given a new meaning.
JSON_FORMAT_VERSION = 1

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"

#: The tag each rule family gets in SARIF (see the family list in `rules.py`).
_FAMILIES = {
    "DP0": "syntax",
    "DP1": "statements",
    "DP2": "routee-rules",
    "DP3": "suspicious",
    "DP9": "schema",
}


def render_report(format: str, reports: Sequence[FileReport], *, tool_version: str) -> str:
    """Render the reports of one run in `format` ("json", "sarif" or
    "github"). The result ends in a newline unless it is empty (`github`
    with nothing to report)."""
    try:
        renderer = _RENDERERS[format]
    except KeyError:
        raise ValueError(f"unknown output format {format!r}; "
                         f"expected one of: {', '.join(FORMATS)}") from None
    return renderer(list(reports), tool_version)


# --- shared ------------------------------------------------------------------------

def _in_source_order(report: FileReport) -> list[Diagnostic]:
    """The diagnostics listed for `report`: the first MAX_DIAGNOSTICS_PER_FILE
    in source order."""
    key = lambda d: (d.span.line, d.span.column, d.code)  # noqa: E731
    if len(report.diagnostics) > MAX_DIAGNOSTICS_PER_FILE:
        return heapq.nsmallest(MAX_DIAGNOSTICS_PER_FILE, report.diagnostics, key=key)
    return sorted(report.diagnostics, key=key)


def _omitted(report: FileReport) -> int:
    return max(0, len(report.diagnostics) - MAX_DIAGNOSTICS_PER_FILE)


def _omission(report: FileReport) -> str:
    count = _omitted(report)
    return (f"{count} more diagnostic{'s' if count > 1 else ''} in {printable(report.path)} "
            f"not listed (at most {MAX_DIAGNOSTICS_PER_FILE} per file)")


def _diagnostics(reports: Iterable[FileReport]) -> Iterable[tuple[FileReport, Diagnostic]]:
    for report in reports:
        for diagnostic in _in_source_order(report):
            yield report, diagnostic


def _severity(diagnostic: Diagnostic) -> str:
    return Severity(diagnostic.severity).value


def _source_lines(source: str | None) -> list[str]:
    return [] if source is None else source_lines(source)


def _region(span: Span) -> tuple[int, int, int, int]:
    """(line, column, end_line, end_column), 1-based, end exclusive, with the
    end never before the start."""
    line, column = max(span.line, 1), max(span.column, 1)
    end_line, end_column = max(span.end_line, line), max(span.end_column, 1)
    if end_line == line:
        end_column = max(end_column, column)
    return line, column, end_line, end_column


# --- json --------------------------------------------------------------------------

def _render_json(reports: list[FileReport], tool_version: str) -> str:
    total = sum(len(r.diagnostics) for r in reports)
    errors = sum(d.severity is Severity.ERROR for r in reports for d in r.diagnostics)
    document = {
        "version": JSON_FORMAT_VERSION,
        "tool": {"name": TOOL_NAME, "version": tool_version},
        "summary": {"files": len(reports), "errors": errors, "warnings": total - errors,
                    "omitted": sum(_omitted(r) for r in reports)},
        "diagnostics": [_json_diagnostic(d) for _, d in _diagnostics(reports)],
        "omitted": [{"file": printable(r.path), "count": _omitted(r), "message": _omission(r)}
                    for r in reports if _omitted(r)],
    }
    return json.dumps(document, indent=2, ensure_ascii=True) + "\n"


def _json_position(span: Span) -> dict[str, Any]:
    line, column, end_line, end_column = _region(span)
    return {"file": printable(span.file), "line": line, "column": column,
            "end_line": end_line, "end_column": end_column}


def _json_diagnostic(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        **_json_position(diagnostic.span),
        "code": diagnostic.code,
        "severity": _severity(diagnostic),
        "message": printable(diagnostic.message),
        "help": diagnostic.help and printable(diagnostic.help),
        "label": diagnostic.label and printable(diagnostic.label),
        "related": [{**_json_position(r.span), "message": printable(r.message)}
                    for r in diagnostic.related],
    }


# --- sarif -------------------------------------------------------------------------

def _render_sarif(reports: list[FileReport], tool_version: str) -> str:
    rules = sorted(RULES.values(), key=lambda r: r.code)
    rule_index = {rule.code: index for index, rule in enumerate(rules)}
    results = []
    seen: dict[str, int] = {}
    for report in reports:
        line_hashes = _LineHashes(report, seen)
        for diagnostic in _in_source_order(report):
            results.append(_sarif_result(diagnostic, rule_index, line_hashes))
    log = {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": TOOL_NAME,
                "version": tool_version,
                "rules": [_sarif_rule(rule) for rule in rules],
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    notes = [{"level": "note", "message": {"text": _sarif_text(_omission(r))},
              "locations": [{"physicalLocation": {
                  "artifactLocation": _artifact_location(r.path)}}]}
             for r in reports if _omitted(r)]
    if notes:
        log["runs"][0]["invocations"] = [{"executionSuccessful": True,
                                          "toolExecutionNotifications": notes}]
    return json.dumps(log, indent=2, ensure_ascii=True) + "\n"


def _sarif_text(text: str) -> str:
    """The text of a SARIF `message` object for `text`: braces doubled
    (§3.11.5, they would otherwise start placeholders) and square brackets
    escaped with a backslash (§3.11.6, they would otherwise start embedded
    links). Rule descriptions are not message objects and stay as they are."""
    return (printable(text).replace("{", "{{").replace("}", "}}")
            .replace("[", "\\[").replace("]", "\\]"))


def _family(code: str) -> str:
    return _FAMILIES.get(code[:3], "other")


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    severity = Severity(rule.severity).value
    from .explanations import EXPLANATIONS

    # The same explanation `dialplan explain` prints, examples included.
    entry = EXPLANATIONS.get(rule.code)
    explanation = entry.text if entry else rule.summary
    markdown = f"**{rule.code} {rule.name}** ({severity})\n\n{explanation}"
    if entry and entry.wrong:
        markdown += f"\n\nWrong:\n\n```\n{entry.wrong}\n```\n\nRight:\n\n```\n{entry.right}\n```"
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": explanation},
        "help": {"text": explanation, "markdown": markdown},
        "defaultConfiguration": {"level": severity},
        "properties": {"tags": [TOOL_NAME, _family(rule.code)]},
    }


def _sarif_message(diagnostic: Diagnostic) -> str:
    """The message, a line per related location that links to it (GitHub
    shows related locations only when the message links to them), and the
    help."""
    lines = [_sarif_text(diagnostic.message)]
    for id_, related in enumerate(diagnostic.related, start=1):
        lines.append(f"note: [{_sarif_text(related.message)}]({id_})")
    if diagnostic.help:
        lines.append("help: " + _sarif_text(diagnostic.help))
    return "\n".join(lines)


def _artifact_location(file: str) -> dict[str, Any]:
    """A relative path becomes a relative URI against %SRCROOT% (the
    repository root, for GitHub); an absolute one a file:// URI. A name
    that is not UTF-8 keeps its bytes, percent-encoded."""
    path = PurePath(file)
    if path.is_absolute():
        return {"uri": path.as_uri()}
    return {"uri": quote(path.as_posix(), safe="/", errors="surrogateescape"),
            "uriBaseId": SRCROOT}


def _sarif_location(span: Span, message: str | None) -> dict[str, Any]:
    line, column, end_line, end_column = _region(span)
    location: dict[str, Any] = {"physicalLocation": {
        "artifactLocation": _artifact_location(span.file),
        "region": {"startLine": line, "startColumn": column,
                   "endLine": end_line, "endColumn": end_column},
    }}
    if message:
        location["message"] = {"text": _sarif_text(message)}
    return location


def _sarif_result(diagnostic: Diagnostic, rule_index: dict[str, int],
                  line_hashes: _LineHashes) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": diagnostic.code}
    if diagnostic.code in rule_index:
        result["ruleIndex"] = rule_index[diagnostic.code]
    result["level"] = _severity(diagnostic)
    result["message"] = {"text": _sarif_message(diagnostic)}
    result["locations"] = [_sarif_location(diagnostic.span, diagnostic.label)]
    if diagnostic.related:
        result["relatedLocations"] = [
            {"id": id_, **_sarif_location(related.span, related.message)}
            for id_, related in enumerate(diagnostic.related, start=1)]
    result["partialFingerprints"] = {"primaryLocationLineHash": line_hashes(diagnostic)}
    return result


class _LineHashes:
    """`primaryLocationLineHash` fingerprints for the diagnostics of one file.

    The hash covers the rule, the file and the text of the diagnostic's first
    line (stripped), not its line number, so that lines inserted above leave
    it alone. `:n` counts the diagnostics with the same hash in source order,
    so that the same mistake on two identical lines gives two fingerprints;
    call it in source order. `seen` holds those counts for the whole run.
    """

    def __init__(self, report: FileReport, seen: dict[str, int]) -> None:
        self._lines = _source_lines(report.source)
        self._seen = seen

    def __call__(self, diagnostic: Diagnostic) -> str:
        line = diagnostic.span.line
        text = self._lines[line - 1].strip() if 1 <= line <= len(self._lines) else ""
        uri = _artifact_location(diagnostic.span.file)["uri"]
        digest = hashlib.sha256("\0".join((diagnostic.code, uri, text)).encode("utf-8",
                                                                                "surrogatepass"))
        key = digest.hexdigest()[:16]
        self._seen[key] = self._seen.get(key, 0) + 1
        return f"{key}:{self._seen[key]}"


# --- github ------------------------------------------------------------------------

def _escape_data(text: str) -> str:
    """A workflow command's message, as `@actions/core` escapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """A workflow command's property value, as `@actions/core` escapes it."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github_command(diagnostic: Diagnostic) -> str:
    line, column, end_line, end_column = _region(diagnostic.span)
    properties = [("file", diagnostic.span.file), ("line", str(line))]
    if end_line == line:
        properties += [("col", str(column)), ("endLine", str(end_line)),
                       ("endColumn", str(end_column))]
    else:
        # GitHub drops columns from an annotation that spans several lines.
        properties += [("endLine", str(end_line))]
    properties.append(("title", diagnostic.code))
    lines = [diagnostic.message]
    for related in diagnostic.related:
        lines.append(f"note: {related.message} ({related.span.file}:"
                     f"{related.span.line}:{related.span.column})")
    if diagnostic.help:
        lines.append(f"help: {diagnostic.help}")
    props = ",".join(f"{key}={_escape_property(value)}" for key, value in properties)
    return f"::{_severity(diagnostic)} {props}::{_escape_data(chr(10).join(lines))}"


def _render_github(reports: list[FileReport], tool_version: str) -> str:
    lines = [_github_command(d) + "\n" for _, d in _diagnostics(reports)]
    lines += [f"::notice file={_escape_property(printable(r.path))},title=dialplan::"
              f"{_escape_data(_omission(r))}\n" for r in reports if _omitted(r)]
    return printable("".join(lines))


_RENDERERS: dict[str, Callable[[list[FileReport], str], str]] = {
    "json": _render_json,
    "sarif": _render_sarif,
    "github": _render_github,
}

#: The formats `render_report` knows, in the order to list them.
FORMATS: tuple[str, ...] = tuple(_RENDERERS)

# Public for other documents that point at lines of scripts the same way
# (`dialplan diff`'s sarif and github output).
sarif_text = _sarif_text
artifact_location = _artifact_location
github_data = _escape_data
github_property = _escape_property
