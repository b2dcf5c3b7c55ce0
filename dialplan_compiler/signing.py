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


def secret_from_env() -> bytes | None:
    value = os.environ.get(SECRET_ENV)
    return value.encode("utf-8") if value else None


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
    if not (attempt.isdigit() and len(attempt) <= 3):
        return False
    expected = signature(secret, script, node, int(attempt))
    return hmac.compare_digest(expected.encode("ascii"), sig.encode("ascii", "replace"))
