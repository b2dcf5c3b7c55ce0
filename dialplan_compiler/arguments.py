"""Reading a statement's arguments: the cursor that both the checker
(`checker.py`) and the menu checker (`menucheck.py`) read them with.

`ArgumentContext` holds what judging an argument depends on: where problems
are reported, the `--var` values when compiling (and which were used), and
whether the statement is in a menu's branch (where `{digits}` in `say` text
is left for `dialplan serve`). `Arguments` walks one statement's arguments
with it: `expect` the next one, read it as `text`, a `url`, a `duration`, an
`integer` or a `keyword`, read `options` in any order, and report what is
left over with `no_more_args`.
"""

from __future__ import annotations

import re
from .records import replace
from typing import Callable, Mapping

from . import rules, values
from .diagnostics import Diagnostic, Fix, Related
from .model import Deferred, Sourced, Unfilled
from .nodes import Argument, Duration, Integer, Phone, Placeholder, Span, Statement, String, Word

#: The closest of a set of names to a misspelt one (see `values.suggest`).
suggest = values.suggest


def describe(arg: Argument) -> str:
    """An argument as a message names it: a string, the number 3, 'word'."""
    if isinstance(arg, String):
        return "a string"
    if isinstance(arg, Integer):
        return f"the number {arg.text}"
    if isinstance(arg, Duration):
        return f"the duration {arg.text}"
    if isinstance(arg, Phone):
        return f"the phone number {arg.text}"
    return f"'{arg.text}'"


