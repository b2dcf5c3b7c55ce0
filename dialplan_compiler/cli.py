"""The `dialplan` command: a thin layer over the Python API.

Exit codes: 0 no errors (warnings allowed unless --warnings-as-errors),
1 findings, 2 usage problems (bad flag, missing file, bad configuration),
3 an internal error in dialplan itself.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Callable

import click

from . import __version__

if TYPE_CHECKING:  # imported where used: pathlib is not on the path of a check
    from pathlib import Path

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
FORMATS = ("text", "concise", "json", "sarif", "github")


class InternalError(click.ClickException):
    exit_code = EXIT_INTERNAL


# --- shared pieces ---------------------------------------------------------------------

class FileProblem(click.ClickException):
    """An input that cannot be read or an output that cannot be written: a
    usage problem, said in one line (`dialplan: cannot write PATH: reason`)."""

    exit_code = EXIT_USAGE

    def show(self, file=None) -> None:
        click.echo(f"dialplan: {self.format_message()}", err=True)


def _collect_files(paths: tuple[str, ...], pattern: str) -> list[str]:
    from .files import ReadError, collect_inputs

    try:
        return collect_inputs(paths, pattern)
    except ReadError as error:
        raise FileProblem(str(error)) from None


def _read(path: str) -> bytes:
    from .files import ReadError, read_input

    try:
        return read_input(path)
    except ReadError as error:
        raise FileProblem(str(error)) from None


def _write(path: str | os.PathLike, data: str | bytes) -> None:
    from .files import WriteError, write_output

    try:
        write_output(path, data)
    except WriteError as error:
        raise FileProblem(str(error)) from None


def _display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def _source_text(data: bytes) -> str:
    from .files import source_text

    return source_text(data)


def _load_config(path: str | None):
    from .config import ConfigError, find_config, load_config
    from .render import TextRenderer, use_color

    try:
        return load_config(path or find_config(os.getcwd()))
    except ConfigError as error:
        renderer = TextRenderer(use_color(sys.stderr))
        click.echo(renderer.render(error.diagnostic, error.source), err=True)
        sys.exit(EXIT_USAGE)
    except (OSError, UnicodeDecodeError) as error:
        raise click.UsageError(f"cannot read configuration {path}: {error}") from None


def _guarded(action: str, name: str, work: Callable):
    """Run `work`, turning a bug in dialplan into a short message and exit 3."""
    try:
        return work()
    except Exception as error:  # noqa: BLE001 - any bug here is reported, not shown raw
        raise InternalError(f"internal error while {action} {name}: "
                            f"{type(error).__name__}: {error}") from error


def _default_format() -> str:
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def _emit_reports(reports: list, output_format: str, color: str, max_errors: int) -> None:
    from .render import TextRenderer, render_concise, summary, use_color

    if output_format == "text":
        renderer = TextRenderer(use_color(sys.stdout, color))
        text = renderer.render_reports(reports, max_errors=max_errors)
        if text:
            click.echo(text)
        click.echo(summary(reports))
    elif output_format == "concise":
        click.echo(render_concise(reports), nl=False)
        click.echo(summary(reports))
    else:
        from .formats import render_report

        click.echo(render_report(output_format, reports, tool_version=__version__), nl=False)


def _exit_for(reports: list, warnings_as_errors: bool) -> None:
    diagnostics = [d for r in reports for d in r.diagnostics]
    if any(d.is_error for d in diagnostics) or (warnings_as_errors and diagnostics):
        sys.exit(EXIT_FINDINGS)


def _format_options(command):
    options = [
        click.option("--format", "output_format", type=click.Choice(FORMATS), default=None,
                     help="Output format (default: text; github under GitHub Actions)."),
        click.option("--max-errors", type=click.IntRange(min=1), default=None,
                     help="Diagnostics shown per file in text output (default 50)."),
        click.option("--warnings-as-errors", is_flag=True, default=None,
                     help="Exit 1 on warnings too."),
        click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
                     help="Configuration file (default: .dialplan.toml or pyproject.toml "
                          "found from the current directory up)."),
        click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto",
                     help="Colour in text output (auto honours NO_COLOR and FORCE_COLOR)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


# --- commands ------------------------------------------------------------------------

@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="dialplan")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Compile and check call scripts (.call files) for Routee's Voice API."""
    # Whether to colour is decided where text is rendered (use_color: --color,
    # FORCE_COLOR, NO_COLOR, a terminal); click must not strip what that
    # decided, as it otherwise does whenever output is not a terminal.
    ctx.color = True


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@_format_options
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Files checked in parallel (default: one per core).")
def check(paths: tuple[str, ...], output_format: str | None, max_errors: int | None,
          warnings_as_errors: bool | None, config_path: str | None, color: str,
          jobs: int | None) -> None:
    """Check .call files (directories are searched for *.call).

    Reports every problem with its file, line and column. Exits 1 when any
    file has errors (or warnings, with --warnings-as-errors).
    """
    from .batch import Failure, check_files

    config = _load_config(config_path)
    files = _collect_files(paths, "*.call")
    if not files:
        click.echo("dialplan: no .call files found", err=True)
        return
    items = [(path, _display_name(path), _read(path) if path == "-" else None) for path in files]
    reports = check_files(items, config, jobs=jobs)
    for failure in (r for r in reports if isinstance(r, Failure)):
        if failure.unreadable:
            raise FileProblem(failure.error)
        raise InternalError(f"internal error while checking {failure.name}: {failure.error}")
    _emit_reports(reports, output_format or _default_format(), color,
                  max_errors or config.max_errors)
    _exit_for(reports, config.warnings_as_errors if warnings_as_errors is None
              else warnings_as_errors)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@_format_options
