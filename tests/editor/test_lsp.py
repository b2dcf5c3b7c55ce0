"""`dialplan lsp` end to end: a real LSP client (pytest-lsp) talking to the
server process over stdio, started as an editor starts it (`dialplan lsp`).

One server (with VS Code's capabilities: positions in UTF-16) serves most
tests; each test opens its own documents. A second server is started with
Neovim's capabilities, which negotiate UTF-8 positions.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from dialplan_compiler import routee
from dialplan_compiler.formatter import format_text

pytestmark = pytest.mark.asyncio(loop_scope="module")

from helpers import ROOT as REPO
SERVER = [sys.executable, "-c", "from dialplan_compiler.cli import main; main()", "lsp"]
#: Seconds a test waits for the server before it fails.
TIMEOUT = 20


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("lsp")


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, workdir: Path):
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=workdir.as_uri(), initialization_options={"debounce": 0.05}))
    yield
    await lsp_client.shutdown_session()


# --- helpers ----------------------------------------------------------------------------

_versions: dict[str, int] = {}


async def _published(client: LanguageClient, uri: str, send) -> list[lsp.Diagnostic]:
    """Send something, and wait for the diagnostics it makes the server publish."""
    client.diagnostics.pop(uri, None)
    send()
    async with asyncio.timeout(TIMEOUT):
        while uri not in client.diagnostics:
            await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


async def open_document(client: LanguageClient, path: Path, text: str) -> list[lsp.Diagnostic]:
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    _versions[uri] = 1
    return await _published(client, uri, lambda: client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "dialplan", 1, text))))


async def change_document(client: LanguageClient, uri: str, text: str) -> list[lsp.Diagnostic]:
    _versions[uri] += 1
    return await _published(client, uri, lambda: client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(_versions[uri], uri),
            [lsp.TextDocumentContentChangeWholeDocument(text)])))


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def position_of(text: str, needle: str, encoding: str = "utf-16") -> lsp.Position:
    """Where `needle` first starts in `text`, counted the way the test's
    client counts (independently of the server's code)."""
    offset = text.index(needle)
    line = text.count("\n", 0, offset)
    before = text[text.rfind("\n", 0, offset) + 1:offset]
    units = {"utf-16": utf16(before), "utf-8": len(before.encode("utf-8")),
             "utf-32": len(before)}[encoding]
    return lsp.Position(line, units)


def range_of(text: str, needle: str, encoding: str = "utf-16") -> lsp.Range:
    start = position_of(text, needle, encoding)
    length = {"utf-16": utf16(needle), "utf-8": len(needle.encode("utf-8")),
              "utf-32": len(needle)}[encoding]
    return lsp.Range(start, lsp.Position(start.line, start.character + length))


def apply_edits(text: str, edits: list[lsp.TextEdit]) -> str:
    """Apply LSP text edits (UTF-16 positions) to `text`."""
    lines = text.split("\n")

    def offset(position: lsp.Position) -> int:
        start = sum(len(line) + 1 for line in lines[:position.line])
        line = lines[position.line] if position.line < len(lines) else ""
        units = 0
        for index, ch in enumerate(line):
            if units >= position.character:
                return start + index
            units += utf16(ch)
        return start + len(line)

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character),
                       reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


def summary(diagnostics: list[lsp.Diagnostic]) -> list[tuple]:
    return sorted((d.code, d.range.start.line, d.range.start.character, d.range.end.line,
                   d.range.end.character) for d in diagnostics)


# Three mistakes, each on a line with Greek text or an emoji (a UTF-16
# surrogate pair) before it, so that code points and UTF-16 units differ.
THREE_MISTAKES = (
    "from +302101234567\n"
    "to +306912345678\n"
    'say "Καλησπέρα 😀 σας." in el-gr\n'
    'say "😀 Ένα λεπτό." in el-GR as femal\n'
    'sya "Goodbye 👋." in en-GB\n'
)


