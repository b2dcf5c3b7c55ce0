"""Properties of generated menu programs (hypothesis): every plan of the
bundle is a valid dialplan, every eventUrl in it is signed and routes to a
menu that exists at a try it has, every key a caller can press gets a plan,
and a simulated call always ends."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialplan_compiler.compiler import compile_bundle
from dialplan_compiler.menus.bundles import bundle_json
from dialplan_compiler.menus.router import Router
from dialplan_compiler.schemas import DIALPLAN, validate
from dialplan_compiler.signing import verify
from dialplan_compiler.menus.simulate import load, simulate

SECRET = b"property-secret"
KEYS = "0123456789*"
VIA = '"https://ivr.example.com/routee"'


@st.composite
def verbs(draw, in_branch: bool) -> list[str]:
    words = st.sampled_from(["Hello.", "Press one.", "Goodbye.", "Code {digits}."
                             if in_branch else "Welcome."])
    found = []
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["say", "say", "play", "pause"]))
        if kind == "say":
            found.append(f'say "{draw(words)}"' + draw(st.sampled_from(["", " repeat 1"])))
        elif kind == "play":
            found.append('play "https://cdn.example.com/chime.wav"')
        else:
            found.append(f"pause {draw(st.integers(1, 3))}s")
    return found


@st.composite
def menus(draw, depth: int) -> list[str]:
    options = []
    if draw(st.booleans()):
        options.append(f"wait {draw(st.integers(1, 20))}s")
    if draw(st.booleans()):
        options.append(f"tries {draw(st.integers(1, 4))}")
    lines = [f"menu via {VIA} {' '.join(options)} {{".replace("  ", " ")]
    lines += ["  " + line for line in draw(verbs(in_branch=depth > 0))]
    multi = draw(st.booleans())
    keys = draw(st.lists(st.text(KEYS, min_size=1, max_size=3 if multi else 1), max_size=4,
                         unique=True))
    if not multi:
        keys = [k for k in keys if len(k) == 1]
    for key in keys:
        lines.append(f"  on {key if key != '*' else 'star'} {{")
        lines += ["    " + line for line in draw(branch(depth))]
        lines.append("  }")
    if multi and draw(st.booleans()):
        lines.append(f"  on any {draw(st.integers(2, 4))} digits {{")
        lines += ["    " + line for line in draw(branch(depth))]
        lines.append("  }")
    if draw(st.booleans()):
        lines.append("  otherwise {")
        lines += ["    " + line for line in draw(branch(depth))]
        lines.append("  }")
    if draw(st.booleans()):
        lines.append("  timeout {")
        lines += ["    " + line for line in draw(verbs(in_branch=depth > 0))]
        if draw(st.booleans()):
            lines.append("    dial +302101111111")
        lines.append("  }")
    lines.append("}")
    return lines


@st.composite
def branch(draw, depth: int) -> list[str]:
    lines = draw(verbs(in_branch=True))
    end = draw(st.sampled_from(["", "again", "menu"] if depth < 2 else ["", "again"]))
    if end == "again":
        lines.append("again")
    elif end == "menu":
        lines += draw(menus(depth + 1))
    return lines


@st.composite
def programs(draw) -> str:
    lines = ["from +302101234567", "voice en-GB female"]
    lines += draw(verbs(in_branch=False))
    lines += draw(menus(0))
    return "\n".join(lines) + "\n"


PROPERTIES = settings(max_examples=60, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])


@PROPERTIES
@given(programs())
def test_every_plan_validates_and_every_eventurl_routes(source):
    result = compile_bundle(source, "gen.call", signing_secret=SECRET)
    errors = [d for d in result.diagnostics if d.is_error]
    assert not errors, (source, errors)
    bundle = result.bundle
    data = bundle_json(bundle)
    router = Router({bundle.name: bundle}, SECRET)
    for plan_id, plan in data["plans"].items():
        assert validate(plan, DIALPLAN) == [], (plan_id, plan)
        for verb in plan["verbs"]:
            if verb["type"] != "COLLECT":
                continue
            query = dict(parse_qsl(urlsplit(verb["eventUrl"]).query))
            assert verify(SECRET, query["p"], query["n"], query["t"], query["s"])
            menu = bundle.menus[query["n"]]
            assert 1 <= int(query["t"]) <= menu.tries
            for tones in ["", "1", "5", "*", "#", "12", "1234", "99999", "12#"]:
                answer = router.event(query, {"collectedTones": tones})
                assert answer.status == 200 and answer.branch is not None, (query, tones)
                assert answer.plan is not None and validate(answer.plan, DIALPLAN) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.lists(st.sampled_from(["1", "2", "*", "12#", "1234#", "5", "timeout"]),
                            max_size=6))
def test_a_simulated_call_always_ends(source, presses):
    flow = load(source, "gen.call")
    run = simulate(flow, presses)
    assert run.transcript[-1] == "call ends"