def validate(paths: tuple[str, ...], output_format: str | None, max_errors: int | None,
             warnings_as_errors: bool | None, config_path: str | None, color: str) -> None:
    """Validate JSON payloads written by hand or by another tool.

    Accepts a full request body of POST /voice/conversation or a bare
    {"verbs": […]} (directories are searched for *.json). Checks the schemas
    and the same rules as `check`, at each problem's JSON line and column.
    """
    from .diagnostics import FileReport
    from .validator import validate_json

    config = _load_config(config_path)
    files = _collect_files(paths, "*.json")
    if not files:
        click.echo("dialplan: no .json files found", err=True)
        return
    reports = []
    for path in files:
        data = _read(path)
        name = _display_name(path)
        report = _guarded("validating", name, lambda: validate_json(data, name, config=config))
        reports.append(FileReport(name, _source_text(data), report.diagnostics))
    _emit_reports(reports, output_format or _default_format(), color,
                  max_errors or config.max_errors)
    _exit_for(reports, config.warnings_as_errors if warnings_as_errors is None
              else warnings_as_errors)


@main.command(name="compile")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, allow_dash=True),
              help="Write the JSON here instead of to standard output.")
@click.option("--to", "to", metavar="RECIPIENT",
              help="Call this recipient instead of the script's `to` (+E164, sip:…, viber:…).")
@click.option("--from", "sender", metavar="SENDER",
              help="Use this sender instead of the script's `from`.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Fill {NAME} placeholders (repeatable).")
@click.option("--plan", is_flag=True, help="Print only the dialplan {\"verbs\": […]}.")
@click.option("--warnings-as-errors", is_flag=True, default=None,
              help="Refuse to compile when there are warnings.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="Configuration file.")
@click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto",
              help="Colour in diagnostics.")
def compile_command(path: str, output: str | None, to: str | None, sender: str | None,
                    variables: tuple[str, ...], plan: bool, warnings_as_errors: bool | None,
                    config_path: str | None, color: str) -> None:
    """Compile a .call file to the JSON Routee expects.

    Prints the request body of POST /voice/conversation when the recipient is
    known, or the dialplan {"verbs": […]} otherwise (or with --plan).
    Diagnostics go to standard error; nothing is written when there are errors.
    """
    from .compiler import compile_source
    from .diagnostics import FileReport
    from .emitter import to_json
    from .render import TextRenderer, summary, use_color

    config = _load_config(config_path)
    values = _parse_vars(variables)
    _check_argument("--to", to)
    _check_argument("--from", sender)
    data = _read(path)
    name = _display_name(path)
    result = _guarded("compiling", name, lambda: compile_source(
        data, name, variables=values, to=to, sender=sender, plan=plan, config=config))
    sources = {name: _source_text(data), "--to": to or "", "--from": sender or ""}
    by_file: dict[str, list] = {}
    for diagnostic in result.diagnostics:
        by_file.setdefault(diagnostic.span.file, []).append(diagnostic)
    text = TextRenderer(use_color(sys.stderr, color)).render_reports(
        [FileReport(file, sources.get(file), tuple(found)) for file, found in by_file.items()],
        max_errors=config.max_errors)
    if text:
        click.echo(text, err=True)
    strict = config.warnings_as_errors if warnings_as_errors is None else warnings_as_errors
    if result.payload is None or (strict and result.diagnostics):
        click.echo(summary([FileReport(name, None, tuple(result.diagnostics))]), err=True)
        sys.exit(EXIT_FINDINGS)
    text = to_json(result.payload)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write(output, text)


def _parse_vars(values: tuple[str, ...]) -> dict[str, str]:
    variables: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.isidentifier():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--var")
        _check_argument("--var", value, f"the value of {name}")
        variables[name] = value
    return variables


def _check_argument(option: str, value: str | None, what: str = "the value") -> None:
    """Refuse an argument that is not text: bytes that are not UTF-8 reach
    Python as lone surrogates, which no JSON or script output can carry."""
    if value is None:
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        try:  # the bytes as given, as far as they can be told
            shown = repr(value.encode("utf-8", "surrogateescape"))
        except UnicodeEncodeError:
            shown = repr(value)
        raise click.BadParameter(f"{what} is not valid UTF-8 text: {shown}",
                                 param_hint=option) from None


