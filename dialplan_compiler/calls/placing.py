"""Placing the calls of a script: the run behind `dialplan call`.

`place_calls` compiles the script (for one recipient, or for every row of a
recipients CSV), refuses on any error, then either prints the requests
(`dry_run`) or places them: one call with retries, followed to its end with
`wait` (`place_one`), or a campaign kept in its journal (`run_campaign`).

What it has to say as it goes is told through a `Console`; how a run ends
badly is an exception: `ScriptRefused` (the script or the rows have errors,
nothing was sent) or `PlacingError` (its message says what happened;
`setup` is set when the user must fix a setting: credentials, a file). A
campaign's own end is its `CampaignResult`, for the caller to judge
(`campaign_problem`).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import DialplanError
from .campaign import (Campaign, CampaignResult, FollowPolicy, GaveUp, Interrupted, Progress,
                       RecipientsError, RetryPolicy, SharedPace, Stopper, default_journal,
                       format_request, prepare, script_digest, send_with_retries, summary,
                       write_report)
from .client import (API_URL, AUTH_URL, AuthError, ClientError, RateLimiter, RouteeClient,
                     Timeouts, TokenCache, load_credentials)
from .hours import CallingHours, HoursError, local_text, utc_text
from .journal import Journal, JournalError
from .redact import Redactor
from .tracking import Leg, call_deadline, follow_call, recipient_of


class PlacingError(DialplanError):
    """The run ends without what was asked; str() says why. `setup`: the user
    has to fix a setting (credentials, a file), rather than a finding.
    `exit_code`: the run's own exit code, where it has one (how a followed
    call ended, `tracking.OUTCOME_EXIT_CODES`)."""

    def __init__(self, message: str, *, setup: bool = False,
                 exit_code: int | None = None) -> None:
        super().__init__(message)
        self.setup = setup
        self.exit_code = exit_code


class ScriptRefused(DialplanError):
    """The script has errors (`diagnostics`): nothing was sent."""

    def __init__(self, diagnostics: list) -> None:
        super().__init__(f"{len(diagnostics)} diagnostics")
        self.diagnostics = diagnostics


@dataclass(frozen=True)
class CallOptions:
    """What `dialplan call` was asked: one `to`, or a `recipients` CSV."""

    to: str | None = None
    recipients: str | None = None
    dry_run: bool = False
    wait: bool = False
    rate: float = 1.0
    journal_path: str | None = None
    retry_unknown: bool = False
    report_path: str | None = None
    api_url: str | None = None
    auth_url: str | None = None
    cache_token: bool = False
    timeout: float = 30.0
    backoff: float = 1.0
    #: With `wait`: seconds to follow the call (None: its own deadline, `call_deadline`).
    wait_timeout: float | None = None
    #: A prices file for the campaign's dry-run estimate (calls/estimate.py).
    prices: str | None = None
    retries: int = 0                      # more calls after Busy or NoAnswer
    retry_after: float = 600.0            # seconds after the attempt ended
    calling_hours: str | None = None      # "09:00-20:00", the recipients' local time
    timezone: str | None = None           # for rows whose number has no zone


@dataclass(frozen=True)
class Console:
    """Where a run speaks: `out(text, nl=True)` to standard output, `err` a
    line of standard error, `show` diagnostics with their sources by file name."""

    out: Callable[..., None]
    err: Callable[[str], None]
    show: Callable[[list, dict], None]


#: Runs `work` for an action on a name ("compiling", "x.call"); the caller's
#: way to tell a bug in dialplan from what the run reports on purpose.
Guard = Callable[[str, str, Callable[[], Any]], Any]


def _unguarded(action: str, name: str, work: Callable[[], Any]) -> Any:
    return work()


def _same_file(a: str, b: str) -> bool:
    """Whether two names lead to one file (through symlinks, `..`, hard links)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist (yet): compare where they would be
        return os.path.realpath(a) == os.path.realpath(b)


def overwrite_problem(script: str, options: CallOptions) -> str | None:
    """Why a campaign's outputs cannot be where they were asked, if they cannot.

    What is written must not be what is read: a report over the CSV or the
    script would replace it, and a journal there would be refused only after
    every row was compiled. Checked before anything is sent."""
    if not options.recipients:
        return None
    journal_name = options.journal_path or str(default_journal(Path(options.recipients)))
    inputs = [("--recipients", options.recipients)] + ([("the script", script)]
                                                       if script != "-" else [])
    outputs = [("--journal", journal_name)] + ([("--report", options.report_path)]
                                               if options.report_path else [])
    for out_name, out_path in outputs:
        for in_name, in_path in inputs + [o for o in outputs if o[0] != out_name]:
            if _same_file(out_path, in_path):
                return (f"{out_name} {out_path} is the same file as {in_name} {in_path}: it "
                        f"would be overwritten; choose another {out_name} file")
    return None


