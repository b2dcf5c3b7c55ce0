"""The machine formats of check results: `json`, `sarif` and `github`.

SARIF output is validated against the official OASIS SARIF 2.1.0 schema
(tests/data/sarif-schema-2.1.0.json, JSON Schema draft-07); the `github`
workflow commands are read back the way the Actions runner parses them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePath
from urllib.parse import unquote

import pytest
from jsonschema import Draft7Validator

from dialplan_compiler import check_source
from dialplan_compiler.diagnostics import Diagnostic, FileReport, Related, Severity
from dialplan_compiler.formats import FORMATS, MAX_DIAGNOSTICS_PER_FILE, render_report
from dialplan_compiler.nodes import Span
from dialplan_compiler.explanations import EXPLANATIONS
from dialplan_compiler.rules import RULES

SARIF_SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
SARIF = Draft7Validator(SARIF_SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER)

VERSION = "9.8.7"
HEADER = "from +302101234567\nto +306912345678\n"

#: Broken scripts, each with the codes `check_source` finds in it.
BROKEN = {
    # two `dial`s: DP206 with a related span on the first one
    "two-dials": (HEADER + "dial +302101234568\ndial +302101234569\n", ["DP206"]),
    # non-ASCII text, an astral-plane emoji among it, before the error
    "non-ascii": (HEADER + 'say "Γειά σου κόσμε 😀" in xx-YY\n', ["DP204"]),
    # a related span, a label, and two warnings on one span
    "mixed": (HEADER.replace("\n", "\nfrom +302101234568\n", 1)
              + 'say "hi" in en-GB\nplay "http://example.com/a.mp3"\n',
              ["DP201", "DP302", "DP303"]),
    "syntax": ('say "hello\nsya "x"\n', ["DP002", "DP101"]),
    "unclosed-block": ('collect to "https://x.example/p" max 4 digits {\n say "a" in en-GB\n',
                       ["DP005"]),
    "brace-in-string": ('say "a { b" in en-GB\n', ["DP008"]),
    "crlf": (HEADER.replace("\n", "\r\n") + 'say "hi" in xx-YY\r\n', ["DP204"]),
    "identical-lines": (HEADER + 'play "https://x.example/a.mp3"\n' * 2, ["DP302", "DP302"]),
}


def report(name: str, source: str | bytes) -> FileReport:
    """What the CLI would build for the file `scripts/<name>.call`."""
    path = f"scripts/{name}.call"
    diagnostics = tuple(check_source(source, path).diagnostics)
    text = source if isinstance(source, str) else None
    return FileReport(path, text, diagnostics)


def broken(name: str) -> FileReport:
    source, codes = BROKEN[name]
    result = report(name, source)
    assert [d.code for d in result.diagnostics] == codes  # the fixture is what we think
    return result


def unreadable() -> FileReport:
    result = report("binary", b'say "\xff"\n')
    assert [d.code for d in result.diagnostics] == ["DP001"]
    return result


def clean() -> FileReport:
    result = report("clean", HEADER + 'say "Hello." in en-GB\n')
    assert result.diagnostics == ()
    return result


def all_reports() -> list[FileReport]:
    return [broken(name) for name in BROKEN] + [unreadable(), clean()]


def sarif(reports: list[FileReport]) -> dict:
    text = render_report("sarif", reports, tool_version=VERSION)
    assert text.endswith("}\n")
    return json.loads(text)


def assert_valid_sarif(log: dict) -> None:
    errors = sorted(SARIF.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def diagnostic(message: str = "the message", *, file: str = "a.call", line: int = 1,
               column: int = 1, end_line: int | None = None, end_column: int | None = None,
               code: str = "DP204", severity: Severity = Severity.ERROR,
               help: str | None = None, label: str | None = None,
               related: tuple[Related, ...] = ()) -> Diagnostic:
    span = Span(file, line, column, line if end_line is None else end_line,
                column + 1 if end_column is None else end_column)
    return Diagnostic(code, severity, message, span, label, help, related)


# --- sarif: the schema ------------------------------------------------------------

def test_schema_is_the_official_draft_07_one():
    assert SARIF_SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert SARIF_SCHEMA["$id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    Draft7Validator.check_schema(SARIF_SCHEMA)


def test_schema_check_can_fail():
    log = sarif([broken("two-dials")])
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    log["runs"][0]["results"][0]["level"] = "fatal"
    log["runs"][0]["tool"]["driver"]["rules"][0]["colour"] = "red"
    assert len(list(SARIF.iter_errors(log))) == 3


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_sarif_of_a_broken_script_is_valid(name):
    result = broken(name)
    log = sarif([result])
    assert_valid_sarif(log)
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == [d.code for d in result.diagnostics]


def test_sarif_of_an_unreadable_file_is_valid():
    log = sarif([unreadable()])
    assert_valid_sarif(log)
    [result] = log["runs"][0]["results"]
    assert result["ruleId"] == "DP001"
    assert re.fullmatch(r"[0-9a-f]{16}:1", result["partialFingerprints"]["primaryLocationLineHash"])


@pytest.mark.parametrize("reports", [[], "clean"], ids=["no-files", "clean-file"])
def test_sarif_of_an_empty_report_is_valid(reports):
    log = sarif([clean()] if reports == "clean" else [])
    assert_valid_sarif(log)
    [run] = log["runs"]
    assert run["results"] == []
    assert len(run["tool"]["driver"]["rules"]) == len(RULES)


def test_sarif_of_many_files_is_one_valid_run():
    reports = all_reports()
    log = sarif(reports)
    assert_valid_sarif(log)
    [run] = log["runs"]
    expected = [(d.code, r.path) for r in reports for d in r.diagnostics]
    assert [(res["ruleId"], unquote(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]))
            for res in run["results"]] == expected


# --- sarif: the log ---------------------------------------------------------------

def test_sarif_log_and_driver():
    log = sarif([broken("two-dials")])
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    driver = run["tool"]["driver"]
    assert driver["name"] == "dialplan"
    assert driver["version"] == VERSION
    assert "informationUri" not in driver


def test_every_rule_is_in_the_driver():
    rules = sarif([])["runs"][0]["tool"]["driver"]["rules"]
    assert sorted(r["id"] for r in rules) == sorted(RULES)
    assert len(rules) == len(RULES)
    for entry in rules:
        rule = RULES[entry["id"]]
        assert entry["name"] == rule.name
        assert entry["shortDescription"] == {"text": rule.summary}
        explanation = EXPLANATIONS[rule.code]
        assert entry["fullDescription"] == {"text": explanation.text}
        assert entry["help"]["text"] == explanation.text
        assert explanation.text in entry["help"]["markdown"]
        if explanation.wrong:
            assert explanation.wrong in entry["help"]["markdown"]
        assert entry["defaultConfiguration"] == {"level": rule.severity.value}
        assert entry["properties"]["tags"] and all(isinstance(t, str)
                                                   for t in entry["properties"]["tags"])


def test_rule_index_points_at_the_rule():
    [run] = sarif(all_reports())["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) > 10
    for result in run["results"]:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert result["level"] == rule["defaultConfiguration"]["level"]


def test_sarif_rule_help_is_the_explanation_with_its_examples():
    [entry] = [r for r in sarif([])["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "DP204"]
    assert entry["fullDescription"]["text"].startswith("A language Routee's SAY does not speak")
    assert 'say "Good morning." in en-UK' in entry["help"]["markdown"]
    assert 'say "Good morning." in en-GB' in entry["help"]["markdown"]


def test_result_location_message_and_related_location():
    source, _ = BROKEN["two-dials"]
    [result] = sarif([broken("two-dials")])["runs"][0]["results"]
    assert result["ruleId"] == "DP206"
    assert result["level"] == "error"
    assert result["message"]["text"] == (
        "a plan can have only one `dial`\n"
        "note: [first `dial` is here](1)\n"
        "help: Routee rejects plans with two DIAL verbs; split the call flow")
    [location] = result["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "scripts/two-dials.call", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 4, "startColumn": 1, "endLine": 4, "endColumn": 5},
    }
    assert location["message"] == {"text": "second dial"}
    [related] = result["relatedLocations"]
    assert related["id"] == 1
    assert related["message"] == {"text": "first `dial` is here"}
    region = related["physicalLocation"]["region"]
    assert source.splitlines()[region["startLine"] - 1][
        region["startColumn"] - 1:region["endColumn"] - 1] == "dial +302101234568"


def test_columns_count_code_points():
    source, _ = BROKEN["non-ascii"]
    line = source.splitlines()[2]
    column = line.index("xx-YY") + 1
    # the emoji is two UTF-16 code units: this test tells the two apart
    assert len(line[:column - 1].encode("utf-16-le")) // 2 == column
    [result] = sarif([broken("non-ascii")])["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 3, "startColumn": column, "endLine": 3, "endColumn": column + 5}


def test_message_text_escapes_braces_and_brackets():
    d = diagnostic("a {name} and [x](1)", help="write {{ for {", label="see [here]",
                   related=(Related(Span("a.call", 1, 1, 1, 2), "it is {here}"),))
    [result] = sarif([FileReport("a.call", "say\n", (d,))])["runs"][0]["results"]
    assert result["message"]["text"] == ("a {{name}} and \\[x\\](1)\n"
                                         "note: [it is {{here}}](1)\n"
                                         "help: write {{{{ for {{")
    assert result["locations"][0]["message"]["text"] == "see \\[here\\]"
    assert result["relatedLocations"][0]["message"]["text"] == "it is {{here}}"


def test_a_code_outside_the_rules_has_no_rule_index():
    d = diagnostic(code="DP999")
    log = sarif([FileReport("a.call", "say\n", (d,))])
    assert_valid_sarif(log)
    [result] = log["runs"][0]["results"]
    assert result["ruleId"] == "DP999"
    assert "ruleIndex" not in result


@pytest.mark.parametrize("path, uri", [
    ("scripts/a b.call", "scripts/a%20b.call"),
    ("./scripts/x.call", "scripts/x.call"),
    ("100%#?.call", "100%25%23%3F.call"),
    ("Γειά.call", "%CE%93%CE%B5%CE%B9%CE%AC.call"),
])
def test_relative_paths_are_uri_references_against_srcroot(path, uri):
    log = sarif([FileReport(path, "say\n", (diagnostic(file=path),))])
    assert_valid_sarif(log)
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": uri, "uriBaseId": "%SRCROOT%"}
    # RFC 3986 characters only (the schema's "uri-reference" format is not
    # checked without extra packages), and it decodes back to the path
    assert re.fullmatch(r"[A-Za-z0-9\-._~/%!$&'()*+,;=:@]+", location["uri"])
    assert unquote(location["uri"]) == PurePath(path).as_posix()


def test_an_absolute_path_is_a_file_uri():
    path = str(Path("/tmp/dial plan/a.call").resolve())
    log = sarif([FileReport(path, "say\n", (diagnostic(file=path),))])
    assert_valid_sarif(log)
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": Path(path).as_uri()}
    assert location["uri"].startswith("file:///")


# --- sarif: fingerprints ----------------------------------------------------------

def fingerprints(source: str) -> list[str]:
    [run] = sarif([report("x", source)])["runs"]
    return [r["partialFingerprints"]["primaryLocationLineHash"] for r in run["results"]]


def test_fingerprints_look_like_githubs():
    for fingerprint in fingerprints(BROKEN["mixed"][0]):
        assert re.fullmatch(r"[0-9a-f]{16}:[1-9][0-9]*", fingerprint)


def test_fingerprints_survive_lines_inserted_above():
    source = HEADER + 'say "Γειά 😀" in xx-YY\ndial +302101234568\ndial +302101234569\n'
    moved = "\n\n# a comment\n\n" + source.replace("\n", "\n\n", 2)
    before, after = report("x", source), report("x", moved)
    assert [d.code for d in before.diagnostics] == ["DP204", "DP206"]
    assert [d.span.line for d in after.diagnostics] != [d.span.line for d in before.diagnostics]
    assert fingerprints(moved) == fingerprints(source)


def test_fingerprints_count_lines_like_the_parser():
    # U+2028 and form feed end a line for str.splitlines, not for the parser
    plain = HEADER + 'say "ab" in en-GB\nsay "c" in xx-YY\n'
    odd = HEADER + 'say "a\u2028b\x0c" in en-GB\nsay "c" in xx-YY\n'
    assert [d.span.line for d in report("x", odd).diagnostics] == [4]
    assert fingerprints(odd) == fingerprints(plain)


def test_fingerprints_differ_for_different_errors():
    first, second = fingerprints(HEADER + 'say "a" in xx-YY\nsay "b" in yy-ZZ\n')
    assert first != second
    assert first.split(":")[0] != second.split(":")[0]


def test_fingerprints_differ_for_different_rules_on_one_line():
    hashes = [f.split(":")[0] for f in fingerprints(BROKEN["mixed"][0])]
    assert len(hashes) == len(set(hashes)) == 3


def test_fingerprints_ignore_indentation_and_line_endings():
    source = HEADER + 'say "a" in xx-YY\n'
    moved = HEADER.replace("\n", "\r\n") + '\t  say "a" in xx-YY  \r\n'
    assert report("x", moved).diagnostics[0].span.column != report("x", source).diagnostics[0].span.column
    assert fingerprints(moved) == fingerprints(source)


def test_fingerprints_count_identical_lines():
    first, second = fingerprints(BROKEN["identical-lines"][0])
    assert first.split(":")[0] == second.split(":")[0]
    assert (first.split(":")[1], second.split(":")[1]) == ("1", "2")


def test_fingerprints_depend_on_the_file():
    source, _ = BROKEN["non-ascii"]
    one = sarif([report("one", source)])["runs"][0]["results"][0]
    two = sarif([report("two", source)])["runs"][0]["results"][0]
    assert (one["partialFingerprints"]["primaryLocationLineHash"]
            != two["partialFingerprints"]["primaryLocationLineHash"])


# --- json ------------------------------------------------------------------------

DIAGNOSTIC_KEYS = ["file", "line", "column", "end_line", "end_column", "code", "severity",
                   "message", "help", "label", "related"]
RELATED_KEYS = ["file", "line", "column", "end_line", "end_column", "message"]


def as_json(reports: list[FileReport]) -> tuple[str, dict]:
    text = render_report("json", reports, tool_version=VERSION)
    return text, json.loads(text)


def test_json_document():
    reports = all_reports()
    text, document = as_json(reports)
    assert text.startswith('{\n  "version": 1,\n  "tool": {\n    "name": "dialplan",')
    assert text.endswith("\n}\n")
    assert list(document) == ["version", "tool", "summary", "diagnostics", "omitted"]
    assert document["version"] == 1
    assert document["tool"] == {"name": "dialplan", "version": VERSION}
    diagnostics = [d for r in reports for d in r.diagnostics]
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    assert 0 < errors < len(diagnostics)
    assert list(document["summary"]) == ["files", "errors", "warnings", "omitted"]
    assert document["summary"] == {"files": len(reports), "errors": errors,
                                   "warnings": len(diagnostics) - errors, "omitted": 0}
    assert document["omitted"] == []
    assert len(document["diagnostics"]) == len(diagnostics)
    for entry, d in zip(document["diagnostics"], diagnostics):
        assert list(entry) == DIAGNOSTIC_KEYS
        assert entry == {
            "file": d.span.file, "line": d.span.line, "column": d.span.column,
            "end_line": d.span.end_line, "end_column": d.span.end_column,
            "code": d.code, "severity": d.severity.value, "message": d.message,
            "help": d.help, "label": d.label,
            "related": [{"file": r.span.file, "line": r.span.line, "column": r.span.column,
                         "end_line": r.span.end_line, "end_column": r.span.end_column,
                         "message": r.message} for r in d.related],
        }
        for related in entry["related"]:
            assert list(related) == RELATED_KEYS


def test_json_related_span_and_code_point_columns():
    _, document = as_json([broken("two-dials"), broken("non-ascii")])
    dials, language = document["diagnostics"]
    assert dials["related"] == [{"file": "scripts/two-dials.call", "line": 3, "column": 1,
                                 "end_line": 3, "end_column": 19,
                                 "message": "first `dial` is here"}]
    assert dials["label"] == "second dial"
    line = BROKEN["non-ascii"][0].splitlines()[2]
    assert line[language["column"] - 1:language["end_column"] - 1] == "xx-YY"
    assert language["label"] is None
    assert language["help"].startswith("Routee's languages:")


def test_json_lists_diagnostics_in_source_order():
    later = diagnostic("later", line=3, code="DP101")
    earlier = diagnostic("earlier", line=1, column=5, code="DP302", severity=Severity.WARNING)
    first = diagnostic("first", line=1, column=2, code="DP303", severity=Severity.WARNING)
    _, document = as_json([FileReport("b.call", None, (later, earlier, first)),
                           FileReport("a.call", None, (later,))])
    assert [(d["file"], d["message"]) for d in document["diagnostics"]] == [
        ("a.call", "first"), ("a.call", "earlier"), ("a.call", "later"), ("a.call", "later")]


def test_json_of_nothing():
    text, document = as_json([])
    assert document == {"version": 1, "tool": {"name": "dialplan", "version": VERSION},
                        "summary": {"files": 0, "errors": 0, "warnings": 0, "omitted": 0},
                        "diagnostics": [], "omitted": []}
    _, document = as_json([clean()])
    assert document["summary"] == {"files": 1, "errors": 0, "warnings": 0, "omitted": 0}


def test_json_keeps_text_exactly():
    d = diagnostic('quote " backslash \\ newline \n tab \t Γειά 😀', file="dir/ä b.call")
    _, document = as_json([FileReport("dir/ä b.call", None, (d,))])
    assert document["diagnostics"][0]["message"] == d.message
    assert document["diagnostics"][0]["file"] == "dir/ä b.call"


# --- github ----------------------------------------------------------------------

def unescape(text: str, *, property: bool) -> str:
    """Undo the escaping the way actions/runner's ActionCommand does."""
    pairs = [("%0D", "\r"), ("%0A", "\n")]
    if property:
        pairs += [("%3A", ":"), ("%2C", ",")]
    for escaped, plain in pairs + [("%25", "%")]:
        text = text.replace(escaped, plain)
    return text


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """Parse a workflow command like actions/runner's ActionCommand.TryParseV2."""
    assert line.startswith("::")
    end = line.index("::", 2)
    info = line[2:end]
    name, _, props = info.partition(" ")
    properties = {}
    for prop in filter(None, props.split(",")):
        key, value = prop.split("=", 1)
        properties[key] = unescape(value, property=True)
    return name, properties, unescape(line[end + 2:], property=False)


