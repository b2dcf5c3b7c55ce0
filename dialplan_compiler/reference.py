"""What each statement and option of the `.call` language means, as text
for a person.

The facts themselves (syntax, Routee field, range, default, the values a
statement takes) are the table in `statements.py`; this module renders
them: `dialplan explain say` (plain text, `describe`) and the language
server's hover (Markdown, `markdown`). The names of the table are
re-exported here for the editor features that show them.
"""

from __future__ import annotations

import textwrap
from string import Template

from .statements import (DURATION_UNITS, KIND_NAMES, STATEMENTS, VALUES, Option, Slot,
                         StatementDoc)

__all__ = ["DURATION_UNITS", "KIND_NAMES", "STATEMENTS", "VALUES", "Option", "Slot",
           "StatementDoc", "describe", "markdown", "menucheck_defaults"]


def menucheck_defaults() -> dict[str, int]:
    """The menu checker's numbers that the table's texts cite as `$name`,
    read from the module that applies them."""
    from . import menucheck

    return {"wait": menucheck.DEFAULT_WAIT, "tries": menucheck.DEFAULT_TRIES,
            "max_tries": menucheck.MAX_TRIES, "max_digits": menucheck.MAX_DIGITS,
            "handoff_s": menucheck.DEFAULT_HANDOFF_MS // 1000,
            "handoff_budget_s": menucheck.HANDOFF_BUDGET_MS // 1000}


def _filled(text: str) -> str:
    return Template(text).safe_substitute(menucheck_defaults()) if "$" in text else text


def _facts(item: StatementDoc | Option) -> list[tuple[str, str]]:
    facts = [("Routee field", item.field)]
    if item.range:
        facts.append(("range", _filled(item.range)))
    if item.default:
        facts.append(("default", _filled(item.default)))
    return facts


def markdown(name: str, option: str | None = None) -> str:
    """Hover text for a statement, or for one of its options."""
    statement = STATEMENTS[name]
    item: StatementDoc | Option = statement.option(option) if option else statement
    if item is None:
        raise KeyError(f"`{name}` has no option {option!r}")
    title = f"`{item.syntax}`"
    where = f"option of `{name}`" if option else KIND_NAMES[statement.kind]
    lines = [f"**{title}** ({where})", "", item.summary, ""]
    lines += [f"- {label}: {value}" for label, value in _facts(item)]
    if not option and statement.options:
        lines.append("- options: " + ", ".join(f"`{o.syntax}`" for o in statement.options))
    if not option and statement.example:
        lines += ["", "```dialplan", statement.example, "```"]
    return "\n".join(lines)


def describe(name: str, width: int = 79) -> str:
    """A statement and its options as plain text (`dialplan explain say`)."""
    statement = STATEMENTS[name]

    def block(item: StatementDoc | Option, indent: str) -> list[str]:
        out = textwrap.wrap(item.summary, width, initial_indent=indent,
                            subsequent_indent=indent, break_on_hyphens=False)
        for label, value in _facts(item):
            out += textwrap.wrap(f"{label}: {value}", width, initial_indent=indent + "  ",
                                 subsequent_indent=indent + "    ", break_on_hyphens=False)
        return out

    out = textwrap.wrap(f"{statement.syntax}  ({KIND_NAMES[statement.kind]})", width,
                        subsequent_indent="    ", break_on_hyphens=False) + [""]
    out += block(statement, "")
    for option in statement.options:
        out += ["", f"  {option.syntax}"]
        out += block(option, "    ")
    if statement.example:
        out += ["", "Example:"] + ["    " + line for line in statement.example.split("\n")]
    return "\n".join(out) + "\n"
