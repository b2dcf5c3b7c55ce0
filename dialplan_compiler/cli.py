"""The `dialplan` command: a thin layer over the Python API.

Each command parses its options and hands the work to one function of the
package (cli_support.py holds what the commands share). Exit codes: 0 no
errors (warnings allowed unless --warnings-as-errors), 1 findings, 2 usage
problems (bad flag, missing file, bad configuration), 3 an internal error
in dialplan itself.
"""

from __future__ import annotations

import dataclasses
import sys

import click

from . import __version__
from .checking import default_format, finish
from .cli_support import (EXIT_FINDINGS, EXIT_INTERNAL, EXIT_USAGE, Bounded, FileConfigurations,
                          FileProblem, InternalError, as_click, check_argument, collect_files,
                          connection_options, diagnostic_printer, display_name,
                          format_options, guarded, load_config, parse_vars, read,
                          show_script_errors, signing_secret, source_text, var_source, write)

__all__ = ["main", "EXIT_FINDINGS", "EXIT_INTERNAL", "EXIT_USAGE", "FileProblem",
           "InternalError"]


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
@format_options
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Files checked in parallel (default: one per core).")
@click.option("--no-cache", is_flag=True,
              help="Check every file, and remember nothing for the next run.")
@click.option("--cache-dir", type=click.Path(file_okay=False), envvar="DIALPLAN_CACHE_DIR",
              help="Where to remember files already checked (default: .dialplan_cache).")
def check(paths: tuple[str, ...], output_format: str | None, max_errors: int | None,
          warnings_as_errors: bool | None, config_path: str | None, color: str,
          jobs: int | None, no_cache: bool, cache_dir: str | None) -> None:
    """Check .call files (directories are searched for *.call).

    Reports every problem with its file, line and column. Exits 1 when any
    file has errors (or warnings, with --warnings-as-errors). Files that
    have not changed since the last run are not checked again (see
    docs/checking.md, "The cache").
    """
    from .checking import run_check

    code = as_click(lambda: run_check(
        paths, output_format=output_format, max_errors=max_errors,
        warnings_as_errors=warnings_as_errors, config_path=config_path, color=color, jobs=jobs,
        no_cache=no_cache, cache_dir=cache_dir, echo=click.echo))
    if code:
        sys.exit(code)


#: What `validate --kind` takes (validator.KIND_CHOICES, which a test holds
#: equal; written here so that `dialplan check` need not import the validator).
VALIDATE_KINDS = ("auto", "event", "body", "dialplan", "verb", "dialplan-url", "event-url",
                  "callback")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@format_options
@click.option("--kind", type=click.Choice(VALIDATE_KINDS), default="auto", show_default=True,
              help="What the JSON is. auto: a request body, a dialplan or a single verb, "
                   "recognised; event: one of the bodies Routee sends (to a dialPlanUrl, an "
                   "eventUrl, a callback URL), recognised; any other: judge it as that kind.")
def validate(paths: tuple[str, ...], output_format: str | None, max_errors: int | None,
             warnings_as_errors: bool | None, config_path: str | None, color: str,
             kind: str) -> None:
    """Validate JSON payloads written by hand or by another tool.

    Recognises a request body of POST /voice/conversation, a dialplan
    {"verbs": […]} or a single verb {"type": …} (directories are searched
    for *.json), says which, and checks it as that: the schemas and the same
    rules as `check`, at each problem's JSON line and column.
    """
    from .diagnostics import FileReport
    from .validator import validate_json

    configs = FileConfigurations(config_path)
    files = collect_files(paths, "*.json")
    if not files:
        click.echo("dialplan: no .json files found", err=True)
        return
    output_format = output_format or default_format()
    reports = []
    by_name = {}
    for path in files:
        data = read(path)
        name = display_name(path)
        config = by_name[name] = configs(path)
        report = guarded("validating", name,
                         lambda: validate_json(data, name, config=config, kind=kind))
        if output_format in ("text", "concise") and report.kind is not None:
            click.echo(f"{name}: {report.judged_as}")
        reports.append(FileReport(name, source_text(data), report.diagnostics))
    code = finish(configs.checking, reports, output_format, color, max_errors,
                  warnings_as_errors, by_name, click.echo)
    if code:
        sys.exit(code)


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

    config = load_config(config_path, path)
    values = parse_vars(variables)
    check_argument("--to", to)
    check_argument("--from", sender)
    data = read(path)
    name = display_name(path)
    result = guarded("compiling", name, lambda: compile_source(
        data, name, variables=values, to=to, sender=sender, plan=plan, config=config))
    sources = {name: source_text(data), "--to": to or "", "--from": sender or "",
               "--var": var_source(variables)}
    by_file: dict[str, list] = {}
    for diagnostic in result.diagnostics:
        by_file.setdefault(diagnostic.span.file, []).append(diagnostic)
    text = TextRenderer(use_color(sys.stderr, color)).render_reports(
        [FileReport(file, sources.get(file), tuple(found)) for file, found in by_file.items()],
        max_errors=config.max_errors, sources=sources)
    if text:
        click.echo(text, err=True)
    strict = config.warnings_as_errors if warnings_as_errors is None else warnings_as_errors
    if result.payload is None or (strict and result.diagnostics):
        click.echo(summary([FileReport(name, None, tuple(result.diagnostics))]), err=True)
        sys.exit(EXIT_FINDINGS)
    _print_or_write(to_json(result.payload), output)


