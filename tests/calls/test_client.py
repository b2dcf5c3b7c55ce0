"""The Routee client, and `dialplan call --to`, against the stand-in over
real HTTP on 127.0.0.1 (no mocks of the client)."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import APP_ID, SECRET, SENDER, files_containing, urls, write_script
from dialplan_compiler import cli
from dialplan_compiler.calls.client import (REDACTED, ApiError, AuthError, CredentialsError,
                                      Credentials, MaybeSent, NotSent, RateLimiter,
                                      RouteeClient, Timeouts, TokenCache, check_base_url,
                                      load_credentials, parse_retry_after)
from dialplan_compiler.calls.redact import Redactor
from dialplan_compiler.calls.standin import Faults

from helpers import ROOT
BODY = {"from": SENDER, "to": {"phone": "+306911111111"},
        "dialPlan": {"verbs": [{"type": "PAUSE", "duration": 1}]}}
CREDENTIALS = Credentials(APP_ID, SECRET)


def client_for(server, **options) -> RouteeClient:
    options.setdefault("limiter", RateLimiter(1000))
    return RouteeClient(options.pop("credentials", CREDENTIALS), api_url=server.url,
                        auth_url=server.url, **options)


def token_requests(server) -> int:
    return sum(1 for r in server.requests if r.path == "/oauth/token")


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


# --- credentials ---------------------------------------------------------------------

def test_credentials_from_the_environment():
    found = load_credentials({"ROUTEE_APPLICATION_ID": "app", "ROUTEE_APPLICATION_SECRET": "x"})
    assert (found.application_id, found.secret) == ("app", "x")
    assert "x" not in repr(found)
    with pytest.raises(CredentialsError, match="ROUTEE_APPLICATION_SECRET is not set"):
        load_credentials({"ROUTEE_APPLICATION_ID": "app"})


def test_credentials_from_a_private_file_only(tmp_path):
    path = tmp_path / "credentials.toml"
    path.write_text(f'application-id = "{APP_ID}"\napplication-secret = "{SECRET}"\n')
    path.chmod(0o600)
    assert load_credentials({}, path).secret == SECRET
    path.chmod(0o644)
    with pytest.raises(CredentialsError, match="chmod 600") as refused:
        load_credentials({}, path)
    assert SECRET not in str(refused.value)
    path.chmod(0o600)
    path.write_text(f'application-id = "{APP_ID}"\n')
    with pytest.raises(CredentialsError, match="application-secret"):
        load_credentials({}, path)


def test_missing_credentials_say_where_they_are_looked_for(tmp_path):
    with pytest.raises(CredentialsError) as missing:
        load_credentials({}, tmp_path / "nowhere.toml")
    assert "ROUTEE_APPLICATION_ID" in str(missing.value)
    assert "nowhere.toml" in str(missing.value)


def test_the_secret_is_redacted_in_every_encoding():
    import base64

    basic = base64.b64encode(f"{APP_ID}:{SECRET}".encode()).decode()
    text = Redactor(CREDENTIALS.secrets()).text(f"a {SECRET} b Basic {basic}")
    assert SECRET not in text and basic not in text and REDACTED in text


def test_urls_must_be_https_except_on_loopback():
    assert check_base_url("https://connect.routee.net/", "--api-url") == \
        "https://connect.routee.net"
    assert check_base_url("http://127.0.0.1:8080", "--api-url") == "http://127.0.0.1:8080"
    with pytest.raises(CredentialsError, match="plain http"):
        check_base_url("http://connect.routee.net", "--api-url")
    with pytest.raises(CredentialsError):
        check_base_url("ftp://127.0.0.1", "--api-url")


# --- tokens --------------------------------------------------------------------------

def test_one_token_serves_many_requests(standin):
    server = standin()
    with client_for(server) as client:
        for _ in range(3):
            client.place_call(BODY)
    assert token_requests(server) == 1


def test_a_refused_token_is_renewed_and_the_request_retried_once(standin):
    server = standin(token_max_uses=1)
    with client_for(server) as client:
        first = client.place_call(BODY)
        second = client.place_call(BODY)       # 401, new token, sent again
    assert first.tracking_id != second.tracking_id
    assert token_requests(server) == 2
    assert [r.status for r in server.conversation_requests()] == [200, 401, 200]


def test_a_token_that_expires_early_is_survived(standin):
    server = standin(token_lifetime=0.0, announced_expires_in=3600)
    with client_for(server) as client:
        with pytest.raises(AuthError, match="refused a fresh token"):
            client.place_call(BODY)            # every token is dead on arrival
    assert [r.status for r in server.conversation_requests()] == [401, 401]


def test_wrong_credentials_are_an_auth_error_without_the_secret(standin):
    server = standin(credentials={APP_ID: "the-real-one"})
    with client_for(server) as client:
        with pytest.raises(AuthError) as refused:
            client.place_call(BODY)
    assert refused.value.status == 401
    assert SECRET not in str(refused.value)
    assert server.conversation_requests() == []


def test_the_token_cache_on_disk_is_opt_in_and_private(standin, tmp_path):
    server = standin()
    cache = TokenCache(tmp_path / "cache")
    with client_for(server) as client:
        client.place_call(BODY)
    assert not (tmp_path / "cache").exists()
    with client_for(server, token_cache=cache) as client:
        client.place_call(BODY)
    [file] = (tmp_path / "cache").iterdir()
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700
    assert SECRET not in file.read_text()
    with client_for(server, token_cache=cache) as client:
        client.place_call(BODY)                # the next run reuses the token
    assert token_requests(server) == 2
    file.chmod(0o644)                          # no longer private: ignored
    with client_for(server, token_cache=cache) as client:
        client.place_call(BODY)
    assert token_requests(server) == 3


# --- what failures mean --------------------------------------------------------------

def test_nothing_listening_is_not_sent():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = RouteeClient(CREDENTIALS, api_url=f"http://127.0.0.1:{port}",
                          auth_url=f"http://127.0.0.1:{port}")
    with client, pytest.raises(NotSent):
        client.place_call(BODY)


@pytest.mark.parametrize("fault", ["drop-after-read", "drop-before-read", "slow"])
def test_no_answer_after_sending_is_maybe_sent(standin, fault):
    server = standin(faults=Faults(script=[fault], slow_seconds=1.0))
    with client_for(server, timeouts=Timeouts(read=0.2)) as client:
        with pytest.raises(MaybeSent) as lost:
            client.place_call(BODY)
        assert client.place_call(BODY).tracking_id   # the next request is fine
    assert SECRET not in str(lost.value)


def test_routee_errors_carry_developer_message_and_properties(standin):
    server = standin(reject={"+306911111111": ("to", "Destination not supported")},
                     faults=Faults(script=["500", "429"], retry_after=3))
    with client_for(server) as client:
        with pytest.raises(ApiError) as error:
            client.place_call(BODY)
        assert error.value.status == 500 and error.value.transient
        with pytest.raises(ApiError) as error:
            client.place_call(BODY)
        assert error.value.status == 429 and error.value.retry_after == 3.0
        with pytest.raises(ApiError) as error:
            client.place_call(BODY)
    assert error.value.status == 400 and not error.value.transient
    assert error.value.developer_message == "Validation Error"
    assert error.value.properties == {"to": "Destination not supported"}


def test_retry_after_in_seconds_or_as_a_date():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0   # in the past
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# --- pacing (a fake clock: no timing in these) -----------------------------------------

class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def starts(limiter: RateLimiter, clock: FakeClock, count: int, duration: float) -> list[float]:
    begun = []
    for _ in range(count):
        limiter.acquire()
        begun.append(clock.now)
        clock.now += duration          # the request takes this long
        limiter.release()
    return begun


def most_in_a_second(times: list[float], window: float = 1.0) -> int:
    return max(sum(1 for u in times if t <= u < t + window) for t in times)


@pytest.mark.parametrize("rate,duration", [(1, 0.0), (1, 0.3), (5, 0.01), (2.5, 0.05),
                                           (0.5, 0.1), (50, 0.001)])
def test_the_limiter_never_lets_a_second_hold_more_than_the_rate(rate, duration):
    clock = FakeClock()
    limiter = RateLimiter(rate, clock=clock, sleep=clock.sleep)
    begun = starts(limiter, clock, 40, duration)
    # As the server sees it: it received each request between its start and its end.
    assert most_in_a_second(begun) <= max(1, int(rate))
    assert most_in_a_second([t + duration for t in begun]) <= max(1, int(rate))
    if rate < 1:
        assert all(b - a >= 1 / rate for a, b in zip(begun, begun[1:]))


def test_the_limiter_waits_after_an_earlier_run():
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, sleep=clock.sleep)
    limiter.hold_until(5.0)
    assert starts(limiter, clock, 1, 0.0) == [5.0]


# --- dialplan call --to --------------------------------------------------------------

@pytest.fixture
def script(tmp_path):
    return write_script(tmp_path / "hello.call")


def test_one_call_prints_its_tracking_id(standin, routee_env, script):
    server = standin()
    result = run("call", script, "--to", "+306911111111", "--var", "name=Maria", *urls(server))
    assert result.exit_code == 0, result.output
    [call] = server.calls.values()
    assert result.stdout.strip() == call.tracking_id
    assert call.body["to"] == {"phone": "+306911111111"}
    assert call.body["dialPlan"]["verbs"][0]["message"]["text"] == "Hello Maria."


def test_dry_run_prints_the_request_and_sends_nothing(standin, routee_env, script):
    server = standin()
    result = run("call", script, "--to", "+306911111111", "--var", "name=Maria", "--dry-run",
                 *urls(server))
    assert result.exit_code == 0, result.output
    assert server.requests == []                       # not even for a token
    head, _, body = result.stdout.partition("\n\n")
    assert head.splitlines()[0] == f"POST {server.url}/voice/conversation HTTP/1.1"
    assert "Authorization: Bearer <redacted>" in head
    assert "Content-Type: application/json" in head
    assert json.loads(body)["to"] == {"phone": "+306911111111"}
    assert SECRET not in result.output


def test_dry_run_needs_no_credentials(script, monkeypatch, tmp_path):
    monkeypatch.delenv("ROUTEE_APPLICATION_ID", raising=False)
    monkeypatch.delenv("ROUTEE_APPLICATION_SECRET", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "none"))
    result = run("call", script, "--to", "+306911111111", "--var", "name=M", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("POST https://connect.routee.net/voice/conversation")


def test_a_script_with_errors_is_refused_before_anything_is_sent(standin, routee_env, tmp_path):
    server = standin()
    script = write_script(tmp_path / "bad.call", f'from {SENDER}\nsay "Hi" in en-gb\n')
    result = run("call", script, "--to", "+306911111111", *urls(server))
    assert result.exit_code == 1
    assert "error[DP204]" in result.stderr
    assert "nothing was sent" in result.stderr
    assert server.requests == []


def test_a_call_routee_refuses_shows_its_message(standin, routee_env, script):
    server = standin(reject={"+306911111111": ("to", "Destination not supported")})
    result = run("call", script, "--to", "+306911111111", "--var", "name=M", *urls(server))
    assert result.exit_code == 1
    assert "Validation Error" in result.stderr and "Destination not supported" in result.stderr
    assert len(server.conversation_requests()) == 1     # a 400 is not retried


def test_a_lost_answer_is_not_sent_again(standin, routee_env, script):
    server = standin(faults=Faults(script=["drop-after-read"]))
    result = run("call", script, "--to", "+306911111111", "--var", "name=M", *urls(server))
    assert result.exit_code == 1
    assert "may have been placed" in result.stderr
    assert len(server.conversation_requests()) == 1
    assert len(server.calls) == 1


def test_5xx_is_retried_with_backoff(standin, routee_env, script):
    server = standin(faults=Faults(script=["500", "500"]))
    result = run("call", script, "--to", "+306911111111", "--var", "name=M", "--backoff", "0",
                 "--rate", "100", *urls(server))
    assert result.exit_code == 0, result.output
    assert [r.status for r in server.conversation_requests()] == [500, 500, 200]
    assert result.stderr.count("trying again") == 2


def test_missing_credentials_are_a_usage_error(standin, script, monkeypatch, tmp_path):
    server = standin()
    for name in ("ROUTEE_APPLICATION_ID", "ROUTEE_APPLICATION_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    result = run("call", script, "--to", "+306911111111", "--var", "name=M", *urls(server))
    assert result.exit_code == 2
    assert "ROUTEE_APPLICATION_SECRET" in result.stderr
    assert "Traceback" not in result.output
    assert server.requests == []


def test_a_world_readable_credentials_file_is_refused(standin, script, monkeypatch, tmp_path):
    server = standin()
    for name in ("ROUTEE_APPLICATION_ID", "ROUTEE_APPLICATION_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = tmp_path / "config" / "dialplan" / "credentials.toml"
    path.parent.mkdir(parents=True)
    path.write_text(f'application-id = "{APP_ID}"\napplication-secret = "{SECRET}"\n')
    path.chmod(0o644)
    result = run("call", script, "--to", "+306911111111", "--var", "name=M", *urls(server))
    assert result.exit_code == 2 and "chmod 600" in result.stderr
    assert SECRET not in result.output
    path.chmod(0o600)
    result = run("call", script, "--to", "+306911111111", "--var", "name=M", *urls(server))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("args,message", [
    ([], "give one of --to"),
    (["--to", "+306911111111", "--recipients", "x.csv"], "give one of --to"),
    (["--to", "+306911111111", "--report", "r.csv"], "for campaigns"),
    (["--to", "+306911111111", "--api-url", "http://example.com"], "plain http"),
    (["--to", "+306911111111", "--rate", "0"], "--rate"),
])
def test_bad_usage_is_exit_2_without_a_traceback(routee_env, script, tmp_path, monkeypatch,
                                                 args, message):
    (tmp_path / "x.csv").write_text("to\n+306911111111\n")
    monkeypatch.chdir(tmp_path)
    result = run("call", script, "--var", "name=M", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_the_secret_is_in_no_output_or_file(standin, routee_env, script, tmp_path):
    server = standin(token_max_uses=1, faults=Faults(script=["500", "drop-after-read"]))
    outputs = []
    for extra in (["--wait"], [], ["--dry-run"]):
        result = run("call", script, "--to", "+306911111111", "--var", "name=M", "--backoff",
                     "0", "--rate", "100", "--cache-token", *extra, *urls(server))
        outputs.append(result.output)
    assert any((tmp_path / "cache").rglob("token-*.json"))
    assert not any(SECRET in text for text in outputs)
    assert files_containing(tmp_path, SECRET) == []


@pytest.mark.parametrize("option,value", [
    ("--rate", "nan"), ("--rate", "inf"), ("--rate", "-inf"), ("--rate", "1e308"),
    ("--rate", "1e-300"), ("--rate", "0"), ("--rate", "101"), ("--rate", "fast"),
    ("--timeout", "nan"), ("--timeout", "inf"), ("--timeout", "1e308"), ("--timeout", "0"),
    ("--timeout", "3601"), ("--backoff", "nan"), ("--backoff", "inf"), ("--backoff", "-1"),
])
@pytest.mark.parametrize("target", ["--to", "--recipients"])
def test_numbers_that_are_not_finite_or_in_range_are_usage_errors(standin, routee_env, script,
                                                                  tmp_path, option, value,
                                                                  target):
    server = standin()
    people = tmp_path / "people.csv"
    people.write_text("to\n+306911111111\n")
    where = ["+306911111111"] if target == "--to" else [people]
    result = run("call", script, target, *where, "--var", "name=M", option, value,
                 *urls(server))
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.stderr
    assert "Traceback" not in result.output
    assert server.requests == []


def test_the_ends_of_the_ranges_are_accepted(standin, routee_env, script):
    server = standin()
    result = run("call", script, "--to", "+306911111111", "--var", "name=M", "--rate", "100",
                 "--timeout", "3600", "--backoff", "0", *urls(server))
    assert result.exit_code == 0, result.output
    assert len(server.calls) == 1
