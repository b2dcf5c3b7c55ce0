"""Every rule the checker enforces, each with a stable code.

Codes never change meaning once released. The families:

* DP0xx: the file cannot be read or parsed;
* DP1xx: statements and their arguments are not what the language accepts;
* DP2xx: the script is well-formed but breaks one of Routee's rules;
* DP3xx: warnings: it will compile, but probably not do what you want;
* DP4xx: `dialplan decompile`: the JSON holds something the language cannot write;
* DP9xx: the compiled payload failed schema validation (a safety net that
  should never fire; if it does, the checker is missing a rule).
"""

from __future__ import annotations

from .records import record
from typing import Iterable

from .diagnostics import Diagnostic, Fix, Related, Severity
from .nodes import Span


@record
class Rule:
    code: str
    severity: Severity
    name: str
    summary: str

    def __call__(self, span: Span, message: str, *, label: str | None = None,
                 help: str | None = None, related: Iterable[Related] = (),
                 fixes: Iterable[Fix] = ()) -> Diagnostic:
        return Diagnostic(self.code, self.severity, message, span, label, help, tuple(related),
                          tuple(fixes))


RULES: dict[str, Rule] = {}


def _rule(code: str, severity: Severity, name: str, summary: str) -> Rule:
    rule = Rule(code, severity, name, summary)
    assert code not in RULES, code
    RULES[code] = rule
    return rule


E, W = Severity.ERROR, Severity.WARNING

# DP0xx: reading and parsing
UNREADABLE = _rule("DP001", E, "unreadable-file", "the file is not UTF-8 text")
UNTERMINATED_STRING = _rule("DP002", E, "unterminated-string", "a string is not closed on its line")
UNEXPECTED_CHARACTER = _rule("DP003", E, "stray-character", "a character that cannot start anything")
UNMATCHED_CLOSE = _rule("DP004", E, "unmatched-brace", "a '}' with no '{' to close")
UNCLOSED_BLOCK = _rule("DP005", E, "unclosed-block", "a '{' that is never closed")
UNEXPECTED_TOKEN = _rule("DP006", E, "unexpected-token", "a line does not start with a statement name")
BAD_ESCAPE = _rule("DP007", E, "bad-escape", "an unknown escape sequence in a string")
BAD_PLACEHOLDER = _rule("DP008", E, "bad-placeholder", "a '{' or '}' in a string that is not a {placeholder}")
TOO_MANY_ERRORS = _rule("DP009", E, "too-many-errors", "the file has so many syntax errors that checking stopped")
BAD_JSON = _rule("DP010", E, "bad-json", "a JSON payload that is not valid JSON (syntax, a duplicate key, nesting too deep, a lone surrogate)")
BAD_CONFIG = _rule("DP011", E, "bad-config", "a configuration file dialplan cannot use")
TOO_DEEP = _rule("DP012", E, "nesting-too-deep", "blocks (menus and their branches) nested too deep for dialplan")

# DP1xx: statements and arguments
UNKNOWN_STATEMENT = _rule("DP101", E, "unknown-statement", "a statement name the language does not have")
UNKNOWN_OPTION = _rule("DP102", E, "unknown-option", "an option the statement does not take")
MISSING_ARGUMENT = _rule("DP103", E, "missing-argument", "a statement or option lacks a value it needs")
WRONG_ARGUMENT = _rule("DP104", E, "wrong-argument", "an argument of the wrong kind (a number where a string belongs, …)")
DURATION_UNIT = _rule("DP105", E, "bad-duration", "a duration without a unit, or one that is not a duration")
NOT_AN_INTEGER = _rule("DP106", E, "bad-integer", "a count that is not a whole number")
BAD_URL = _rule("DP107", E, "bad-url", "a URL that is not an absolute http(s) URL")
DUPLICATE_OPTION = _rule("DP108", E, "duplicate-option", "an option given twice in one statement")
EXTRA_ARGUMENT = _rule("DP109", E, "extra-argument", "an argument the statement does not expect")
UNEXPECTED_BLOCK = _rule("DP110", E, "unexpected-block", "a { … } block on a statement that takes none")
MISPLACED = _rule("DP111", E, "misplaced-statement", "a statement where it cannot run: `again` outside a menu, `on` outside a menu, a `menu` in `timeout`, …")

