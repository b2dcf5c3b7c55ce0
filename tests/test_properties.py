"""Property-based tests (hypothesis) of the whole pipeline.

* A strategy generates random *valid* `.call` programs, covering every
  statement and option, together with the payload they must compile to.
  Every such program compiles without errors, to a schema-valid,
  deterministic payload with one verb per verb statement.
* Random text, random token soup and random bytes never make `check_source`
  or `compile_source` raise, and every diagnostic has a real position.
* `--var` values are substituted verbatim and cannot inject statements.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from urllib.parse import quote as url_quote

import phonenumbers
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dialplan_compiler import check_source, compile_source, schemas
from dialplan_compiler.emitter import to_json
from dialplan_compiler.routee import LANGUAGES

FILE = "prop.call"

# --- building blocks ------------------------------------------------------------

#: Numbers that are valid in their country's numbering plan (checked below
#: and by `test_phone_pool_is_valid`), written in E.164.
PHONES = (
    "+306912345678", "+306971234567", "+302101234567", "+302107654321",
    "+442079460958", "+447911123456", "+4915123456789", "+493012345678",
    "+33612345678", "+14155552671", "+12025550123", "+34612345678",
    "+390612345678", "+5511987654321", "+61412345678", "+81312345678",
)
assert all(phonenumbers.is_valid_number(phonenumbers.parse(p)) for p in PHONES)

HOSTS = ("hooks.example.com", "example.org", "api.example.net:8443", "10.0.0.1", "localhost:8080")
URL_CHARS = string.ascii_letters + string.digits + "-_.~"

#: Characters for `say` text: printable ASCII (minus CR, which a string cannot
#: hold), some non-ASCII letters and symbols, and the characters that need
#: escaping (`"` `\` `{` `}` newline tab).
TEXT_ALPHABET = (string.printable.replace("\r", "") + "éüßçΩжλ中文日本語😀€—“”")
#: Placeholders of `say` text; those of phone numbers, URLs and senders have
#: names of their own (`phone_1`, `path_1`, `sender`), so values never clash.
TEXT_VARIABLES = ("name", "date", "x_1", "Place", "_clinic")


def quote(text: str, raw_tabs: bool = False) -> str:
    """`text` as a `.call` string literal that decodes back to `text`."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "{":
            out.append("{{")
        elif ch == "}":
            out.append("}}")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t" and not raw_tabs:
            out.append("\\t")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def new_variable(variables: dict[str, str], stem: str, value: str) -> str:
    name = f"{stem}_{len(variables)}"
    variables[name] = value
    return name


@st.composite
def urls(draw, variables: dict[str, str] | None = None, suffix: str = "") -> tuple[str, str]:
    """(string literal, URL); the literal may hold a `{placeholder}` for a
    path segment when `variables` is given."""
    scheme = draw(st.sampled_from(("https", "https", "http")))
    host = draw(st.sampled_from(HOSTS))
    segments = draw(st.lists(st.text(URL_CHARS, min_size=1, max_size=8), max_size=3))
    literal_segments = list(segments)
    if segments and variables is not None and draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(segments) - 1))
        literal_segments[at] = "{" + new_variable(variables, "path", segments[at]) + "}"
    path, literal_path = "/" + "/".join(segments), "/" + "/".join(literal_segments)
    if suffix:
        name = draw(st.text(URL_CHARS, min_size=1, max_size=6)) + suffix
        path = path.rstrip("/") + "/" + name
        literal_path = literal_path.rstrip("/") + "/" + name
    query = draw(st.one_of(st.just(""), st.builds(lambda k, v: f"?{k}={v}",
                                                  st.text(string.ascii_lowercase, min_size=1, max_size=4),
                                                  st.text(URL_CHARS, max_size=6))))
    url = f"{scheme}://{host}{path}{query}"
    return f'"{scheme}://{host}{literal_path}{query}"', url


