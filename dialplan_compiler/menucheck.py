"""Checking menus: `menu`, `on`, `otherwise`, `timeout`, `again`, `handoff`
and `on machine`.

The checker (`checker.py`) creates a `MenuChecker` the first time a script
uses one of these statements, and from then on hands it every statement
first. A menu's block is walked statement by statement with the checker's own
handlers, each branch into a plan of its own: the checker's per-plan state
(its verbs, dials, collects, …) is swapped for the branch's while its block
is checked, so that every existing rule applies inside branches unchanged.

What a branch is called is its position in the tree of menus, never its line:
the main plan is `main`, the branches of the menu it asks are `1`, `2`,
`star`, `any4`, `other`; those of a menu asked in branch `1` are `1.any4`,
`1.other`; the `on machine` plan is `machine`. `dialplan serve` finds a plan
by that id in the eventUrl, so editing a script elsewhere keeps the URLs of an
unchanged menu valid.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Protocol

from . import routee, rules
from .arguments import Arguments, describe
from .diagnostics import Diagnostic, Related
from .model import Again, Ask, Back, Choice, Handoff, Menu, Plan, Report
from .nodes import Duration, Integer, Span, Statement, String, Word
from .planrules import BlockState
from .statements import KEYS, read_keys

#: What a menu waits for a key when `wait` is not given, and how often it
#: asks when `tries` is not given.
DEFAULT_WAIT = 5
DEFAULT_TRIES = 3
MAX_TRIES = 10
#: Routee's default (and our ceiling) for COLLECT's maxDigits.
MAX_DIGITS = routee.MAX_DIGITS
#: Routee waits 3 s for an eventUrl's answer (documented); a handoff may
#: take this much of it, the rest is the network's and the server's.
EVENT_URL_DEADLINE_MS = routee.EVENT_URL_DEADLINE_MS
HANDOFF_BUDGET_MS = 2000
DEFAULT_HANDOFF_MS = 2000

#: Where statements are: the file itself, a menu's block (its prompt), a
#: branch (`on …`, `otherwise`, `on machine`), a `timeout` block.
TOP, PROMPT, BRANCH, TIMEOUT = "top", "prompt", "branch", "timeout"
#: The block of an `ask`: its choices only.
ASK = "ask"
#: A backend's choice: a word of letters, digits, '-' and '_'.
CHOICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
#: Choice names that would clash with the ids of an ask's own branches, or
#: with the replies `dialplan simulate --answer` stands in for.
RESERVED_CHOICES = ("other", "timeout", "error", "garbage")
SETTINGS = ("from", "to", "ring", "limit", "notify", "machine", "plan")


class PlanChecker(Protocol):
    """What the menu checker needs of the checker of the plan (`checker.Checker`)."""

    def check_statement(self, statement: Statement) -> None: ...
    def check_block(self, statements: Iterable[Statement]) -> None: ...
    def report(self, diagnostic: Diagnostic) -> None: ...
    def read(self, statement: Statement) -> Arguments: ...
    def before_verb(self, statement: Statement) -> None: ...
    def current_block(self) -> BlockState: ...
    def enter_block(self, block: BlockState, *, in_branch: bool | None = None) -> Any: ...
    def leave_block(self, outer: Any) -> None: ...
    def setting(self, name: str) -> Any: ...
    def declared_setting(self, name: str) -> Statement | None: ...
    def verb_rules(self, dials: list, collects: list,
                   interruptibles: list) -> list[Diagnostic]: ...
    def arguments_backend_names(self) -> set[str]: ...
    def set_backend_names(self, names: set[str]) -> None: ...


def label_for(keys: str) -> str:
    """A choice's part of a branch id: `1` → "1", `*` → "star", `1#` → "1hash"."""
    return keys.replace("*", "star").replace("#", "hash")


@dataclass
class _PlanState:
    """A plan being checked: its id, where it is, and what the checker
    gathered into it (its `block`)."""

    name: str
    span: Span
    block: BlockState = field(default_factory=BlockState)
    end: object = None            # _MenuInfo | ("again"|"back", _MenuInfo, Span) | Handoff
    menu: "_MenuInfo | None" = None  # the menu whose branch this is (for `again`)
    reports: list = field(default_factory=list)  # its `report`s


@dataclass
class _MenuInfo:
    statement: Statement
    id: str
    via: str | None = None
    wait: int = DEFAULT_WAIT
    tries: int = DEFAULT_TRIES
    max_digits: int | None = None
    prompt: _PlanState | None = None
    timeout: _PlanState | None = None
    timeout_statement: Statement | None = None
    choices: list[tuple[Statement, Choice]] = field(default_factory=list)
    otherwise: Statement | None = None
    otherwise_id: str | None = None
    spans: dict = field(default_factory=dict)
    #: The menu in one of whose branches this one is asked (for `back`,
    #: and for the `via` a nested menu inherits).
    parent: "_MenuInfo | None" = None

    @property
    def effective_max(self) -> int:
        if self.max_digits is not None:
            return self.max_digits
        lengths = [len(c.keys) if c.keys is not None else (c.length or MAX_DIGITS)
                   for _, c in self.choices]
        return max(lengths, default=1)

    @property
    def hash(self) -> bool:
        return self.effective_max > 1


