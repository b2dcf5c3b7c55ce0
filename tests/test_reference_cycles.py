"""Checking and compiling leave no reference cycles behind.

What a run builds (tokens, the syntax tree, the checker) must be freed by
reference counting the moment the caller lets go of it. Anything caught in
a cycle waits for Python's cyclic collector instead, which on a
100,000-line file walks millions of live objects (bench/run.py, target 2a).
"""

from __future__ import annotations

import gc

import pytest

from dialplan_compiler import check_source, compile_source

from helpers import EXAMPLE_VARIABLES, EXAMPLES

SCRIPTS = sorted(EXAMPLES.glob("**/*.call"))


def garbage_in_cycles(run) -> list:
    """The objects `run()` leaves that only the cyclic collector can free."""
    run()                                     # imports and caches, once
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        run()
        gc.collect()
        return list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_checking_leaves_no_cycle(script):
    text = script.read_text(encoding="utf-8")
    left = garbage_in_cycles(lambda: check_source(text, script.name))
    assert left == [], sorted({type(o).__name__ for o in left})


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_compiling_leaves_no_cycle(script, monkeypatch):
    monkeypatch.setenv("DIALPLAN_SIGNING_SECRET", "a-secret-of-thirty-two-characters")
    text = script.read_text(encoding="utf-8")
    variables = EXAMPLE_VARIABLES.get(script.stem, {})
    left = garbage_in_cycles(lambda: compile_source(text, script.name, variables=variables))
    assert left == [], sorted({type(o).__name__ for o in left})


def test_a_broken_script_leaves_no_cycle_either():
    text = 'say "Hello" in en-gb\ndial +30210765432 ring 20s\nsay "unterminated\n}\n'
    left = garbage_in_cycles(lambda: check_source(text, "broken.call"))
    assert left == [], sorted({type(o).__name__ for o in left})