@main.command()
def rules() -> None:
    """List every rule the checker enforces."""
    from .rules import all_rules

    for rule in all_rules():
        click.echo(f"{rule.code}  {rule.severity.value:<7}  {rule.name:<30}  {rule.summary}")


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Explain a rule (DP204), with a wrong and a right example; or a statement (say)."""
    from .explanations import EXPLANATIONS, explain as explain_rule
    from .reference import STATEMENTS, describe
    from .rules import RULES

    if code in STATEMENTS:
        click.echo(describe(code), nl=False)
        return
    code = code.upper()
    if code not in RULES or code not in EXPLANATIONS:
        raise click.BadParameter(f"no rule or statement {code}; `dialplan rules` lists the "
                                 "rules", param_hint="CODE")
    click.echo(explain_rule(code))


# --- placing calls -----------------------------------------------------------------------

#: The ranges `dialplan call` accepts (docs/calls.md): beyond them a value
#: is a typo, and would overflow a sleep or a timer deep inside the run.
RATE_RANGE = (0.001, 100.0)          # requests per second; Routee allows 1
TIMEOUT_RANGE = (0.001, 3600.0)      # seconds to wait for an answer
BACKOFF_RANGE = (0.0, 60.0)          # seconds; retries never wait longer than 60 s anyway


class _Bounded(click.ParamType):
    """A finite number within [low, high]: `nan`, `inf` and `1e308` are
    refused with a usage error naming the option, not a traceback later."""

    name = "number"

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high

    def convert(self, value, param, ctx):
        import math

        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number) or not self.low <= number <= self.high:
            self.fail(f"{value!r} is not a number from {self.low:g} to {self.high:g}", param,
                      ctx)
        return number

    def get_metavar(self, param, ctx=None) -> str:
        return f"[{self.low:g}-{self.high:g}]"


def _same_file(a: str, b: str) -> bool:
    """Whether two names lead to one file (through symlinks, `..`, hard links)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist (yet): compare where they would be
        return os.path.realpath(a) == os.path.realpath(b)


@main.command(name="call")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--to", "to", metavar="RECIPIENT",
              help="Call this one recipient (+E164, sip:user@host, viber:digits).")
@click.option("--recipients", type=click.Path(exists=True, dir_okay=False),
              help="Call every row of this CSV file: a `to` column, and a column per "
                   "placeholder.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Fill {NAME} placeholders (repeatable; a CSV column of that name wins).")
@click.option("--dry-run", is_flag=True,
              help="Print the exact HTTP request(s), token redacted, and send nothing.")
@click.option("--wait", is_flag=True,
              help="Follow the call to its end; exit 0 only if it ends Completed.")
@click.option("--rate", type=_Bounded(*RATE_RANGE), default=1.0,
              show_default=True, help="At most this many requests in any one second "
                                      "(Routee allows 1; at most 100).")
@click.option("--journal", "journal_path", type=click.Path(dir_okay=False),
              help="The campaign's journal (default: RECIPIENTS.journal.sqlite beside the CSV).")
@click.option("--retry-unknown", is_flag=True,
              help="Send again the rows whose earlier request may have reached Routee.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False),
              help="Write a CSV line per recipient here at the end.")
@click.option("--api-url", envvar="ROUTEE_API_URL", metavar="URL",
              help="Base URL of the API (default https://connect.routee.net).")
@click.option("--auth-url", envvar="ROUTEE_AUTH_URL", metavar="URL",
              help="Base URL of the token endpoint (default https://auth.routee.net).")
@click.option("--cache-token", is_flag=True,
              help="Keep the access token on disk between runs (user's cache dir, mode 0600).")
@click.option("--timeout", type=_Bounded(*TIMEOUT_RANGE), default=30.0,
              show_default=True, help="Seconds to wait for Routee's answer to a request "
                                      "(at most 3600).")
@click.option("--backoff", type=_Bounded(*BACKOFF_RANGE), default=1.0, show_default=True,
              help="Seconds before the first retry; doubled for each next one, with jitter "
                   "(at most 60).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="Configuration file.")
@click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto",
              help="Colour in diagnostics.")
