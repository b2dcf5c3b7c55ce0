"""A local stand-in for Routee's Voice API, for tests and for trying things out.

A real HTTP server on 127.0.0.1 (the standard library's ThreadingHTTPServer,
so that this module controls the sockets and can break them on purpose):

    POST /oauth/token                  client credentials (HTTP Basic) → a token
    POST /voice/conversation           validates the body against the project's
                                       schemas; answers Routee-shaped JSON or errors
    GET  /voice/conversation/{id}      the call, whose status advances with time:
                                       Queued → Ringing → InProgress → Completed

With `execute=True` it also runs each call's dialplan, through the same
engine as `dialplan simulate` (`engine.py`): it fetches a `dialPlanUrl`,
calls COLLECT eventUrls with the keys scripted for the recipient in
`callers` (real HTTP, as Routee does, waiting at most 3 s for an answer)
and applies the plan answered; a recipient in `machines` is answered by a
machine, so the machine-detection eventUrl is called first. What the call
did is in `AcceptedCall.events` (and `AcceptedCall.transcript`), and status
callbacks are posted to `callback.url`.

Faults are injected on `POST /voice/conversation`, at random (seeded) or
from a script: 500s, 429 with Retry-After, slow answers, connections dropped
before the request is read (no call) or after it is read (the call *is*
placed; only the answer is lost). Tokens can be made to expire after a time
or a number of uses. Everything it sees is logged: `requests` (every request
with its arrival time, to check pacing) and `calls` (every call it accepted,
to prove that no phone was called twice).

    with Standin(credentials={"app": "s3cret"}) as routee:
        ... dialplan call --api-url {routee.url} --auth-url {routee.url} ...
        assert routee.duplicates() == {}

Run `python -m dialplan_compiler.standin` to serve one on a local port.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import socket
import struct
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable
from urllib.parse import parse_qs, unquote

from .. import routee

TOKEN_PATH = "/oauth/token"
CONVERSATION_PATH = "/voice/conversation"
FINAL_STATUSES = routee.FINAL_STATUSES

#: What a call goes through when it is answered and ends normally: each
#: status with the seconds after the call was accepted when it begins.
DEFAULT_PROGRESS: tuple[tuple[str, float], ...] = (
    ("Queued", 0.0), ("Ringing", 0.1), ("InProgress", 0.2), ("Completed", 0.3))

# Fault names, for `Faults.script`.
OK = "ok"
ERROR_500 = "500"
THROTTLE_429 = "429"
SLOW = "slow"
DROP_BEFORE_READ = "drop-before-read"
DROP_AFTER_READ = "drop-after-read"
FAULTS = (OK, ERROR_500, THROTTLE_429, SLOW, DROP_BEFORE_READ, DROP_AFTER_READ)


@dataclass
class Faults:
    """Which `POST /voice/conversation` requests go wrong. `script` is used
    first, one entry per request; then each request draws at random."""

    error_rate: float = 0.0           # answered 500, no call
    throttle_rate: float = 0.0        # answered 429 with Retry-After, no call
    slow_rate: float = 0.0            # the call is placed, the answer comes `slow_seconds` late
    drop_before_read_rate: float = 0.0  # the connection is reset unread, no call
    drop_after_read_rate: float = 0.0   # the call is placed, the connection closed unanswered
    slow_seconds: float = 2.0
    retry_after: int = 1
    seed: int | None = 0
    script: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in self.script:
            if name not in FAULTS:
                raise ValueError(f"unknown fault {name!r}; the faults are {', '.join(FAULTS)}")
        self._random = random.Random(self.seed)

    def draw(self) -> str:
        if self.script:
            return self.script.pop(0)
        r = self._random.random()
        for name, rate in ((ERROR_500, self.error_rate), (THROTTLE_429, self.throttle_rate),
                           (SLOW, self.slow_rate), (DROP_BEFORE_READ, self.drop_before_read_rate),
                           (DROP_AFTER_READ, self.drop_after_read_rate)):
            if r < rate:
                return name
            r -= rate
        return OK


@dataclass
class Token:
    value: str
    application_id: str
    issued_at: float
    uses: int = 0


@dataclass
class AcceptedCall:
    """One accepted call and how it unfolds. `timeline` holds each status
    with the seconds after `accepted_at` when it begins; `events` is where
    what happens during the call is recorded."""

    tracking_id: str
    recipient: str
    body: dict[str, Any]
    accepted_at: float                # time.monotonic()
    created_at: str                   # ISO 8601, as Routee shows it
    timeline: tuple[tuple[str, float], ...]
    events: list[dict[str, Any]] = field(default_factory=list)
    #: What the caller heard, when the stand-in executes plans.
    transcript: list[str] = field(default_factory=list)
    #: Set when the stand-in executes the call's plan and it has ended.
    finished: threading.Event | None = None

    def status(self, now: float | None = None) -> str:
        elapsed = (time.monotonic() if now is None else now) - self.accepted_at
        current = self.timeline[0][0]
        for name, start in self.timeline:
            if elapsed >= start:
                current = name
        if self.finished is not None and not self.finished.is_set() and \
                current in FINAL_STATUSES:
            return "InProgress"  # still running its plan
        return current

    def answer(self, now: float | None = None) -> dict[str, Any]:
        answer = {"trackingId": self.tracking_id, "createdAt": self.created_at,
                  "from": self.body.get("from"), "to": self.body.get("to"),
                  "status": self.status(now)}
        for key in ("dialPlan", "dialPlanUrl", "callback", "hangupDelay", "maxDuration",
                    "machineDetection"):
            if key in self.body:
                answer[key] = self.body[key]
        return answer


@dataclass(frozen=True)
class RequestRecord:
    """A request as the server saw it: `at` is time.monotonic() when it
    arrived; `status` is the HTTP status answered (None: no answer)."""

    at: float
    method: str
    path: str
    fault: str | None
    status: int | None
    tracking_id: str | None = None
    #: For POST /voice/conversation: whom the body asked to call, if it could be read.
    recipient: str | None = None


def timeline_for(progress: tuple[tuple[str, float], ...], outcome: str) -> tuple[tuple[str, float], ...]:
    """The progress of a call that ends `outcome`: Busy, NoAnswer and the like
    end where the call would have been answered."""
    if outcome == progress[-1][0]:
        return progress
    names = [name for name, _ in progress]
    cut = names.index("InProgress") if "InProgress" in names else len(progress) - 1
    return (*progress[:cut], (outcome, progress[cut][1]))


class Standin:
    def __init__(self, *, credentials: dict[str, str] | None = None,
                 token_lifetime: float = 3600.0, announced_expires_in: int | None = None,
                 token_max_uses: int | None = None,
                 progress: tuple[tuple[str, float], ...] = DEFAULT_PROGRESS,
                 outcomes: dict[str, str] | None = None,
                 reject: dict[str, tuple[str, str]] | None = None,
                 rate_limit: float | None = None, faults: Faults | None = None,
                 host: str = "127.0.0.1", port: int = 0, execute: bool = False,
                 callers: dict[str, list[str]] | None = None,
                 machines: Iterable[str] = ()) -> None:
        """`credentials` maps application ids to secrets (None: any is
        accepted). Tokens stop working `token_lifetime` seconds after they
        are issued or after `token_max_uses` API requests, whichever comes
        first, while the token endpoint announces `announced_expires_in`
        (default: the lifetime). `outcomes` gives the final status per
        recipient (default: the last of `progress`). `reject` makes Routee
        refuse a recipient with a 400: {recipient: (field, message)}.
        `rate_limit` answers 429 to requests beyond that many in a second.
        `execute` runs each call's plan with the key presses of `callers`
        (by recipient, as `dialplan simulate --press` takes them); the
        recipients in `machines` are answered by a machine."""
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("the stand-in listens on loopback only")
        self.credentials = credentials
        self.token_lifetime = token_lifetime
        self.announced_expires_in = announced_expires_in
        self.token_max_uses = token_max_uses
        self.progress = progress
        self.outcomes = dict(outcomes or {})
        self.reject = dict(reject or {})
        self.rate_limit = rate_limit
        self.faults = faults or Faults()
        self.execute = execute
        self.callers = dict(callers or {})
        self.machines = set(machines)
        self.lock = threading.RLock()
        self.tokens: dict[str, Token] = {}
        self.calls: dict[str, AcceptedCall] = {}  # by trackingId, in the order accepted
        self.requests: list[RequestRecord] = []
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- life ------------------------------------------------------------------------

    def start(self) -> "Standin":
        self._server = _Server(self._address, _Handler)
        self._server.standin = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="routee-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "Standin":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- what the tests read -----------------------------------------------------------

    def calls_per_recipient(self) -> Counter:
        with self.lock:
            return Counter(call.recipient for call in self.calls.values())

    def duplicates(self) -> dict[str, int]:
        """Recipients that were called more than once, with how often."""
        return {r: n for r, n in self.calls_per_recipient().items() if n > 1}

    def conversation_requests(self) -> list[RequestRecord]:
        """Every POST /voice/conversation that arrived, whatever became of it,
        in the order they arrived."""
        with self.lock:
            found = [r for r in self.requests
                     if r.method == "POST" and r.path == CONVERSATION_PATH]
        return sorted(found, key=lambda r: r.at)

    def max_in_window(self, records: Iterable[RequestRecord] | None = None,
                      window: float = 1.0) -> int:
        """The most requests that arrived within any `window` seconds
        (a half-open interval [t, t + window))."""
        times = sorted(r.at for r in (self.conversation_requests() if records is None
                                      else records))
        most, first = 0, 0
        for last, t in enumerate(times):
            while t - times[first] >= window:
                first += 1
            most = max(most, last - first + 1)
        return most

    def posts_per_recipient(self) -> Counter:
        """How many POST /voice/conversation asked for each recipient,
        whatever became of them (refused, failed, dropped after reading)."""
        return Counter(r.recipient for r in self.conversation_requests()
                       if r.recipient is not None)

    def faults_seen(self) -> Counter:
        return Counter(r.fault for r in self.conversation_requests())

    # --- the API, called by the handler under no lock -----------------------------------

    def _record(self, record: RequestRecord) -> None:
        with self.lock:
            self.requests.append(record)

    def _issue_token(self, authorization: str | None, form: dict[str, list[str]]
                     ) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != ["client_credentials"]:
            return 400, {"error": "unsupported_grant_type",
                         "error_description": "grant_type must be client_credentials"}
        app_id = _basic_user(authorization, self.credentials)
        if app_id is None:
            return 401, {"error": "unauthorized", "error_description": "Bad credentials"}
        token = Token(secrets.token_urlsafe(24), app_id, time.monotonic())
        with self.lock:
            self.tokens[token.value] = token
        expires_in = self.announced_expires_in
        if expires_in is None:
            expires_in = max(1, int(self.token_lifetime))
        return 200, {"access_token": token.value, "token_type": "bearer",
                     "expires_in": expires_in, "scope": "voice",
                     "permissions": ["MT_ROLE_VOICE"]}

    def _authorize(self, authorization: str | None) -> bool:
        if not authorization or not authorization.startswith("Bearer "):
            return False
        with self.lock:
            token = self.tokens.get(authorization[len("Bearer "):].strip())
            if token is None:
                return False
            if time.monotonic() - token.issued_at >= self.token_lifetime:
                return False
            if self.token_max_uses is not None and token.uses >= self.token_max_uses:
                return False
            token.uses += 1
            return True

    def _over_rate(self, now: float) -> bool:
        if self.rate_limit is None:
            return False
        recent = [r for r in self.conversation_requests() if now - r.at < 1.0 and r.status != 429]
        return len(recent) >= self.rate_limit

    def _accept(self, body: dict[str, Any]) -> AcceptedCall:
        to = body["to"]
        recipient = to.get("phone") or (f"sip:{to['sip']}" if "sip" in to else f"viber:{to.get('viber')}")
        outcome = self.outcomes.get(recipient, self.progress[-1][0])
        call = AcceptedCall(tracking_id=str(uuid.uuid4()), recipient=recipient, body=body,
                    accepted_at=time.monotonic(),
                    created_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                    timeline=timeline_for(self.progress, outcome))
        if self.execute:
            call.finished = threading.Event()
        with self.lock:
            self.calls[call.tracking_id] = call
        if self.execute:
            threading.Thread(target=self._run_plan, args=(call,), daemon=True,
                             name=f"call-{call.tracking_id[:8]}").start()
        return call

    def wait_for_calls(self, timeout: float = 10.0) -> bool:
        """Wait until every executed call has ended; False on time-out."""
        deadline = time.monotonic() + timeout
        for call in list(self.calls.values()):
            if call.finished is not None and \
                    not call.finished.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True

    def _run_plan(self, call: AcceptedCall) -> None:
        """Run a call's dialplan as Routee would (see `engine.py`)."""
        import httpx

        from ..menus import engine

        body = call.body
        routee = {"from": body.get("from"), "to": call.recipient,
                  "messageId": call.tracking_id, "conversationTrackingId": call.tracking_id}

        def post(url: str, payload: dict) -> Any:
            # Routee waits 3 s for an eventUrl, and wants JSON back.
            answer = client.post(url, json=payload, timeout=3.0)
            if answer.status_code != 200 or \
                    not answer.headers.get("content-type", "").startswith("application/json"):
                return None
            return answer.json()

        result = engine.CallLog()
        try:
            with httpx.Client() as client:
                plan = body.get("dialPlan")
                if plan is None and body.get("dialPlanUrl"):
                    plan = post(body["dialPlanUrl"], routee)
                detection = body.get("machineDetection") or {}
                if call.recipient in self.machines:
                    result.events.append(engine.Event("note", "a machine answers"))
                    if detection.get("strategy") == "Hangup":
                        plan = None
                    elif detection.get("eventUrl"):
                        plan = post(detection["eventUrl"], routee)
                if engine.is_plan(plan):
                    engine.run(plan, presses=self.callers.get(call.recipient, []), post=post,
                               body=routee, call=result)
                callback = body.get("callback") or {}
                if callback.get("url"):
                    client.post(callback["url"], timeout=3.0, json={
                        **routee, "status": {"name": "Completed", "updatedDate":
                                             datetime.now(timezone.utc).isoformat()},
                        "direction": "Outbound", "originatingService": "Voice"})
        except Exception as error:  # noqa: BLE001 - recorded: the test reads it
            result.events.append(engine.Event("note", f"(stand-in error: {error!r})"))
        finally:
            with self.lock:
                call.events.extend({"kind": e.kind, "text": e.text, **e.data}
                                   for e in result.events)
                call.transcript.extend(result.transcript)
            call.finished.set()

    def _validate(self, body: Any) -> tuple[int, dict[str, Any]] | None:
        from ..schemas import CONVERSATION, validate

        if not isinstance(body, dict):
            return 400, _error(400, 0, "Validation Error", {"body": "must be a JSON object"})
        problems = validate(body, CONVERSATION)
        if problems:
            return 400, _error(400, 0, "Validation Error",
                               {(p.pointer[1:].replace("/", ".") or "body"): p.message
                                for p in problems})
        to = body["to"]
        recipient = to.get("phone") or to.get("sip") or to.get("viber")
        if recipient in self.reject:
            name, message = self.reject[recipient]
            return 400, _error(400, 13, "Validation Error", {name: message})
        return None