# DP2xx: Routee's rules
DUPLICATE_SETTING = _rule("DP201", E, "duplicate-setting", "a call setting given twice")
SETTING_AFTER_VERB = _rule("DP202", E, "setting-after-verb", "a call setting after the first verb")
PLAN_SHAPE = _rule("DP203", E, "plan-or-verbs", "a script needs verbs or `plan url`, not both and not neither")
UNKNOWN_LANGUAGE = _rule("DP204", E, "unknown-language", "a language Routee does not speak")
NO_LANGUAGE = _rule("DP205", E, "missing-language", "a `say` with no language and no `voice` before it")
SECOND_DIAL = _rule("DP206", E, "second-dial", "more than one `dial` in one plan")
TEXT_LENGTH = _rule("DP207", E, "text-length", "`say` text must be 1 to 1000 characters")
RING_RANGE = _rule("DP208", E, "ring-range", "`ring` (hangupDelay) outside 1–60 s")
SHORT_DURATION = _rule("DP209", E, "short-duration", "a duration under 1 s, or not whole seconds")
ZERO_DIGITS = _rule("DP210", E, "zero-digits", "`collect … max N digits` with N under 1")
BAD_PHONE = _rule("DP211", E, "bad-phone", "a phone number that cannot exist")
BAD_VIBER = _rule("DP212", E, "bad-viber", "a Viber number that is not all digits")
BAD_SIP = _rule("DP213", E, "bad-sip", "a SIP address that is not user@host[:port]")
MACHINE_URL = _rule("DP214", E, "machine-continue-url", "`machine continue` without the URL Routee calls")
UNFILLED_PLACEHOLDER = _rule("DP215", E, "unfilled-placeholder", "a {placeholder} with no value at compile time")
NO_SENDER = _rule("DP216", E, "missing-sender", "a call or `dial` with no `from`")
BAD_SENDER = _rule("DP217", E, "bad-sender", "a sender id that Routee cannot use")
NO_RECIPIENT = _rule("DP218", E, "missing-recipient", "a `plan url` script compiled without a recipient")
BAD_REPEAT = _rule("DP219", E, "bad-repeat", "`repeat` must be a count of 0 or more, or `forever`")
PAYLOAD_SCHEMA = _rule("DP220", E, "payload-schema", "the JSON does not match Routee's schema")
DUPLICATE_CHOICE = _rule("DP221", E, "duplicate-choice", "a menu answers the same keys (or `otherwise`, `timeout`) twice")
CHOICE_TOO_LONG = _rule("DP222", E, "choice-too-long", "a menu choice longer than the menu's digit limit")
HASH_CHOICE = _rule("DP223", E, "hash-choice", "'#' in a choice of a menu whose entries end with '#'")
MENU_WITHOUT_VIA = _rule("DP224", E, "menu-without-via", "a `menu` without `via URL`, where Routee sends the keys")
UNBOUNDED_LOOP = _rule("DP225", E, "unbounded-loop", "a menu that can ask forever: `tries forever`, or a prompt that repeats forever")
EVENT_URL_BUDGET = _rule("DP226", E, "event-url-budget", "more than Routee's 3 seconds of work promised to an eventUrl")
SIGNING_SECRET = _rule("DP227", E, "signing-secret", "a script with menus compiled without DIALPLAN_SIGNING_SECRET")
STATE_URL_TOO_LONG = _rule("DP230", E, "state-url-too-long", "the call's values make an eventUrl longer than the URL limit")

# DP3xx: warnings
UNASSIGNED_PHONE = _rule("DP301", W, "unassigned-phone", "a phone number of possible length that is not assigned in its numbering plan")
NOT_WAV = _rule("DP302", W, "play-not-wav", "a `play` URL that does not end in .wav (Routee plays WAV only)")
PLAIN_HTTP = _rule("DP303", W, "plain-http", "a plain http:// URL")
ALPHANUMERIC_SENDER = _rule("DP304", W, "alphanumeric-sender", "an alphanumeric sender id, which not every network delivers")
SECOND_COLLECT = _rule("DP305", W, "second-collect", "more than one `collect` in one plan")
UNREACHABLE_VERB = _rule("DP306", W, "unreachable-verb", "verbs after a `repeat forever` verb never run")
USELESS_INTERRUPTIBLE = _rule("DP307", W, "interruptible-without-collect", "`interruptible` in a plan with no `collect`: the keys go nowhere")
LONG_DIAL_RING = _rule("DP308", W, "dial-ring-over-60s", "a `dial … ring` over 60 s, which networks may cut short")
UNUSED_VARIABLE = _rule("DP309", W, "unused-variable", "a --var that no placeholder uses")
IGNORED_SETTING = _rule("DP310", W, "ignored-setting", "call settings in a script compiled to a bare plan")
# DP313, DP314: the call's `limit` against the durations the script states (durations.py)
PATH_OVER_LIMIT = _rule("DP313", W, "path-over-limit", "a path of the call that can run past its `limit`, where Routee ends the call")
MENU_OVER_LIMIT = _rule("DP314", W, "menu-over-limit", "a menu whose prompt and wait, asked all its tries, last longer than the call's `limit`")
NEVER_TAKEN = _rule("DP311", W, "never-taken", "a menu branch no key press can reach")
UNREACHABLE_AFTER_END = _rule("DP312", W, "unreachable-after-end", "statements after a `menu`, `again` or `handoff`, which end their block, never run")
# DP32x: the paths of a call, as the caller walks them
NO_TIMEOUT = _rule("DP320", W, "menu-without-timeout", "a menu with no `timeout`: a caller who presses nothing is dropped without a word")
NO_OTHERWISE = _rule("DP321", W, "menu-without-otherwise", "a menu with no `otherwise`: a wrong key asks the question again without saying why")
SILENT_LAST_TRY = _rule("DP322", W, "tries-end-in-silence", "a menu asked again whose last try ends the call without a word")
DIAL_TOO_DEEP = _rule("DP323", W, "dial-too-deep", "more key presses to reach a `dial` than `max-presses-to-dial` allows")
PROMPT_OUTLASTS_WAIT = _rule("DP324", W, "say-longer-than-wait", "a `say` in a menu's question that takes longer to say than the menu waits for an answer")
# DP33x: the configuration itself
UNKNOWN_SETTING = _rule("DP330", W, "unknown-setting", "a configuration key or rule code dialplan does not know, or an error asked to be ignored")

# DP4xx: decompiling JSON
NOT_EXPRESSIBLE = _rule("DP401", E, "not-expressible", "a JSON field or value that the .call language cannot write, so decompile cannot keep it")

# DP9xx: safety net
SCHEMA = _rule("DP901", E, "schema", "the compiled payload does not match Routee's schema")


def all_rules() -> list[Rule]:
    return sorted(RULES.values(), key=lambda r: r.code)
