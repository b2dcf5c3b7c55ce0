"""Per-call values in every branch: the values a call is compiled with that
its branches say ride in the eventUrls, sealed (AES-GCM, key from HKDF of
DIALPLAN_SIGNING_SECRET); `dialplan serve` opens them and fills the
branches; an altered or expired state is refused like a forged URL."""

from __future__ import annotations

import base64
import csv
import json
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from dialplan_compiler import compile_source
from dialplan_compiler.cli import main
from dialplan_compiler.compiler import compile_bundle
from dialplan_compiler.menus.simulate import load, simulate
from dialplan_compiler.signing import StateRefused, open_state, seal_state

from helpers import urls
from serving import SECRET, free_port, serve_process

REMINDER = '''\
from +302101234567
voice en-GB female

say "Hello {name}."
menu via "BASE/routee" wait 5s tries 2 {
  say "To confirm your appointment on {date}, press 1. To change it, press 2."
  on 1 {
    say "Thank you, {name}. See you on {date}."
  }
  on 2 {
    menu via "BASE/routee" wait 5s {
      say "Press 1 to hear {date} again, press 2 to cancel."
      on 1 { say "Your appointment is on {date}." }
      on 2 { say "Cancelled, {name}." }
    }
  }
  otherwise { again }
  timeout { say "We will call again about {date}." }
}
'''
VALUES = {"name": "Maria Papadopoulou", "date": "Monday 3 May at 10:30"}


def script(tmp_path: Path, base: str = "https://ivr.example.com") -> Path:
    path = tmp_path / "reminder.call"
    path.write_text(REMINDER.replace("BASE", base), encoding="utf-8")
    return path


def event_urls(plan: dict) -> list[str]:
    return [v["eventUrl"] for v in plan["verbs"] if v["type"] == "COLLECT"]


def says(plan: dict) -> list[str]:
    return [v["message"]["text"] for v in plan["verbs"] if v["type"] == "SAY"]


# --- sealing, through the Python API ---------------------------------------------------------

def test_a_sealed_state_opens_only_unaltered_for_its_script_and_in_time():
    secret = b"a-secret-of-enough-bytes"
    state = seal_state(secret, "reminder", VALUES, ttl=60, now=1000)
    assert open_state(secret, "reminder", state, now=1059) == VALUES
    for refused in (lambda: open_state(secret, "other", state, now=1000),
                    lambda: open_state(b"another-secret-entirely", "reminder", state, now=1000),
                    lambda: open_state(secret, "reminder", state, now=1061),
                    lambda: open_state(secret, "reminder", state[:-2] + "AA", now=1000),
                    lambda: open_state(secret, "reminder", "not base64 !", now=1000),
                    lambda: open_state(secret, "reminder", "", now=1000)):
        with pytest.raises(StateRefused):
            refused()


def test_two_calls_with_the_same_values_get_different_states():
    assert seal_state(b"a-secret-of-enough-bytes", "r", VALUES) != \
        seal_state(b"a-secret-of-enough-bytes", "r", VALUES)


def test_the_main_plan_is_filled_and_the_branches_values_travel_sealed(tmp_path):
    result = compile_bundle(script(tmp_path).read_text(), "reminder.call", variables=VALUES,
                            signing_secret=SECRET)
    assert result.bundle is not None, result.diagnostics
    plan = result.payload
    assert says(plan)[0] == "Hello Maria Papadopoulou."
    assert "Monday 3 May at 10:30" in says(plan)[1]
    [url] = event_urls(plan)
    query = dict(parse_qsl(urlsplit(url).query))
    assert open_state(SECRET.encode(), "reminder", query["v"]) == VALUES
    assert "Maria" not in url and "Monday" not in url
    # The branches keep their placeholders: serve fills them for each call.
    assert result.bundle.needs["1"] == ("name", "date")


def test_a_value_a_branch_needs_is_required_when_a_call_is_compiled(tmp_path):
    result = compile_source(script(tmp_path).read_text(), "reminder.call",
                            variables={"name": "Maria"}, signing_secret=SECRET)
    assert result.payload is None
    missing = [(d.code, d.span.line) for d in result.diagnostics if d.is_error]
    assert ("DP215", 6) in missing and ("DP215", 8) in missing


def test_an_event_url_over_the_limit_is_reported_at_the_menu(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALPLAN_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("DIALPLAN_URL_LIMIT", "150")
    path = script(tmp_path)
    result = CliRunner().invoke(main, ["compile", str(path), "--var", "name=M",
                                       "--var", "date=" + "long " * 10])
    assert result.exit_code == 1
    assert "error[DP230]" in result.output and "reminder.call:5:" in result.output
    assert "the limit is 150" in result.output
    monkeypatch.delenv("DIALPLAN_URL_LIMIT")  # the default, 2048, takes them
    result = CliRunner().invoke(main, ["compile", str(path), "--var", "name=M",
                                       "--var", "date=" + "long " * 10])
    assert result.exit_code == 0, result.output


def test_a_branch_text_over_1000_characters_with_the_values_is_reported(tmp_path):
    result = compile_source(script(tmp_path).read_text(), "reminder.call",
                            variables={"name": "M", "date": "d" * 990}, signing_secret=SECRET)
    assert result.payload is None
    assert ("DP207", 8) in [(d.code, d.span.line) for d in result.diagnostics]


def test_simulate_says_each_branch_with_the_calls_values(tmp_path):
    flow = load(script(tmp_path).read_text(), "reminder.call", variables=VALUES)
    assert simulate(flow, ["2", "1"]).transcript[-2:] == [
        "caller hears (en-GB, female): Your appointment is on Monday 3 May at 10:30.",
        "call ends"]
    assert simulate(flow, ["timeout"]).transcript[-2] == \
        "caller hears (en-GB, female): We will call again about Monday 3 May at 10:30."


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["name", "date"]),
                       st.text(st.characters(codec="utf-8", exclude_characters="{}"),
                               min_size=6, max_size=40), min_size=2))