def _print_or_write(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        write(output, text)


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
WAIT_TIMEOUT_RANGE = (0.001, 86400.0)  # seconds to follow a call; a day is no phone call
BACKOFF_RANGE = (0.0, 60.0)          # seconds; retries never wait longer than 60 s anyway
RETRIES_MAX = 10                     # more calls to one person than that is harassment


class Duration(click.ParamType):
    """Seconds written as 90s, 15m, 2h or 1d (a bare number: seconds)."""

    name = "duration"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        from .calls.hours import HoursError, parse_duration

        try:
            return parse_duration(value)
        except HoursError as error:
            self.fail(str(error), param, ctx)


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
              help="Print the exact HTTP request(s), token redacted, and send nothing; for a "
                   "campaign, first its estimate (calls, placing time, talk time).")
@click.option("--prices", "prices_path", type=click.Path(exists=True, dir_okay=False),
              help="With --recipients --dry-run: a CSV of prices per E.164 prefix, to add "
                   "the cost per country and in all to the estimate (docs/preview.md).")
@click.option("--wait", is_flag=True,
              help="Follow the call to its end; exit 0 only if it ends Completed (other "
                   "outcomes: docs/calls.md).")
@click.option("--wait-timeout", type=Bounded(*WAIT_TIMEOUT_RANGE), default=None,
              metavar="SECONDS", help="With --wait: stop following after this long (default: "
                                      "the call's hangupDelay + maxDuration + a margin).")
@click.option("--rate", type=Bounded(*RATE_RANGE), default=1.0,
              show_default=True, help="At most this many requests in any one second "
                                      "(Routee allows 1; at most 100).")
@click.option("--journal", "journal_path", type=click.Path(dir_okay=False),
              help="The campaign's journal (default: RECIPIENTS.journal.sqlite beside the CSV).")
@click.option("--retry-unknown", is_flag=True,
              help="Send again the rows whose earlier request may have reached Routee.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False),
              help="Write a CSV line per attempt here at the end.")
@click.option("--retries", type=click.IntRange(0, RETRIES_MAX), default=0, show_default=True,
              help="Call a row again, at most this many more times, when its call ended Busy "
                   "or NoAnswer.")
@click.option("--retry-after", type=Duration(), default="10m", show_default=True,
              metavar="DURATION", help="No retry sooner than this after the call before it "
                                       "ended (90s, 15m, 2h).")
@click.option("--calling-hours", metavar="HH:MM-HH:MM",
              help="Call each row only while its recipient's local time is inside this window "
                   "(default: calling-hours of the configuration).")
@click.option("--timezone", "timezone_name", metavar="ZONE",
              help="With --calling-hours: the zone of rows whose number has none (SIP), e.g. "
                   "Europe/Athens.")
@connection_options
@click.option("--backoff", type=Bounded(*BACKOFF_RANGE), default=1.0, show_default=True,
              help="Seconds before the first retry; doubled for each next one, with jitter "
                   "(at most 60).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="Configuration file.")
@click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto",
              help="Colour in diagnostics.")
