"""The values Routee takes, each judged once: phone numbers (against the
real numbering plans), SIP addresses, Viber numbers, senders, URLs and
languages.

Both the `.call` checker and the JSON validator (`validator.py`) judge
values here, so they accept the same values and say the same things about
the rest. A function returns the value as Routee should get it (or None when
it is unusable) and reports each problem through `report`, a callable that
takes a `Diagnostic` at the span given; the validator's re-homes it at the
JSON value.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

from . import routee, rules
from .diagnostics import Diagnostic, Fix
from .nodes import Span

Report = Callable[[Diagnostic], None]

MAX_URL_LENGTH = routee.MAX_URL_LENGTH


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The choice `word` most likely meant: the same but for case, or the
    closest spelling; None when nothing is close."""
    choices = list(choices)
    for choice in choices:
        if choice.lower() == word.lower():
            return choice
    import difflib  # only when something is misspelt

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def suggest_language(text: str) -> str | None:
    """The language(s) a mistyped code most likely meant: `en-gb` and
    `en_GB` → `en-GB`, `fr` → `fr-FR`, `en` → `en-US or en-GB`."""
    normalized = text.replace("_", "-")
    exact = suggest(normalized, routee.LANGUAGES)
    if exact and exact.lower() == normalized.lower():
        return exact
    prefix = normalized.split("-")[0].lower()
    same_language = [lang for lang in routee.LANGUAGES if lang.split("-")[0] == prefix]
    if same_language:  # quoted by the caller: 'en-US' or 'en-GB'
        return "' or '".join(same_language)
    return exact


# --- URLs ----------------------------------------------------------------------------

def url_problem(url: str) -> str | None:
    """What is wrong with a URL Routee has to call or fetch, if anything."""
    if any(ch.isspace() for ch in url):
        return "it contains white space"
    if len(url) > MAX_URL_LENGTH:
        return f"it is {len(url)} characters long; the limit is {MAX_URL_LENGTH}"
    scheme = url.partition(":")[0]
    if scheme.lower() in ("http", "https") and scheme not in ("http", "https"):
        return f"write the scheme in lower case ({scheme.lower()}://)"
    parts = _URL.match(url)
    if parts is None:
        return f"{url!r} does not start with http:// or https://"
    if not parts.group("host"):
        return f"{url!r} has no host"
    port = parts.group("port")
    if port is not None and not (port.isdigit() and int(port) <= 65535):
        return f"{url!r} has an invalid port"
    return None


#: An absolute http(s) URL, split the way urllib.parse.urlsplit would (which
#: costs more to import than a whole check of a small file).
_URL = re.compile(r"(?P<scheme>https?)://(?:[^@/?#]*@)?"
                  r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^:/?#\[\]]*)(?::(?P<port>[^/?#]*))?"
                  r"(?P<path>[^?#]*)")


#: Characters a placeholder's value keeps as they are in each part of a URL
#: (RFC 3986): letters, digits and `-._~` everywhere; in a path segment the
#: other characters of `pchar` too, but never `/` (a value is one segment).
#: In a query or a fragment everything else is escaped, `&`, `=`, `+` and
#: `#` above all: a value cannot add a parameter or cut the URL short.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_KEPT = {"path": _UNRESERVED | frozenset("!$&'()*+,;=:@"), "query": _UNRESERVED,
         "fragment": _UNRESERVED}


def url_part(before: str) -> str:
    """The part of a URL that text written after `before` lands in: "site"
    (the scheme, host or port: there a value is a whole address, and is kept
    as it is), "path", "query" or "fragment"."""
    if "#" in before:
        return "fragment"
    if "?" in before:
        return "query"
    scheme, separator, rest = before.partition("://")
    return "path" if separator and "/" in rest else "site"


def encode_in_url(value: str, before: str) -> str:
    """`value` percent-encoded (UTF-8) for the part of a URL it follows
    `before` into; a value that makes the site itself is left as it is."""
    kept = _KEPT.get(url_part(before))
    if kept is None:
        return value
    return "".join(ch if ch in kept else "".join(f"%{byte:02X}" for byte in ch.encode("utf-8"))
                   for ch in value)