def call_command(path: str, to: str | None, recipients: str | None, variables: tuple[str, ...],
                 dry_run: bool, wait: bool, rate: float, journal_path: str | None,
                 retry_unknown: bool, report_path: str | None, api_url: str | None,
                 auth_url: str | None, cache_token: bool, timeout: float, backoff: float,
                 config_path: str | None, color: str) -> None:
    """Place a call with a .call file: to one recipient, or to every row of a CSV.

    Compiles first and refuses on any error. Credentials come from
    ROUTEE_APPLICATION_ID and ROUTEE_APPLICATION_SECRET, or from
    credentials.toml in the user's configuration directory (see docs/calls.md),
    never from the command line. A campaign keeps a journal: run the same
    command again after a crash and it goes on, never calling a placed row twice.
    """
    from pathlib import Path

    from .calls.campaign import (Campaign, GaveUp, Interrupted, Progress, RecipientsError,
                           RetryPolicy, Stopper, default_journal, format_request,
                           prepare, script_digest, send_with_retries, summary as run_summary,
                           wait_for_final, write_report)
    from .calls.client import (API_URL, AUTH_URL, AuthError, ClientError, CredentialsError,
                         RateLimiter, RouteeClient, Timeouts, TokenCache, load_credentials)
    from .compiler import check_source, compile_source, decode_source
    from .diagnostics import FileReport
    from .calls.journal import Journal, JournalError
    from .calls.redact import Redactor
    from .render import TextRenderer, summary, use_color

    # The one redactor of the run: told the secret once it is loaded, and
    # each token by the client as it gets one; everything shown passes it.
    redact = Redactor()

    def fail(message: str, code: int = EXIT_FINDINGS) -> None:
        click.echo(f"dialplan: {redact(message)}", err=True)
        sys.exit(code)

    credentials = None

    if (to is None) == (recipients is None):
        raise click.UsageError("give one of --to RECIPIENT (one call) and --recipients FILE.csv "
                               "(a campaign)")
    if recipients and wait:
        raise click.UsageError("--wait follows a single call: use it with --to")
    if to and (journal_path or retry_unknown or report_path):
        raise click.UsageError("--journal, --retry-unknown and --report are for campaigns "
                               "(--recipients)")
    if recipients:
        # What is written must not be what is read: a report over the CSV or
        # the script would replace it, and a journal there would be refused
        # only after every row was compiled. Checked before anything is sent.
        journal_name = journal_path or str(default_journal(Path(recipients)))
        inputs = [("--recipients", recipients)] + ([("the script", path)] if path != "-" else [])
        outputs = [("--journal", journal_name)] + ([("--report", report_path)]
                                                   if report_path else [])
        for out_name, out_path in outputs:
            for in_name, in_path in inputs + [o for o in outputs if o[0] != out_name]:
                if _same_file(out_path, in_path):
                    raise click.UsageError(f"{out_name} {out_path} is the same file as "
                                           f"{in_name} {in_path}: it would be overwritten; "
                                           f"choose another {out_name} file")
    config = _load_config(config_path)
    values = _parse_vars(variables)
    _check_argument("--to", to)
    data = _read(path)
    name = _display_name(path)
    renderer = TextRenderer(use_color(sys.stderr, color))
    text, unreadable = decode_source(data, name)

    def show(diagnostics, sources) -> None:
        for diagnostic in diagnostics:
            click.echo(renderer.render(diagnostic, sources.get(diagnostic.span.file)) + "\n",
                       err=True)

    def refuse(diagnostics) -> None:
        click.echo(summary([FileReport(name, None, tuple(diagnostics))]), err=True)
        click.echo("dialplan: nothing was sent", err=True)
        sys.exit(EXIT_FINDINGS)

    # 1. Compile, and refuse on any error.
    if text is None:
        show(unreadable, {})
        refuse(unreadable)
    payloads = []
    if to is not None:
        result = _guarded("compiling", name, lambda: compile_source(
            text, name, variables=values, to=to, config=config))
        show(result.diagnostics, {name: text, "--to": to})
        if result.payload is None or "to" not in result.payload:
            refuse(result.diagnostics)
        payloads.append((None, result.payload))
    else:
        checked = _guarded("checking", name, lambda: check_source(text, name, config=config))
        show(checked.diagnostics, {name: text})
        if not checked.ok:
            refuse(checked.diagnostics)
        def prepare_rows():
            try:
                return prepare(Path(recipients), text, name, variables=values, config=config,
                               known=checked.diagnostics)
            except RecipientsError as error:
                return error

        prepared = _guarded("checking", recipients, prepare_rows)
        if isinstance(prepared, RecipientsError):
            fail(str(prepared), EXIT_USAGE)
        for line in prepared.warnings:
            click.echo(line, err=True)
        if prepared.errors:
            for line in prepared.errors:
                click.echo(line, err=True)
            fail(f"{len(prepared.bad_rows)} of {prepared.rows} rows of {recipients} have "
                 "errors; no call was placed")
        if not prepared.recipients:
            fail(f"{recipients} has no recipients", EXIT_USAGE)
        payloads = [(r, r.payload) for r in prepared.recipients]

    # 2. --dry-run: the requests, and nothing sent (not even for a token).
    try:
        client_options = dict(api_url=api_url or API_URL, auth_url=auth_url or AUTH_URL,
                              timeouts=Timeouts(read=timeout), limiter=RateLimiter(rate))
        if dry_run:
            with RouteeClient(None, **client_options) as client:
                for index, (recipient, payload) in enumerate(payloads):
                    if recipient is not None:
                        if index:
                            click.echo()
                        click.echo(f"# {recipients} row {recipient.row}")
                    click.echo(format_request(client.build_call_request(payload)), nl=False)
            return
        credentials = load_credentials()
        for secret in credentials.secrets():
            redact.add(secret)
    except CredentialsError as error:
        fail(str(error), EXIT_USAGE)

    stopper = Stopper()
    policy = RetryPolicy(backoff=backoff)
    cache = TokenCache() if cache_token else None

    def run_single(client: RouteeClient) -> None:
        payload = payloads[0][1]

        def on_retry(attempt: int, delay: float, reason: str) -> None:
            click.echo(f"dialplan: {redact(reason)}; trying again in {delay:.1f} s", err=True)

        try:
            outcome = send_with_retries(client, payload, policy, wait=stopper.wait,
                                        on_retry=on_retry)
        except Interrupted:
            fail("stopped; no call was placed")
        except AuthError as error:
            fail(error.developer_message, EXIT_USAGE)
        except GaveUp as error:
            fail(f"cannot reach Routee ({error}); no call was placed")
        recipient = payload["to"].get("phone") or to
        if outcome.state == "unknown":
            fail(f"{outcome.message}. The call may have been placed: it was not sent again, "
                 "so that the phone does not ring twice")
        if outcome.state == "failed":
            reason = outcome.message or ""
            if outcome.properties:
                reason += " [" + "; ".join(f"{k}: {v}" for k, v in
                                           outcome.properties.items()) + "]"
            fail(f"Routee refused the call to {recipient}: HTTP {outcome.http_status}"
                 f"{f' ({outcome.error_code})' if outcome.error_code else ''}: {reason}")
        click.echo(outcome.tracking_id)
        click.echo(f"dialplan: call to {recipient} placed (trackingId {outcome.tracking_id})",
                   err=True)
        if not wait:
            return
        if outcome.status:
            click.echo(f"status: {outcome.status}", err=True)
        try:
            final = wait_for_final(client, outcome.tracking_id or "", wait=stopper.wait,
                                   on_status=lambda s: click.echo(f"status: {s}", err=True),
                                   last=outcome.status)
        except Interrupted:
            fail(f"stopped waiting; the call goes on (trackingId {outcome.tracking_id})")
        except AuthError as error:
            fail(error.developer_message, EXIT_USAGE)
        except ClientError as error:
            fail(f"cannot follow the call: {error}")
        if final != "Completed":
            fail(f"the call ended {final}")

    def run_campaign(client: RouteeClient) -> None:
        journal_file = Path(journal_path) if journal_path else default_journal(Path(recipients))
        try:
            journal = Journal(journal_file)
        except JournalError as error:
            fail(str(error), EXIT_USAGE)
        with journal:
            digest = script_digest(text)
            previous = journal.get_meta("script_sha256")
            if previous and previous != digest:
                click.echo(f"dialplan: warning: {name} changed since this campaign's journal "
                           "was started; placed rows are not called again", err=True)
            journal.set_meta("script_sha256", digest)
            progress = Progress(len(payloads), sys.stderr, expected_rate=rate)
            campaign = Campaign(prepared.recipients, client, journal, policy=policy,
                                retry_unknown=retry_unknown, stopper=stopper,
                                progress=progress, note=lambda t: progress.note(redact(t)))
            done_before = len(prepared.recipients) - len(campaign.to_do())
            if done_before:
                click.echo(f"dialplan: resuming from {journal_file}: {done_before} of "
                           f"{len(prepared.recipients)} rows need no call", err=True)
            result = campaign.run()
            click.echo(redact(run_summary(result)))
            if report_path:
                try:
                    write_report(Path(report_path), result)
                except OSError as error:
                    fail(f"cannot write {report_path}: {error.strerror}", EXIT_USAGE)
            if result.credentials_refused:
                # As for a single call: the user must fix the credentials (exit 2).
                fail(f"{result.stopped}; fix the credentials, then run the same command "
                     "again to go on", EXIT_USAGE)
            if result.stopped:
                fail(f"{result.stopped}; run the same command again to go on")
            if not result.complete:
                sys.exit(EXIT_FINDINGS)

    try:
        with stopper, RouteeClient(credentials, token_cache=cache, wait=stopper.wait,
                                   redactor=redact, **client_options) as client:
            (run_single if to is not None else run_campaign)(client)
    except CredentialsError as error:
        fail(str(error), EXIT_USAGE)
    except KeyboardInterrupt:
        fail("interrupted; run the same command again to go on")
    except (SystemExit, click.ClickException):
        raise
    except Exception as error:  # noqa: BLE001 - a bug: reported in one line, secret redacted
        raise InternalError(redact(f"internal error while placing calls: "
                                   f"{type(error).__name__}: {error}")) from None


