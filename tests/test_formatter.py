"""`dialplan fmt`: the canonical style, its golden files, the command line,
and the properties the formatter must keep (hypothesis):

* fmt(fmt(s)) == fmt(s), for programs with comments and blank lines in
  random places, odd spacing, `;`, line continuations, and mistakes;
* compile(fmt(s)) == compile(s): the same payload and the same diagnostic
  codes (the formatter never changes meaning);
* decompile(compile(s)) is a fixed point of fmt (and compiles back to the
  same payload).

Regenerate the golden outputs after an intended change of style with
`DIALPLAN_UPDATE_GOLDEN=1 pytest tests/test_formatter.py` and review the diff.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialplan_compiler import cli, compile_source
from dialplan_compiler.decompiler import decompile
from dialplan_compiler.emitter import to_json
from dialplan_compiler.formatter import duration_text, format_source, format_text, quote
from dialplan_compiler.parser import parse
from dialplan_compiler.routee import LANGUAGES

from helpers import ROOT
EXAMPLES = ROOT / "examples"
GOLDEN = Path(__file__).resolve().parent / "golden_fmt"
INPUTS = sorted(GOLDEN.glob("*.call.in"))
VARIABLES = {"name": "Maria", "phone": "+306912345678"}

PROPERTY = settings(max_examples=1000, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def fmt(text: str) -> str:
    return format_text(text)


def used_variables(text: str) -> dict[str, str]:
    # Only the variables the script uses: an unused --var draws DP309 at
    # line 1 of "--var", which a `# dialplan: ignore` comment on line 1 of
    # the script also silences (config.suppressed does not look at the file).
    return {name: value for name, value in VARIABLES.items() if "{" + name + "}" in text}


def outcome(text: str) -> tuple:
    """What a script means: its payload and the codes of its diagnostics.

    A `# dialplan: ignore` comment silences the warnings of the line it is
    on, and fmt may join a statement written over several lines onto that
    line: with such comments, only errors (which no comment silences) are
    compared."""
    result = compile_source(text, "prop.call", variables=used_variables(text))
    ignoring = "dialplan: ignore" in text
    return result.payload, sorted(d.code for d in result.diagnostics
                                  if d.is_error or not ignoring)


# --- the style, rule by rule -------------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    # one statement per line, single spaces, no indentation at the top level
    ('  say   "Hi"\tin en-GB ;pause 2s\n', 'say "Hi" in en-GB\npause 2s\n'),
    # options in the order of Routee's fields
    ('say "Hi" interruptible repeat 2 as female in en-GB\n',
     'say "Hi" in en-GB as female repeat 2 interruptible\n'),
    ('collect submit on hash max 4 to "https://h.example.com/k"\n',
     'collect to "https://h.example.com/k" max 4 digits submit on hash\n'),
    ('play "https://c.example.com/a.wav" interruptible repeat forever\n',
     'play "https://c.example.com/a.wav" repeat forever interruptible\n'),
    ('dial +302107654321 machine hangup record ring 20s from +302101234567\n',
     'dial +302107654321 from +302101234567 ring 20s record machine hangup\n'),
    # durations in the largest exact units
    ("pause 90s\npause 3600s\npause 60000ms\npause 0h1m0s\npause 45s\n",
     "pause 1m30s\npause 1h\npause 1m\npause 1m\npause 45s\n"),
    ("pause 1500ms\n", "pause 1500ms\n"),      # not whole seconds: an error, kept as written
    # keywords the checker reads in any case, in lower case; counts as numbers
    ('say "Hi" in en-GB as FEMALE repeat 007\nvoice en-GB Male\n',
     'say "Hi" in en-GB as female repeat 7\nvoice en-GB male\n'),
    ('notify "https://h.example.com/s" on Completion\nmachine HANGUP\nsay "x" in en-GB\n',
     'notify "https://h.example.com/s" on completion\nmachine hangup\nsay "x" in en-GB\n'),
    ('dial +302107654321 from +302101234567 record MP3\n',
     'dial +302107654321 from +302101234567 record mp3\n'),
    ('collect to "https://h.example.com/k" max 1\n',
     'collect to "https://h.example.com/k" max 1 digit\n'),
    # strings escaped minimally
    ('say "tab\tquote\\" back\\\\ brace{{ {name} new\\nline é" in en-GB\n',
     'say "tab\\tquote\\" back\\\\ brace{{ {name} new\\nline é" in en-GB\n'),
    # settings sorted, inside their group
    ("ring 30s\nto +306912345678\nfrom +302101234567\n\nlimit 1m\nnotify \"https://h.example.com/s\"\n"
     'say "x" in en-GB\n',
     "from +302101234567\nto +306912345678\nring 30s\n\nlimit 1m\nnotify \"https://h.example.com/s\"\n"
     'say "x" in en-GB\n'),
    # a setting after a verb is an error where it stands: not moved
    ('say "x" in en-GB\nfrom +302101234567\n', 'say "x" in en-GB\nfrom +302101234567\n'),
    # blank lines: at most one, none at the start or the end
    ('\n\n\nsay "a" in en-GB\n\n\n\nsay "b" in en-GB\n\n\n', 'say "a" in en-GB\n\nsay "b" in en-GB\n'),
    # blocks: two-space indentation (the checker rejects them, fmt still lays them out)
    ('say "x" in en-GB {pause 1s;pause 2s}\n', 'say "x" in en-GB {\n  pause 1s\n  pause 2s\n}\n'),
    ('pause 1s { }\n', "pause 1s {}\n"),
    # a statement the checker cannot read keeps its argument order
    ('say "Hi" repaet 2 in en-GB\n', 'say "Hi" repaet 2 in en-GB\n'),
    ('say "Hi" repeat\n', 'say "Hi" repeat\n'),
    ('sya   "Hi"\n', 'sya "Hi"\n'),
    # line endings and the byte-order mark
    ('\ufeffsay "Hi" in en-GB\r\npause 2s\r\n', 'say "Hi" in en-GB\npause 2s\n'),
    ("", ""),
    ("\n\n  \n", ""),
    ("# only a comment   \n", "# only a comment\n"),
])
def test_canonical_style(source, expected):
    assert fmt(source) == expected
    assert fmt(expected) == expected


def test_long_statement_is_broken_before_each_option():
    source = ('dial sip "support@pbx.example.com" from +302101234567 ring 45s limit 1h '
              'notify "https://hooks.example.com/leg" on completion record wav machine hangup\n')
    assert fmt(source) == (
        'dial sip "support@pbx.example.com" \\\n'
        "    from +302101234567 \\\n"
        "    ring 45s \\\n"
        "    limit 1h \\\n"
        '    notify "https://hooks.example.com/leg" on completion \\\n'
        "    record wav \\\n"
        "    machine hangup\n")


def test_a_line_of_exactly_the_width_stays_whole():
    text = "x" * (100 - len('say "" in en-GB'))
    line = f'say "{text}" in en-GB'
    assert len(line) == 100
    assert fmt(line) == line + "\n"
    assert fmt(f'say "{text}x" in en-GB') == f'say "{text}x" \\\n    in en-GB\n'


def test_a_suppression_comment_keeps_its_statement_on_one_line():
    source = ('dial +302107654321 from "Clinic" ring 45s limit 1h notify "https://h.example.com/l" '
              "record wav machine hangup  # dialplan: ignore[DP304]\n")
    assert fmt(source) == source


COMMENTED = """\
# header: stays at the top
ring 30s   # how long it rings
# about the recipient
to +306912345678
from +302101234567
# before the verbs