def test_no_value_ever_appears_in_clear_in_an_event_url(values):
    result = compile_bundle(REMINDER.replace("BASE", "https://ivr.example.com"),
                            "reminder.call", variables=values, signing_secret=SECRET)
    found = event_urls(result.payload)
    assert found
    for url in found:
        # The URL as sent, and its query as a server decodes it.
        decoded = [url, *[v for _, v in parse_qsl(urlsplit(url).query)]]
        for value in values.values():
            quoted = httpx.URL("https://x/", params={"q": value}).query.decode()[2:]
            for form in (value, quoted):
                assert all(form not in text for text in decoded), (value, url)


# --- `dialplan call`: a campaign's rows get their own states ----------------------------------

def write_people(path: Path, dates: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["to", "name", "date"])
        for i, date in enumerate(dates):
            writer.writerow([f"+3069{10000000 + i:08d}", f"Patient {i}", date])
    return path


def test_the_dry_run_of_a_campaign_shows_a_sealed_state_per_row(tmp_path, standin, routee_env,
                                                                 monkeypatch):
    monkeypatch.setenv("DIALPLAN_SIGNING_SECRET", SECRET)
    dates = ["Monday 3 May", "Tuesday 4 May", "Wednesday 5 May"]
    people = write_people(tmp_path / "people.csv", dates)
    result = CliRunner().invoke(main, ["call", str(script(tmp_path)), "--recipients",
                                       str(people), "--dry-run", *urls(standin())])
    assert result.exit_code == 0, result.output
    found = re.findall(r'"eventUrl": "([^"]+)"', result.output)
    assert len(found) == 3 and len(set(found)) == 3
    states = [dict(parse_qsl(urlsplit(u).query))["v"] for u in found]
    opened = [open_state(SECRET.encode(), "reminder", s) for s in states]
    assert [o["date"] for o in opened] == dates
    for date in dates:
        assert date not in "".join(found)


# --- `dialplan serve`: it opens the state, and refuses an altered one -----------------------

def test_serve_fills_the_branches_of_each_call_from_its_state(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    path = script(tmp_path, base)
    with serve_process([path], tmp_path / "serve.log", port=port) as (served, _):
        calls = {}
        for date in ("Monday 3 May", "Friday 7 May"):
            compiled = compile_source(path.read_text(), str(path),
                                      variables={"name": "Maria", "date": date},
                                      signing_secret=SECRET)
            [calls[date]] = event_urls(compiled.payload)
        for date, url in calls.items():
            answer = httpx.post(url, json={"collectedTones": "1", "messageId": "m"})
            assert answer.status_code == 200
            assert says(answer.json()) == [f"Thank you, Maria. See you on {date}."]
            nested = httpx.post(url, json={"collectedTones": "2"}).json()
            assert says(nested) == [f"Press 1 to hear {date} again, press 2 to cancel."]
            [inner] = event_urls(nested)  # the nested menu's eventUrl carries the state on
            assert dict(parse_qsl(urlsplit(inner).query))["v"] == \
                dict(parse_qsl(urlsplit(url).query))["v"]
            assert says(httpx.post(inner, json={"collectedTones": "1"}).json()) == \
                [f"Your appointment is on {date}."]
        # Its main plan says a call's values: it goes inline with each call, not from here.
        main = httpx.post(served + "/routee/plans/reminder", json={})
        assert says(main.json()) == ["Sorry, something went wrong. Goodbye."]
        url = calls["Monday 3 May"]
        query = dict(parse_qsl(urlsplit(url).query))
        raw = bytearray(base64.urlsafe_b64decode(query["v"] + "=" * (-len(query["v"]) % 4)))
        raw[20] ^= 1
        altered = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
        tampered = url.replace(query["v"], altered)
        assert httpx.post(tampered, json={"collectedTones": "1"}).status_code == 403
        expired = seal_state(SECRET.encode(), "reminder", {"name": "M", "date": "d"},
                             ttl=1, now=0)
        assert httpx.post(url.replace(query["v"], expired),
                          json={"collectedTones": "1"}).status_code == 403
        other = seal_state(SECRET.encode(), "clinic", {"name": "M", "date": "d"})
        assert httpx.post(url.replace(query["v"], other),
                          json={"collectedTones": "1"}).status_code == 403
    lines = [json.loads(line) for line in (tmp_path / "serve.log").read_text().splitlines()
             if line.startswith("{")]
    refused = [line for line in lines if line.get("event") == "forged"]
    assert [line["state"] for line in refused] == [
        "altered, or sealed for another script or secret", "expired",
        "altered, or sealed for another script or secret"]
    assert not any("Monday" in json.dumps(line) for line in lines)
    [needs] = [line for line in lines if line.get("event") == "plan-needs-values"]
    assert needs["needs"] == ["name", "date"]
