"""The Routee stand-in itself: a real HTTP server on 127.0.0.1, spoken to
with plain httpx, as Routee would be."""

from __future__ import annotations

import time

import httpx
import pytest

from helpers import APP_ID, SECRET, SENDER
from dialplan_compiler.calls.standin import (DEFAULT_PROGRESS, AcceptedCall, Faults, RequestRecord,
                                             Standin, timeline_for)

BODY = {"from": SENDER, "to": {"phone": "+306911111111"},
        "dialPlan": {"verbs": [{"type": "PAUSE", "duration": 1}]}}


def token_for(server: Standin, secret: str = SECRET) -> httpx.Response:
    return httpx.post(server.url + "/oauth/token", data={"grant_type": "client_credentials"},
                      auth=(APP_ID, secret))


def bearer(server: Standin) -> dict[str, str]:
    return {"Authorization": "Bearer " + token_for(server).json()["access_token"]}


def test_token_endpoint_checks_the_credentials(standin):
    server = standin(announced_expires_in=1234)
    good = token_for(server)
    assert good.status_code == 200
    assert good.json()["expires_in"] == 1234
    assert good.json()["token_type"].lower() == "bearer"
    assert token_for(server, "wrong").status_code == 401
    wrong_grant = httpx.post(server.url + "/oauth/token", data={"grant_type": "password"},
                             auth=(APP_ID, SECRET))
    assert wrong_grant.status_code == 400


def test_a_valid_call_is_accepted_and_logged(standin):
    server = standin()
    answer = httpx.post(server.url + "/voice/conversation", json=BODY, headers=bearer(server))
    assert answer.status_code == 200
    tracking_id = answer.json()["trackingId"]
    assert "status" not in answer.json()              # Routee documents none here
    assert list(server.calls) == [tracking_id]
    assert server.calls[tracking_id].recipient == "+306911111111"
    assert server.calls_per_recipient() == {"+306911111111": 1}


def test_bodies_are_validated_against_the_schemas(standin):
    server = standin()
    body = {**BODY, "dialPlan": {"verbs": [{"type": "PAUSE", "length": 1}]}}
    answer = httpx.post(server.url + "/voice/conversation", json=body, headers=bearer(server))
    assert answer.status_code == 400
    error = answer.json()
    assert error["code"] == "400013001"
    assert error["developerMessage"] == "Validation Error"
    assert any(key.startswith("dialPlan.verbs.0") for key in error["properties"])
    assert server.calls == {}


def test_a_rejected_recipient_gets_a_routee_error(standin):
    server = standin(reject={"+306911111111": ("to", "Destination not supported")})
    answer = httpx.post(server.url + "/voice/conversation", json=BODY, headers=bearer(server))
    assert answer.status_code == 400
    assert answer.json()["properties"] == {"to": "Destination not supported"}
    assert answer.json()["code"].startswith("400013")


