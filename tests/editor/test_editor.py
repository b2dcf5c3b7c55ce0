"""What the language server builds on, without a server: positions in each
encoding, completion, hover, the outline, quick fixes, and the statement
reference that `dialplan explain` and the hover share."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from dialplan_compiler import checker, check_source, routee
from dialplan_compiler.cli import main
from dialplan_compiler.editor.features import (TextIndex, complete, definition, explanation_markdown,
                                      hover, symbols)
from dialplan_compiler.reference import STATEMENTS, describe, markdown
from dialplan_compiler.rules import RULES

# --- positions --------------------------------------------------------------------------

LINE = 'say "Γειά 😀" in xx-YY'


@pytest.mark.parametrize("encoding, character", [("utf-16", 17), ("utf-8", 23),
                                                 ("utf-32", 16)])
def test_positions_in_each_encoding(encoding, character):
    # docs/output-formats.md: the first x of xx-YY is column 17 (code points),
    # the 18th UTF-16 unit and the 24th byte.
    index = TextIndex(LINE, encoding)
    offset = index.offset(1, 17)
    assert LINE[offset] == "x"
    assert index.position(offset) == (0, character)
    assert index.to_offset(0, character) == offset


def test_line_breaks_the_lsp_way_and_the_checker_way_agree():
    text = "a\r\nb\rc\nd"
    index = TextIndex(text)
    # The checker, like LSP, breaks lines at a lone \r: "c" is line 3, column 1.
    assert text[index.offset(3, 1)] == "c"
    assert index.position(index.offset(3, 1)) == (2, 0)
    assert text[index.offset(4, 1)] == "d"
    assert index.offset(2, 9) == text.index("b") + 1  # clamped to the end of "b"
    assert index.position(text.index("\r")) == (0, 1)  # a \r\n belongs to the break
    assert index.to_offset(0, 99) == 1 and index.to_offset(9, 0) == len(text)
    assert index.end_position() == (3, 1)


def test_a_byte_order_mark_shifts_the_first_line_only():
    text = "\ufeffsay 'x'\nsay"
    index = TextIndex(text)
    assert index.offset(1, 1) == 1 and index.position(1) == (0, 1)
    assert index.offset(2, 1) == text.index("\n") + 1


def test_spans_past_the_end_of_a_line_are_clamped():
    index = TextIndex("pause\nsay")
    assert index.span_offsets(checker.Span("f", 1, 6, 1, 7)) == (5, 5)
    assert index.span_offsets(checker.Span("f", 9, 1, 9, 2)) == (9, 9)


# --- completion ---------------------------------------------------------------------------

def labels(text: str, offset: int | None = None) -> list[str]:
    return [c.label for c in complete(text, len(text) if offset is None else offset)]


@pytest.mark.parametrize("text, expected", [
    ('say "x" in ', list(routee.LANGUAGES)),
    ('say "x" in en-GB as ', ["male", "female"]),
    ('say "x" repeat ', ["forever"]),
    ('say "x"\\\n    in en-GB ', ["as", "repeat", "interruptible"]),
    ('play "https://x/a.wav" ', ["repeat", "interruptible"]),
    ("collect ", ["to", "max", "submit"]),
    ('collect to "https://x" max 4 ', ["digits", "digit", "submit"]),
    ("collect submit ", ["on"]),
    ("collect submit on ", ["hash"]),
    ('notify "https://x" ', ["on"]),
    ('notify "https://x" on ', ["change", "completion"]),
    ("machine ", ["hangup", "continue"]),
    ("plan ", ["url"]),
    ("to ", ["sip", "viber"]),
    ('to sip "a@b" ', []),
    ("pause 2", ["2s", "2m", "2h"]),
    ("limit 1h3", ["1h3m", "1h3s"]),
    ("ring 1m3", ["1m3s"]),
    ("ring 2x", []),
    ('dial +302107654321 ring 20s machine hangup ',
     ["from", "limit", "notify", "record"]),
    ("voice ", list(routee.LANGUAGES)),
    ("sya ", []),
    ('say "in a string ', []),
    ("say # ", []),
    ("menu ", ["via", "wait", "tries", "max"]),
    ('menu via "https://x" wait 8s ', ["tries", "max"]),
    ("on ", ["any", "star", "hash", "machine"]),
    ("on 1, ", ["star", "hash"]),
    ("on 1, 2 ", []),
    ('handoff "https://x" ', ["within"]),
    ('handoff "https://x" within 2', ["2s", "2m", "2h"]),
    ('on 9 { say "x" again ', []),
])
def test_what_completion_offers(text, expected):
    assert labels(text) == expected


def test_menu_statements_where_they_belong():
    top = labels("")
    assert "menu" in top and "on" in top  # `on machine` is a top-level statement
    assert not {"otherwise", "timeout", "again", "handoff", "report", "ask"} & set(top)
    inside = labels('menu via "https://x" {\n  ')
    assert {"on", "otherwise", "timeout", "again", "handoff", "say"} <= set(inside)
    assert "from" not in inside
    # `again` after a statement on the same line starts a statement of its own.
    assert labels('menu via "https://x" {\n  on 9 { say "x" again') == \
        labels('menu via "https://x" {\n  on 9 { again')
    assert "again" in labels('menu via "https://x" {\n  on 9 { again')
    # So do `back` and `end`.
    for word in ("back", "end"):
        assert labels(f'menu via "https://x" {{\n  on 9 {{ say "x" {word}') == \
            labels(f'menu via "https://x" {{\n  on 9 {{ {word}')
        assert word in labels(f'menu via "https://x" {{\n  on 9 {{ {word}')
    assert "back" not in top and "end" in top  # a call may end anywhere; going back needs a menu


def test_statements_at_the_start_of_a_statement():
    everything = [s for s in STATEMENTS
                  if s not in ("otherwise", "timeout", "again", "back", "handoff", "report",
                               "ask")]
    assert labels("") == everything
    assert labels("sa") == everything  # the editor filters by what is typed
    assert labels('ring 30s; ') == [s for s in everything if s != "ring"]
    after_verb = labels('say "Hi." in en-GB\n')
    assert "from" not in after_verb and "say" in after_verb and "voice" in after_verb
    item = complete("from +302101234567\nri", 21)[0]
    assert (item.start, item.end) == (19, 21)


def test_completion_replaces_the_word_being_typed():
    text = 'say "x" in en-'
    item = next(c for c in complete(text, len(text)) if c.label == "en-GB")
    assert (item.start, item.end, item.insert) == (11, 14, "en-GB")


# --- hover and outline ----------------------------------------------------------------------

def test_hover_on_statements_and_options():
    text = '\ufeffring 30s\nsay "x" in en-GB repeat 2\n'
    found = hover(text, 2)
    assert found is not None and "hangupDelay" in found[0] and found[1:] == (1, 5)
    repeat = hover(text, text.index("repeat") + 1)
    assert "Routee field: repeat" in repeat[0] and "`repeat N | repeat forever`" in repeat[0]
    assert hover(text, text.index("en-GB")) is None
    assert hover("sya", 1) is None


def test_hover_on_back_end_and_a_list_of_keys():
    text = ('menu via "https://x.example.com/r" {\n  say "Press 1 or 2." in en-GB\n'
            '  on 1, 2 {\n    menu {\n      say "Press 0." in en-GB\n'
            '      on 0 { say "Back." in en-GB  back }\n'
            '      otherwise { say "Bye." in en-GB  end }\n    }\n  }\n}\n')
    back = hover(text, text.index("back") + 1)
    assert back is not None and "Goes back to the parent menu" in back[0]
    assert back[1:] == (text.index("back"), text.index("back") + 4)
    end = hover(text, text.index("end") + 1)
    assert end is not None and "Ends the call here" in end[0]
    on = hover(text, text.index("on 1, 2") + 1)
    assert on is not None and "`on 1, 2` answers both with one branch" in on[0]
    via = hover(text, text.index("via") + 1)
    assert "the `via` of the menu whose branch asks it" in via[0]


def test_every_rule_has_a_hover_explanation():
    for code in RULES:
        text = explanation_markdown(code)
        assert text and f"**{code}**" in text and f"dialplan explain {code}" in text


CLINIC = """menu via "https://ivr.example.com/routee" {
  say "Press 1, or 9 to hear this again."
  on 1 {
    menu via "https://ivr.example.com/routee" {
      on any 4 digits { say "Thanks." }
      otherwise { say "Not valid."  again }
    }
    again
  }
  on 9 { again }
  timeout { again }
}
again
"""


def test_back_goes_to_the_parent_menu():
    text = ('menu via "https://x.example.com/r" {\n  say "Press 1." in en-GB\n  on 1 {\n'
            '    menu {\n      say "Press 0." in en-GB\n      on 0 { back }\n    }\n  }\n'
            '  on 2 { back }\n}\n')
    outer = text.index("menu")
    assert definition(text, text.index("back }\n    }") + 1) == (outer, outer + 4)
    assert definition(text, text.rindex("back")) is None  # no parent: misplaced


def test_again_goes_to_the_menu_it_asks_again():
    outer = CLINIC.index("menu")
    inner = CLINIC.index("menu", outer + 1)
    expected = {
        CLINIC.index("again }\n    }"): inner,     # in the nested menu's `otherwise`
        CLINIC.index("again\n  }"): outer,         # in `on 1`, after the nested menu
        CLINIC.index("again }\n  timeout"): outer,  # in `on 9`
    }
    for at, menu in expected.items():
        assert definition(CLINIC, at + 2) == (menu, menu + 4), at
    assert definition(CLINIC, CLINIC.index("again }\n}")) is None  # in `timeout`: misplaced
    assert definition(CLINIC, CLINIC.rindex("again")) is None      # outside any menu
    assert definition(CLINIC, CLINIC.index("say")) is None
    bom = "\ufeff" + CLINIC
    assert definition(bom, bom.index("again }\n  timeout") + 1) == (outer + 1, outer + 5)


def test_symbols_nest_blocks_and_survive_errors():
    found = symbols('from +302101234567\nsay "x" {\n  pause 1s\n}\nsya "oops"\n')
    assert [(s.name, s.kind) for s in found] == [("from", "setting"), ("say", "verb"),
                                                 ("sya", "unknown")]
    assert [c.name for c in found[1].children] == ["pause"]


# --- quick fixes -------------------------------------------------------------------------------

@pytest.mark.parametrize("source, code, fixed", [
    ('sya "x" in en-GB', "DP101", ['say "x" in en-GB']),
    ('say "x" in en-gb', "DP204", ['say "x" in en-GB']),
    ('say "x" in "en_GB"', "DP204", ['say "x" in en-GB']),
    ('say "x" in en', "DP204", ['say "x" in en-US', 'say "x" in en-GB']),
    ('say "x" inn en-GB', "DP102", ['say "x" in en-GB']),
    ('say "x" in en-GB as femal', "DP104", ['say "x" in en-GB as female']),
    ('say "x" in en-GB repeat -1', "DP219", ['say "x" in en-GB repeat forever']),
    ('ring 30\nsay "x" in en-GB', "DP105", ['ring 30s\nsay "x" in en-GB',
                                           'ring 30m\nsay "x" in en-GB']),
    ('ring "30s"\nsay "x" in en-GB', "DP104", ['ring 30s\nsay "x" in en-GB']),
    ("pause 1500ms", "DP209", ["pause 1s", "pause 2s"]),
    ("pause 500ms", "DP209", ["pause 1s"]),
    ('play https://cdn.example.com/a.wav', "DP104", ['play "https://cdn.example.com/a.wav"']),
    ('play "http://cdn.example.com/a.wav"', "DP303", ['play "https://cdn.example.com/a.wav"']),
    ('notify "https://x.example.com" on chnage\nsay "x" in en-GB', "DP104",
     ['notify "https://x.example.com" on change\nsay "x" in en-GB']),
    ('from +302101234567\ndial "alice@example.com"', "DP211",
     ['from +302101234567\ndial sip "alice@example.com"']),
    ('from +302101234567\ndial viber "+30 697 123 4567"', "DP212",
     ['from +302101234567\ndial viber "306971234567"']),
    ('from Clinic\nsay "x" in en-GB', "DP104", ['from "Clinic"\nsay "x" in en-GB']),
])
def test_quick_fixes_fix_what_they_are_for(source, code, fixed):
    found = [d for d in check_source(source).diagnostics if d.code == code]
    assert len(found) == 1, found
    results = []
    for fix in found[0].fixes:
        index = TextIndex(source)
        start, end = index.span_offsets(fix.span)
        results.append(source[:start] + fix.replacement + source[end:])
    assert results == fixed
    for result in results:
        codes = [d.code for d in check_source(result).diagnostics if d.is_error]
        assert code not in codes, (result, codes)


def test_every_did_you_mean_has_a_fix():
    sources = ['sya "x"', 'say "x" inn en-GB', 'say "x" in en-gb as femal', 'machine hangp',
               'notify "https://x.example.com" on chnage', 'say "x" in fr']
    for source in sources:
        for diagnostic in check_source(source).diagnostics:
            if diagnostic.label and diagnostic.label.startswith("did you mean"):
                assert diagnostic.fixes, diagnostic
                for fix in diagnostic.fixes:
                    assert f"'{fix.replacement}'" in diagnostic.label


# --- the reference, shared with `dialplan explain` ------------------------------------------

def test_the_reference_lists_exactly_the_checkers_statements():
    known = set(checker.STATEMENTS) | set(checker.MENU_STATEMENTS)
    assert list(STATEMENTS) != [] and set(STATEMENTS) == known, \
        "dialplan_compiler/reference.py must describe every statement the checker knows, " \
        "and no other: the hover, the completion, `dialplan explain` and the highlighters " \
        "read it (then run: python editors/vscode/syntaxes/generate.py)"
    for name, doc in STATEMENTS.items():
        kind = "setting" if name in checker.SETTINGS else \
            "verb" if name in checker.VERBS else \
            "menu" if name in checker.MENU_STATEMENTS else "directive"
        assert doc.kind == kind, name


@pytest.mark.parametrize("name, prefix", [
    ("say", 'say "x" in en-GB'), ("play", 'play "https://x.example.com/a.wav"'),
    ("collect", "collect"), ("dial", "dial +302107654321"),
    ("menu", 'menu via "https://ivr.example.com/routee"'),
])
def test_the_reference_lists_exactly_the_checkers_options(name, prefix):
    help_text = next(d.help for d in check_source(prefix + " zzzz").diagnostics
                     if d.code == "DP102")
    accepted = re.fullmatch(rf"`{name}` takes: (.*)", help_text).group(1).split(", ")
    assert [o.name for o in STATEMENTS[name].options] == accepted


def test_statements_without_options_have_none_listed():
    for name, doc in STATEMENTS.items():
        if name not in ("say", "play", "collect", "dial", "menu"):
            assert doc.options == (), name


#: Where each menu statement's example can stand: `{}` is the example.
_MENU_CONTEXT = {
    "on": 'menu via "https://ivr.example.com/routee" {{\n  say "Press 1."\n  {}\n}}',
    "otherwise": 'menu via "https://ivr.example.com/routee" {{\n  say "Press 1."\n'
                 '  on 1 {{ say "One." }}\n  {}\n}}',
    "timeout": 'menu via "https://ivr.example.com/routee" {{\n  say "Press 1."\n'
               '  on 1 {{ say "One." }}\n  {}\n}}',
    "again": 'menu via "https://ivr.example.com/routee" {{\n  say "Press 1."\n'
             '  on 9 {{ {} }}\n}}',
    "handoff": 'menu via "https://ivr.example.com/routee" {{\n  say "Press 1."\n'
               '  on 1 {{ {} }}\n}}',
    "back": 'menu via "https://ivr.example.com/routee" {{\n  say "Press 1."\n'
            '  on 1 {{\n    menu {{\n      say "Press 0 to go back."\n'
            '      on 0 {{ {} }}\n    }}\n  }}\n}}',
    "end": 'menu via "https://ivr.example.com/routee" {{\n  say "Press 1."\n'
           '  on 1 {{ say "One." }}\n  {}\n}}',
    "report": 'menu via "https://ivr.example.com/routee" {{\n  say "Press 1."\n'
              '  on 1 {{ {} }}\n}}',
    "ask": 'menu via "https://ivr.example.com/routee" {{\n  say "Press 1."\n'
           '  on 1 {{\n{}\n}}\n}}',
}


@pytest.mark.parametrize("name", list(STATEMENTS))
def test_reference_examples_check_cleanly(name):
    doc = STATEMENTS[name]
    source = _MENU_CONTEXT.get(name, "{}").format(doc.example)
    if name != "from":
        source = "from +302101234567\nvoice en-GB\n" + source
    if name != "plan" and doc.kind in ("setting", "directive"):
        source += '\nsay "Hello." in en-GB'
    errors = [d for d in check_source(source).diagnostics if d.is_error]
    assert errors == [], source


@pytest.mark.parametrize("name", list(STATEMENTS))
def test_explain_prints_the_reference(name):
    done = CliRunner().invoke(main, ["explain", name])
    assert done.exit_code == 0
    assert done.output == describe(name)
    doc = STATEMENTS[name]
    assert doc.field in " ".join(done.output.split())
    for option in doc.options:
        assert option.field in markdown(name, option.name)
        assert option.syntax in done.output


# --- `dialplan lsp` and start-up ---------------------------------------------------------------

def _run(code: str, *args: str):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=60)


def test_checking_never_imports_the_language_server():
    done = _run("import sys\nfrom dialplan_compiler.cli import main\n"
                "from dialplan_compiler import check_source\n"
                "check_source('say \"x\" in en-gb')\n"
                "bad = [m for m in sys.modules if m.split('.')[0] in "
                "('pygls', 'lsprotocol', 'pygments') or m in ('dialplan_compiler.editor.lsp', "
                "'dialplan_compiler.editor.features', 'dialplan_compiler.reference')]\n"
                "print(bad)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_dialplan_lsp_without_pygls_says_how_to_install_it():
    done = _run("import sys\nsys.modules['pygls'] = None\n"
                "from dialplan_compiler.cli import main\nmain()", "lsp")
    assert done.returncode == 2
    assert "pip install '.[lsp]' in a clone of dialplan" in done.stderr
    assert "Traceback" not in done.stderr
