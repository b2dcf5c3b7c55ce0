"""Redaction: the one place that keeps secrets out of what dialplan prints or stores.

A `Redactor` is told every secret of a run (the application secret, the
Basic-auth pair `id:secret`, each access token as it is issued) and replaces
each of them, in every form it can take in text, with `<redacted>`:

    the secret as is, and JSON-escaped
    its base64, padded and unpadded, standard and URL-safe alphabet
    the URL-encoded (percent and form) forms of all of the above,
    with hex digits in either case

`Redactor.text` cleans a string; `Redactor.value` cleans any JSON-like value
deeply, dictionary *keys* included, because a server may echo a secret
anywhere in an answer (as an error `code`, as the name of a `properties`
field). Everything Routee answers passes through `value` before dialplan
looks at it, and everything dialplan prints passes through `text`.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from typing import Any, Iterable
from urllib.parse import quote, quote_plus

REDACTED = "<redacted>"


def encodings(secret: str) -> set[str]:
    """Every form in which `secret` may turn up in a server's answer or a message."""
    if not secret:
        return set()
    raw = secret.encode("utf-8")
    forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        encoded = encode(raw).decode("ascii")
        forms |= {encoded, encoded.rstrip("=")}
    for form in list(forms):
        forms |= {quote(form, safe=""), quote_plus(form, safe=""), quote(form)}
    return {form for form in forms if form}


def _pattern(form: str) -> str:
    # A percent-escape may come back with lower-case hex (%2b for %2B).
    parts = re.split(r"(%[0-9A-F]{2})", form)
    return "".join(
        f"%[{p[1]}{p[1].lower()}][{p[2]}{p[2].lower()}]" if re.fullmatch(r"%[0-9A-F]{2}", p)
        else re.escape(p) for p in parts)


class Redactor:
    """Replaces known secrets, in all their encodings, with `<redacted>`.

    Thread-safe: a token learnt by one thread is redacted in all."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._forms: set[str] = set()
        self._regex: re.Pattern[str] | None = None
        self._lock = threading.Lock()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Redact `secret` (and its encodings) from now on."""
        if not secret:
            return
        with self._lock:
            new = encodings(secret) - self._forms
            if not new:
                return
            self._forms |= new
            # Longest first: a form that contains another is replaced whole.
            ordered = sorted(self._forms, key=len, reverse=True)
            self._regex = re.compile("|".join(_pattern(form) for form in ordered))

    def text(self, text: str) -> str:
        regex = self._regex
        return regex.sub(REDACTED, text) if regex is not None else text

    __call__ = text

    def value(self, value: Any) -> Any:
        """A copy of a JSON-like value with every string redacted, keys included."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            cleaned: dict[str, Any] = {}
            for key, item in value.items():
                name = self.text(str(key))
                # Two keys redacted alike must not make one of them vanish.
                base, n = name, 1
                while name in cleaned:
                    n += 1
                    name = f"{base} ({n})"
                cleaned[name] = self.value(item)
            return cleaned
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        return value


__all__ = ["REDACTED", "Redactor", "encodings"]
