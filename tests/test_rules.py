"""Every rule in `rules.RULES` has a trigger: a source that produces it, and
the line and column it is reported at. A new rule without an entry in
TRIGGERS fails `test_every_rule_has_a_trigger`."""

from __future__ import annotations

import pytest

from dialplan_compiler import check_source, compile_source
from dialplan_compiler.schemas import schema_diagnostics
from dialplan_compiler.config import ConfigError, load_config
from dialplan_compiler.diagnostics import Severity
from dialplan_compiler.emitter import Emitted
from dialplan_compiler.nodes import Span
from dialplan_compiler.rules import RULES, all_rules
from dialplan_compiler.validator import validate_json

SAY = 'say "Hi" in en-GB\n'
FROM = "from +302101234567\n"
TO = "to +306912345678\n"
URL = '"https://h.example.com/k"'

#: The start of a menu, for the menu rules.
MENU = 'voice en-GB\nmenu via "https://h.example.com/r" {\n  say "Press 1."\n'

CHECK = ("check", {})
#: DP010 and DP220 come from `dialplan validate`, which reads JSON payloads.
JSON = ("json", {})


def compiled(**options):
    return ("compile", options)


COMPILE = compiled()

#: DP901 is the schema safety net: if the checker is right, no source can
#: reach it through check_source/compile_source. It is triggered here by
#: handing `schema_diagnostics` an `Emitted` built by hand, whose payload
#: breaks the schema (a PAUSE of 0 s) and whose source map points that field
#: at line 3, column 7.
SCHEMA = ("schema", {})
BROKEN_PLAN = Emitted(
    {"verbs": [{"type": "PAUSE", "duration": 0}]},
    source_map={("verbs", 0, "duration"): Span("hand.call", 3, 7, 3, 9, 30, 32)},
)

#: DP011 is about the configuration file, not a script: its "source" is the
#: text of a .dialplan.toml, read with `config.load_config`, which raises a
#: ConfigError carrying the diagnostic.
CONFIG = ("config", {})

#: DP401 is about a JSON payload given to `decompiler.decompile`.
DECOMPILE = ("decompile", {})