class ArgumentContext:
    """What reading arguments needs from the check they are part of."""

    def __init__(self, report: Callable[[Diagnostic], None],
                 variables: Mapping[str, str] | None = None) -> None:
        self.report = report
        #: The `--var` values (compile mode), or None (check mode).
        self.variables = variables
        self.compiling = variables is not None
        #: The variables a placeholder has used.
        self.used_variables: set[str] = set()
        #: In a menu's branch, `{digits}` in `say` text is left for serve.
        self.in_branch = False
        #: In a script with menus, every placeholder of `say` text is kept
        #: (as `Deferred` text) and filled per plan after lowering: the main
        #: plan's from the call's values, the branches' by `dialplan serve`
        #: from the state sealed in the eventUrl. "required": a value missing
        #: from `variables` is DP215 (a call); "deferred": it comes with each
        #: call (`dialplan serve`, `dialplan build`); None: not such a script.
        self.per_call: str | None = None
        #: The placeholders kept that way, each with where it is first used.
        self.per_call_names: dict[str, Span] = {}
        #: In the choices of an `ask`: the placeholders its answer may fill
        #: (`vars`), which need no value when the call is compiled.
        self.backend_names: frozenset[str] = frozenset()
        #: Strings that are one placeholder filled with a `Sourced` value, by
        #: span: whatever is wrong with such a string is the value's doing.
        self._sourced: dict[Span, tuple[str, Sourced]] = {}

    def blame(self, diagnostic: Diagnostic) -> Diagnostic:
        """`diagnostic` reported where the value it is about came from,
        when that is a string filled whole by a `--var` or a recipients'
        column; else as it is."""
        found = self._sourced.get(diagnostic.span)
        if found is None:
            return diagnostic
        return blamed_on(diagnostic, *found)

    def read(self, statement: Statement) -> "Arguments":
        """A cursor over `statement`'s arguments."""
        return Arguments(statement, self)

    def text(self, arg: Argument, what: str, runtime: bool = False,
             encode: Callable[[str, str], str] | None = None) -> str | None:
        """The value of a string argument, placeholders filled in compile mode.
        With `runtime`, in a menu's branch, `{digits}` is kept (as `Deferred`
        text) for `dialplan serve` to fill with the keys pressed. `encode`
        (value, the text before it) → what the value is written as."""
        if not isinstance(arg, String):
            self.report(rules.WRONG_ARGUMENT(
                arg.span, f"expected {what} in double quotes, found {describe(arg)}",
                help=f'write it as "{getattr(arg, "text", "")}"',
                fixes=[Fix(arg.span, f'"{arg.text}"')]))
            return None
        if not arg.is_template:
            return arg.text
        if not self.compiling:
            return Unfilled(arg.text)
        out, missing = [], False
        kept = runtime and self.per_call is not None
        deferred = kept or runtime and self.in_branch and any(
            p.name == "digits" for p in arg.placeholders)

        def literal(text: str) -> str:
            return text.replace("{", "{{").replace("}", "}}") if deferred else text

        for part in arg.parts:
            if isinstance(part, Placeholder):
                if deferred and part.name == "digits" and self.in_branch:
                    out.append("{digits}")
                    continue
                self.used_variables.add(part.name)
                if kept and part.name in self.backend_names and part.name not in self.variables:
                    out.append("{" + part.name + "}")
                elif kept and (part.name in self.variables or self.per_call == "deferred"):
                    self.per_call_names.setdefault(part.name, part.span)
                    out.append("{" + part.name + "}")
                elif part.name in self.variables:
                    value = self.variables[part.name]
                    out.append(literal(encode(value, "".join(out)) if encode else value))
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
        if len(arg.parts) == 1 and not deferred:
            value = self.variables.get(arg.parts[0].name)
            if isinstance(value, Sourced):
                self._sourced[arg.span] = (arg.parts[0].name, value)
        return Deferred("".join(out)) if deferred else "".join(out)

    def url(self, arg: Argument | None, what: str) -> str | None:
        if arg is None:
            return None
        # A value is percent-encoded for the part of the URL it lands in: a
        # query value cannot add a parameter, a path segment cannot add one.
        url = self.text(arg, what, encode=values.encode_in_url)
        if url is None:
            return None
        judged = url
        if isinstance(url, Unfilled):
            first = arg.parts[0]
            if not isinstance(first, str) or "://" not in first:
                return url  # judged after substitution
            # Judge the shape with each placeholder standing for a plain word.
            judged = "".join(p if isinstance(p, str) else "x" for p in arg.parts)
        problem = values.url_problem(judged)
        if problem:
            diagnostic = rules.BAD_URL(
                arg.span, f"{what} must be an absolute http(s) URL: {problem}",
                help='for example "https://hooks.example.com/routee"')
            culprit = self._culprit(arg) if self.compiling else None
            self.report(blamed_on(diagnostic, *culprit) if culprit else diagnostic)
            return None
        if judged.startswith("http:"):
            values.plain_http(arg.span, what, self.report,
                              fixes=[Fix(arg.span, arg.raw.replace("http:", "https:", 1))])
        return url

    def longest_value(self, arg: String) -> tuple[str, Sourced] | None:
        """The `--var` or column with the longest value among those `arg`
        is filled with: the one to blame when the values make it too long
        (or, all empty, too short)."""
        found = [(len(value), part.name, value) for part in arg.placeholders
                 if isinstance(value := (self.variables or {}).get(part.name), Sourced)]
        if not found:
            return None
        _, name, value = max(found, key=lambda item: item[0])
        return name, value

    def _culprit(self, arg: String) -> tuple[str, Sourced] | None:
        """The `--var` or column whose value alone makes the URL `arg` bad,
        if one does: the URL is fine with every value a plain word, and bad
        with that one value in."""
        def url_with(real: str | None) -> str:
            out: list[str] = []
            for part in arg.parts:
                if isinstance(part, str):
                    out.append(part)
                elif part.name == real:
                    out.append(values.encode_in_url(self.variables[real], "".join(out)))
                else:  # a plain word, or a whole site where the URL begins
                    out.append("x" if "://" in "".join(out) else "https://x.example")
            return "".join(out)

        if values.url_problem(url_with(None)):
            return None  # the script's own text is at fault
        for placeholder in arg.placeholders:
            value = self.variables.get(placeholder.name)
            if isinstance(value, Sourced) and values.url_problem(url_with(placeholder.name)):
                return placeholder.name, value
        return None

    def duration(self, arg: Argument | None, what: str) -> int | None:
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
                arg.span, f"expected a duration for {what}, found {describe(arg)}",
                help=f"write it without quotes: {arg.text}" if quoted else
                "durations are whole numbers with units: 45s, 2m, 1h, 1m30s",
                fixes=[Fix(arg.span, arg.text)] if quoted else ()))
        return None

    def integer(self, arg: Argument | None, what: str) -> int | None:
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
                arg.span, f"expected {what} (a whole number), found {describe(arg)}"))
        return None

    def keyword(self, arg: Argument | None, what: str,
                choices: Mapping[str, str]) -> str | None:
        """A word from `choices` (case-insensitive); returns its mapped value."""
        if arg is None:
            return None
        text = getattr(arg, "text", "")
        if isinstance(arg, Word) and text.lower() in choices:
            return choices[text.lower()]
        guess = suggest(text, choices) if isinstance(arg, Word) else None
        self.report(rules.WRONG_ARGUMENT(
            arg.span, f"expected {what}, found {describe(arg)}",
            label=f"did you mean '{guess}'?" if guess else None,
            help="one of: " + ", ".join(choices),
            fixes=[Fix(arg.span, guess)] if guess else ()))
        return None


