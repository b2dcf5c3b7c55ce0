"""A client for Routee's Voice API: OAuth2 client credentials and calls.

    client = RouteeClient(load_credentials())
    placed = client.place_call(payload)          # POST /voice/conversation
    client.conversation(placed.tracking_id)      # GET /voice/conversation/{id}
    client.tracking_page(placed.tracking_id)     # GET /voice/tracking/conversation/{id}
    client.control_leg(message_id, "hangup")     # PUT /voice/conversation/{messageId}

What it guarantees, and why:

- The application secret comes from the environment or a private file
  (`load_credentials`), never from a command-line flag. The client's
  `Redactor` (`redact.py`) knows the secret, the Basic-auth pair and every
  token it is issued; every answer from Routee (each field, keys and error
  codes included) and every message this module builds pass through it.
- A token is fetched with `POST {auth_url}/oauth/token` (HTTP Basic auth,
  `grant_type=client_credentials`) and kept for its lifetime: in memory, or
  on disk with mode 0600 when the caller passes a `TokenCache`. Any 401 or
  403 from the API fetches a new token and retries the request once.
- Every failure says whether the request can have reached Routee:
  `NotSent` (safe to send again), `MaybeSent` (a timeout or lost
  connection after the request went out: sending again may ring the phone
  twice), or `ApiError` (Routee answered with an error).
- Every API request passes through a `RateLimiter`, so that no window of one
  second holds more requests than allowed, measured as Routee would see them.
- TLS certificates are verified; plain `http://` is accepted only for a
  loopback address (a local stand-in), so credentials never cross a network
  in clear text.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import stat
import sys
import threading
import time
import tomllib
from collections import deque
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, urlsplit

import httpx

from .. import __version__
from ..errors import DialplanError
from .redact import REDACTED, Redactor

API_URL = "https://connect.routee.net"
AUTH_URL = "https://auth.routee.net"
TOKEN_PATH = "/oauth/token"
CONVERSATION_PATH = "/voice/conversation"
TRACKING_CONVERSATION_PATH = "/voice/tracking/conversation"
ID_VARIABLE = "ROUTEE_APPLICATION_ID"
SECRET_VARIABLE = "ROUTEE_APPLICATION_SECRET"
USER_AGENT = f"dialplan/{__version__}"


# --- errors ------------------------------------------------------------------------------

class ClientError(DialplanError):
    """Base of everything this module raises."""


class CredentialsError(ClientError):
    """Missing or unusable credentials, or a URL they would cross unsafely: the
    user has to fix something."""


class NotSent(ClientError):
    """The request did not reach Routee (the connection could not be made,
    or the token could not be had): sending it again is safe."""


class MaybeSent(ClientError):
    """The request went out but no answer came back (a timeout, a lost
    connection): Routee may have acted on it."""


class ApiError(ClientError):
    """Routee answered with an error, in its JSON shape
    `{"code", "developerMessage", "properties"}`."""

    def __init__(self, status: int, code: str | None, developer_message: str,
                 properties: dict[str, Any] | None = None, retry_after: float | None = None):
        self.status = status
        self.code = code
        self.developer_message = developer_message
        self.properties = dict(properties or {})
        self.retry_after = retry_after
        super().__init__(self.describe())

    def describe(self) -> str:
        text = f"HTTP {self.status}"
        if self.code:
            text += f" ({self.code})"
        if self.developer_message:
            text += f": {self.developer_message}"
        if self.properties:
            text += " [" + "; ".join(f"{k}: {v}" for k, v in self.properties.items()) + "]"
        return text

    @property
    def transient(self) -> bool:
        """429 and 5xx may go away by themselves; other errors will not."""
        return self.status == 429 or self.status >= 500


class AuthError(ApiError):
    """Routee refused the credentials or a fresh token: no call can be made."""


# --- credentials ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Credentials:
    application_id: str
    secret: str = field(repr=False)
    source: str = "environment"

    def __repr__(self) -> str:
        return f"Credentials(application_id={self.application_id!r}, secret={REDACTED!r})"

    def secrets(self) -> tuple[str, str]:
        """What must never be shown: the secret, and the `id:secret` pair
        whose base64 is the Basic-auth header."""
        return self.secret, f"{self.application_id}:{self.secret}"


def config_dir() -> Path:
    """Where dialplan's per-user configuration lives (XDG on Linux)."""
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming") / "dialplan"
    if sys.platform == "darwin" and not os.environ.get("XDG_CONFIG_HOME"):
        return Path.home() / "Library" / "Application Support" / "dialplan"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "dialplan"