# --- diagnostics --------------------------------------------------------------------------

async def test_three_mistakes_at_their_utf16_ranges(client: LanguageClient, workdir: Path):
    text = THREE_MISTAKES
    found = await open_document(client, workdir / "three.call", text)
    assert summary(found) == summary([
        lsp.Diagnostic(range_of(text, "el-gr"), "", code="DP204"),
        lsp.Diagnostic(range_of(text, "femal"), "", code="DP104"),
        lsp.Diagnostic(range_of(text, "sya"), "", code="DP101"),
    ])
    by_code = {d.code: d for d in found}
    # The range is in UTF-16 units: the emoji counts twice, Greek letters once.
    assert by_code["DP204"].range.start == lsp.Position(2, 27)
    assert by_code["DP104"].range.start == lsp.Position(3, 32)
    assert all(d.source == "dialplan" for d in found)
    assert all(d.severity == lsp.DiagnosticSeverity.Error for d in found)
    assert by_code["DP204"].message.startswith("'el-gr' is not a language Routee speaks")
    assert "did you mean 'el-GR'?" in by_code["DP204"].message
    assert "did you mean 'say'?" in by_code["DP101"].message


async def test_quick_fixes_make_the_file_clean(client: LanguageClient, workdir: Path):
    text = THREE_MISTAKES
    path = workdir / "fix-me.call"
    found = await open_document(client, path, text)
    uri = path.as_uri()
    titles = []
    for _ in range(3):
        assert found, "every mistake should have been fixed by now"
        diagnostic = found[0]
        actions = await client.text_document_code_action_async(lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(uri), diagnostic.range,
            lsp.CodeActionContext([diagnostic])))
        assert actions, f"no quick fix for {diagnostic.code}"
        action = actions[0]
        assert action.kind == lsp.CodeActionKind.QuickFix and action.is_preferred
        titles.append(action.title)
        text = apply_edits(text, action.edit.changes[uri])
        found = await change_document(client, uri, text)
    assert found == []
    assert sorted(titles) == ["Change to el-GR", "Change to female", "Change to say"]
    assert text == THREE_MISTAKES.replace("el-gr", "el-GR").replace("femal", "female") \
        .replace("sya", "say")


async def test_two_candidates_give_two_quick_fixes(client: LanguageClient, workdir: Path):
    text = 'ring 30\nsay "Hello." in en\n'
    path = workdir / "choices.call"
    found = await open_document(client, path, text)
    assert [d.code for d in found] == ["DP105", "DP204"]
    for diagnostic, expected in zip(found, (["30s", "30m"], ["en-US", "en-GB"])):
        actions = await client.text_document_code_action_async(lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(path.as_uri()), diagnostic.range,
            lsp.CodeActionContext([diagnostic])))
        assert [a.edit.changes[path.as_uri()][0].new_text for a in actions] == expected
        assert not any(a.is_preferred for a in actions)


async def test_a_change_that_breaks_the_file_gets_a_new_diagnostic(client: LanguageClient,
                                                                    workdir: Path):
    text = 'say "Γειά σας." in el-GR\n'
    path = workdir / "change.call"
    assert await open_document(client, path, text) == []
    broken = text.replace("el-GR", "el-gr") + "pause 500ms\n"
    found = await change_document(client, path.as_uri(), broken)
    assert summary(found) == summary([
        lsp.Diagnostic(range_of(broken, "el-gr"), "", code="DP204"),
        lsp.Diagnostic(range_of(broken, "500ms"), "", code="DP209"),
    ])
    assert await change_document(client, path.as_uri(), text) == []


