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
caller never hears silence. Every line logged is one JSON object.

Run it with `dialplan serve FILE…`, or under any ASGI server:
`DIALPLAN_SCRIPTS=a.call:b.call uvicorn --factory dialplan_compiler.server:app_from_env`.
"""

from __future__ import annotations

import io
import json
from contextlib import asynccontextmanager
import os
import struct
import sys
import time
from functools import lru_cache
from typing import Any, Callable, Mapping

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .engine import is_plan
from .menus import Bundle, sorry_plan
from .router import Router

SCRIPTS_ENV = "DIALPLAN_SCRIPTS"
JSON = "application/json"
MAX_BODY = 64 * 1024
MAX_SILENCE = 600


@lru_cache(maxsize=64)
def silent_wav(seconds: int, rate: int = 8000) -> bytes:
    """`seconds` of silence: 16-bit mono PCM WAV at 8 kHz (telephone quality)."""
    data = bytes(seconds * rate * 2)
    out = io.BytesIO()
    out.write(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE")
    out.write(b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16))
    out.write(b"data" + struct.pack("<I", len(data)) + data)
    return out.getvalue()


def json_line_logger(stream=None) -> Callable[[dict], None]:
    def log(record: dict) -> None:
        target = stream or sys.stderr
        target.write(json.dumps({"ts": round(time.time(), 3), **record},
                                ensure_ascii=False) + "\n")
        target.flush()
    return log


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

    def answer(plan: dict | None, data: bytes | None = None, status: int = 200) -> Response:
        if data is None:
            data = json.dumps(plan, ensure_ascii=False).encode("utf-8")
        return Response(data, status_code=status, media_type=JSON)

    async def read_body(request: Request) -> bytes | None:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return None
        return body

    async def event(request: Request) -> Response:
        body = await read_body(request) if request.method == "POST" else b""
        result = router.event(request.query_params, body if body is not None else b"\0")
        log(result.log)
        if result.status == 403:
            return Response(b'{"error": "forbidden"}', status_code=403, media_type=JSON)
        if result.handoff is not None:
            return answer(await handoff(result, body or b""))
        return answer(result.plan, result.data)

    async def handoff(result, body: bytes) -> dict:
        """Ask the handoff URL for the rest of the call, within its time."""
        import httpx

        url, seconds = result.handoff
        client = state["client"]
        if client is None:
            client = state["client"] = httpx.AsyncClient()
        verbs = list(result.plan.get("verbs", []))
        try:
            routee = json.loads(body) if body else {}
        except ValueError:
            routee = {}
        payload = {**(routee if isinstance(routee, dict) else {}),
                   "digits": result.log.get("tones", ""), "script": result.log.get("script"),
                   "branch": result.branch}
        problem = None
        try:
            response = await client.post(url, json=payload, timeout=seconds)
            rest = response.json() if response.status_code == 200 else None
            if response.status_code != 200:
                problem = f"HTTP {response.status_code}"
        except (httpx.HTTPError, ValueError) as error:
            rest, problem = None, type(error).__name__
        if not is_plan(rest):
            log({"event": "handoff-failed", "url": url, "error": problem or "not a dialplan"})
            script = router.scripts.get(result.log.get("script"))
            rest = script.sorry if script else sorry_plan()
        return {"verbs": verbs + list(rest["verbs"])}

    async def dispatch(request: Request) -> Response:
        path = request.url.path.rstrip("/")
        if path.endswith("/events"):
            return await event(request)
        parts = path.rsplit("/", 2)
        if len(parts) == 3 and parts[1] == "plans":
            plan = router.main_plan(parts[2])
            if plan is None:
                log({"event": "unknown-plan", "name": parts[2]})
                return answer(router.default_sorry)
            log({"event": "plan", "script": parts[2]})
            return answer(plan, router.scripts[parts[2]].bytes.get("main"))
        if path.endswith("/status") and request.method == "POST":
            body = await read_body(request)
            try:
                record = json.loads(body) if body else None
            except ValueError:
                record = None
            log({"event": "status", "body": record if record is not None else
                 (body or b"").decode("utf-8", "replace")[:2000]})
            return answer({})
        if len(parts) == 3 and parts[1] == "audio" and request.method == "GET":
            name = parts[2]
            if name.startswith("silence-") and name.endswith("s.wav"):
                seconds = name[len("silence-"):-len("s.wav")]
                if seconds.isdigit() and 1 <= int(seconds) <= MAX_SILENCE:
                    return Response(silent_wav(int(seconds)), media_type="audio/wav",
                                    headers={"Cache-Control": "public, max-age=86400"})
        if path == "/healthz":
            return answer({"ok": True, "scripts": sorted(router.scripts)})
        return Response(b'{"error": "not found"}', status_code=404, media_type=JSON)

    @asynccontextmanager
    async def lifespan(app):
        yield
        if state["client"] is not None and http_client is None:
            await state["client"].aclose()

    return Starlette(routes=[Route("/{path:path}", dispatch, methods=["GET", "POST"])],
                     lifespan=lifespan)


def app_from_env() -> Starlette:
    """The app for `DIALPLAN_SCRIPTS` (paths separated by os.pathsep),
    signed with `DIALPLAN_SIGNING_SECRET`: for `uvicorn --factory` and other
    ASGI hosts."""
    from .menus import compile_scripts
    from .signing import SECRET_ENV, secret_from_env

    secret = secret_from_env()
    if secret is None:
        raise RuntimeError(f"{SECRET_ENV} is not set")
    paths = [p for p in os.environ.get(SCRIPTS_ENV, "").split(os.pathsep) if p]
    if not paths:
        raise RuntimeError(f"{SCRIPTS_ENV} names no scripts")
    return create_app(compile_scripts(paths, secret), secret)
