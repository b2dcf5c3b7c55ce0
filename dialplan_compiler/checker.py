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

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from . import routee, rules
from .diagnostics import Diagnostic, Fix, Related
from .model import (Callback, Collect, Deferred, Dial, MachineDetection, Pause, Plan, Play, Say,
                    Script, Target, Unfilled)
from .nodes import (Argument, Duration, Integer, Module, Phone, Placeholder, Span, Statement,
                    String, Word)

#: Statements that configure the call rather than run in it. Each may be
#: given once, before the first verb.
#: (These lists are read from the table in `statements.py`.)
from .statements import SETTINGS
from .statements import VERBS
from .statements import PLAN_STATEMENTS as STATEMENTS
#: Statements of menus, checked by `menucheck.py`.
from .statements import MENU_STATEMENTS


@dataclass
class Overrides:
    """Values given on the command line (`--to`, `--from`) that replace the
    script's. Each is a `Statement` built by `override_statement`."""

    to: Statement | None = None
    sender: Statement | None = None
    #: A sender from the configuration, used when the script has no `from`.
    default_sender: Statement | None = None


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


@dataclass
class _Voice:
    language: str | None
    gender: str | None
    span: Span


@dataclass
class _Setting:
    value: object
    statement: Statement


@dataclass
class _Args:
    """A cursor over a statement's arguments."""

    statement: Statement
    index: int = 0

    def peek(self) -> Argument | None:
        args = self.statement.args
        return args[self.index] if self.index < len(args) else None

    def take(self) -> Argument | None:
        arg = self.peek()
        if arg is not None:
            self.index += 1
        return arg

    def at_word(self, *words: str) -> bool:
        arg = self.peek()
        return isinstance(arg, Word) and arg.text in words

    def end(self) -> Span:
        """Where a missing argument would go: just after the last one read."""
        args = self.statement.args
        last = args[self.index - 1].span if self.index else self.statement.name.span
        return Span(last.file, last.end_line, last.end_column, last.end_line,
                    last.end_column + 1, last.end, last.end + 1)


def _describe(arg: Argument) -> str:
    if isinstance(arg, String):
        return "a string"
    if isinstance(arg, Integer):
        return f"the number {arg.text}"
    if isinstance(arg, Duration):
        return f"the duration {arg.text}"
    if isinstance(arg, Phone):
        return f"the phone number {arg.text}"
    return f"'{arg.text}'"


def _suggest(word: str, choices: Iterable[str]) -> str | None:
    choices = list(choices)
    for choice in choices:
        if choice.lower() == word.lower():
            return choice
    import difflib  # only when something is misspelt

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


MAX_URL_LENGTH = 2048


def _url_problem(url: str) -> str | None:
    """What is wrong with a URL Routee has to call or fetch, if anything."""
    if any(ch.isspace() for ch in url):
        return "it contains white space"
    if len(url) > MAX_URL_LENGTH:
        return f"it is {len(url)} characters long; the limit is {MAX_URL_LENGTH}"
    scheme = url.partition(":")[0]
    if scheme.lower() in ("http", "https") and scheme not in ("http", "https"):
        return f"write the scheme in lower case ({scheme.lower()}://)"
    parts = _URL.match(url)
    if parts is None:
        return f"{url!r} does not start with http:// or https://"
    if not parts.group("host"):
        return f"{url!r} has no host"
    port = parts.group("port")
    if port is not None and not (port.isdigit() and int(port) <= 65535):
        return f"{url!r} has an invalid port"
    return None


#: An absolute http(s) URL, split the way urllib.parse.urlsplit would (which
#: costs more to import than a whole check of a small file).
_URL = re.compile(r"(?P<scheme>https?)://(?:[^@/?#]*@)?"
                  r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^:/?#\[\]]*)(?::(?P<port>[^/?#]*))?"
                  r"(?P<path>[^?#]*)")


def _url_path(url: str) -> str:
    match = _URL.match(url)
    return match.group("path") if match else url


def suggest_language(text: str) -> str | None:
    """The language(s) a mistyped code most likely meant: `en-gb` and
    `en_GB` → `en-GB`, `fr` → `fr-FR`, `en` → `en-US or en-GB`."""
    normalized = text.replace("_", "-")
    exact = _suggest(normalized, routee.LANGUAGES)
    if exact and exact.lower() == normalized.lower():
        return exact
    prefix = normalized.split("-")[0].lower()
    same_language = [lang for lang in routee.LANGUAGES if lang.split("-")[0] == prefix]
    if same_language:  # quoted by the caller: 'en-US' or 'en-GB'
        return "' or '".join(same_language)
    return exact


def _seconds_text(seconds: int) -> str:
    return f"{seconds} s"


