"""`dialplan lsp`: a Language Server for `.call` files, over stdio.

Built on pygls (the optional extra `dialplan[lsp]`; nothing else in the
package imports this module). What it offers:

* diagnostics when a document is opened or saved, and shortly after each
  change (debounced), from the same `check_source` and the same project
  configuration as `dialplan check`, so the editor shows what the command
  line prints;
* quick fixes for every diagnostic that carries a mechanical fix ("did you
  mean …?" and the like; see `Diagnostic.fixes`);
* hover on statements and options (the Routee field, range and default,
  from `reference.py`) and on diagnostics (the rule's explanation, from
  `explanations.py`);
* completion of statements, of the options and values a statement accepts
  at the cursor (languages, genders, keywords) and of durations' units;
* whole-document formatting with `dialplan fmt`'s formatter, an outline
  (document symbols: settings, verbs, menus and their branches), and
  go-to-definition from `again` to the menu it asks again, and from `back`
  to the parent menu.

Positions are in the encoding the client negotiates (UTF-16 unless it offers
UTF-8 or UTF-32); documents are synchronised whole, so line breaks are
always counted the way LSP counts them (`editor.TextIndex`).

Initialization options: `config` (a configuration file for every document,
like `dialplan check --config`) and `debounce` (seconds to wait after a
change, 0.25 by default).

Each version of a document is checked (and parsed for hover, completion,
go-to-definition and the outline) once, whatever the number of requests
about it. The server reads its messages itself rather than with pygls'
reader, so that bad input cannot silence it: a message larger than
`MAX_MESSAGE_BYTES` is refused with an error and skipped, a request whose
parameters are not valid (a negative position) gets an error answer, and
a bug in a handler is answered with a short -32603 error while its
traceback goes to standard error only.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInternalError
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__, rules
from ..compiler import check_source
from ..config import Config, ConfigError, find_config, load_config
from ..diagnostics import Diagnostic, Severity
from .features import TextIndex, complete, definition, explanation_markdown, hover, symbols
from ..parser import parse
from ..text import bom_length

log = logging.getLogger(__name__)

#: Seconds of quiet after a change before the document is checked again.
DEBOUNCE_SECONDS = 0.25

_COMPLETION_KINDS = {
    "statement": lsp.CompletionItemKind.Keyword,
    "option": lsp.CompletionItemKind.Property,
    "keyword": lsp.CompletionItemKind.Keyword,
    "value": lsp.CompletionItemKind.EnumMember,
    "unit": lsp.CompletionItemKind.Unit,
}
_SYMBOL_KINDS = {
    "setting": lsp.SymbolKind.Property,
    "verb": lsp.SymbolKind.Event,
    "directive": lsp.SymbolKind.Variable,
    "menu": lsp.SymbolKind.Enum,        # `menu`
    "branch": lsp.SymbolKind.EnumMember,  # `on …`, `otherwise`, `timeout`
    "unknown": lsp.SymbolKind.Null,
}
#: Diagnostics whose code is faded out by editors rather than underlined.
_UNNECESSARY = {rules.UNREACHABLE_VERB.code}

#: The largest message the server reads (its Content-Length). A document
#: is sent whole with each change, so this bounds the documents it serves.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
#: The longest header line read; a longer one is garbage, skipped.
MAX_HEADER_BYTES = 4096
_CONTENT_LENGTH = re.compile(rb"content-length:[ \t]*([0-9]+)[ \t]*\r?\n", re.I)
#: JSON-RPC error codes.
_PARSE_ERROR, _INVALID_REQUEST, _INVALID_PARAMS = -32700, -32600, -32602


@dataclass
class Checked:
    """The last check of a document: for the text it was run on."""

    text: str
    encoding: str
    #: The file name the diagnostics' spans carry.
    name: str
    index: TextIndex
    #: Each dialplan diagnostic with the LSP diagnostic it was published as
    #: (None until the version is checked: completion needs no check).
    found: list[tuple[Diagnostic | None, lsp.Diagnostic]] | None
    #: The document's version when it was checked (None if the client gave none).
    version: int | None = None
    _module: Any = field(default=None, repr=False)

    @property
    def module(self):
        """The syntax tree, parsed on first use (hover, completion, …)."""
        if self._module is None:
            bom = bom_length(self.text)
            self._module = parse(self.text[bom:]).module or False
        return self._module or None

    def beyond(self, position: lsp.Position) -> bool:
        """Whether `position` is on a line past the end of the document."""
        return position.line >= self.index.line_count


class DialplanServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("dialplan", __version__,
                         text_document_sync_kind=lsp.TextDocumentSyncKind.Full)
        self.writer: StdoutWriter | None = None
        self.checked: dict[str, Checked] = {}
        self.pending: dict[str, asyncio.Task] = {}
        self.config_file: Path | None = None
        self.debounce = DEBOUNCE_SECONDS

    # --- helpers -------------------------------------------------------------------------

    @property
    def encoding(self) -> str:
        encoding = self.workspace.position_encoding or lsp.PositionEncodingKind.Utf16
        return getattr(encoding, "value", encoding)

    def document(self, uri: str):
        return self.workspace.get_text_document(uri)

    def config_for(self, path: Path | None) -> Config | ConfigError | str:
        """The configuration `dialplan check` would use in the document's
        folder (or the file given in the initialization options)."""
        try:
            if self.config_file is not None:
                return load_config(self.config_file)
            return load_config(find_config(path.parent if path else Path.cwd()))
        except ConfigError as error:
            return error
        except (OSError, UnicodeDecodeError) as error:
            return f"cannot read the configuration: {error}"

    def snapshot(self, uri: str) -> Checked:
        """The document as it is now, for requests that need no diagnostics
        (completion, definition, the outline): the last check's if it was of
        this version, else a view of it that a check completes later."""
        doc = self.document(uri)
        text, encoding = doc.source, self.encoding
        last = self.checked.get(uri)
        if last is not None and last.encoding == encoding and (
                last.version == doc.version if doc.version is not None else last.text == text):
            return last
        path = Path(to_fs_path(uri)) if uri.startswith("file:") else None
        view = Checked(text, encoding, str(path) if path else uri, TextIndex(text, encoding),
                       None, doc.version)
        self.checked[uri] = view
        return view

    def check(self, uri: str, *, fresh: bool = False) -> Checked:
        """Check the document as it is now (or reuse the last check of the
        same version, unless `fresh`)."""
        if fresh:
            self.checked.pop(uri, None)
        checked = self.snapshot(uri)
        if checked.found is None:
            checked.found = self._diagnostics(uri, checked)
        return checked

    def _diagnostics(self, uri: str, checked: Checked) -> list:
        text, name, index = checked.text, checked.name, checked.index
        path = Path(to_fs_path(uri)) if uri.startswith("file:") else None
        name = str(path) if path else uri
        config = self.config_for(path)
        found: list[tuple[Diagnostic | None, lsp.Diagnostic]]
        if isinstance(config, ConfigError):
            found = [(None, _config_diagnostic(config.diagnostic))]
        elif isinstance(config, str):
            found = [(None, _top_diagnostic(config, "DP011"))]
        else:
            try:
                result = check_source(text.encode("utf-8", "surrogatepass"), name, config=config)
            except Exception as error:  # noqa: BLE001 - a bug in dialplan: shown, not fatal
                log.exception("internal error while checking %s", name)
                found = [(None, _top_diagnostic(
                    f"internal error in dialplan while checking this file: "
                    f"{type(error).__name__}: {error} (please report it)", "internal"))]
            else:
                found = [(d, _to_lsp(d, name, uri, index)) for d in result.diagnostics]
                # what the configuration says of itself (DP330), as `dialplan check` shows it
                found += [(None, _config_diagnostic(warning)) for warning in config.warnings
                          if config.keeps(warning)]
        return found

    def publish(self, uri: str, *, fresh: bool = False) -> None:
        checked = self.check(uri, fresh=fresh)
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, diagnostics=[d for _, d in checked.found],
            version=self.document(uri).version))

    def schedule(self, uri: str) -> None:
        """Check after `debounce` seconds without another change."""
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()

        async def later() -> None:
            await asyncio.sleep(self.debounce)
            self.pending.pop(uri, None)
            if uri in self.workspace.text_documents:
                self.publish(uri)

        self.pending[uri] = asyncio.get_running_loop().create_task(later())

    # --- reading messages ------------------------------------------------------------------

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve over stdio: pygls' loop, with `_serve` as the reader."""
        self._stop_event = threading.Event()
        self.writer = StdoutWriter(stdout or sys.stdout.buffer)
        self.protocol.set_writer(self.writer)
        try:
            asyncio.run(self._serve(_Input(stdin or sys.stdin.buffer)))
        except BrokenPipeError:
            log.error("the connection to the client is lost; shutting down")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()

    async def _serve(self, source: _Input) -> None:
        loop = asyncio.get_running_loop()

        def run(function, *args):
            return loop.run_in_executor(self.thread_pool, function, *args)

        while not self._stop_event.is_set():
            length = None
            while True:  # the headers, up to an empty line
                line = await run(source.readline, MAX_HEADER_BYTES)
                if not line:
                    return  # the client closed its end
                match = _CONTENT_LENGTH.fullmatch(line)
                if match:
                    length = int(match.group(1))
                elif not line.strip() and length is not None:
                    break
                # anything else (Content-Type, a stray line) is ignored
            if length > MAX_MESSAGE_BYTES:
                log.error("refused a message of %d bytes (the limit is %d)",
                          length, MAX_MESSAGE_BYTES)
                self._answer(None, _INVALID_REQUEST,
                             f"message of {length} bytes refused: the limit is "
                             f"{MAX_MESSAGE_BYTES} bytes (64 MiB)")
                await run(source.skip, length)
                continue
            body = await run(source.read, length)
            if len(body) < length:
                return
            try:
                message = json.loads(body, object_hook=self.protocol.structure_message)
            except Exception as error:  # noqa: BLE001 - answered, not fatal
                self._refuse(body, error)
                continue
            try:
                self.protocol.handle_message(message)
            except Exception:  # noqa: BLE001 - logged; the next message is served
                log.exception("unable to handle a message")

    def _refuse(self, body: bytes, error: Exception) -> None:
        """Answer a message that could not be read: its request's id if it
        has one, else null (JSON-RPC's "the id could not be detected")."""
        try:
            raw = json.loads(body)
        except ValueError:
            log.error("a message is not JSON: %s", error)
            self._answer(None, _PARSE_ERROR, "the message is not JSON")
            return
        if not isinstance(raw, dict) or "method" not in raw:
            log.error("a message is not a JSON-RPC request or notification")
            if not isinstance(raw, dict) or "result" not in raw and "error" not in raw:
                self._answer(None, _INVALID_REQUEST, "not a JSON-RPC message")
            return
        method = str(raw.get("method"))[:100]
        log.error("invalid parameters for %s: %s", method, error)
        if "id" in raw and isinstance(raw["id"], (int, str)):
            self._answer(raw["id"], _INVALID_PARAMS, f"invalid parameters for {method}")

    def _answer(self, msg_id: int | str | None, code: int, message: str) -> None:
        body = json.dumps({"jsonrpc": "2.0", "id": msg_id,
                           "error": {"code": code, "message": message}}).encode("ascii")
        if self.writer is not None:
            self.writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)