async def test_diagnostics_are_what_dialplan_check_prints(client: LanguageClient,
                                                          workdir: Path):
    """Every example, and a file with a bit of everything wrong: the same
    codes, places, severities and words as `dialplan check --format json`."""
    files = sorted(REPO.glob("examples/**/*.call"))
    broken = workdir / "everything.call"
    broken.write_text(
        'from Clinic\nto "alice@example.com"\nring 90s\nvoice en-gb\n'
        'say "Hi 😀" repeat -1 interruptible\nsay "unterminated\n'
        'play "http://cdn.example.com/a.mp3"\ndial +302107654321\ndial +302107654321\n'
        'pause 1500ms }\nring 10s\n', encoding="utf-8")
    files.append(broken)
    done = subprocess.run([*SERVER[:-1], "check", "--format", "json", *map(str, files)],
                          capture_output=True, text=True, timeout=60)
    expected_by_file: dict[str, list] = {}
    for d in json.loads(done.stdout)["diagnostics"]:
        expected_by_file.setdefault(d["file"], []).append(d)
    assert expected_by_file[str(broken)], "the broken file should have findings"
    for path in files:
        text = path.read_text(encoding="utf-8")
        found = await open_document(client, workdir / f"copy-{path.name}", text) \
            if path != broken else await open_document(client, path, text)
        lines = text.split("\n")
        expected = []
        for d in expected_by_file.get(str(path), []):
            start = lsp.Position(d["line"] - 1, utf16(lines[d["line"] - 1][:d["column"] - 1]))
            end_line = lines[d["end_line"] - 1] if d["end_line"] <= len(lines) else ""
            end = lsp.Position(d["end_line"] - 1, utf16(end_line[:d["end_column"] - 1]))
            message = "\n".join([d["message"]] + ([d["label"]] if d["label"] else []) +
                                ([f"help: {d['help']}"] if d["help"] else []))
            expected.append((d["code"], d["severity"], start.line, start.character, end.line,
                             end.character, message))
        got = [(d.code, "error" if d.severity == lsp.DiagnosticSeverity.Error else "warning",
                d.range.start.line, d.range.start.character, d.range.end.line,
                d.range.end.character, d.message) for d in found]
        assert sorted(got) == sorted(expected), path.name


async def test_project_configuration_is_honoured(client: LanguageClient, workdir: Path):
    text = 'from "Example Clinic"\nto +306912345678\nsay "Hello." in en-GB\n'
    plain = await open_document(client, workdir / "sender.call", text)
    assert [d.code for d in plain] == ["DP304"]
    assert plain[0].severity == lsp.DiagnosticSeverity.Warning

    configured = workdir / "configured"
    configured.mkdir()
    (configured / ".dialplan.toml").write_text('ignore = ["DP304"]\n', encoding="utf-8")
    assert await open_document(client, configured / "sender.call", text) == []

    broken = workdir / "broken-config"
    broken.mkdir()
    (broken / ".dialplan.toml").write_text('max-errors = "ten"\n', encoding="utf-8")
    found = await open_document(client, broken / "sender.call", text)
    assert [d.code for d in found] == ["DP011"]
    assert "'max-errors' must be a whole number" in found[0].message
    assert found[0].related_information[0].location.uri == \
        (broken / ".dialplan.toml").as_uri()

    # a setting that does nothing: the rest applies, and a warning points at it
    typo = workdir / "typo-config"
    typo.mkdir()
    (typo / ".dialplan.toml").write_text('ignore = ["DP304"]\nbogus = 1\n', encoding="utf-8")
    found = await open_document(client, typo / "sender.call", text)
    assert [(d.code, d.severity) for d in found] == [("DP330", lsp.DiagnosticSeverity.Warning)]
    assert "unknown configuration key 'bogus'" in found[0].message
    assert found[0].related_information[0].location.range.start.line == 1


async def test_ignore_comments_and_unreachable_verbs(client: LanguageClient, workdir: Path):
    text = ('from "Example Clinic"  # dialplan: ignore[DP304]\nto +306912345678\n'
            'say "Hold on." in en-GB repeat forever\nsay "Never." in en-GB\n')
    found = await open_document(client, workdir / "unreachable.call", text)
    assert [d.code for d in found] == ["DP306"]
    assert list(found[0].tags) == [lsp.DiagnosticTag.Unnecessary]