@st.composite
def durations(draw, low: int, high: int) -> tuple[str, int]:
    """A duration of `low`..`high` whole seconds, written in one of the
    forms the language accepts: 45s, 1m, 1m30s, 1h30m, 90000ms, 0m45s, …"""
    seconds = draw(st.integers(low, high))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    forms = [f"{seconds}s", f"{seconds * 1000}ms", f"{seconds // 60}m{seconds % 60}s"]
    canonical = (f"{h}h" if h else "") + (f"{m}m" if m else "") + (f"{s}s" if s else "")
    forms.append(canonical)
    if seconds % 60 == 0:
        forms.append(f"{seconds // 60}m")
    if h:
        forms.append(f"{h}h{m}m{s}s")
    return draw(st.sampled_from(forms)), seconds


@st.composite
def phones(draw, variables: dict[str, str] | None = None) -> tuple[str, str]:
    """(source, E.164) for a phone number: bare, with separators, quoted, or
    a `"{placeholder}"` filled through `variables`."""
    number = draw(st.sampled_from(PHONES))
    style = draw(st.integers(0, 5 if variables is not None else 4))
    cut = draw(st.integers(4, len(number) - 2))
    if style == 0:
        return number, number
    if style == 1:   # a bare atom may hold - . ( )
        return number[:cut] + draw(st.sampled_from("-.")) + number[cut:], number
    if style == 2:
        return f"{number[:3]}({number[3:cut]}){number[cut:]}", number
    if style == 3:
        return f'"{number}"', number
    if style == 4:
        return f'"{number[:cut]} {number[cut:]}"', number
    return '"{' + new_variable(variables, "phone", number) + '}"', number


@st.composite
def senders(draw, variables: dict[str, str] | None = None) -> tuple[str, str]:
    kind = draw(st.sampled_from(("phone", "phone", "quoted-phone", "integer", "quoted-digits",
                                 "alphanumeric", "placeholder")))
    if kind in ("phone", "placeholder"):
        number = draw(st.sampled_from(PHONES))
        if kind == "placeholder" and variables is not None:
            return '"{' + new_variable(variables, "sender", number) + '}"', number
        return number, number
    if kind == "quoted-phone":
        number = draw(st.sampled_from(PHONES))
        return f'"{number}"', number
    digits = draw(st.text(string.digits, min_size=1, max_size=16))
    if kind == "integer":
        return digits, digits
    if kind == "quoted-digits":
        return f'"{digits}"', digits
    name = draw(st.text(string.ascii_letters, min_size=1, max_size=1)) + draw(
        st.text(string.ascii_letters + string.digits + " ", max_size=10))
    return quote(name), name


@st.composite
def targets(draw, variables: dict[str, str] | None = None) -> tuple[str, dict]:
    kind = draw(st.sampled_from(("phone", "phone", "phone-word", "sip", "viber")))
    if kind == "phone":
        source, number = draw(phones(variables))
        return source, {"phone": number}
    if kind == "phone-word":
        number = draw(st.sampled_from(PHONES))
        return f'phone "{number}"', {"phone": number}
    if kind == "sip":
        user = draw(st.text(string.ascii_lowercase + string.digits + "._-+", min_size=1, max_size=10))
        labels = draw(st.lists(st.text(string.ascii_lowercase + string.digits, min_size=1,
                                       max_size=8), min_size=1, max_size=3))
        address = f"{user}@{'.'.join(labels)}"
        if draw(st.booleans()):
            address += f":{draw(st.integers(1, 65535))}"
        return f'sip "{address}"', {"sip": address}
    digits = str(draw(st.integers(1, 9))) + draw(st.text(string.digits, min_size=1, max_size=14))
    return f'viber "{digits}"', {"viber": digits}


@st.composite
def notify_options(draw, variables: dict[str, str]) -> tuple[list[str], dict]:
    literal, url = draw(urls(variables))
    tokens = ["notify", literal]
    strategy = "OnChange"
    when = draw(st.sampled_from((None, "change", "completion")))
    if when:
        tokens += ["on", when]
        strategy = {"change": "OnChange", "completion": "OnCompletion"}[when]
    return tokens, {"url": url, "strategy": strategy}