class _Input:
    """Standard input, read in chunks: lines of bounded length, bodies of a
    given length, and the skipping of a body too large to read."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.buffer = bytearray()
        self.eof = False

    def _fill(self) -> bool:
        if self.eof:
            return False
        read = getattr(self.stream, "read1", self.stream.read)
        chunk = read(65536)
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def _take(self, count: int) -> bytes:
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def readline(self, limit: int) -> bytes:
        """A line with its end, or the first `limit` bytes of a longer one."""
        start = 0
        while True:
            end = self.buffer.find(b"\n", start, limit)
            if end != -1:
                return self._take(end + 1)
            if len(self.buffer) >= limit:
                return self._take(limit)
            start = len(self.buffer)
            if not self._fill():
                return self._take(len(self.buffer))

    def read(self, count: int) -> bytes:
        while len(self.buffer) < count and self._fill():
            pass
        return self._take(count)

    def skip(self, count: int) -> None:
        """Drop up to `count` bytes, stopping early at the next header: a
        client that announced more than it sent is still understood."""
        marker = b"Content-Length:"
        while count > 0:
            found = self.buffer.find(marker, 0, count + len(marker))
            if found != -1:
                del self.buffer[:found]
                return
            keep = min(len(self.buffer), count, len(marker) - 1)  # a marker cut in two
            dropped = min(count, len(self.buffer) - keep)
            del self.buffer[:dropped]
            count -= dropped
            if count and not self._fill():
                return


# --- conversions -------------------------------------------------------------------------

def _range(index: TextIndex, start: int, end: int) -> lsp.Range:
    (line, character), (end_line, end_character) = index.position(start), index.position(end)
    return lsp.Range(lsp.Position(line, character), lsp.Position(end_line, end_character))


def _span_range(index: TextIndex, span) -> lsp.Range:
    return _range(index, *index.span_offsets(span))


def _message(diagnostic: Diagnostic) -> str:
    """The message with its label and help, as `dialplan check` prints them."""
    lines = [diagnostic.message]
    if diagnostic.label:
        lines.append(diagnostic.label)
    if diagnostic.help:
        lines.append(f"help: {diagnostic.help}")
    return "\n".join(lines)


def _to_lsp(diagnostic: Diagnostic, name: str, uri: str, index: TextIndex) -> lsp.Diagnostic:
    severity = lsp.DiagnosticSeverity.Error if diagnostic.severity is Severity.ERROR \
        else lsp.DiagnosticSeverity.Warning
    message = _message(diagnostic)
    if diagnostic.span.file == name:
        where = _span_range(index, diagnostic.span)
    else:  # about a value from elsewhere, e.g. the configuration's `from`
        where = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
        message = f"{diagnostic.span.file}: {message}"
    related = [lsp.DiagnosticRelatedInformation(
        lsp.Location(uri, _span_range(index, r.span)), r.message)
        for r in diagnostic.related if r.span.file == name]
    return lsp.Diagnostic(
        range=where, message=message, severity=severity, code=diagnostic.code,
        source="dialplan", related_information=related or None,
        tags=[lsp.DiagnosticTag.Unnecessary] if diagnostic.code in _UNNECESSARY else None)


def _top_diagnostic(message: str, code: str) -> lsp.Diagnostic:
    return lsp.Diagnostic(range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
                          message=message, severity=lsp.DiagnosticSeverity.Error, code=code,
                          source="dialplan")


def _config_diagnostic(found: Diagnostic) -> lsp.Diagnostic:
    """A problem with the configuration (one `dialplan check` would refuse,
    exit 2, or a DP330 warning): shown at the top of the document, pointing
    at the place in the configuration file."""
    span = found.span
    message = f"{span.file}:{span.line}:{span.column}: {_message(found)}"
    diagnostic = _top_diagnostic(message, found.code)
    if not found.is_error:
        diagnostic.severity = lsp.DiagnosticSeverity.Warning
    config_uri = from_fs_path(span.file)
    if config_uri:
        place = lsp.Range(lsp.Position(span.line - 1, span.column - 1),
                          lsp.Position(span.end_line - 1, span.end_column - 1))
        diagnostic.related_information = [lsp.DiagnosticRelatedInformation(
            lsp.Location(config_uri, place), found.message)]
    return diagnostic


def _contains(outer: lsp.Range, position: lsp.Position) -> bool:
    start, end = outer.start, outer.end
    return (start.line, start.character) <= (position.line, position.character) <= \
        (end.line, end.character)


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and \
        (b.start.line, b.start.character) <= (a.end.line, a.end.character)


def _guarded(handler):
    """A request handler whose bugs are answered with a short -32603 error
    (pygls would send the traceback as the error's data); the traceback
    goes to standard error only."""
    @functools.wraps(handler)
    def guarded(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - answered as an internal error
            log.exception("internal error in %s", handler.__name__)
            summary = f"{type(error).__name__}: {error}"
            if len(summary) > 200:
                summary = summary[:199] + "…"
            raise JsonRpcInternalError(
                f"internal error in dialplan ({summary}); the server's log has the "
                "details") from None
    return guarded


# --- the server ----------------------------------------------------------------------------

def create_server() -> DialplanServer:
    server = DialplanServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(params: lsp.InitializeParams) -> None:
        options: Any = params.initialization_options or {}
        if isinstance(options, dict):
            if options.get("config"):
                server.config_file = Path(options["config"]).expanduser()
            if isinstance(options.get("debounce"), (int, float)):
                server.debounce = max(0.0, float(options["debounce"]))

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
        server.publish(params.text_document.uri, fresh=True)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
        server.schedule(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: lsp.DidSaveTextDocumentParams) -> None:
        server.publish(params.text_document.uri, fresh=True)  # the configuration may have changed

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        task = server.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        server.checked.pop(uri, None)
        server.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    @_guarded
    def on_hover(params: lsp.HoverParams) -> lsp.Hover | None:
        uri = params.text_document.uri
        checked = server.check(uri)
        if checked.beyond(params.position):
            return None
        index = checked.index
        offset = index.to_offset(params.position.line, params.position.character)
        parts: list[str] = []
        where: lsp.Range | None = None
        found = hover(checked.text, offset, checked.module)
        if found is not None:
            parts.append(found[0])
            where = _range(index, found[1], found[2])
        seen = set()
        for diagnostic, published in checked.found:
            code = published.code
            if diagnostic is not None and code not in seen and \
                    _contains(published.range, params.position):
                seen.add(code)
                explanation = explanation_markdown(str(code))
                if explanation:
                    parts.insert(0, explanation)
                    where = where or published.range
        if not parts:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(lsp.MarkupKind.Markdown,
                                                    "\n\n---\n\n".join(parts)),
                         range=where)

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=[" "]))
    @_guarded
    def on_completion(params: lsp.CompletionParams) -> lsp.CompletionList:
        checked = server.snapshot(params.text_document.uri)
        if checked.beyond(params.position):
            return lsp.CompletionList(is_incomplete=False, items=[])
        index = checked.index
        offset = index.to_offset(params.position.line, params.position.character)
        items = []
        for item in complete(checked.text, offset):
            items.append(lsp.CompletionItem(
                label=item.label, kind=_COMPLETION_KINDS[item.kind], detail=item.detail,
                documentation=lsp.MarkupContent(lsp.MarkupKind.Markdown, item.documentation)
                if item.documentation else None,
                sort_text=item.sort or None, filter_text=item.label,
                text_edit=lsp.TextEdit(_range(index, item.start, item.end), item.insert)))
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    @_guarded
    def on_code_action(params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        only = params.context.only
        if only and not any(lsp.CodeActionKind.QuickFix.value.startswith(kind)
                            for kind in only):
            return []
        uri = params.text_document.uri
        checked = server.check(uri)
        actions = []
        for diagnostic, published in checked.found:
            if diagnostic is None or not diagnostic.fixes or \
                    not _overlaps(published.range, params.range):
                continue
            for fix in diagnostic.fixes:
                if fix.span.file != checked.name:
                    continue  # a value from the configuration, not from this document
                edit = lsp.TextEdit(_span_range(checked.index, fix.span), fix.replacement)
                actions.append(lsp.CodeAction(
                    title=f"Change to {fix.replacement}", kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[published], is_preferred=len(diagnostic.fixes) == 1,
                    edit=lsp.WorkspaceEdit(changes={uri: [edit]})))
        return actions

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    @_guarded
    def on_formatting(params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
        from ..formatter import format_source

        doc = server.document(params.text_document.uri)
        text = doc.source
        result = format_source(text, doc.path or params.text_document.uri)
        if result.text is None:
            return None  # syntax errors: left alone, as `dialplan fmt` leaves the file
        if result.text == text:
            return []
        index = TextIndex(text, server.encoding)
        return [lsp.TextEdit(_range(index, 0, len(text)), result.text)]

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    @_guarded
    def on_definition(params: lsp.DefinitionParams) -> lsp.Location | None:
        """From `again` to the menu it asks again, from `back` to the parent menu."""
        uri = params.text_document.uri
        checked = server.snapshot(uri)
        if checked.beyond(params.position):
            return None
        index = checked.index
        found = definition(checked.text, index.to_offset(params.position.line,
                                                         params.position.character),
                           checked.module)
        return lsp.Location(uri, _range(index, *found)) if found else None

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @_guarded
    def on_symbols(params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        checked = server.snapshot(params.text_document.uri)
        index = checked.index

        def convert(symbol) -> lsp.DocumentSymbol:
            return lsp.DocumentSymbol(
                name=symbol.name, detail=symbol.detail or None,
                kind=_SYMBOL_KINDS["branch" if symbol.name in ("on", "otherwise", "timeout")
                                   else "verb" if symbol.name in ("again", "handoff")
                                   else symbol.kind],
                range=_range(index, symbol.start, symbol.end),
                selection_range=_range(index, symbol.name_start, symbol.name_end),
                children=[convert(c) for c in symbol.children] or None)

        return [convert(s) for s in symbols(checked.text, checked.module)]

    return server


def main() -> None:
    """Serve on standard input and output until the client says exit."""
    create_server().start_io()
