"""Secrets echoed by the server never reach the screen or a file.

A tiny server on 127.0.0.1 plays a Routee that echoes credentials back in
every place an answer has: the error `developerMessage`, the `code`, the
keys and values of `properties` (nested too), a trackingId, the token
endpoint's error, each credential in another encoding (base64 padded and
unpadded, URL-safe, percent-encoded with either case of hex). Then
standard output, standard error, the report and every byte of the journal
(the database and, kept alive on purpose, its -wal and -shm) are searched
for the secret, the token and the Basic-auth pair in all those forms."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from click.testing import CliRunner

from helpers import APP_ID, phone, write_recipients, write_script
from dialplan_compiler import cli

#: Characters that make every encoding differ from the plain text.
SECRET = "s3cr+t/=x?&y-9\u00fcn\u00ef-a0b1c2"
TOKEN = "tok+en/9f=3a?b&c-7d4e5f"
PAIR = f"{APP_ID}:{SECRET}"           # what Basic auth encodes


def b64(text: str, *, url: bool = False, pad: bool = True) -> str:
    encoded = (base64.urlsafe_b64encode if url else base64.b64encode)(text.encode()).decode()
    return encoded if pad else encoded.rstrip("=")


def lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def forms(text: str) -> set[str]:
    """How a credential can be spelled: written out here, not taken from
    the code under test, so that a form it forgets is caught."""
    encoded = {b64(text, url=url, pad=pad) for url in (False, True) for pad in (False, True)}
    spelled = {text, json.dumps(text)[1:-1]} | encoded
    return spelled | {quote(s, safe="") for s in spelled} | {quote_plus(s) for s in spelled} \
        | {lower_hex(quote(s, safe="")) for s in spelled}


NEEDLES = sorted(forms(SECRET) | forms(TOKEN) | forms(PAIR), key=len)


def answers() -> dict[str, tuple[int, dict]]:
    """What the server answers each recipient: every field an echo."""
    return {
        phone(0): (400, {"code": TOKEN, "developerMessage": f"bad auth {SECRET} with {TOKEN}",
                         "properties": {SECRET: TOKEN, b64(PAIR): "seen"}}),
        phone(1): (400, {"code": b64(SECRET, pad=False),
                         "developerMessage": f"Authorization: Basic {b64(PAIR)}",
                         "properties": {b64(TOKEN, url=True, pad=False): quote(SECRET, safe=""),
                                        lower_hex(quote(TOKEN, safe="")): "y"}}),
        phone(2): (400, {"code": 400013002,
                         "developerMessage": f"{quote_plus(SECRET)} {b64(TOKEN)} "
                                             f"{b64(SECRET, url=True)} {b64(PAIR, pad=False)}",
                         "properties": {"nested": {SECRET: [TOKEN, quote(b64(PAIR), safe="")]},
                                        "to": json.dumps(SECRET)[1:-1]}}),
        phone(3): (200, {"trackingId": f"call-{TOKEN}", "status": SECRET}),
        phone(4): (200, {"trackingId": "call-ok-4"}),
    }


class Echo:
    """The server: tokens for anyone (or a refusal that echoes the header),
    and for each call the answer of `answers()`, after one 500 for phone(3)
    that echoes the secret (so that a retry notice has something to leak)."""

    def __init__(self, *, refuse_token: bool = False, on_call=None) -> None:
        self.refuse_token = refuse_token
        self.on_call = on_call
        self.sent: list[bytes] = []
        self.failed_once: set[str] = set()
        echo = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/oauth/token":
                    auth = self.headers.get("Authorization", "")
                    if echo.refuse_token:
                        self.reply(401, {"error": "unauthorized", "code": auth,
                                         "error_description": f"{auth} is not {SECRET} "
                                         f"({b64(PAIR, pad=False)})"})
                    else:
                        self.reply(200, {"access_token": TOKEN, "expires_in": 3600})
                    return
                recipient = json.loads(body)["to"]["phone"]
                if echo.on_call:
                    echo.on_call(recipient)
                if recipient == phone(3) and recipient not in echo.failed_once:
                    echo.failed_once.add(recipient)
                    self.reply(500, {"code": SECRET, "developerMessage": f"oops {TOKEN}"})
                    return
                self.reply(*answers()[recipient])

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                # A call's legs, followed after placing: echoes too.
                leg = {"messageId": f"leg-{SECRET}", "to": TOKEN, "answeredBy": "HUMAN",
                       "status": {"status": "Completed", "date": SECRET},
                       "collectedTones": f"1{TOKEN}", "duration": 5, "price": 0.01}
                self.reply(200, {"content": [leg], "first": True, "last": True, "number": 0,
                                 "numberOfElements": 1, "size": 20, "totalElements": 1,
                                 "totalPages": 1}, log=False)

            def reply(self, status: int, answer: dict, log: bool = True) -> None:
                data = json.dumps(answer, ensure_ascii=False).encode()
                if log:
                    echo.sent.append(data)
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "Echo":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def env(routee_env, monkeypatch):
    monkeypatch.setenv("ROUTEE_APPLICATION_SECRET", SECRET)
    return routee_env


def leaks(data: bytes | str) -> list[str]:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return [needle for needle in NEEDLES if needle in text]


def test_the_needles_are_what_the_server_sends():
    # The search can fail: each answer spells credentials in several forms.
    sent = json.dumps(answers(), ensure_ascii=False)
    assert len({n for n in NEEDLES if n in sent}) >= 12


def test_a_campaign_stores_and_prints_no_echoed_credential(tmp_path, env):
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 5)
    journal = tmp_path / "people.csv.journal.sqlite"
    report = tmp_path / "report.csv"
    readers: list[sqlite3.Connection] = []

    def keep_the_wal(recipient: str) -> None:
        # A second connection, open when the run ends, keeps SQLite from
        # folding the -wal into the database and deleting it: its bytes
        # are searched too.
        if recipient == phone(4) and not readers:
            reader = sqlite3.connect(journal, check_same_thread=False)
            reader.execute("SELECT COUNT(*) FROM attempts").fetchone()
            readers.append(reader)

    with Echo(on_call=keep_the_wal) as server:
        result = CliRunner().invoke(cli.main, [
            "call", str(script), "--recipients", str(people), "--rate", "100",
            "--backoff", "0", "--report", str(report), "--api-url", server.url,
            "--auth-url", server.url])
    try:
        assert result.exit_code == 1, result.output          # three rows refused
        # Two tokens (the placing's client and the follower's), six answers to calls.
        tokens = [sent for sent in server.sent if b"access_token" in sent]
        calls = [sent for sent in server.sent if b"access_token" not in sent]
        assert len(tokens) == 2 and len(calls) == 6 and all(leaks(sent) for sent in calls[:5])
        assert "trying again" in result.stderr                # the 500 was reported
        files = [journal, journal.with_name(journal.name + "-wal"),
                 journal.with_name(journal.name + "-shm"), report]
        assert all(f.exists() for f in files)
        assert leaks(result.stdout) == [] and leaks(result.stderr) == []
        for path in files:
            assert leaks(path.read_bytes()) == [], path
        # What was redacted is still there, marked.
        assert "<redacted>" in report.read_text() and "<redacted>" in result.stdout
        rows = readers[0].execute("SELECT recipient, state, tracking_id, error_code, message, "
                                  "properties, status, message_id, collected_tones "
                                  "FROM attempts ORDER BY row").fetchall()
        assert [r[1] for r in rows] == ["failed", "failed", "failed", "placed", "placed"]
        # The outcomes followed on the tracking endpoint, redacted where they echoed.
        assert [r[6:] for r in rows[3:]] == [("Completed", "leg-<redacted>", "1<redacted>")] * 2
        assert rows[3][2] == "call-<redacted>" and rows[4][2] == "call-ok-4"
        assert rows[0][3] == "<redacted>" and json.loads(rows[0][5]) == \
            {"<redacted>": "<redacted>", "<redacted> (2)": "seen"}
    finally:
        for reader in readers:
            reader.close()


def test_one_call_prints_no_echoed_credential(tmp_path, env):
    script = write_script(tmp_path / "hello.call")
    with Echo() as server:
        for number in (phone(0), phone(1), phone(2)):
            result = CliRunner().invoke(cli.main, [
                "call", str(script), "--to", number, "--var", "name=M", "--api-url",
                server.url, "--auth-url", server.url])
            assert result.exit_code == 1, result.output
            assert "Routee refused the call" in result.stderr
            assert leaks(result.output) == []


@pytest.mark.parametrize("target", ["--to", "--recipients"])
def test_a_refused_token_that_echoes_the_header_leaks_nothing(tmp_path, env, target):
    script = write_script(tmp_path / "hello.call")
    people = write_recipients(tmp_path / "people.csv", 3)
    where = [phone(0), "--var", "name=M"] if target == "--to" else [str(people)]
    with Echo(refuse_token=True) as server:
        result = CliRunner().invoke(cli.main, [
            "call", str(script), target, *where, "--api-url", server.url,
            "--auth-url", server.url])
    assert result.exit_code == 2, result.output
    assert "Routee refused the application id and secret" in result.stderr
    assert leaks(server.sent[0]) and leaks(result.output) == []
    assert [p for p in tmp_path.rglob("*") if p.is_file() and leaks(p.read_bytes())] == []
