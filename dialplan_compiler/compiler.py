"""The pipeline, end to end: source → parse → check → emit → validate.

`check_source` and `compile_source` are the Python API (re-exported from the
package); the command line is a thin layer over them.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Any, Mapping, NamedTuple

from . import rules, schemas
from .checker import Overrides, check, override_statement
from .config import Config, ignore_comment_warnings, ignored_lines, suppressed
from .diagnostics import Diagnostic, has_errors, sort_diagnostics
from .emitter import emit
from .nodes import Span
from .parser import parse
from .text import decode_utf8, strip_bom


class Result(NamedTuple):
    """What a check or compile produced: the payload (None when there are
    errors) and every diagnostic, in source order."""

    payload: dict[str, Any] | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def decode_source(data: bytes, file: str) -> tuple[str | None, list[Diagnostic]]:
    """Bytes of a `.call` file → text, or a diagnostic saying why not."""
    text, bom, bad = decode_utf8(data)
    body = data[bom:]
    if text is None:
        return None, [_unreadable(body, bad, bom, file, "the file is not valid UTF-8",
                                  "save it as UTF-8")]
    nul = body.find(b"\x00")
    if nul != -1:
        return None, [_unreadable(body, nul, bom, file, "the file holds NUL bytes: is it binary?",
                                  "a .call file is plain UTF-8 text")]
    return text, []


def _unreadable(body: bytes, offset: int, bom: int, file: str, message: str,
                help: str) -> Diagnostic:
    """A diagnostic at byte `offset` of `body` (the file after a `bom`-byte BOM)."""
    before = body[:offset].replace(b"\r\n", b"\n").replace(b"\r", b"\n")  # as the parser
    line = before.count(b"\n") + 1
    column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
    return rules.UNREADABLE(Span(file, line, column, line, column + 1, offset, offset + 1),
                            f"{message} (byte {offset + bom})", help=help)


def check_source(source: str | bytes, filename: str = "<string>", *,
                 config: Config | None = None) -> Result:
    """Check a script. Placeholders may stay unfilled; the payload returned
    is the would-be payload, with `{placeholders}` as written."""
    config = config or Config()
    return _run(source, filename, variables=None, config=config,
                overrides=Overrides(default_sender=_default_sender(config),
                                    max_presses_to_dial=config.max_presses_to_dial))


def compile_source(source: str | bytes, filename: str = "<string>", *,
                   variables: Mapping[str, str] | None = None, to: str | None = None,
                   sender: str | None = None, plan: bool = False,
                   config: Config | None = None, signing_secret: bytes | str | None = None,
                   name: str | None = None) -> Result:
    """Compile a script to the request body of `POST /voice/conversation`
    (when the recipient is known, from the script or `to`) or to the bare
    plan `{"verbs": [...]}` (otherwise, or with `plan=True`).

    `variables` fill `{placeholders}`; every placeholder needs one. `to` and
    `sender` override the script's `to` and `from`. `config` selects which
    warnings are reported and may give a default sender.

    A script with menus signs its eventUrls with `signing_secret` (default:
    the environment's DIALPLAN_SIGNING_SECRET) and names itself `name` in
    them (default: the file name without `.call`); the payload is the main
    plan's, see `compile_bundle` for every plan.
    """
    return compile_bundle(source, filename, variables=variables, to=to, sender=sender,
                          plan=plan, config=config, signing_secret=signing_secret,
                          name=name).result


class BundleResult(NamedTuple):
    """A compiled program: the payload of the call (as `compile_source`
    gives it), the bundle of every plan (`menus.Bundle`, None for a script
    without menus or with errors) and the diagnostics."""

    payload: dict[str, Any] | None
    bundle: Any
    diagnostics: list[Diagnostic]

    @property
    def result(self) -> Result:
        return Result(self.payload, self.diagnostics)


def compile_bundle(source: str | bytes, filename: str = "<string>", *,
                   variables: Mapping[str, str] | None = None, to: str | None = None,
                   sender: str | None = None, plan: bool = False,
                   config: Config | None = None, signing_secret: bytes | str | None = None,
                   name: str | None = None, per_call: str = "required") -> BundleResult:
    """Compile a script, with every plan of its menus (see `compile_source`).

    `per_call` is "required" when compiling one call: every placeholder
    needs a value, and those the branches say are sealed into the
    eventUrls. "deferred" compiles what `dialplan serve` answers for every
    call: the placeholders of `say` text without a value come with each
    call's eventUrl (`variables` are then the defaults)."""
    config = config or Config()
    overrides = Overrides(
        to=override_statement("to", to, "--to") if to is not None else None,
        sender=override_statement("from", sender, "--from") if sender is not None else None,
        default_sender=_default_sender(config),
        max_presses_to_dial=config.max_presses_to_dial)
    if isinstance(signing_secret, str):
        signing_secret = signing_secret.encode("utf-8")
    out: list = []
    result = _run(source, filename, variables=dict(variables or {}), overrides=overrides,
                  plan_only=plan, config=config,
                  menus=_Menus(signing_secret, name, filename, out, per_call))
    return BundleResult(result.payload, out[0] if out and result.ok else None,
                        result.diagnostics)


class _Menus(NamedTuple):
    """How to compile menus: the secret (None: from the environment), the
    script's name in URLs, and where to put the bundle."""

    secret: bytes | None
    name: str | None
    filename: str
    out: list
    per_call: str = "required"


def _default_sender(config: Config):
    if config.default_sender is None:
        return None
    origin = str(config.path) if config.path else "configuration"
    return override_statement("from", config.default_sender, origin)


def _run(source: str | bytes, filename: str, *, variables: dict[str, str] | None,
         config: Config, overrides: Overrides | None = None, plan_only: bool = False,
         menus: _Menus | None = None) -> Result:
    with _collector_paused():
        result = _pipeline(source, filename, variables=variables, overrides=overrides,
                           plan_only=plan_only, menus=menus)
    kept = [d for d in result.diagnostics if config.keeps(d)]
    return Result(result.payload, kept)


@contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector for one run of the pipeline.

    A big file allocates millions of small, long-lived objects (tokens, nodes,
    diagnostics) and none of them form cycles that need collecting; left on,
    the collector walks them again and again as they pile up, which made
    checking grow faster than linearly with file size."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _pipeline(source: str | bytes, filename: str, *, variables: dict[str, str] | None,
              overrides: Overrides | None, plan_only: bool,
              menus: _Menus | None = None) -> Result:
    if isinstance(source, bytes):
        text, diagnostics = decode_source(source, filename)
        if text is None:
            return Result(None, diagnostics)
    else:
        text = strip_bom(source)
    parsed = parse(text, filename)
    diagnostics = list(parsed.diagnostics)
    if parsed.module is None:
        return Result(None, sort_diagnostics(diagnostics))
    script, found = check(parsed.module, error_lines=parsed.error_lines, variables=variables,
                          overrides=overrides, plan_only=plan_only,
                          per_call=menus.per_call if menus is not None else "required")
    diagnostics.extend(found)
    if script.limit is not None and not has_errors(diagnostics):
        from .durations import limit_diagnostics

        diagnostics.extend(limit_diagnostics(script))
    ignores = ignored_lines(parsed.module.comments)
    if ignores:  # comments in the script speak for the script's lines, not --var's
        diagnostics = [d for d in diagnostics
                       if d.span.file != filename or not suppressed(d, ignores)]
        diagnostics.extend(ignore_comment_warnings(parsed.module.comments, filename))
    if has_errors(diagnostics):
        return Result(None, sort_diagnostics(diagnostics))
    bundle = None
    if script.has_menus:
        from .lowering import lower, menu_diagnostics, script_name
        from .signing import secret_from_env

        secret = None
        if menus is not None:  # compiling: the URLs are signed for real
            secret = menus.secret or secret_from_env()
            if secret is None:
                diagnostics.extend(menu_diagnostics(script, None))
                return Result(None, sort_diagnostics(diagnostics))
        bundle = lower(script, (menus and menus.name) or script_name(filename), secret,
                       variables)
        diagnostics.extend(menu_diagnostics(script, bundle))
        script = bundle.script
    as_request = script.target is not None and not plan_only
    if not as_request and script.main is None:
        # A hosted plan checked without a recipient: nothing to emit yet.
        return Result(None, sort_diagnostics(diagnostics))
    emitted = emit(script, as_request=as_request)
    diagnostics.extend(schemas.schema_diagnostics(emitted, script.span))
    payload = None if has_errors(diagnostics) else emitted.payload
    if bundle is not None and menus is not None and payload is not None:
        menus.out.append(bundle)
    return Result(payload, sort_diagnostics(diagnostics))
