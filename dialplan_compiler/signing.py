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

The values a call was compiled with (`--var`, a campaign row) that its
branches say ride in the same URLs as `v`: a state sealed with AES-256-GCM
(`cryptography`) under a key derived from the same secret with HKDF, so that
names and codes never sit readable in URLs or proxy logs, and a state that
was altered, or is past its expiry, does not open (`StateRefused`). The
script's name is authenticated with it: a state sealed for one script does
not open for another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from typing import Mapping
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


def event_url(base: str, secret: bytes | None, script: str, node: str, attempt: int,
              state: str | None = None) -> str:
    """The eventUrl of `node`'s menu at try `attempt`, under `base` (the
    menu's `via`), with the call's sealed `state` if it has one. Without a
    secret (`dialplan check`), `s` is empty."""
    sig = signature(secret, script, node, attempt) if secret else ""
    url = (f"{base.rstrip('/')}{EVENTS_PATH}?p={quote(script, safe='')}"
           f"&n={quote(node, safe='.@')}&t={attempt}&s={sig}")
    return with_state(url, state)


def with_state(url: str, state: str | None) -> str:
    """`url` with `&v=STATE` added (a sealed state is base64url: no quoting)."""
    return f"{url}&{STATE_PARAMETER}={state}" if state else url


def verify(secret: bytes, script: str, node: str, attempt: str, sig: str) -> bool:
    if not (is_digits(attempt) and len(attempt) <= 3):
        return False
    expected = signature(secret, script, node, int(attempt))
    return hmac.compare_digest(expected.encode("ascii"), sig.encode("ascii", "replace"))


# --- the call's values, sealed ----------------------------------------------------------

STATE_PARAMETER = "v"
#: How long a sealed state opens after the call is compiled: a campaign
#: placed over a day, and calls that last hours, stay served.
STATE_TTL_SECONDS = 24 * 3600
#: HKDF's `info`: the state key is never the HMAC key itself.
_STATE_KEY_INFO = b"dialplan per-call state, AES-256-GCM, v1"
_NONCE_BYTES = 12
#: A state longer than this is not one we wrote (bounded before decoding).
MAX_STATE_CHARS = 8192


class StateRefused(ValueError):
    """A sealed state that does not open: altered, for another script, not
    base64url, or expired. str() says which, for the log."""


def state_key(secret: bytes) -> bytes:
    """The 256-bit key of sealed states, derived from the signing secret."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=_STATE_KEY_INFO).derive(secret)


def seal_state(secret: bytes, script: str, values: Mapping[str, str], *,
               ttl: int = STATE_TTL_SECONDS, now: float | None = None) -> str:
    """`values` sealed for `script`: base64url of nonce ‖ ciphertext ‖ tag.
    A fresh random nonce each time, so two calls with the same values get
    different URLs and nothing can be learnt by comparing them."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    expires = int((time.time() if now is None else now) + ttl)
    plain = json.dumps({"x": expires, "v": dict(values)}, ensure_ascii=False,
                       separators=(",", ":")).encode("utf-8")
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(state_key(secret)).encrypt(nonce, plain, _associated(script))
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")


def open_state(secret: bytes, script: str, state: str, *, now: float | None = None,
               key: bytes | None = None) -> dict[str, str]:
    """The values sealed in `state` for `script`, or StateRefused."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(state) > MAX_STATE_CHARS or not state.isascii():
        raise StateRefused("not a state this server wrote")
    try:
        raw = base64.urlsafe_b64decode(state + "=" * (-len(state) % 4))
    except ValueError:
        raise StateRefused("not base64url") from None
    if len(raw) < _NONCE_BYTES + 16:
        raise StateRefused("too short")
    try:
        plain = AESGCM(key or state_key(secret)).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _associated(script))
    except InvalidTag:
        raise StateRefused("altered, or sealed for another script or secret") from None
    data = json.loads(plain)
    if (time.time() if now is None else now) > data["x"]:
        raise StateRefused("expired")
    return {str(k): str(v) for k, v in data["v"].items()}


def _associated(script: str) -> bytes:
    return b"dialplan-state:" + script.encode("utf-8", "surrogatepass")