def github(reports: list[FileReport]) -> list[str]:
    text = render_report("github", reports, tool_version=VERSION)
    assert "\r" not in text
    assert text == "" or text.endswith("\n")
    return text.splitlines()


def test_github_one_line_per_diagnostic():
    reports = all_reports()
    lines = github(reports)
    diagnostics = [d for r in reports for d in r.diagnostics]
    assert len(lines) == len(diagnostics)
    for line, d in zip(lines, diagnostics):
        name, properties, message = parse_command(line)
        assert name == d.severity.value
        assert properties["file"] == d.span.file
        assert properties["title"] == d.code
        assert int(properties["line"]) == d.span.line
        assert message.split("\n")[0] == d.message
        if d.help:
            assert message.endswith("\nhelp: " + d.help)
    assert github([]) == []
    assert github([clean()]) == []


def test_github_exact_commands():
    lines = github([broken("two-dials"), broken("mixed")])
    assert lines[0] == (
        "::error file=scripts/two-dials.call,line=4,col=1,endLine=4,endColumn=5,title=DP206"
        "::a plan can have only one `dial`"
        "%0Anote: first `dial` is here (scripts/two-dials.call:3:1)"
        "%0Ahelp: Routee rejects plans with two DIAL verbs; split the call flow")
    assert lines[2].startswith(
        "::warning file=scripts/mixed.call,line=5,col=6,endLine=5,endColumn=32,title=DP302::")