# --- completion ---------------------------------------------------------------------------

async def _complete(client: LanguageClient, workdir: Path, name: str, text: str,
                    at: lsp.Position | None = None) -> list[lsp.CompletionItem]:
    await open_document(client, workdir / name, text)
    if at is None:
        lines = text.split("\n")
        at = lsp.Position(len(lines) - 1, utf16(lines[-1]))
    result = await client.text_document_completion_async(lsp.CompletionParams(
        lsp.TextDocumentIdentifier((workdir / name).as_uri()), at))
    return result.items if isinstance(result, lsp.CompletionList) else result


async def test_completion_after_in_offers_the_14_languages(client: LanguageClient,
                                                           workdir: Path):
    items = await _complete(client, workdir, "complete-in.call", 'say "Καλημέρα 😀" in ')
    assert sorted(i.label for i in items) == sorted(routee.LANGUAGES)
    assert len(items) == 14
    # Half-typed, with a hyphen the editor would not count as part of a word:
    # the whole word is replaced.
    items = await _complete(client, workdir, "complete-in2.call", 'say "x" in en-')
    edit = next(i.text_edit for i in items if i.label == "en-GB")
    assert edit.new_text == "en-GB"
    assert edit.range == lsp.Range(lsp.Position(0, 11), lsp.Position(0, 14))


async def test_completion_of_statements_options_values_and_units(client: LanguageClient,
                                                                workdir: Path):
    statements = await _complete(client, workdir, "c1.call", "from +302101234567\n")
    labels = [i.label for i in statements]
    assert "say" in labels and "ring" in labels and "from" not in labels  # once each
    ring = next(i for i in statements if i.label == "ring")
    assert "hangupDelay" in ring.documentation.value

    options = await _complete(client, workdir, "c2.call", 'say "x" in en-GB ')
    assert [i.label for i in options] == ["as", "repeat", "interruptible"]
    genders = await _complete(client, workdir, "c3.call", "voice el-GR ")
    assert [i.label for i in genders] == ["male", "female"]
    units = await _complete(client, workdir, "c4.call", "ring 45")
    assert [i.label for i in units] == ["45s", "45m", "45h"]
    dial = await _complete(client, workdir, "c5.call", 'dial +302107654321 record ')
    assert [i.label for i in dial][:3] == ["wav", "mp3", "to"]
    assert not await _complete(client, workdir, "c6.call", 'say "in a string ')
    assert not await _complete(client, workdir, "c7.call", "# a comment ")


# --- hover, symbols, formatting ----------------------------------------------------------

async def _hover(client: LanguageClient, uri: str, at: lsp.Position) -> lsp.Hover | None:
    return await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri), at))


async def test_hover_on_ring_mentions_hangup_delay(client: LanguageClient, workdir: Path):
    text = 'from +302101234567\nto +306912345678\nring 30s\nsay "Hi." in en-GB as female\n'
    path = workdir / "hover.call"
    await open_document(client, path, text)
    hover = await _hover(client, path.as_uri(), position_of(text, "ring"))
    assert hover.contents.kind == lsp.MarkupKind.Markdown
    assert "hangupDelay" in hover.contents.value
    assert "1 to 60 s" in hover.contents.value
    assert hover.range == range_of(text, "ring")
    option = await _hover(client, path.as_uri(), position_of(text, "as female"))
    assert "message.gender" in option.contents.value
    assert await _hover(client, path.as_uri(), position_of(text, "+3069")) is None


async def test_hover_on_a_diagnostic_explains_its_rule(client: LanguageClient, workdir: Path):
    text = 'say "Hi." in en-gb\n'
    path = workdir / "hover-rule.call"
    await open_document(client, path, text)
    hover = await _hover(client, path.as_uri(), position_of(text, "en-gb"))
    assert "**DP204**" in hover.contents.value
    assert "dialplan explain DP204" in hover.contents.value