TRIGGERS: dict[str, tuple[object, tuple[str, dict], int, int]] = {
    # DP0xx
    "DP001": (b'say "\xff" in en-GB\n', CHECK, 1, 6),
    "DP002": ('say "Hello in en-GB\n', CHECK, 1, 5),
    "DP003": (SAY + "say \x01\n", CHECK, 2, 5),
    "DP004": (SAY + "}\n", CHECK, 2, 1),
    "DP005": ('say "Hi" in en-GB {\n', CHECK, 1, 19),
    "DP006": (SAY + '"Hello" in en-GB\n', CHECK, 2, 1),
    "DP007": ('say "a\\qb" in en-GB\n', CHECK, 1, 7),
    "DP008": ('say "a {b c" in en-GB\n', CHECK, 1, 8),
    "DP009": (SAY + "\x01\n" * 60, CHECK, 52, 1),
    "DP010": ('{"verbs": [\n  {"type": "PAUSE", "duration": 1},\n]}\n', JSON, 2, 35),
    "DP011": ('select = ["DP3"]\n  max-errors = "ten"\n', CONFIG, 2, 3),
    #: 51 blocks one inside the other: the 51st '{' is too deep.
    "DP012": (SAY + "on 1 {\n" * 50 + "  on 2 {\n" + "}\n" * 51, CHECK, 52, 8),
    # DP1xx
    "DP101": ('sya "Hi"\n' + SAY, CHECK, 1, 1),
    "DP102": ('say "Hi" in en-GB repaet 2\n', CHECK, 1, 19),
    "DP103": ("pause\n", CHECK, 1, 6),
    "DP104": ("say 42 in en-GB\n", CHECK, 1, 5),
    "DP105": ("ring 30\n" + SAY, CHECK, 1, 6),
    "DP106": (f"collect to {URL} max 4.5 digits\n", CHECK, 1, 42),
    "DP107": ('collect to "ftp://h.example.com/k"\n', CHECK, 1, 12),
    "DP108": ('say "Hi" in en-GB in en-US\n', CHECK, 1, 19),
    "DP109": ("pause 1s 2s\n", CHECK, 1, 10),
    "DP110": ("pause 1s { }\n", CHECK, 1, 10),
    "DP111": (SAY + "again\n", CHECK, 2, 1),
    # DP2xx
    "DP201": ("ring 30s\nring 20s\n" + SAY, CHECK, 2, 1),
    "DP202": (SAY + "ring 30s\n", CHECK, 2, 1),
    "DP203": ('plan url "https://p.example.com/p.json"\n' + SAY, CHECK, 2, 1),
    "DP204": ('say "Hi" in en-gb\n', CHECK, 1, 13),
    "DP205": ('say "Hi"\n', CHECK, 1, 1),
    "DP206": ("dial +302107654321 from +302101234567\n"
              "dial +302107654321 from +302101234567\n", CHECK, 2, 1),
    "DP207": ('say "' + "a" * 1001 + '" in en-GB\n', CHECK, 1, 5),
    "DP208": ("ring 61s\n" + SAY, CHECK, 1, 6),
    "DP209": ("pause 1500ms\n", CHECK, 1, 7),
    "DP210": (f"collect to {URL} max 0 digits\n", CHECK, 1, 42),
    "DP211": ("to +3021\n" + FROM + SAY, CHECK, 1, 4),
    "DP212": ('to viber "+306971234567"\n' + FROM + SAY, CHECK, 1, 10),
    "DP213": ('to sip "alice"\n' + FROM + SAY, CHECK, 1, 8),
    "DP214": ("machine continue\n" + SAY, CHECK, 1, 9),
    "DP215": ('say "Hi {name}" in en-GB\n', COMPILE, 1, 9),
    "DP216": (TO + SAY, COMPILE, 1, 1),
    "DP217": ("from 12345678901234567\n" + SAY, CHECK, 1, 6),
    "DP218": ('plan url "https://p.example.com/p.json"\n', COMPILE, 1, 1),
    "DP219": ('say "Hi" in en-GB repeat -1\n', CHECK, 1, 26),
    "DP221": (MENU + '  on 1 { say "A." }\n  on 1 { say "B." }\n}\n', CHECK, 5, 6),
    "DP222": ('voice en-GB\nmenu via "https://h.example.com/r" max 3 digits {\n'
              '  on any 4 digits { say "A." }\n}\n', CHECK, 3, 6),
    "DP223": (MENU + '  on 12 { say "A." }\n  on hash { say "B." }\n}\n', CHECK, 5, 6),
    "DP224": ('voice en-GB\nmenu {\n  on 1 { say "A." }\n}\n', CHECK, 2, 1),
    "DP225": ('voice en-GB\nmenu via "https://h.example.com/r" tries forever {\n'
              '  on 1 { say "A." }\n}\n', CHECK, 2, 36),
    "DP226": (MENU + '  on 1 { handoff "https://c.example.com/h" within 3s }\n}\n',
              CHECK, 4, 44),
    #: DP227 needs DIALPLAN_SIGNING_SECRET unset, as conftest.py keeps it in tests.
    "DP227": (MENU + '  on 1 { say "A." }\n}\n', COMPILE, 2, 10),
    "DP230": (MENU + '  on 1 { say "A {note}." }\n}\n',
              compiled(variables={"note": "n" * 1600}, signing_secret="a-secret-for-the-trigger"),
              2, 10),
    # DP3xx
    "DP301": (FROM + "to +15555550100\n" + SAY, CHECK, 2, 4),
    "DP302": ('play "https://c.example.com/a.mp3"\n', CHECK, 1, 6),
    "DP303": ('play "http://c.example.com/a.wav"\n', CHECK, 1, 6),
    "DP304": ('from "Clinic"\n' + TO + SAY, CHECK, 1, 6),
    "DP305": (f"collect to {URL}\ncollect to {URL}\n", CHECK, 2, 1),
    "DP306": ('say "a" in en-GB repeat forever\npause 1s\n', CHECK, 2, 1),
    "DP307": ('say "a" in en-GB interruptible\n', CHECK, 1, 18),
    "DP308": ("dial +302107654321 from +302101234567 ring 90s\n", CHECK, 1, 44),
    "DP309": (SAY, compiled(variables={"unused": "x"}), 1, 1),
    "DP310": ("ring 30s\n" + SAY, COMPILE, 1, 1),
    #: 30 s of pause, then a dial of up to 20 s of ringing and 2 minutes: past 1 minute.
    "DP313": (FROM + TO + "limit 1m\npause 30s\ndial +302101111111 ring 20s limit 2m\n", CHECK,
              5, 1),
    #: 3 tries × (0.43 s of "Press 1." + 8 s of wait) = 25.3 s, past 20 s.
    "DP314": (FROM + TO + "limit 20s\n" + MENU.replace("{", "wait 8s tries 3 {")
              + '  on 1 { say "A." }\n}\n', CHECK, 5, 1),
    "DP311": ('on machine { say "Hi" in en-GB }\n' + SAY, CHECK, 1, 1),
    "DP312": (MENU + '  on 1 { say "A." }\n}\nsay "Bye."\n', CHECK, 6, 1),
    "DP320": (MENU + '  on 1 { say "A." }\n  otherwise { say "B." again }\n}\n', CHECK, 2, 1),
    "DP321": (MENU + '  on 1 { say "A." }\n  timeout { say "C." }\n}\n', CHECK, 2, 1),
    "DP322": (MENU + '  on 1 { say "A." }\n  otherwise { again }\n  timeout { }\n}\n', CHECK,
              5, 15),
    #: Four menus, each in `on 1` of the one before: the dial is the fourth answer.
    "DP323": (FROM + "voice en-GB\n" + 'menu via "https://h.example.com/r" { on 1 {\n' * 4
              + "dial +302101111111\n" + "} }\n" * 4, CHECK, 7, 1),
    #: 41 characters of en-GB at 18.5 a second: 2.2 s, against a wait of 1 s.
    "DP324": ('voice en-GB\nmenu via "https://h.example.com/r" wait 1s {\n'
              '  say "For sales press 1. For support press 2."\n  on 1 { say "A." }\n}\n',
              CHECK, 3, 7),
    "DP330": (SAY.rstrip("\n") + "  # dialplan: ignore[DP399]\n", CHECK, 1, 39),
    "DP220": ('{"verbs": [\n  {"type": "PAUSE", "length": 1}\n]}\n', JSON, 2, 21),
    # DP4xx: JSON given to `dialplan decompile`
    "DP401": ('{"verbs": [\n  {"type": "PAUSE", "duration": 2, "unit": "s"}\n]}\n', DECOMPILE,
              2, 36),
    # DP9xx
    "DP901": (BROKEN_PLAN, SCHEMA, 3, 7),
}