def cache_dir() -> Path:
    """Where dialplan may cache tokens, when the user asks it to."""
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / \
            "dialplan" / "Cache"
    if sys.platform == "darwin" and not os.environ.get("XDG_CACHE_HOME"):
        return Path.home() / "Library" / "Caches" / "dialplan"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dialplan"


def credentials_path() -> Path:
    return config_dir() / "credentials.toml"


def load_credentials(environ: dict[str, str] | None = None,
                     path: Path | None = None) -> Credentials:
    """The application id and secret: from ROUTEE_APPLICATION_ID and
    ROUTEE_APPLICATION_SECRET when set, else from `credentials.toml` in the
    user's configuration directory, which only its owner may read:

        application-id = "..."
        application-secret = "..."
    """
    environ = os.environ if environ is None else environ
    app_id, secret = environ.get(ID_VARIABLE), environ.get(SECRET_VARIABLE)
    if app_id or secret:
        if not (app_id and secret):
            missing = SECRET_VARIABLE if app_id else ID_VARIABLE
            raise CredentialsError(f"{missing} is not set: set both {ID_VARIABLE} and "
                                     f"{SECRET_VARIABLE}, or neither")
        return Credentials(app_id.strip(), secret.strip(), "environment")
    path = path or credentials_path()
    try:
        info = path.stat()
    except FileNotFoundError:
        raise CredentialsError(
            f"no Routee credentials: set {ID_VARIABLE} and {SECRET_VARIABLE}, or write "
            f"application-id and application-secret to {path} (chmod 600)") from None
    except OSError as error:
        raise CredentialsError(f"cannot read {path}: {error.strerror}") from None
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialsError(
            f"refusing to read {path}: others may read it (mode {stat.S_IMODE(info.st_mode):04o});"
            f" run `chmod 600 {path}`")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise CredentialsError(f"cannot read {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        # tomllib's message quotes no values, only positions.
        raise CredentialsError(f"{path} is not valid TOML: {error}") from None
    app_id, secret = data.get("application-id"), data.get("application-secret")
    if not isinstance(app_id, str) or not isinstance(secret, str) or not app_id or not secret:
        raise CredentialsError(f"{path} must set application-id and application-secret "
                                 "as strings")
    return Credentials(app_id.strip(), secret.strip(), str(path))


# --- URLs ----------------------------------------------------------------------------------

def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, option: str) -> str:
    """A base URL without its trailing slash; https, or http to loopback."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CredentialsError(f"{option} must be an http(s) URL, not {url!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise CredentialsError(f"{option} must be a plain base URL such as "
                                 f"https://host[:port][/path], not {url!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise CredentialsError(
            f"{option} {url} is plain http: credentials would cross the network unencrypted; "
            "use https (plain http is accepted only for 127.0.0.1, ::1 and localhost)")
    return url.rstrip("/")


# --- tokens --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    value: str = field(repr=False)
    expires_at: float  # wall clock (time.time())

    def fresh(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) < self.expires_at


class TokenCache:
    """An access token on disk, for reuse across runs (opt-in). The file is
    created with mode 0600 in a 0700 directory and ignored unless it is
    still private; it holds the token and its expiry, never the secret."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or cache_dir()

    def path_for(self, auth_url: str, application_id: str) -> Path:
        key = hashlib.sha256(f"{auth_url}\0{application_id}".encode()).hexdigest()[:24]
        return self.directory / f"token-{key}.json"

    def load(self, auth_url: str, application_id: str) -> Token | None:
        path = self.path_for(auth_url, application_id)
        try:
            info = path.stat()
            if os.name == "posix" and (info.st_mode & 0o077 or info.st_uid != os.getuid()):
                return None
            data = json.loads(path.read_text(encoding="utf-8"))
            token = Token(str(data["access_token"]), float(data["expires_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return token if token.fresh() else None

    def store(self, auth_url: str, application_id: str, token: Token) -> None:
        path = self.path_for(auth_url, application_id)
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = path.with_name(f".{path.name}.{os.getpid()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"access_token": token.value, "expires_at": token.expires_at}, handle)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs a token request

    def forget(self, auth_url: str, application_id: str) -> None:
        self.path_for(auth_url, application_id).unlink(missing_ok=True)


# --- pacing --------------------------------------------------------------------------------

class RateLimiter:
    """At most `rate` requests in any window of one second (for a rate under
    1: at most one request in any window of 1/rate seconds).

    Measured as the server sees it: a request is counted from when it starts
    to be sent until its answer (or failure) is back, so the server received
    it somewhere in between. A new request starts only once the `n`-th
    request before it has *finished* at least a window ago; the server's
    arrival times are then at least a window apart too, whatever the
    network delay. Requests are also spread out, 1/rate seconds apart.
    """

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Any] = time.sleep) -> None:
        if not rate > 0:
            raise ValueError("the rate must be positive")
        self.rate = rate
        self.capacity = max(1, int(rate))
        self.window = max(1.0, 1.0 / rate)
        self.spacing = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._finished: deque[float] = deque(maxlen=self.capacity)
        self._last_start: float | None = None
        self._not_before = 0.0
        self._lock = threading.Lock()

    def hold_until(self, monotonic_time: float) -> None:
        """Send nothing before this time (e.g. when resuming after an earlier run)."""
        self._not_before = max(self._not_before, monotonic_time)

    def next_start(self) -> float:
        start = self._not_before
        if self._last_start is not None:
            start = max(start, self._last_start + self.spacing)
        if len(self._finished) == self.capacity:
            start = max(start, self._finished[0] + self.window)
        return start

    def acquire(self, wait: Callable[[float], Any] | None = None) -> None:
        """Block until a request may start; `wait(seconds)` may be given to
        sleep interruptibly."""
        self._lock.acquire()
        try:
            while True:
                delay = self.next_start() - self._clock()
                if delay <= 0:
                    break
                (wait or self._sleep)(delay)
        except BaseException:
            self._lock.release()
            raise
        self._last_start = self._clock()

    def release(self) -> None:
        """The request has finished (answered, failed, or timed out)."""
        self._finished.append(self._clock())
        self._lock.release()


# --- the client ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 30.0
    write: float = 10.0
    pool: float = 5.0

    def httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write,
                             pool=self.pool)


@dataclass(frozen=True)
class Placed:
    tracking_id: str
    status: str | None
    answer: dict[str, Any]


def status_name(answer: dict[str, Any]) -> str | None:
    """A conversation's status: a name, or an object `{"name": …}` (as in
    Routee's callbacks)."""
    status = answer.get("status")
    if isinstance(status, dict):
        status = status.get("name")
    return status if isinstance(status, str) else None


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def body_text(payload: dict[str, Any]) -> str:
    """The exact request body sent for a payload."""
    from ..emitter import to_json

    return to_json(payload)


class RouteeClient:
    def __init__(self, credentials: Credentials | None, *, api_url: str = API_URL,
                 auth_url: str = AUTH_URL, timeouts: Timeouts = Timeouts(),
                 limiter: RateLimiter | None = None, token_cache: TokenCache | None = None,
                 wait: Callable[[float], Any] | None = None,
                 redactor: Redactor | None = None) -> None:
        self.credentials = credentials
        # Shared with the caller (the CLI passes its own), so that what it
        # prints is cleaned of the tokens this client learns too.
        self.redactor = redactor if redactor is not None else Redactor()
        if credentials is not None:
            for secret in credentials.secrets():
                self.redactor.add(secret)
        self.api_url = check_base_url(api_url, "--api-url")
        self.auth_url = check_base_url(auth_url, "--auth-url")
        self.limiter = limiter or RateLimiter(1.0)
        self.token_cache = token_cache
        self._wait = wait
        self._token: Token | None = None
        loopback = all(is_loopback(urlsplit(u).hostname or "") for u in (api_url, auth_url))
        self._http = httpx.Client(
            timeout=timeouts.httpx(), verify=True, follow_redirects=False,
            # Proxy settings from the environment are for the real service;
            # a loopback stand-in is always reached directly.
            trust_env=not loopback,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"})

    def __enter__(self) -> "RouteeClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def redact(self, text: str) -> str:
        return self.redactor.text(text)

    # --- tokens -------------------------------------------------------------------

    def token(self, *, renew: bool = False) -> str:
        """A valid access token, fetched when there is none, it has expired,
        or `renew` is asked for (after Routee refused the last one)."""
        if self.credentials is None:
            raise CredentialsError("no Routee credentials")
        if renew:
            self._token = None
            if self.token_cache:
                self.token_cache.forget(self.auth_url, self.credentials.application_id)
        if self._token is not None and self._token.fresh():
            return self._token.value
        if self.token_cache and not renew:
            cached = self.token_cache.load(self.auth_url, self.credentials.application_id)
            if cached is not None:
                self.redactor.add(cached.value)
                self._token = cached
                return cached.value
        self._token = self._fetch_token()
        if self.token_cache:
            self.token_cache.store(self.auth_url, self.credentials.application_id, self._token)
        return self._token.value

    def _fetch_token(self) -> Token:
        assert self.credentials is not None
        url = self.auth_url + TOKEN_PATH
        try:
            response = self._http.post(
                url, data={"grant_type": "client_credentials"},
                auth=(self.credentials.application_id, self.credentials.secret))
        except httpx.TransportError as error:
            # Asking for a token places no call: whatever happened, no call was made.
            raise NotSent(self.redact(f"token request to {url} failed: {_describe(error)}")) \
                from None
        if response.status_code != 200:
            error = self._api_error(response)
            if error.transient:
                raise NotSent(self.redact(f"token request failed: {error.describe()}"))
            raise AuthError(error.status, error.code,
                            self.redact("Routee refused the application id and secret "
                                        f"({error.describe()})"), error.properties)
        try:
            data = response.json()
            value = data["access_token"]
            lifetime = float(data.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise NotSent(f"the token endpoint {url} answered without an access_token") from None
        if not isinstance(value, str) or not value:
            raise NotSent(f"the token endpoint {url} answered without an access_token")
        self.redactor.add(value)  # before anything could echo it
        # Renew a little early, so a token does not lapse in the middle of a request.
        margin = min(60.0, lifetime * 0.1)
        return Token(value, time.time() + max(0.0, lifetime - margin))

    # --- requests -----------------------------------------------------------------

    def build_call_request(self, payload: dict[str, Any], token: str = REDACTED) -> httpx.Request:
        """The exact request `place_call` sends (used by --dry-run)."""
        return self._http.build_request(
            "POST", self.api_url + CONVERSATION_PATH, content=body_text(payload).encode("utf-8"),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})

    def place_call(self, payload: dict[str, Any]) -> Placed:
        """POST /voice/conversation. Raises NotSent, MaybeSent or ApiError."""
        response = self._send(lambda token: self.build_call_request(payload, token))
        try:
            answer = self.redactor.value(response.json())
            tracking_id = answer.get("trackingId") or answer.get("conversationTrackingId")
        except (ValueError, AttributeError):
            answer, tracking_id = {}, None
        if not isinstance(tracking_id, str) or not tracking_id:
            raise MaybeSent(f"Routee answered HTTP {response.status_code} without a trackingId")
        return Placed(tracking_id, status_name(answer), answer)

    def conversation(self, tracking_id: str) -> dict[str, Any]:
        """GET /voice/conversation/{trackingId}."""
        url = f"{self.api_url}{CONVERSATION_PATH}/{quote(tracking_id, safe='')}"
        return self._get_object(url, {}, "the conversation")

    def tracking_page(self, tracking_id: str, page: int = 0,
                      size: int | None = None) -> dict[str, Any]:
        """GET /voice/tracking/conversation/{trackingId}: one page of the
        call's legs (`calls/tracking.py` reads them all)."""
        url = f"{self.api_url}{TRACKING_CONVERSATION_PATH}/{quote(tracking_id, safe='')}"
        params = {"page": str(page)} if size is None else {"page": str(page), "size": str(size)}
        return self._get_object(url, params, "the call's tracking")

    def control_leg(self, message_id: str, action: str) -> dict[str, Any]:
        """PUT /voice/conversation/{messageId} `{"action": action}`: "hangup"
        (a leg InProgress) or "reject" (a leg Initiated or Ringing)."""
        url = f"{self.api_url}{CONVERSATION_PATH}/{quote(message_id, safe='')}"
        body = json.dumps({"action": action}).encode("utf-8")
        response = self._send(lambda token: self._http.build_request(
            "PUT", url, content=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"}))
        return self._object_of(response, "the answer to the " + action)

    def _get_object(self, url: str, params: dict[str, str], what: str) -> dict[str, Any]:
        response = self._send(lambda token: self._http.build_request(
            "GET", url, params=params, headers={"Authorization": f"Bearer {token}"}))
        return self._object_of(response, what)

    def _object_of(self, response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            answer = self.redactor.value(response.json())
        except ValueError:
            raise MaybeSent(f"Routee's answer about {what} was not JSON") from None
        if not isinstance(answer, dict):
            raise MaybeSent(f"Routee's answer about {what} was not an object")
        return answer

    def _send(self, build: Callable[[str], httpx.Request]) -> httpx.Response:
        token = self.token()
        response = self._once(build(token))
        if response.status_code in (401, 403):
            # The token expired or was revoked: a new one, and one more try.
            token = self.token(renew=True)
            response = self._once(build(token))
            if response.status_code in (401, 403):
                error = self._api_error(response)
                raise AuthError(error.status, error.code,
                                self.redact(f"Routee refused a fresh token: {error.describe()}"),
                                error.properties)
        if response.status_code >= 400:
            raise self._api_error(response)
        return response

    def _once(self, request: httpx.Request) -> httpx.Response:
        self.limiter.acquire(self._wait)
        try:
            response = self._http.send(request)
            response.read()
            return response
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise NotSent(self.redact(f"cannot connect to {request.url.host}: "
                                      f"{_describe(error)}")) from None
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.ProxyError) as error:
            raise NotSent(self.redact(f"cannot send to {request.url}: {_describe(error)}")) \
                from None
        except httpx.TransportError as error:
            # Read/write errors and timeouts, a connection closed without an
            # answer: the request may have been read and acted on.
            raise MaybeSent(self.redact(f"no answer from {request.url.host} after sending: "
                                        f"{_describe(error)}")) from None
        finally:
            self.limiter.release()

    def _api_error(self, response: httpx.Response) -> ApiError:
        code, message, properties = None, "", {}
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            # Every field of the answer, keys included: a server may echo a
            # credential anywhere, and all of it is printed and stored.
            data = self.redactor.value(data)
            code = str(data["code"]) if data.get("code") is not None else None
            message = str(data.get("developerMessage") or data.get("error_description")
                          or data.get("message") or "")
            if isinstance(data.get("properties"), dict):
                properties = {str(k): str(v) for k, v in data["properties"].items()}
        if not message:
            message = response.reason_phrase or "error"
        # A code or value that was not a string is checked again as the text shown.
        code = self.redact(code) if code is not None else None
        properties = {self.redact(k): self.redact(v) for k, v in properties.items()}
        return ApiError(response.status_code, code, self.redact(message), properties,
                        parse_retry_after(response.headers.get("Retry-After")))


def _describe(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}" if text != type(error).__name__ else text
