"""A handoff's answer is checked before it reaches Routee, against the
schemas and the plan rules, over real HTTP: a real `dialplan serve` and a
real handoff URL on 127.0.0.1. An invalid plan would make Routee drop the
call, so the caller hears the short goodbye and the log names the rule."""

from __future__ import annotations

import json

import httpx
import pytest

from dialplan_compiler import compile_source
from serving import SECRET, free_port, serve_process

SCRIPT = '''\
from +302101234567
voice en-GB
menu via "BASE/routee" {
  say "Press 1 for the desk."
  on 1 {
    dial +302101111111
    handoff "HOOK/next" within 1s
  }
}
'''
SAY = {"type": "SAY", "message": {"text": "Your balance is 12 euros.", "language": "en-GB"}}
DIAL = {"type": "DIAL", "from": "+302101234567", "to": {"phone": "+302102222222"}}


@pytest.mark.parametrize("plan, rule", [
    ({"verbs": [SAY]}, None),
    ({"verbs": [DIAL]}, "DP206"),                                   # a second DIAL in the plan
    ({"verbs": [{**SAY, "message": {**SAY["message"], "language": "en-gb"}}]}, "DP204"),
    ({"verbs": [{"type": "PAUSE", "duration": "2"}]}, "DP220"),     # a quoted number
    ({"verbs": [{**SAY, "message": {"text": "x" * 1001, "language": "en-GB"}}]}, "DP207"),
])
def test_an_invalid_handoff_answer_gets_the_goodbye_and_a_log_line(tmp_path, receivers,
                                                                  plan, rule):
    hook = receivers(lambda path, body: (200, json.dumps(plan).encode()))
    port = free_port()
    path = tmp_path / "desk.call"
    path.write_text(SCRIPT.replace("BASE", f"http://127.0.0.1:{port}").replace("HOOK", hook.url),
                    encoding="utf-8")
    log = tmp_path / "serve.log"
    with serve_process([path], log, port=port):
        main = compile_source(path.read_text(), str(path), signing_secret=SECRET).payload
        [url] = [v["eventUrl"] for v in main["verbs"] if v["type"] == "COLLECT"]
        answer = httpx.post(url, json={"collectedTones": "1", "messageId": "m1"})
    assert answer.status_code == 200
    verbs = answer.json()["verbs"]
    assert verbs[0]["type"] == "DIAL"
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    invalid = [line for line in lines if line.get("event") == "handoff-invalid"]
    if rule is None:
        assert verbs[1:] == plan["verbs"] and invalid == []
    else:
        assert verbs[1:] == [{"type": "SAY", "message": {
            "text": "Sorry, something went wrong. Goodbye.", "language": "en-GB"}}]
        [line] = invalid
        assert line["rule"] == rule and line["url"] == hook.url + "/next" and line["message"]