@dataclass(frozen=True)
class Prepared:
    """The requests to send: (recipient or None, payload) each."""

    text: str
    payloads: list


def prepare_calls(data: bytes, name: str, options: CallOptions, *, variables: dict[str, str],
                  config: Any, console: Console, guard: Guard = _unguarded) -> Prepared:
    """Compile the script for `options.to`, or check it and every row of
    `options.recipients`; ScriptRefused or PlacingError on any error."""
    from ..compiler import check_source, compile_source, decode_source

    text, unreadable = decode_source(data, name)
    if text is None:
        console.show(unreadable, {})
        raise ScriptRefused(unreadable)
    if options.to is not None:
        result = guard("compiling", name, lambda: compile_source(
            text, name, variables=variables, to=options.to, config=config))
        console.show(result.diagnostics, {name: text, "--to": options.to})
        if result.payload is None or "to" not in result.payload:
            raise ScriptRefused(result.diagnostics)
        return Prepared(text, [(None, result.payload)])
    checked = guard("checking", name, lambda: check_source(text, name, config=config))
    console.show(checked.diagnostics, {name: text})
    if not checked.ok:
        raise ScriptRefused(checked.diagnostics)
    recipients = options.recipients or ""
    try:
        rows = guard("checking", recipients, lambda: prepare(
            Path(recipients), text, name, variables=variables, config=config,
            known=checked.diagnostics))
    except RecipientsError as error:
        raise PlacingError(str(error), setup=True) from None
    for line in rows.warnings:
        console.err(line)
    if rows.errors:
        for line in rows.errors:
            console.err(line)
        raise PlacingError(f"{len(rows.bad_rows)} of {rows.rows} rows of {recipients} have "
                           "errors; no call was placed")
    if not rows.recipients:
        raise PlacingError(f"{recipients} has no recipients", setup=True)
    hours = calling_hours(options)
    if hours is not None:
        problems = hours.problems([(r.row, r.key) for r in rows.recipients], recipients,
                                  time.time())
        if problems:
            for line in problems:
                console.err(line)
            raise PlacingError(f"{len(problems)} of {rows.rows} rows of {recipients} cannot "
                               "be called within the calling hours; no call was placed")
    return Prepared(text, [(r, r.payload) for r in rows.recipients])


def calling_hours(options: CallOptions) -> CallingHours | None:
    """The campaign's calling hours, if any; PlacingError (setup) when the
    window or the zone cannot be used."""
    if not options.calling_hours:
        if options.timezone:
            raise PlacingError("--timezone is the zone of --calling-hours: give both, or "
                               "neither", setup=True)
        return None
    try:
        return CallingHours.parse(options.calling_hours, options.timezone)
    except HoursError as error:
        raise PlacingError(str(error), setup=True) from None


def client_options(options: CallOptions) -> dict[str, Any]:
    return dict(api_url=options.api_url or API_URL, auth_url=options.auth_url or AUTH_URL,
                timeouts=Timeouts(read=options.timeout), limiter=RateLimiter(options.rate))


def dry_run(prepared: Prepared, options: CallOptions, console: Console,
            clock: Callable[[], float] | None = None) -> None:
    """Print the requests, token redacted; nothing is sent, not even for a
    token. With calling hours, each row says when it could be called first."""
    hours = calling_hours(options)
    now = (clock or time.time)()
    with RouteeClient(None, **client_options(options)) as client:
        for index, (recipient, payload) in enumerate(prepared.payloads):
            if recipient is not None:
                if index:
                    console.out("")
                when = ""
                if hours is not None:
                    opens = hours.earliest(recipient.key, now)
                    when = " (now: inside the calling hours)" if opens == now else \
                        f" (calling hours: from {utc_text(opens)}, " \
                        f"{local_text(opens, hours.zones(recipient.key))})"
                console.out(f"# {options.recipients} row {recipient.row}{when}")
            console.out(format_request(client.build_call_request(payload)), nl=False)