voice en-GB female   \t
say "Hello."   # greet
say "x" { # opens
  # inside
  pause 1s # in block
  # dangling
}  # after the block
# at the end
"""

COMMENTED_FORMATTED = """\
# header: stays at the top
from +302101234567
# about the recipient
to +306912345678
ring 30s  # how long it rings
# before the verbs

voice en-GB female
say "Hello."  # greet
say "x" {  # opens
  # inside
  pause 1s  # in block
  # dangling
}  # after the block
# at the end
"""


def test_comments_stay_with_their_statements():
    assert fmt(COMMENTED) == COMMENTED_FORMATTED
    assert fmt(COMMENTED_FORMATTED) == COMMENTED_FORMATTED


def test_end_of_line_comment_of_joined_statements_goes_to_the_last():
    assert fmt('pause 1s; pause 2s  # both\n') == "pause 1s\npause 2s  # both\n"


def test_comment_on_a_continued_statement_goes_to_its_last_line():
    source = ('dial +302107654321 \\\n  from +302101234567 \\\n  ring 20s  # rings\n')
    assert fmt(source) == "dial +302107654321 from +302101234567 ring 20s  # rings\n"


def test_duration_text():
    assert [duration_text(s) for s in (0, 1, 59, 60, 90, 3599, 3600, 3661, 5400, 86400)] == \
        ["0s", "1s", "59s", "1m", "1m30s", "59m59s", "1h", "1h1m1s", "1h30m", "24h"]


@pytest.mark.parametrize("text", ['a"b', "a\\b", "{x}", "}{", "tab\there", "line\nnext", "é😀",
                                  "{{", "\\n"])
def test_quote_reads_back_as_the_same_text(text):
    [statement] = parse(f"say {quote(text)}\n").module.statements
    assert statement.args[0].text == text
    assert not statement.args[0].is_template


# --- files that cannot be formatted ----------------------------------------------------------

@pytest.mark.parametrize("source, code, line, column", [
    ('say "Hello in en-GB\n', "DP002", 1, 5),
    ('say "Hi" in en-GB\n}\n', "DP004", 2, 1),
    ('say "a\\qb" in en-GB\n', "DP007", 1, 7),
    ('say "a {b c" in en-GB\n', "DP008", 1, 8),
    (b'say "\xff" in en-GB\n', "DP001", 1, 6),
    (b'say "\x00"\n', "DP001", 1, 6),
])
def test_syntax_errors_leave_the_file_alone(source, code, line, column):
    result = format_source(source, "bad.call")
    assert result.text is None and not result.ok and not result.changed
    assert (result.diagnostics[0].code, result.diagnostics[0].span.line,
            result.diagnostics[0].span.column) == (code, line, column)
    assert result.diagnostics[0].help


def test_format_text_raises_a_value_error_on_syntax_errors():
    with pytest.raises(ValueError, match="1:5"):
        format_text('say "Hello\n')


# --- golden files and examples ---------------------------------------------------------------

@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name.removesuffix(".call.in"))
def test_golden(path: Path):
    source = path.read_text(encoding="utf-8")
    expected_path = path.with_suffix("")           # NAME.call.in → NAME.call
    result = fmt(source)
    if os.environ.get("DIALPLAN_UPDATE_GOLDEN"):
        expected_path.write_text(result, encoding="utf-8")
    assert result == expected_path.read_text(encoding="utf-8")
    assert outcome(result) == outcome(source)
    assert fmt(result) == result


def test_there_are_golden_files():
    assert len(INPUTS) >= 5


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.call")), ids=lambda p: p.stem)
def test_examples_are_in_canonical_style(example: Path):
    text = example.read_text(encoding="utf-8")
    assert fmt(text) == text


# --- the command line ----------------------------------------------------------------------

def run(*args, input=None):
    return CliRunner().invoke(cli.main, [str(a) for a in args], input=input)


UGLY = 'pause 90s;say "Hi"  in en-GB\n'
PRETTY = 'pause 1m30s\nsay "Hi" in en-GB\n'


def test_cli_fmt_check_examples_passes():
    result = run("fmt", "--check", EXAMPLES)
    assert result.exit_code == 0, result.output
    assert "0 files would be reformatted" in result.stderr


def test_cli_fmt_rewrites_files_in_place_keeping_their_mode(tmp_path):
    ugly, pretty = tmp_path / "ugly.call", tmp_path / "pretty.call"
    ugly.write_text(UGLY)
    pretty.write_text(PRETTY)
    ugly.chmod(0o640)
    before = pretty.stat().st_mtime_ns
    result = run("fmt", tmp_path)
    assert result.exit_code == 0, result.output
    assert ugly.read_text() == PRETTY
    assert stat.S_IMODE(ugly.stat().st_mode) == 0o640
    assert pretty.stat().st_mtime_ns == before           # unchanged files are not rewritten
    assert f"reformatted {ugly}" in result.stderr
    assert "1 file reformatted, 1 left unchanged" in result.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_cli_fmt_follows_a_symbolic_link(tmp_path):
    real = tmp_path / "real.call"
    real.write_text(UGLY)
    link = tmp_path / "link.call"
    link.symlink_to(real)
    assert run("fmt", link).exit_code == 0
    assert link.is_symlink() and real.read_text() == PRETTY


def test_cli_fmt_check_lists_files_and_changes_nothing(tmp_path):
    ugly = tmp_path / "ugly.call"
    ugly.write_text(UGLY)
    result = run("fmt", "--check", ugly)
    assert result.exit_code == 1
    assert f"would reformat {ugly}" in result.stderr
    assert ugly.read_text() == UGLY


def test_cli_fmt_diff_prints_a_unified_diff_and_changes_nothing(tmp_path):
    ugly = tmp_path / "ugly.call"
    ugly.write_text(UGLY)
    result = run("fmt", "--diff", ugly)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"--- {ugly}\t(original)", f"+++ {ugly}\t(formatted)", "@@ -1 +1,2 @@",
        '-pause 90s;say "Hi"  in en-GB', "+pause 1m30s", '+say "Hi" in en-GB']
    assert ugly.read_text() == UGLY
    assert run("fmt", "--diff", "--check", ugly).exit_code == 1


def test_cli_fmt_stdin_to_stdout():
    result = run("fmt", "-", input=UGLY)
    assert result.exit_code == 0
    assert result.stdout == PRETTY
    assert result.stderr == ""
    assert run("fmt", "--check", "-", input=UGLY).exit_code == 1
    assert run("fmt", "--check", "-", input=PRETTY).exit_code == 0


def test_cli_fmt_syntax_error_leaves_the_file_and_reports(tmp_path):
    bad = tmp_path / "bad.call"
    bad.write_text('say "Hi" in en-GB\nsay "unclosed\n')
    good = tmp_path / "good.call"
    good.write_text(UGLY)
    result = run("fmt", tmp_path)
    assert result.exit_code == 1
    assert bad.read_text() == 'say "Hi" in en-GB\nsay "unclosed\n'
    assert good.read_text() == PRETTY                 # the other files are still formatted
    assert "error[DP002]: unterminated string" in result.stderr
    assert f"{bad}:2:5" in result.stderr
    assert "help:" in result.stderr
    assert "Traceback" not in result.output


def test_cli_fmt_syntax_error_on_stdin_echoes_the_input():
    result = run("fmt", "-", input='say "unclosed\n')
    assert result.exit_code == 1
    assert result.stdout == 'say "unclosed\n'
    assert "<stdin>:1:5" in result.stderr


def test_cli_fmt_usage_errors():
    assert run("fmt").exit_code == 2
    assert run("fmt", "/no/such/file.call").exit_code == 2


def test_cli_fmt_unwritable_file(tmp_path, monkeypatch):
    ugly = tmp_path / "ugly.call"
    ugly.write_text(UGLY)

    def refuse(source, target):  # as a read-only folder would (root ignores its mode bits)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    result = run("fmt", ugly)
    assert result.exit_code == 2
    assert f"dialplan: cannot write {ugly}: Permission denied" in result.stderr
    assert ugly.read_text() == UGLY
    assert [p.name for p in tmp_path.iterdir()] == ["ugly.call"]   # no temporary file left


def test_cli_fmt_empty_directory(tmp_path):
    result = run("fmt", tmp_path)
    assert result.exit_code == 0
    assert "no .call files found" in result.stderr


# --- generated programs ------------------------------------------------------------------------

PHONES = ("+306912345678", "+302101234567", "+302107654321", "+442079460958", "+14155552671")
URLS = ("https://hooks.example.com/k", "https://h.example.com/a?b=c", "http://x.example.org/p",
        "https://ivr.example.com/r?node={name}")
WAVS = ("https://cdn.example.com/a.wav", "https://cdn.example.com/b.mp3")
TEXT = st.text(st.sampled_from('ab é"\\{}\n\t#;'), min_size=1, max_size=6)
COMMENTS = st.sampled_from(("# c", "#", "# dialplan: ignore", "# dialplan: ignore[DP304]",
                            "#x;y \\", "# é 😀   "))


def q(text: str) -> str:
    return quote(text)


def dur(draw, low: int = 0, high: int = 5400) -> str:
    seconds = draw(st.integers(low, high))
    return draw(st.sampled_from((f"{seconds}s", duration_text(seconds), f"{seconds * 1000}ms",
                                 f"{seconds // 60}m{seconds % 60}s")))


def kw(draw, word: str) -> str:
    return draw(st.sampled_from((word, word, word.upper(), word.title())))


def url(draw, pool=URLS) -> str:
    return q(draw(st.sampled_from(pool)))


def target(draw) -> list[str]:
    kind = draw(st.sampled_from(("phone", "sip", "viber", "quoted", "placeholder")))
    if kind == "phone":
        return [draw(st.sampled_from(PHONES))]
    if kind == "quoted":
        return [q(draw(st.sampled_from(PHONES)))]
    if kind == "placeholder":
        return ['"{phone}"']
    if kind == "sip":
        return ["sip", q(draw(st.sampled_from(("alice@pbx.example.com", "bob@10.0.0.1:5060"))))]
    return ["viber", q(draw(st.sampled_from(("306971234567", "447911123456"))))]


def sender(draw) -> str:
    return draw(st.sampled_from(PHONES + ("306900000000", '"Example Clinic"', '"+302101234567"')))


@st.composite
def statements(draw, setting: bool) -> tuple[str, list[list[str]]]:
    """(name, [leading tokens, option groups…]): a statement, usually valid."""
    if setting:
        name = draw(st.sampled_from(("from", "to", "ring", "limit", "notify", "machine", "plan")))
        if name == "from":
            return name, [[name, sender(draw)]]
        if name == "to":
            return name, [[name] + target(draw)]
        if name in ("ring", "limit"):
            return name, [[name, dur(draw, 1, 60)]]
        if name == "notify":
            on = draw(st.sampled_from(([], ["on", kw(draw, "change")], ["on", kw(draw, "completion")])))
            return name, [[name, url(draw)] + on]
        if name == "machine":
            return name, [[name, kw(draw, "hangup")] if draw(st.booleans()) else
                          [name, kw(draw, "continue"), url(draw)]]
        return name, [[name, "url", url(draw)]]
    name = draw(st.sampled_from(("say", "say", "say", "play", "pause", "collect", "dial", "voice")))
    playback = [["repeat", draw(st.sampled_from(("forever", "0", "2", "03")))], ["interruptible"]]
    if name == "say":
        text = draw(TEXT) if draw(st.integers(0, 5)) else "{name}"
        options = [["in", draw(st.sampled_from(LANGUAGES))], ["as", kw(draw, "female")]] + playback
        head = ["say", q(text) if text != "{name}" else '"{name}"']
    elif name == "play":
        options, head = playback, ["play", url(draw, WAVS)]
    elif name == "pause":
        options, head = [], ["pause", dur(draw, 1)]
    elif name == "collect":
        options = [["to", url(draw)], ["max", str(draw(st.integers(1, 12))),
                                       *draw(st.sampled_from(([], ["digit"], ["digits"])))],
                   ["submit", "on", "hash"]]
        head = ["collect"]
    elif name == "dial":
        options = [["from", sender(draw)], ["ring", dur(draw, 1, 90)], ["limit", dur(draw, 1)],
                   ["notify", url(draw)], ["record", *draw(st.sampled_from(([], ["mp3"], ["WAV"]))),
                                           *draw(st.sampled_from(([], ["to", url(draw)])))],
                   ["machine", kw(draw, "hangup")]]
        head = ["dial"] + target(draw)
    else:
        return name, [["voice", draw(st.sampled_from(LANGUAGES))] +
                      draw(st.sampled_from(([], [kw(draw, "male")], [kw(draw, "female")])))]
    required = [o for o in options if name == "collect" and o[0] == "to"]
    options = [o for o in options if o not in required]
    chosen = required + (draw(st.lists(st.sampled_from(options), unique_by=lambda o: o[0],
                                       max_size=3)) if options else [])
    return name, [head] + chosen


@st.composite
def mistakes(draw) -> tuple[str, list[list[str]]]:
    """Statements the checker rejects; fmt must keep them meaning the same."""
    return "mistake", [draw(st.sampled_from((
        ["sya", '"Hi"'], ["say", '"Hi"', "in", "en-GB", "repaet", "2"], ["say", '"Hi"', "repeat"],
        ["say", '"Hi"', "interruptible", "repeat"], ["pause"], ["pause", "30"], ["pause", "1s", "2s"],
        ["collect", "to"], ["collect", "max", "4", "to"], ["dial"], ["say", '"Hi"', "in", "en-GB", "in", "fr-FR"],
        ["machine", "continue"], ["record"], ["say", '""', "in", "en-gb"], ["pause", "0s"],
        ["collect", "to", '"https://h.example.com/k"', "max", "0", "digits"],
        ["dial", "+302107654321", "machine", "continue", "record"],
        ["say", '"a"', "in", "en-GB", "{", "pause", "1s", "}"],
        ["pause", "1s", "{", "# inside\n", "# more\n", "pause", "2s", "# after\n", "}"],
        ["say", '"b"', "{", "\n", "\n", "}"])))]


@st.composite
def programs(draw, valid: bool = False) -> str:
    """A program: settings then verbs, each written with random spacing,
    option order, `;`, line continuations, comments and blank lines. With
    `valid`, one that compiles (give or take a warning)."""
    if valid:
        settings_ = draw(st.lists(statements(setting=True), unique_by=lambda p: p[0], max_size=4))
        settings_ = [p for p in settings_ if p[0] not in ("from", "plan")]
        verbs = draw(st.lists(statements(setting=False), min_size=1, max_size=5))
        dials = [i for i, p in enumerate(verbs) if p[0] == "dial"]
        verbs = [p for i, p in enumerate(verbs) if i not in dials[1:]]
        parts = [("from", [["from", "+302101234567"]]), ("voice", [["voice", "en-GB"]])] + \
            settings_ + verbs + [("say", [["say", '"Goodbye."']])]
    else:
        parts = draw(st.lists(statements(setting=True), max_size=4)) + \
            draw(st.lists(st.one_of(statements(setting=False), mistakes()), max_size=5))
        if parts and draw(st.integers(0, 6)) == 0:
            parts.append(draw(statements(setting=True)))          # a setting after a verb
    out = []
    for _name, groups in parts:
        head, options = groups[0], draw(st.permutations(groups[1:]))
        tokens = head + [t for o in options for t in o]
        text = draw(st.sampled_from(("", "", "  ", "\t")))
        for i, token in enumerate(tokens):
            if i:
                text += draw(st.sampled_from((" ",) * 6 + ("  ", "\t", " \\\n    ")))
            text += token
        out.append(text)
        commented = draw(st.integers(0, 3)) == 0
        if commented:
            out.append("  " + draw(COMMENTS))
        out.append(draw(st.sampled_from(("\n",) * 6 + ("\n\n", "\n\n\n", "\n  \n") +
                                        (() if commented else ("; ", " ;\n")))))
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(COMMENTS) + "\n" + draw(st.sampled_from(("", "\n"))))
    if draw(st.booleans()):
        out.insert(0, draw(COMMENTS) + "\n")
    return "".join(out)


@PROPERTY
@given(programs())
def test_property_fmt_is_idempotent(source):
    once = format_source(source)
    assert once.text is not None, once.diagnostics
    assert fmt(once.text) == once.text


@PROPERTY
@given(programs())
def test_property_fmt_never_changes_meaning(source):
    assert outcome(fmt(source)) == outcome(source)


@PROPERTY
@given(programs(valid=True))
def test_property_decompile_of_compile_is_a_fixed_point_of_fmt(source):
    result = compile_source(source, "prop.call", variables=used_variables(source))
    payload = result.payload
    assert payload is not None, [(d.code, d.message) for d in result.diagnostics]
    result = decompile(to_json(payload), "prop.json")
    assert result.text is not None
    assert fmt(result.text) == result.text
    assert compile_source(result.text, "back.call").payload == payload


TOKENS = st.sampled_from(['say', ' ', '"x"', '"a b"', '{', '}', '\\\n', '\\', ';', '#c', '\n', '\r\n',
                          '\t', 'pause', '1s', '90s', 'in', 'en-GB', 'from', '+302101234567', 'to',
                          'ring', 'dial', 'record', 'mp3', 'max', '4', 'collect', 'voice', 'female',
                          'repeat', 'interruptible', '"{name}"', '\u2028', '\x0c', '\x85', 'é', '"',
                          'on', '1,', ',', 'star', 'back', 'end', 'menu', 'again'])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TOKENS, max_size=30).map("".join))
def test_property_token_soup_never_raises_and_formats_stably(source):
    result = format_source(source, "soup.call")
    if result.text is None:
        assert result.diagnostics and all(d.code.startswith("DP0") for d in result.diagnostics)
        return
    assert fmt(result.text) == result.text
    assert outcome(result.text) == outcome(source)
