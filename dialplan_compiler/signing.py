"""Signed eventUrls: the state of a menu rides in the URL, and an HMAC
proves that dialplan wrote it.

Routee keeps the query string of a COLLECT eventUrl when it calls it
(observed), and does not sign its requests. So every eventUrl the compiler
emits carries `p` (the script), `n` (the node: the plan that asked the
menu), `t` (which try of that menu this is) and `s`, an HMAC-SHA256 of those
three under the secret in `DIALPLAN_SIGNING_SECRET`, cut to 128 bits and
written in base64url. `dialplan serve` recomputes it and answers a URL whose
signature does not match with 403: a forged or altered URL cannot pick a
branch, or a try, that the caller did not reach.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from urllib.parse import quote

SECRET_ENV = "DIALPLAN_SIGNING_SECRET"
EVENTS_PATH = "/events"


#: An HMAC key shorter than this is guessable offline from one eventUrl.
MIN_SECRET_BYTES = 16


def secret_from_env() -> bytes | None:
    value = os.environ.get(SECRET_ENV)
    # surrogateescape: the environment's own bytes, even when they are not UTF-8
    return value.encode("utf-8", "surrogateescape") if value else None


def secret_problem(secret: bytes) -> str | None:
    """Why `secret` is too weak to sign eventUrls with, or None. It needs
    at least MIN_SECRET_BYTES bytes and more than one repeated character or
    whitespace: eventUrls are public (they are in every main plan), so a
    weak key can be found offline and any branch forged."""
    if len(secret) < MIN_SECRET_BYTES:
        return f"is {len(secret)} bytes long; it needs at least {MIN_SECRET_BYTES}"
    if not secret.strip():
        return "is only whitespace"
    if len(set(secret)) == 1:
        return "is one character repeated"
    return None


def is_digits(text: str) -> bool:
    """ASCII digits only: `str.isdigit()` also accepts '²' and '٣', which
    `int()` then refuses (or reads as another number)."""
    return text.isascii() and text.isdigit()


def signature(secret: bytes, script: str, node: str, attempt: int) -> str:
    message = f"p={script}&n={node}&t={attempt}".encode("utf-8")
    digest = hmac.new(secret, message, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def event_url(base: str, secret: bytes | None, script: str, node: str, attempt: int) -> str:
    """The eventUrl of `node`'s menu at try `attempt`, under `base` (the
    menu's `via`). Without a secret (`dialplan check`), `s` is empty."""
    sig = signature(secret, script, node, attempt) if secret else ""
    return (f"{base.rstrip('/')}{EVENTS_PATH}?p={quote(script, safe='')}&n={quote(node, safe='.@')}"
            f"&t={attempt}&s={sig}")


def verify(secret: bytes, script: str, node: str, attempt: str, sig: str) -> bool:
    if not (is_digits(attempt) and len(attempt) <= 3):
        return False
    expected = signature(secret, script, node, int(attempt))
    return hmac.compare_digest(expected.encode("ascii"), sig.encode("ascii", "replace"))