# --- formatting ----------------------------------------------------------------------------

@main.command(name="fmt")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@click.option("--check", "check_only", is_flag=True,
              help="Change nothing; exit 1 and list the files that would change.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Change nothing; print a unified diff of what would change.")
@click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto",
              help="Colour in diagnostics.")
def fmt_command(paths: tuple[str, ...], check_only: bool, show_diff: bool, color: str) -> None:
    """Rewrite .call files in the canonical style (directories are searched for *.call).

    `-` reads standard input and writes the result to standard output. A file
    with syntax errors is left untouched and its errors are reported (exit 1).
    With --check, exits 1 when any file would change. The style is described
    in docs/language.md, "Canonical style".
    """
    import difflib

    from .files import WriteError, write_output
    from .formatter import format_source
    from .render import TextRenderer, use_color

    files = _collect_files(paths, "*.call")
    if not files:
        click.echo("dialplan: no .call files found", err=True)
        return
    renderer = TextRenderer(use_color(sys.stderr, color))
    writes = not (check_only or show_diff)
    changed = unchanged = broken = unwritable = 0
    for path in files:
        data = _read(path)
        name = _display_name(path)
        result = _guarded("formatting", name, lambda: format_source(data, name))
        if result.text is None:
            broken += 1
            for diagnostic in result.diagnostics:
                click.echo(renderer.render(diagnostic, result.original) + "\n", err=True)
            click.echo(f"error: {name}: not formatted: it has syntax errors", err=True)
            if path == "-" and writes:
                sys.stdout.flush()
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
            continue
        new = result.text.encode("utf-8")
        if new == data:
            unchanged += 1
        else:
            changed += 1
        if show_diff and new != data:
            old_text = data.decode("utf-8", "replace")
            click.echo("".join(difflib.unified_diff(
                old_text.splitlines(keepends=True), result.text.splitlines(keepends=True),
                fromfile=f"{name}\t(original)", tofile=f"{name}\t(formatted)")), nl=False)
        if path == "-":
            if writes:
                click.echo(result.text, nl=False)
        elif new != data:
            if check_only:
                click.echo(f"would reformat {name}", err=True)
            elif writes:
                try:
                    write_output(path, result.text)  # keeps its mode; a link stays a link
                except WriteError as error:
                    unwritable += 1
                    click.echo(f"dialplan: {error}", err=True)
                    continue
                click.echo(f"reformatted {name}", err=True)
    if files != ["-"]:
        done = "would be reformatted" if not writes else "reformatted"
        parts = [f"{changed} {'file' if changed == 1 else 'files'} {done}",
                 f"{unchanged} left unchanged"]
        if broken:
            parts.append(f"{broken} with syntax errors")
        click.echo(", ".join(parts), err=True)
    if unwritable:
        sys.exit(EXIT_USAGE)
    if broken or (check_only and changed):
        sys.exit(EXIT_FINDINGS)