def place_calls(data: bytes, name: str, options: CallOptions, *, variables: dict[str, str],
                config: Any, console: Console, redact: Redactor,
                guard: Guard = _unguarded,
                clock: Callable[[], float] | None = None) -> CampaignResult | None:
    """Compile, then print (dry run) or place the calls: None for a dry run or
    one call, a campaign's CampaignResult. `redact` is told the secret and
    each token; every message is meant to pass it before it is shown.
    `clock` (wall-clock seconds, default time.time) is what a campaign's
    calling hours and retry times are read on."""
    prepared = prepare_calls(data, name, options, variables=variables, config=config,
                             console=console, guard=guard)
    if options.dry_run:
        if options.recipients:
            from .estimate import EstimateError, dry_run_estimate

            try:
                for line in dry_run_estimate([(r.key, p) for r, p in prepared.payloads],
                                             prepared.text, name, variables=variables,
                                             rate=options.rate, prices_path=options.prices):
                    console.out(line)
                console.out("")
            except EstimateError as error:
                raise PlacingError(str(error), setup=True) from None
        dry_run(prepared, options, console, clock)
        return None
    credentials = load_credentials()
    for secret in credentials.secrets():
        redact.add(secret)
    stopper = Stopper()
    policy = RetryPolicy(backoff=options.backoff)
    cache = TokenCache() if options.cache_token else None

    def run() -> CampaignResult | None:
        with stopper, RouteeClient(credentials, token_cache=cache, wait=stopper.wait,
                                   redactor=redact, **client_options(options)) as client:
            if options.to is not None:
                place_one(client, prepared.payloads[0][1], options, policy=policy,
                          stopper=stopper, console=console, redact=redact)
                return None
            # Following has a client and a pace of its own: its GETs never
            # take the turn of a call to be placed.
            with RouteeClient(credentials, token_cache=cache, wait=stopper.wait,
                              redactor=redact, **{**client_options(options), "limiter":
                                                  SharedPace(options.rate, FOLLOWERS)}) as tracker:
                return run_campaign(client, prepared, name, options, policy=policy,
                                    stopper=stopper, console=console, redact=redact,
                                    tracker=tracker, clock=clock)

    try:
        return guard("placing", "calls", run)
    except KeyboardInterrupt:
        raise PlacingError("interrupted; run the same command again to go on") from None


def place_one(client: RouteeClient, payload: dict[str, Any], options: CallOptions, *,
              policy: RetryPolicy, stopper: Stopper, console: Console,
              redact: Redactor) -> None:
    """Place one call (retrying what is safe to retry), print its trackingId,
    and with `options.wait` follow it: PlacingError unless it ends Completed."""

    def on_retry(attempt: int, delay: float, reason: str) -> None:
        console.err(f"dialplan: {redact(reason)}; trying again in {delay:.1f} s")

    try:
        outcome = send_with_retries(client, payload, policy, wait=stopper.wait,
                                    on_retry=on_retry)
    except Interrupted:
        raise PlacingError("stopped; no call was placed") from None
    except AuthError as error:
        raise PlacingError(error.developer_message, setup=True) from None
    except GaveUp as error:
        raise PlacingError(f"cannot reach Routee ({error}); no call was placed") from None
    recipient = payload["to"].get("phone") or options.to
    if outcome.state == "unknown":
        raise PlacingError(f"{outcome.message}. The call may have been placed: it was not sent "
                           "again, so that the phone does not ring twice")
    if outcome.state == "failed":
        reason = outcome.message or ""
        if outcome.properties:
            reason += " [" + "; ".join(f"{k}: {v}" for k, v in
                                       outcome.properties.items()) + "]"
        raise PlacingError(f"Routee refused the call to {recipient}: HTTP {outcome.http_status}"
                           f"{f' ({outcome.error_code})' if outcome.error_code else ''}: "
                           f"{reason}")
    console.out(outcome.tracking_id or "")
    console.err(f"dialplan: call to {recipient} placed (trackingId {outcome.tracking_id})")
    if options.wait:
        follow(client, outcome.tracking_id or "", payload, options, stopper=stopper,
               console=console, redact=redact)


#: What a call that did not end Completed went through, in words.
ENDINGS = {"Busy": "the line was busy", "NoAnswer": "nobody answered",
           "Failed": "the call could not be made", "Unsent": "the call was not sent",
           "Terminated": "the call was hung up or rejected before its end"}