@dataclass
class _AskInfo:
    statement: Statement
    branch: str
    url: str | None
    within: int
    vars: tuple[str, ...]
    choices: dict[str, str] = field(default_factory=dict)
    otherwise: str | None = None
    timeout: str | None = None
    spans: dict = field(default_factory=dict)


class MenuChecker:
    def __init__(self, checker: PlanChecker) -> None:
        self.c = checker
        self.kind = TOP
        #: Every plan besides main, in the order their blocks were read.
        self.plans: list[_PlanState] = []
        self.menus: list[_MenuInfo] = []
        self.main_end: object = None
        self.machine: _PlanState | None = None
        self.machine_statement: Statement | None = None
        self.current: _PlanState | None = None    # None: the main plan
        self._menu_info: _MenuInfo | None = None  # the menu whose block is being read
        self._ask_info: _AskInfo | None = None    # the ask whose block is being read
        #: The branches an `ask` chooses between, each with the branch that asks:
        #: serve answers the two as one plan, and has spent its time asking.
        self._ask_branches: dict[str, _PlanState] = {}
        #: Above 0 while statements that never run are checked: they make no plans.
        self.discarding = 0
        self._after_end_reported: set[int] = set()

    # --- the checker's per-block state ----------------------------------------------

    @contextmanager
    def _inside(self, state: _PlanState, kind: str, *, in_branch: bool | None = None):
        """Check statements into `state` (a branch, a prompt, a timeout)."""
        outer_kind, outer_current = self.kind, self.current
        outer = self.c.enter_block(state.block, in_branch=in_branch)
        self.kind = kind
        if kind == BRANCH:
            self.current = state
        try:
            yield state
        finally:
            self.c.leave_block(outer)
            self.kind, self.current = outer_kind, outer_current

    def _plan_name(self) -> str:
        return self.current.name if self.current is not None else "main"

    def _branch_id(self, label: str) -> str:
        name = self._plan_name()
        return label if name == "main" else f"{name}.{label}"

    # --- dispatch ----------------------------------------------------------------------

    def handle(self, statement: Statement) -> bool:
        """Check `statement` if it is the menus' business; False leaves it
        to the checker."""
        c = self.c
        name = statement.name.text
        if c.current_block().block_end is not None and name != "voice" and \
                not self._is_machine(statement):
            self._after_end(statement)
            return True
        if name in SETTINGS and self.kind != TOP:
            self._misplaced(statement, f"`{name}` is a call setting: it belongs at the top "
                                       "of the file, not in a block",
                            "move it to the top of the file")
            return True
        if self.kind == PROMPT and name in ("collect", "dial", "menu", "again", "handoff",
                                            "back", "end", "report", "ask"):
            self._misplaced(statement, f"`{name}` cannot be part of a menu's question", {
                "menu": "a menu asked inside a menu goes in one of its `on` blocks",
                "again": "`again` goes in one of the menu's `on` or `otherwise` blocks",
                "back": "`back` goes in one of the menu's `on` or `otherwise` blocks",
                "end": "the question cannot end the call; end a branch instead: "
                       "otherwise { say \"Goodbye.\" end }",
                "collect": "a menu collects the keys itself; remove the `collect`",
            }.get(name, f"put the `{name}` in one of the menu's `on` blocks"))
            return True
        if self.kind == TIMEOUT and name in ("menu", "again", "handoff", "collect", "back",
                                             "report", "ask"):
            self._misplaced(
                statement, f"`{name}` cannot be in `timeout`",
                "a timeout sends Routee no request: its verbs run in the plan that is "
                "already playing, which has the menu's collect and cannot ask the server "
                "anything; end the timeout with verbs only")
            return True
        if self.kind == ASK:
            handler = {"on": self._ask_choice, "otherwise": self._ask_choice,
                       "timeout": self._ask_choice}.get(name)
            if handler is None:
                self._misplaced(statement, f"`{name}` cannot stand in an `ask` block: it holds "
                                           "the backend's choices",
                                'ask "https://crm.example.com/routee" { on "open" { … } '
                                'otherwise { … } }')
            else:
                handler(statement)
            return True
        handler = {"menu": self._menu, "on": self._on, "otherwise": self._otherwise,
                   "timeout": self._timeout, "again": self._again, "back": self._back,
                   "end": self._end, "handoff": self._handoff, "report": self._report,
                   "ask": self._ask}.get(name)
        if handler is None:
            return False
        handler(statement)
        return True

    def _is_machine(self, statement: Statement) -> bool:
        args = statement.args
        return statement.name.text == "on" and len(args) >= 1 and \
            isinstance(args[0], Word) and args[0].text == "machine"

    def _misplaced(self, statement: Statement, message: str, help: str) -> None:
        self.c.report(rules.MISPLACED(statement.name.span, message, help=help))

    def _after_end(self, statement: Statement) -> None:
        """A statement after a `menu`, `again` or `handoff` in the same
        block: reported once per block, still checked, never emitted."""
        c = self.c
        end = c.current_block().block_end
        if id(end) not in self._after_end_reported:
            self._after_end_reported.add(id(end))
            what = end.name.text
            c.report(rules.UNREACHABLE_AFTER_END(
                statement.span, f"this never runs: `{what}` ends the "
                                f"{'file' if self.kind == TOP else 'block'} before it",
                related=[Related(end.span, {"menu": "the call goes on in this menu's branches",
                                            "again": "the menu is asked again here",
                                            "back": "the parent menu is asked here",
                                            "end": "the call ends here",
                                            "handoff": "the call is handed off here",
                                            "ask": "your system chooses the branch here"}[what])],
                help="move it before the `" + what + "`, or into one of the menu's branches"
                     if what == "menu" else f"move it before the `{what}`, or remove it"))
        throwaway = _PlanState("", statement.span, menu=self.current.menu if self.current
                               else None)
        kind = self.kind
        self.discarding += 1
        try:
            with self._inside(throwaway, kind):
                if kind != BRANCH:
                    self.current = None
                self.c.current_block().block_end = None
                self.c.check_statement(statement)
        finally:
            self.discarding -= 1

    def _walk(self, statements) -> None:
        self.c.check_block(statements)

    # --- menu ---------------------------------------------------------------------------

    def _menu(self, statement: Statement) -> None:
        c = self.c
        if self.kind not in (TOP, BRANCH):
            self._misplaced(statement, "a menu here cannot be asked",
                            "a menu goes at the top level or in an `on` block")
            return
        c.before_verb(statement)
        info = _MenuInfo(statement, self._plan_name(),
                         parent=self.current.menu if self.current is not None else None)
        self._menu_options(statement, info)
        c.current_block().collects.append(statement)  # the menu's COLLECT
        if not self.discarding:
            self.menus.append(info)
            if self.current is None:
                self.main_end = info
            else:
                self.current.end = info
        block = statement.block
        if block is None:
            c.report(rules.MISSING_ARGUMENT(
                statement.span, "`menu` needs a { … } block with its question and its choices",
                help='menu via "https://ivr.example.com/routee" { say "Press 1 …" on 1 { … } }'))
            c.current_block().block_end = statement
            return
        info.prompt = _PlanState(info.id, statement.span)
        outer_info, self._menu_info = self._menu_info, info
        try:
            with self._inside(info.prompt, PROMPT):
                reported = False
                for child in block.statements:
                    self.c.check_statement(child)
                    forever = self.c.current_block().forever
                    if forever is not None and not reported:
                        reported = True
                        self._unbounded(forever, "this prompt repeats forever, so the "
                                        "menu never stops to wait, and its `timeout` and "
                                        "`tries` never come", "give it a finite `repeat N`")
        finally:
            self._menu_info = outer_info
        self._menu_rules(info)
        c.current_block().block_end = statement

    def _menu_options(self, statement: Statement, info: _MenuInfo) -> None:
        c = self.c
        args = c.read(statement)

        def via(option: Word) -> None:
            arg = args.expect("the URL of `dialplan serve`",
                            'via "https://ivr.example.com/routee"')
            url = args.url(arg, "the menu's URL")
            if url is not None and ("?" in url or "#" in url):
                c.report(rules.BAD_URL(arg.span, "the menu's URL cannot have a query or a "
                                                 "fragment: the menu's state goes there",
                                       help='give the base URL: "https://ivr.example.com/routee"'))
                url = None
            info.via = url
            info.spans["via"] = arg.span if arg else option.span

        def wait(option: Word) -> None:
            arg = args.expect("a duration", "wait 8s")
            seconds = args.duration(arg, "the wait")
            if seconds is not None:
                info.wait = seconds
            info.spans["wait"] = arg.span if arg else option.span

        def tries(option: Word) -> None:
            arg = args.take()
            info.spans["tries"] = option.span.to(arg.span) if arg else option.span
            if isinstance(arg, Word) and arg.text == "forever":
                self._unbounded(statement, "`tries forever` keeps a caller who presses nothing "
                                "useful in the menu until they hang up",
                                f"ask at most a few times: tries 3 (up to {MAX_TRIES})",
                                span=info.spans["tries"])
                return
            if arg is None:
                c.report(rules.MISSING_ARGUMENT(args.end(), "`tries` needs a count",
                                                help="tries 3"))
                return
            count = args.integer(arg, "the number of tries")
            if count is not None and not 1 <= count <= MAX_TRIES:
                c.report(rules.WRONG_ARGUMENT(
                    arg.span, f"a menu is asked 1 to {MAX_TRIES} times, not {count}",
                    help="tries 3"))
                count = None
            if count is not None:
                info.tries = count

        def maximum(option: Word) -> None:
            arg = args.expect("a number of digits", "max 4 digits")
            digits = args.integer(arg, "the number of digits")
            if digits is not None and not 1 <= digits <= MAX_DIGITS:
                c.report(rules.ZERO_DIGITS(
                    arg.span, f"a menu takes 1 to {MAX_DIGITS} digits, not {digits}",
                    help="max 4 digits"))
                digits = None
            end = arg.span if arg else option.span
            if args.at_word("digit", "digits"):
                end = args.take().span
            info.max_digits = digits
            info.spans["max"] = option.span.to(end)

        args.options({"via": via, "wait": wait, "tries": tries, "max": maximum})
        enclosing = info.parent
        while "via" not in info.spans and enclosing is not None:
            # A menu asked in a branch is served where its parent is, unless it says.
            if "via" in enclosing.spans:
                info.via, info.spans["via"] = enclosing.via, enclosing.spans["via"]
            enclosing = enclosing.parent
        if "via" not in info.spans:
            c.report(rules.MENU_WITHOUT_VIA(
                statement.name.span, "`menu` needs `via URL`: the address of `dialplan serve`, "
                                     "where Routee sends the keys (a menu asked in a "
                                     "branch of another inherits its `via`)",
                help='menu via "https://ivr.example.com/routee" wait 8s { … }'))

    def _unbounded(self, statement: Statement, message: str, help: str,
                   span: Span | None = None) -> None:
        self.c.report(rules.UNBOUNDED_LOOP(span or statement.span, message, help=help))

    # --- the blocks of a menu --------------------------------------------------------

    def _menu_here(self, statement: Statement) -> _MenuInfo | None:
        if self.kind != PROMPT:
            self._misplaced(statement, f"`{statement.name.text}` belongs in a menu's block",
                            'menu via "https://ivr.example.com/routee" { … }')
            return None
        return self._menu_info

    def _on(self, statement: Statement) -> None:
        if self._is_machine(statement):
            self._on_machine(statement)
            return
        info = self._menu_here(statement)
        if info is None:
            return
        choice = self._choice(statement)
        if choice is None:
            if statement.block is not None:
                self._branch(statement, "?", info)  # still check what it holds
            return
        entries, label = choice
        branch = self._branch_id(label)
        for keys, length, span in entries:
            for earlier, other in info.choices:
                if (other.keys, other.length) == (keys, length):
                    self.c.report(rules.DUPLICATE_CHOICE(
                        span, f"the menu already has `on {_choice_text(other)}`",
                        related=[Related(earlier.span, "first here")],
                        help="merge the two blocks, or change one of the keys"))
                    break
            else:
                label_of_keys = label_for(keys) if keys is not None else label
                info.choices.append((statement, Choice(span, label_of_keys, branch, keys,
                                                       length)))
        self._branch(statement, branch, info)

    def _choice(self, statement: Statement):
        """([(keys, length, span), …], label) of `on KEYS, KEYS…` or
        `on any [N] digits`: the entries the branch answers, and the
        branch's part of its id ("1", "1-2" for `on 1, 2`, "any4")."""
        c = self.c
        args = c.read(statement)
        first = args.take()
        if first is None:
            c.report(rules.MISSING_ARGUMENT(
                args.end(), "`on` needs the keys it answers",
                help="on 1 { … }, on 42 { … }, on star { … } or on any 4 digits { … }"))
            return None
        result = None
        if isinstance(first, Word) and first.text == "any":
            length = 0
            end = first.span
            if isinstance(args.peek(), Integer):
                count = args.take()
                end = count.span
                length = count.value
                if length < 1:
                    c.report(rules.ZERO_DIGITS(count.span, "`any 0 digits` is no entry",
                                               help="on any 4 digits"))
                    return None
            if args.at_word("digit", "digits"):
                end = args.take().span
            else:
                c.report(rules.MISSING_ARGUMENT(args.end(), "expected `digits`",
                                                help="on any 4 digits, or on any digits"))
            result = ([(None, length, first.span.to(end))], f"any{length or ''}")
        else:
            entries = self._key_list(list(statement.args))
            if entries is None:
                return None
            return [(keys, None, span) for keys, span in entries], \
                "-".join(label_for(keys) for keys, _ in entries)
        args.no_more_args()
        return result

    def _key_list(self, arguments: list) -> list[tuple[str, Span]] | None:
        """The keys of `on 1`, `on 1, 2, star` or `on "1*2"`, each with its
        span; None (reported) when one of them is not keys, or a comma is
        missing or left over."""
        c = self.c
        pieces: list[tuple[str, Span] | None] = []  # None: a comma
        for arg in arguments:
            if isinstance(arg, String) or "," not in arg.text:
                pieces.append((arg, arg.span))
                continue
            offset = 0
            for number, part in enumerate(arg.text.split(",")):
                if number:
                    pieces.append(None)
                if part:
                    pieces.append((part, arg.span.shifted(offset, len(part))))
                offset += len(part) + 1
        entries: list[tuple[str, Span]] = []
        expect_keys = True
        for piece in pieces:
            if piece is None:
                if expect_keys:
                    break  # a comma where keys should be
                expect_keys = True
                continue
            what, span = piece
            if not expect_keys:
                c.report(rules.WRONG_ARGUMENT(
                    span, "expected ',' between the keys of two choices",
                    help="on 1, 2 { … } answers 1 and 2 with one branch; "
                         'keys pressed together are one word: on 12, or on "1*2"'))
                return None
            keys = self._keys_of(what)
            if keys is None:
                found = describe(what) if not isinstance(what, str) else f"'{what}'"
                c.report(rules.WRONG_ARGUMENT(
                    span, f"expected the keys of a choice, found {found}",
                    help="keys are 0-9, * and #: on 1, on 42, on *, on star, on hash "
                         "(a bare # starts a comment), on 1, 2 (one branch for both), "
                         "or on any 4 digits"))
                return None
            entries.append((keys, span))
            expect_keys = False
        if expect_keys:  # a comma with no keys after it (or before it)
            c.report(rules.MISSING_ARGUMENT(
                arguments[-1].span, "a ',' with no keys on one side of it",
                help="on 1, 2 { … }"))
            return None
        return entries

    @staticmethod
    def _keys_of(what) -> str | None:
        """The keys an argument (or a piece of one between commas) names."""
        if isinstance(what, str):
            text = what
        elif isinstance(what, (Integer, Word)) or \
                (isinstance(what, String) and not what.is_template):
            text = what.text
        else:
            return None
        try:
            return read_keys(text)
        except ValueError:
            return None

    def _otherwise(self, statement: Statement) -> None:
        info = self._menu_here(statement)
        if info is None:
            return
        self._no_args(statement)
        if info.otherwise is not None:
            self.c.report(rules.DUPLICATE_CHOICE(
                statement.name.span, "the menu already has an `otherwise`",
                related=[Related(info.otherwise.span, "first here")],
                help="merge the two blocks"))
            self._branch(statement, "?", info)
            return
        info.otherwise = statement
        info.otherwise_id = self._branch_id("other")
        self._branch(statement, info.otherwise_id, info)

    def _timeout(self, statement: Statement) -> None:
        info = self._menu_here(statement)
        if info is None:
            return
        self._no_args(statement)
        if info.timeout_statement is not None:
            self.c.report(rules.DUPLICATE_CHOICE(
                statement.name.span, "the menu already has a `timeout`",
                related=[Related(info.timeout_statement.span, "first here")],
                help="merge the two blocks"))
            return
        info.timeout_statement = statement
        info.timeout = _PlanState(info.id + ".timeout", statement.span)
        if statement.block is None:
            self._needs_block(statement)
            return
        # A timeout runs in the plan that asked the menu, so `{digits}` is
        # whatever that plan has.
        with self._inside(info.timeout, TIMEOUT):
            self._walk(statement.block.statements)

    def _branch(self, statement: Statement, branch: str, menu: _MenuInfo | None) -> None:
        state = _PlanState(branch, statement.span, menu=menu)
        if statement.block is None:
            self._needs_block(statement)
        if branch != "?" and not self.discarding:
            self.plans.append(state)
        if statement.block is not None:
            with self._inside(state, BRANCH, in_branch=True if menu is not None else None):
                self._walk(statement.block.statements)

    def _needs_block(self, statement: Statement) -> None:
        self.c.report(rules.MISSING_ARGUMENT(
            statement.span, f"`{statement.name.text}` needs a {{ … }} block with what happens",
            help="on 1 { say \"…\" }; an empty block `{ }` ends the call"))

    def _no_args(self, statement: Statement) -> None:
        self.c.read(statement).no_more_args()

    def _on_machine(self, statement: Statement) -> None:
        if self.kind != TOP:
            self._misplaced(statement, "`on machine` belongs at the top of the file",
                            "move it out of the block")
            return
        args = self.c.read(statement)
        args.take()
        args.no_more_args()
        if self.machine_statement is not None:
            self.c.report(rules.DUPLICATE_CHOICE(
                statement.name.span, "the script already has an `on machine`",
                related=[Related(self.machine_statement.span, "first here")],
                help="merge the two blocks"))
            return
        self.machine_statement = statement
        self.machine = _PlanState("machine", statement.span)
        if self.discarding:
            self.machine = _PlanState("?", statement.span)
        if statement.block is None:
            self._needs_block(statement)
            return
        with self._inside(self.machine, BRANCH):
            self._walk(statement.block.statements)

    # --- what ends a branch -----------------------------------------------------------

    def _again(self, statement: Statement) -> None:
        current = self.current
        if self.kind != BRANCH or current is None or current.menu is None:
            self._misplaced(
                statement, "`again` outside a menu's branch: there is no menu to ask again",
                "use `again` in an `on …` or `otherwise` block of a menu")
            return
        self._no_args(statement)
        current.end = ("again", current.menu, statement.span)
        self.c.current_block().block_end = statement

    def _back(self, statement: Statement) -> None:
        current = self.current
        if self.kind != BRANCH or current is None or current.menu is None:
            self._misplaced(
                statement, "`back` outside a menu's branch: there is no menu to go back from",
                "use `back` in an `on …` or `otherwise` block of a menu asked in a branch "
                "of another menu")
            return
        parent = current.menu.parent
        if parent is None:
            self._misplaced(
                statement, "`back` in a branch of a menu that no other menu asks: there is "
                           "no parent menu to go back to",
                "use `again` to ask this menu once more, or `back` in a menu asked in an "
                "`on` block of another")
            return
        self._no_args(statement)
        current.end = ("back", parent, statement.span)
        self.c.current_block().block_end = statement

    def _end(self, statement: Statement) -> None:
        # The call ends when its plan runs out of verbs (Routee has no
        # hang-up verb): `end` only makes sure nothing more is added.
        self._no_args(statement)
        self.c.current_block().block_end = statement

    def _served_branch(self, statement: Statement, message: str) -> "_PlanState | None":
        """The branch `statement` is in, when it is one that `dialplan serve`
        answers; otherwise reported (`message`) and None."""
        if self.kind != BRANCH or self.current is None:
            self._misplaced(statement, message,
                            f"put the `{statement.name.text}` in an `on …`, `otherwise` or "
                            "`on machine` block, which `dialplan serve` answers")
            return None
        return self.current

    def _within(self, args: Arguments, what: str) -> int:
        """`within D` (the time serve may spend asking), at most HANDOFF_BUDGET_MS."""
        option = args.take()
        arg = args.expect("a duration", "within 2s")
        if isinstance(arg, Duration):
            if arg.milliseconds <= HANDOFF_BUDGET_MS:
                return arg.milliseconds
            self.c.report(rules.EVENT_URL_BUDGET(
                option.span.to(arg.span),
                f"`within {arg.text}` promises more work than an eventUrl may take: "
                f"Routee waits {EVENT_URL_DEADLINE_MS // 1000} s for the answer, and "
                f"the network and `dialplan serve` need some of that",
                help=f"within {HANDOFF_BUDGET_MS // 1000}s at most; do slow work "
                     "before the call, or after it answers"))
            return HANDOFF_BUDGET_MS
        if arg is not None:
            args.duration(arg, what)
        return DEFAULT_HANDOFF_MS

    def _handoff(self, statement: Statement) -> None:
        c = self.c
        current = self._served_branch(
            statement, "`handoff` outside a branch: nothing asks `dialplan serve` here")
        if current is None or self._asked_already(statement):
            return
        args = c.read(statement)
        url = args.url(args.expect("the URL that answers the rest of the call",
                               'handoff "https://crm.example.com/routee"'), "the handoff URL")
        within = self._within(args, "the handoff's time") if args.at_word("within") \
            else DEFAULT_HANDOFF_MS
        args.no_more_args()
        if url is not None:
            current.end = Handoff(statement.span, url, within)
        c.current_block().block_end = statement

    def _ask(self, statement: Statement) -> None:
        c = self.c
        current = self._served_branch(
            statement, "`ask` outside a branch: `dialplan serve` asks your system when it "
                       "answers a branch, and nothing asks it here")
        if current is None or self._asked_already(statement):
            return
        args = c.read(statement)
        url = args.url(args.expect("the URL of your system that chooses the branch",
                                   'ask "https://crm.example.com/routee" { … }'), "the ask URL")
        within = DEFAULT_HANDOFF_MS
        names: list[str] = []
        while args.peek() is not None:
            if args.at_word("within"):
                within = self._within(args, "the ask's time")
            elif args.at_word("vars"):
                args.take()
                while isinstance(args.peek(), Word) and args.peek().text != "within":
                    word = args.take()
                    if not CHOICE_NAME.fullmatch(word.text):
                        c.report(rules.WRONG_ARGUMENT(
                            word.span, f"'{word.text}' is not a placeholder name",
                            help="vars balance due_date"))
                    else:
                        names.append(word.text)
            else:
                args.no_more_args()
                break
        info = _AskInfo(statement, current.name, url, within, tuple(names))
        if statement.block is None:
            self._needs_block(statement)
            c.current_block().block_end = statement
            return
        outer_kind, outer_ask = self.kind, self._ask_info
        outer_names = set(c.arguments_backend_names())
        self.kind, self._ask_info = ASK, info
        c.set_backend_names(outer_names | set(names))
        try:
            for child in statement.block.statements:
                c.check_statement(child)
        finally:
            self.kind, self._ask_info = outer_kind, outer_ask
            c.set_backend_names(outer_names)
        c.current_block().block_end = statement
        if info.otherwise is None:
            c.report(rules.MISSING_ARGUMENT(
                statement.name.span, "`ask` needs an `otherwise`: what happens when your "
                                     "system answers no choice it declares, or fails",
                help='otherwise { say "Sorry, we cannot tell you now." }'))
        if url is not None and not self.discarding:
            current.end = info

    def _ask_choice(self, statement: Statement) -> None:
        c = self.c
        info = self._ask_info
        name = statement.name.text
        if name == "on":
            args = c.read(statement)
            first = args.take()
            args.no_more_args()
            text = first.text if isinstance(first, (Word, Integer)) or (
                isinstance(first, String) and not first.is_template) else None
            if text is None or not CHOICE_NAME.fullmatch(text) or text in RESERVED_CHOICES:
                c.report(rules.WRONG_ARGUMENT(
                    first.span if first is not None else statement.name.span,
                    "expected the name of a choice your system answers" +
                    (f" ('{text}' is the id of the ask's own branch)"
                     if text in RESERVED_CHOICES else ""),
                    help='on "open" { … }: letters, digits, - and _ (up to 40)'))
                self._branch(statement, "?", None)
                return
            if text in info.choices:
                c.report(rules.DUPLICATE_CHOICE(
                    first.span, f"the ask already has `on {text}`",
                    related=[Related(info.spans[text], "first here")],
                    help="merge the two blocks"))
                self._branch(statement, "?", None)
                return
            branch = f"{info.branch}.{text}"
            info.choices[text] = branch
            info.spans[text] = first.span
        else:
            self._no_args(statement)
            label = "other" if name == "otherwise" else "timeout"
            if getattr(info, name) is not None:
                c.report(rules.DUPLICATE_CHOICE(
                    statement.name.span, f"the ask already has a `{name}`",
                    related=[Related(info.spans[name], "first here")],
                    help="merge the two blocks"))
                self._branch(statement, "?", None)
                return
            branch = f"{info.branch}.{label}"
            setattr(info, name, branch)
            info.spans[name] = statement.span
        self._ask_branches[branch] = self.current
        self.kind = BRANCH
        try:
            self._branch(statement, branch, None)
        finally:
            self.kind = ASK

    def _asked_already(self, statement: Statement) -> bool:
        """A `handoff` or `ask` straight in an ask's choice: reported (one
        answer to Routee cannot wait for two of your systems)."""
        if self.current is not None and self.current.name in self._ask_branches:
            self._misplaced(
                statement, f"`{statement.name.text}` in a choice of an `ask`: serve has "
                           "already spent its time asking, and Routee waits 3 s in all",
                "ask a menu first (the next answer has its own time), or let the ask's "
                "answer hold what you need")
            return True
        return False

    def _report(self, statement: Statement) -> None:
        c = self.c
        current = self._served_branch(
            statement, "`report` outside a branch: `dialplan serve` reports what a caller "
                       "chose when it answers a branch, and nothing asks it here")
        if current is None:
            return
        args = c.read(statement)
        if args.at_word("to"):
            args.take()
        else:
            c.report(rules.MISSING_ARGUMENT(args.end(), "`report` needs `to URL`",
                                            help='report to "https://crm.example.com/answers"'))
        url = args.url(args.expect("the URL that receives the report",
                                   'report to "https://crm.example.com/answers"'),
                       "the report URL")
        args.no_more_args()
        if url is not None and not self.discarding:
            current.reports.append(Report(statement.span, url))

    # --- rules over a whole menu ------------------------------------------------------

    def _menu_rules(self, info: _MenuInfo) -> None:
        c = self.c
        limit = info.effective_max
        explicit = info.max_digits is not None
        for statement, choice in info.choices:
            length = len(choice.keys) if choice.keys is not None else choice.length
            if length and length > (limit if explicit else MAX_DIGITS):
                c.report(rules.CHOICE_TOO_LONG(
                    statement.args[0].span.to(statement.args[-1].span),
                    f"`on {_choice_text(choice)}` is {length} keys long; the menu takes at "
                    f"most {limit if explicit else MAX_DIGITS}",
                    related=[Related(info.spans["max"], "the menu's limit")] if explicit else (),
                    help="raise the menu's `max N digits`, or shorten the choice"))
            if info.hash and choice.keys is not None and "#" in choice.keys:
                c.report(rules.HASH_CHOICE(
                    statement.args[0].span,
                    f"`on {_choice_text(choice)}`: in this menu '#' ends an entry, so it "
                    "cannot be part of a choice",
                    help="use another key, such as *; '#' can be a choice only in a menu "
                         "of single keys"))
        if info.otherwise is not None and not info.hash:
            covered = {ch.keys for _, ch in info.choices if ch.keys is not None}
            if any(ch.length in (0, 1) for _, ch in info.choices):
                covered |= set("0123456789")
            if set(KEYS) <= covered:
                c.report(rules.NEVER_TAKEN(
                    info.otherwise.name.span,
                    "`otherwise` can never be taken: every key has a choice of its own",
                    help="remove it, or drop a choice"))

    def plan_rules(self) -> None:
        """The per-plan rules, for the main plan and every branch, over
        what each plan really holds: its own verbs, plus those of the
        menu's `timeout` when it asks a menu (or asks one again)."""
        c = self.c
        if self.machine_statement is not None:
            machine = c.setting("machine")
            declared = c.declared_setting("machine")
            url = machine.value.event_url if machine is not None else None
            if url and ("?" in url or "#" in url):
                c.report(rules.BAD_URL(
                    machine.statement.span, "with `on machine`, the `machine continue` URL is "
                    "the base URL of `dialplan serve`: it cannot have a query or a fragment",
                    help='machine continue "https://ivr.example.com/routee"'))
            if declared is None or (machine is not None and machine.value.strategy != "Continue"):
                c.report(rules.NEVER_TAKEN(
                    self.machine_statement.name.span,
                    "`on machine` can never be taken: Routee asks what to do with a machine "
                    "only with `machine continue URL`",
                    related=[Related(declared.span, "machine detection is set here")]
                    if declared is not None else (),
                    help='add `machine continue "https://ivr.example.com/routee"` at the top'))
        main = _PlanState("main", Span("", 1, 1, 1, 2, 0, 1), c.current_block(), self.main_end)
        seen: set = set()
        for state in [main, *self.plans, *([self.machine] if self.machine else [])]:
            dials, collects = list(state.block.dials), list(state.block.collects)
            asking = self._ask_branches.get(state.name)
            if asking is not None:  # answered after the verbs of the branch that asks
                dials = [*asking.block.dials, *dials]
                collects = [*asking.block.collects, *collects]
            menu = state.end if isinstance(state.end, _MenuInfo) else \
                state.end[1] if isinstance(state.end, tuple) else None
            if menu is not None:
                if isinstance(state.end, tuple):
                    collects.append(menu.statement)
                if menu.timeout is not None:
                    dials += menu.timeout.block.dials
            # A timeout's dial is in several plans: report it once.
            for d in c.verb_rules(dials, collects, state.block.interruptibles):
                if (d.code, d.span) not in seen:
                    seen.add((d.code, d.span))
                    c.report(d)

    # --- the model ----------------------------------------------------------------------

    def build(self, main_verbs: tuple, finish: Callable[[list], tuple],
              main_span: Span) -> tuple[Plan, ...]:
        """The script's plans: main first, then every branch and `on machine`."""
        menus: dict[int, Menu] = {}

        def menu(info: _MenuInfo) -> Menu:
            if id(info) not in menus:
                menus[id(info)] = Menu(
                    info.statement.span, info.id, info.via or "", info.wait, info.tries,
                    info.effective_max, info.hash,
                    finish(info.prompt.block.verbs) if info.prompt else (),
                    finish(info.timeout.block.verbs) if info.timeout else (),
                    tuple(ch for _, ch in info.choices), info.otherwise_id, dict(info.spans))
            return menus[id(info)]

        def end(value):
            if isinstance(value, _MenuInfo):
                return menu(value)
            if isinstance(value, _AskInfo):
                return Ask(value.statement.span, value.url or "", value.within,
                           dict(value.choices), value.otherwise or "", value.timeout,
                           value.vars)
            if isinstance(value, tuple):
                kind, asked, span = value
                return (Back if kind == "back" else Again)(span, asked.id)
            return value

        main_end = end(self.main_end)
        if not main_verbs and main_end is None:
            return ()
        plans = [Plan("main", main_verbs, main_span, main_end)]
        for state in self.plans:
            plans.append(Plan(state.name, finish(state.block.verbs), state.span, end(state.end),
                              tuple(state.reports)))
        if self.machine is not None:
            plans.append(Plan("machine", finish(self.machine.block.verbs), self.machine.span,
                              end(self.machine.end), tuple(self.machine.reports)))
        return tuple(plans)


def _choice_text(choice: Choice) -> str:
    if choice.keys is not None:
        return choice.keys
    return f"any {choice.length} digits" if choice.length else "any digits"