# --- decompiling -----------------------------------------------------------------------------

@main.command(name="decompile")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("-o", "--output", type=click.Path(),
              help="Write the .call here instead of to standard output; with several "
                   "inputs, a directory that receives one NAME.call per NAME.json.")
@click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto",
              help="Colour in diagnostics.")
def decompile_command(paths: tuple[str, ...], output: str | None, color: str) -> None:
    """Turn JSON payloads (a request body or {"verbs": […]}) into .call scripts.

    The JSON is checked as `dialplan validate` checks it and those findings
    are printed; what Routee would reject is still decompiled where the
    language can write it. A field the language cannot write is an error
    (DP401) naming its JSON pointer, and is kept in the output as a comment.
    Exits 1 when there are errors (the .call is written all the same).
    """
    from pathlib import Path

    from .decompiler import decompile
    from .diagnostics import FileReport
    from .render import TextRenderer, summary, use_color

    if len(paths) > 1 and output is None:
        raise click.UsageError("several inputs need -o DIRECTORY for their .call files")
    targets: list[Path | None] = []
    if output is None:
        targets = [None]
    elif len(paths) == 1 and not Path(output).is_dir():
        targets = [Path(output)]
    else:
        directory = Path(output)
        if directory.exists() and not directory.is_dir():
            raise click.UsageError(f"-o {output}: several inputs need a directory")
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise click.UsageError(f"cannot create {output}: {error.strerror}") from None
        stems = [("stdin" if p == "-" else Path(p).stem) + ".call" for p in paths]
        clashes = sorted({s for s in stems if stems.count(s) > 1})
        if clashes:
            raise click.UsageError(f"two inputs would both be written to {clashes[0]}")
        targets = [directory / stem for stem in stems]
    config = _load_config(None)
    renderer = TextRenderer(use_color(sys.stderr, color))
    reports = []
    for path, target in zip(paths, targets):
        data = _read(path)
        name = _display_name(path)
        result = _guarded("decompiling", name, lambda: decompile(data, name, config=config))
        for diagnostic in result.diagnostics:
            click.echo(renderer.render(diagnostic, result.json_text) + "\n", err=True)
        reports.append(FileReport(name, None, tuple(result.diagnostics)))
        if result.text is None:
            continue
        if target is None:
            click.echo(result.text, nl=False)
        else:
            _write(target, result.text)
    if any(r.diagnostics for r in reports):
        click.echo(summary(reports), err=True)
    if any(d.is_error for r in reports for d in r.diagnostics):
        sys.exit(EXIT_FINDINGS)


# --- menus: serving, building, simulating, testing and drawing call flows -------------------

def _signing_secret() -> bytes:
    from .signing import SECRET_ENV, secret_from_env, secret_problem

    hint = f"(e.g. export {SECRET_ENV}=$(openssl rand -hex 32))"
    secret = secret_from_env()
    if secret is None:
        raise click.UsageError(f"{SECRET_ENV} is not set: menus sign their eventUrls with it "
                               + hint)
    problem = secret_problem(secret)
    if problem:  # the eventUrls are public: a weak key is found offline, then any branch forged
        raise click.UsageError(f"{SECRET_ENV} {problem}: menus sign their eventUrls with it, "
                               f"so it must be hard to guess {hint}")
    return secret


def _show_script_errors(reports: list, color: str = "auto") -> None:
    from .diagnostics import FileReport
    from .render import TextRenderer, summary, use_color

    files = [FileReport(name, text, tuple(found)) for name, text, found in reports]
    text = TextRenderer(use_color(sys.stderr, color)).render_reports(files)
    if text:
        click.echo(text, err=True)
    click.echo(summary(files), err=True)


def _bundles(paths: tuple[str, ...], secret: bytes, variables: tuple[str, ...]) -> dict:
    """Compile the scripts of `paths` (directories are searched for *.call),
    or exit 1 showing their errors."""
    from .files import ReadError
    from .menus.bundles import ScriptErrors, compile_scripts

    files = _collect_files(paths, "*.call")
    if not files:
        raise click.UsageError("no .call files found")
    values = _parse_vars(variables)

    def work():
        try:
            return compile_scripts(files, secret, variables=values)
        except (ScriptErrors, ValueError, ReadError) as error:
            return error  # not a bug in dialplan: reported below

    bundles = _guarded("compiling", ", ".join(files), work)
    if isinstance(bundles, ReadError):
        raise FileProblem(str(bundles))
    if isinstance(bundles, ValueError):
        raise click.UsageError(str(bundles))
    if isinstance(bundles, ScriptErrors):
        _show_script_errors(bundles.reports)
        sys.exit(EXIT_FINDINGS)
    return bundles


@main.command(name="serve")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free one).")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Fill {NAME} placeholders (repeatable).")
@click.option("--log-level", type=click.Choice(("critical", "error", "warning", "info")),
              default="warning", show_default=True, help="uvicorn's own log level.")