@st.composite
def machine_options(draw, variables: dict[str, str]) -> tuple[list[str], dict]:
    if draw(st.booleans()):
        return ["machine", "hangup"], {"strategy": "Hangup"}
    literal, url = draw(urls(variables))
    return ["machine", "continue", literal], {"strategy": "Continue", "eventUrl": url}


def repeat_option(draw) -> tuple[list[str], int]:
    if draw(st.integers(0, 3)) == 0:
        return ["repeat", "forever"], -1
    count = draw(st.integers(0, 10))
    return ["repeat", str(count)], count


# --- verbs ----------------------------------------------------------------------

@st.composite
def say_text(draw, variables: dict[str, str]) -> tuple[str, str]:
    """(string literal, the text it becomes once placeholders are filled)."""
    if draw(st.integers(0, 30)) == 0:   # near the 1000-character limit
        parts = [draw(st.text(TEXT_ALPHABET, min_size=990, max_size=1000))]
    else:
        parts = draw(st.lists(st.one_of(
            st.text(TEXT_ALPHABET, min_size=1, max_size=40),
            st.sampled_from(TEXT_VARIABLES).map(lambda n: ("var", n))), min_size=1, max_size=4))
    raw_tabs = draw(st.booleans())
    literal, text = [], []
    for part in parts:
        if isinstance(part, tuple):
            name = part[1]
            if name not in variables:
                variables[name] = draw(st.text(TEXT_ALPHABET + '"{}\\', min_size=1, max_size=20))
            literal.append("{" + name + "}")
            text.append(variables[name])
        else:
            literal.append(quote(part, raw_tabs)[1:-1])
            text.append(part)
    return '"' + "".join(literal) + '"', "".join(text)


@st.composite
def say_verbs(draw, voice: tuple[str | None, str | None], variables: dict) -> tuple[list[str], dict]:
    literal, text = draw(say_text(variables))
    language, gender = voice
    options, verb, message = [], {"type": "SAY"}, {"text": text}
    if language is None or draw(st.booleans()):
        language = draw(st.sampled_from(LANGUAGES))
        options.append(["in", language])
    if draw(st.booleans()):
        gender = draw(st.sampled_from(("male", "female")))
        options.append(["as", gender])
    message["language"] = language
    if gender:
        message["gender"] = gender
    verb["message"] = message
    if draw(st.booleans()):
        tokens, verb["repeat"] = repeat_option(draw)
        options.append(tokens)
    if draw(st.booleans()):
        options.append(["interruptible"])
        verb["bargeIn"] = True
    options = draw(st.permutations(options))
    return ["say", literal] + [t for o in options for t in o], verb


@st.composite
def play_verbs(draw, variables: dict) -> tuple[list[str], dict]:
    literal, url = draw(urls(variables, suffix=draw(st.sampled_from((".wav", ".wav", ".WAV")))))
    verb, options = {"type": "PLAY", "fileURL": url}, []
    if draw(st.booleans()):
        tokens, verb["repeat"] = repeat_option(draw)
        options.append(tokens)
    if draw(st.booleans()):
        options.append(["interruptible"])
        verb["bargeIn"] = True
    options = draw(st.permutations(options))
    return ["play", literal] + [t for o in options for t in o], verb


@st.composite
def pause_verbs(draw) -> tuple[list[str], dict]:
    text, seconds = draw(durations(1, 600))
    return ["pause", text], {"type": "PAUSE", "duration": seconds}


@st.composite
def collect_verbs(draw, variables: dict) -> tuple[list[str], dict]:
    literal, url = draw(urls(variables))
    verb = {"type": "COLLECT", "eventUrl": url}
    options = [["to", literal]]
    if draw(st.booleans()):
        digits = draw(st.integers(1, 40))
        unit = draw(st.sampled_from(("digits", "digit", None)))
        options.append(["max", str(digits)] + ([unit] if unit else []))
        verb["maxDigits"] = digits
    if draw(st.booleans()):
        options.append(["submit", "on", "hash"])
        verb["submitOnHash"] = True
    options = draw(st.permutations(options))
    return ["collect"] + [t for o in options for t in o], verb


