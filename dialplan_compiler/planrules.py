"""The rules of one plan's verbs, kept once for scripts and JSON alike.

A plan may hold one DIAL; more than one COLLECT is unsafe; `interruptible`
(bargeIn) without a COLLECT sends the keys nowhere; nothing runs after a
verb that repeats forever. The `.call` checker and the JSON validator each
describe a plan neutrally — where each of its dials, collects and
interruptible verbs is (spans in a script, paths in JSON) — and get back
`Finding`s, which each turns into diagnostics at its own positions. Only
the names of things differ between the two (`dial` in a script, DIAL verb
in JSON): a `Wording` holds them.
"""

from __future__ import annotations

from .records import field, record
from typing import Any, Sequence

from . import rules


@record(frozen=False)
class BlockState:
    """What the checker has gathered of the plan (or menu prompt, or
    timeout) whose statements it is reading."""

    verbs: list = field(default_factory=list)
    #: The plan's `dial` and `collect` statements (a menu counts as a collect).
    dials: list = field(default_factory=list)
    collects: list = field(default_factory=list)
    #: Where each `interruptible` is.
    interruptibles: list = field(default_factory=list)
    #: The first verb that repeats forever, and whether what follows it was reported.
    forever: Any = None
    unreachable_reported: bool = False
    #: The `menu`, `again` or `handoff` that ended the block: what follows never runs.
    block_end: Any = None


@record
class Verb:
    """Where one verb is: `at` for a diagnostic about it, `whole` for a
    note that points at it (a span or a JSON path)."""

    at: Any
    whole: Any


@record
class Finding:
    """A broken rule, at a place the caller gave (`at`, and each related
    note's place)."""

    rule: Any
    at: Any
    message: str
    label: str | None = None
    help: str | None = None
    related: tuple[tuple[Any, str], ...] = ()


@record
class Wording:
    """How a dialect names the things the rules talk about."""

    one_dial: str          # "a plan can have only one …"
    second_dial: str       # the label at a second dial
    first_dial: str        # the note at the first
    collect: str           # "more than one … in a plan"
    first_collect: str
    interruptible: str     # "… without …: the keys go nowhere"
    add_collect: str       # the help for that
    finite_repeat: str     # "give the earlier verb a finite …"
    dial_ring: str         # "… of 90 s is over 60 s"
    seconds: str           # how a number of seconds is written: "{}s" or "{} s"


#: The words of `.call` scripts.
SCRIPT = Wording("`dial`", "second dial", "first `dial` is here", "`collect`",
                 "first `collect` is here", "`interruptible` without a `collect`",
                 "add `collect to URL`, or remove `interruptible`", "`repeat N`",
                 "`ring` of", "{}s")
#: The words of JSON payloads.
JSON = Wording("DIAL verb", "second DIAL", "first DIAL is here", "COLLECT",
               "first COLLECT is here", "bargeIn without a COLLECT",
               "add a COLLECT verb with an eventUrl, or remove bargeIn", "repeat",
               "a DIAL hangupDelay of", "{} s")


def second_dials(dials: Sequence[Verb], words: Wording) -> list[Finding]:
    return [Finding(rules.SECOND_DIAL, extra.at, f"a plan can have only one {words.one_dial}",
                    label=words.second_dial, related=((dials[0].whole, words.first_dial),),
                    help="Routee rejects plans with two DIAL verbs; split the call flow")
            for extra in dials[1:]]


def second_collects(collects: Sequence[Verb], words: Wording) -> list[Finding]:
    return [Finding(rules.SECOND_COLLECT, extra.at, f"more than one {words.collect} in a plan",
                    related=((collects[0].whole, words.first_collect),),
                    help=f"tones are gathered during the whole call; one {words.collect} is "
                         "the safe rule")
            for extra in collects[1:]]


def useless_interruptibles(interruptibles: Sequence[Any], collects: Sequence[Verb],
                           words: Wording) -> list[Finding]:
    if collects:
        return []
    return [Finding(rules.USELESS_INTERRUPTIBLE, at,
                    f"{words.interruptible}: the keys go nowhere", help=words.add_collect)
            for at in interruptibles]


def verb_rules(dials: Sequence[Verb], collects: Sequence[Verb], interruptibles: Sequence[Any],
               words: Wording) -> list[Finding]:
    """Every rule of one plan's verbs, in the order they are reported."""
    return (second_dials(dials, words) + second_collects(collects, words)
            + useless_interruptibles(interruptibles, collects, words))


def unreachable_verb(at: Any, forever: Any, words: Wording) -> Finding:
    """The first verb after one (at `forever`) that repeats forever."""
    return Finding(rules.UNREACHABLE_VERB, at,
                   "this never runs: the verb before it repeats forever",
                   related=((forever, "repeats forever"),),
                   help=f"give the earlier verb a finite {words.finite_repeat}, or remove what "
                        "follows it")


def long_dial_ring(at: Any, seconds: str, words: Wording) -> Finding:
    """A dial that rings longer than a call may (`seconds`, written as the
    dialect writes it, is over `routee.HANGUP_DELAY_RANGE`)."""
    from . import routee

    high = routee.HANGUP_DELAY_RANGE[1]
    return Finding(rules.LONG_DIAL_RING, at, f"{words.dial_ring} {seconds} s is over {high} s",
                   help=f"networks may stop ringing sooner; {words.seconds.format(high)} is "
                        "the documented limit for the call itself")


def statement_verbs(statements: Sequence[Any]) -> list[Verb]:
    """Script statements as verbs: diagnostics at their names, notes at the
    whole statement."""
    return [Verb(statement.name.span, statement.span) for statement in statements]


def diagnostic(finding: Finding):
    """A finding whose places are spans, as a diagnostic."""
    from .diagnostics import Related

    return finding.rule(finding.at, finding.message, label=finding.label, help=finding.help,
                        related=[Related(where, note) for where, note in finding.related])