class Checker:
    def __init__(self, module: Module, *, error_lines: Iterable[int] = (),
                 variables: Mapping[str, str] | None = None,
                 overrides: Overrides | None = None, plan_only: bool = False) -> None:
        self.module = module
        self.error_lines = frozenset(error_lines)
        self.variables = variables
        self.compiling = variables is not None
        self.used_variables: set[str] = set()
        self.overrides = overrides or Overrides()
        self.plan_only = plan_only
        self.diagnostics: list[Diagnostic] = []
        self.settings: dict[str, _Setting] = {}
        #: The first statement of each setting, valid or not.
        self.declared: dict[str, Statement] = {}
        #: Every statement name the file has at its top level, broken lines
        #: included: a broken `from` still means the author gave a sender.
        self.written = frozenset(s.name.text for s in module.statements)
        self.voice = _Voice(None, None, module.span)
        self.verbs: list = []
        self.first_verb: Statement | None = None
        self.dials: list[Statement] = []
        self.collects: list[Statement] = []
        self.interruptibles: list[Span] = []
        self.forever: Statement | None = None
        self.unreachable_reported = False
        #: Menus, checked by `menucheck.MenuChecker` (created, and its
        #: module imported, only for a script that has them).
        self.menus = None
        #: The `menu`, `again` or `handoff` that ended the current block:
        #: what follows it never runs.
        self.block_end: Statement | None = None
        #: In a menu's branch, `{digits}` in `say` text is left for serve.
        self.in_branch = False
        #: A statement was skipped (unknown, or broken by a syntax error): the
        #: script's shape is unknown, so whole-plan rules stay quiet.
        self.unrecognized = bool(self.error_lines)

    # --- entry point -------------------------------------------------------------

    def run(self) -> Script | None:
        handlers: dict[str, Callable[[Statement, _Args], None]] = {
            "from": self._setting_from, "to": self._setting_to, "ring": self._setting_ring,
            "limit": self._setting_limit, "notify": self._setting_notify,
            "machine": self._setting_machine, "plan": self._setting_plan,
            "voice": self._voice, "say": self._say, "play": self._play,
            "pause": self._pause, "collect": self._collect, "dial": self._dial,
        }
        self.handlers = handlers
        for statement in self.module.statements:
            self._statement(statement)
        self._apply_overrides()
        self._plan_rules()
        self._unused_variables()
        return self._script()

    def _statement(self, statement: Statement) -> None:
        """Check one statement, of the file or of a menu's block."""
        if self._has_syntax_error(statement):
            self.unrecognized = True
            return
        if statement.name.text in MENU_STATEMENTS or self.menus is not None:
            from .menucheck import MenuChecker

            if self.menus is None:
                self.menus = MenuChecker(self)
            if self.menus.handle(statement):
                return
        self._plain_statement(statement)

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
        args = _Args(statement)
        if name in VERBS:
            self._before_verb(statement)
        elif name in SETTINGS:
            self._before_setting(statement)
            if self._overridden(name):
                return  # --to/--from replace it: its value (and placeholders) do not matter
        handler(statement, args)
        self._no_more_args(args)

    def _overridden(self, name: str) -> bool:
        return (name == "to" and self.overrides.to is not None) or \
            (name == "from" and self.overrides.sender is not None)

    def report(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    def _has_syntax_error(self, statement: Statement) -> bool:
        span = statement.span
        return any(line in self.error_lines for line in range(span.line, span.end_line + 1))

    def _unknown_statement(self, statement: Statement) -> None:
        name = statement.name.text
        guess = _suggest(name, STATEMENTS + MENU_STATEMENTS)
        self.report(rules.UNKNOWN_STATEMENT(
            statement.name.span, f"unknown statement '{name}'",
            label=f"did you mean '{guess}'?" if guess else None,
            help="statements are: " + " ".join(STATEMENTS + MENU_STATEMENTS),
            fixes=[Fix(statement.name.span, guess)] if guess else ()))

    def _no_more_args(self, args: _Args) -> None:
        extra = args.take()
        if extra is not None:
            self.report(rules.EXTRA_ARGUMENT(
                extra.span, f"unexpected {_describe(extra)} in `{args.statement.name.text}`",
                help=f"see `{args.statement.name.text}` in docs/language.md for what it takes"))

    # --- ordering rules ------------------------------------------------------------

    def _before_verb(self, statement: Statement) -> None:
        if self.first_verb is None:
            self.first_verb = statement
        if self.forever is not None and not self.unreachable_reported:
            self.unreachable_reported = True
            self.report(rules.UNREACHABLE_VERB(
                statement.span, "this never runs: the verb before it repeats forever",
                related=[Related(self.forever.span, "repeats forever")],
                help="give the earlier verb a finite `repeat N`, or remove what follows it"))

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
            self.settings[name] = _Setting(value, statement)

    # --- argument readers ------------------------------------------------------------

    def _expect(self, args: _Args, what: str, example: str) -> Argument | None:
        arg = args.take()
        if arg is None:
            self.report(rules.MISSING_ARGUMENT(
                args.end(), f"`{args.statement.name.text}` needs {what}",
                label=f"expected {what} here", help=f"for example: {example}"))
        return arg

    def _text(self, arg: Argument, what: str, runtime: bool = False) -> str | None:
        """The value of a string argument, placeholders filled in compile mode.
        With `runtime`, in a menu's branch, `{digits}` is kept (as `Deferred`
        text) for `dialplan serve` to fill with the keys pressed."""
        if not isinstance(arg, String):
            self.report(rules.WRONG_ARGUMENT(
                arg.span, f"expected {what} in double quotes, found {_describe(arg)}",
                help=f'write it as "{getattr(arg, "text", "")}"',
                fixes=[Fix(arg.span, f'"{arg.text}"')]))
            return None
        if not arg.is_template:
            return arg.text
        if not self.compiling:
            return Unfilled(arg.text)
        out, missing = [], False
        deferred = runtime and self.in_branch and any(
            p.name == "digits" for p in arg.placeholders)

        def literal(text: str) -> str:
            return text.replace("{", "{{").replace("}", "}}") if deferred else text

        for part in arg.parts:
            if isinstance(part, Placeholder):
                if deferred and part.name == "digits":
                    out.append("{digits}")
                    continue
                self.used_variables.add(part.name)
                if part.name in self.variables:
                    out.append(literal(self.variables[part.name]))
                else:
                    missing = True
                    self.report(rules.UNFILLED_PLACEHOLDER(
                        part.span, f"no value for {{{part.name}}}",
                        help="{digits}, the keys pressed, is filled only in the `say` text of "
                             "a menu's branch" if part.name == "digits" else
                        f"pass --var {part.name}=VALUE"))
            else:
                out.append(literal(part))
        if missing:
            return None
        return Deferred("".join(out)) if deferred else "".join(out)

    def _url(self, arg: Argument | None, what: str) -> str | None:
        if arg is None:
            return None
        url = self._text(arg, what)
        if url is None:
            return None
        judged = url
        if isinstance(url, Unfilled):
            first = arg.parts[0]
            if not isinstance(first, str) or "://" not in first:
                return url  # judged after substitution
            # Judge the shape with each placeholder standing for a plain word.
            judged = "".join(p if isinstance(p, str) else "x" for p in arg.parts)
        problem = _url_problem(judged)
        if problem:
            self.report(rules.BAD_URL(
                arg.span, f"{what} must be an absolute http(s) URL: {problem}",
                help='for example "https://hooks.example.com/routee"'))
            return None
        if judged.startswith("http:"):
            self.report(rules.PLAIN_HTTP(
                arg.span, f"{what} uses plain http://",
                help="use https:// so that call data is not sent in the clear",
                fixes=[Fix(arg.span, arg.raw.replace("http:", "https:", 1))]))
        return url

    def _duration(self, arg: Argument | None, what: str) -> int | None:
        if arg is None:
            return None
        if isinstance(arg, Duration):
            if arg.milliseconds < 1000:
                self.report(rules.SHORT_DURATION(
                    arg.span, f"{what} must be at least 1 s, not {arg.text}",
                    help="Routee counts in whole seconds; the shortest is 1s",
                    fixes=[Fix(arg.span, "1s")]))
                return None
            if arg.milliseconds % 1000:
                self.report(rules.SHORT_DURATION(
                    arg.span, f"{what} must be whole seconds, not {arg.text}",
                    help=f"Routee counts in whole seconds: {arg.milliseconds // 1000}s or "
                         f"{arg.milliseconds // 1000 + 1}s",
                    fixes=[Fix(arg.span, f"{arg.milliseconds // 1000 + n}s") for n in (0, 1)]))
                return None
            return arg.milliseconds // 1000
        if isinstance(arg, Integer):
            self.report(rules.DURATION_UNIT(
                arg.span, f"{what} needs a unit", label="seconds? minutes?",
                help=f"write {arg.text}s for seconds or {arg.text}m for minutes",
                fixes=[Fix(arg.span, arg.text + unit) for unit in ("s", "m")]))
        elif isinstance(arg, Word) and arg.text[:1].isdigit():
            self.report(rules.DURATION_UNIT(
                arg.span, f"'{arg.text}' is not a duration",
                help="durations are whole numbers with units: 45s, 2m, 1h, 1m30s"))
        else:
            quoted = isinstance(arg, String) and re.fullmatch(r"[0-9hms]+", arg.text)
            self.report(rules.WRONG_ARGUMENT(
                arg.span, f"expected a duration for {what}, found {_describe(arg)}",
                help=f"write it without quotes: {arg.text}" if quoted else
                "durations are whole numbers with units: 45s, 2m, 1h, 1m30s",
                fixes=[Fix(arg.span, arg.text)] if quoted else ()))
        return None

    def _integer(self, arg: Argument | None, what: str) -> int | None:
        if arg is None:
            return None
        if isinstance(arg, Integer):
            return arg.value
        text = getattr(arg, "text", "")
        if isinstance(arg, (Word, Duration)) and text[:1].isdigit():
            self.report(rules.NOT_AN_INTEGER(
                arg.span, f"{what} must be a whole number, not '{text}'"))
        else:
            self.report(rules.WRONG_ARGUMENT(
                arg.span, f"expected {what} (a whole number), found {_describe(arg)}"))
        return None

    def _keyword(self, arg: Argument | None, what: str, choices: Mapping[str, str],
                 statement: Statement) -> str | None:
        """A word from `choices` (case-insensitive); returns its mapped value."""
        if arg is None:
            return None
        text = getattr(arg, "text", "")
        if isinstance(arg, Word) and text.lower() in choices:
            return choices[text.lower()]
        guess = _suggest(text, choices) if isinstance(arg, Word) else None
        self.report(rules.WRONG_ARGUMENT(
            arg.span, f"expected {what}, found {_describe(arg)}",
            label=f"did you mean '{guess}'?" if guess else None,
            help="one of: " + ", ".join(choices),
            fixes=[Fix(arg.span, guess)] if guess else ()))
        return None

    # --- phone numbers, senders and targets ------------------------------------------

    def _phone(self, text: str, span: Span, what: str) -> str | None:
        import phonenumbers

        compact = re.sub(r"[\s\-.()]", "", text)
        if not re.fullmatch(r"\+[0-9]+", compact):
            self.report(rules.BAD_PHONE(
                span, f"{what} '{text}' is not an E.164 phone number",
                help="write it with + and the country code, e.g. +302101234567"))
            return None
        try:
            number = phonenumbers.parse(compact, None)
        except phonenumbers.NumberParseException:
            number = None
        reason = (phonenumbers.is_possible_number_with_reason(number) if number
                  else phonenumbers.ValidationResult.INVALID_COUNTRY_CODE)
        if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
            if reason == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
                problem = "no country has that calling code"
            else:
                region = phonenumbers.region_code_for_country_code(number.country_code)
                length = {phonenumbers.ValidationResult.TOO_SHORT: "too short",
                          phonenumbers.ValidationResult.TOO_LONG: "too long"}.get(
                              reason, "the wrong length")
                problem = f"{length} for +{number.country_code} ({region})"
            self.report(rules.BAD_PHONE(
                span, f"{what} '{text}' cannot exist: {problem}",
                help="check the number: E.164 is + country code + national number, "
                     "without the trunk 0"))
            return None
        if not phonenumbers.is_valid_number(number):
            region = phonenumbers.region_code_for_country_code(number.country_code)
            self.report(rules.UNASSIGNED_PHONE(
                span, f"{what} '{text}' is not assigned in the numbering plan of "
                      f"+{number.country_code} ({region})",
                help="it has a possible length but no network uses that range; "
                     "check for a typo"))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def _target(self, args: _Args, what: str) -> Target | None:
        arg = self._expect(args, what, 'to +306912345678, to sip "alice@example.com", '
                                       'to viber "306971234567"')
        if arg is None:
            return None
        if isinstance(arg, Phone):
            phone = self._phone(arg.text, arg.span, "phone number")
            return Target("phone", phone, arg.span) if phone else None
        if isinstance(arg, Word) and arg.text in ("sip", "viber", "phone"):
            value_arg = self._expect(args, f"the {arg.text} address", f'{arg.text} "…"')
            if value_arg is None:
                return None
            value = self._text(value_arg, f"a {arg.text} address")
            if value is None:
                return None
            span = arg.span.to(value_arg.span)
            if isinstance(value, Unfilled):
                return Target(arg.text, value, span)
            checker = {"sip": self._sip, "viber": self._viber, "phone": self._phone}[arg.text]
            address = checker(value, value_arg.span, f"{arg.text} address")
            return Target(arg.text, address, span) if address else None
        if isinstance(arg, String):
            value = self._text(arg, "a phone number")
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
            phone = self._phone(value, arg.span, "phone number")
            return Target("phone", phone, arg.span) if phone else None
        if isinstance(arg, Integer):
            self.report(rules.BAD_PHONE(
                arg.span, f"'{arg.text}' is not an E.164 phone number: it lacks the +",
                help=f"write +{arg.text.lstrip('0')} with the country code"))
            return None
        self.report(rules.WRONG_ARGUMENT(
            arg.span, f"expected {what}, found {_describe(arg)}",
            help='a phone number (+306912345678), sip "user@host" or viber "306971234567"'))
        return None

    def _sip(self, value: str, span: Span, what: str) -> str | None:
        if re.fullmatch(r"[^@\s:]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?",
                        value) and int(value.rpartition(":")[2] if value.count(":") else 1) <= 65535:
            return value
        hint = 'without the "sip:" prefix' if value.lower().startswith("sip:") else \
            'as "alice@example.com" or "alice@10.0.0.1:5060"'
        self.report(rules.BAD_SIP(
            span, f"'{value}' is not a SIP address of the form user@host[:port]",
            help=f"write it {hint}"))
        return None

    def _viber(self, value: str, span: Span, what: str) -> str | None:
        if re.fullmatch(r"[1-9][0-9]{1,14}", value):
            return value
        digits = re.sub(r"[^0-9]", "", value)
        self.report(rules.BAD_VIBER(
            span, f"'{value}' is not a Viber number: digits only, with the country code and no +",
            help=f'write "{digits}"' if digits else 'for example "306971234567"',
            fixes=[Fix(span, f'"{digits}"')] if digits else ()))
        return None

    def _sender(self, arg: Argument | None) -> str | None:
        if arg is None:
            return None
        if isinstance(arg, Phone):
            return self._phone(arg.text, arg.span, "sender")
        if isinstance(arg, Integer):
            text = arg.text
        elif isinstance(arg, String):
            text = self._text(arg, "a sender id")
            if text is None or isinstance(text, Unfilled):
                return text
        else:
            self.report(rules.WRONG_ARGUMENT(
                arg.span, f"expected a phone number or a quoted sender name, found {_describe(arg)}",
                help=f'quote alphanumeric senders: from "{getattr(arg, "text", "")}"',
                fixes=[Fix(arg.span, f'"{arg.text}"')] if isinstance(arg, Word) else ()))
            return None
        if not text.strip():
            self.report(rules.BAD_SENDER(arg.span, "the sender id is empty"))
            return None
        if re.fullmatch(r"\+[0-9\s\-.()]+", text):
            return self._phone(text, arg.span, "sender")
        if re.fullmatch(r"[0-9]+", text):
            if len(text) > routee.MAX_NUMERIC_SENDER:
                self.report(rules.BAD_SENDER(
                    arg.span, f"a numeric sender id has at most {routee.MAX_NUMERIC_SENDER} "
                              f"digits; this one has {len(text)}"))
                return None
            return text
        self.report(rules.ALPHANUMERIC_SENDER(
            arg.span, f"alphanumeric sender '{text}' is not delivered by every network",
            help="some networks (Greece, for one) reject alphanumeric callers; "
                 "an E.164 number is safest"))
        return text

    # --- shared options ------------------------------------------------------------

    def _notify(self, args: _Args, start: Span) -> Callback | None:
        url = self._url(self._expect(args, "a callback URL",
                                     'notify "https://hooks.example.com/status" on change'),
                        "the callback URL")
        strategy = "OnChange"
        end = args.statement.args[args.index - 1].span if args.index else start
        if args.at_word("on"):
            on = args.take()
            strategy = self._keyword(self._expect(args, "`change` or `completion`", "on completion"),
                                     "`change` or `completion`", routee.CALLBACK_STRATEGIES,
                                     args.statement) or strategy
            end = args.statement.args[args.index - 1].span if args.index else on.span
        return Callback(url, strategy, start.to(end)) if url else None

    def _machine(self, args: _Args, start: Span) -> MachineDetection | None:
        arg = self._expect(args, "`hangup` or `continue URL`", 'machine continue "https://…"')
        strategy = self._keyword(arg, "`hangup` or `continue`", routee.MACHINE_STRATEGIES,
                                 args.statement)
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
        url = self._url(url_arg, "the machine-detection URL")
        return MachineDetection(strategy, url, start.to(url_arg.span)) if url else None

    def _repeat(self, args: _Args, option: Word, statement: Statement) -> int | None:
        arg = args.take()
        if isinstance(arg, Word) and arg.text == "forever":
            self.forever = statement
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
                          f"{_describe(arg)}",
                help="write `repeat forever`" if forever else "repeat 2, or repeat forever",
                fixes=[Fix(arg.span, "forever")] if forever else ()))
        return None

    def _options(self, args: _Args, handlers: Mapping[str, Callable[[Word], None]]) -> bool:
        """Read `option …` groups in any order, each at most once. True when
        an unknown option was met (its statement's other rules stay quiet)."""
        seen: dict[str, Word] = {}
        unknown = False
        while (arg := args.peek()) is not None:
            if isinstance(arg, Word) and arg.text in handlers:
                args.take()
                if arg.text in seen:
                    self.report(rules.DUPLICATE_OPTION(
                        arg.span, f"`{arg.text}` is given twice",
                        related=[Related(seen[arg.text].span, "first given here")]))
                seen[arg.text] = arg
                handlers[arg.text](arg)
                continue
            args.take()
            name = args.statement.name.text
            if isinstance(arg, Word):
                guess = _suggest(arg.text, handlers)
                self.report(rules.UNKNOWN_OPTION(
                    arg.span, f"`{name}` has no option '{arg.text}'",
                    label=f"did you mean '{guess}'?" if guess else None,
                    help=f"`{name}` takes: " + ", ".join(handlers),
                    fixes=[Fix(arg.span, guess)] if guess else ()))
                unknown = True
                # Its arguments belong to it: skip them up to the next option
                # instead of reporting each one again.
                while (following := args.peek()) is not None and not (
                        isinstance(following, Word) and following.text in handlers):
                    args.take()
            else:
                self.report(rules.EXTRA_ARGUMENT(
                    arg.span, f"unexpected {_describe(arg)} in `{name}`",
                    help=f"`{name}` takes: " + ", ".join(handlers)))
        return unknown

    # --- settings --------------------------------------------------------------------

    def _setting_from(self, statement: Statement, args: _Args) -> None:
        arg = self._expect(args, "a sender", 'from +302101234567, or from "Clinic"')
        self._set("from", self._sender(arg), statement)

    def _setting_to(self, statement: Statement, args: _Args) -> None:
        self._set("to", self._target(args, "a recipient"), statement)

    def _ring(self, arg: Argument | None, conversation: bool) -> int | None:
        seconds = self._duration(arg, "the ring time")
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
            self.report(rules.LONG_DIAL_RING(
                arg.span, f"`ring` of {_seconds_text(seconds)} is over {high} s",
                help=f"networks may stop ringing sooner; {high}s is the documented "
                     "limit for the call itself"))
        return seconds

    def _setting_ring(self, statement: Statement, args: _Args) -> None:
        self._set("ring", self._ring(self._expect(args, "a duration", "ring 30s"), True),
                  statement)

    def _setting_limit(self, statement: Statement, args: _Args) -> None:
        self._set("limit", self._duration(self._expect(args, "a duration", "limit 10m"),
                                          "the call limit"), statement)

    def _setting_notify(self, statement: Statement, args: _Args) -> None:
        self._set("notify", self._notify(args, statement.span), statement)

    def _setting_machine(self, statement: Statement, args: _Args) -> None:
        self._set("machine", self._machine(args, statement.span), statement)

    def _setting_plan(self, statement: Statement, args: _Args) -> None:
        keyword = self._expect(args, "`url` and the plan's URL",
                               'plan url "https://plans.example.com/p.json"')
        if keyword is None:
            return
        if not (isinstance(keyword, Word) and keyword.text == "url"):
            self.report(rules.WRONG_ARGUMENT(
                keyword.span, f"expected `url`, found {_describe(keyword)}",
                help='plan url "https://plans.example.com/p.json"'))
            return
        url = self._url(self._expect(args, "the plan's URL",
                                     'plan url "https://plans.example.com/p.json"'),
                        "the plan URL")
        self._set("plan", url, statement)

    def _voice(self, statement: Statement, args: _Args) -> None:
        language = self._language(self._expect(args, "a language", "voice en-GB female"))
        gender_arg = args.take()
        gender = self._keyword(gender_arg, "a gender (male or female)",
                               {g: g for g in routee.GENDERS}, statement)
        self.voice = _Voice(language, gender, statement.span)

    def _language(self, arg: Argument | None) -> str | None:
        if arg is None:
            return None
        if isinstance(arg, String):
            text = self._text(arg, "a language")
            if text is None or isinstance(text, Unfilled):
                return text
        elif isinstance(arg, Word):
            text = arg.text
        else:
            self.report(rules.WRONG_ARGUMENT(
                arg.span, f"expected a language such as en-GB, found {_describe(arg)}",
                help="Routee's languages: " + " ".join(routee.LANGUAGES)))
            return None
        if text in routee.LANGUAGES:
            return text
        guess = suggest_language(text)
        self.report(rules.UNKNOWN_LANGUAGE(
            arg.span, f"'{text}' is not a language Routee speaks",
            label=f"did you mean '{guess}'?" if guess else None,
            help="Routee's languages: " + " ".join(routee.LANGUAGES),
            fixes=[Fix(arg.span, g) for g in guess.split("' or '")]
            if guess and not getattr(arg, "is_template", False) else ()))
        return None

    # --- verbs -----------------------------------------------------------------------

    def _say(self, statement: Statement, args: _Args) -> None:
        text_arg = self._expect(args, "the text to speak", 'say "Hello."')
        text = self._text(text_arg, "the text to speak", runtime=True) if text_arg else None
        if text is not None:
            unfilled = isinstance(text, Unfilled)
            literal = "".join(p for p in text_arg.parts if isinstance(p, str)) if unfilled \
                else text
            # Unfilled text is judged only on what is certain: its literal part.
            if len(literal) > routee.MAX_TEXT_LENGTH or (not unfilled and not text):
                self.report(rules.TEXT_LENGTH(
                    text_arg.span, f"`say` text must be 1 to {routee.MAX_TEXT_LENGTH} "
                                   f"characters; this one has {len(literal)}",
                    help="split long text over several `say` lines" if literal else
                    "write the text to speak, or remove the line"))
                text = None
        spans: dict[str, Span] = {"text": text_arg.span} if text_arg else {}
        found: dict[str, object] = {}

        def language(option: Word) -> None:
            arg = self._expect(args, "a language", "in en-GB")
            found["language"] = self._language(arg)
            spans["language"] = option.span.to(arg.span) if arg else option.span

        def gender(option: Word) -> None:
            arg = self._expect(args, "a gender", "as female")
            found["gender"] = self._keyword(arg, "male or female",
                                            {g: g for g in routee.GENDERS}, statement)
            spans["gender"] = option.span.to(arg.span) if arg else option.span

        unknown = self._options(args, {"in": language, "as": gender,
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
            self.verbs.append(Say(statement.span, text, found["language"], found.get("gender"),
                                  found.get("repeat"), found.get("interruptible"), spans))

    def _playback_options(self, args: _Args, statement: Statement, found: dict,
                          spans: dict) -> dict[str, Callable[[Word], None]]:
        """`repeat` and `interruptible`, shared by say and play."""

        def repeat(option: Word) -> None:
            found["repeat"] = self._repeat(args, option, statement)
            spans["repeat"] = option.span.to(statement.args[args.index - 1].span)

        def interruptible(option: Word) -> None:
            found["interruptible"] = True
            spans["bargeIn"] = option.span
            self.interruptibles.append(option.span)

        return {"repeat": repeat, "interruptible": interruptible}

    def _play(self, statement: Statement, args: _Args) -> None:
        url_arg = self._expect(args, "the URL of a .wav file",
                               'play "https://cdn.example.com/chime.wav"')
        url = self._url(url_arg, "the audio URL")
        if url is not None:
            path = _url_path(url) if not isinstance(url, Unfilled) else url
            if not isinstance(url, Unfilled) or isinstance(url_arg.parts[-1], str):
                if not path.lower().endswith(".wav"):
                    self.report(rules.NOT_WAV(
                        url_arg.span, "Routee plays .wav files only",
                        help="convert the audio to WAV (e.g. `sox in.mp3 out.wav`) and "
                             "link to that"))
        found: dict[str, object] = {}
        spans: dict[str, Span] = {"fileURL": url_arg.span} if url_arg else {}
        self._options(args, self._playback_options(args, statement, found, spans))
        if url is not None:
            self.verbs.append(Play(statement.span, url, found.get("repeat"),
                                   found.get("interruptible"), spans))

    def _pause(self, statement: Statement, args: _Args) -> None:
        arg = self._expect(args, "a duration", "pause 2s")
        seconds = self._duration(arg, "the pause")
        if seconds is not None:
            self.verbs.append(Pause(statement.span, seconds, {"duration": arg.span}))

    def _collect(self, statement: Statement, args: _Args) -> None:
        self.collects.append(statement)
        found: dict[str, object] = {}
        spans: dict[str, Span] = {}

        def to(option: Word) -> None:
            arg = self._expect(args, "the URL that receives the keys",
                               'collect to "https://hooks.example.com/keys"')
            found["url"] = self._url(arg, "the collect URL")
            spans["eventUrl"] = arg.span if arg else option.span

        def maximum(option: Word) -> None:
            arg = self._expect(args, "a number of digits", "max 4 digits")
            digits = self._integer(arg, "the number of digits")
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

        self._options(args, {"to": to, "max": maximum, "submit": submit})
        if "url" not in found:
            self.report(rules.MISSING_ARGUMENT(
                statement.name.span, "`collect` needs `to URL`, where Routee sends the keys",
                help='collect to "https://hooks.example.com/keys" max 4 digits'))
        if found.get("url"):
            self.verbs.append(Collect(statement.span, found["url"], found.get("max"),
                                      found.get("hash"), spans))

    def _dial(self, statement: Statement, args: _Args) -> None:
        self.dials.append(statement)
        target = self._target(args, "who to dial")
        found: dict[str, object] = {}
        spans: dict[str, Span] = {"to": target.span} if target else {}

        def sender(option: Word) -> None:
            arg = self._expect(args, "a sender", "from +302101234567")
            found["from"] = self._sender(arg)
            spans["from"] = arg.span if arg else option.span

        def ring(option: Word) -> None:
            arg = self._expect(args, "a duration", "ring 20s")
            found["ring"] = self._ring(arg, conversation=False)
            spans["hangupDelay"] = arg.span if arg else option.span

        def limit(option: Word) -> None:
            arg = self._expect(args, "a duration", "limit 5m")
            found["limit"] = self._duration(arg, "the call limit")
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
                arg = self._expect(args, "the URL that receives the recording",
                                   'record mp3 to "https://hooks.example.com/rec"')
                found["record_url"] = self._url(arg, "the recording URL")
                spans["recordingCallbackUrl"] = arg.span if arg else option.span

        def machine(option: Word) -> None:
            found["machine"] = self._machine(args, option.span)
            spans["machineDetection"] = option.span

        self._options(args, {"from": sender, "ring": ring, "limit": limit, "notify": notify,
                             "record": record, "machine": machine})
        if target is None:
            return
        self.verbs.append(_PendingDial(statement, target, found, spans))

    # --- whole-plan rules ----------------------------------------------------------

    def _apply_overrides(self) -> None:
        default = self.overrides.default_sender if "from" not in self.written else None
        for name, statement in (("to", self.overrides.to),
                                ("from", self.overrides.sender or default)):
            if statement is None:
                continue
            args = _Args(statement)
            value = self._target(args, "a recipient") if name == "to" else \
                self._sender(args.take())
            if value is not None:
                self.settings[name] = _Setting(value, statement)
            else:
                self.settings.pop(name, None)
                self.settings[f"{name}-invalid"] = _Setting(None, statement)

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
            self._verb_rules(self.dials, self.collects, self.interruptibles)
        else:
            self.menus.plan_rules()  # the main plan's and every branch's
        self._output_rules()

    def _verb_rules(self, dials: list, collects: list, interruptibles: list) -> None:
        """The rules of one plan's verbs (its dials, collects, and the spans
        of its `interruptible`s)."""
        for extra in dials[1:]:
            self.report(rules.SECOND_DIAL(
                extra.name.span, "a plan can have only one `dial`",
                label="second dial", related=[Related(dials[0].span, "first `dial` is here")],
                help="Routee rejects plans with two DIAL verbs; split the call flow"))
        for extra in collects[1:]:
            self.report(rules.SECOND_COLLECT(
                extra.name.span, "more than one `collect` in a plan",
                related=[Related(collects[0].span, "first `collect` is here")],
                help="tones are gathered during the whole call; one `collect` is the safe rule"))
        if interruptibles and not collects:
            for span in interruptibles:
                self.report(rules.USELESS_INTERRUPTIBLE(
                    span, "`interruptible` without a `collect`: the keys go nowhere",
                    help="add `collect to URL`, or remove `interruptible`"))

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
        for name in sorted(set(self.variables) - self.used_variables):
            self.report(rules.UNUSED_VARIABLE(
                Span("--var", 1, 1, 1, len(name) + 1, 0, len(name)),
                f"--var {name} is not used by any placeholder",
                help="check the spelling against the script's {placeholders}"))

    def _script(self) -> Script:
        sender = self.settings.get("from")
        sender_value = sender.value if sender else None
        verbs = self._finish_verbs(self.verbs, sender_value)
        plans: tuple[Plan, ...] = ()
        if self.menus is None:
            plans = (Plan("main", verbs, self.module.span),) if verbs else ()
        else:
            plans = self.menus.build(verbs, lambda vs: self._finish_verbs(vs, sender_value))
        value = {name: s.value for name, s in self.settings.items()}
        spans = {name: s.statement.span for name, s in self.settings.items()}
        return Script(self.module.span, plans, value.get("from"), value.get("to"),
                      value.get("ring"), value.get("limit"), value.get("notify"),
                      value.get("machine"), value.get("plan"),
                      {{"from": "from", "to": "to", "ring": "hangupDelay",
                        "limit": "maxDuration", "notify": "callback",
                        "machine": "machineDetection", "plan": "dialPlanUrl"}.get(k, k): v
                       for k, v in spans.items()})

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


@dataclass
class _PendingDial:
    """A dial whose `from` may come from the conversation's sender, known
    only once the whole script (and any --from) has been read."""

    statement: Statement
    target: Target
    found: dict
    spans: dict = field(default_factory=dict)


def check(module: Module, *, error_lines: Iterable[int] = (),
          variables: Mapping[str, str] | None = None, overrides: Overrides | None = None,
          plan_only: bool = False) -> tuple[Script, list[Diagnostic]]:
    """Check a parsed module. `variables` switches to compile mode."""
    checker = Checker(module, error_lines=error_lines, variables=variables,
                      overrides=overrides, plan_only=plan_only)
    script = checker.run()
    return script, checker.diagnostics