@st.composite
def dial_verbs(draw, script_sender: str | None, variables: dict) -> tuple[list[str], dict, bool]:
    """(tokens, verb, whether the verb's `from` is the call's)."""
    target_source, target = draw(targets(variables))
    verb: dict = {"type": "DIAL"}
    options = []
    inherits = script_sender is not None and draw(st.booleans())
    if inherits:
        verb["from"] = script_sender
    else:
        source, verb["from"] = draw(senders(variables))
        options.append(["from", source])
    verb["to"] = target
    if draw(st.booleans()):
        text, verb["hangupDelay"] = draw(durations(1, 120))   # over 60 s: a warning only
        options.append(["ring", text])
    if draw(st.booleans()):
        text, verb["maxDuration"] = draw(durations(1, 4 * 3600))
        options.append(["limit", text])
    if draw(st.booleans()):
        tokens, verb["callback"] = draw(notify_options(variables))
        options.append(tokens)
    if draw(st.booleans()):
        tokens = ["record"]
        verb["record"] = True
        fmt = draw(st.sampled_from((None, "wav", "mp3")))
        if fmt:
            tokens.append(fmt)
            verb["recordingFormat"] = fmt.upper()
        if draw(st.booleans()):
            literal, verb["recordingCallbackUrl"] = draw(urls(variables))
            tokens += ["to", literal]
        options.append(tokens)
    if draw(st.booleans()):
        tokens, verb["machineDetection"] = draw(machine_options(variables))
        options.append(tokens)
    options = draw(st.permutations(options))
    return ["dial", target_source] + [t for o in options for t in o], verb, inherits


# --- whole programs ------------------------------------------------------------------

COMMENT_TEXT = st.text(string.printable.replace("\r", "").replace("\n", "") + "é中😀", max_size=30)


@st.composite
def render_statement(draw, tokens: list[str]) -> str:
    """Tokens joined by spaces, tabs or line continuations, maybe indented."""
    out = draw(st.sampled_from(("", "", "  ", "\t")))
    out += tokens[0]
    for token in tokens[1:]:
        out += draw(st.sampled_from((" ",) * 8 + ("  ", "\t", " \\\n    ", "\\\r\n\t")))
        out += token
    return out


@dataclass
class Program:
    source: str
    variables: dict[str, str]
    #: The payload `compile_source(source, variables=variables)` must give.
    expected: dict
    #: The call settings written (from, ring, limit, callback, machine…), and
    #: the verbs; for a bare plan they are what --to would turn into a call.
    settings: dict = field(default_factory=dict)
    verbs: list = field(default_factory=list)
    #: Indices of the DIAL verbs that take the call's `from`.
    inheriting: list = field(default_factory=list)