def test_github_escapes_file_names_and_messages():
    path = "dir,1/a:b%25 c\r\nd.call"
    message = "100% sure: a,b\r\nnext line %0A :: done"
    d = diagnostic(message, file=path, line=2, column=3, end_column=7, help="use 50%, not: this")
    [line] = github([FileReport(path, None, (d,))])
    assert line == (
        "::error file=dir%2C1/a%3Ab%2525 c%0D%0Ad.call,line=2,col=3,endLine=2,endColumn=7,"
        "title=DP204::100%25 sure: a,b%0D%0Anext line %250A :: done%0Ahelp: use 50%25, not: this")
    name, properties, data = parse_command(line)
    assert name == "error"
    assert properties == {"file": path, "line": "2", "col": "3", "endLine": "2",
                          "endColumn": "7", "title": "DP204"}
    assert data == message + "\nhelp: use 50%, not: this"


def test_github_multi_line_span_has_no_columns():
    d = diagnostic(line=2, column=5, end_line=4, end_column=2, severity=Severity.WARNING,
                   code="DP306")
    [line] = github([FileReport("a.call", None, (d,))])
    assert line == "::warning file=a.call,line=2,endLine=4,title=DP306::the message"


# --- the API ---------------------------------------------------------------------

def test_formats():
    assert set(FORMATS) == {"json", "sarif", "github"}


