"""`dialplan lsp` fed raw JSON-RPC over its standard input: what no LSP
client library would send (a Content-Length the body does not have, a
negative position), and what only the server's standard error shows (the
traceback of an internal error, how often a document is parsed).

Every read waits at most TIMEOUT seconds, so a server that stops answering
fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("pygls")

TIMEOUT = 30
SERVER = [sys.executable, "-c", "from dialplan_compiler.cli import main; main()", "lsp"]

#: The server, with every parse of a document written to standard error.
COUNTING_SERVER = [sys.executable, "-c", """
import sys
from dialplan_compiler import compiler, parser
from dialplan_compiler.editor import features as editor, lsp

real = parser.parse

def counting(*args, **kwargs):
    sys.stderr.write("dialplan-test: parse\\n")
    sys.stderr.flush()
    return real(*args, **kwargs)

compiler.parse = editor.parse = lsp.parse = counting
from dialplan_compiler.cli import main
main()
""", "lsp"]


class RawClient:
    """A JSON-RPC peer on the server's stdin and stdout."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        self.messages: queue.Queue = queue.Queue()
        self.stderr: list[bytes] = []
        self.next_id = 0
        self._out = threading.Thread(target=self._read, daemon=True)
        self._err = threading.Thread(target=lambda: self.stderr.extend(self.process.stderr),
                                     daemon=True)
        self._out.start()
        self._err.start()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self.messages.put(None)
                    return
                if line == b"\r\n":
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            self.messages.put(json.loads(stream.read(length)))

    def send_bytes(self, data: bytes) -> None:
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: dict) -> None:
        body = json.dumps(message).encode()
        self.send_bytes(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def request(self, method: str, params) -> int:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id

    def notify(self, method: str, params) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def answer(self, msg_id: int | None) -> dict:
        """The response to request `msg_id` (None: an error about no request)."""
        while True:
            try:
                message = self.messages.get(timeout=TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"no answer to {msg_id} within {TIMEOUT} s") from None
            assert message is not None, "the server closed its output"
            if "method" not in message and message.get("id") == msg_id:
                return message

    def call(self, method: str, params) -> dict:
        return self.answer(self.request(method, params))

    def start(self) -> None:
        assert "result" in self.call("initialize", {"processId": None, "rootUri": None,
                                                    "capabilities": {}})
        self.notify("initialized", {})

    def stop(self) -> str:
        """Shut the server down; its standard error."""
        if self.process.poll() is None:
            self.call("shutdown", None)
            self.notify("exit", None)
            self.process.wait(TIMEOUT)
        self._err.join(TIMEOUT)
        return b"".join(self.stderr).decode("utf-8", "replace")


@pytest.fixture
def server():
    client = RawClient(SERVER)
    client.start()
    yield client
    client.stop()
    if client.process.poll() is None:
        client.process.kill()


def open_document(client: RawClient, uri: str, text: str, version: int = 1) -> None:
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "dialplan", "version": version, "text": text}})


def at(uri: str, line: int, character: int) -> dict:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}


def still_serving(client: RawClient, tmp_path: Path) -> None:
    uri = (tmp_path / "alive.call").as_uri()
    open_document(client, uri, 'say "Hi" in en-GB\n')
    hover = client.call("textDocument/hover", at(uri, 0, 1))
    assert "say" in hover["result"]["contents"]["value"]


# --- Content-Length ------------------------------------------------------------------------

def test_a_content_length_past_the_limit_is_refused_and_serving_goes_on(server, tmp_path):
    """A header announcing a terabyte used to stall the server for good
    (it waited for the body); now the message is refused with an error
    and the next one is read."""
    server.send_bytes(b"Content-Length: 999999999999\r\n\r\n"
                      b'{"jsonrpc": "2.0", "id": 99, "method": "shutdown"}')
    error = server.answer(None)["error"]
    assert error["code"] == -32600
    assert "999999999999 bytes refused" in error["message"] and "64 MiB" in error["message"]
    still_serving(server, tmp_path)