def url_path(url: str) -> str:
    """The path of an http(s) URL (the whole text when it is not one)."""
    match = _URL.match(url)
    return match.group("path") if match else url


# --- phone numbers, SIP and Viber addresses, senders -----------------------------------

def phone(text: str, span: Span, what: str, report: Report) -> str | None:
    """An E.164 number that can exist, in E.164 form; warns when no network
    has it."""
    compact = re.sub(r"[\s\-.()]", "", text)
    if not re.fullmatch(r"\+[0-9]+", compact):
        report(rules.BAD_PHONE(
            span, f"{what} '{text}' is not an E.164 phone number",
            help="write it with + and the country code, e.g. +302101234567"))
        return None
    verdict = judged_phones.get(compact) if judged_phones is not None else None
    if verdict is None:
        verdict = _judge_phone(compact)
        if judged_phones is not None:
            judged_phones.put(compact, verdict)
    kind, detail, e164 = verdict
    if kind in _PHONE_PROBLEMS:
        rule, message, hint = _PHONE_PROBLEMS[kind]
        report(rule(span, f"{what} '{text}' {message.format(detail)}", help=hint))
    return e164  # None when it cannot exist


#: What `phone` says of a number that is not assigned, by verdict.
_PHONE_PROBLEMS = {
    "impossible": (rules.BAD_PHONE, "cannot exist: {}",
                   "check the number: E.164 is + country code + national number, "
                   "without the trunk 0"),
    "unassigned": (rules.UNASSIGNED_PHONE, "is not assigned in the numbering plan of {}",
                   "it has a possible length but no network uses that range; "
                   "check for a typo"),
}


def _judge_phone(compact: str) -> tuple[str, str, str | None]:
    """What the numbering plans say of `+digits`: ("impossible", why, None),
    ("unassigned", "+CC (REGION)", E.164) or ("assigned", "", E.164)."""
    import phonenumbers

    try:
        number = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException:
        number = None
    reason = (phonenumbers.is_possible_number_with_reason(number) if number
              else phonenumbers.ValidationResult.INVALID_COUNTRY_CODE)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        if reason == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
            return "impossible", "no country has that calling code", None
        region = phonenumbers.region_code_for_country_code(number.country_code)
        length = {phonenumbers.ValidationResult.TOO_SHORT: "too short",
                  phonenumbers.ValidationResult.TOO_LONG: "too long"}.get(
                      reason, "the wrong length")
        return "impossible", f"{length} for +{number.country_code} ({region})", None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not phonenumbers.is_valid_number(number):
        region = phonenumbers.region_code_for_country_code(number.country_code)
        return "unassigned", f"+{number.country_code} ({region})", e164
    return "assigned", "", e164


