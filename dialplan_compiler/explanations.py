"""The long explanation of every rule, for `dialplan explain CODE`.

`rules.py` gives each rule a code, a severity, a name and a one-line
summary; this module says, for each code, what the rule catches, why it
matters on a real Routee call (and whether the Routee fact behind it is
documented or only our reading, see the project's ROUTEE notes), and how to
fix it, with a `wrong` script that triggers the rule and the `right` script
that fixes it. The tests run every example, so an explanation cannot drift
away from what the checker does.

Some rules need special examples:

* DP001 is about bytes that are not UTF-8, which a `str` cannot hold: its
  `wrong` is the text as shown, `wrong_bytes` the bytes actually checked.
* DP009 needs more than 50 syntax errors, DP012 blocks more than 50 deep:
  their `wrong` examples are generated.
* DP901 fires only when the checker has a bug, so it has no `wrong`.
* DP011 is about the configuration file, not a script: its examples are
  the contents of a `.dialplan.toml` (mode "config").
* DP010 and DP220 are about JSON payloads checked as they are: their
  examples are JSON (mode "json").
* DP401 is about JSON given to `dialplan decompile`: its examples are JSON
  payloads, decompiled (mode "decompile").
"""

from __future__ import annotations

import shlex
import textwrap
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, Mapping

from . import rules
from .parser import MAX_NESTING, MAX_SYNTAX_ERRORS

#: Width of `explain`'s output, in columns.
WIDTH = 79
#: Examples longer than this are shown cut short by `explain`.
MAX_SHOWN_LINES = 12


@dataclass(frozen=True)
class Explanation:
    """The long form of one rule.

    `wrong` triggers the rule and `right` is the same script fixed; both are
    run in `mode`: "check" (`check_source`), "compile" (`compile_source`
    with `variables`), "config" (the examples are a `.dialplan.toml` read
    with `config.load_config`, for DP011), "json" (the examples are JSON
    payloads, read with `jsonpos.parse_json` and validated against the
    schemas, for DP010 and DP220) or "decompile" (JSON payloads given to
    `decompiler.decompile`, for DP401). `wrong_bytes`, when set, is what is
    really checked instead of `wrong` (which is then only how it is shown).
    `wrong` is None only for a rule that no script should trigger (DP901).
    `right_environment` holds environment variables the `right` example is
    compiled with (DP227's DIALPLAN_SIGNING_SECRET), and `environment` those
    both are (DP230's secret and URL limit).
    """

    text: str
    wrong: str | None
    right: str
    mode: Literal["check", "compile", "config", "json", "decompile"] = "check"
    variables: Mapping[str, str] = field(default_factory=dict)
    wrong_bytes: bytes | None = None
    right_environment: Mapping[str, str] = field(default_factory=dict)
    environment: Mapping[str, str] = field(default_factory=dict)

    @property
    def wrong_source(self) -> str | bytes | None:
        """What to check to see the rule fire: the bytes if given, else `wrong`."""
        return self.wrong_bytes if self.wrong_bytes is not None else self.wrong


def _x(text: str, wrong: str | None, right: str, **kwargs) -> Explanation:
    """An explanation whose text is written as an indented paragraph."""
    return Explanation(" ".join(textwrap.dedent(text).split()), wrong, right, **kwargs)


# DP001: a file saved in Latin-1 / Windows-1252, where "é" is the byte 0xE9.
_LATIN1 = ('# saved as Latin-1: "é" is the single byte 0xE9\n'
           'say "Bonjour, ici le Café." in fr-FR\n')

# DP009: a JSON dialplan pasted into a .call file: every line is a syntax error.
_JSON_PLAN = "\n".join(
    ['{"verbs": ['] +
    [f'  {{"type": "SAY", "message": {{"text": "Step {n}.", "language": "en-GB"}}}},'
     for n in range(1, MAX_SYNTAX_ERRORS + 2)] +
    ["]}"]) + "\n"

# DP012: menus in branches of menus, one level more than blocks may nest.
_VIA = 'menu via "https://ivr.example.com/routee"'
# The end of a menu that leaves no caller in silence (DP320, DP321, DP322).
_ENDS = ('  otherwise { say "Sorry, that is not an option." again }\n'
         '  timeout { say "We did not hear from you. Goodbye." }\n}\n')