def test_a_body_past_the_limit_is_skipped_whole(server, tmp_path):
    text = 'say "Hello there."\n' * (70 * 1024 * 1024 // 19)
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": (tmp_path / "huge.call").as_uri(), "languageId": "dialplan", "version": 1,
        "text": text}})
    assert server.answer(None)["error"]["code"] == -32600
    still_serving(server, tmp_path)


def test_garbage_between_messages_is_answered_and_skipped(server, tmp_path):
    server.send_bytes(b"not a header\r\n" + b"x" * 100_000 + b"\r\n\r\n"
                      b"Content-Length: 5\r\n\r\nhello")
    assert server.answer(None)["error"]["code"] == -32700
    still_serving(server, tmp_path)


# --- positions --------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["textDocument/hover", "textDocument/completion",
                                    "textDocument/definition"])
@pytest.mark.parametrize("line, character", [(-1, 0), (0, -5), (2**31, 0), (0, 2**40)])
def test_positions_no_client_may_send_get_an_error_answer(server, tmp_path, method, line,
                                                          character):
    """A position that is not an LSP `uinteger` failed to deserialize and
    the request was never answered."""
    uri = (tmp_path / "a.call").as_uri()
    open_document(server, uri, 'say "Hi" in en-GB\n')
    answer = server.call(method, at(uri, line, character))
    assert answer["error"]["code"] == -32602, answer
    assert method in answer["error"]["message"]
    still_serving(server, tmp_path)


@pytest.mark.parametrize("line, character", [(1, 0), (7, 3), (2**31 - 1, 2**31 - 1)])
def test_lines_past_the_end_answer_null_or_nothing(server, tmp_path, line, character):
    uri = (tmp_path / "a.call").as_uri()
    open_document(server, uri, 'say "Hi" in en-GB')
    assert server.call("textDocument/hover", at(uri, line, character))["result"] is None
    assert server.call("textDocument/definition", at(uri, line, character))["result"] is None
    completion = server.call("textDocument/completion", at(uri, line, character))["result"]
    assert completion["items"] == []


# --- internal errors ---------------------------------------------------------------------------

def test_an_internal_error_is_answered_briefly_and_logged_in_full(tmp_path):
    """pygls put the whole traceback in the error's `data`; the client gets
    a short message and standard error the traceback."""
    client = RawClient(SERVER)
    client.start()
    missing = (tmp_path / "never-opened.call").as_uri()  # not open, not on disk
    answer = client.call("textDocument/hover", at(missing, 0, 0))
    stderr = client.stop()
    error = answer["error"]
    assert error["code"] == -32603
    assert "data" not in error or not error["data"], error
    assert "Traceback" not in json.dumps(error) and len(error["message"]) < 400
    assert "FileNotFoundError" in error["message"]
    assert "Traceback (most recent call last)" in stderr


# --- one check and one parse per version -----------------------------------------------------------

def test_each_version_is_checked_and_parsed_once(tmp_path):
    """Hover, completion, definition, code actions and the outline used to
    parse the whole document again for every request."""
    client = RawClient(COUNTING_SERVER)
    client.start()
    uri = (tmp_path / "menu.call").as_uri()
    text = ('voice en-GB\nmenu via "https://ivr.example.com/routee" {\n'
            '  say "Press 1."\n  on 1 {\n    say "One." in en-gb\n    again\n  }\n}\n')
    open_document(client, uri, text)
    range_ = {"start": {"line": 0, "character": 0}, "end": {"line": 8, "character": 0}}
    for _ in range(5):
        for line, character in ((0, 1), (4, 20), (5, 5)):
            client.call("textDocument/hover", at(uri, line, character))
            client.call("textDocument/completion", at(uri, line, character))
            client.call("textDocument/definition", at(uri, line, character))
        client.call("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": range_,
                                                "context": {"diagnostics": []}})
        client.call("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    stderr = client.stop()
    # One parse to check the version, one for everything the editor asked.
    assert stderr.count("dialplan-test: parse") == 2, stderr[-3000:]