@pytest.mark.parametrize("name", ["text", "JSON", "xml", ""])
def test_unknown_format(name):
    with pytest.raises(ValueError, match="unknown output format"):
        render_report(name, [], tool_version=VERSION)


@pytest.mark.parametrize("name", ["json", "sarif", "github"])
def test_output_is_deterministic(name):
    first = render_report(name, all_reports(), tool_version=VERSION)
    assert render_report(name, all_reports(), tool_version=VERSION) == first


# --- a cap on diagnostics per file ---------------------------------------------------------

def many(count: int, file: str = "big.call") -> FileReport:
    """`count` diagnostics, one per line, given last line first."""
    return FileReport(file, None, tuple(diagnostic(f"mistake {n}", file=file, line=n)
                                        for n in range(count, 0, -1)))


def test_json_lists_the_first_diagnostics_of_a_file_and_counts_the_rest():
    extra = 7
    _, document = as_json([many(MAX_DIAGNOSTICS_PER_FILE + extra), many(3, "small.call")])
    lines = [(d["file"], d["line"]) for d in document["diagnostics"]]
    assert lines == [("big.call", n) for n in range(1, MAX_DIAGNOSTICS_PER_FILE + 1)] + \
        [("small.call", n) for n in (1, 2, 3)]
    assert document["summary"] == {"files": 2, "errors": MAX_DIAGNOSTICS_PER_FILE + extra + 3,
                                   "warnings": 0, "omitted": extra}
    assert document["omitted"] == [{
        "file": "big.call", "count": extra,
        "message": f"{extra} more diagnostics in big.call not listed "
                   f"(at most {MAX_DIAGNOSTICS_PER_FILE} per file)"}]


def test_sarif_lists_the_first_diagnostics_and_notes_the_rest():
    log = sarif([many(MAX_DIAGNOSTICS_PER_FILE + 1), many(2, "small.call")])
    assert_valid_sarif(log)
    run = log["runs"][0]
    assert len(run["results"]) == MAX_DIAGNOSTICS_PER_FILE + 2
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is True
    [note] = invocation["toolExecutionNotifications"]
    assert note["message"]["text"].startswith("1 more diagnostic in big.call not listed")
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "big.call"
    assert "invocations" not in sarif([many(2)])["runs"][0]


def test_github_annotates_the_first_diagnostics_and_notes_the_rest():
    lines = render_report("github", [many(MAX_DIAGNOSTICS_PER_FILE + 5)],
                          tool_version=VERSION).splitlines()
    assert len(lines) == MAX_DIAGNOSTICS_PER_FILE + 1
    assert lines[-1] == ("::notice file=big.call,title=dialplan::5 more diagnostics in big.call "
                         f"not listed (at most {MAX_DIAGNOSTICS_PER_FILE} per file)")