def _recipient_of(body: bytes) -> str | None:
    """The recipient a call body names, as `Standin.calls` records it."""
    try:
        to = json.loads(body)["to"]
        return to.get("phone") or (f"sip:{to['sip']}" if "sip" in to
                                   else f"viber:{to['viber']}")
    except (ValueError, UnicodeDecodeError, KeyError, TypeError, AttributeError):
        return None


def _error(status: int, number: int, message: str,
           properties: dict[str, str] | None = None) -> dict[str, Any]:
    """Routee's error shape: the code is the HTTP status, the module (013 is
    voice, 000 general) and an error number."""
    module = 13 if number else 0
    answer: dict[str, Any] = {"code": f"{status:03d}{module:03d}{number:03d}",
                              "developerMessage": message}
    if properties:
        answer["properties"] = properties
    return answer


def _basic_user(authorization: str | None, credentials: dict[str, str] | None) -> str | None:
    if not authorization or not authorization.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[len("Basic "):].strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    app_id, sep, secret = decoded.partition(":")
    if not sep or not app_id:
        return None
    if credentials is not None and not (app_id in credentials and
                                        secrets.compare_digest(credentials[app_id], secret)):
        return None
    return app_id


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    standin: Standin


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, Nagle's algorithm
    # holds the body back until the client's delayed ACK (40 ms a request).
    disable_nagle_algorithm = True
    server: _Server
    _fault: str | None = None
    _arrived: float = 0.0
    _recipient: str | None = None

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass  # the stand-in keeps its own log (`requests`)

    def handle_one_request(self) -> None:
        # Look at the request line before reading it, so that a fault can
        # drop the connection with the request unread.
        try:
            head = self.rfile.peek(len(CONVERSATION_PATH) + 8)
        except (OSError, ValueError):
            self.close_connection = True
            return
        if not head:
            self.close_connection = True
            return
        standin = self.server.standin
        self._arrived = time.monotonic()
        self._fault = None
        self._recipient = None
        if head.startswith(b"POST " + CONVERSATION_PATH.encode()):
            with standin.lock:
                self._fault = standin.faults.draw()
            if self._fault == DROP_BEFORE_READ:
                standin._record(RequestRecord(self._arrived, "POST", CONVERSATION_PATH,
                                              DROP_BEFORE_READ, None))
                self._drop(reset=True)
                return
        super().handle_one_request()

    # --- helpers ------------------------------------------------------------------

    def _drop(self, *, reset: bool) -> None:
        self.close_connection = True
        try:
            if reset:  # an RST rather than a FIN: the peer sees "connection reset"
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send_json(self, status: int, answer: dict[str, Any],
                   headers: dict[str, str] | None = None) -> None:
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client has gone

    def _log(self, status: int | None, tracking_id: str | None = None) -> None:
        self.server.standin._record(RequestRecord(self._arrived, self.command,
                                                  self.path.split("?")[0], self._fault, status,
                                                  tracking_id, self._recipient))

    def _answer(self, status: int, answer: dict[str, Any],
                headers: dict[str, str] | None = None, tracking_id: str | None = None) -> None:
        self._log(status, tracking_id)
        self._send_json(status, answer, headers)

    # --- routes -------------------------------------------------------------------

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        standin = self.server.standin
        body = self._body()
        path = self.path.split("?")[0]
        if path == TOKEN_PATH:
            form = parse_qs(body.decode("utf-8", "replace"))
            status, answer = standin._issue_token(self.headers.get("Authorization"), form)
            self._answer(status, answer)
            return
        if path != CONVERSATION_PATH:
            self._answer(404, _error(404, 0, f"no such resource: {path}"))
            return
        self._recipient = _recipient_of(body)
        if not standin._authorize(self.headers.get("Authorization")):
            self._answer(401, _error(401, 0, "Unauthorized: the access token is invalid or "
                                             "has expired"))
            return
        if standin._over_rate(self._arrived):
            self._answer(429, _error(429, 0, "Too many requests"),
                         {"Retry-After": str(standin.faults.retry_after)})
            return
        fault = self._fault
        if fault == ERROR_500:
            self._answer(500, _error(500, 0, "Internal server error"))
            return
        if fault == THROTTLE_429:
            self._answer(429, _error(429, 0, "Too many requests"),
                         {"Retry-After": str(standin.faults.retry_after)})
            return
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            self._answer(400, _error(400, 0, "Validation Error", {"body": "not valid JSON"}))
            return
        invalid = standin._validate(payload)
        if invalid is not None:
            self._answer(*invalid)
            return
        call = standin._accept(payload)
        if fault == DROP_AFTER_READ:
            self._log(None, call.tracking_id)
            self._drop(reset=False)
            return
        if fault == SLOW:
            time.sleep(standin.faults.slow_seconds)
        self._answer(200, call.answer(), tracking_id=call.tracking_id)

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        standin = self.server.standin
        path = self.path.split("?")[0]
        prefix = CONVERSATION_PATH + "/"
        if not path.startswith(prefix):
            self._answer(404, _error(404, 0, f"no such resource: {path}"))
            return
        if not standin._authorize(self.headers.get("Authorization")):
            self._answer(401, _error(401, 0, "Unauthorized: the access token is invalid or "
                                             "has expired"))
            return
        tracking_id = unquote(path[len(prefix):])
        with standin.lock:
            call = standin.calls.get(tracking_id)
        if call is None:
            self._answer(404, _error(404, 13, f"no conversation {tracking_id}"))
            return
        self._answer(200, call.answer(), tracking_id=tracking_id)


def main(argv: list[str] | None = None) -> None:
    """Serve a stand-in until Ctrl-C (any credentials are accepted)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m dialplan_compiler.standin",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--drop-rate", type=float, default=0.0,
                        help="share of connections dropped after the request is read")
    args = parser.parse_args(argv)
    standin = Standin(port=args.port, faults=Faults(error_rate=args.error_rate,
                                                    drop_after_read_rate=args.drop_rate,
                                                    seed=None))
    with standin:
        print(f"Routee stand-in on {standin.url} (--api-url {standin.url} "
              f"--auth-url {standin.url}); Ctrl-C stops it", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        print(f"{len(standin.calls)} calls accepted")


if __name__ == "__main__":
    main()