def call_command(path: str, to: str | None, recipients: str | None, variables: tuple[str, ...],
                 dry_run: bool, wait: bool, wait_timeout: float | None, rate: float,
                 journal_path: str | None, retry_unknown: bool, report_path: str | None,
                 api_url: str | None, auth_url: str | None, cache_token: bool, timeout: float,
                 backoff: float, config_path: str | None, color: str,
                 prices_path: str | None, retries: int = 0, retry_after: float = 600.0,
                 calling_hours: str | None = None, timezone_name: str | None = None) -> None:
    """Place a call with a .call file: to one recipient, or to every row of a CSV.

    Compiles first and refuses on any error. Credentials come from
    ROUTEE_APPLICATION_ID and ROUTEE_APPLICATION_SECRET, or from
    credentials.toml in the user's configuration directory (see docs/calls.md),
    never from the command line. A campaign keeps a journal: run the same
    command again after a crash and it goes on, never calling a placed row twice.
    """
    from .calls import placing

    options = placing.CallOptions(to, recipients, dry_run, wait, rate, journal_path,
                                  retry_unknown, report_path, api_url, auth_url, cache_token,
                                  timeout, backoff, wait_timeout=wait_timeout,
                                  prices=prices_path)
    if prices_path and not (dry_run and recipients):
        raise click.UsageError("--prices prices a campaign's estimate: use it with "
                               "--recipients and --dry-run")
    if (to is None) == (recipients is None):
        raise click.UsageError("give one of --to RECIPIENT (one call) and --recipients FILE.csv "
                               "(a campaign)")
    if recipients and wait:
        raise click.UsageError("--wait follows a single call: use it with --to")
    if wait_timeout is not None and not wait:
        raise click.UsageError("--wait-timeout says how long --wait follows the call: give "
                               "--wait too")
    if to and (journal_path or retry_unknown or report_path or retries or calling_hours or
               timezone_name):
        raise click.UsageError("--journal, --retry-unknown, --report, --retries, "
                               "--calling-hours and --timezone are for campaigns (--recipients)")
    problem = placing.overwrite_problem(path, options)
    if problem:
        raise click.UsageError(problem)
    config = load_config(config_path, path)
    if recipients:
        if not calling_hours and config.calling_hours:
            from .calls.hours import HoursError, parse_window

            try:
                parse_window(config.calling_hours)
            except HoursError as error:
                raise click.UsageError(f"{config.path}: calling-hours: {error}") from None
        options = dataclasses.replace(
            options, retries=retries, retry_after=retry_after,
            calling_hours=calling_hours or config.calling_hours,
            timezone=timezone_name or config.timezone)
    values = parse_vars(variables)
    check_argument("--to", to)
    _place_calls(read(path), display_name(path), options, values, config, color)


def _place_calls(data: bytes, name: str, options, values: dict, config, color: str) -> None:
    """Run `placing.place_calls`, and map how it ends to messages and exit codes."""
    from .calls import placing
    from .calls.client import CredentialsError
    from .calls.redact import Redactor
    from .diagnostics import FileReport
    from .errors import DialplanError
    from .render import summary

    # The one redactor of the run: told the secret once it is loaded, and
    # each token by the client as it gets one; everything shown passes it.
    redact = Redactor()
    console = placing.Console(out=lambda text, nl=True: click.echo(text, nl=nl),
                              err=lambda text: click.echo(text, err=True),
                              show=diagnostic_printer(color))

    def fail(message: str, code: int = EXIT_FINDINGS) -> None:
        click.echo(f"dialplan: {redact(message)}", err=True)
        sys.exit(code)

    try:
        result = placing.place_calls(
            data, name, options, variables=values, config=config, console=console,
            redact=redact, guard=lambda *args: guarded(*args, redact=redact))
    except placing.ScriptRefused as refused:
        click.echo(summary([FileReport(name, None, tuple(refused.diagnostics))]), err=True)
        fail("nothing was sent")
    except placing.PlacingError as error:
        fail(str(error), _exit_code(error))
    except CredentialsError as error:
        fail(str(error), EXIT_USAGE)
    except DialplanError as error:  # not reported on purpose here: a bug, secret redacted
        raise InternalError(redact(f"internal error while placing calls: "
                                   f"{type(error).__name__}: {error}")) from None
    problem = result and placing.campaign_problem(result)
    if problem:
        fail(str(problem), EXIT_USAGE if problem.setup else EXIT_FINDINGS)
    if result is not None and not result.complete:
        sys.exit(EXIT_FINDINGS)


