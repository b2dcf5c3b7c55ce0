"""What each statement of the `.call` language accepts: the one table.

For every statement: its kind (a call setting, a verb, the `voice`
directive or a menu statement), its positional arguments (`takes`), its
options (the option word, the value slots that follow it, its range and
its default), and the Routee fields it becomes. Whatever needs to know the
language's statements reads them here:

* the checker's lists of statements (`SETTINGS`, `VERBS`, ...);
* the formatter (which options a verb has, and their canonical order);
* the decompiler (which JSON fields a verb or setting writes);
* `dialplan explain`, the language server's hover and completion
  (`reference.py` renders the text), the Pygments lexer and, from its word
  lists, the TextMate grammar.

`tests/test_statements.py` holds the table and the checker together: every
statement and option listed here is one the checker accepts.

The numbers come from `routee.py`; docs/language.md describes each
statement and the Routee fields it becomes, for the script's author. A few
ranges and defaults are the menu checker's (`menucheck.py`); they are
written here as `$name` and filled in by `reference.py` when shown, so
that this module imports nothing but `routee.py` and stays cheap to load
on the path of `dialplan check`.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal, Mapping

from . import routee

#: What an argument slot holds. The value kinds are filled in by the
#: author ("text", "url", "count", ...); "keyword" is one of `words`.
SlotKind = Literal["keyword", "text", "url", "sender", "target", "duration", "count",
                   "language", "gender", "repeat", "choice", "name"]


# The table's classes are plain classes with __slots__: a NamedTuple or a
# dataclass costs far more to create at import, and this module is loaded
# by every `dialplan check`.

class Slot:
    """One argument position: what goes there, and whether it may be left
    out. An optional keyword may bring arguments of its own (`then`), as
    `on` in `notify URL on change` does. Slots are values: equal when
    their fields are."""

    __slots__ = ("kind", "words", "optional", "then")

    def __init__(self, kind: SlotKind, words: tuple[str, ...] = (), optional: bool = False,
                 then: tuple[Slot, ...] = ()) -> None:
        self.kind = kind
        self.words = words
        self.optional = optional
        self.then = then

    def _key(self) -> tuple:
        return (self.kind, self.words, self.optional, self.then)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Slot) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Slot{self._key()!r}"

    def accepts(self, token: str) -> bool:
        """Whether `token` (as written) can fill this slot; used to skip an
        optional slot that was left out."""
        if self.kind == "keyword":
            return token.lower() in self.words
        if self.kind == "gender":
            return token.lower() in routee.GENDERS
        if self.kind == "url":
            return token.startswith('"')
        return True


def _words(*words: str, optional: bool = False, then: tuple[Slot, ...] = ()) -> Slot:
    return Slot("keyword", words, optional, then)


class Option:
    """An option of a statement: `in en-GB` in `say`, `ring 20s` in `dial`.

    `name` is the option word, `syntax` how it is written, `field` the
    Routee field it becomes (as text for a person), `takes` the slots
    after the word, `range` and `default` as text, and `fields` the JSON
    fields of the verb (or of the request body) that it sets."""

    __slots__ = ("name", "syntax", "field", "summary", "takes", "range", "default", "fields")

    def __init__(self, name: str, syntax: str, field: str, summary: str,
                 takes: tuple[Slot, ...] = (), range: str | None = None,
                 default: str | None = None, fields: tuple[str, ...] = ()) -> None:
        self.name = name
        self.syntax = syntax
        self.field = field
        self.summary = summary
        self.takes = takes
        self.range = range
        self.default = default
        self.fields = fields

    def __repr__(self) -> str:
        return f"Option({self.name!r})"


class StatementDoc:
    """A statement: what it is, what it takes and what it becomes.

    `kind` is "setting" (describes the call; once, before the first verb),
    "verb" (runs in the call), "directive" (`voice`: emits nothing) or
    "menu" (a menu and its blocks: a script with menus compiles to a
    bundle). `verb` is a verb's Routee type (SAY, PLAY, ...), "" for the
    other kinds; `fields` the JSON fields it writes, in Routee's order: a
    verb's own fields (after "type"), or a setting's fields of the request
    body. The other fields are as for `Option`, with `options` in their
    canonical order (the formatter's) and an `example` that checks cleanly."""

    __slots__ = ("name", "kind", "syntax", "field", "summary", "takes", "options", "range",
                 "default", "example", "verb", "fields")

    def __init__(self, name: str, kind: Literal["setting", "verb", "directive", "menu"],
                 syntax: str, field: str, summary: str, takes: tuple[Slot, ...] = (),
                 options: tuple[Option, ...] = (), range: str | None = None,
                 default: str | None = None, example: str = "", verb: str = "",
                 fields: tuple[str, ...] = ()) -> None:
        self.name = name
        self.kind = kind
        self.syntax = syntax
        self.field = field
        self.summary = summary
        self.takes = takes
        self.options = options
        self.range = range
        self.default = default
        self.example = example
        self.verb = verb
        self.fields = fields

    def __repr__(self) -> str:
        return f"StatementDoc({self.name!r})"

    def option(self, word: str) -> Option | None:
        return next((o for o in self.options if o.name == word), None)


_LOW, _HIGH = routee.HANGUP_DELAY_RANGE


_LANGUAGES = " ".join(routee.LANGUAGES)

_REPEAT = Option(
    "repeat", "repeat N | repeat forever", "repeat",
    "Plays it N more times; `forever` repeats until the call ends.",
    (Slot("repeat"),), "0 or more, or forever (Routee's -1)", "0: played once",
    ("repeat",))
_INTERRUPTIBLE = Option(
    "interruptible", "interruptible", "bargeIn: true",
    "A key press stops it, and the keys pressed go to the `collect` URL.",
    default="false: keys do not interrupt", fields=("bargeIn",))


#: The shapes of arguments more than one statement or option takes.
NOTIFY_SLOTS = (Slot("url"), _words("on", optional=True,
                                    then=(_words(*routee.CALLBACK_STRATEGIES),)))
MACHINE_SLOTS = (_words(*routee.MACHINE_STRATEGIES), Slot("url", optional=True))
DIGITS_SLOTS = (Slot("count"), _words("digits", "digit", optional=True))
RECORD_SLOTS = (_words("wav", "mp3", optional=True),
                _words("to", optional=True, then=(Slot("url"),)))
ON_HASH_SLOTS = (_words("on"), _words("hash"))


def _notify_option(field: str) -> Option:
    return Option(
        "notify", "notify URL [on change | on completion]", field,
        "Routee posts the call's status to URL: on every change, or once when it ends.",
        NOTIFY_SLOTS, default="strategy OnChange when `on …` is left out",
        fields=("callback",))


STATEMENTS: Mapping[str, StatementDoc] = MappingProxyType({s.name: s for s in (
    # --- call settings -----------------------------------------------------------------
    StatementDoc(
        "from", "setting", "from SENDER", "from",
        "Who the call comes from: a phone number (+302101234567), a numeric sender "
        f"(at most {routee.MAX_NUMERIC_SENDER} digits, no +) or a quoted alphanumeric name "
        "(a warning: not every network delivers it). A `dial` without its own `from` uses it.",
        (Slot("sender"),), default="none; the configuration's `from`, or --from, can give one",
        example="from +302101234567", fields=("from",)),
    StatementDoc(
        "to", "setting", 'to +E164 | to "{placeholder}" | to sip "user@host[:port]" | '
        'to viber "306971234567"', "to.phone, to.sip or to.viber",
        "Who is called. A phone number must be one that can exist; a Viber number is "
        "digits only, country code first. Without `to` the script is a bare plan.",
        (Slot("target"),), default="none: a bare plan {\"verbs\": […]}, or --to",
        example="to +306912345678", fields=("to",)),
    StatementDoc(
        "ring", "setting", "ring DURATION", "hangupDelay",
        "How long Routee waits for the call to be answered.",
        (Slot("duration"),), range=f"{_LOW} to {_HIGH} s",
        default="not set: the network decides (20 s, says one of Routee's pages)",
        example="ring 30s", fields=("hangupDelay",)),
    StatementDoc(
        "limit", "setting", "limit DURATION", "maxDuration",
        "The longest the call may last once answered.",
        (Slot("duration"),), range="at least 1 s", default="not set: no limit from the script",
        example="limit 10m", fields=("maxDuration",)),
    StatementDoc(
        "notify", "setting", "notify URL [on change | on completion]", "callback {url, strategy}",
        "Routee posts the call's status to URL: on every change (OnChange) or once "
        "when the call ends (OnCompletion).",
        NOTIFY_SLOTS, default="strategy OnChange when `on …` is left out",
        example='notify "https://hooks.example.com/status" on completion', fields=("callback",)),
    StatementDoc(
        "machine", "setting", "machine hangup | machine continue URL",
        "machineDetection {strategy, eventUrl}",
        "What to do when a machine answers: hang up, or go on and ask URL "
        "(Routee posts to it and expects a dialplan back).",
        MACHINE_SLOTS, default="not set: no machine detection",
        example="machine hangup", fields=("machineDetection",)),
    StatementDoc(
        "plan", "setting", "plan url URL", "dialPlanUrl",
        "The verbs are hosted at URL and fetched by Routee when the call is answered; "
        "the script then holds no verbs.",
        (_words("url"), Slot("url")), default="not set: the verbs are sent inline (dialPlan)",
        example='plan url "https://plans.example.com/welcome.json"',
        fields=("dialPlanUrl",)),
    # --- verbs ---------------------------------------------------------------------------
    StatementDoc(
        "say", "verb", "say TEXT [in LANG] [as male|female] [repeat N|forever] [interruptible]",
        'SAY {message: {text, language, gender}}',
        "Speaks TEXT with Routee's text to speech.",
        (Slot("text"),), (
            Option("in", "in LANG", "message.language",
                   "The language to speak in.", (Slot("language"),),
                   f"one of Routee's {len(routee.LANGUAGES)}, spelt exactly so: {_LANGUAGES}",
                   "the language of the `voice` line above; required when there is none",
                   ("message",)),
            Option("as", "as male | as female", "message.gender", "The voice's gender.",
                   (Slot("gender"),), "male, female",
                   "the gender of the `voice` line above; else not set", ("message",)),
            _REPEAT, _INTERRUPTIBLE),
        f"text of 1 to {routee.MAX_TEXT_LENGTH} characters",
        example='say "Hello {name}." in en-GB as female', verb="SAY",
        fields=("message", "repeat", "bargeIn")),
    StatementDoc(
        "play", "verb", "play URL [repeat N|forever] [interruptible]", "PLAY {fileURL}",
        "Plays the audio file at URL. Routee plays .wav files only.",
        (Slot("url"),), (_REPEAT, _INTERRUPTIBLE),
        example='play "https://cdn.example.com/chime.wav"', verb="PLAY",
        fields=("fileURL", "repeat", "bargeIn")),
    StatementDoc(
        "pause", "verb", "pause DURATION", "PAUSE {duration}",
        "Silence for a while, in whole seconds.",
        (Slot("duration"),), range="at least 1 s", example="pause 2s", verb="PAUSE",
        fields=("duration",)),
    StatementDoc(
        "collect", "verb", "collect to URL [max N digits] [submit on hash]", "COLLECT {eventUrl}",
        "Gathers the keys the callee presses and posts them to URL. It does not wait: "
        "keep the line open after it (pause, play, say).",
        (), (
            Option("to", "to URL", "eventUrl",
                   "Where Routee posts the keys; its answer may be a dialplan that "
                   "replaces the rest of the call.", (Slot("url"),), default="required",
                   fields=("eventUrl",)),
            Option("max", "max N digits", "maxDigits", "The most keys to collect.",
                   DIGITS_SLOTS, "1 or more", "30", ("maxDigits",)),
            Option("submit", "submit on hash", "submitOnHash: true",
                   "Pressing # sends the keys at once.", ON_HASH_SLOTS,
                   default="false", fields=("submitOnHash",)),
        ), example='collect to "https://hooks.example.com/pin" max 4 digits submit on hash',
        verb="COLLECT", fields=("eventUrl", "maxDigits", "submitOnHash")),
    StatementDoc(
        "dial", "verb",
        "dial TARGET [from X] [ring D] [limit D] [notify URL [on …]] [record [wav|mp3] "
        "[to URL]] [machine hangup|continue URL]", "DIAL {from, to}",
        "Connects the call to another party (written like `to`). At most one `dial` "
        "per plan.",
        (Slot("target"),), (
            Option("from", "from SENDER", "from", "The sender the other party sees.",
                   (Slot("sender"),), default="the call's `from`", fields=("from",)),
            Option("ring", "ring DURATION", "hangupDelay",
                   "How long to wait for the other party to answer.", (Slot("duration"),),
                   f"at least 1 s (over {_HIGH} s is a warning)", "not set", ("hangupDelay",)),
            Option("limit", "limit DURATION", "maxDuration",
                   "The longest the connected leg may last.", (Slot("duration"),),
                   "at least 1 s", "not set", ("maxDuration",)),
            _notify_option("callback {url, strategy}"),
            Option("record", "record [wav|mp3] [to URL]",
                   "record: true, recordingFormat, recordingCallbackUrl",
                   "Records the conversation, as WAV or MP3, and posts the recording to URL.",
                   RECORD_SLOTS, "WAV or MP3", "false; recordingFormat MP3 when not given",
                   ("record", "recordingFormat", "recordingCallbackUrl")),
            Option("machine", "machine hangup | machine continue URL",
                   "machineDetection {strategy, eventUrl}",
                   "What to do when a machine answers the dialled party.", MACHINE_SLOTS,
                   default="not set", fields=("machineDetection",)),
        ), example="dial +302107654321 ring 20s record mp3", verb="DIAL",
        fields=("from", "to", "hangupDelay", "maxDuration", "callback", "record",
                "recordingFormat", "recordingCallbackUrl", "machineDetection")),
    # --- directives ----------------------------------------------------------------------
    StatementDoc(
        "voice", "directive", "voice LANG [male|female]", "(none: it emits nothing)",
        "Sets the language and gender of every later `say` that does not give its own. "
        "It may appear anywhere, more than once.",
        (Slot("language"), Slot("gender", optional=True)),
        range=f"languages: {_LANGUAGES}; genders: male, female",
        example="voice en-GB female"),
    # --- menus ---------------------------------------------------------------------------
    StatementDoc(
        "menu", "menu", "menu [via URL] [wait D] [tries N] [max N digits] { … }",
        "COLLECT {eventUrl, maxDigits, submitOnHash}, the prompt, a wait; a plan per branch",
        "Asks a question and branches on the keys pressed. Its block holds the question "
        "(say, play, pause) and the choices: `on …`, `otherwise`, `timeout`. A script with "
        "menus compiles to a bundle that `dialplan serve` answers Routee from.",
        (), (
            Option("via", "via URL", "COLLECT eventUrl (signed; names the menu and the try)",
                   "The address of `dialplan serve`, where Routee sends the keys; no query "
                   "or fragment.", (Slot("url"),),
                   default="required at the top level; in a branch, the `via` of the menu "
                           "whose branch asks it"),
            Option("wait", "wait DURATION", "the wait after the question",
                   "How long to wait for a key once the question has been asked.",
                   (Slot("duration"),), "at least 1 s", "$wait s"),
            Option("tries", "tries N", "one plan per try of a branch that asks `again`",
                   "How often the menu is asked, counting the first time.", (Slot("count"),),
                   "1 to $max_tries", "$tries"),
            Option("max", "max N digits", "maxDigits",
                   "The most keys in one entry; entries of more than one key end with #.",
                   DIGITS_SLOTS, "1 to $max_digits", "the longest choice's keys"),
        ), example='menu via "https://ivr.example.com/routee" wait 8s {\n'
                   '  say "For appointments press 1. For the front desk press 2."\n'
                   '  on 1 { say "Appointments." }\n'
                   '  on 2 { dial +302101111111 }\n'
                   '}'),
    StatementDoc(
        "on", "menu", "on KEYS[, KEYS…] { … } | on any [N] digits { … } | on machine { … }",
        "a plan answered to the menu's eventUrl",
        "A choice of the menu it is in: what happens when the caller presses KEYS (digits, "
        "`star` or `*`, `hash` or `#`; `on 1, 2` answers both with one branch), or any "
        "entry (of N digits); `{digits}` in its "
        "`say` text is the keys pressed. `on machine`, at the top of the file, is the plan "
        "answered when a machine picks up (with `machine continue`).",
        (Slot("choice"),), example='on 1 { say "Appointments." }'),
    StatementDoc(
        "otherwise", "menu", "otherwise { … }", "a plan answered to the menu's eventUrl",
        "What happens on a key the menu has no `on` for.",
        default="the menu is asked again", example='otherwise { say "Sorry." again }'),
    StatementDoc(
        "timeout", "menu", "timeout { … }", "verbs after the menu's wait, in the same plan",
        "What happens when nothing is pressed within `wait`, or no tries are left; verbs "
        "only (no menu, `again` or `handoff`).",
        default="the call ends", example='timeout { say "Goodbye." }'),
    StatementDoc(
        "again", "menu", "again", "the menu's plan, for the next try",
        "Asks the menu this branch belongs to once more, while tries are left (then its "
        "`timeout` runs). It ends its block.", example="again"),
    StatementDoc(
        "back", "menu", "back", "the parent menu's plan, from its first try",
        "Goes back to the parent menu: asks the menu in whose branch this branch's menu "
        "was asked, afresh. It ends its block.",
        example="back"),
    StatementDoc(
        "end", "menu", "end", "(none: the plan ends, and with it the call)",
        "Ends the call here: nothing after it in its block runs. Routee has no hang-up "
        "verb; the call ends when its plan has no verbs left.",
        example='otherwise { say "Goodbye." end }'),
    StatementDoc(
        "handoff", "menu", "handoff URL [within D]", "the rest of the call, fetched by "
        "`dialplan serve`",
        "Ends the branch by handing the call to URL: `dialplan serve` posts the keys there "
        "and answers Routee with the dialplan it gets back.",
        (Slot("url"), _words("within", optional=True, then=(Slot("duration"),))),
        range="within at most $handoff_budget_s s (Routee waits "
              "3 s for an eventUrl's answer)",
        default="within ${handoff_s}s",
        example='handoff "https://crm.example.com/routee" within 2s'),
    StatementDoc(
        "ask", "menu", "ask URL [within D] [vars NAME…] { on CHOICE { … } … otherwise { … } "
        "[timeout { … }] }", "the branch of the choice your system answers, fetched by "
        "`dialplan serve`",
        "Ends the branch by asking your system which branch comes next: `dialplan serve` "
        "posts the call's context to URL and expects {\"choice\": \"…\", \"vars\": {…}} "
        "within D; the branch of that choice is answered, its placeholders named in `vars` "
        "filled from the answer (text only). A late answer takes `timeout` (else "
        "`otherwise`); an error, an undeclared choice or anything else takes `otherwise`.",
        (Slot("url"), _words("within", optional=True, then=(Slot("duration"),)),
         _words("vars", optional=True, then=(Slot("name"),))),
        range="within at most $handoff_budget_s s (Routee waits "
              "3 s for an eventUrl's answer)",
        default="within ${handoff_s}s",
        example='ask "https://crm.example.com/routee/balance" within 2s vars balance {\n'
                '  on open { say "Your balance is {balance}." }\n'
                '  otherwise { say "We cannot tell you now." }\n}'),
    StatementDoc(
        "report", "menu", "report to URL", "a POST to URL by `dialplan serve`, after it answers",
        "Tells your system what the caller chose: when `dialplan serve` answers this branch, "
        "it posts the script, the path through the menus, the keys, the call's ids and its "
        "values to URL, in the background: it never delays the answer or changes what the "
        "caller hears.",
        (_words("to"), Slot("url")),
        example='report to "https://crm.example.com/answers"'),
)})

#: The values a slot kind offers when completing.
VALUES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "language": routee.LANGUAGES,
    "gender": routee.GENDERS,
    "repeat": ("forever",),
    "target": ("sip", "viber"),
    "choice": ("any", "star", "hash", "machine"),
})

DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours"}

#: The keys of a telephone keypad, and the names of the two that are not
#: digits. A script's `on`, `dialplan simulate --press` and a scenario's
#: `press` all read keys with `read_keys`, so `star` means `*` in each.
KEYS = "0123456789*#"
KEY_NAMES: Mapping[str, str] = MappingProxyType({"star": "*", "hash": "#"})
KEYS_HELP = "keys are 0-9, * (or star) and # (or hash)"


def read_keys(text: str) -> str:
    """The keys `text` names: digits, `*` and `#`, and the names `star` and
    `hash`, run together or apart: "1234#" → "1234#", "star" → "*",
    "1 2 hash" → "12#". ValueError, naming the first thing that is not a
    key, for anything else (or for no key at all)."""
    keys: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in KEYS:
            keys.append(ch)
            i += 1
            continue
        if ch in " \t":
            i += 1
            continue
        name = next((n for n in KEY_NAMES if text.startswith(n, i)), None)
        if name is None:
            end = i + 1
            while end < len(text) and text[end] not in KEYS and text[end] not in " \t":
                end += 1
            raise ValueError(f"{text[i:end]!r} is not a key; {KEYS_HELP}")
        keys.append(KEY_NAMES[name])
        i += len(name)
    if not keys:
        raise ValueError(f"no key in {text!r}; {KEYS_HELP}")
    return "".join(keys)

