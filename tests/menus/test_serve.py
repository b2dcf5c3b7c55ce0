"""`dialplan serve` (server.py and router.py) in-process: routing, forged
and garbage requests, the silent WAVs, status callbacks, handoffs; and the
`serve` and `build` commands."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from dialplan_compiler.cli import main
from dialplan_compiler.menus.bundles import compile_scripts
from dialplan_compiler.menus.router import MAX_DEPTH, fill, json_depth
from dialplan_compiler.menus.server import app_from_env, create_app, json_line
from dialplan_compiler.menus.silence import silent_wav
from dialplan_compiler.signing import event_url, signature, verify

from helpers import ROOT
CLINIC = ROOT / "examples" / "ivr" / "clinic.call"
SECRET = b"serve-secret-0123456789"


@pytest.fixture
def logs() -> list[dict]:
    return []


@pytest.fixture
def client(logs):
    app = create_app(compile_scripts([CLINIC], SECRET), SECRET, log=logs.append)
    with TestClient(app) as test_client:
        yield test_client


def url(node: str, attempt: int = 1, script: str = "clinic", secret: bytes = SECRET) -> str:
    full = event_url("http://testserver/routee", secret, script, node, attempt)
    return urlsplit(full).path + "?" + urlsplit(full).query


def texts(answer) -> list[str]:
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    return [v.get("message", {}).get("text") or v["type"] for v in answer.json()["verbs"]]


def keys(tones, **extra) -> dict:
    return {"from": "+306912345678", "to": "+302101234567", "messageId": "m1",
            "conversationTrackingId": "c1", "collectedTones": tones, **extra}


# --- routing ---------------------------------------------------------------------------

def test_keys_pick_the_branch(client, logs):
    assert texts(client.post(url("main"), json=keys("2"))) == ["DIAL"]
    assert texts(client.post(url("1"), json=keys("1234"))) == \
        ["Thank you. Booking 1234 is confirmed."]
    assert texts(client.post(url("1"), json=keys("1234#"))) == \
        ["Thank you. Booking 1234 is confirmed."]
    assert logs[-1] == {"event": "event", "script": "clinic", "node": "1", "try": "1",
                        "tones": "1234#", "messageId": "m1", "conversationTrackingId": "c1",
                        "branch": "1.any4"}


def test_again_counts_the_tries_in_the_url(client):
    second = client.post(url("main", 1), json=keys("7"))
    assert texts(second)[0] == "Sorry, that is not an option."
    assert "n=main&t=2&" in second.json()["verbs"][1]["eventUrl"]
    last = client.post(url("main", 3), json=keys("7"))
    assert texts(last) == ["Sorry, that is not an option.", "We did not hear from you. Goodbye."]


def test_the_main_plan_is_served_for_dialplanurl_and_inbound(client):
    for method in ("GET", "POST"):
        answer = client.request(method, "/routee/plans/clinic")
        assert texts(answer)[0] == "Welcome to Example Clinic."
    assert "Sorry" in texts(client.get("/plans/nothing"))[0]


def test_healthz(client):
    assert client.get("/healthz").json() == {"ok": True, "scripts": ["clinic"]}


# --- requests that are not Routee's ----------------------------------------------------------

@pytest.mark.parametrize("forged", [
    url("main", 2).replace("t=2", "t=3"),                 # altered try
    url("main").replace("n=main", "n=1"),                 # altered node
    url("main").split("&s=")[0],                          # no signature
    url("main", secret=b"someone-else's"),                # signed with another secret
    "/routee/events",                                     # nothing at all
    url("main").replace("p=clinic", "p=other"),
])
def test_a_forged_or_altered_url_gets_403_and_a_log_line(client, logs, forged):
    answer = client.post(forged, json=keys("2"))
    assert answer.status_code == 403
    assert answer.json() == {"error": "forbidden"}
    assert logs[-1]["event"] == "forged"


@pytest.mark.parametrize("body", [b"garbage", b"[1, 2]", b'{"collectedTones": {"a": 1}}',
                                  b"\xff\xfe", b'{"collectedTones": "' + b"1" * 100 + b'"}',
                                  b"[" * 64 + b"]" * 64,
                                  b'{"collectedTones": ["' + b"[" * 1000 + b'"]}'])
def test_a_garbage_body_gets_a_short_goodbye(client, logs, body):
    answer = client.post(url("main"), content=body)
    assert texts(answer) == ["Sorry, something went wrong. Goodbye."]
    assert answer.json()["verbs"][0]["message"]["language"] == "en-GB"
    assert logs[-1]["event"] == "bad-body"


@pytest.mark.parametrize("body, status, event", [
    (b"{" * 70000, 413, "body-too-large"),
    (b"[" * 65, 400, "body-too-deep"),
    (b'{"collectedTones": "1", "x": ' + b"[" * 30000 + b"]" * 30000 + b"}", 400,
     "body-too-deep"),
])
def test_a_body_too_large_or_too_deep_is_refused(client, logs, body, status, event):
    answer = client.post(url("main"), content=body)
    assert answer.status_code == status and "error" in answer.json()
    assert logs[-1]["event"] == event
    assert client.post("/routee/status", content=body).status_code == status


def test_json_depth_skips_brackets_in_strings():
    assert json_depth(b'{"a": [1, {"b": "[[[{{{"}], "c": "\\"}') == 3
    assert json_depth('["\\"[", [[]]]') == 3
    assert json_depth(b"[" * 100000) == MAX_DEPTH + 1  # counting stops past the limit
    assert json_depth(b'"unterminated [[[[') == 0


@pytest.mark.parametrize("digits", ["\u00b2", "\u0663", "\uff11", "1\u00b2"])
def test_only_ascii_digits_count(client, digits):
    assert client.get(f"/routee/audio/silence-{digits}s.wav").status_code == 404
    forged = url("main").replace("t=1", "t=" + digits)
    assert client.post(forged, json=keys("2")).status_code == 403
    assert not verify(SECRET, "clinic", "main", digits, signature(SECRET, "clinic", "main", 3))


@pytest.mark.parametrize("node, attempt, script", [("nowhere", 1, "clinic"), ("main", 9, "clinic"),
                                                   ("main", 1, "unknown")])
def test_an_unknown_node_gets_a_short_goodbye(client, logs, node, attempt, script):
    answer = client.post(url(node, attempt, script), json=keys("1"))
    assert texts(answer) == ["Sorry, something went wrong. Goodbye."]
    assert logs[-1]["event"] in ("unknown-node", "unknown-script")


def test_odd_keys_are_an_otherwise(client):
    assert texts(client.post(url("main"), json=keys("<script>")))[0] == \
        "Sorry, that is not an option."
    assert texts(client.post(url("main"), json=keys(7)))[0] == "Sorry, that is not an option."


def test_digits_fill_only_the_placeholder():
    assert fill("Booking {digits}, {{literally}} {{digits}}.", {"digits": "42"}) == \
        "Booking 42, {literally} {digits}."


# --- the other routes -------------------------------------------------------------------------

def test_silent_wavs_are_served(client):
    answer = client.get("/routee/audio/silence-8s.wav")
    assert answer.status_code == 200 and answer.headers["content-type"] == "audio/wav"
    data = answer.content
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    channels, rate, byte_rate = struct.unpack("<HII", data[22:32])
    assert (channels, rate) == (1, 8000)
    assert (len(data) - 44) / byte_rate == 8
    assert set(data[44:]) == {0}
    assert answer.headers["content-length"] == str(len(data))
    assert data == silent_wav(8)
    longest = client.get("/routee/audio/silence-600s.wav")
    assert len(longest.content) == 44 + 600 * 16000 and longest.content[:44] == silent_wav(600)[:44]
    for name in ("0", "601", "9999", "", "-1", "1" * 5000):
        assert client.get(f"/routee/audio/silence-{name}s.wav").status_code == 404


def test_status_callbacks_are_logged_as_json_lines(client, logs):
    body = {"messageId": "m1", "status": {"name": "Completed", "updatedDate": "now"}}
    assert client.post("/routee/status", json=body).status_code == 200
    assert logs[-1] == {"event": "status", "body": body}
    client.post("/status", content=b"not json")
    assert logs[-1] == {"event": "status", "body": "not json"}


def test_the_default_log_is_json_lines_on_stderr(capsys):
    app = create_app(compile_scripts([CLINIC], SECRET), SECRET)
    with TestClient(app) as test_client:
        test_client.post(url("main"), json=keys("2"))
    [line] = capsys.readouterr().err.splitlines()
    record = json.loads(line)
    assert record["branch"] == "2" and isinstance(record["ts"], float)


@pytest.mark.parametrize("text", ["\u2028", "\x85", "\u2029", "\ud800", "a\nb", "\x1e", "é"])
def test_a_log_line_is_one_line_whatever_it_holds(text):
    line = json_line({"body": {text: text}})
    assert line.splitlines() == [line]
    assert json.loads(line) == {"body": {text: text}}


def test_unknown_paths_are_404(client):
    assert client.get("/somewhere").status_code == 404


# --- handoff ------------------------------------------------------------------------------------

HANDOFF = '''voice en-GB
menu via "https://ivr.example.com/routee" {
  say "Press 1."
  on 1 {
    say "One moment."
    handoff "https://crm.example.com/next" within 1500ms
  }
}
'''


def handoff_app(tmp_path, logs, handler):
    script = tmp_path / "crm.call"
    script.write_text(HANDOFF)
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return create_app(compile_scripts([script], SECRET), SECRET, log=logs.append,
                      http_client=client)


def test_a_handoff_appends_the_plan_its_url_answers(tmp_path, logs):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), json.loads(request.content), request.extensions))
        return httpx.Response(200, json={"verbs": [{"type": "SAY", "message": {
            "text": "Your balance is 12 euros.", "language": "en-GB"}}]})

    with TestClient(handoff_app(tmp_path, logs, handler)) as client:
        answer = client.post(url("main", script="crm"), json=keys("1"))
    assert texts(answer) == ["One moment.", "Your balance is 12 euros."]
    [(target, body, extensions)] = seen
    assert target == "https://crm.example.com/next"
    assert body["digits"] == "1" and body["branch"] == "1" and body["messageId"] == "m1"
    assert extensions["timeout"]["read"] == 1.5


@pytest.mark.parametrize("reply", [httpx.Response(500), httpx.Response(200, json={"verbs": []}),
                                   httpx.Response(200, content=b"<html>"), "timeout"])
def test_a_failed_handoff_says_goodbye(tmp_path, logs, reply):
    def handler(request: httpx.Request) -> httpx.Response:
        if reply == "timeout":
            raise httpx.ReadTimeout("slow", request=request)
        return reply

    with TestClient(handoff_app(tmp_path, logs, handler)) as client:
        answer = client.post(url("main", script="crm"), json=keys("1"))
    assert texts(answer) == ["One moment.", "Sorry, something went wrong. Goodbye."]
    assert [line for line in logs if line["event"] == "handoff-failed"]


# --- app_from_env and the commands -------------------------------------------------------------

def test_app_from_env(monkeypatch):
    monkeypatch.setenv("DIALPLAN_SIGNING_SECRET", SECRET.decode())
    monkeypatch.setenv("DIALPLAN_SCRIPTS", str(CLINIC))
    with TestClient(app_from_env()) as test_client:
        assert test_client.get("/healthz").json()["scripts"] == ["clinic"]
    monkeypatch.delenv("DIALPLAN_SIGNING_SECRET")
    with pytest.raises(RuntimeError, match="DIALPLAN_SIGNING_SECRET"):
        app_from_env()


def test_serve_needs_the_secret():
    result = CliRunner().invoke(main, ["serve", str(CLINIC)])
    assert result.exit_code == 2
    assert "DIALPLAN_SIGNING_SECRET" in result.output


@pytest.mark.parametrize("command", ["serve", "build"])
@pytest.mark.parametrize("secret, why", [
    (" ", "is 1 bytes long; it needs at least 16"), ("short-secret", "is 12 bytes long"),
    (" \t" * 10, "is only whitespace"), ("a" * 40, "is one character repeated")])
def test_a_weak_secret_is_refused(tmp_path, monkeypatch, command, secret, why):
    monkeypatch.setenv("DIALPLAN_SIGNING_SECRET", secret)
    out = tmp_path / "dist"
    args = [command, str(CLINIC)] + (["-o", str(out)] if command == "build" else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert f"DIALPLAN_SIGNING_SECRET {why}" in result.output
    assert not out.exists()


def test_app_from_env_refuses_a_weak_secret(monkeypatch):
    monkeypatch.setenv("DIALPLAN_SIGNING_SECRET", "x" * 16)
    monkeypatch.setenv("DIALPLAN_SCRIPTS", str(CLINIC))
    with pytest.raises(RuntimeError, match="one character repeated"):
        app_from_env()


def test_serve_refuses_scripts_with_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALPLAN_SIGNING_SECRET", SECRET.decode())
    bad = tmp_path / "bad.call"
    bad.write_text('menu { on 1 { } }\n')
    result = CliRunner().invoke(main, ["serve", str(bad)])
    assert result.exit_code == 1
    assert "DP224" in result.output


def test_build_writes_static_plans_and_a_routing_table(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALPLAN_SIGNING_SECRET", SECRET.decode())
    out = tmp_path / "dist"
    result = CliRunner().invoke(main, ["build", str(CLINIC), "-o", str(out)])
    assert result.exit_code == 0, result.output
    plans = sorted(p.stem for p in (out / "clinic" / "plans").glob("*.json"))
    assert plans == sorted(compile_scripts([CLINIC], SECRET)["clinic"].plans)
    routes = json.loads((out / "clinic" / "routes.json").read_text())
    assert routes["menus"]["main"]["choices"][0] == {"keys": "1", "plan": "1"}
    assert routes["fill"] == {"1.any4": ["/verbs/0/message/text"]}
    bundle = json.loads((out / "clinic" / "bundle.json").read_text())
    assert bundle["plans"]["2"] == json.loads((out / "clinic" / "plans" / "2.json").read_text())
    assert (out / "audio" / "silence-8s.wav").read_bytes() == silent_wav(8)
    assert not (out / "audio" / "silence-15s.wav").exists()  # the code entry waits with a PAUSE