def test_api_requests_need_a_valid_token(standin):
    server = standin()
    assert httpx.post(server.url + "/voice/conversation", json=BODY).status_code == 401
    bad = httpx.post(server.url + "/voice/conversation", json=BODY,
                     headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "401013001"


def test_tokens_expire_after_their_uses(standin):
    server = standin(token_max_uses=2)
    headers = bearer(server)
    codes = [httpx.post(server.url + "/voice/conversation", json=BODY, headers=headers)
             .status_code for _ in range(3)]
    assert codes == [200, 200, 401]


def test_tokens_expire_after_their_lifetime(standin):
    server = standin(token_lifetime=0.0, announced_expires_in=3600)
    answer = httpx.post(server.url + "/voice/conversation", json=BODY, headers=bearer(server))
    assert answer.status_code == 401


def test_statuses_advance_along_the_timeline():
    call = AcceptedCall("t", "+306911111111", BODY, accepted_at=100.0, created_at="",
                timeline=DEFAULT_PROGRESS)
    seen = [call.status(100.0 + t) for t in (0.0, 0.15, 0.25, 0.35, 5.0)]
    assert seen == ["Queued", "Initiated", "Ringing", "InProgress", "Completed"]
    assert timeline_for(DEFAULT_PROGRESS, "Busy") == (("Queued", 0.0), ("Initiated", 0.1),
                                                      ("Ringing", 0.2), ("Busy", 0.3))


def test_scripted_faults(standin):
    server = standin(faults=Faults(script=["500", "429", "drop-before-read", "drop-after-read",
                                           "slow", "ok"], retry_after=7, slow_seconds=0.3))
    headers = bearer(server)
    with httpx.Client(timeout=httpx.Timeout(5.0, read=0.1)) as client:
        post = lambda: client.post(server.url + "/voice/conversation", json=BODY,  # noqa: E731
                                   headers=headers)
        assert post().status_code == 500
        throttled = post()
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
        with pytest.raises(httpx.TransportError):
            post()                     # dropped before the request was read: no call
        assert server.calls == {}
        with pytest.raises(httpx.TransportError):
            post()                     # dropped after: the call was placed all the same
        assert len(server.calls) == 1
        with pytest.raises(httpx.ReadTimeout):
            post()                     # slow: placed, the answer comes too late
        assert len(server.calls) == 2
        assert post().status_code == 200
    assert server.duplicates() == {"+306911111111": 3}
    deadline = time.monotonic() + 10   # the slow answer is logged once it is written
    while len(server.conversation_requests()) < 6 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [r.fault for r in server.conversation_requests()] == [
        "500", "429", "drop-before-read", "drop-after-read", "slow", "ok"]


def test_random_faults_follow_their_rates():
    faults = Faults(error_rate=0.1, drop_after_read_rate=0.02, seed=7)
    drawn = [faults.draw() for _ in range(10_000)]
    assert 800 < drawn.count("500") < 1200
    assert 120 < drawn.count("drop-after-read") < 280
    assert drawn.count("ok") == 10_000 - drawn.count("500") - drawn.count("drop-after-read")
    with pytest.raises(ValueError):
        Faults(script=["explode"])


def test_the_stand_in_can_enforce_routees_rate(standin):
    server = standin(rate_limit=2)
    headers = bearer(server)
    codes = [httpx.post(server.url + "/voice/conversation", json=BODY, headers=headers)
             .status_code for _ in range(3)]
    assert codes[:2] == [200, 200] and codes[2] == 429


def test_max_in_window_counts_half_open_windows():
    records = [RequestRecord(t, "POST", "/voice/conversation", None, 200)
               for t in (0.0, 0.5, 0.999, 1.0, 1.2, 3.0)]
    server = Standin()
    assert server.max_in_window(records) == 4          # [0.5, 1.5)
    assert server.max_in_window(records, window=0.25) == 3   # [0.999, 1.249)
    assert server.max_in_window(records, window=0.001) == 1
    assert server.max_in_window([]) == 0


def test_it_listens_on_loopback_only():
    with pytest.raises(ValueError):
        Standin(host="0.0.0.0")


# --- the shapes and the progress Routee documents (ROUTEE.md) ---------------------------------

import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from dialplan_compiler.calls.standin import (Outcome, load_outcome_file, parse_outcome_option)

FAST = (("Queued", 0.0), ("Initiated", 0.05), ("Ringing", 0.1), ("InProgress", 0.15),
        ("Completed", 0.2))
LEG_KEYS = {"messageId", "conversationTrackingId", "from", "to", "direction",
            "originatingService", "country", "status", "duration", "price", "chargeInterval",
            "recordings", "collectedTones", "answeredBy"}


class Receiver:
    """A local HTTP server that keeps every request it gets (callbacks,
    dialPlanUrl fetches) and answers `plan` as JSON."""

    def __init__(self, plan: dict | None = None) -> None:
        self.got: list[tuple[str, dict | None]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"null")
                except ValueError:
                    body = None
                receiver.got.append((self.path, body))
                data = json.dumps(plan if plan is not None else {}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def paths(self, path: str) -> list[dict | None]:
        return [body for p, body in self.got if p == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(plan: dict | None = None) -> Receiver:
        made.append(Receiver(plan))
        return made[-1]

    yield make
    for r in made:
        r.close()


def place(server: Standin, headers: dict, to: str = "+306911111111", **extra) -> dict:
    answer = httpx.post(server.url + "/voice/conversation",
                        json={**BODY, "to": {"phone": to}, **extra}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def legs(server: Standin, headers: dict, tracking_id: str, **params) -> dict:
    answer = httpx.get(f"{server.url}/voice/tracking/conversation/{tracking_id}",
                       params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def follow(server: Standin, headers: dict, tracking_id: str, deadline: float = 20.0) -> list[str]:
    """Each status the call's first leg shows, polled until a final one."""
    seen: list[str] = []
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        status = legs(server, headers, tracking_id)["content"][0]["status"]["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in ("Completed", "Busy", "NoAnswer", "Failed", "Unsent", "Terminated"):
            return seen
        time.sleep(0.005)
    raise AssertionError(f"no final status in {deadline} s: {seen}")


def wait_until(condition, deadline: float = 20.0) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, "gave up waiting"
        time.sleep(0.02)


def test_the_conversation_has_no_status_and_a_leg_has_its_own_message_id(standin):
    server = standin(progress=FAST)
    headers = bearer(server)
    placed = place(server, headers)
    assert "status" not in placed
    assert placed["from"] == SENDER and placed["to"] == {"phone": "+306911111111"}
    assert placed["dialPlan"] == BODY["dialPlan"] and placed["createdAt"]
    tracking_id = placed["trackingId"]
    got = httpx.get(f"{server.url}/voice/conversation/{tracking_id}", headers=headers).json()
    assert "status" not in got and got["trackingId"] == tracking_id
    page = legs(server, headers, tracking_id)
    [leg] = page["content"]
    assert set(leg) >= LEG_KEYS
    assert leg["messageId"] != tracking_id and leg["conversationTrackingId"] == tracking_id
    assert set(leg["status"]) == {"status", "date"}
    assert leg["answeredBy"] in ("HUMAN", "MACHINE", "UNKNOWN")
    assert leg["country"] == "GR" and leg["to"] == "+306911111111"
    one = httpx.get(f"{server.url}/voice/tracking/{leg['messageId']}", headers=headers)
    assert one.status_code == 200 and one.json()["messageId"] == leg["messageId"]
    assert httpx.get(f"{server.url}/voice/tracking/{tracking_id}",
                     headers=headers).status_code == 404
    missing = httpx.get(f"{server.url}/voice/tracking/conversation/nope", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"].startswith("404013")


def test_tracking_pages(standin):
    server = standin(progress=FAST)
    headers = bearer(server)
    dial = {"type": "DIAL", "from": SENDER, "to": {"phone": "+306922222222"}}
    tracking_id = place(server, headers, dialPlan={"verbs": [dial]})["trackingId"]
    follow(server, headers, tracking_id)
    whole = legs(server, headers, tracking_id)
    assert (whole["totalElements"], whole["totalPages"], whole["size"]) == (2, 1, 20)
    assert whole["first"] and whole["last"] and whole["number"] == 0
    first = legs(server, headers, tracking_id, page=0, size=1)
    second = legs(server, headers, tracking_id, page=1, size=1)
    beyond = legs(server, headers, tracking_id, page=2, size=1)
    assert (first["first"], first["last"], first["totalPages"]) == (True, False, 2)
    assert (second["first"], second["last"], second["number"]) == (False, True, 1)
    assert first["numberOfElements"] == second["numberOfElements"] == 1
    assert beyond["content"] == [] and beyond["numberOfElements"] == 0
    ids = {first["content"][0]["messageId"], second["content"][0]["messageId"], tracking_id}
    assert len(ids) == 3
    assert second["content"][0]["to"] == "+306922222222"
    bad = httpx.get(f"{server.url}/voice/tracking/conversation/{tracking_id}",
                    params={"size": 0}, headers=headers)
    assert bad.status_code == 400


@pytest.mark.parametrize("outcome,sequence", [
    ("Completed", ["Queued", "Initiated", "Ringing", "InProgress", "Completed"]),
    ("Busy", ["Queued", "Initiated", "Ringing", "Busy"]),
    ("NoAnswer", ["Queued", "Initiated", "Ringing", "NoAnswer"]),
    ("Failed", ["Queued", "Initiated", "Failed"]),
    ("Unsent", ["Queued", "Unsent"]),
])
def test_each_outcome_has_its_sequence_of_statuses(standin, receiver, outcome, sequence):
    # The OnChange callbacks carry every step, however late a poll comes on
    # a loaded machine; polling must still end on the same final status.
    hooks = receiver()
    server = standin(progress=FAST, outcomes={"+306911111111": outcome})
    headers = bearer(server)
    callback = {"url": hooks.url + "/status", "strategy": "OnChange"}
    tracking_id = place(server, headers, callback=callback)["trackingId"]
    assert follow(server, headers, tracking_id)[-1] == sequence[-1]
    wait_until(lambda: len(hooks.paths("/status")) >= len(sequence))
    assert [body["status"]["name"] for body in hooks.paths("/status")] == sequence
    [leg] = legs(server, headers, tracking_id)["content"]
    if outcome == "Completed":
        assert leg["answeredBy"] == "HUMAN" and leg["duration"] == 30
        assert leg["price"] == pytest.approx(0.05) and leg["chargeInterval"] == 60
    else:
        assert leg["duration"] == 0 and leg["price"] == 0


def test_duration_and_price_follow_the_charge_interval(standin):
    server = standin(progress=FAST, price_per_minute=0.6, charge_interval=30,
                     outcomes={"+306911111111": Outcome("Completed", "MACHINE", duration=61)})
    headers = bearer(server)
    tracking_id = place(server, headers)["trackingId"]
    follow(server, headers, tracking_id)
    [leg] = legs(server, headers, tracking_id)["content"]
    assert (leg["duration"], leg["chargeInterval"], leg["answeredBy"]) == (61, 30, "MACHINE")
    assert leg["price"] == pytest.approx(0.9)           # 3 × 30 s at 0.6 a minute


def test_outcomes_per_attempt(standin):
    server = standin(progress=FAST, outcomes={"+306911111111": ["NoAnswer", "Completed"]})
    headers = bearer(server)
    ends = [follow(server, headers, place(server, headers)["trackingId"])[-1]
            for _ in range(3)]
    assert ends == ["NoAnswer", "Completed", "Completed"]   # the last one repeats


def test_a_call_nobody_answers_never_runs_its_plan(standin, receiver):
    plans = receiver({"verbs": [{"type": "PAUSE", "duration": 1}]})
    server = standin(progress=FAST, execute=True,
                     outcomes={"+306911111111": "Busy", "+306922222222": "NoAnswer"})
    headers = bearer(server)
    body = {"dialPlanUrl": plans.url + "/plan"}
    placed = {}
    for to in ("+306911111111", "+306922222222", "+306933333333"):
        answer = httpx.post(server.url + "/voice/conversation", headers=headers,
                            json={"from": SENDER, "to": {"phone": to}, **body})
        placed[to] = answer.json()["trackingId"]
    ends = {to: follow(server, headers, t)[-1] for to, t in placed.items()}
    assert ends == {"+306911111111": "Busy", "+306922222222": "NoAnswer",
                    "+306933333333": "Completed"}
    assert server.wait_for_calls()
    fetched = [b["conversationTrackingId"] for b in plans.paths("/plan")]
    assert fetched == [placed["+306933333333"]]      # only the answered one
    for to in ("+306911111111", "+306922222222"):
        assert server.calls[placed[to]].transcript == []


@pytest.mark.parametrize("strategy", ["OnChange", "OnCompletion"])
def test_callbacks_follow_their_strategy(standin, receiver, strategy):
    hooks = receiver()
    server = standin(progress=FAST, outcomes={"+306922222222": "Busy"})
    headers = bearer(server)
    callback = {"url": hooks.url + "/status", "strategy": strategy}
    answered = place(server, headers, callback=callback)["trackingId"]
    busy = place(server, headers, to="+306922222222", callback=callback)["trackingId"]
    expected = {answered: ["Queued", "Initiated", "Ringing", "InProgress", "Completed"],
                busy: ["Queued", "Initiated", "Ringing", "Busy"]}
    if strategy == "OnCompletion":
        expected = {answered: ["Completed"], busy: ["Busy"]}
    total = sum(map(len, expected.values()))
    wait_until(lambda: len(hooks.paths("/status")) >= total)
    time.sleep(0.3)                                   # nothing more comes
    bodies = hooks.paths("/status")
    assert len(bodies) == total
    for tracking_id, names in expected.items():
        mine = [b for b in bodies if b["conversationTrackingId"] == tracking_id]
        assert [b["status"]["name"] for b in mine] == names
        assert set(mine[0]) == {"messageId", "conversationTrackingId", "to", "from", "status",
                                "direction", "originatingService", "respectQuietHours",
                                "duration", "price"}
        assert mine[0]["messageId"] == server.calls[tracking_id].message_id != tracking_id
        assert set(mine[0]["status"]) == {"name", "updatedDate"}
    final = [b for b in bodies if b["status"]["name"] == "Completed"][0]
    assert final["duration"] == 30 and final["price"] > 0


def test_hangup_and_reject_take_a_live_leg_s_message_id(standin):
    # Long steps: the call stays in each status long enough to act on it.
    slow = (("Queued", 0.0), ("Initiated", 0.0), ("Ringing", 0.5), ("InProgress", 1.0),
            ("Completed", 600.0))
    server = standin(progress=slow)
    headers = bearer(server)

    def put(message_id: str, action: str) -> httpx.Response:
        return httpx.put(f"{server.url}/voice/conversation/{message_id}",
                         json={"action": action}, headers=headers)

    tracking_id = place(server, headers)["trackingId"]
    message_id = server.calls[tracking_id].message_id
    assert put(tracking_id, "hangup").status_code == 404        # a trackingId is not a leg
    assert put(tracking_id, "hangup").json()["code"].startswith("404013")
    wait_until(lambda: legs(server, headers, tracking_id)["content"][0]["status"]["status"]
               == "InProgress")
    refused = put(message_id, "reject")                         # answered: too late
    assert refused.status_code == 400 and "not active" in refused.json()["developerMessage"]
    done = put(message_id, "hangup")
    assert done.status_code == 200
    assert set(done.json()) == {"messageId", "message", "createdAt"}
    assert done.json()["messageId"] == message_id
    [leg] = legs(server, headers, tracking_id)["content"]
    assert leg["status"]["status"] == "Terminated"
    assert put(message_id, "hangup").status_code == 400         # no longer active

    other = place(server, headers, to="+306922222222")["trackingId"]
    other_leg = server.calls[other].message_id
    assert put(other_leg, "hangup").status_code == 400          # not answered yet
    assert put(other_leg, "reject").status_code == 200
    assert follow(server, headers, other)[-1] == "Terminated"
    assert put(other_leg, "dance").status_code == 400


def test_429_with_retry_after_beyond_the_rate_limit(standin):
    server = standin(rate_limit=1, faults=Faults(retry_after=4))
    headers = bearer(server)
    first = httpx.post(server.url + "/voice/conversation", json=BODY, headers=headers)
    second = httpx.post(server.url + "/voice/conversation", json=BODY, headers=headers)
    assert first.status_code == 200
    assert second.status_code == 429 and second.headers["Retry-After"] == "4"
    assert second.json()["code"] == "429013001"
    assert len(server.calls) == 1


def test_tokens_expire_after_their_time(standin):
    server = standin(token_lifetime=0.5, announced_expires_in=3600)
    headers = bearer(server)
    assert httpx.post(server.url + "/voice/conversation", json=BODY,
                      headers=headers).status_code == 200
    wait_until(lambda: httpx.get(server.url + "/voice/conversation/x",
                                 headers=headers).status_code == 401)
    refused = httpx.post(server.url + "/voice/conversation", json=BODY, headers=headers)
    assert refused.status_code == 401 and refused.json()["code"] == "401013001"
    assert httpx.post(server.url + "/voice/conversation", json=BODY,
                      headers=bearer(server)).status_code == 200   # a new token works


def test_tracking_faults_and_the_default_page_size(standin):
    server = standin(progress=FAST, page_size=1, tracking_faults=["429", "500"],
                     faults=Faults(retry_after=3))
    headers = bearer(server)
    dial = {"type": "DIAL", "from": SENDER, "to": {"phone": "+306922222222"}}
    tracking_id = place(server, headers, dialPlan={"verbs": [dial]})["trackingId"]
    url = f"{server.url}/voice/tracking/conversation/{tracking_id}"
    throttled = httpx.get(url, headers=headers)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "3"
    assert throttled.json()["code"] == "429013001"
    assert httpx.get(url, headers=headers).status_code == 500
    follow(server, headers, tracking_id)
    first = legs(server, headers, tracking_id)
    assert (first["size"], first["totalPages"], first["last"]) == (1, 2, False)
    assert legs(server, headers, tracking_id, page=1)["last"] is True
    assert httpx.post(server.url + "/voice/conversation", json=BODY,
                      headers=headers).status_code == 200      # POSTs are not scripted here
    with pytest.raises(ValueError, match="unknown tracking fault"):
        Standin(tracking_faults=["drop-after-read"])


def test_outcome_options_and_files(tmp_path):
    assert parse_outcome_option("+306900000001=NoAnswer,Completed:MACHINE") == (
        "+306900000001", (Outcome("NoAnswer"), Outcome("Completed", "MACHINE")))
    with pytest.raises(ValueError):
        parse_outcome_option("+306900000001=Sideways")
    with pytest.raises(ValueError):
        parse_outcome_option("+306900000001")
    table = tmp_path / "outcomes.csv"
    table.write_text("to,outcome,answeredBy,keys,duration\n"
                     "+306900000001,NoAnswer,,,\n+306900000001,Completed,HUMAN,1 1234#,42\n")
    assert load_outcome_file(table) == {"+306900000001": (
        Outcome("NoAnswer"), Outcome("Completed", "HUMAN", ("1", "1234#"), 42))}
    toml = tmp_path / "outcomes.toml"
    toml.write_text('["+306900000001"]\noutcome = "Busy"\n\n'
                    '["+306900000002"]\nattempts = [{outcome = "NoAnswer"}, '
                    '{outcome = "Completed", answeredBy = "MACHINE", keys = ["2"]}]\n')
    assert load_outcome_file(toml) == {
        "+306900000001": (Outcome("Busy"),),
        "+306900000002": (Outcome("NoAnswer"), Outcome("Completed", "MACHINE", ("2",)))}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_command_line_serves_with_outcomes(tmp_path):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dialplan_compiler.calls.standin", "--port", str(port),
         "--outcome", "+306900000001=NoAnswer,Completed", "--speed", "4", "--seed", "1",
         "--rate-limit", "100", "--token-ttl", "600"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line, line + process.stderr.read()
        url = f"http://127.0.0.1:{port}"
        token = httpx.post(url + "/oauth/token", data={"grant_type": "client_credentials"},
                           auth=("anyone", "anything")).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        ends = []
        for _ in range(2):
            placed = httpx.post(url + "/voice/conversation", headers=headers,
                                json={**BODY, "to": {"phone": "+306900000001"}}).json()
            end = time.monotonic() + 20
            while True:
                page = httpx.get(f"{url}/voice/tracking/conversation/{placed['trackingId']}",
                                 headers=headers).json()
                status = page["content"][0]["status"]["status"]
                if status in ("NoAnswer", "Completed") or time.monotonic() > end:
                    break
                time.sleep(0.02)
            ends.append(status)
        assert ends == ["NoAnswer", "Completed"]
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()
        process.stderr.close()


def test_the_command_line_lists_every_fault():
    result = subprocess.run([sys.executable, "-m", "dialplan_compiler.calls.standin", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for flag in ("--error-rate", "--drop-rate", "--rate-limit", "--slow", "--token-ttl",
                 "--seed", "--execute", "--outcome", "--outcome-file", "--speed",
                 "--price-per-minute", "--charge-interval"):
        assert flag in result.stdout
    shim = subprocess.run([sys.executable, "-m", "dialplan_compiler.standin", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert shim.returncode == 0 and "--outcome" in shim.stdout