class JudgedPhones:
    """Verdicts on phone numbers kept in `folder`, one file each, so that a
    check whose numbers were all judged before never imports phonenumbers
    (the largest import of a check). A file is named by a digest of the
    number and of the installed phonenumbers (its numbering plans change
    with its version), so the folder holds no numbers in plain sight, and
    an upgrade judges every number anew. A damaged file is judged again."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.edition = _phonenumbers_edition()

    def _path(self, compact: str) -> str:
        import os

        from .digests import blake2b

        digest = blake2b(f"{self.edition}\0{compact}".encode(), digest_size=16)
        return os.path.join(self.folder, digest.hexdigest())

    def get(self, compact: str) -> tuple[str, str, str | None] | None:
        try:
            with open(self._path(compact), encoding="utf-8") as handle:
                kind, detail, e164 = handle.read().split("\n")
        except (OSError, UnicodeDecodeError, ValueError):
            return None
        if kind not in ("impossible", "unassigned", "assigned") or \
                (e164 == "") != (kind == "impossible"):
            return None
        return kind, detail, e164 or None

    def put(self, compact: str, verdict: tuple[str, str, str | None]) -> None:
        import os

        path = self._path(compact)
        temporary = f"{path}.{os.getpid()}.tmp"
        try:
            os.makedirs(self.folder, exist_ok=True)
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write("\n".join((verdict[0], verdict[1], verdict[2] or "")))
            os.replace(temporary, path)
        except OSError:
            pass  # only a slower next run


def _phonenumbers_edition() -> str:
    """Identifies the installed phonenumbers without importing it: where it
    is, and the size and time of its package file."""
    import os
    from importlib.util import find_spec

    spec = find_spec("phonenumbers")
    if spec is None or not spec.origin:
        return "missing"
    info = os.stat(spec.origin)
    return f"{spec.origin}:{info.st_size}:{info.st_mtime_ns}"


#: Where `phone` remembers its verdicts: set by the check cache (cache.py);
#: None judges every number afresh.
judged_phones: JudgedPhones | None = None


def sip(value: str, span: Span, what: str, report: Report) -> str | None:
    """A SIP address user@host[:port]."""
    if re.fullmatch(r"[^@\s:]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?",
                    value) and int(value.rpartition(":")[2] if value.count(":") else 1) <= 65535:
        return value
    hint = 'without the "sip:" prefix' if value.lower().startswith("sip:") else \
        'as "alice@example.com" or "alice@10.0.0.1:5060"'
    report(rules.BAD_SIP(
        span, f"'{value}' is not a SIP address of the form user@host[:port]",
        help=f"write it {hint}"))
    return None


def viber(value: str, span: Span, what: str, report: Report) -> str | None:
    """A Viber number: digits with the country code, no +."""
    if re.fullmatch(r"[1-9][0-9]{1,14}", value):
        return value
    digits = re.sub(r"[^0-9]", "", value)
    report(rules.BAD_VIBER(
        span, f"'{value}' is not a Viber number: digits only, with the country code and no +",
        help=f'write "{digits}"' if digits else 'for example "306971234567"',
        fixes=[Fix(span, f'"{digits}"')] if digits else ()))
    return None


#: A target's kind → the function that judges its address.
ADDRESSES = {"sip": sip, "viber": viber, "phone": phone}


def sender(text: str, span: Span, report: Report, *, spaced_phone: bool = True) -> str | None:
    """A sender id: an E.164 number, a numeric id or an alphanumeric name
    (which some networks drop). With `spaced_phone`, a number may hold
    spaces and punctuation (`.call` scripts; JSON sends the text as written,
    so there such a sender is a name)."""
    if not text.strip():
        report(rules.BAD_SENDER(span, "the sender id is empty"))
        return None
    if re.fullmatch(r"\+[0-9\s\-.()]+" if spaced_phone else r"\+[0-9]+", text):
        return phone(text, span, "sender", report)
    if re.fullmatch(r"[0-9]+", text):
        if len(text) > routee.MAX_NUMERIC_SENDER:
            report(rules.BAD_SENDER(
                span, f"a numeric sender id has at most {routee.MAX_NUMERIC_SENDER} "
                      f"digits; this one has {len(text)}"))
            return None
        return text
    report(rules.ALPHANUMERIC_SENDER(
        span, f"alphanumeric sender '{text}' is not delivered by every network",
        help="some networks (Greece, for one) reject alphanumeric callers; "
             "an E.164 number is safest"))
    return text


def plain_http(span: Span, what: str, report: Report, fixes: Iterable[Fix] = ()) -> None:
    """Warn that `what`, a URL, uses http:// (the caller has judged it does)."""
    report(rules.PLAIN_HTTP(span, f"{what} uses plain http://",
                            help="use https:// so that call data is not sent in the clear",
                            fixes=list(fixes)))


def wav(path: str, span: Span, report: Report) -> None:
    """Warn when the path of an audio URL is not that of a .wav file."""
    if not path.lower().endswith(".wav"):
        report(rules.NOT_WAV(span, "Routee plays .wav files only",
                             help="convert the audio to WAV (e.g. `sox in.mp3 out.wav`) and "
                                  "link to that"))