@st.composite
def programs(draw, bare: bool | None = None) -> Program:
    """A random valid program. `bare=True`: no `to` (and no `plan url`);
    `bare=False`: always a `to`."""
    variables: dict[str, str] = {}
    settings_statements: list[list[str]] = []
    body: dict = {}

    hosted = bare is not True and draw(st.integers(0, 5)) == 0   # `plan url "…"`, no verbs
    has_to = hosted or (not bare if bare is not None else draw(st.booleans()))
    has_from = has_to or draw(st.booleans())
    sender = None
    if has_from:
        source, sender = draw(senders(variables))
        settings_statements.append(["from", source])
        body["from"] = sender
    if has_to:
        source, body["to"] = draw(targets(variables))
        settings_statements.append(["to", source])
    if hosted:
        literal, body["dialPlanUrl"] = draw(urls(variables))
        settings_statements.append(["plan", "url", literal])
    if draw(st.booleans()):
        text, body["hangupDelay"] = draw(durations(1, 60))
        settings_statements.append(["ring", text])
    if draw(st.booleans()):
        text, body["maxDuration"] = draw(durations(1, 4 * 3600))
        settings_statements.append(["limit", text])
    if draw(st.booleans()):
        tokens, body["callback"] = draw(notify_options(variables))
        settings_statements.append(tokens)
    if draw(st.booleans()):
        tokens, body["machineDetection"] = draw(machine_options(variables))
        settings_statements.append(tokens)
    statements = list(draw(st.permutations(settings_statements)))

    verbs: list[dict] = []
    inheriting: list[int] = []
    if not hosted:
        voice: tuple[str | None, str | None] = (None, None)
        if draw(st.booleans()):
            language = draw(st.sampled_from(LANGUAGES))
            gender = draw(st.sampled_from((None, "male", "female")))
            voice = (language, gender)
            # `voice` may appear anywhere, among the settings too.
            statements.insert(draw(st.integers(0, len(statements))),
                              ["voice", language] + ([gender] if gender else []))
        kinds = draw(st.lists(st.sampled_from(("say", "say", "play", "pause", "collect")),
                              min_size=1, max_size=8))
        if draw(st.booleans()):
            kinds.insert(draw(st.integers(0, len(kinds))), "dial")
        for kind in kinds:
            if kind == "say":
                tokens, verb = draw(say_verbs(voice, variables))
            elif kind == "play":
                tokens, verb = draw(play_verbs(variables))
            elif kind == "pause":
                tokens, verb = draw(pause_verbs())
            elif kind == "collect":
                tokens, verb = draw(collect_verbs(variables))
            else:
                tokens, verb, inherits = draw(dial_verbs(sender, variables))
                if inherits:
                    inheriting.append(len(verbs))
            statements.append(tokens)
            verbs.append(verb)
            if draw(st.integers(0, 5)) == 0:
                # `voice` may also change between verbs.
                language = draw(st.sampled_from(LANGUAGES))
                voice = (language, None)
                statements.append(["voice", language])

    # Lay the statements out with separators, comments and blank lines.
    source = draw(st.sampled_from(("", "\n", "# header\n", "\n\n")))
    newline = draw(st.sampled_from(("\n", "\r\n")))
    for index, tokens in enumerate(statements):
        if draw(st.integers(0, 4)) == 0:
            source += "#" + draw(COMMENT_TEXT) + newline
        if draw(st.integers(0, 6)) == 0:
            source += newline
        source += draw(render_statement(tokens))
        last = index == len(statements) - 1
        separator = draw(st.sampled_from((newline, newline, newline, ";", " ; ", newline + newline)))
        if last and draw(st.booleans()):
            separator = ""
        if separator.startswith(("\n", "\r")) and draw(st.integers(0, 3)) == 0:
            source += "   # " + draw(COMMENT_TEXT)
        source += separator

    if has_to:
        expected = dict(body)
        if verbs:
            expected["dialPlan"] = {"verbs": verbs}
    else:
        expected = {"verbs": verbs}
    return Program(source, variables, expected, body, verbs, inheriting)


def output_verbs(payload: dict) -> list[dict]:
    if "verbs" in payload:
        return payload["verbs"]
    return payload.get("dialPlan", {}).get("verbs", [])


def errors(result) -> list:
    return [d for d in result.diagnostics if d.is_error]


# --- properties of valid programs -----------------------------------------------------

@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_valid_programs_compile_to_schema_valid_deterministic_payloads(program):
    source, variables = program.source, program.variables
    result = compile_source(source, FILE, variables=variables)
    assert errors(result) == [], (source, result.diagnostics)
    assert result.payload is not None
    payload = result.payload

    # The payload follows its schema.
    assert schemas.validate(payload, schemas.schema_for(payload)) == []

    # One verb per verb statement, `type` first in each.
    verbs = output_verbs(payload)
    assert len(verbs) == len(program.verbs)
    for verb in verbs:
        assert next(iter(verb)) == "type"

    # And exactly the payload the program describes.
    assert payload == program.expected

    # Deterministic: a second compile gives the same JSON and diagnostics.
    again = compile_source(source, FILE, variables=variables)
    assert again.payload == payload
    assert to_json(again.payload) == to_json(payload)
    assert again.diagnostics == result.diagnostics


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_valid_programs_pass_check(program):
    """`check` (no variables) accepts every valid program, as bytes too."""
    source = program.source
    for data in (source, source.encode("utf-8"), b"\xef\xbb\xbf" + source.encode("utf-8")):
        result = check_source(data, FILE)
        assert errors(result) == [], (source, result.diagnostics)
        assert result.payload is not None
        assert len(output_verbs(result.payload)) == len(program.verbs)