async def test_document_symbols(client: LanguageClient, workdir: Path):
    text = ('from +302101234567\nvoice en-GB\nsay "Καλημέρα 😀." \\\n    as female\n'
            'dial +302107654321 ring 20s\n')
    path = workdir / "symbols.call"
    await open_document(client, path, text)
    found = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(path.as_uri())))
    assert [(s.name, s.kind) for s in found] == [
        ("from", lsp.SymbolKind.Property), ("voice", lsp.SymbolKind.Variable),
        ("say", lsp.SymbolKind.Event), ("dial", lsp.SymbolKind.Event)]
    say = found[2]
    assert say.detail == '"Καλημέρα 😀." as female'
    assert say.range == lsp.Range(lsp.Position(2, 0), lsp.Position(3, 13))


async def test_formatting_is_dialplan_fmt(client: LanguageClient, workdir: Path):
    text = 'say   "Γειά 😀"   as female in el-GR\r\npause 90s\nring 30s\n'
    path = workdir / "format.call"
    await open_document(client, path, text)
    edits = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        lsp.TextDocumentIdentifier(path.as_uri()), lsp.FormattingOptions(4, True)))
    assert apply_edits(text, edits) == format_text(text)
    formatted = format_text(text)
    await change_document(client, path.as_uri(), formatted)
    assert not await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        lsp.TextDocumentIdentifier(path.as_uri()), lsp.FormattingOptions(4, True)))
    # A file with a syntax error is left alone, as `dialplan fmt` leaves it.
    await change_document(client, path.as_uri(), 'say "unterminated\n')
    assert not await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        lsp.TextDocumentIdentifier(path.as_uri()), lsp.FormattingOptions(4, True)))


MENU = """from +302101234567
voice el-GR female
menu via "https://ivr.example.com/routee" wait 8s {
  say "Για ραντεβού πατήστε 1 😀."
  on 1 {
    say "Ένα λεπτό."
  }
  otherwise {
    say "Λάθος επιλογή."  again
  }
  timeout { say "Αντίο." }
}
"""


async def test_menus_in_the_outline_and_again_goes_to_its_menu(client: LanguageClient,
                                                                 workdir: Path):
    path = workdir / "menu.call"
    assert await open_document(client, path, MENU) == []
    uri = path.as_uri()
    found = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(uri)))
    menu = found[2]
    assert (menu.name, menu.kind) == ("menu", lsp.SymbolKind.Enum)
    assert [(c.name, c.kind) for c in menu.children] == [
        ("say", lsp.SymbolKind.Event), ("on", lsp.SymbolKind.EnumMember),
        ("otherwise", lsp.SymbolKind.EnumMember), ("timeout", lsp.SymbolKind.EnumMember)]
    assert [c.name for c in menu.children[2].children] == ["say", "again"]
    location = await client.text_document_definition_async(lsp.DefinitionParams(
        lsp.TextDocumentIdentifier(uri), position_of(MENU, "again")))
    assert location.uri == uri and location.range == range_of(MENU, "menu")
    assert await client.text_document_definition_async(lsp.DefinitionParams(
        lsp.TextDocumentIdentifier(uri), position_of(MENU, "say"))) is None
    hover = await _hover(client, uri, position_of(MENU, "otherwise"))
    assert "the menu is asked again" in hover.contents.value


# --- positions out of range, deep nesting, lone \r -----------------------------------------------

