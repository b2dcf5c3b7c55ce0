"""`dialplan serve`: the ASGI application that answers Routee for menus.

It keeps no state between requests: the scripts are compiled once, at
start-up, and the state of a call (which menu, which try) rides in the
signed query of the eventUrl, which Routee keeps. So any number of workers
or hosts behind a load balancer answer alike:

    POST|GET  …/plans/{name}            the main plan of a script (dialPlanUrl, inbound)
    POST|GET  …/events?p&n&t&s          an eventUrl: COLLECT keys, machine detection
    POST      …/status                  status callbacks, logged as JSON lines
    GET       …/audio/silence-{N}s.wav  the silent WAVs menus wait with
    GET       /healthz

(`…` is any prefix, so the app can sit under a path such as /routee.) A
forged or altered eventUrl gets a 403 and a log line; an unknown node or a
body that is not Routee's gets a short "sorry, goodbye" plan, so that the
caller never hears silence. The eventUrls are public (they are in every
main plan), so what anyone may send is bounded: a body over MAX_BODY bytes
gets a 413, JSON nested deeper than router.MAX_DEPTH a 400, and a client
that goes away mid-request one log line. Every line logged is one JSON
object, uvicorn's own included (`log_config`).

Run it with `dialplan serve FILE…`, or under any ASGI server:
`DIALPLAN_SCRIPTS=a.call:b.call uvicorn --factory dialplan_compiler.server:app_from_env`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, Mapping

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..errors import DialplanError
from .delivery import Deliveries
from .engine import is_plan
from ..lowering import Bundle, sorry_plan
from .router import TIMED_OUT, Router, TooDeep, loads
from .silence import MAX_SILENCE, RATE, silent_wav_chunks
from ..signing import is_digits

SCRIPTS_ENV = "DIALPLAN_SCRIPTS"
JSON = "application/json"
#: Routee's bodies are a few hundred bytes; a status callback under 1 KiB.
MAX_BODY = 64 * 1024
#: How much of a client-chosen string (a path) goes into a log line.
_LOGGED = 200


# --- silent WAVs ------------------------------------------------------------------------------

def silence_seconds(name: str) -> int | None:
    """N of a `silence-Ns.wav` file name that is served (1 ≤ N ≤ MAX_SILENCE)."""
    if not (name.startswith("silence-") and name.endswith("s.wav")):
        return None
    text = name[len("silence-"):-len("s.wav")]
    if not (is_digits(text) and len(text) <= 3):  # bounded before int(): no 10,000 digits
        return None
    seconds = int(text)
    return seconds if 1 <= seconds <= MAX_SILENCE else None


# --- JSON lines -------------------------------------------------------------------------------

#: Line breaks to str.splitlines() (and to some log shippers) that JSON
#: leaves unescaped; control characters under U+0020 json.dumps escapes.
_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_line(record: dict) -> str:
    """`record` as one line of JSON, whatever splits it into lines. Strings
    from a request may hold lone surrogates (JSON's "\\ud800"), which UTF-8
    cannot encode: such a line is written with ASCII escapes instead."""
    text = json.dumps(record, ensure_ascii=False, default=str)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(record, default=str)
        for char, escape in _BREAKS.items():  # only ever inside strings: escapes are valid
            if char in text:
                text = text.replace(char, escape)
    return text


def json_line_logger(stream=None) -> Callable[[dict], None]:
    def log(record: dict) -> None:
        target = stream or sys.stderr
        try:
            target.write(json_line({"ts": round(time.time(), 3), **record}) + "\n")
            target.flush()
        except (OSError, ValueError):
            pass  # a full disk or a closed stream must not hang up on a caller
    return log


class JsonLogFormatter(logging.Formatter):
    """Records of the logging module (uvicorn's, asyncio's) as the same
    JSON lines as the app's: `event` "log", with `level`, `logger`,
    `message`, and a traceback as one string under `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record must still be one line, not logging's traceback
            message = str(record.msg)
        line = {"ts": round(record.created, 3), "event": "log",
                "level": record.levelname.lower(), "logger": record.name,
                "message": message.strip()}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json_line(line)


def log_config(level: str = "warning") -> dict:
    """A logging.config dictionary for uvicorn's `log_config`: every logger,
    uvicorn's and the root (asyncio, warnings), writes JSON lines on
    standard error."""
    handler = {"class": "logging.StreamHandler", "formatter": "json",
               "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonLogFormatter"}},
        "handlers": {"json": handler},
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": ["json"], "level": level.upper(),
                               "propagate": False},
        },
        "root": {"handlers": ["json"], "level": "WARNING"},
    }


# --- limits on what a client may hold ---------------------------------------------------------

def timed_h11_protocol(request_timeout: float) -> type:
    """uvicorn's h11 protocol with a deadline for receiving each request.

    uvicorn times out only idle keep-alive connections: a client that opens
    a connection and sends nothing, or half a request line, or its headers
    and then a byte of body now and then, holds its connection (and a file
    descriptor) for ever. Here a request must arrive whole within
    `request_timeout` seconds of the connection being made or of its first
    byte; otherwise the connection is closed (the app, if it was reading the
    body, sees the client go). Once a request is in, the deadline is off:
    answering it is the app's business, and handoffs have their own."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    receiving = (h11.IDLE, h11.SEND_BODY)

    class TimedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state in receiving and not self.transport.is_closing():
                self._arm()  # a request has begun (or goes on): from its first byte
            else:
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _should_upgrade(self) -> bool:
            # No WebSocket routes: an Upgrade header is answered as plain HTTP,
            # without uvicorn's two warnings a line each, which advise
            # installing a WebSocket library.
            return False

        def _arm(self) -> None:
            if self._deadline is None:
                self._deadline = self.loop.call_later(request_timeout, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self) -> None:
            self._deadline = None
            if self.conn.their_state in receiving and not self.transport.is_closing():
                self.logger.info("no whole request within %s s: connection closed",
                                 request_timeout)
                self.transport.close()

    return TimedH11Protocol


class Refused(Exception):
    """A request refused before it is routed: a 4xx and a log line."""

    def __init__(self, status: int, event: str, message: str) -> None:
        super().__init__(message)
        self.status, self.event, self.message = status, event, message


async def read_body(request: Request) -> bytes:
    """The body, at most MAX_BODY bytes of it (Refused 413 beyond), never
    held whole first: a declared Content-Length over it is refused unread."""
    declared = request.headers.get("content-length", "")
    if is_digits(declared) and (len(declared) > 9 or int(declared) > MAX_BODY):
        raise Refused(413, "body-too-large", f"a body is at most {MAX_BODY} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Refused(413, "body-too-large", f"a body is at most {MAX_BODY} bytes")
    return bytes(body)


def handoff_problem(plan: dict) -> dict | None:
    """The first error the schemas and the plan rules find in a plan a
    handoff answered (with the verbs before it), as {rule, message}; None
    when Routee can run it."""
    from ..validator import validate_json

    report = validate_json(json.dumps(plan), "handoff answer")
    for diagnostic in report.diagnostics:
        if diagnostic.is_error:
            return {"rule": diagnostic.code, "message": diagnostic.message}
    return None


# --- the application --------------------------------------------------------------------------

def create_app(bundles: Mapping[str, Bundle], secret: bytes, *,
               log: Callable[[dict], None] | None = None,
               http_client: Any = None) -> Starlette:
    """The application for `bundles` (by script name), checking eventUrls
    against `secret`. `log` receives each log record (default: JSON lines on
    standard error); `http_client` (an httpx.AsyncClient) is used for
    handoffs (default: one made at start-up)."""
    router = Router(bundles, secret)
    log = log or json_line_logger()
    state: dict[str, Any] = {"client": http_client}

    def client() -> Any:
        import httpx

        if state["client"] is None:
            state["client"] = httpx.AsyncClient()
        return state["client"]

    deliveries = Deliveries(log, client)

    def answer(plan: dict | None, data: bytes | None = None, status: int = 200) -> Response:
        if data is None:
            data = json.dumps(plan, ensure_ascii=False).encode("utf-8")
        return Response(data, status_code=status, media_type=JSON)

    def error(status: int, message: str) -> Response:
        return Response(json.dumps({"error": message}).encode(), status_code=status,
                        media_type=JSON)

    async def event(request: Request) -> Response:
        body = await read_body(request) if request.method == "POST" else b""
        result = router.event(request.query_params, body)
        log(result.log)
        if result.status == 403:
            return error(403, "forbidden")
        if result.status == 400:
            return error(400, "the body is not a dialplan request")
        if result.handoff is not None:
            response = answer(await handoff(result, body))
        elif result.ask is not None:
            reply = await ask_backend(result.ask, result.context)
            result = router.choose(result, reply)
            log(result.log)
            response = answer(result.plan)
        else:
            response = answer(result.plan, result.data)
        if result.reports:
            # Queued once the answer has gone: a report never delays it.
            context = {"script": result.log.get("script"), "branch": result.branch,
                       "trackingId": result.log.get("conversationTrackingId")}

            async def queue_reports() -> None:
                for url, report in result.reports:
                    deliveries.submit(url, report, context)
            response.background = BackgroundTask(queue_reports)
        return response

    async def handoff(result, body: bytes) -> dict:
        """Ask the handoff URL for the rest of the call, within its time
        (all of it: httpx's timeout bounds each read, not the whole)."""
        import httpx

        url, seconds = result.handoff
        http = client()
        verbs = list(result.plan.get("verbs", []))
        try:
            routee = loads(body) if body else {}
        except ValueError:
            routee = {}
        payload = {**(routee if isinstance(routee, dict) else {}),
                   "digits": result.log.get("tones", ""), "script": result.log.get("script"),
                   "branch": result.branch}
        rest, problem = None, None
        try:
            async with asyncio.timeout(seconds):
                # ASCII JSON: strings from Routee's body may hold lone surrogates
                async with http.stream("POST", url, content=json.dumps(payload).encode(),
                                         headers={"Content-Type": JSON},
                                         timeout=seconds) as response:
                    if response.status_code != 200:
                        problem = f"HTTP {response.status_code}"
                    else:
                        data = bytearray()
                        async for chunk in response.aiter_bytes():
                            data += chunk
                            if len(data) > MAX_BODY:
                                problem = f"an answer over {MAX_BODY} bytes"
                                break
                        else:
                            rest = loads(bytes(data))
        except (httpx.HTTPError, ValueError, TimeoutError) as failure:
            rest, problem = None, type(failure).__name__
        script = router.scripts.get(result.log.get("script"))
        sorry = script.sorry if script else sorry_plan()
        if not is_plan(rest):
            log({"event": "handoff-failed", "url": url, "error": problem or "not a dialplan"})
            return {"verbs": verbs + list(sorry["verbs"])}
        combined = {"verbs": verbs + list(rest["verbs"])}
        broken = handoff_problem(combined)
        if broken is not None:
            # Routee would drop the call on an invalid plan: the caller hears goodbye instead.
            log({"event": "handoff-invalid", "url": url, **broken})
            return {"verbs": verbs + list(sorry["verbs"])}
        return combined

    async def ask_backend(ask, context: dict) -> Any:
        """The backend's reply to an `ask`, within its time: the parsed JSON,
        TIMED_OUT, or a string saying what went wrong. Never parsed as
        anything but JSON: its values are only ever text."""
        import httpx

        seconds = ask.within_ms / 1000
        try:
            async with asyncio.timeout(seconds):
                async with client().stream("POST", ask.url, content=json.dumps(context).encode(),
                                           headers={"Content-Type": JSON},
                                           timeout=seconds) as response:
                    if response.status_code != 200:
                        return f"HTTP {response.status_code}"
                    data = bytearray()
                    async for chunk in response.aiter_bytes():
                        data += chunk
                        if len(data) > MAX_BODY:
                            return f"an answer over {MAX_BODY} bytes"
        except TimeoutError:
            return TIMED_OUT
        except httpx.TimeoutException:
            return TIMED_OUT
        except httpx.HTTPError as failure:
            return type(failure).__name__
        try:
            reply = loads(bytes(data))
        except ValueError:
            return None  # garbage
        return reply if isinstance(reply, dict) else None

    async def status(request: Request) -> Response:
        body = await read_body(request)
        try:
            record = loads(body) if body else None
        except TooDeep:
            raise Refused(400, "body-too-deep", "the body is not a status callback") from None
        except ValueError:
            record = None
        log({"event": "status", "body": record if record is not None else
             body.decode("utf-8", "replace")[:2000]})
        return answer({})

    async def route(request: Request, path: str) -> Response:
        if path.endswith("/events"):
            return await event(request)
        parts = path.rsplit("/", 2)
        if len(parts) == 3 and parts[1] == "plans":
            plan = router.main_plan(parts[2])
            if plan is None:
                known = router.scripts.get(parts[2])
                if known is not None and "main" in known.plans:
                    # Its text needs a call's values: it is sent inline by `dialplan call`.
                    log({"event": "plan-needs-values", "name": parts[2],
                         "needs": list(known.bundle.needs.get("main", ()))})
                    return answer(known.sorry)
                log({"event": "unknown-plan", "name": parts[2][:_LOGGED]})
                return answer(router.default_sorry)
            log({"event": "plan", "script": parts[2]})
            return answer(plan, router.scripts[parts[2]].bytes.get("main"))
        if path.endswith("/status") and request.method == "POST":
            return await status(request)
        if len(parts) == 3 and parts[1] == "audio" and request.method in ("GET", "HEAD"):
            seconds = silence_seconds(parts[2])
            if seconds is not None:
                return silence(seconds)
        if path == "/healthz":
            return answer({"ok": True, "scripts": sorted(router.scripts)})
        return error(404, "not found")

    async def dispatch(request: Request) -> Response:
        # scope["path"], not request.url: that parses the Host header, and a
        # Host of "[" makes urlsplit raise.
        path = request.scope["path"].rstrip("/")
        try:
            return await route(request, path)
        except Refused as refusal:
            log({"event": refusal.event, "path": path[:_LOGGED]})
            return error(refusal.status, refusal.message)
        except ClientDisconnect:  # gone mid-body: no one to answer, nothing went wrong here
            log({"event": "client-disconnected", "path": path[:_LOGGED]})
            return Response(status_code=400)

    @asynccontextmanager
    async def lifespan(app):
        yield
        await deliveries.close()
        if state["client"] is not None and http_client is None:
            await state["client"].aclose()

    return Starlette(routes=[Route("/{path:path}", dispatch, methods=["GET", "POST"])],
                     lifespan=lifespan)


def silence(seconds: int) -> StreamingResponse:
    """A silent WAV, streamed: its length is known, its bytes made as sent."""
    async def chunks() -> AsyncIterator[bytes]:
        for chunk in silent_wav_chunks(seconds):
            yield chunk

    return StreamingResponse(chunks(), media_type="audio/wav", headers={
        "Content-Length": str(44 + seconds * RATE * 2),
        "Cache-Control": "public, max-age=86400"})


class ListenError(DialplanError):
    """The server cannot listen where it was asked; str() says why."""


def listen(host: str, port: int):
    """A socket bound to `host` and `port` and listening, or ListenError."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as error:  # gaierror is an OSError; IDNA fails with UnicodeError
        raise ListenError(f"cannot listen on {host}: "
                          f"{getattr(error, 'strerror', None) or error}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        sock.close()
        raise ListenError(f"cannot listen on {host} port {port}: "
                          f"{error.strerror or error}") from None
    return sock


def run_server(bundles: Mapping[str, Bundle], secret: bytes, *, host: str, port: int,
               log_level: str = "warning", request_timeout: float = 10.0,
               keep_alive: float = 5.0, limit_concurrency: int = 1000) -> bool:
    """Serve `bundles` with uvicorn until stopped (Ctrl-C); False when the
    server did not start. The address is bound first, before "serving" is
    said: uvicorn would announce, then fail on a port in use (ListenError)."""
    import uvicorn

    sock = listen(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    config = uvicorn.Config(
        create_app(bundles, secret), log_config=log_config(log_level), log_level=log_level,
        access_log=False, ws="none", lifespan="on",
        http=timed_h11_protocol(request_timeout),
        timeout_keep_alive=keep_alive,  # type: ignore[arg-type]  # any number works
        # The request line and headers; eventUrls are a few hundred bytes.
        h11_max_incomplete_event_size=16 * 1024,
        limit_concurrency=limit_concurrency,
        # Stopping waits this long for answers in flight (Routee waits 3 s).
        timeout_graceful_shutdown=5)
    logging.captureWarnings(True)  # warnings, too, as JSON lines
    config.load()  # its failures, too, before "serving"
    server = uvicorn.Server(config)
    log = json_line_logger()
    log({"event": "serving", "scripts": sorted(bundles), "url": f"http://{shown}:{bound_port}",
         "message": f"dialplan: serving {', '.join(sorted(bundles))} on "
                    f"http://{shown}:{bound_port} (Ctrl-C stops)"})
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    if not server.started:  # after "serving", so a JSON line like the rest
        log({"event": "stopped", "error": "the server did not start (see the lines above)"})
    return bool(server.started)


def app_from_env() -> Starlette:
    """The app for `DIALPLAN_SCRIPTS` (paths separated by os.pathsep),
    signed with `DIALPLAN_SIGNING_SECRET`: for `uvicorn --factory` and other
    ASGI hosts."""
    from .bundles import compile_scripts
    from ..signing import SECRET_ENV, secret_from_env, secret_problem

    secret = secret_from_env()
    if secret is None:
        raise RuntimeError(f"{SECRET_ENV} is not set")
    problem = secret_problem(secret)
    if problem:
        raise RuntimeError(f"{SECRET_ENV} {problem}")
    paths = [p for p in os.environ.get(SCRIPTS_ENV, "").split(os.pathsep) if p]
    if not paths:
        raise RuntimeError(f"{SCRIPTS_ENV} names no scripts")
    return create_app(compile_scripts(paths, secret), secret)