def _exit_code(error) -> int:
    """A PlacingError's own exit code (a followed call's outcome), else 2 for
    a setting to fix, 1 for the rest."""
    if error.exit_code is not None:
        return error.exit_code
    return EXIT_USAGE if error.setup else EXIT_FINDINGS


def _one_call_options(command):
    """TRACKING_ID, --format text|json, and where Routee is (as for `call`)."""
    command = connection_options(command)
    command = click.option("--format", "output_format", type=click.Choice(("text", "json")),
                           default="text", show_default=True,
                           help="Text for people, or JSON.")(command)
    return click.argument("tracking_id", metavar="TRACKING_ID")(command)


@main.command(name="status")
@_one_call_options
def status_command(tracking_id: str, output_format: str, api_url: str | None,
                   auth_url: str | None, cache_token: bool, timeout: float) -> None:
    """Show a placed call's legs: status, messageId, answeredBy, duration, price,
    keys collected and recordings, read from Routee's tracking of the call.

    TRACKING_ID is what `dialplan call` printed. Credentials as for `call`.
    """
    from .calls import control

    check_argument("TRACKING_ID", tracking_id)
    _by_hand(lambda redact: control.call_status(
        tracking_id, control.Connection(api_url, auth_url, cache_token, timeout), redact),
        lambda tracking: (control.status_json if output_format == "json"
                          else control.status_text)(tracking))


@main.command(name="hangup")
@_one_call_options
def hangup_command(tracking_id: str, output_format: str, api_url: str | None,
                   auth_url: str | None, cache_token: bool, timeout: float) -> None:
    """End a live call: hang it up if answered, reject it while it rings.

    TRACKING_ID is what `dialplan call` printed. A call that is queued, has
    ended or is unknown is refused (exit 1). Credentials as for `call`.
    """
    from .calls import control

    check_argument("TRACKING_ID", tracking_id)
    _by_hand(lambda redact: control.hang_up(
        tracking_id, control.Connection(api_url, auth_url, cache_token, timeout), redact),
        lambda ended: ended.as_json() if output_format == "json" else ended.text())


def _by_hand(work, show) -> None:
    """Run `work(redact)` of `status` or `hangup`, print `show(result)`, and
    map how it fails to a message and an exit code."""
    from .calls.placing import PlacingError
    from .calls.redact import Redactor

    redact = Redactor()
    try:
        result = guarded("asking Routee about", "the call", lambda: work(redact),
                         redact=redact)
    except PlacingError as error:
        click.echo(f"dialplan: {redact(str(error))}", err=True)
        sys.exit(_exit_code(error))
    click.echo(redact(show(result)), nl=False)


# --- formatting and decompiling ------------------------------------------------------------

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
    from .formatting import format_files

    files = collect_files(paths, "*.call")
    if not files:
        click.echo("dialplan: no .call files found", err=True)
        return
    done = format_files(files, check_only=check_only, show_diff=show_diff, color=color,
                        read=read, guard=guarded)
    if done.unwritable:
        sys.exit(EXIT_USAGE)
    if done.broken or (check_only and done.changed):
        sys.exit(EXIT_FINDINGS)


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
    from .decompiling import TargetError, decompile_files, targets

    try:
        where = targets(paths, output)
    except TargetError as error:
        raise click.UsageError(str(error)) from None
    config = load_config(None)
    if decompile_files(paths, where, config=config, color=color, read=read, write=write,
                       guard=guarded):
        sys.exit(EXIT_FINDINGS)


# --- menus: serving, building, simulating, testing and drawing call flows -------------------