OVERRIDE_TARGETS = (("+306912345678", {"phone": "+306912345678"}),
                    ("+44-20-7946-0958", {"phone": "+442079460958"}),
                    ("sip:alice@example.com:5060", {"sip": "alice@example.com:5060"}),
                    ("viber:306971234567", {"viber": "306971234567"}))
OVERRIDE_SENDERS = ("+302101234567", "306900000000", "Example Clinic")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(bare=True), st.sampled_from(OVERRIDE_TARGETS),
       st.sampled_from((None,) + OVERRIDE_SENDERS))
def test_bare_programs_become_calls_with_to_and_from(program, target, sender):
    """`--to` (and `--from`) turn a bare plan into the request body, with the
    script's settings; `--plan` keeps printing the bare plan."""
    assume(sender is not None or "from" in program.settings)
    result = compile_source(program.source, FILE, variables=program.variables, to=target[0],
                            sender=sender)
    assert errors(result) == [], (program.source, result.diagnostics)
    caller = sender if sender is not None else program.settings["from"]
    verbs = [dict(v, **({"from": caller} if i in program.inheriting else {}))
             for i, v in enumerate(program.verbs)]
    expected = dict(program.settings, **{"from": caller, "to": target[1]},
                    dialPlan={"verbs": verbs})
    assert result.payload == expected
    assert schemas.validate(result.payload, schemas.CONVERSATION) == []

    plan = compile_source(program.source, FILE, variables=program.variables, to=target[0],
                          sender=sender, plan=True)
    assert errors(plan) == [], plan.diagnostics
    assert plan.payload == {"verbs": verbs}


def test_phone_pool_is_valid():
    for number in PHONES:
        parsed = phonenumbers.parse(number)
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number


@pytest.mark.parametrize("text", ['a"b', "back\\slash", "{{braces}}", "tab\there", "line\nbreak",
                                  "}{", "\\\"{}", "😀 中文", " ", "#not a comment;",
                                  "x" * 1000, "{" * 1000, "é" * 1000, "😀" * 1000, '"' * 1000])
def test_quote_round_trips(text):
    """The generator's quoting is what the language decodes (up to the
    1000-character limit, counted after decoding)."""
    result = compile_source(f"say {quote(text)} in en-GB", FILE)
    assert errors(result) == [], result.diagnostics
    assert result.payload["verbs"][0]["message"]["text"] == text


@pytest.mark.parametrize("text", ["x" * 1001, "{" * 1001, "😀" * 1001, "\n" * 1001])
def test_text_over_1000_characters_is_rejected_by_the_checker(text):
    result = compile_source(f"say {quote(text)} in en-GB", FILE)
    assert result.payload is None
    assert [d.code for d in errors(result)] == ["DP207"], result.diagnostics


# --- robustness against arbitrary input ------------------------------------------------

KEYWORDS = ("from", "to", "ring", "limit", "notify", "machine", "plan", "url", "voice", "say",
            "play", "pause", "collect", "dial", "in", "as", "repeat", "forever", "interruptible",
            "max", "digits", "digit", "submit", "on", "hash", "change", "completion", "hangup",
            "continue", "record", "wav", "mp3", "sip", "viber", "phone", "male", "female",
            "sya", "en-GB", "el-GR", "en-gb", "xx-XX") + PHONES[:4]
ATOMS = ("45s", "1m", "1m30s", "0s", "500ms", "1h", "61s", "1.5s", "0", "-1", "4", "30",
         "99999999999999999999", "+", "+0", "+1", "+30-", "+()", "1m30", "2x", "¿", "ΩΩ")