_DEEP_MENUS = ("voice en-GB\n"
               f"# {MAX_NESTING // 2 + 1} menus, each in a branch of the one before\n"
               + f"{_VIA} {{ on 1 {{\n" * (MAX_NESTING // 2 + 1)
               + '  say "You reached the bottom."\n'
               + "} }\n" * (MAX_NESTING // 2 + 1))
_TWO_MENUS = ("voice en-GB\n"
              f"{_VIA} {{\n"
              '  say "For appointments press 1."\n'
              "  on 1 {\n"
              f"    {_VIA} {{\n"
              '      say "For a new appointment press 1."\n'
              "      on 1 {\n"
              '        handoff "https://ivr.example.com/appointments"\n'
              "      }\n"
              + textwrap.indent(_ENDS, "    ")
              + "  }\n"
              + _ENDS)

# The start of a menu, shared by the examples of the menu rules.
_MENU = ('voice en-GB\nmenu via "https://ivr.example.com/routee" {\n'
         '  say "For sales press 1. For support press 2."\n')

_PER_CALL = ('voice en-GB\nsay "Hello {name}. Your appointment is on {date} at {place}."\n'
             'menu via "https://ivr.example.com/routee" {\n  say "To confirm press 1."\n')

EXPLANATIONS: Mapping[str, Explanation] = MappingProxyType({
    # --- DP0xx: reading and parsing ----------------------------------------------
    "DP001": _x(
        """A .call file must be UTF-8 text. This fires when the bytes are not
        valid UTF-8 (a file saved as Latin-1 or Windows-1252 by an old
        editor, for instance) or when the file holds NUL bytes, which
        means it is binary. The checker cannot tell which characters were
        meant, and guessing could put the wrong text into a SAY that
        Routee then speaks to the callee. Save the file as UTF-8 (a
        UTF-8 byte-order mark is accepted and ignored).""",
        _LATIN1, _LATIN1.replace("saved as Latin-1: \"é\" is the single byte 0xE9",
                                 "saved as UTF-8: \"é\" is the two bytes 0xC3 0xA9"),
        wrong_bytes=_LATIN1.encode("latin-1")),
    "DP002": _x(
        """A string opened with " is not closed on the same line. Strings
        cannot span lines, so everything to the end of the line is taken
        as part of the broken string and the statement is dropped: the
        call would lose a SAY, a URL or a number. Close the string with "
        on the same line; to continue a long statement, end the line with
        a backslash outside the string.""",
        'say "Hello, this is Example Clinic. in en-GB\n',
        'say "Hello, this is Example Clinic." in en-GB\n'),
    "DP003": _x(
        """A character that cannot start a word, a string, a brace or a
        comment: a control character, or a backslash that is not the last
        character of its line. A line continuation must be a backslash at
        the very end of the line; anything after it, even a comment, makes
        the backslash a stray character and the statement is lost. Remove
        the character, or move the comment to its own line.""",
        'say "Your appointment is tomorrow." \\  # continued below\n    in en-GB\n',
        '# continued below\nsay "Your appointment is tomorrow." \\\n    in en-GB\n'),
    "DP004": _x(
        """A '}' closes a block that was never opened. Statements in the
        .call language do not take blocks today (Routee's verbs do not
        nest: they run one after another, as observed in code written
        against the live API), so a stray '}' is usually left over from
        an edit or from a JSON dialplan pasted in. Remove it.""",
        'say "Hello." in en-GB\n}\npause 1s\n',
        'say "Hello." in en-GB\npause 1s\n'),
    "DP005": _x(
        """A '{' is still open at the end of the file. A braced '{' outside
        a string opens a block, and a block runs until its '}', so
        everything after it becomes part of the block. Usually the '{'
        was meant as a placeholder, which belongs inside the string:
        "Hello {name}". Remove the '{' or add the '}' that closes it.""",
        'say "Hello." in en-GB {\npause 1s\n',
        'say "Hello." in en-GB\npause 1s\n'),
    "DP006": _x(
        """A line starts with something other than a statement name (a
        string, a '{'). Every statement starts with its name, such as say
        or pause. The usual cause is a statement split over two lines
        without the backslash that continues it, so the second line is
        read as a statement of its own. End the first line with a
        backslash, or put the statement on one line.""",
        'say\n    "Please hold, we are connecting you." in en-GB\n',
        'say \\\n    "Please hold, we are connecting you." in en-GB\n'),
    "DP007": _x(
        """A string holds a backslash followed by a character that is not an
        escape. The escapes are \\" (a quote), \\\\ (a backslash), \\n and
        \\t. Anything else is more likely a typo than intended, and the
        text would reach Routee's text-to-speech differently from what
        you wrote. Write \\\\ for a literal backslash, or drop it.""",
        'say "Press \\* to hear the menu again." in en-GB\n',
        'say "Press * to hear the menu again." in en-GB\n'),
    "DP008": _x(
        """Inside a string, '{' starts a {placeholder}, which is a name made
        of letters, digits and underscores closed by '}'. This fires for a
        '{' that does not start one ("{ name }", "{1}") and for a '}' that
        closes none. Left alone, the braces would be spoken by Routee's
        text-to-speech or sent in a URL. Write {name}, or {{ and }} for
        literal braces.""",
        'say "Hello { name }, this is Example Clinic." in en-GB\n',
        'say "Hello {name}, this is Example Clinic." in en-GB\n'),
    "DP009": _x(
        f"""The file has more than {MAX_SYNTAX_ERRORS} syntax errors, so
        checking stopped: past that point the errors are noise, and the
        file is most likely not a .call script at all, such as a JSON
        dialplan ({{"verbs": [...]}}, what Routee itself reads) or a binary
        file given by mistake. Check that you gave the right file, and
        write JSON dialplans as .call statements.""",
        _JSON_PLAN,
        "".join(f'say "Step {n}." in en-GB\n' for n in range(1, MAX_SYNTAX_ERRORS + 2))),
    "DP010": _x(
        """A JSON payload, a request body or a dialplan {"verbs": [...]}
        written by hand or by another tool and checked before it goes to
        Routee, that is not valid JSON: a syntax error (a trailing comma,
        single quotes, a comment), a key given twice in one object, arrays
        and objects nested more than 100 deep, or a string with half of a
        UTF-16 surrogate pair alone (\\ud800 without the \\udc00-\\udfff
        that completes it), which is no character, so not Unicode text. Routee reads JSON: a
        request body it cannot parse is refused, and only a valid dialplan
        answered to an eventUrl replaces the running one (documented). A
        duplicate key is refused as well because JSON parsers disagree on
        which value wins, and which one Routee's keeps is not documented.
        Fix the JSON at the line and column given.""",
        '{"verbs": [\n'
        '  {"type": "SAY", "message": {"text": "Please hold.", "language": "en-GB"}},\n'
        '  {"type": "PAUSE", "duration": 2},\n'
        ']}\n',
        '{"verbs": [\n'
        '  {"type": "SAY", "message": {"text": "Please hold.", "language": "en-GB"}},\n'
        '  {"type": "PAUSE", "duration": 2}\n'
        ']}\n',
        mode="json"),
    "DP011": _x(
        """The configuration file (.dialplan.toml, or the [tool.dialplan]
        table of pyproject.toml, the closest to the checked file from its
        folder upwards) cannot be used: invalid TOML, or a value of the
        wrong type. This is about dialplan itself, not Routee: rather than
        guess and check with settings you did not mean, dialplan stops and
        names the file and line. warnings-as-errors is true or false,
        max-errors a whole number, from a string, and select and ignore
        lists of codes or code prefixes (DP304, DP3).""",
        'warnings-as-errors = "yes"\n',
        'warnings-as-errors = true\n',
        mode="config"),
    "DP012": _x(
        f"""Blocks nest at most {MAX_NESTING} deep. The block of a menu and
        the block of each of its branches count one level each, so a menu
        in a branch of another menu takes two levels and menus nest at most
        {MAX_NESTING // 2} deep. This is a limit of dialplan, not of Routee:
        checking, formatting and the editor support walk the blocks one
        inside the other, and a limit keeps a generated or corrupted file
        from exhausting them; real call flows stay a few levels deep. The
        error points at the '{{' of the first block too deep, and the blocks
        inside it are left out. Flatten the flow: ask fewer questions in a
        row, or hand the caller over to another flow with handoff.""",
        _DEEP_MENUS, _TWO_MENUS),
    # --- DP1xx: statements and arguments -------------------------------------------
    "DP101": _x(
        """The line starts with a name that is not a statement of the .call
        language; the checker suggests the closest one. The statements are
        the call settings from, to, ring, limit, notify, machine and plan,
        the verbs say, play, pause, collect and dial (Routee's SAY, PLAY,
        PAUSE, COLLECT and DIAL), and voice. Routee has no other verbs, so
        there is nothing an unknown statement could become. Fix the
        spelling.""",
        'sya "Hello." in en-GB\n',
        'say "Hello." in en-GB\n'),
    "DP102": _x(
        """A word after a statement's first argument that is none of its
        options. say takes in, as, repeat and interruptible; play takes
        repeat and interruptible; collect takes to, max and submit; dial
        takes from, ring, limit, notify, record and machine. Each maps to
        one field of Routee's verb (as female is message.gender), and an
        unknown word would be silently lost. Use the option the checker
        suggests.""",
        'say "Hello." in en-GB gender female\n',
        'say "Hello." in en-GB as female\n'),
    "DP103": _x(
        """A statement or option lacks a value it needs: pause without a
        duration, collect without to URL, in without a language. Most of
        these are required fields of Routee's verbs (COLLECT's eventUrl is
        where Routee posts the keys; without it the caller's input goes
        nowhere). Add the missing value; the help line gives an
        example.""",
        'say "Enter your PIN." in en-GB\npause 10s\ncollect max 4 digits\n',
        'say "Enter your PIN." in en-GB\npause 10s\n'
        'collect to "https://hooks.example.com/pin" max 4 digits\n'),
    "DP104": _x(
        """An argument of the wrong kind where a particular kind belongs:
        text that is not in double quotes, a number where a language or a
        URL belongs, an unknown keyword such as machine wait. A bare
        word is taken for a keyword, and quoting is what tells the checker
        that something is text for Routee to speak or a URL for it to call.
        Write the argument as the message says, usually in double
        quotes.""",
        "say Hello in en-GB\n",
        'say "Hello" in en-GB\n'),
    "DP105": _x(
        """A duration without a unit (ring 30), or a word that starts like
        one but is not (2min). Routee counts hangupDelay, maxDuration and
        PAUSE's duration in whole seconds (documented; for maxDuration the
        unit is our reading), but a bare 2 in a script could be meant as
        seconds or minutes, so the language requires a unit: 45s, 2m, 1h,
        1m30s.""",
        'say "Please hold." in en-GB\npause 2\n',
        'say "Please hold." in en-GB\npause 2s\n'),
    "DP106": _x(
        """A count that is not a whole number, such as max 4.5 digits or
        max 4digits (the space is missing, so "4digits" is one word).
        COLLECT's maxDigits is an integer in Routee's API (documented).
        Write a whole number, separated by spaces: max 4 digits.""",
        'collect to "https://hooks.example.com/pin" max 4digits\n',
        'collect to "https://hooks.example.com/pin" max 4 digits\n'),
    "DP107": _x(
        """A URL that is not an absolute http:// or https:// URL: no scheme,
        another scheme, no host, or spaces. Routee's fields for these are
        URLs (documented), and Routee requests them from its own servers:
        it POSTs to COLLECT's eventUrl, the machine-detection eventUrl and
        the callback url, and fetches dialPlanUrl and PLAY's fileURL. A
        relative path or a bare host name means nothing to it. Write the whole URL,
        starting with https://.""",
        'say "Enter your PIN." in en-GB\ncollect to "hooks.example.com/pin" max 4 digits\n',
        'say "Enter your PIN." in en-GB\n'
        'collect to "https://hooks.example.com/pin" max 4 digits\n'),
    "DP108": _x(
        """An option given twice in one statement, such as say ... in en-GB
        in fr-FR. Each option sets one field of Routee's verb (in sets
        message.language), which holds one value, so it is not clear
        which one was meant. Keep one of them.""",
        'say "Hello." in en-GB in fr-FR\n',
        'say "Hello." in en-GB\n'),
    "DP109": _x(
        """An argument where the statement expects none, usually a value
        split in two. pause 1m 30s is a pause of 1m and a stray 30s,
        because a duration is written without spaces (1m30s). Dropping
        the extra value silently would give the call a different timing
        from what you wrote. Join the parts, or remove the argument.""",
        'say "Please hold." in en-GB\npause 1m 30s\n',
        'say "Please hold." in en-GB\npause 1m30s\n'),
    "DP110": _x(
        """A { ... } block after a statement. No statement takes a block:
        Routee's verbs do not nest, they run one after another and the call
        ends when the last one ends (observed in code written against the
        live API, not documented as such). So what to do after a collect
        cannot be written inside it: put the verbs that should follow in
        the plan, and the answer to the keys in the plan your server
        returns to COLLECT's eventUrl.""",
        'collect to "https://hooks.example.com/menu" max 1 digit {\n'
        '    say "You pressed a key." in en-GB\n}\n',
        'collect to "https://hooks.example.com/menu" max 1 digit\n'
        'say "Press a key." in en-GB\npause 5s\n'),

    # --- DP2xx: Routee's rules -----------------------------------------------------
    "DP111": _x(
        """A statement where it cannot run: again outside a menu's branch,
        on, otherwise or timeout outside a menu, a menu, again, handoff or
        collect in a timeout block, a dial or collect in a menu's question,
        a call setting inside a block. A timeout runs in the plan that is
        already playing, without a request to the server (Routee calls an
        eventUrl only for keys and at the end of the call, documented), so
        it cannot ask anything; again needs a menu to ask again. Move the
        statement where the message says.""",
        'voice en-GB\nsay "For sales press 1."\nagain\n',
        _MENU + '  on 1 { say "Sales." }\n  on 9 { again }\n' + _ENDS),
    "DP201": _x(
        """A call setting (from, to, ring, limit, notify, machine, plan)
        appears twice. Each setting is one field of the request body of
        Routee's POST /voice/conversation (ring is hangupDelay, limit is
        maxDuration; documented), which has room for one value, so the
        second would silently win or lose. Keep one of them.""",
        'from +302101234567\nto +306912345678\nring 30s\nring 45s\n'
        'say "Hello." in en-GB\n',
        'from +302101234567\nto +306912345678\nring 45s\n'
        'say "Hello." in en-GB\n'),
    "DP202": _x(
        """A call setting after the first verb. Settings describe the whole
        call (they become fields of the request body, not verbs of the
        dialplan), so a ring after a say does not take effect after the
        say, and one after a dial looks as if it belonged to the dial,
        which has its own ring option. So every setting must come before
        the first verb: a rule of the .call language, not of Routee, whose
        request body has no order. Move it up.""",
        'from +302101234567\nto +306912345678\nsay "Hello." in en-GB\nring 30s\n',
        'from +302101234567\nto +306912345678\nring 30s\nsay "Hello." in en-GB\n'),
    "DP203": _x(
        """A script must give Routee either verbs or plan url, not both and
        not neither. Routee takes exactly one of dialPlan and dialPlanUrl,
        and a dialPlan's verbs are never empty (documented). With plan url
        the verbs live behind the URL, so verbs in the script would be
        ignored; without either, the call has nothing to do. Remove the
        verbs or the plan url line, or add a verb.""",
        'from +302101234567\nto +306912345678\n'
        'plan url "https://plans.example.com/welcome.json"\nsay "Hello." in en-GB\n',
        'from +302101234567\nto +306912345678\n'
        'plan url "https://plans.example.com/welcome.json"\n'),
    "DP204": _x(
        """A language Routee's SAY does not speak. Routee documents exactly
        14: en-US de-DE fr-FR it-IT pt-BR es-ES es-LA en-GB el-GR bg-BG
        pl-PL hu-HU sv-SE ru-RU, spelled that way (note es-LA, and en-GB
        rather than en-UK). Any other value makes Routee reject the
        request. Use one of the 14; the checker suggests the closest.""",
        'say "Good morning." in en-UK\n',
        'say "Good morning." in en-GB\n'),
    "DP205": _x(
        """A say with no language. Routee's SAY requires message.language
        (documented), and the .call language has no default, because
        guessing one would read the text with the wrong voice. Give the say
        its own in LANG, or put a voice LANG line above it, which applies
        to every later say.""",
        'say "Hello, this is Example Clinic."\n',
        'voice en-GB\nsay "Hello, this is Example Clinic."\n'),
    "DP206": _x(
        """More than one dial in a plan. Routee documents at most one DIAL
        verb per dialplan, so a plan with two is refused. Keep one dial;
        to reach a second number, place a second call, or dial it from the
        new plan your server answers to a COLLECT eventUrl (that plan
        replaces the rest of the running one).""",
        'from +302101234567\nsay "Connecting you." in en-GB\n'
        'dial +302107654321\ndial +302107654322\n',
        'from +302101234567\nsay "Connecting you." in en-GB\ndial +302107654321\n'),
    "DP207": _x(
        """say text that is empty or longer than 1000 characters. Routee's
        SAY requires message.text and documents at most 1000 characters;
        that an empty text is refused as well is our reading of "required".
        Write the text to speak, and split long text over several say
        lines.""",
        'say "" in en-GB\n',
        'say "Hello, this is Example Clinic." in en-GB\n'),
    "DP208": _x(
        """The call's ring (Routee's hangupDelay, how long to wait for the
        callee to answer) is over 60 s. Routee documents hangupDelay as 1
        to 60 seconds, and without it the network decides (20 s, says the
        page the project was seeded from). Use at most 60s. (A dial's ring
        is a separate rule, DP308, because there the limit is only our
        reading.)""",
        'from +302101234567\nto +306912345678\nring 90s\nsay "Hello." in en-GB\n',
        'from +302101234567\nto +306912345678\nring 60s\nsay "Hello." in en-GB\n'),
    "DP209": _x(
        """A duration under 1 s (pause 0s, ring 500ms) or one that is not
        whole seconds (pause 1500ms). Routee documents PAUSE's duration
        and hangupDelay as integer seconds, and hangupDelay and maxDuration
        as at least 1 (that maxDuration counts seconds is our reading), so
        a fraction cannot be sent and a zero does nothing. Round to whole seconds, at least 1s.""",
        'say "One moment." in en-GB\npause 500ms\n',
        'say "One moment." in en-GB\npause 1s\n'),
    "DP210": _x(
        """collect ... max N digits with N under 1. Routee's COLLECT takes
        maxDigits as an integer, 30 when absent (documented); no lower
        bound is documented, but a maximum of 0 digits collects nothing,
        so we refuse it. Collect at least 1 digit, or leave max out for
        Routee's 30.""",
        'say "Press 1 for sales." in en-GB\n'
        'collect to "https://hooks.example.com/menu" max 0 digits\npause 5s\n',
        'say "Press 1 for sales." in en-GB\n'
        'collect to "https://hooks.example.com/menu" max 1 digit\npause 5s\n'),
    "DP211": _x(
        """A phone number that cannot exist: not E.164 (+, country code,
        national number), no country with that calling code, or the wrong
        length for its country. Routee takes to.phone in E.164 with the +
        (documented); whether a number can exist is judged with the
        phonenumbers library, Google's numbering-plan data, not by Routee.
        A number that cannot exist never connects. Check it for a missing
        digit or a trunk 0 left in.""",
        'from +302101234567\nto +3069123456\nsay "Hello." in en-GB\n',
        'from +302101234567\nto +306912345678\nsay "Hello." in en-GB\n'),
    "DP212": _x(
        """A Viber recipient that is not all digits. Routee documents
        to.viber as digits with the country code first and no + (its
        example is 306971234567), unlike to.phone. Drop the +, spaces and
        dashes.""",
        'from +302101234567\nto viber "+306971234567"\nsay "Hello." in en-GB\n',
        'from +302101234567\nto viber "306971234567"\nsay "Hello." in en-GB\n'),
    "DP213": _x(
        """A SIP address that is not user@host[:port]. That is the form
        Routee documents for to.sip, without a sip: prefix; a port, when
        given, is at most 65535. Write the address as alice@example.com or
        alice@10.0.0.1:5060.""",
        'from +302101234567\nto sip "sip:alice@pbx.example.com"\nsay "Hello." in en-GB\n',
        'from +302101234567\nto sip "alice@pbx.example.com"\nsay "Hello." in en-GB\n'),
    "DP214": _x(
        """machine continue without a URL after it. With the Continue
        strategy, Routee requires machineDetection.eventUrl (documented): it
        POSTs there when a machine answers and expects a dialplan back,
        for instance a message for the answering machine. Give the URL, or
        write machine hangup to end calls that a machine answers.""",
        'from +302101234567\nto +306912345678\nmachine continue\nsay "Hello." in en-GB\n',
        'from +302101234567\nto +306912345678\n'
        'machine continue "https://hooks.example.com/amd"\nsay "Hello." in en-GB\n'),
    "DP215": _x(
        """At compile time, a {placeholder} has no --var value.
        Placeholders are dialplan's, not Routee's: Routee would receive the
        braces as they are, spoken by SAY or sent as a phone number or URL
        that cannot work. dialplan check
        allows unfilled placeholders; dialplan compile needs a value for
        every one. Pass --var name=VALUE, or fix the placeholder's name;
        a misspelt one usually comes with DP309 for the --var it was meant
        to use.""",
        'say "Hello {nmae}, this is Example Clinic." in en-GB\n',
        'say "Hello {name}, this is Example Clinic." in en-GB\n',
        mode="compile", variables={"name": "Maria"}),
    "DP216": _x(
        """A call with a recipient but no sender, or a dial with no from
        and no from line to inherit. Routee requires from both in the body
        of POST /voice/conversation and in DIAL (documented). Add a from
        line at the top (a dial uses it when it has no from of its own),
        or pass --from.""",
        'to +306912345678\nsay "Hello." in en-GB\n',
        'from +302101234567\nto +306912345678\nsay "Hello." in en-GB\n',
        mode="compile"),
    "DP217": _x(
        """A sender id Routee cannot use: empty, or a numeric one longer than
        16 digits, the limit Routee documents for a numeric from. Use an
        E.164 number (+302101234567, the safest), a numeric sender of at
        most 16 digits, or a quoted alphanumeric name (see DP304).""",
        'from 30690000000000000\nto +306912345678\nsay "Hello." in en-GB\n',
        'from 306900000000\nto +306912345678\nsay "Hello." in en-GB\n'),
    "DP218": _x(
        """A plan url script compiled without a recipient (or with --plan).
        Such a script holds no verbs, so it cannot be compiled to a bare
        dialplan; it can only become the request body of POST
        /voice/conversation, where to is required (documented). Add a to
        line, or pass --to.""",
        'from +302101234567\nplan url "https://plans.example.com/welcome.json"\n',
        'from +302101234567\nto +306912345678\n'
        'plan url "https://plans.example.com/welcome.json"\n',
        mode="compile"),
    "DP219": _x(
        """repeat with a negative count (or something that is not a count).
        Routee's repeat is an integer, 0 by default, where -1 means
        forever (documented); the .call language spells that repeat
        forever, and other negative counts mean nothing. Write repeat N
        with N of 0 or more, or repeat forever.""",
        'play "https://cdn.example.com/hold-music.wav" repeat -1\n',
        'play "https://cdn.example.com/hold-music.wav" repeat forever\n'),

    "DP221": _x(
        """A menu answers the same keys twice (two on 1, two on any 4
        digits), or has two otherwise or two timeout blocks. A key press
        can lead to one plan only: the eventUrl answers one dialplan, which
        replaces the rest of the call (documented). This is a rule of
        dialplan's menus. Merge the blocks, or give one of them other
        keys.""",
        _MENU + '  on 1 { say "Sales." }\n  on 1 { say "Support." }\n}\n',
        _MENU + '  on 1 { say "Sales." }\n  on 2 { say "Support." }\n' + _ENDS),
    "DP222": _x(
        """A choice with more keys than the menu's max N digits (or than
        30, Routee's default maxDigits for COLLECT, which is documented).
        The menu's COLLECT stops gathering keys at its maxDigits, so the
        longer entry can never arrive whole. Raise the menu's max, or
        shorten the choice.""",
        'voice en-GB\nmenu via "https://ivr.example.com/routee" max 3 digits {\n'
        '  say "Enter your four digit code, then press hash."\n'
        '  on any 4 digits { say "Thank you." }\n}\n',
        'voice en-GB\nmenu via "https://ivr.example.com/routee" max 4 digits {\n'
        '  say "Enter your four digit code, then press hash."\n'
        '  on any 4 digits { say "Thank you." }\n' + _ENDS),
    "DP223": _x(
        """A choice that holds '#' in a menu whose entries end with '#'.
        A menu with an entry longer than one key uses submitOnHash, and
        Routee sends the keys when '#' is pressed (documented), so '#' ends
        every entry and can never be part of one. Use another key such as
        *; '#' can be a choice in a menu of single keys, where a key
        press is sent as soon as it is pressed.""",
        _MENU + '  on 12 { say "Sales." }\n  on hash { say "Operator." }\n}\n',
        _MENU + '  on 12 { say "Sales." }\n  on star { say "Operator." }\n' + _ENDS),
    "DP224": _x(
        """A menu without via URL. Routee sends the keys a caller presses
        to the COLLECT's eventUrl and runs the dialplan that URL answers
        (documented); via is where dialplan serve answers for this script,
        and every eventUrl and silent WAV of the menu is built on it. Add
        via with the base URL of dialplan serve.""",
        'voice en-GB\nmenu {\n  say "For sales press 1."\n  on 1 { say "Sales." }\n}\n',
        'voice en-GB\nmenu via "https://ivr.example.com/routee" {\n'
        '  say "For sales press 1."\n  on 1 { say "Sales." }\n' + _ENDS),
    "DP225": _x(
        """A menu that can ask forever: tries forever, or a prompt that
        repeats forever. Every loop of a menu (again, and keys with no
        choice) counts a try, and the count rides in the signed eventUrl;
        without a bound, a caller who presses nothing useful stays on the
        line, at the caller's and your cost, until someone hangs up. A
        prompt with repeat forever (Routee's repeat -1, documented) never
        stops for the wait, so timeout never comes. Ask a few times:
        tries 3.""",
        'voice en-GB\nmenu via "https://ivr.example.com/routee" tries forever {\n'
        '  say "For sales press 1."\n  on 1 { say "Sales." }\n'
        '  otherwise { say "Sorry." again }\n}\n',
        'voice en-GB\nmenu via "https://ivr.example.com/routee" tries 3 {\n'
        '  say "For sales press 1."\n  on 1 { say "Sales." }\n' + _ENDS),
    "DP226": _x(
        """A handoff that may take longer than an eventUrl may. Routee waits
        3 seconds for the eventUrl's answer (documented); dialplan serve
        asks the handoff URL within the time given and keeps the rest for
        the network and itself, so a handoff may take at most 2 s. What
        takes longer must not block the call: do it before the call, or
        after the answer.""",
        _MENU + '  on 1 { handoff "https://crm.example.com/routee" within 5s }\n}\n',
        _MENU + '  on 1 { handoff "https://crm.example.com/routee" within 2s }\n' + _ENDS),
    "DP227": _x(
        """A script with menus compiled without DIALPLAN_SIGNING_SECRET.
        Routee does not sign the requests it makes to an eventUrl, and it
        keeps the eventUrl's query string (observed), so every eventUrl
        dialplan emits carries an HMAC of its query under that secret, and
        dialplan serve answers only URLs it signed. Set the variable, to
        the same secret dialplan serve runs with, and compile again.""",
        _MENU + '  on 1 { say "Sales." }\n}\n',
        '# compiled with DIALPLAN_SIGNING_SECRET set\n' + _MENU + '  on 1 { say "Sales." }\n'
        + _ENDS,
        mode="compile", right_environment={"DIALPLAN_SIGNING_SECRET": "example-secret"}),
    "DP230": _x(
        """The values a call is compiled with that its branches say travel
        with the call, sealed in the eventUrl of every menu (dialplan serve
        keeps no state), so long values make long URLs. Routee documents no
        limit on a URL's length: the limit dialplan assumes is 2048
        characters, the longest URL that every browser, proxy and HTTP
        library is known to pass, and DIALPLAN_URL_LIMIT sets another. Say
        short values in the branches (a date, not a letter), or say them
        before the menu, in the main plan, where they are filled in and do
        not travel.""",
        _PER_CALL + '  on 1 { say "Thank you, {name}. See you on {date} at {place}." }\n}\n',
        _PER_CALL + '  on 1 { say "Thank you, {name}. See you then." }\n' + _ENDS,
        mode="compile", variables={"name": "Maria Papadopoulou", "date": "Monday 3 May",
                                   "place": "Example Clinic, 12 Long Street, Athens"},
        environment={"DIALPLAN_SIGNING_SECRET": "example-secret-of-32-characters",
                     "DIALPLAN_URL_LIMIT": "250"}),
    "DP220": _x(
        """A JSON payload (a request body of POST /voice/conversation, a
        dialplan {"verbs": [...]}, a single verb, or with --kind event a
        body Routee sends to a dialPlanUrl, an eventUrl or a callback URL)
        that is valid JSON but does not match the schema of what it is, the
        JSON schemas in schemas/ written from Routee's documentation: a
        misspelt or missing field, a value of the wrong type, a verb Routee
        does not have, a document of another kind than the one asked for.
        dialplan validate says first what it was given. Routee answers a body it finds
        invalid with its validation error, code 400000000 (documented); the
        schemas are our transcription of its documentation, so in places
        Routee may be more lenient or stricter. Common slips are
        PAUSE's length (the field is duration), fileUrl for PLAY's fileURL,
        and numbers or booleans in quotes, as some of Routee's own examples
        write them: send real JSON numbers and booleans. Fix the field at
        the JSON pointer given.""",
        '{"verbs": [\n'
        '  {"type": "SAY", "message": {"text": "Please hold.", "language": "en-GB"}},\n'
        '  {"type": "PAUSE", "length": 10}\n'
        ']}\n',
        '{"verbs": [\n'
        '  {"type": "SAY", "message": {"text": "Please hold.", "language": "en-GB"}},\n'
        '  {"type": "PAUSE", "duration": 10}\n'
        ']}\n',
        mode="json"),
    # --- DP3xx: warnings -----------------------------------------------------------
    "DP301": _x(
        """A phone number of a possible length that is not assigned to any
        network in its country's numbering plan, according to the
        phonenumbers library (Google's numbering-plan data, not Routee).
        Routee would place the call, and it would most likely fail. It is
        a warning because numbering plans change and the data may lag.
        Check the number for a typo.""",
        'from +302101234567\nto +306012345678\nsay "Hello." in en-GB\n',
        'from +302101234567\nto +306912345678\nsay "Hello." in en-GB\n'),
    "DP302": _x(
        """A play URL that does not end in .wav. Routee's PLAY plays WAV
        files only (as the project's Routee notes record), so an MP3 would
        be silence on the call. The URL's ending is only our heuristic: a
        URL without .wav may still serve WAV audio, so this is a warning.
        Convert the audio to WAV and link to that.""",
        'play "https://cdn.example.com/chime.mp3"\n',
        'play "https://cdn.example.com/chime.wav"\n'),
    "DP303": _x(
        """A plain http:// URL. Routee accepts it (its own documentation's
        PIN example uses http://), but what it sends there travels in the
        clear: a COLLECT eventUrl receives the numbers called and the
        keys pressed, often a PIN (observed). Use https://.""",
        'say "Enter your PIN." in en-GB\npause 10s\n'
        'collect to "http://hooks.example.com/pin" max 4 digits\n',
        'say "Enter your PIN." in en-GB\npause 10s\n'
        'collect to "https://hooks.example.com/pin" max 4 digits\n'),
    "DP304": _x(
        """An alphanumeric sender id such as "Example Clinic". Routee
        documents that alphanumeric senders are not supported by every
        network (Greece, for one), so on some networks the call may not
        be delivered. A numeric E.164 sender is safest. It
        is a warning because many networks do accept them.""",
        'from "Example Clinic"\nto +306912345678\nsay "Hello." in en-GB\n',
        'from +302101234567\nto +306912345678\nsay "Hello." in en-GB\n'),
    "DP305": _x(
        """More than one collect in a plan. Routee's COLLECT does not wait
        for input: tones pressed at any time of the call are gathered and
        sent to the eventUrl, so a second collect does not ask again. That
        one COLLECT per dialplan is the safe rule is our reading, not
        documented, hence a warning. To ask again, return a plan with its
        own collect from the eventUrl.""",
        'say "Enter your PIN." in en-GB\n'
        'collect to "https://hooks.example.com/pin" max 4 digits\npause 10s\n'
        'say "Enter it again." in en-GB\n'
        'collect to "https://hooks.example.com/pin2" max 4 digits\npause 10s\n',
        'say "Enter your PIN." in en-GB\n'
        'collect to "https://hooks.example.com/pin" max 4 digits\npause 10s\n'),
    "DP306": _x(
        """Verbs after one that repeats forever. repeat forever is Routee's
        repeat -1 (documented), and verbs run one after another, the next
        when the previous ends (observed), so what follows never runs
        unless a key press and the eventUrl's answer replace the plan. Give
        the earlier verb a finite repeat N, or remove what follows.""",
        'play "https://cdn.example.com/hold-music.wav" repeat forever\n'
        'say "Goodbye." in en-GB\n',
        'play "https://cdn.example.com/hold-music.wav" repeat 2\n'
        'say "Goodbye." in en-GB\n'),
    "DP307": _x(
        """interruptible (Routee's bargeIn) in a plan with no collect. A key
        press stops an interruptible verb and the tones collected so far
        go to the COLLECT eventUrl (documented); with no collect there is
        no eventUrl, so the caller can cut the message short and nothing
        hears the key. Add a collect, or remove interruptible.""",
        'say "Press 1 to confirm." in en-GB interruptible\npause 5s\n',
        'say "Press 1 to confirm." in en-GB interruptible\n'
        'collect to "https://hooks.example.com/confirm" max 1 digit\npause 5s\n'),
    "DP308": _x(
        """A dial whose ring (the DIAL verb's hangupDelay) is over 60 s.
        Routee documents DIAL's hangupDelay only as at least 1, and the
        1 to 60 s range only for the call itself (DP208); that networks
        stop ringing sooner is our reading, hence a warning. Use at most
        60s, or be ready for the dial to give up sooner.""",
        'from +302101234567\nsay "Connecting you." in en-GB\ndial +302107654321 ring 90s\n',
        'from +302101234567\nsay "Connecting you." in en-GB\ndial +302107654321 ring 60s\n'),
    "DP309": _x(
        """A --var given at compile time that no placeholder in the script
        uses. This is a rule of dialplan's placeholders, not of Routee. It
        usually means a misspelt variable or placeholder, and the
        value you meant to send to Routee (a name to speak, a number to
        dial) is missing from the call. Check the spelling against the
        script's placeholders, or drop the --var.""",
        'say "Hello {name}." in en-GB\n',
        'say "Hello {name}, see you on {date}." in en-GB\n',
        mode="compile", variables={"name": "Maria", "date": "Monday"}),
    "DP310": _x(
        """Call settings (ring, limit, notify, machine) in a script compiled
        to a bare dialplan {"verbs": [...]}, the answer for a dialPlanUrl
        or a COLLECT eventUrl. That happens when the script has no
        recipient, or with --plan. These settings are fields of the
        request body of POST /voice/conversation, not of a dialplan
        (documented), so they are dropped. Remove them, or add a to line
        (or --to) to compile the whole call.""",
        'ring 30s\nsay "You pressed 1." in en-GB\n',
        'say "You pressed 1." in en-GB\n',
        mode="compile"),
    "DP313": _x(
        """A path of the call that can run past the call's limit (its
        maxDuration, where Routee ends the call; the unit, seconds, is our
        reading). Each plan is walked with the most each statement can
        take: a say at the speaking rate of its language, times its
        hearings; a pause its seconds; a dial its ring plus its limit; a
        menu its prompt and wait, then each branch. A play adds nothing,
        as its length is not known here. The statement reported is the
        first whose end can come after the limit: Routee cuts the call
        before it is done. Raise limit, or shorten what comes before it
        (`dialplan simulate --all --timing` shows every path's range).""",
        'from +302101234567\nto +306912345678\nlimit 1m\npause 30s\n'
        'dial +302101111111 ring 20s limit 2m\n',
        'from +302101234567\nto +306912345678\nlimit 3m\npause 30s\n'
        'dial +302101111111 ring 20s limit 2m\n'),
    "DP314": _x(
        """A menu asked all its tries with nobody answering lasts longer
        than the call's limit: each try says the prompt (at the speaking
        rate of its language, measured on espeak-ng: not Routee's own
        voice, so an estimate) and waits, so the last tries are cut when
        Routee ends the call at its maxDuration (in seconds, our reading).
        Lower tries or wait, shorten the prompt, or raise limit.""",
        'from +302101234567\nto +306912345678\nlimit 20s\nvoice en-GB\n'
        'menu via "https://ivr.example.com/routee" wait 8s tries 3 {\n'
        '  say "Press 1."\n  on 1 { say "One." }\n  otherwise { say "Sorry." again }\n'
        '  timeout { say "Goodbye." }\n}\n',
        'from +302101234567\nto +306912345678\nlimit 1m\nvoice en-GB\n'
        'menu via "https://ivr.example.com/routee" wait 8s tries 3 {\n'
        '  say "Press 1."\n  on 1 { say "One." }\n  otherwise { say "Sorry." again }\n'
        '  timeout { say "Goodbye." }\n}\n'),
    "DP311": _x(
        """A branch that no key press can reach: an otherwise in a menu of
        single keys where every key (0-9, * and #) already has a choice of
        its own, or an on machine block when the call does not ask Routee
        what to do with a machine. Routee calls the machine-detection
        eventUrl only with the strategy Continue (documented), which
        machine continue URL sets. It is a warning: the script still works,
        but the branch is dead code. Remove it, or make it reachable.""",
        'voice en-GB\non machine {\n  say "Please call us back."\n}\nsay "Hello."\n',
        'voice en-GB\nmachine continue "https://ivr.example.com/routee"\non machine {\n'
        '  say "Please call us back."\n}\nsay "Hello."\n'),
    "DP312": _x(
        """Statements after a menu, again or handoff in the same block. A
        menu is the end of its plan: the keys go to its eventUrl, and the
        plan answered there replaces the rest of the running plan
        (documented), so the call goes on in the menu's branches and never
        comes back; again and handoff end their branch the same way. Move
        what should still be said into the menu's branches (or its
        timeout), or remove it.""",
        _MENU + '  on 1 { say "Sales." }\n}\nsay "Goodbye."\n',
        _MENU + '  on 1 { say "Sales." }\n'
        '  otherwise { say "Sorry, that is not an option." again }\n'
        '  timeout { say "Goodbye." }\n}\n'),

    # --- DP32x: the paths of a call -------------------------------------------------
    "DP320": _x(
        """A menu with no timeout block. When the caller presses nothing
        within the menu's wait, the plan that asked goes on with the
        timeout's verbs, and when there are none it has nothing left, and
        Routee ends the call after its last verb (observed): the caller
        hears the question, then silence, then the line goes dead. This is
        a rule of dialplan's menus, not of Routee. Say goodbye in a
        timeout block, or put the caller through to a person there.""",
        _MENU + '  on 1 { say "Sales." }\n'
        '  otherwise { say "Sorry, that is not an option." again }\n}\n',
        _MENU + '  on 1 { say "Sales." }\n' + _ENDS),
    "DP321": _x(
        """A menu with no otherwise block, where some keys have no choice.
        A key no choice takes asks the menu again, as otherwise { again }
        would, so the caller hears the same question once more with no word
        that the key was wrong, and when the tries run out the call goes on
        with the timeout. This is a rule of dialplan's menus, not of
        Routee. Say what went wrong in an otherwise block before again. A
        menu of single keys whose choices take every key needs none.""",
        _MENU + '  on 1 { say "Sales." }\n  timeout { say "Goodbye." }\n}\n',
        _MENU + '  on 1 { say "Sales." }\n' + _ENDS),
    "DP322": _x(
        """An again whose menu's last try ends the call with nothing said.
        again asks the menu once more until its tries are used up; on the
        last try it runs the menu's timeout instead, and a timeout that is
        missing, or says nothing (no say, play or dial), leaves the caller
        who kept pressing wrong keys with silence until Routee ends the
        call after the last verb (observed). This path reaches neither a
        person nor a goodbye. This is a rule of dialplan's menus, not of
        Routee. End the timeout with a word, or with a dial to a person.""",
        _MENU + '  on 1 { say "Sales." }\n'
        '  otherwise { say "Sorry, that is not an option." again }\n  timeout { }\n}\n',
        _MENU + '  on 1 { say "Sales." }\n' + _ENDS),
    "DP323": _x(
        """A dial that a caller reaches only by answering more menus than
        max-presses-to-dial allows (3 unless the configuration says
        otherwise; each answer to a menu counts once, a key or an entry
        ended with #). Callers who want a person give up on deep menus,
        and every level is another wait and another question. The limit is
        a heuristic, not Routee's: set max-presses-to-dial in
        [tool.dialplan] (or .dialplan.toml) to the depth your callers
        accept. Offer the person in an earlier menu, or in a timeout.""",
        "from +302101234567\nvoice en-GB\n# four menus, each in `on 1` of the one before\n"
        + f"{_VIA} {{ on 1 {{\n" * 4 + "dial +302107654321\n" + "} }\n" * 4,
        "from +302101234567\nvoice en-GB\n" + f"{_VIA} {{\n"
        '  say "For a person press 0."\n  on 0 { dial +302107654321 }\n' + _ENDS),
    "DP324": _x(
        """A say in a menu's question that takes longer to say than the menu
        then waits for an answer. The time is the text's length at the
        language's speaking rate (the table the timings of simulated paths
        use, measured with espeak-ng; Routee's voice paces differently, so
        this is a heuristic). A caller who listens to the end has less time to
        answer than the question took, and forgets the first options while
        the rest are read out. Shorten the question, split the menu in two,
        or give it a longer wait.""",
        'voice en-GB\nmenu via "https://ivr.example.com/routee" wait 2s {\n'
        '  say "For sales press 1. For support press 2."\n'
        '  on 1 { say "Sales." }\n  on 2 { say "Support." }\n' + _ENDS,
        'voice en-GB\nmenu via "https://ivr.example.com/routee" wait 5s {\n'
        '  say "For sales press 1. For support press 2."\n'
        '  on 1 { say "Sales." }\n  on 2 { say "Support." }\n' + _ENDS),

    "DP330": _x(
        """A setting that does nothing: a configuration key dialplan does not
        know (a typo, or a key of another tool), a code in select, ignore or
        a `# dialplan: ignore[…]` comment that is no rule's code (rule names
        such as alphanumeric-sender are not codes: `dialplan rules` lists
        the codes), or an error's code in ignore. Errors cannot be ignored:
        an error means Routee would reject the call, so no setting hides it.
        This is about dialplan itself, not Routee; the rest of the
        configuration still applies, so this is a warning naming the file,
        line and column, not a stop. Fix the spelling, or
        remove the code.""",
        'say "Hello." in en-GB repeat 2 interruptible  # dialplan: ignore[DP399]\n',
        'say "Hello." in en-GB repeat 2 interruptible  # dialplan: ignore[DP307]\n'),
    # --- DP4xx: decompiling JSON ----------------------------------------------------
    "DP401": _x(
        """dialplan decompile turns a JSON payload into a .call script, and
        this JSON holds something the .call language has no way to write:
        a field neither Routee nor the language knows, a value of the wrong
        JSON type, a verb type Routee does not have, or one of the forms
        the language leaves out on purpose: "bargeIn", "submitOnHash" or
        "record" set to false (the language only says `interruptible`,
        `submit on hash` and `record`; false is Routee's documented
        default), a COLLECT without an eventUrl, a callback without a
        strategy, recording fields without "record": true, or a sender the
        language would write differently. Rather than drop it silently,
        decompile reports it at its JSON pointer and leaves it in the .call
        as a `# not decompiled:` comment. Remove the field from the JSON, or
        write what you meant in the .call.""",
        '{"verbs": [\n'
        '  {"type": "SAY", "message": {"text": "Please hold.", "language": "en-GB"},\n'
        '   "bargeIn": false}\n'
        ']}\n',
        '{"verbs": [\n'
        '  {"type": "SAY", "message": {"text": "Please hold.", "language": "en-GB"}}\n'
        ']}\n',
        mode="decompile"),

    # --- DP9xx: safety net ---------------------------------------------------------
    "DP901": _x(
        """The payload that compile produced breaks the JSON schemas in
        schemas/, written from Routee's documentation of the request body
        and of the verbs. Every
        payload is validated before it is printed, and every script the
        checker accepts should pass, so this fires only when the checker
        misses a rule: a bug in dialplan, not in your script. So there is
        no wrong example: any script that triggers it is a bug to fix in
        the checker, which should report the script's real problem under
        its own code. Please report it with the script.""",
        None,
        'from +302101234567\nto +306912345678\nsay "Hello." in en-GB\n',
        mode="compile"),
})


def _indent(example: str) -> list[str]:
    """An example's lines indented by 4 spaces; a long one is cut short."""
    lines = example.rstrip("\n").split("\n")
    if len(lines) > MAX_SHOWN_LINES:
        head = lines[: MAX_SHOWN_LINES - 2]
        hidden = len(lines) - len(head) - 1
        lines = head + [f"… ({hidden} more lines like these)", lines[-1]]
    return ["    " + line if line else "" for line in lines]


def explain(code: str) -> str:
    """One rule's explanation, formatted for a terminal (at most 79 columns
    of prose). Raises KeyError for a code that is not a rule."""
    code = code.strip().upper()
    rule = rules.RULES[code]
    explanation = EXPLANATIONS[code]
    out = [f"{rule.code} {rule.name} ({rule.severity})", "",
           *textwrap.wrap(rule.summary, WIDTH, break_on_hyphens=False), ""]
    out += textwrap.wrap(explanation.text, WIDTH, break_on_hyphens=False) + [""]
    if explanation.mode == "config":
        out += ["The examples are the contents of .dialplan.toml.", ""]
    elif explanation.mode == "json":
        out += ["The examples are JSON payloads, not .call scripts.", ""]
    elif explanation.mode == "decompile":
        out += ["The examples are JSON payloads given to dialplan decompile.", ""]
    out.append("Wrong:")
    if explanation.wrong is None:
        out.append("    (none: a script that triggers this rule is a bug in dialplan)")
    else:
        out += _indent(explanation.wrong)
    out += ["", "Right:", *_indent(explanation.right)]
    if explanation.mode == "compile":
        flags = " ".join(f"--var {shlex.quote(f'{k}={v}')}"
                         for k, v in explanation.variables.items())
        out += ["", f"(compiled: dialplan compile FILE{' ' + flags if flags else ''})"]
        if explanation.environment:
            names = " ".join(f"{k}={v}" if k == "DIALPLAN_URL_LIMIT" else f"{k}=…"
                             for k, v in explanation.environment.items())
            out.append(f"(both examples with {names} in the environment)")
        if explanation.right_environment:
            names = " ".join(f"{k}=…" for k in explanation.right_environment)
            out.append(f"(the right example with {names} in the environment)")
    return "\n".join(out) + "\n"
