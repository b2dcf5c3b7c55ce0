"""Syntax tree → checked `Script`, with diagnostics.

The checker gives meaning to the generic statements the parser produced:
which statements exist, which arguments and options each takes, and every
rule of Routee's that a script can break before a phone rings. It never
raises on bad input: every problem becomes a `Diagnostic` and checking goes
on, so one run reports everything it can find.

Two modes: `check` (no variables: `{placeholders}` stay as they are, and
values that hold one are judged after substitution, at compile time) and
`compile` (`variables` given: every placeholder must have a value).
"""

from __future__ import annotations

from .records import field, record
from typing import Callable, Iterable, Mapping

from . import planrules, routee, rules, values
from .arguments import ArgumentContext, Arguments, blamed_on, describe
from .diagnostics import Diagnostic, Fix, Related
from .model import (Callback, Collect, Deferred, Dial, MachineDetection, Pause, Plan, Play,
                    Say, Script, Target, Unfilled)
from .nodes import (Argument, Duration, Integer, Module, Phone, Span, Statement,
                    String, Word)
from .planrules import BlockState

#: Statements that configure the call rather than run in it. Each may be
#: given once, before the first verb.
#: (These lists are read from the table in `statements.py`.)
from .statements import SETTINGS
from .statements import VERBS
from .statements import PLAN_STATEMENTS as STATEMENTS
#: Statements of menus, checked by `menucheck.py`.
from .statements import MENU_STATEMENTS


@record(frozen=False)
class Overrides:
    """Values given on the command line (`--to`, `--from`) that replace the
    script's. Each is a `Statement` built by `override_statement`."""

    to: Statement | None = None
    sender: Statement | None = None
    #: A sender from the configuration, used when the script has no `from`.
    default_sender: Statement | None = None
    #: DP323's limit from the configuration (None: menucheck's default).
    max_presses_to_dial: int | None = None


def override_statement(name: str, value: str, origin: str) -> Statement:
    """A one-argument statement for a command-line value; its spans point
    into `origin` (e.g. `--to`), whose source text is the value itself."""
    from .parser import decode_string

    span = Span(origin, 1, 1, 1, len(value) + 1, 0, len(value))
    args: list[Argument]
    if value.startswith(("sip:", "viber:")):
        kind, _, address = value.partition(":")
        address_span = span.shifted(len(kind) + 1, len(address))
        args = [Word(span.shifted(0, len(kind)), kind),
                String(address_span, f'"{address}"', (address,) if address else ())]
    else:
        quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        args = [decode_string(quoted, span, [])]
    return Statement(span, Word(span, name), tuple(args))


@record(frozen=False)
class _Voice:
    language: str | None
    gender: str | None
    span: Span


@record(frozen=False)
class Setting:
    """A call setting's value and the statement that gave it."""

    value: object
    statement: Statement


@record(frozen=False)
class Scope:
    """What `Checker.enter_block` saves: the block being read, the voice
    in force, and whether it is in a menu's branch."""

    block: BlockState
    voice: _Voice
    in_branch: bool


def _seconds_text(seconds: int) -> str:
    return f"{seconds} s"


