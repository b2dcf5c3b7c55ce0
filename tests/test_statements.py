"""The statement table (`dialplan_compiler/statements.py`) and the checker
agree, by behaviour: every statement and every option the table lists is
one `dialplan check` accepts with a valid value, and a misspelt one is
rejected. So the table, which the formatter, the decompiler, `explain`,
the editor and the highlighters read, cannot drift from the language."""

from __future__ import annotations

import pytest

from dialplan_compiler import check_source, checker, statements
from dialplan_compiler.reference import describe, markdown
from dialplan_compiler.statements import STATEMENTS, Slot

#: A valid value for each kind of slot.
SAMPLES = {
    "text": '"Hello."', "url": '"https://hooks.example.com/chime.wav"',
    "sender": "+302101234567", "target": "+302107654321", "duration": "2s", "count": "2",
    "language": "en-GB", "gender": "female", "repeat": "2", "choice": "1", "name": "balance",
}

#: Where a statement of each kind can stand; `{}` is the statement.
MENU = 'menu via "https://ivr.example.com/routee" {{\n  say "Press 1."\n  {}\n}}'
BRANCH = 'menu via "https://ivr.example.com/routee" {{\n  say "Press 1."\n  on 1 {{ {} }}\n}}'
CONTEXT = {
    "setting": 'from +302101234567\n{}\nsay "Hello." in en-GB',
    "verb": "from +302101234567\nvoice en-GB\n{}",
    "directive": 'from +302101234567\n{}\nsay "Hello."',
    "menu": "from +302101234567\nvoice en-GB\n{}",
}
HEAD = "from +302101234567\nvoice en-GB\n"
CONTEXT_OF = {
    "from": '{}\nsay "Hello." in en-GB',
    "plan": "from +302101234567\n{}",
    "on": HEAD + MENU.replace("{}", 'on 2 {{ say "Two." }}\n  {}'),
    "otherwise": HEAD + MENU.replace("{}", 'on 1 {{ say "One." }}\n  {}'),
    "timeout": HEAD + MENU.replace("{}", 'on 1 {{ say "One." }}\n  {}'),
    "again": HEAD + BRANCH,
    "handoff": HEAD + BRANCH,
    "back": HEAD + BRANCH.replace("{}", 'menu {{\n    say "Press 0."\n    on 0 {{ {} }}\n  }}'),
    "end": HEAD + BRANCH,
    "report": HEAD + BRANCH,
    "ask": HEAD + BRANCH,
}
#: What a statement with a block holds.
BLOCKS = {"menu": ' {\n  say "Press 1."\n  on 1 { say "One." }\n}', "on": ' { say "One." }',
          "otherwise": ' { say "Sorry." }', "timeout": ' { say "Goodbye." }',
          "ask": ' {\n  on open { say "Open." }\n  otherwise { say "Sorry." }\n}'}
#: Options a statement cannot go without (the table's default says so).
REQUIRED = {name: [o for o in doc.options if (o.default or "").startswith("required")]
            for name, doc in STATEMENTS.items()}


def written(slots: tuple[Slot, ...], full: bool) -> list[str]:
    """Tokens that fill `slots`: only what is required, or (`full`) every
    optional slot too, each keyword choice as its last word."""
    tokens: list[str] = []
    for slot in slots:
        if slot.optional and not full:
            continue
        if slot.kind == "keyword":
            tokens.append(slot.words[-1] if full else slot.words[0])
            tokens += written(slot.then, full)
        else:
            tokens.append(SAMPLES[slot.kind])
    return tokens


def script(name: str, options=(), full: bool = False, extra: str = "") -> str:
    doc = STATEMENTS[name]
    tokens = [name] + written(doc.takes, full)
    for option in [o for o in REQUIRED[name] if o not in options] + list(options):
        tokens += [option.name] + written(option.takes, full)
    if extra:
        tokens.append(extra)
    statement = " ".join(tokens) + BLOCKS.get(name, "")
    return CONTEXT_OF.get(name, CONTEXT[doc.kind]).format(statement)


def codes(source: str) -> list[str]:
    return [d.code for d in check_source(source).diagnostics if d.is_error]


def test_the_table_has_every_kind():
    assert statements.SETTINGS and statements.VERBS and statements.MENU_STATEMENTS
    assert checker.STATEMENTS + checker.MENU_STATEMENTS == tuple(STATEMENTS)


@pytest.mark.parametrize("full", [False, True], ids=["required", "full"])
@pytest.mark.parametrize("name", list(STATEMENTS))
def test_every_statement_of_the_table_is_accepted(name, full):
    source = script(name, full=full)
    assert codes(source) == [], source


@pytest.mark.parametrize("full", [False, True], ids=["required", "full"])
@pytest.mark.parametrize("name, option", [(name, option.name)
                                          for name, doc in STATEMENTS.items()
                                          for option in doc.options])
def test_every_option_of_the_table_is_accepted(name, option, full):
    source = script(name, [STATEMENTS[name].option(option)], full=full)
    assert codes(source) == [], source


@pytest.mark.parametrize("name, option", [(name, option.name)
                                          for name, doc in STATEMENTS.items()
                                          for option in doc.options])
def test_a_misspelt_option_is_rejected(name, option):
    source = script(name, extra=option + "x")
    assert "DP102" in codes(source), source


@pytest.mark.parametrize("name", list(STATEMENTS))
def test_a_misspelt_statement_is_rejected(name):
    source = "from +302101234567\n" + name + "x" + " " + " ".join(
        written(STATEMENTS[name].takes, False))
    assert "DP101" in codes(source), source


def test_every_verb_of_the_table_has_its_routee_fields():
    for name in statements.VERBS:
        doc = STATEMENTS[name]
        assert doc.verb == name.upper() and doc.fields, name
        for option in doc.options:
            assert option.fields and set(option.fields) <= set(doc.fields), (name, option.name)
    for name in statements.SETTINGS:
        assert STATEMENTS[name].fields, name
        assert set(STATEMENTS[name].fields) <= set(statements.REQUEST_FIELDS), name


@pytest.mark.parametrize("name", list(STATEMENTS))
def test_the_menu_checkers_numbers_are_filled_in_where_shown(name):
    shown = [describe(name), markdown(name)] + [markdown(name, option.name)
                                                for option in STATEMENTS[name].options]
    assert not any("$" in text for text in shown), name