def _bundles(paths: tuple[str, ...], secret: bytes, variables: tuple[str, ...]) -> dict:
    """Compile the scripts of `paths` (directories are searched for *.call),
    or exit 1 showing their errors."""
    from .files import ReadError
    from .menus.bundles import ScriptErrors, ScriptNameClash, compile_scripts

    files = collect_files(paths, "*.call")
    if not files:
        raise click.UsageError("no .call files found")
    values = parse_vars(variables)
    try:
        return guarded("compiling", ", ".join(files),
                       lambda: compile_scripts(files, secret, variables=values))
    except ReadError as error:
        raise FileProblem(str(error)) from None
    except ScriptNameClash as error:
        raise click.UsageError(str(error)) from None
    except ScriptErrors as errors:
        show_script_errors(errors.reports)
        sys.exit(EXIT_FINDINGS)


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
    the `serve` extra (from a clone of dialplan: pip install '.[serve]').
    """
    secret = signing_secret()
    try:
        import uvicorn  # noqa: F401 - the server's, checked before anything else is done

        from .menus.server import ListenError, run_server
    except ModuleNotFoundError as error:
        raise click.UsageError(f"`dialplan serve` needs Starlette and uvicorn ({error}); "
                               "install them from a clone of dialplan with: "
                               "pip install '.[serve]'") from None
    bundles = _bundles(paths, secret, variables)
    try:
        started = run_server(bundles, secret, host=host, port=port, log_level=log_level,
                             request_timeout=request_timeout, keep_alive=keep_alive,
                             limit_concurrency=limit_concurrency)
    except ListenError as error:
        raise click.UsageError(str(error)) from None
    if not started:
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

    from .files import WriteError
    from .menus.bundles import write_bundles

    bundles = _bundles(paths, signing_secret(), variables)
    try:
        write_bundles(bundles, Path(output), note=lambda line: click.echo(line, err=True))
    except WriteError as error:
        raise FileProblem(str(error)) from None


def _load_flow(path: str, variables: tuple[str, ...]):
    from .menus.simulate import SimulationError, load

    data = read(path)
    name = display_name(path)
    values = parse_vars(variables)
    try:
        return guarded("compiling", name, lambda: load(data, name, variables=values))
    except SimulationError as error:  # the script's errors, not a bug in dialplan
        show_script_errors([(name, source_text(data), error.diagnostics)])
        sys.exit(EXIT_FINDINGS)


def _caller_options(all_help: str):
    """The options that say which path a call takes: --press, --machine, --all."""
    def apply(command):
        for option in reversed((
                click.option("--press", "presses", multiple=True, metavar="KEYS",
                             help="What the caller does at the next question: keys such as 1, "
                                  "1234# or star, `timeout` (nothing) or `hangup` "
                                  "(repeatable, in order)."),
                click.option("--machine", is_flag=True, help="A machine answers the call."),
                click.option("--all", "all_paths", is_flag=True, help=all_help))):
            command = option(command)
        return command
    return apply


@main.command(name="simulate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@_caller_options("Simulate every path: every choice of every menu at every try.")
@click.option("--coverage", is_flag=True, help="Show which outcomes the runs reached.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Fill {NAME} placeholders (repeatable).")
@click.option("-v", "--verbose", is_flag=True, help="Show the keys sent to each eventUrl.")
@click.option("--timing", is_flag=True,
              help="Show how long each step and each path lasts (a min–max range).")
@click.option("--format", "output_format", type=click.Choice(("text", "json")), default="text",
              show_default=True, help="json: each path's transcript with its timings, "
                                      "for tools.")
@click.option("--prices", "prices_path", type=click.Path(exists=True, dir_okay=False),
              help="A CSV of prices per E.164 prefix (docs/preview.md): each path's cost.")
@click.option("--to", "to", metavar="NUMBER",
              help="Price the paths as a call to NUMBER (default: the script's `to`).")
@click.option("--speech", type=click.Choice(("auto", "espeak", "rate")), default="auto",
              show_default=True, help="Time speech with espeak-ng (the audio extra) or at a "
                                      "speaking rate per language; auto: espeak-ng if installed.")
@click.option("--answer", "answers", multiple=True, metavar="REPLY",
              help="What your system answers the next `ask`: a choice, a JSON object as it "
                   "would send it, or `timeout`, `error`, `garbage` (repeatable, in order).")
def simulate_command(path: str, presses: tuple[str, ...], machine: bool, all_paths: bool,
                     coverage: bool, variables: tuple[str, ...], verbose: bool, timing: bool,
                     output_format: str, prices_path: str | None, to: str | None,
                     speech: str, answers: tuple[str, ...] = ()) -> None:
    """Run a call flow offline and print what the caller hears.

    Nothing is called: the script is compiled with a throw-away secret, its
    eventUrls are answered in-process as `dialplan serve` answers them, and
    its plans run as Routee runs them (see docs/language.md, "Menus").
    With --timing, --prices or --format json each step and path is timed
    (and priced), see docs/preview.md.
    """
    from .menus.simulate import (PressError, coverage_lines, every_path, read_press, run_flags,
                                 run_lines, simulate)

    try:
        presses = tuple(read_press(press) for press in presses)
    except PressError as error:
        raise click.BadParameter(str(error), param_hint="--press") from None
    flow = _load_flow(path, variables)
    if all_paths and (presses or machine or answers):
        raise click.UsageError("--all finds the presses itself: drop --press, --machine and "
                               "--answer")
    runs = every_path(flow) if all_paths else [simulate(flow, presses, machine=machine,
                                                        answers=answers)]
    if timing or prices_path or output_format == "json":
        if output_format == "json" and (coverage or verbose):
            raise click.UsageError("--coverage and -v are for text output: drop them for "
                                   "--format json")
        _show_timing(flow, runs, output_format, prices_path, to, speech, headers=all_paths)
        if coverage:
            click.echo()
            for line in coverage_lines(flow, runs):
                click.echo(line)
        return
    for index, run in enumerate(runs):
        if all_paths:
            if index:
                click.echo()
            click.echo(f"# path {index + 1}: {run_flags(run) or '(no presses)'}")
        for line in run_lines(run, verbose=verbose):
            click.echo(line)
    if coverage:
        click.echo()
        for line in coverage_lines(flow, runs):
            click.echo(line)


def _show_timing(flow, runs: list, output_format: str, prices_path: str | None,
                 to: str | None, speech: str, *, headers: bool) -> None:
    from .audio import AudioUnavailable
    from .emitter import to_json
    from .menus.timed import TimingError, time_flow, timing_document, timing_lines
    from .pricing import PricesUnusable, read_prices

    check_argument("--to", to)
    try:
        prices = None if prices_path is None else read_prices(prices_path)
    except PricesUnusable as error:
        raise FileProblem(str(error)) from None
    try:
        timed = time_flow(flow, runs, speech=speech, prices=prices, number=to)
    except (TimingError, AudioUnavailable) as error:  # --speech espeak needs the audio extra
        raise click.UsageError(str(error)) from None
    if output_format == "json":
        click.echo(to_json(timing_document(timed)), nl=False)
        return
    for line in timing_lines(timed, headers=headers):
        click.echo(line)


@main.command(name="preview")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@_caller_options("Every path, one WAV each in the folder OUT, named after its presses.")
@click.option("-o", "--output", required=True, type=click.Path(allow_dash=True),
              help="The WAV file to write (`-`: standard output); with --all, a folder.")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Fill {NAME} placeholders (repeatable).")
def preview_command(path: str, presses: tuple[str, ...], machine: bool, all_paths: bool,
                    output: str, variables: tuple[str, ...]) -> None:
    """Hear a call before anyone is called: what the caller hears, as a WAV file.

    The path is simulated as `dialplan simulate` does; each `say` is spoken
    by espeak-ng in its language and gender, standing in for Routee's voice;
    pauses and waits are silence, key presses DTMF tones, a `dial` ring-back,
    a `play` its WAV when it is on this machine (else a marked tone). Needs
    the `audio` extra: pip install '.[audio]' (see docs/preview.md).
    """
    from .audio import AudioUnavailable
    from .files import WriteError
    from .menus.preview import preview_paths, written_lines
    from .menus.simulate import every_path, simulate

    if all_paths and (presses or machine):
        raise click.UsageError("--all finds the presses itself: drop --press and --machine")
    if all_paths and output == "-":
        raise click.UsageError("--all writes one file a path: give a folder to -o")
    flow = _load_flow(path, variables)
    runs = every_path(flow) if all_paths else [simulate(flow, presses, machine=machine)]
    try:
        written = preview_paths(runs, output, folder=all_paths)
    except AudioUnavailable as error:
        raise click.UsageError(str(error)) from None
    except WriteError as error:
        raise FileProblem(str(error)) from None
    except OSError as error:  # the folder of --all cannot be made
        raise FileProblem(f"cannot write {error.filename or output}: {error.strerror}") \
            from None
    for line in written_lines(written, runs, streamed=output == "-"):
        click.echo(line, err=output == "-")  # standard output may be the WAV itself


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

    from .menus.scenarios import ScenarioError, read as read_scenarios, run_file
    from .menus.simulate import SimulationError, coverage as coverage_of

    files = collect_files(paths, "*.scenarios.toml")
    if not files:
        raise click.UsageError("no *.scenarios.toml files found")
    passed = failed = 0
    for file in files:
        try:
            scenarios = read_scenarios(Path(file))
            flow, results = guarded("running", file, lambda: run_file(scenarios))
        except ScenarioError as error:
            raise click.UsageError(str(error)) from None
        except SimulationError as error:  # the script's fault, not dialplan's
            script = scenarios.script
            show_script_errors([(str(script), script.read_text("utf-8", "replace"),
                                 error.diagnostics)])
            sys.exit(EXIT_FINDINGS)
        for result in results:
            passed, failed = passed + result.passed, failed + (not result.passed)
            click.echo(f"{'ok  ' if result.passed else 'FAIL'}  {file}: {result.scenario.name}")
            for line in result.diff:
                click.echo(f"      {line}")
        if coverage:
            for name, count in coverage_of(flow, [r.run for r in results]):
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
        raise click.UsageError(f"{display_name(path)} has no menus: its flow is one plan")
    _print_or_write((graph.dot if output_format == "dot" else graph.mermaid)(flow.bundle),
                    output)


@main.command(name="diff")
@click.argument("paths", nargs=-1, metavar="[OLD NEW]",
                type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--git", "git_ref", metavar="REF",
              help="Compare each .call file changed since git revision REF with its "
                   "version there (instead of OLD NEW).")
@click.option("--format", "output_format",
              type=click.Choice(("text", "json", "sarif", "github")), default=None,
              help="Output format (default: text; github under GitHub Actions).")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Fill {NAME} placeholders in both versions (repeatable).")
def diff_command(paths: tuple[str, ...], git_ref: str | None, output_format: str | None,
                 variables: tuple[str, ...]) -> None:
    """Show what a change does to callers: dialplan diff OLD NEW, or --git REF.

    Every path of either version is simulated on both; each path whose
    caller hears other lines, or waits another time, is listed. Exits 0 when
    the behaviour is the same (a change of layout or comments only), 1 when
    it differs, 2 when a version cannot be read or does not compile.
    """
    from .menus.diff import DiffError, diff_files, diff_git, render

    if git_ref is not None and paths:
        raise click.UsageError("give OLD NEW, or --git REF, not both")
    if git_ref is None and len(paths) != 2:
        raise click.UsageError("expected two files, OLD and NEW (or --git REF)")
    if paths == ("-", "-"):
        raise click.UsageError("only one of OLD and NEW can be standard input (-)")
    values = parse_vars(variables)
    try:
        result = guarded("diffing", " ".join(paths) or git_ref, lambda: (
            diff_git(git_ref, variables=values) if git_ref is not None
            else diff_files(paths[0], paths[1], variables=values)))
    except DiffError as error:
        if not error.reports:
            raise FileProblem(str(error)) from None
        show_script_errors(error.reports)
        sys.exit(EXIT_USAGE)
    click.echo(render(result, output_format or default_format(), __version__), nl=False)
    if not result.identical:
        sys.exit(EXIT_FINDINGS)


# --- editor support ------------------------------------------------------------------------

@main.command(name="lsp")
def lsp_command() -> None:
    """Run the language server for editors (Language Server Protocol over stdio).

    Needs the `lsp` extra (from a clone of dialplan: pip install '.[lsp]').
    Editor set-up is in the README, "Editor support".
    """
    try:
        from .editor.lsp import main as serve
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in ("pygls", "lsprotocol", "cattrs", "attrs"):
            raise
        raise click.UsageError(f"`dialplan lsp` needs pygls ({error}); install it with: "
                               "pip install '.[lsp]' in a clone of dialplan") from None
    serve()
