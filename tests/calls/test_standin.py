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
    assert answer.json()["status"] == "Queued"
    assert list(server.calls) == [tracking_id]
    assert server.calls[tracking_id].recipient == "+306911111111"
    assert server.calls_per_recipient() == {"+306911111111": 1}


def test_bodies_are_validated_against_the_schemas(standin):
    server = standin()
    body = {**BODY, "dialPlan": {"verbs": [{"type": "PAUSE", "length": 1}]}}
    answer = httpx.post(server.url + "/voice/conversation", json=body, headers=bearer(server))
    assert answer.status_code == 400
    error = answer.json()
    assert error["code"] == "400000000"
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
    assert bad.json()["code"] == "401000000"


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
    seen = [call.status(100.0 + t) for t in (0.0, 0.15, 0.25, 5.0)]
    assert seen == ["Queued", "Ringing", "InProgress", "Completed"]
    assert timeline_for(DEFAULT_PROGRESS, "Busy") == (("Queued", 0.0), ("Ringing", 0.1),
                                                      ("Busy", 0.2))


def test_get_conversation_follows_the_call_to_its_end(standin):
    server = standin(progress=(("Queued", 0.0), ("Ringing", 0.05), ("InProgress", 0.1),
                               ("Completed", 0.15)),
                     outcomes={"+306922222222": "Busy"})
    headers = bearer(server)
    ends = {}
    for number in ("+306911111111", "+306922222222"):
        body = {**BODY, "to": {"phone": number}}
        tracking_id = httpx.post(server.url + "/voice/conversation", json=body,
                                 headers=headers).json()["trackingId"]
        seen = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            status = httpx.get(f"{server.url}/voice/conversation/{tracking_id}",
                               headers=headers).json()["status"]
            if not seen or seen[-1] != status:
                seen.append(status)
            if status in ("Completed", "Busy"):
                break
            time.sleep(0.02)
        ends[number] = seen
    assert ends["+306911111111"][-1] == "Completed"
    assert ends["+306922222222"][-1] == "Busy"
    assert "InProgress" not in ends["+306922222222"]
    missing = httpx.get(f"{server.url}/voice/conversation/nope", headers=headers)
    assert missing.status_code == 404


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