STRINGS = ('"Hello."', '""', '"{name}"', '"{"', '"}"', '"{{}}"', '"{ x }"', '"{1}"', '"\\q"',
           '"\\"', '"unterminated', '"https://hooks.example.com/x"', '"https://x.example/a.wav"',
           '"http://x"', '"ftp://x/y"', '"a@b"', '"sip:a@b"', '"306971234567"', '"+30 210"',
           '"' + "x" * 1001 + '"', '"\\n\\t"')
PUNCTUATION = ("{", "}", ";", "\n", "\r\n", "\r", "\\\n", "\\", "#", "# comment\n", '"', " ",
               "\t", "\x00", "\x7f", "\ufeff", "\u2028", "\x0c")
TOKENS = st.sampled_from(KEYWORDS + ATOMS + STRINGS + PUNCTUATION)


@st.composite
def token_soup(draw) -> str:
    parts = draw(st.lists(TOKENS, max_size=60))
    out = ""
    for part in parts:
        out += part + draw(st.sampled_from(("", " ", " ", "\n", "\t")))
    return out


def assert_positions(result, filename: str = FILE, compiled: bool = True) -> None:
    assert isinstance(result.diagnostics, list)
    for d in result.diagnostics:
        assert d.span.line >= 1 and d.span.column >= 1, d
        assert d.span.file == filename or d.span.file == "--var", d
        for related in d.related:
            assert related.span.line >= 1 and related.span.column >= 1, d
    if result.payload is None:
        assert any(d.is_error for d in result.diagnostics), result.diagnostics
    else:
        assert not any(d.is_error for d in result.diagnostics)
        if compiled:  # `check` returns the would-be payload, {placeholders} unfilled
            assert schemas.validate(result.payload, schemas.schema_for(result.payload)) == []


def run_everything(source) -> None:
    assert_positions(check_source(source, FILE), compiled=False)
    assert_positions(compile_source(source, FILE))
    assert_positions(compile_source(source, FILE, variables={"name": "Ann"}))


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_random_text_never_raises(source):
    run_everything(source)


@settings(max_examples=300, deadline=None)
@given(token_soup())
def test_token_soup_never_raises(source):
    run_everything(source)


@settings(max_examples=150, deadline=None)
@given(st.binary())
def test_random_bytes_never_raise(data):
    run_everything(data)


@settings(max_examples=100, deadline=None)
@given(programs(), st.data())
def test_mutated_valid_programs_never_raise(program, data):
    """Programs one edit away from valid: a character dropped, doubled or
    replaced by a token."""
    source = program.source
    assume(source)
    at = data.draw(st.integers(0, len(source) - 1))
    edit = data.draw(st.sampled_from(("drop", "double", "insert")))
    if edit == "drop":
        source = source[:at] + source[at + 1:]
    elif edit == "double":
        source = source[:at] + source[at] + source[at:]
    else:
        source = source[:at] + data.draw(TOKENS) + source[at:]
    run_everything(source)
    run_everything(source.encode("utf-8"))


# --- substitution safety ---------------------------------------------------------------

SCRIPT = ('from +302101234567\nto +306912345678\n'
          'say "Hi {name}, see you {date}." in en-GB\npause 1s\n')
NASTY_VALUES = ['"', "\n", "}", "{", "{date}", '" \n dial +306912345678',
                '"\ndial +306912345678\n', "}\n}\nsay \"x\" in en-GB\n{", "\\", "\\\"", "# comment",
                "; dial +306912345678", "\r\n", "\x00", "x" * 500]


def check_substitution(value: str) -> None:
    result = compile_source(SCRIPT, FILE, variables={"name": value, "date": "soon"})
    assert errors(result) == [], result.diagnostics
    verbs = result.payload["dialPlan"]["verbs"]
    assert [v["type"] for v in verbs] == ["SAY", "PAUSE"]
    assert verbs[0]["message"]["text"] == f"Hi {value}, see you soon."
    assert schemas.validate(result.payload, schemas.schema_for(result.payload)) == []