async def test_positions_past_the_end_answer_nothing(client: LanguageClient, workdir: Path):
    """A line past the end of the document has nothing to hover, complete
    or go to; a character past the end of a line is the line's end (LSP)."""
    text = 'say "Hi" in en-GB\npause 1s\n'
    path = workdir / "range.call"
    await open_document(client, path, text)
    uri = lsp.TextDocumentIdentifier(path.as_uri())
    for line, character in ((3, 0), (50, 0), (2**31 - 1, 2**31 - 1)):
        at = lsp.Position(line, character)
        async with asyncio.timeout(TIMEOUT):
            assert await _hover(client, uri.uri, at) is None
            assert await client.text_document_definition_async(
                lsp.DefinitionParams(uri, at)) is None
            completion = await client.text_document_completion_async(
                lsp.CompletionParams(uri, at))
            assert list(completion.items) == []
    async with asyncio.timeout(TIMEOUT):
        assert await _hover(client, uri.uri, lsp.Position(1, 10**6)) is None
        completion = await client.text_document_completion_async(
            lsp.CompletionParams(uri, lsp.Position(1, 10**6)))  # after `pause 1s`
    assert all(item.label.startswith("1") for item in completion.items)


def nested_menus(count: int) -> str:
    via = 'menu via "https://ivr.example.com/routee"'
    return ("voice en-GB\n" + f'{via} {{\n  say "Press 1."\n  on 1 {{\n' * count
            + '  say "Bottom."\n' + "}\n" * (2 * count))


async def test_menus_nested_as_deep_as_allowed(client: LanguageClient, workdir: Path):
    from dialplan_compiler.parser import MAX_NESTING

    text = nested_menus(MAX_NESTING // 2)
    path = workdir / "deepest.call"
    # No error; the path lint's warnings only (these menus have no
    # `otherwise` or `timeout`).
    found = await open_document(client, path, text)
    assert {d.code for d in found} == {"DP320", "DP321"}
    assert {d.severity for d in found} == {lsp.DiagnosticSeverity.Warning}
    uri = path.as_uri()
    symbols = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(lsp.TextDocumentIdentifier(uri)))
    depth, level = 0, symbols
    while level:
        depth, level = depth + 1, [c for s in level for c in (s.children or [])]
    assert depth == MAX_NESTING + 1  # the blocks and the `say` at the bottom
    hover = await _hover(client, uri, position_of(text, "say \"Bottom"))
    assert "say" in hover.contents.value


async def test_menus_nested_too_deep_are_one_diagnostic(client: LanguageClient, workdir: Path):
    found = await open_document(client, workdir / "deep.call", nested_menus(150))
    assert [(d.code, d.range.start.line) for d in found] == [("DP012", 76)]
    assert "blocks nest at most 50 deep" in found[0].message


async def test_lone_carriage_returns_end_lines(client: LanguageClient, workdir: Path):
    text = 'say "Hi" in en-GB\rpause 1s\rsay "Bye" in en-gb\r'
    path = workdir / "cr.call"
    path.write_bytes(text.encode())
    uri = path.as_uri()
    _versions[uri] = 1
    found = await _published(client, uri, lambda: client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "dialplan", 1, text))))
    assert [(d.code, d.range.start.line, d.range.start.character) for d in found] == \
        [("DP204", 2, 13)]


# --- another client, another encoding ---------------------------------------------------------

@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))
async def neovim(lsp_client: LanguageClient, workdir: Path):
    capabilities = client_capabilities("neovim@v0.11.0")
    assert capabilities.general.position_encodings[0] == "utf-8"
    result = await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=capabilities, root_uri=workdir.as_uri()))
    assert result.capabilities.position_encoding == lsp.PositionEncodingKind.Utf8
    yield
    await lsp_client.shutdown_session()


async def test_positions_in_utf8_when_the_client_asks(neovim: LanguageClient, workdir: Path):
    text = THREE_MISTAKES
    found = await open_document(neovim, workdir / "three-utf8.call", text)
    assert summary(found) == summary([
        lsp.Diagnostic(range_of(text, "el-gr", "utf-8"), "", code="DP204"),
        lsp.Diagnostic(range_of(text, "femal", "utf-8"), "", code="DP104"),
        lsp.Diagnostic(range_of(text, "sya", "utf-8"), "", code="DP101"),
    ])
    by_code = {d.code: d for d in found}
    assert by_code["DP204"].range.start == lsp.Position(2, 41)  # bytes, not characters