class Checker:
    def __init__(self, module: Module, *, error_lines: Iterable[int] = (),
                 variables: Mapping[str, str] | None = None,
                 overrides: Overrides | None = None, plan_only: bool = False,
                 per_call: str = "required") -> None:
        self.module = module
        self.error_lines = frozenset(error_lines)
        self.variables = variables
        self.compiling = variables is not None
        self.overrides = overrides or Overrides()
        self.plan_only = plan_only
        self.diagnostics: list[Diagnostic] = []
        #: How arguments are read: reports here, fills in `variables`.
        self.arguments = ArgumentContext(self.report, variables)
        if self.compiling and any(s.name.text in MENU_STATEMENTS for s in module.statements):
            self.arguments.per_call = per_call
        self.settings: dict[str, Setting] = {}
        #: The first statement of each setting, valid or not.
        self.declared: dict[str, Statement] = {}
        #: Every statement name the file has at its top level, broken lines
        #: included: a broken `from` still means the author gave a sender.
        self.written = frozenset(s.name.text for s in module.statements)
        self.voice = _Voice(None, None, module.span)
        self.first_verb: Statement | None = None
        #: The plan (or menu prompt, or timeout) being read: its verbs, dials, …
        #: `menucheck` gives each block a state of its own (`enter_block`).
        self.block = BlockState()
        #: Menus, checked by `menucheck.MenuChecker` (created, and its
        #: module imported, only for a script that has them).
        self.menus = None
        #: A statement was skipped (unknown, or broken by a syntax error): the
        #: script's shape is unknown, so whole-plan rules stay quiet.
        self.unrecognized = bool(self.error_lines)

    def close(self) -> None:
        """Drop what the checker holds. Its handlers and its argument reader
        are bound methods of its own, so it sits in a reference cycle with
        the whole syntax tree; broken here, the tree is freed as soon as the
        caller lets go of it, instead of waiting for the cyclic collector,
        which on a 100,000-line file walks millions of objects."""
        vars(self).clear()

    # --- entry point -------------------------------------------------------------

    def run(self) -> Script | None:
        handlers: dict[str, Callable[[Statement, Arguments], None]] = {
            "from": self._setting_from, "to": self._setting_to, "ring": self._setting_ring,
            "limit": self._setting_limit, "notify": self._setting_notify,
            "machine": self._setting_machine, "plan": self._setting_plan,
            "voice": self._voice, "say": self._say, "play": self._play,
            "pause": self._pause, "collect": self._collect, "dial": self._dial,
        }
        self.handlers = handlers
        for statement in self.module.statements:
            self.check_statement(statement)
        self._apply_overrides()
        self._plan_rules()
        self._unused_variables()
        return self._script()

    def check_statement(self, statement: Statement) -> None:
        """Check one statement, of the file or of a menu's block."""
        if self._has_syntax_error(statement):
            self.unrecognized = True
            return
        if statement.name.text in MENU_STATEMENTS or self.menus is not None:
            from .menucheck import MenuChecker

            if self.menus is None:
                self.menus = MenuChecker(
                    self, max_presses_to_dial=self.overrides.max_presses_to_dial)
            if self.menus.handle(statement):
                return
        self._plain_statement(statement)

    # --- what the menu checker uses (`menucheck.PlanChecker`) ----------------------------

    def check_block(self, statements: Iterable[Statement]) -> None:
        """Check the statements of a block, one by one."""
        for statement in statements:
            self.check_statement(statement)

    def read(self, statement: Statement) -> Arguments:
        """A cursor over `statement`'s arguments."""
        return self.arguments.read(statement)

    def arguments_backend_names(self) -> set[str]:
        """The placeholders an enclosing `ask`'s answer may fill."""
        return set(self.arguments.backend_names)

    def set_backend_names(self, names: set[str]) -> None:
        self.arguments.backend_names = frozenset(names)

    def current_block(self) -> BlockState:
        """The state of the block whose statements are being checked."""
        return self.block

    def enter_block(self, block: BlockState, *, in_branch: bool | None = None) -> Scope:
        """Check what follows into `block` (a branch, a prompt, a timeout),
        in a menu's branch or not (`in_branch`; None keeps it as it is);
        returns what `leave_block` restores."""
        outer = Scope(self.block, self.voice, self.arguments.in_branch)
        self.block = block
        if in_branch is not None:
            self.arguments.in_branch = in_branch
        return outer

    def leave_block(self, outer: Scope) -> None:
        """Go back to checking into the block `enter_block` left."""
        self.block, self.voice, self.arguments.in_branch = \
            outer.block, outer.voice, outer.in_branch

    def setting(self, name: str) -> "Setting | None":
        """The value a call setting was given, and its statement, if valid."""
        return self.settings.get(name)

    def declared_setting(self, name: str) -> Statement | None:
        """The first statement of a setting, valid or not."""
        return self.declared.get(name)

    def verb_rules(self, dials: list, collects: list, interruptibles: list) -> list[Diagnostic]:
        """What the rules of one plan's verbs say about its dials, collects
        (statements) and the spans of its `interruptible`s; not reported."""
        return [planrules.diagnostic(finding) for finding in planrules.verb_rules(
            planrules.statement_verbs(dials), planrules.statement_verbs(collects),
            interruptibles, planrules.SCRIPT)]

    def _plain_statement(self, statement: Statement) -> None:
        """Check a statement of the language before menus."""
        name = statement.name.text
        handler = self.handlers.get(name)
        if handler is None:
            self.unrecognized = True
            self._unknown_statement(statement)
            return
        if statement.block is not None:
            self.report(rules.UNEXPECTED_BLOCK(
                statement.block.span, f"`{name}` does not take a {{ … }} block",
                label="unexpected block",
                help="placeholders go inside strings: \"{name}\"" if
                statement.block.statements else "remove the braces"))
        args = self.arguments.read(statement)
        if name in VERBS:
            self.before_verb(statement)
        elif name in SETTINGS:
            self._before_setting(statement)
            if self._overridden(name):
                return  # --to/--from replace it: its value (and placeholders) do not matter
        handler(statement, args)
        args.no_more_args()

    def _overridden(self, name: str) -> bool:
        return (name == "to" and self.overrides.to is not None) or \
            (name == "from" and self.overrides.sender is not None)

    def report(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(self.arguments.blame(diagnostic))

    def _has_syntax_error(self, statement: Statement) -> bool:
        span = statement.span
        return any(line in self.error_lines for line in range(span.line, span.end_line + 1))

    def _unknown_statement(self, statement: Statement) -> None:
        name = statement.name.text
        guess = values.suggest(name, STATEMENTS + MENU_STATEMENTS)
        self.report(rules.UNKNOWN_STATEMENT(
            statement.name.span, f"unknown statement '{name}'",
            label=f"did you mean '{guess}'?" if guess else None,
            help="statements are: " + " ".join(STATEMENTS + MENU_STATEMENTS),
            fixes=[Fix(statement.name.span, guess)] if guess else ()))

    # --- ordering rules ------------------------------------------------------------

    def before_verb(self, statement: Statement) -> None:
        """The ordering rules of a verb (a `menu` is one) about to be read."""
        if self.first_verb is None:
            self.first_verb = statement
        block = self.block
        if block.forever is not None and not block.unreachable_reported:
            block.unreachable_reported = True
            self.report(planrules.diagnostic(planrules.unreachable_verb(
                statement.span, block.forever.span, planrules.SCRIPT)))

    def _before_setting(self, statement: Statement) -> None:
        name = statement.name.text
        if self.first_verb is not None:
            self.report(rules.SETTING_AFTER_VERB(
                statement.name.span, f"`{name}` is a call setting and must come before the first verb",
                related=[Related(self.first_verb.span, "first verb")],
                help=f"move it above line {self.first_verb.span.line}"))
        if name in self.declared:
            first = self.declared[name]
            self.report(rules.DUPLICATE_SETTING(
                statement.name.span, f"`{name}` is already set",
                related=[Related(first.span, "first set here")],
                help="a call has one of each setting; remove one of them"))
        else:
            self.declared[name] = statement

    def _set(self, name: str, value: object, statement: Statement) -> None:
        if value is not None and name not in self.settings:
            self.settings[name] = Setting(value, statement)

    # --- argument readers ------------------------------------------------------------

    # --- phone numbers, senders and targets ------------------------------------------

    def _target(self, args: Arguments, what: str) -> Target | None:
        arg = args.expect(what, 'to +306912345678, to sip "alice@example.com", '
                                       'to viber "306971234567"')
        if arg is None:
            return None
        if isinstance(arg, Phone):
            phone = values.phone(arg.text, arg.span, "phone number", self.report)
            return Target("phone", phone, arg.span) if phone else None
        if isinstance(arg, Word) and arg.text in ("sip", "viber", "phone"):
            value_arg = args.expect(f"the {arg.text} address", f'{arg.text} "…"')
            if value_arg is None:
                return None
            value = self.arguments.text(value_arg, f"a {arg.text} address")
            if value is None:
                return None
            span = arg.span.to(value_arg.span)
            if isinstance(value, Unfilled):
                return Target(arg.text, value, span)
            address = values.ADDRESSES[arg.text](value, value_arg.span, f"{arg.text} address",
                                                 self.report)
            return Target(arg.text, address, span) if address else None
        if isinstance(arg, String):
            value = self.arguments.text(arg, "a phone number")
            if value is None:
                return None
            if isinstance(value, Unfilled):
                return Target("phone", value, arg.span)
            if "@" in value and not value.startswith("+"):
                self.report(rules.BAD_PHONE(
                    arg.span, f"'{value}' looks like a SIP address, not a phone number",
                    help=f'write: sip "{value}"',
                    fixes=[Fix(arg.span, f"sip {arg.raw}")] if not arg.is_template else ()))
                return None
            phone = values.phone(value, arg.span, "phone number", self.report)
            return Target("phone", phone, arg.span) if phone else None
        if isinstance(arg, Integer):
            self.report(rules.BAD_PHONE(
                arg.span, f"'{arg.text}' is not an E.164 phone number: it lacks the +",
                help=f"write +{arg.text.lstrip('0')} with the country code"))
            return None
        self.report(rules.WRONG_ARGUMENT(
            arg.span, f"expected {what}, found {describe(arg)}",
            help='a phone number (+306912345678), sip "user@host" or viber "306971234567"'))
        return None

    def _sender(self, arg: Argument | None) -> str | None:
        if arg is None:
            return None
        if isinstance(arg, Phone):
            return values.phone(arg.text, arg.span, "sender", self.report)
        if isinstance(arg, Integer):
            text = arg.text
        elif isinstance(arg, String):
            text = self.arguments.text(arg, "a sender id")
            if text is None or isinstance(text, Unfilled):
                return text
        else:
            self.report(rules.WRONG_ARGUMENT(
                arg.span, f"expected a phone number or a quoted sender name, found {describe(arg)}",
                help=f'quote alphanumeric senders: from "{getattr(arg, "text", "")}"',
                fixes=[Fix(arg.span, f'"{arg.text}"')] if isinstance(arg, Word) else ()))
            return None
        return values.sender(text, arg.span, self.report)

    # --- shared options ------------------------------------------------------------

    def _notify(self, args: Arguments, start: Span) -> Callback | None:
        url = self.arguments.url(args.expect("a callback URL",
                                     'notify "https://hooks.example.com/status" on change'),
                        "the callback URL")
        strategy = "OnChange"
        end = args.statement.args[args.index - 1].span if args.index else start
        if args.at_word("on"):
            on = args.take()
            strategy = args.keyword(args.expect("`change` or `completion`", "on completion"),
                                    "`change` or `completion`",
                                    routee.CALLBACK_STRATEGIES) or strategy
            end = args.statement.args[args.index - 1].span if args.index else on.span
        return Callback(url, strategy, start.to(end)) if url else None

    def _machine(self, args: Arguments, start: Span) -> MachineDetection | None:
        arg = args.expect("`hangup` or `continue URL`", 'machine continue "https://…"')
        strategy = args.keyword(arg, "`hangup` or `continue`", routee.MACHINE_STRATEGIES)
        if strategy is None:
            return None
        if strategy == "Hangup":
            return MachineDetection(strategy, None, start.to(arg.span))
        url_arg = args.peek()
        if not isinstance(url_arg, String):
            self.report(rules.MACHINE_URL(
                arg.span.to(url_arg.span) if url_arg is not None else arg.span,
                "`machine continue` needs the URL Routee calls when a machine answers",
                label="expected a URL after `continue`",
                help='machine continue "https://hooks.example.com/amd"; '
                     'or `machine hangup` to end such calls'))
            return None
        args.take()
        url = self.arguments.url(url_arg, "the machine-detection URL")
        return MachineDetection(strategy, url, start.to(url_arg.span)) if url else None

    def _repeat(self, args: Arguments, option: Word, statement: Statement) -> int | None:
        arg = args.take()
        if isinstance(arg, Word) and arg.text == "forever":
            self.block.forever = statement
            return -1
        if isinstance(arg, Integer) and arg.value >= 0:
            return arg.value
        if arg is None:
            self.report(rules.MISSING_ARGUMENT(
                args.end(), "`repeat` needs a count or `forever`",
                label="expected a count", help="repeat 2, or repeat forever"))
        elif isinstance(arg, (Word, Duration)) and arg.text[:1].isdigit():
            self.report(rules.NOT_AN_INTEGER(
                arg.span, f"`repeat` takes a whole number, not '{arg.text}'",
                help="repeat 2, or repeat forever"))
        else:
            forever = isinstance(arg, Integer) and arg.value == -1
            self.report(rules.BAD_REPEAT(
                arg.span, f"`repeat` takes a count of 0 or more or `forever`, not "
                          f"{describe(arg)}",
                help="write `repeat forever`" if forever else "repeat 2, or repeat forever",
                fixes=[Fix(arg.span, "forever")] if forever else ()))
        return None

    # --- settings --------------------------------------------------------------------

    def _setting_from(self, statement: Statement, args: Arguments) -> None:
        arg = args.expect("a sender", 'from +302101234567, or from "Clinic"')
        self._set("from", self._sender(arg), statement)

    def _setting_to(self, statement: Statement, args: Arguments) -> None:
        self._set("to", self._target(args, "a recipient"), statement)

    def _ring(self, arg: Argument | None, conversation: bool) -> int | None:
        seconds = self.arguments.duration(arg, "the ring time")
        if seconds is None:
            return None
        low, high = routee.HANGUP_DELAY_RANGE
        if seconds > high:
            if conversation:
                self.report(rules.RING_RANGE(
                    arg.span, f"`ring` is {_seconds_text(seconds)}; Routee waits "
                              f"{low} to {high} s for an answer",
                    help=f"use at most {high}s"))
                return None
            self.report(planrules.diagnostic(
                planrules.long_dial_ring(arg.span, str(seconds), planrules.SCRIPT)))
        return seconds

    def _setting_ring(self, statement: Statement, args: Arguments) -> None:
        self._set("ring", self._ring(args.expect("a duration", "ring 30s"), True),
                  statement)

    def _setting_limit(self, statement: Statement, args: Arguments) -> None:
        self._set("limit", self.arguments.duration(args.expect("a duration", "limit 10m"),
                                          "the call limit"), statement)

    def _setting_notify(self, statement: Statement, args: Arguments) -> None:
        self._set("notify", self._notify(args, statement.span), statement)

    def _setting_machine(self, statement: Statement, args: Arguments) -> None:
        self._set("machine", self._machine(args, statement.span), statement)

    def _setting_plan(self, statement: Statement, args: Arguments) -> None:
        keyword = args.expect("`url` and the plan's URL",
                               'plan url "https://plans.example.com/p.json"')
        if keyword is None:
            return
        if not (isinstance(keyword, Word) and keyword.text == "url"):
            self.report(rules.WRONG_ARGUMENT(
                keyword.span, f"expected `url`, found {describe(keyword)}",
                help='plan url "https://plans.example.com/p.json"'))
            return
        url = self.arguments.url(args.expect("the plan's URL",
                                     'plan url "https://plans.example.com/p.json"'),
                        "the plan URL")
        self._set("plan", url, statement)

    def _voice(self, statement: Statement, args: Arguments) -> None:
        language = self._language(args.expect("a language", "voice en-GB female"))
        gender_arg = args.take()
        gender = args.keyword(gender_arg, "a gender (male or female)",
                              {g: g for g in routee.GENDERS})
        self.voice = _Voice(language, gender, statement.span)

    def _language(self, arg: Argument | None) -> str | None:
        if arg is None:
            return None
        if isinstance(arg, String):
            text = self.arguments.text(arg, "a language")
            if text is None or isinstance(text, Unfilled):
                return text
        elif isinstance(arg, Word):
            text = arg.text
        else:
            self.report(rules.WRONG_ARGUMENT(
                arg.span, f"expected a language such as en-GB, found {describe(arg)}",
                help="Routee's languages: " + " ".join(routee.LANGUAGES)))
            return None
        if text in routee.LANGUAGES:
            return text
        guess = values.suggest_language(text)
        self.report(rules.UNKNOWN_LANGUAGE(
            arg.span, f"'{text}' is not a language Routee speaks",
            label=f"did you mean '{guess}'?" if guess else None,
            help="Routee's languages: " + " ".join(routee.LANGUAGES),
            fixes=[Fix(arg.span, g) for g in guess.split("' or '")]
            if guess and not getattr(arg, "is_template", False) else ()))
        return None

    # --- verbs -----------------------------------------------------------------------

    def _say(self, statement: Statement, args: Arguments) -> None:
        text_arg = args.expect("the text to speak", 'say "Hello."')
        text = args.text(text_arg, "the text to speak", runtime=True) if text_arg else None
        if text is not None:
            unfilled = isinstance(text, Unfilled)
            literal = "".join(p for p in text_arg.parts if isinstance(p, str)) if unfilled \
                else text
            # Unfilled text is judged only on what is certain: its literal part.
            if len(literal) > routee.MAX_TEXT_LENGTH or (not unfilled and not text):
                diagnostic = rules.TEXT_LENGTH(
                    text_arg.span, f"`say` text must be 1 to {routee.MAX_TEXT_LENGTH} "
                                   f"characters; this one has {len(literal)}",
                    help="split long text over several `say` lines" if literal else
                    "write the text to speak, or remove the line")
                own = "".join(p for p in text_arg.parts if isinstance(p, str))
                # Within the limit without its values, the text is too long
                # (or empty) because of them: the longest is blamed.
                culprit = self.arguments.longest_value(text_arg) \
                    if not unfilled and not isinstance(text, Deferred) and \
                    len(own) <= routee.MAX_TEXT_LENGTH else None
                self.report(blamed_on(diagnostic, *culprit) if culprit else diagnostic)
                text = None
        spans: dict[str, Span] = {"text": text_arg.span} if text_arg else {}
        found: dict[str, object] = {}

        def language(option: Word) -> None:
            arg = args.expect("a language", "in en-GB")
            found["language"] = self._language(arg)
            spans["language"] = option.span.to(arg.span) if arg else option.span

        def gender(option: Word) -> None:
            arg = args.expect("a gender", "as female")
            found["gender"] = args.keyword(arg, "male or female",
                                           {g: g for g in routee.GENDERS})
            spans["gender"] = option.span.to(arg.span) if arg else option.span

        unknown = args.options({"in": language, "as": gender,
                                       **self._playback_options(args, statement, found, spans)})
        if "language" not in found:
            found["language"] = self.voice.language
            spans["language"] = self.voice.span
            if self.voice.language is None and self.voice.span is self.module.span \
                    and not unknown:
                self.report(rules.NO_LANGUAGE(
                    statement.name.span, "`say` has no language",
                    help="add `in en-GB` to it, or a `voice en-GB` line above it"))
        if "gender" not in found and self.voice.gender is not None:
            found["gender"] = self.voice.gender
            spans["gender"] = self.voice.span
        if text is not None and found["language"] is not None:
            self.block.verbs.append(Say(statement.span, text, found["language"],
                                        found.get("gender"), found.get("repeat"),
                                        found.get("interruptible"), spans))

    def _playback_options(self, args: Arguments, statement: Statement, found: dict,
                          spans: dict) -> dict[str, Callable[[Word], None]]:
        """`repeat` and `interruptible`, shared by say and play."""

        def repeat(option: Word) -> None:
            found["repeat"] = self._repeat(args, option, statement)
            spans["repeat"] = option.span.to(statement.args[args.index - 1].span)

        def interruptible(option: Word) -> None:
            found["interruptible"] = True
            spans["bargeIn"] = option.span
            self.block.interruptibles.append(option.span)

        return {"repeat": repeat, "interruptible": interruptible}

    def _play(self, statement: Statement, args: Arguments) -> None:
        url_arg = args.expect("the URL of a .wav file",
                               'play "https://cdn.example.com/chime.wav"')
        url = self.arguments.url(url_arg, "the audio URL")
        if url is not None:
            path = values.url_path(url) if not isinstance(url, Unfilled) else url
            if not isinstance(url, Unfilled) or isinstance(url_arg.parts[-1], str):
                values.wav(path, url_arg.span, self.report)
        found: dict[str, object] = {}
        spans: dict[str, Span] = {"fileURL": url_arg.span} if url_arg else {}
        args.options(self._playback_options(args, statement, found, spans))
        if url is not None:
            self.block.verbs.append(Play(statement.span, url, found.get("repeat"),
                                   found.get("interruptible"), spans))

    def _pause(self, statement: Statement, args: Arguments) -> None:
        arg = args.expect("a duration", "pause 2s")
        seconds = self.arguments.duration(arg, "the pause")
        if seconds is not None:
            self.block.verbs.append(Pause(statement.span, seconds, {"duration": arg.span}))

    def _collect(self, statement: Statement, args: Arguments) -> None:
        self.block.collects.append(statement)
        found: dict[str, object] = {}
        spans: dict[str, Span] = {}

        def to(option: Word) -> None:
            arg = args.expect("the URL that receives the keys",
                               'collect to "https://hooks.example.com/keys"')
            found["url"] = self.arguments.url(arg, "the collect URL")
            spans["eventUrl"] = arg.span if arg else option.span

        def maximum(option: Word) -> None:
            arg = args.expect("a number of digits", "max 4 digits")
            digits = self.arguments.integer(arg, "the number of digits")
            if digits is not None and digits < 1:
                self.report(rules.ZERO_DIGITS(
                    arg.span, f"`max {digits} digits` collects nothing",
                    help="collect at least 1 digit (Routee's default is 30)"))
                digits = None
            found["max"] = digits
            end = arg.span if arg else option.span
            if args.at_word("digit", "digits"):
                end = args.take().span
            spans["maxDigits"] = option.span.to(end)

        def submit(option: Word) -> None:
            end, missing = option.span, None
            for word in ("on", "hash"):
                if args.at_word(word):
                    end = args.take().span
                elif missing is None:
                    missing = word
                    where = args.peek().span if args.peek() else args.end()
            if missing is not None:
                self.report(rules.MISSING_ARGUMENT(
                    where, f"expected `{missing}` in `submit on hash`",
                    help="write: submit on hash"))
                return
            found["hash"] = True
            spans["submitOnHash"] = option.span.to(end)

        args.options({"to": to, "max": maximum, "submit": submit})
        if "url" not in found:
            self.report(rules.MISSING_ARGUMENT(
                statement.name.span, "`collect` needs `to URL`, where Routee sends the keys",
                help='collect to "https://hooks.example.com/keys" max 4 digits'))
        if found.get("url"):
            self.block.verbs.append(Collect(statement.span, found["url"], found.get("max"),
                                      found.get("hash"), spans))

    def _dial(self, statement: Statement, args: Arguments) -> None:
        self.block.dials.append(statement)
        target = self._target(args, "who to dial")
        found: dict[str, object] = {}
        spans: dict[str, Span] = {"to": target.span} if target else {}

        def sender(option: Word) -> None:
            arg = args.expect("a sender", "from +302101234567")
            found["from"] = self._sender(arg)
            spans["from"] = arg.span if arg else option.span

        def ring(option: Word) -> None:
            arg = args.expect("a duration", "ring 20s")
            found["ring"] = self._ring(arg, conversation=False)
            spans["hangupDelay"] = arg.span if arg else option.span

        def limit(option: Word) -> None:
            arg = args.expect("a duration", "limit 5m")
            found["limit"] = self.arguments.duration(arg, "the call limit")
            spans["maxDuration"] = arg.span if arg else option.span

        def notify(option: Word) -> None:
            found["notify"] = self._notify(args, option.span)
            spans["callback"] = option.span

        def record(option: Word) -> None:
            found["record"] = True
            spans["record"] = option.span
            if args.at_word("wav", "mp3", "WAV", "MP3"):
                fmt = args.take()
                found["format"] = fmt.text.upper()
                spans["recordingFormat"] = fmt.span
            if args.at_word("to"):
                args.take()
                arg = args.expect("the URL that receives the recording",
                                   'record mp3 to "https://hooks.example.com/rec"')
                found["record_url"] = self.arguments.url(arg, "the recording URL")
                spans["recordingCallbackUrl"] = arg.span if arg else option.span

        def machine(option: Word) -> None:
            found["machine"] = self._machine(args, option.span)
            spans["machineDetection"] = option.span

        args.options({"from": sender, "ring": ring, "limit": limit, "notify": notify,
                             "record": record, "machine": machine})
        if target is None:
            return
        self.block.verbs.append(_PendingDial(statement, target, found, spans))

    # --- whole-plan rules ----------------------------------------------------------

    def _apply_overrides(self) -> None:
        default = self.overrides.default_sender if "from" not in self.written else None
        for name, statement in (("to", self.overrides.to),
                                ("from", self.overrides.sender or default)):
            if statement is None:
                continue
            args = self.arguments.read(statement)
            value = self._target(args, "a recipient") if name == "to" else \
                self._sender(args.take())
            if value is not None:
                self.settings[name] = Setting(value, statement)
            else:
                self.settings.pop(name, None)
                self.settings[f"{name}-invalid"] = Setting(None, statement)

    def _plan_rules(self) -> None:
        plan_url = self.settings.get("plan")
        if plan_url and self.first_verb is not None:
            self.report(rules.PLAN_SHAPE(
                self.first_verb.span, "a script with `plan url` holds no verbs",
                related=[Related(plan_url.statement.span, "the plan is hosted here")],
                help="remove the verbs, or remove `plan url` to send them inline"))
        elif plan_url is None and self.first_verb is None and not self.unrecognized and \
                "plan" not in self.written:
            at = self.module.statements[0].span if self.module.statements else \
                Span(self.module.span.file, 1, 1, 1, 2, 0, 1)
            self.report(rules.PLAN_SHAPE(
                at, "the script has nothing for the call to do",
                help='add verbs such as `say "Hello." in en-GB`, or `plan url "…"`'))
        if self.menus is None:
            for diagnostic in self.verb_rules(self.block.dials, self.block.collects,
                                              self.block.interruptibles):
                self.report(diagnostic)
        else:
            self.menus.plan_rules()  # the main plan's and every branch's
        self._output_rules()

    def _output_rules(self) -> None:
        """Rules that depend on what `compile` prints: a request body when
        the recipient is known, a bare plan otherwise (or with --plan)."""
        to = self.settings.get("to")
        plan_url = self.settings.get("plan")
        if to is not None and not self.plan_only:
            if "from" not in self.settings and "from-invalid" not in self.settings \
                    and "from" not in self.declared:
                self.report(rules.NO_SENDER(
                    to.statement.span, "the call has a recipient but no sender",
                    help="add a `from +302101234567` line, pass --from, or set a default "
                         "`from` in the configuration"))
            return
        if not self.compiling:
            return  # a bare plan or a hosted one may still get --to at compile time
        if plan_url is not None:
            message = ("--plan has nothing to print: this script points at a hosted plan"
                       if self.plan_only else
                       "a `plan url` script needs a recipient to become a call")
            self.report(rules.NO_RECIPIENT(
                plan_url.statement.span, message,
                help="drop --plan: the call body carries the plan's URL" if self.plan_only
                else "add a `to` line, or pass --to +306912345678"))
            return
        for name in ("ring", "limit", "notify", "machine"):
            if name in self.settings:
                self.report(rules.IGNORED_SETTING(
                    self.settings[name].statement.span,
                    f"`{name}` only applies to a call, and this compiles to a bare plan",
                    help="add a `to` line or pass --to to compile the whole call"))

    def _unused_variables(self) -> None:
        if not self.compiling:
            return
        for name in sorted(set(self.variables) - self.arguments.used_variables):
            origin = getattr(self.variables[name], "origin", None)
            self.report(rules.UNUSED_VARIABLE(
                origin or Span("--var", 1, 1, 1, len(name) + 1, 0, len(name)),
                f"--var {name} is not used by any placeholder",
                help="check the spelling against the script's {placeholders}"))

    def _script(self) -> Script:
        sender = self.settings.get("from")
        sender_value = sender.value if sender else None
        verbs = self._finish_verbs(self.block.verbs, sender_value)
        plans: tuple[Plan, ...] = ()
        if self.menus is None:
            plans = (Plan("main", verbs, self.module.span),) if verbs else ()
        else:
            plans = self.menus.build(verbs, lambda vs: self._finish_verbs(vs, sender_value),
                                     self.module.span)
        value = {name: s.value for name, s in self.settings.items()}
        spans = {name: s.statement.span for name, s in self.settings.items()}
        return Script(self.module.span, plans, value.get("from"), value.get("to"),
                      value.get("ring"), value.get("limit"), value.get("notify"),
                      value.get("machine"), value.get("plan"),
                      {{"from": "from", "to": "to", "ring": "hangupDelay",
                        "limit": "maxDuration", "notify": "callback",
                        "machine": "machineDetection", "plan": "dialPlanUrl"}.get(k, k): v
                       for k, v in spans.items()},
                      dict(self.arguments.per_call_names))

    def _finish_verbs(self, pending: list, sender: str | None) -> tuple:
        verbs = []
        for verb in pending:
            if isinstance(verb, _PendingDial):
                verb = self._finish_dial(verb, sender)
                if verb is None:
                    continue
            verbs.append(verb)
        return tuple(verbs)

    def _finish_dial(self, pending: _PendingDial, sender: str | None) -> Dial | None:
        found, spans = pending.found, dict(pending.spans)
        own_sender = found.get("from")
        if own_sender is None and "from" not in spans:
            if sender is None:
                if "from-invalid" not in self.settings and "from" not in self.written:
                    self.report(rules.NO_SENDER(
                        pending.statement.name.span, "`dial` has no `from`, and the script has none",
                        help="add `from +302101234567` to the dial, or a `from` line at the top"))
                return None
            own_sender = sender
            spans["from"] = self.settings["from"].statement.span
        if own_sender is None:
            return None
        return Dial(pending.statement.span, own_sender, pending.target, found.get("ring"),
                    found.get("limit"), found.get("notify"), found.get("record"),
                    found.get("format"), found.get("record_url"), found.get("machine"), spans)


@record(frozen=False)
class _PendingDial:
    """A dial whose `from` may come from the conversation's sender, known
    only once the whole script (and any --from) has been read."""

    statement: Statement
    target: Target
    found: dict
    spans: dict = field(default_factory=dict)


def check(module: Module, *, error_lines: Iterable[int] = (),
          variables: Mapping[str, str] | None = None, overrides: Overrides | None = None,
          plan_only: bool = False, per_call: str = "required"
          ) -> tuple[Script, list[Diagnostic]]:
    """Check a parsed module. `variables` switches to compile mode; in a
    script with menus, `per_call` says whether the placeholders of `say`
    text need a value now ("required") or come with each call ("deferred")."""
    checker = Checker(module, error_lines=error_lines, variables=variables,
                      overrides=overrides, plan_only=plan_only, per_call=per_call)
    try:
        return checker.run(), checker.diagnostics
    finally:
        checker.close()