@click.option("--request-timeout", type=click.FloatRange(min=0, min_open=True), default=10.0,
              show_default=True, metavar="SECONDS",
              help="Close a connection whose request has not arrived whole this long after "
                   "it began (Routee waits 3 s for an answer).")
@click.option("--keep-alive", type=click.FloatRange(min=0, min_open=True), default=5.0,
              show_default=True, metavar="SECONDS",
              help="Close a connection idle this long between requests.")
@click.option("--limit-concurrency", type=click.IntRange(min=1), default=1000,
              show_default=True, metavar="N",
              help="Answer 503 beyond N open connections or requests in progress.")
def serve_command(paths: tuple[str, ...], host: str, port: int, variables: tuple[str, ...],
                  log_level: str, request_timeout: float, keep_alive: float,
                  limit_concurrency: int) -> None:
    """Answer Routee for the menus of .call files: the eventUrl responder.

    Serves each script's main plan at /plans/NAME (for dialPlanUrl and
    inbound numbers), answers its signed eventUrls with the right branch,
    serves the silent WAVs menus wait with, logs status callbacks posted to
    /status, and answers /healthz. Once it serves, everything it writes is
    one JSON object a line, on standard error; a problem found before
    (secret, scripts, address) is a plain message. Needs
    DIALPLAN_SIGNING_SECRET, the secret the scripts were compiled with, and
    the `serve` extra: pip install 'dialplan[serve]'.
    """
    import logging
    import socket

    secret = _signing_secret()
    try:
        import uvicorn

        from .menus.server import create_app, json_line_logger, log_config, timed_h11_protocol
    except ModuleNotFoundError as error:
        raise click.UsageError(f"`dialplan serve` needs Starlette and uvicorn ({error}); "
                               "install them with: pip install 'dialplan[serve]'") from None
    bundles = _bundles(paths, secret, variables)
    # Bound here, before "serving" is said: uvicorn would announce, then fail
    # on a port in use and exit 3 as if dialplan had a bug.
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as error:  # gaierror is an OSError; IDNA fails with UnicodeError
        raise click.UsageError(f"cannot listen on {host}: "
                               f"{getattr(error, 'strerror', None) or error}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        sock.close()
        raise click.UsageError(f"cannot listen on {host} port {port}: "
                               f"{error.strerror or error}") from None
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
        sys.exit(EXIT_INTERNAL)


@main.command(name="build")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Directory to write into (created if missing).")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Fill {NAME} placeholders (repeatable).")
def build_command(paths: tuple[str, ...], output: str, variables: tuple[str, ...]) -> None:
    """Write each script's bundle as static JSON, for hosting it elsewhere.

    For each script NAME: OUTPUT/NAME/plans/ID.json (every plan, signed
    eventUrls included), OUTPUT/NAME/routes.json (the routing table: which
    keys lead to which plan, see docs/language.md "Menus") and
    OUTPUT/NAME/bundle.json (both in one file); the silent WAVs go to
    OUTPUT/audio/. Needs DIALPLAN_SIGNING_SECRET.
    """
    from pathlib import Path

    from .emitter import to_json
    from .menus.bundles import bundle_json
    from .menus.silence import silent_wav

    secret = _signing_secret()
    bundles = _bundles(paths, secret, variables)
    root = Path(output)
    waits = set()
    for name, bundle in sorted(bundles.items()):
        data = bundle_json(bundle)
        folder = _make_folder(root / name / "plans")
        for plan_id, plan in data["plans"].items():
            _write(folder / f"{plan_id}.json", to_json(plan))
        routes = {k: v for k, v in data.items() if k != "plans"}
        _write(root / name / "routes.json", to_json(routes))
        _write(root / name / "bundle.json", to_json(data))
        waits |= {m.wait for m in bundle.menus.values() if not m.hash}
        click.echo(f"{root / name}: {len(data['plans'])} plans", err=True)
    if waits:
        audio = _make_folder(root / "audio")
        for seconds in sorted(waits):
            _write(audio / f"silence-{seconds}s.wav", silent_wav(seconds))