def follow(client: RouteeClient, tracking_id: str, payload: dict[str, Any],
           options: CallOptions, *, stopper: Stopper, console: Console,
           redact: Redactor) -> None:
    """Print each status of a placed call as its tracking shows it, the last
    with who answered, the duration and the price; return if it ends
    Completed, else PlacingError with the outcome's exit code (a deadline
    passed: `TIMEOUT_EXIT_CODE`)."""
    deadline = call_deadline(payload, timeout=options.wait_timeout)
    recipient = recipient_of(payload)

    def on_change(leg: Leg, previous: str | None, main: bool) -> None:
        details = [] if main else [f"leg to {leg.to or '?'}", f"messageId {leg.message_id}"]
        if leg.final and leg.summary():
            details.append(leg.summary())
        console.err(redact(f"status: {leg.status}" +
                           (f" ({', '.join(details)})" if details else "")))

    def on_problem(reason: str, delay: float) -> None:
        console.err(redact(f"dialplan: cannot read the call's progress ({reason}); looking "
                           f"again in {delay:.1f} s"))

    try:
        followed = follow_call(client, tracking_id, deadline=time.monotonic() + deadline.seconds,
                               wait=stopper.wait, on_change=on_change,
                               on_problem=on_problem, recipient=recipient)
    except Interrupted:
        raise PlacingError(f"stopped waiting; the call goes on (trackingId {tracking_id})") \
            from None
    except AuthError as error:
        raise PlacingError(error.developer_message, setup=True) from None
    except ClientError as error:
        raise PlacingError(f"cannot follow the call: {error}") from None
    if followed.timed_out:
        seen = f"still {followed.status}" if followed.status else "not shown by Routee yet"
        raise PlacingError(
            f"stopped waiting after {deadline.seconds:g} s ({deadline.explain()}): the call is "
            f"{seen} and goes on; `dialplan status {tracking_id}` shows it, `dialplan hangup "
            f"{tracking_id}` ends it", exit_code=followed.exit_code)
    if followed.status != "Completed":
        raise PlacingError(f"the call ended {followed.status}: "
                           f"{ENDINGS.get(followed.status or '', 'it did not complete')}",
                           exit_code=followed.exit_code)


#: Threads following a campaign's calls at once.
FOLLOWERS = 4


def run_campaign(client: RouteeClient, prepared: Prepared, name: str, options: CallOptions, *,
                 policy: RetryPolicy, stopper: Stopper, console: Console,
                 redact: Redactor, tracker: RouteeClient | None = None,
                 clock: Callable[[], float] | None = None) -> CampaignResult:
    """Call every row not yet done in the campaign's journal, print the
    summary and write the report; the result says how the run ended."""
    recipients = [r for r, _ in prepared.payloads]
    csv_path = Path(options.recipients or "")
    journal_file = Path(options.journal_path) if options.journal_path \
        else default_journal(csv_path)
    try:
        journal = Journal(journal_file)
    except JournalError as error:
        raise PlacingError(str(error), setup=True) from None
    with journal:
        digest = script_digest(prepared.text)
        previous = journal.get_meta("script_sha256")
        if previous and previous != digest:
            console.err(f"dialplan: warning: {name} changed since this campaign's journal "
                        "was started; placed rows are not called again")
        journal.set_meta("script_sha256", digest)
        progress = Progress(len(recipients), sys.stderr, expected_rate=options.rate)
        if journal.migrated_from:
            console.err(f"dialplan: {journal_file} was a journal of format "
                        f"{journal.migrated_from}; it now keeps every attempt and outcome "
                        "(older dialplan versions cannot read it)")
        campaign = Campaign(recipients, client, journal, policy=policy,
                            retry_unknown=options.retry_unknown, stopper=stopper,
                            progress=progress, note=lambda t: progress.note(redact(t)),
                            retries=options.retries, retry_after=options.retry_after,
                            hours=calling_hours(options),
                            follow=FollowPolicy(workers=FOLLOWERS), tracker=tracker,
                            clock=clock or time.time)
        done_before = len(recipients) - len(campaign.to_do())
        if done_before:
            console.err(f"dialplan: resuming from {journal_file}: {done_before} of "
                        f"{len(recipients)} rows need no call")
        result = campaign.run()
        console.out(redact(summary(result)))
        if options.report_path:
            try:
                write_report(Path(options.report_path), result)
            except OSError as error:
                raise PlacingError(f"cannot write {options.report_path}: {error.strerror}",
                                   setup=True) from None
    return result


def campaign_problem(result: CampaignResult) -> PlacingError | None:
    """What to say of a campaign that stopped before its end, if it did (an
    incomplete run, `not result.complete`, has nothing more to say)."""
    if result.credentials_refused:
        # As for a single call: the user must fix the credentials.
        return PlacingError(f"{result.stopped}; fix the credentials, then run the same "
                            "command again to go on", setup=True)
    if result.stopped:
        return PlacingError(f"{result.stopped}; run the same command again to go on")
    return None


__all__ = ["CallOptions", "Console", "PlacingError", "Prepared", "ScriptRefused",
           "campaign_problem", "client_options", "dry_run", "follow", "overwrite_problem",
           "place_calls", "place_one", "prepare_calls", "run_campaign"]
