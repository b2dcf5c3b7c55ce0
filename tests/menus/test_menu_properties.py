"""Properties of generated menu programs (hypothesis): every plan of the
bundle is a valid dialplan, every eventUrl in it is signed and routes to a
menu that exists at a try it has, every key a caller can press gets a plan,
and a simulated call always ends."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialplan_compiler.compiler import compile_bundle
from dialplan_compiler.formatter import format_source
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
    # A menu in a branch may leave out `via`: it inherits its parent's.
    via = f"via {VIA} " if depth == 0 or draw(st.booleans()) else ""
    if draw(st.booleans()):
        options.append(f"wait {draw(st.integers(1, 20))}s")
    if draw(st.booleans()):
        options.append(f"tries {draw(st.integers(1, 4))}")
    lines = [f"menu {via}{' '.join(options)} {{".replace("  ", " ")]
    lines += ["  " + line for line in draw(verbs(in_branch=depth > 0))]
    multi = draw(st.booleans())
    keys = draw(st.lists(st.text(KEYS, min_size=1, max_size=3 if multi else 1), max_size=4,
                         unique=True))
    if not multi:
        keys = [k for k in keys if len(k) == 1]
    while keys:
        # Keys share a branch (`on 1, 2`) as often as not; separators vary,
        # for `fmt` to write them one way.
        shared = keys[:draw(st.integers(1, min(3, len(keys))))]
        keys = keys[len(shared):]
        separator = draw(st.sampled_from([", ", ",", " , "]))
        names = [k if k != "*" else draw(st.sampled_from(["star", '"*"'])) for k in shared]
        lines.append(f"  on {separator.join(names)} {{")
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
    ends = ["", "again", "end"] + ["back"] * (depth > 0) + ["menu"] * (depth < 2)
    end = draw(st.sampled_from(ends))
    if end in ("again", "end", "back"):
        lines.append(end)
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


@PROPERTIES
@given(programs())
def test_fmt_is_idempotent_and_keeps_what_menus_compile_to(source):
    formatted = format_source(source, "gen.call").text
    assert formatted is not None
    assert format_source(formatted, "gen.call").text == formatted
    before = compile_bundle(source, "gen.call", signing_secret=SECRET).bundle
    after = compile_bundle(formatted, "gen.call", signing_secret=SECRET).bundle
    assert bundle_json(after) == bundle_json(before)