KIND_NAMES = {"setting": "call setting", "verb": "verb", "directive": "directive",
              "menu": "menu statement"}



#: Statements that end a block and may follow another statement on the
#: same line (`otherwise { say "Sorry."  again }`): the grammar knows them
#: as keywords, so they are never an argument (grammar/dialplan.lark).
BLOCK_ENDS = ("again", "back", "end")

#: The statements of each kind, in the table's order.
SETTINGS = tuple(s.name for s in STATEMENTS.values() if s.kind == "setting")
VERBS = tuple(s.name for s in STATEMENTS.values() if s.kind == "verb")
DIRECTIVES = tuple(s.name for s in STATEMENTS.values() if s.kind == "directive")
#: Statements of menus (checked by `menucheck.py`).
MENU_STATEMENTS = tuple(s.name for s in STATEMENTS.values() if s.kind == "menu")
#: Every statement of a plain script: settings, verbs and directives.
PLAN_STATEMENTS = SETTINGS + VERBS + DIRECTIVES

#: The fields of the request body of `POST /voice/conversation`, in
#: Routee's order. `dialPlan` holds the verbs; each other one is a setting's.
REQUEST_FIELDS = ("from", "to", "dialPlan", "dialPlanUrl", "hangupDelay", "maxDuration",
                  "callback", "machineDetection")
#: The Routee type of each verb (SAY, PLAY, ...), in the table's order.
VERB_TYPES = tuple(STATEMENTS[name].verb for name in VERBS)