class Arguments:
    """A cursor over a statement's arguments."""

    def __init__(self, statement: Statement, context: ArgumentContext) -> None:
        self.statement = statement
        self.context = context
        self.index = 0

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

    def expect(self, what: str, example: str) -> Argument | None:
        arg = self.take()
        if arg is None:
            self.context.report(rules.MISSING_ARGUMENT(
                self.end(), f"`{self.statement.name.text}` needs {what}",
                label=f"expected {what} here", help=f"for example: {example}"))
        return arg

    def options(self, handlers: Mapping[str, Callable[[Word], None]]) -> bool:
        """Read `option …` groups in any order, each at most once. True when
        an unknown option was met (its statement's other rules stay quiet)."""
        seen: dict[str, Word] = {}
        unknown = False
        while (arg := self.peek()) is not None:
            if isinstance(arg, Word) and arg.text in handlers:
                self.take()
                if arg.text in seen:
                    self.context.report(rules.DUPLICATE_OPTION(
                        arg.span, f"`{arg.text}` is given twice",
                        related=[Related(seen[arg.text].span, "first given here")]))
                seen[arg.text] = arg
                handlers[arg.text](arg)
                continue
            self.take()
            name = self.statement.name.text
            if isinstance(arg, Word):
                guess = suggest(arg.text, handlers)
                self.context.report(rules.UNKNOWN_OPTION(
                    arg.span, f"`{name}` has no option '{arg.text}'",
                    label=f"did you mean '{guess}'?" if guess else None,
                    help=f"`{name}` takes: " + ", ".join(handlers),
                    fixes=[Fix(arg.span, guess)] if guess else ()))
                unknown = True
                # Its arguments belong to it: skip them up to the next option
                # instead of reporting each one again.
                while (following := self.peek()) is not None and not (
                        isinstance(following, Word) and following.text in handlers):
                    self.take()
            else:
                self.context.report(rules.EXTRA_ARGUMENT(
                    arg.span, f"unexpected {describe(arg)} in `{name}`",
                    help=f"`{name}` takes: " + ", ".join(handlers)))
        return unknown

    def no_more_args(self) -> None:
        extra = self.take()
        if extra is not None:
            self.context.report(rules.EXTRA_ARGUMENT(
                extra.span, f"unexpected {describe(extra)} in `{self.statement.name.text}`",
                help=f"see `{self.statement.name.text}` in docs/language.md for what it takes"))

    # The value readers of the context, for the arguments of this statement.

    def text(self, arg: Argument, what: str, runtime: bool = False) -> str | None:
        return self.context.text(arg, what, runtime)

    def url(self, arg: Argument | None, what: str) -> str | None:
        return self.context.url(arg, what)

    def duration(self, arg: Argument | None, what: str) -> int | None:
        return self.context.duration(arg, what)

    def integer(self, arg: Argument | None, what: str) -> int | None:
        return self.context.integer(arg, what)

    def keyword(self, arg: Argument | None, what: str,
                choices: Mapping[str, str]) -> str | None:
        return self.context.keyword(arg, what, choices)


def blamed_on(diagnostic: Diagnostic, name: str, value: Sourced) -> Diagnostic:
    """`diagnostic` at the origin of `value` (the value of `{name}`), with
    the script's place where it is used as a secondary label."""
    return replace(diagnostic, span=value.origin, label=f"the value of {{{name}}}",
                   related=(Related(diagnostic.span, f"{{{name}}} is used here"),
                            *diagnostic.related), fixes=())