def produce(source, mode, tmp_path) -> list:
    kind, options = mode
    if kind == "config":
        path = tmp_path / ".dialplan.toml"
        path.write_text(source, encoding="utf-8")
        try:
            load_config(path)
        except ConfigError as error:
            return [error.diagnostic]
        return []
    if kind == "check":
        return check_source(source, "test.call").diagnostics
    if kind == "json":
        return list(validate_json(source, "test.json").diagnostics)
    if kind == "compile":
        return compile_source(source, "test.call", **options).diagnostics
    if kind == "decompile":
        from dialplan_compiler.decompiler import decompile

        return decompile(source, "test.json").diagnostics
    assert kind == "schema"
    return schema_diagnostics(source, Span("hand.call", 1, 1, 1, 2))


def test_every_rule_has_a_trigger():
    assert set(TRIGGERS) == set(RULES)


@pytest.mark.parametrize("code", sorted(TRIGGERS))
def test_rule_is_triggered_at_its_position(code, tmp_path):
    source, mode, line, column = TRIGGERS[code]
    diagnostics = produce(source, mode, tmp_path)
    found = [(d.code, d.span.line, d.span.column) for d in diagnostics]
    assert (code, line, column) in found, found
    for d in diagnostics:
        if d.code == code:
            assert d.severity is RULES[code].severity
            assert d.message


def test_diagnostic_codes_come_from_the_table(tmp_path):
    for code, (source, mode, _, _) in TRIGGERS.items():
        for d in produce(source, mode, tmp_path):
            assert d.code in RULES, (code, d.code)


# --- the table of rules itself -----------------------------------------------------------

def test_codes_are_well_formed_and_sorted():
    codes = [rule.code for rule in all_rules()]
    assert codes == sorted(RULES)
    for rule in all_rules():
        assert len(rule.code) == 5 and rule.code.startswith("DP") and rule.code[2:].isdigit()
        assert rule.name and rule.summary


def test_warnings_are_exactly_the_dp3xx_family():
    for rule in all_rules():
        expected = Severity.WARNING if rule.code.startswith("DP3") else Severity.ERROR
        assert rule.severity is expected, rule.code


def test_rule_names_are_unique():
    names = [rule.name for rule in all_rules()]
    assert len(names) == len(set(names))


def test_a_rule_builds_its_diagnostic():
    span = Span("x.call", 4, 2, 4, 5)
    d = RULES["DP101"](span, "unknown statement 'sya'", label="did you mean 'say'?", help="h")
    assert (d.code, d.span.line, d.span.column, d.severity) == ("DP101", 4, 2, Severity.ERROR)
    assert (d.label, d.help, d.related) == ("did you mean 'say'?", "h", ())


# --- DP901 in detail -------------------------------------------------------------------------

def test_schema_error_falls_back_to_the_script_span():
    fallback = Span("hand.call", 1, 1, 9, 1)
    emitted = Emitted({"verbs": [{"type": "PAUSE", "duration": 0}]})
    found = [(d.code, d.span.line, d.span.column) for d in schema_diagnostics(emitted, fallback)]
    assert found == [("DP901", 1, 1)]


def test_schema_error_uses_the_closest_enclosing_span():
    emitted = Emitted({"verbs": [{"type": "SAY", "message": {"text": "", "language": "en-GB"}}]},
                      source_map={("verbs", 0): Span("hand.call", 5, 3, 5, 20)})
    [d] = schema_diagnostics(emitted, Span("hand.call", 1, 1, 1, 2))
    assert (d.code, d.span.line, d.span.column) == ("DP901", 5, 3)
    assert "/verbs/0/message/text" in d.message


def test_schema_errors_in_unfilled_values_are_skipped():
    emitted = Emitted({"verbs": [{"type": "PLAY", "fileURL": "{url}"}]},
                      unfilled={("verbs", 0, "fileURL")})
    assert schema_diagnostics(emitted, Span("hand.call", 1, 1, 1, 2)) == []


def test_valid_payload_has_no_schema_error():
    emitted = Emitted({"verbs": [{"type": "PAUSE", "duration": 1}]})
    assert schema_diagnostics(emitted, Span("hand.call", 1, 1, 1, 2)) == []
