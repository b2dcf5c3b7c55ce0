"""durations.py: the limit rules (DP313, DP314) of `dialplan check`, and
their agreement with the timing of every simulated path."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings, strategies as st

from dialplan_compiler import check_source
from dialplan_compiler.menus.simulate import every_path, load
from dialplan_compiler.menus.timing import time_paths
from dialplan_compiler.speaking import rate_seconds

CALL = "from +302101234567\nto +306912345678\n"
MENU = 'voice en-GB\nmenu via "https://ivr.example.com/routee" wait 5s {\n  say "Press 1."\n'
ENDS = '  otherwise { say "Sorry." again }\n  timeout { say "Goodbye." }\n}\n'


def limit_findings(source: str) -> list[tuple[str, int, int]]:
    result = check_source(source, "t.call")
    assert result.ok, result.diagnostics
    return [(d.code, d.span.line, d.span.column) for d in result.diagnostics
            if d.code in ("DP313", "DP314")]


def test_a_branch_that_runs_past_the_limit_is_found_where_it_crosses():
    # "Press 1." (0.43 s) + 5 s of wait, then option 1's 40 s pause (line 8):
    # 45.43 s, past 30 s; option 2's 10 s stays within it.
    source = (CALL + "limit 30s\n" + MENU + '  on 1 {\n    pause 40s\n  }\n'
              '  on 2 { pause 10s }\n' + ENDS)
    assert limit_findings(source) == [("DP313", 8, 5)]
    [diagnostic] = [d for d in check_source(source, "t.call").diagnostics if d.code == "DP313"]
    assert "past its `limit` of 30 s" in diagnostic.message
    assert diagnostic.related[0].span.line == 3  # the `limit` line


def test_what_the_script_leaves_to_the_limit_is_no_warning():
    # A dial with no limit of its own, a forever repeat and a play of unknown
    # length all end when the call does: that is what `limit` is for.
    assert limit_findings(CALL + "limit 1m\npause 10s\ndial +302101111111\n") == []
    assert limit_findings(CALL + 'limit 1m\nsay "Hold on." in en-GB repeat forever\n') == []
    assert limit_findings(CALL + 'limit 10s\nplay "https://cdn.example.com/a.wav"\n') == []
    assert limit_findings(CALL + "pause 2m\n") == []  # no limit: nothing to run past


def test_a_menu_over_the_limit_only_when_all_its_tries_are():
    prompt = rate_seconds("Press 1.", "en-GB")
    menu = MENU.replace("wait 5s", "wait 5s tries 4") + '  on 1 { say "One." }\n' + ENDS
    # 4 × (0.43 + 5) = 21.7 s.
    assert 4 * (prompt + 5) == pytest.approx(21.72)
    assert limit_findings(CALL + "limit 22s\n" + menu) == []
    assert limit_findings(CALL + "limit 21s\n" + menu) == [("DP314", 5, 1)]


PAUSES = st.integers(1, 90).map(lambda s: f"pause {s}s")
SAYS = st.sampled_from(["Hello.", "Your appointment is tomorrow at ten.", "Press 1."]).flatmap(
    lambda text: st.integers(0, 3).map(lambda r: f'say "{text}" in en-GB repeat {r}'))


@settings(max_examples=60, deadline=None)
@given(verbs=st.lists(st.one_of(PAUSES, SAYS), min_size=1, max_size=6),
       dial=st.none() | st.tuples(st.integers(1, 60), st.integers(1, 600)),
       limit=st.integers(1, 900))
def test_the_rule_fires_exactly_when_the_timed_path_runs_past_the_limit(verbs, dial, limit):
    """For a plan of pauses, says and one bounded dial, DP313 is reported
    exactly when `simulate --timing` finds the path's most beyond `limit`."""
    lines = verbs + ([f"dial +302101111111 ring {dial[0]}s limit {dial[1]}s"] if dial else [])
    source = CALL + f"limit {limit}s\n" + "\n".join(lines) + "\n"
    flow = load(source, "t.call")
    [timing] = time_paths(flow, every_path(flow), speech="rate")
    assume(abs(timing.total[1] - limit) > 0.01)
    assert bool(limit_findings(source)) == (timing.total[1] > limit)