@pytest.mark.parametrize("value", NASTY_VALUES)
def test_variable_values_are_substituted_verbatim(value):
    check_substitution(value)


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_any_variable_value_is_substituted_verbatim(value):
    check_substitution(value)


def test_variable_value_is_not_substituted_again():
    result = compile_source(SCRIPT, FILE, variables={"name": "{date}", "date": "{name}"})
    assert errors(result) == []
    assert result.payload["dialPlan"]["verbs"][0]["message"]["text"] == "Hi {date}, see you {name}."


def test_substitution_to_empty_text_is_a_checker_error():
    """A placeholder filled with "" can leave `say` with no text: the checker
    must report that (DP207, text length), not let the payload reach the
    schema safety net (DP901, "a bug in dialplan's checker")."""
    result = compile_source('say "{name}" in en-GB', FILE, variables={"name": ""})
    assert result.payload is None
    codes = [d.code for d in result.diagnostics]
    assert "DP901" not in codes, result.diagnostics
    assert "DP207" in codes, result.diagnostics


def test_substitution_over_1000_characters_is_a_checker_error():
    result = compile_source('say "{name}" in en-GB', FILE, variables={"name": "x" * 1001})
    assert result.payload is None
    codes = [d.code for d in result.diagnostics]
    assert "DP901" not in codes and "DP207" in codes, result.diagnostics


INJECTIONS = ['" \n dial +306912345678', '+306912345678"\ndial +302107654321',
              "+306912345678\ndial +302107654321", "+306912345678; dial +302107654321",
              "+306912345678 }", '+306912345678" repeat forever']


@pytest.mark.parametrize("value", INJECTIONS)
def test_phone_placeholder_cannot_inject_a_statement(value):
    """A value that becomes a phone number is checked as one after
    substitution: statement text in it is a bad number, never a verb."""
    script = 'from +302101234567\nto "{callee}"\nsay "Hello." in en-GB\n'
    result = compile_source(script, FILE, variables={"callee": value})
    assert result.payload is None
    assert {d.code for d in errors(result)} <= {"DP211", "DP104"}, result.diagnostics
    assert errors(result)
    for d in result.diagnostics:
        assert d.span.file == FILE and d.span.line == 2, d


@pytest.mark.parametrize("value", INJECTIONS)
def test_url_placeholder_cannot_inject_a_statement(value):
    script = 'collect to "https://hooks.example.com/{path}"\nsay "Hello." in en-GB\n'
    result = compile_source(script, FILE, variables={"path": value})
    if result.payload is not None:   # a URL may hold odd characters; still no new verb
        assert [v["type"] for v in result.payload["verbs"]] == ["COLLECT", "SAY"]
        # The value is one path segment, percent-encoded (RFC 3986 pchar).
        assert result.payload["verbs"][0]["eventUrl"] == \
            "https://hooks.example.com/" + url_quote(value, safe="!$&'()*+,;=:@")
        assert schemas.validate(result.payload, schemas.DIALPLAN) == []
    else:
        assert {d.code for d in errors(result)} == {"DP107"}, result.diagnostics


@pytest.mark.parametrize("value", NASTY_VALUES[:9])
def test_var_on_the_command_line_is_substituted_verbatim(tmp_path, monkeypatch, value):
    from click.testing import CliRunner

    from dialplan_compiler.cli import main

    monkeypatch.chdir(tmp_path)   # no configuration file from the surroundings
    (tmp_path / "s.call").write_text(SCRIPT, encoding="utf-8")
    out = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["compile", "s.call", "--var", f"name={value}",
                                       "--var", "date=soon", "-o", str(out)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text(encoding="utf-8"))
    verbs = payload["dialPlan"]["verbs"]
    assert [v["type"] for v in verbs] == ["SAY", "PAUSE"]
    assert verbs[0]["message"]["text"] == f"Hi {value}, see you soon."