def _make_folder(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FileProblem(f"cannot write {path}: {error.strerror or error}") from None
    return path


def _load_flow(path: str, variables: tuple[str, ...]):
    from .menus.simulate import SimulationError, load

    data = _read(path)
    name = _display_name(path)
    values = _parse_vars(variables)

    def work():
        try:
            return load(data, name, variables=values)
        except SimulationError as error:
            return error  # the script's errors, not a bug in dialplan

    flow = _guarded("compiling", name, work)
    if isinstance(flow, SimulationError):
        _show_script_errors([(name, _source_text(data), flow.diagnostics)])
        sys.exit(EXIT_FINDINGS)
    return flow


@main.command(name="simulate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--press", "presses", multiple=True, metavar="KEYS",
              help="What the caller does at the next question: keys such as 1 or 1234#, "
                   "`timeout` (nothing) or `hangup` (repeatable, in order).")
@click.option("--machine", is_flag=True, help="A machine answers the call.")
@click.option("--all", "all_paths", is_flag=True,
              help="Simulate every path: every choice of every menu at every try.")
@click.option("--coverage", is_flag=True, help="Show which outcomes the runs reached.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Fill {NAME} placeholders (repeatable).")
@click.option("-v", "--verbose", is_flag=True, help="Show the keys sent to each eventUrl.")
def simulate_command(path: str, presses: tuple[str, ...], machine: bool, all_paths: bool,
                     coverage: bool, variables: tuple[str, ...], verbose: bool) -> None:
    """Run a call flow offline and print what the caller hears.

    Nothing is called: the script is compiled with a throw-away secret, its
    eventUrls are answered in-process as `dialplan serve` answers them, and
    its plans run as Routee runs them (see docs/language.md, "Menus").
    """
    from urllib.parse import parse_qsl, urlsplit

    from .menus.simulate import coverage as coverage_of, every_path, simulate

    flow = _load_flow(path, variables)
    if all_paths and (presses or machine):
        raise click.UsageError("--all finds the presses itself: drop --press and --machine")
    runs = every_path(flow) if all_paths else [simulate(flow, presses, machine=machine)]
    for index, run in enumerate(runs):
        if all_paths:
            if index:
                click.echo()
            flags = " ".join(["--machine"] * run.machine + [f"--press {p}" for p in run.presses])
            click.echo(f"# path {index + 1}: {flags or '(no presses)'}")
        for event in run.call.events:
            if event.text is not None:
                click.echo(event.text)
            elif verbose and event.kind == "post" and not event.data.get("final"):
                query = dict(parse_qsl(urlsplit(event.data["url"]).query))
                click.echo(f"  (keys {event.data['tones']!r} sent for menu {query.get('n')}, "
                           f"try {query.get('t')})")
    if coverage:
        click.echo()
        rows = coverage_of(flow, runs)
        click.echo("runs  outcome")
        for outcome, count in rows:
            click.echo(f"{count:>4}  {outcome}")
        missed = sum(1 for _, count in rows if not count)
        click.echo(f"{len(rows) - missed} of {len(rows)} outcomes reached")


@main.command(name="test")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--coverage", is_flag=True,
              help="Show which outcomes of each script the scenarios reached.")
def test_command(paths: tuple[str, ...], coverage: bool) -> None:
    """Run scenario files (*.scenarios.toml): key presses in, transcripts out.

    Each scenario simulates a call and compares what the caller hears with
    its `expect`; a mismatch is shown as a diff. Exits 1 when any scenario
    fails. The format is in docs/language.md, "Menus".
    """
    from pathlib import Path

    from .menus.scenarios import ScenarioError, read, run_file
    from .menus.simulate import SimulationError
    from .menus.simulate import coverage as coverage_of

    files = _collect_files(paths, "*.scenarios.toml")
    if not files:
        raise click.UsageError("no *.scenarios.toml files found")
    passed = failed = 0
    for file in files:
        try:
            scenarios = read(Path(file))
        except ScenarioError as error:
            raise click.UsageError(str(error)) from None

        def work():
            try:
                return run_file(scenarios)
            except (ScenarioError, SimulationError) as error:
                return error  # the file's or the script's fault, not dialplan's

        done = _guarded("running", file, work)
        if isinstance(done, ScenarioError):
            raise click.UsageError(str(done))
        if isinstance(done, SimulationError):
            script = scenarios.script
            _show_script_errors([(str(script), script.read_text("utf-8", "replace"),
                                  done.diagnostics)])
            sys.exit(EXIT_FINDINGS)
        flow, outcomes = done
        for outcome in outcomes:
            if outcome.passed:
                passed += 1
                click.echo(f"ok    {file}: {outcome.scenario.name}")
            else:
                failed += 1
                click.echo(f"FAIL  {file}: {outcome.scenario.name}")
                for line in outcome.diff:
                    click.echo(f"      {line}")
        if coverage:
            rows = coverage_of(flow, [o.run for o in outcomes])
            for name, count in rows:
                click.echo(f"      {'reached' if count else 'MISSED '}  {name}")
    click.echo(f"{passed} passed, {failed} failed")
    if failed:
        sys.exit(EXIT_FINDINGS)


@main.command(name="graph")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--format", "output_format", type=click.Choice(("mermaid", "dot")),
              default="mermaid", show_default=True, help="Mermaid, or Graphviz DOT.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the diagram here instead of to standard output.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Fill {NAME} placeholders (repeatable).")
def graph_command(path: str, output_format: str, output: str | None,
                  variables: tuple[str, ...]) -> None:
    """Draw a call flow: plans as nodes, keys, otherwise, timeout and tries as edges.

    `dialplan graph FILE --format dot | dot -Tsvg > flow.svg` renders it with
    Graphviz; Mermaid text renders on GitHub as it is.
    """
    from .menus import graph

    flow = _load_flow(path, variables)
    if flow.bundle is None:
        raise click.UsageError(f"{_display_name(path)} has no menus: its flow is one plan")
    text = (graph.dot if output_format == "dot" else graph.mermaid)(flow.bundle)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write(output, text)


# --- editor support ------------------------------------------------------------------------

@main.command(name="lsp")
def lsp_command() -> None:
    """Run the language server for editors (Language Server Protocol over stdio).

    Needs the `lsp` extra: pip install 'dialplan[lsp]'. Editor set-up is in
    the README, "Editor support".
    """
    try:
        from .editor.lsp import main as serve
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in ("pygls", "lsprotocol", "cattrs", "attrs"):
            raise
        raise click.UsageError(f"`dialplan lsp` needs pygls ({error}); install it with: "
                               "pip install 'dialplan[lsp]'") from None
    serve()
