"""`vonage-account`: the Account API's everyday jobs from the command line.

Exit codes: 0 done; 1 a check failed (pre-flight, audit); 2 usage error (options, credentials, files);
3 authentication failed; 4 the API refused (limit reached, last secret, not found, auto-reload off, top-up failed,
invalid input); 5 rate limited, a transient or network failure that outlasted the retries, a write whose outcome is
unknown (sent, never repeated: check before running it again), or another run of the same job under way; 6 the
rotation's --store-command failed (the credentials file already holds the new secret; run the rotation again to
finish).
"""

from __future__ import annotations

import json
import os
import ssl
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn

import click

from vonage_account_ops import jobs
from vonage_account_ops.client import DEFAULT_TIMEOUT, FORWARD_METHODS, TIMEOUT_VARIABLE, AccountOps
from vonage_account_ops.credentials import (
    COMMAND_VARIABLE,
    FILE_VARIABLE,
    Credentials,
    CredentialsMissing,
    CredentialSource,
    credential_source,
)
from vonage_account_ops.errors import AccountError, JobRefused, OutcomeUnknown, next_step

EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_STORE_COMMAND = 6
_PROG = "vonage-account"

# The CLI's words for the commands the advice of `errors.next_step` names.
_NAMES = {
    "list_secrets": "`vonage-account secrets list`",
    "revoke_secret": "`vonage-account secrets revoke ID`",
    "rotate_secret": "`vonage-account secrets rotate`",
    "check_balance": "`vonage-account balance`",
    "pricing": "`vonage-account pricing`",
    "trx": "--trx",
    "hosts": "--rest-url / --api-url ($VONAGE_REST_URL / $VONAGE_API_URL)",
    "longer_timeout": ", or give it longer with --timeout SECONDS",
}


class Context:
    """Options shared by every subcommand."""

    def __init__(
        self,
        rest_url: str | None,
        api_url: str | None,
        credentials: Path | None,
        credentials_command: str | None,
        ca_bundle: str | None,
        as_json: bool,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.timeout = timeout
        self.rest_url = rest_url
        self.api_url = api_url
        self.credentials_file = credentials
        self.credentials_command = credentials_command
        self.ca_bundle = ca_bundle
        self.as_json = as_json

    def source(self) -> CredentialSource:
        """Where credentials come from: --credentials-command, --credentials, or the environment."""
        return credential_source(file=self.credentials_file, command=self.credentials_command)

    def credentials(self) -> Credentials:
        return self.source().load()

    def ops(self, credentials: Credentials | None = None) -> AccountOps:
        extra: dict[str, Any] = {}
        if self.ca_bundle:
            extra["verify"] = ssl.create_default_context(cafile=self.ca_bundle)
        return AccountOps(
            credentials or self.credentials(),
            rest_url=self.rest_url,
            api_url=self.api_url,
            timeout=self.timeout,
            **extra,
        )


class Failure(Exception):
    """A user-facing failure: what went wrong and what to do, on one line, with its exit code."""

    def __init__(self, kind: str, title: str, detail: str, exit_code: int) -> None:
        super().__init__(f"{title}: {detail}" if detail else title)
        self.kind = kind
        self.title = title
        self.detail = detail
        self.exit_code = exit_code


def _fail(message: str, code: int, kind: str = "usage-error", title: str = "Invalid usage") -> NoReturn:
    raise Failure(kind, title, message, code)


def _report(failure: Failure, as_json: bool) -> NoReturn:
    """Print a failure (one line on stderr, or a JSON document on stdout with --json) and exit with its code."""
    if as_json:
        document = {"type": failure.kind, "title": failure.title, "detail": failure.detail}
        click.echo(json.dumps({"error": document, "exit_code": failure.exit_code}))
    else:
        # A usage error's title says nothing its detail does not.
        click.echo(f"error: {failure.detail if failure.kind == 'usage-error' else failure}", err=True)
    sys.exit(failure.exit_code)


def _api_failure(error: AccountError, source: CredentialSource | None) -> Failure:
    detail = error.detail.rstrip(". ") if error.detail.lower() not in error.title.lower() else ""
    where = source.description if source is not None else "the credentials"
    names = {
        **_NAMES,
        "credentials": f"the API refused the key and secret from {where}; if the secret was rotated, the rotated file "
        "holds the new one: use --credentials FILE (or $VONAGE_CREDENTIALS_FILE)",
    }
    if isinstance(error, OutcomeUnknown):
        detail = f"{detail}; it was sent once and is not sent again by itself"
    advice = next_step(error, names)
    detail = "; ".join(part for part in (detail, advice) if part)
    return Failure(error.type or f"http-{error.status}", error.title, detail, error.exit_code)


@contextmanager
def _errors_as_exit_codes(ctx: Context) -> Iterator[None]:
    """Turn the jobs' typed errors into failures: one line, a documented exit code, never a traceback."""
    try:
        yield
    except AccountError as error:
        try:
            source: CredentialSource | None = ctx.source()
        except CredentialsMissing:
            source = None
        raise _api_failure(error, source) from None
    except CredentialsMissing as error:
        raise Failure("credentials-missing", "No usable credentials", str(error), EXIT_USAGE) from None
    except jobs.InvalidWebhook as error:
        raise Failure("invalid-webhook", "Invalid webhook", str(error), EXIT_USAGE) from None
    except jobs.StateFileError as error:
        raise Failure("state-file", "Unusable state file", str(error), EXIT_USAGE) from None
    except JobRefused as error:
        detail = f"{error.detail}; {next_step(error, _NAMES)}"
        raise Failure(error.kind, error.title, detail, error.exit_code) from None
    except jobs.StoreCommandFailed as error:
        raise Failure("store-command-failed", "The --store-command failed", str(error), EXIT_STORE_COMMAND) from None
    except OSError as error:
        name = f" {error.filename}" if error.filename else ""
        reason = error.strerror or type(error).__name__
        raise Failure("file-error", "File error", f"{reason}:{name}", EXIT_USAGE) from None


class DecimalAmount(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.5 on
    """A finite, non-negative decimal amount such as 50 or 0.10."""

    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite() or amount < 0:
            self.fail(f"{value!r} is not an amount: give a non-negative decimal such as 50 or 0.10", param, ctx)
        if amount and not -8 <= amount.adjusted() <= 9:
            self.fail(f"{value!r} is out of range: give an amount between 0.00000001 and 999999999", param, ctx)
        # Plain digits from here on (1E+2 reads as 100 in every message).
        return Decimal(format(amount, "f"))


AMOUNT = DecimalAmount()


class CommandLine(click.Group):
    """The command group, with usage errors and failures printed as one line (or JSON with --json)."""

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        as_json = self._asks_for_json(argv)
        try:
            result = super().main(argv, prog_name or _PROG, complete_var, standalone_mode=False, **extra)
        except Failure as failure:
            _report(failure, as_json)
        except click.UsageError as error:
            command = error.ctx.command_path if error.ctx is not None else _PROG
            message = f"{error.format_message()} (see '{command} --help')"
            _report(Failure("usage-error", "Invalid usage", message, EXIT_USAGE), as_json)
        except click.ClickException as error:
            _report(Failure("usage-error", "Invalid usage", error.format_message(), error.exit_code), as_json)
        except click.Abort:
            _report(Failure("aborted", "Aborted", "stopped before finishing", EXIT_USAGE), as_json)
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)

    def _asks_for_json(self, argv: list[str]) -> bool:
        """Whether the group's --json is given: read by click's own parser (no callbacks, no errors), since a usage
        error can strike before the group's options are handed over, and an option's value may come first."""
        try:
            context = self.make_context(_PROG, list(argv), resilient_parsing=True)
        except (click.ClickException, click.exceptions.Exit):
            return False
        return bool(context.params.get("as_json"))


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def _emit(ctx: Context, document: Any, human: Callable[[], None]) -> None:
    if ctx.as_json:
        click.echo(json.dumps(_plain(document), indent=2))
    else:
        human()


def _table(rows: list[list[str]], headers: list[str]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    for row in [headers, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip())


def _read_secret(from_env: str | None, from_file: Path | None, prompt: str) -> str:
    if from_env:
        from_environment = os.environ.get(from_env)
        if not from_environment:
            _fail(f"${from_env} is empty or unset", EXIT_USAGE)
        return from_environment
    if from_file:
        return from_file.read_text(encoding="utf-8").strip()
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))


@click.group(cls=CommandLine)
@click.version_option(package_name="vonage-account-mock", prog_name=_PROG)
@click.option("--rest-url", envvar="VONAGE_REST_URL", help="Base URL of the rest host (default the real one).")
@click.option("--api-url", envvar="VONAGE_API_URL", help="Base URL of the api host (default the real one).")
@click.option(
    "--credentials",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar=FILE_VARIABLE,
    help="A file with api_key= and api_secret= lines (default: $VONAGE_API_KEY / $VONAGE_API_SECRET).",
)
@click.option(
    "--credentials-command",
    envvar=COMMAND_VARIABLE,
    metavar="COMMAND",
    help="A command (e.g. a vault CLI) printing api_key= and api_secret= lines or a JSON object; run when needed.",
)
@click.option("--ca-bundle", envvar="VONAGE_CA_BUNDLE", help="CA file to trust (e.g. a local TLS mock's).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True, max=600),
    envvar=TIMEOUT_VARIABLE,
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help=f"Seconds to wait for the API to connect and to answer (${TIMEOUT_VARIABLE}).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def main(
    click_ctx: click.Context,
    rest_url: str | None,
    api_url: str | None,
    credentials: Path | None,
    credentials_command: str | None,
    ca_bundle: str | None,
    timeout: float,
    as_json: bool,
) -> None:
    """The Vonage Account API's jobs: balance checks, secret rotation, webhooks, top-up.

    Exit codes: 0 done, 1 check failed, 2 usage (options, credentials, files), 3 authentication failed,
    4 refused by the API, 5 rate limited, transient failure, outcome unknown (a write sent once, not repeated) or
    another run under way, 6 the rotation's --store-command failed.
    With --json, output and errors are JSON on stdout.
    """
    click_ctx.obj = Context(rest_url, api_url, credentials, credentials_command, ca_bundle, as_json, timeout)


@main.command()
@click.pass_obj
def balance(ctx: Context) -> None:
    """Show the balance and whether auto-reload is on."""
    with _errors_as_exit_codes(ctx), ctx.ops() as ops:
        info = ops.balance()
    _emit(ctx, info, lambda: click.echo(f"{info.value} EUR (auto-reload {'on' if info.auto_reload else 'off'})"))


@main.command()
@click.option("--floor", type=AMOUNT, required=True, help="Minimum balance in EUR, e.g. 50.00.")
@click.option("--country", help="Destination country (ISO 3166 alpha-2) for a cost estimate.")
@click.option("--messages", type=click.IntRange(0), default=0, help="How many messages the send holds.")
@click.option("--service", type=click.Choice(["sms", "sms-transit", "voice"]), default="sms", show_default=True)
@click.option("--margin", type=AMOUNT, default="0.10", show_default=True, help="Safety margin on cost (0.10 = 10 %).")
@click.pass_obj
def preflight(ctx: Context, floor: Decimal, country: str | None, messages: int, service: str, margin: Decimal) -> None:
    """Before a bulk send: exit 0 if the balance covers the floor (and the estimated cost), 1 if not."""
    if messages and not country:
        raise click.UsageError("--messages needs --country: the cost of a send depends on where it goes")
    with _errors_as_exit_codes(ctx), ctx.ops() as ops:
        result = jobs.preflight(ops, floor=floor, country=country, messages=messages, service=service, margin=margin)
    _emit(ctx, result, lambda: click.echo(f"{'OK' if result.ok else 'NOT OK'}: {result.reason}"))
    if not result.ok:
        sys.exit(EXIT_CHECK_FAILED)


@main.command("top-up")
@click.option("--trx", required=True, help="The auto-reload payment reference.")
@click.option("--floor", type=AMOUNT, help="Only when the balance is under this floor (once per dip).")
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(".vonage-top-up.json"),
    show_default=True,
    help="Where --floor remembers a top-up made during the current dip.",
)
@click.pass_obj
def top_up_command(ctx: Context, trx: str, floor: Decimal | None, state: Path) -> None:
    """Top up with the auto-reload reference, always or only under a floor."""
    with _errors_as_exit_codes(ctx), ctx.ops() as ops:
        if floor is None:
            result = jobs.top_up(ops, trx=trx)
        else:
            result = jobs.top_up_below_floor(ops, floor=floor, trx=trx, state=state)
    _emit(
        ctx,
        result,
        lambda: click.echo(f"{result.action.replace('_', ' ')}: {result.balance_before} -> {result.balance_after} EUR"),
    )


@main.group()
def secrets() -> None:
    """List, create, revoke, rotate and audit API secrets."""


@secrets.command("list")
@click.pass_obj
def secrets_list(ctx: Context) -> None:
    """The active secrets with their age."""
    with _errors_as_exit_codes(ctx), ctx.ops() as ops:
        report = jobs.audit_secrets(ops, max_age_days=float("inf"))
    rows = [[r.secret.id, r.secret.created_at, f"{r.age_days:.1f}"] for r in report]
    _emit(ctx, report, lambda: _table(rows, ["ID", "CREATED", "AGE (DAYS)"]))


@secrets.command("create")
@click.option("--from-env", metavar="VAR", help="Read the new secret from this environment variable.")
@click.option("--from-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="... or a file.")
@click.pass_obj
def secrets_create(ctx: Context, from_env: str | None, from_file: Path | None) -> None:
    """Add a secret (never given on the command line: environment, file or prompt)."""
    value = _read_secret(from_env, from_file, "New secret")
    with _errors_as_exit_codes(ctx), ctx.ops() as ops:
        created = ops.create_secret(value)
    _emit(ctx, created, lambda: click.echo(f"created {created.id}"))


@secrets.command("revoke")
@click.argument("secret_id")
@click.pass_obj
def secrets_revoke(ctx: Context, secret_id: str) -> None:
    """Revoke a secret by id (never the one the credentials use, when that is known)."""
    with _errors_as_exit_codes(ctx):
        credentials = ctx.credentials()
        with ctx.ops(credentials) as ops:
            jobs.revoke(ops, credentials, secret_id, require_known=False)
    _emit(ctx, {"revoked": secret_id}, lambda: click.echo(f"revoked {secret_id}"))


@secrets.command("rotate")
@click.option(
    "--store",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The credentials file to rotate (rewritten atomically, mode 0600).",
)
@click.option("--new-from-env", metavar="VAR", help="Use this variable's value as the new secret (default: random).")
@click.option("--store-command", help="Also run this command with the new secret on its stdin, once it works.")
@click.option(
    "--grace",
    type=click.FloatRange(0),
    default=2.0,
    show_default=True,
    help="Seconds between storing the new secret and revoking the old, for readers of the store to move on.",
)
@click.option("--dry-run", is_flag=True, help="Show the steps the rotation would take; change nothing.")
@click.pass_obj
def secrets_rotate(
    ctx: Context, store: Path, new_from_env: str | None, store_command: str | None, grace: float, dry_run: bool
) -> None:
    """Rotate the secret in a credentials file without downtime; safe to run again after a crash."""
    if dry_run:
        with _errors_as_exit_codes(ctx):
            credentials = Credentials.from_file(store)
            with ctx.ops(credentials) as ops:
                plan = jobs.rotation_plan(ops, credentials)
        _emit(ctx, {"dry_run": True, "plan": plan}, lambda: click.echo("\n".join(f"- {step}" for step in plan)))
        return
    new_secret = _read_secret(new_from_env, None, "") if new_from_env else None
    with _errors_as_exit_codes(ctx):
        result = jobs.rotate(
            store,
            new_secret=new_secret,
            ops_for=ctx.ops,
            after_store=jobs.store_command(store_command) if store_command else None,
            grace_seconds=grace,
        )

    def human() -> None:
        click.echo(f"rotated: now using {result.new_secret_id}")
        for secret_id in result.revoked:
            click.echo(f"revoked {secret_id} (the previous secret)")
        if result.made_room_by_revoking:
            click.echo(f"revoked {result.made_room_by_revoking} first, to make room (a key keeps at most two secrets)")

    _emit(ctx, result, human)


@secrets.command("audit")
@click.option("--max-age-days", type=click.FloatRange(0), required=True, help="Flag secrets older than this.")
@click.option(
    "--revoke",
    is_flag=True,
    help="Revoke the flagged secrets. Never the one in use, so it must be known: the only active secret, or the "
    "api_secret_id= line of the credentials file (rotation writes it), or $VONAGE_API_SECRET_ID.",
)
@click.pass_obj
def secrets_audit(ctx: Context, max_age_days: float, revoke: bool) -> None:
    """Flag secrets older than N days (exit 1 if any), except the one in use; --revoke revokes them (exit 0)."""
    with _errors_as_exit_codes(ctx):
        credentials = ctx.credentials()
        with ctx.ops(credentials) as ops:
            result = jobs.audit(ops, credentials, max_age_days=max_age_days, revoke=revoke)

    def flag(entry: jobs.SecretAge) -> str:
        if entry.secret.id in result.revoked:
            return "REVOKED"
        if entry.current:
            return "in use"
        return "OLD" if entry.flagged else ""

    def human() -> None:
        _table([[r.secret.id, f"{r.age_days:.1f}", flag(r)] for r in result.secrets], ["ID", "AGE (DAYS)", "FLAG"])
        if result.current is None:
            click.echo("(which secret is in use is unknown: the credentials have no api_secret_id line)")
        for entry in result.secrets:
            if entry.secret.id in result.revoked:
                click.echo(f"revoked {entry.secret.id} ({entry.age_days:.1f} days old)")

    document = {"secrets": list(result.secrets), "current": result.current, "revoked": list(result.revoked)}
    _emit(ctx, document, human)
    if result.flagged and not revoke:
        sys.exit(EXIT_CHECK_FAILED)


@main.command()
@click.option("--mo", "mo_callback_url", help="Inbound-SMS webhook (https; empty string unsets).")
@click.option("--dr", "dr_callback_url", help="Delivery-receipt webhook (https; empty string unsets).")
@click.option(
    "--forward-method",
    "http_forward_method",
    type=click.Choice(FORWARD_METHODS),
    help="How inbound messages reach the webhook (the API never shows it back).",
)
@click.option("--dry-run", is_flag=True, help="Show what the change would be; change nothing.")
@click.pass_obj
def settings(
    ctx: Context,
    mo_callback_url: str | None,
    dr_callback_url: str | None,
    http_forward_method: str | None,
    dry_run: bool,
) -> None:
    """Show the settings, or set the default webhooks (and forward method) and show the change."""
    with _errors_as_exit_codes(ctx), ctx.ops() as ops:
        before, after = jobs.set_webhooks(
            ops,
            mo_callback_url=mo_callback_url,
            dr_callback_url=dr_callback_url,
            http_forward_method=http_forward_method,
            dry_run=dry_run,
        )

    def human() -> None:
        for label, old, new in (
            ("inbound SMS", before.mo_callback_url, after.mo_callback_url),
            ("delivery receipts", before.dr_callback_url, after.dr_callback_url),
        ):
            change = f"{old or '-'} -> {new or '-'}" if old != new else (new or "-")
            click.echo(f"{label:<18} {change}")
        if http_forward_method:
            click.echo(f"{'forward method':<18} {http_forward_method}")
        click.echo(f"{'limits':<18} {after.max_calls_per_second} calls/s")
        if dry_run:
            click.echo("(dry run: nothing was changed)")

    document: dict[str, Any] = {"before": before, "after": after, "dry_run": dry_run}
    if http_forward_method:
        document["http_forward_method"] = http_forward_method
    _emit(ctx, document, human)


@main.group()
def senders() -> None:
    """Email senders for Verify V2."""


@senders.command("register")
@click.argument("email")
@click.option("--name", help="A name for the binding.")
@click.pass_obj
def senders_register(ctx: Context, email: str, name: str | None) -> None:
    """Register an email sender."""
    with _errors_as_exit_codes(ctx), ctx.ops() as ops:
        sender = ops.register_sender(email, name)
    _emit(ctx, sender.to_dict(), lambda: click.echo(f"registered {sender.value}"))


@main.command()
@click.argument("country", required=False)
@click.option("--prefix", help="A dialling prefix instead of a country.")
@click.option("--service", type=click.Choice(["sms", "sms-transit", "voice"]), default="sms", show_default=True)
@click.pass_obj
def pricing(ctx: Context, country: str | None, prefix: str | None, service: str) -> None:
    """Outbound prices: of a COUNTRY, of a --prefix, or of every country.

    ESTIMATE is the price of one message in `preflight`'s estimate: the dearest of the networks and the default.
    """
    with _errors_as_exit_codes(ctx), ctx.ops() as ops:
        countries = jobs.pricing(ops, country=country, prefix=prefix, service=service)

    def money(value: Decimal | None) -> str:
        return "-" if value is None else str(value)

    rows = [
        [
            c.country_code,
            c.country_name,
            c.dialing_prefix,
            money(c.default_price),
            money(c.estimate_price),
            str(len(c.networks)),
        ]
        for c in countries
    ]
    headers = ["CODE", "COUNTRY", "PREFIX", "EUR", "ESTIMATE", "NETWORKS"]
    # The API's own document of each country, and the price an estimate uses for it.
    documents = [{**c.answer.to_dict(), "estimatePrice": money(c.estimate_price)} for c in countries]
    _emit(ctx, documents, lambda: _table(rows, headers))


@main.command("mcp")
@click.option("--http", "use_http", is_flag=True, help="Serve Streamable HTTP at /mcp instead of stdio.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address for --http (loopback by default).")
@click.option(
    "--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port for --http (0: any)."
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file holding the bearer token --http requires (else $VONAGE_ACCOUNT_MCP_TOKEN; needed off loopback).",
)
@click.option(
    "--allowed-host", multiple=True, metavar="NAME", help="A Host name clients may use (DNS rebinding guard)."
)
@click.option(
    "--policy", "policy_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Policy file."
)
@click.option("--read-only", is_flag=True, help="List and allow only tools that change nothing.")
@click.option("--allow", multiple=True, metavar="TOOL", help="Allow only these tools (repeatable).")
@click.option("--deny", multiple=True, metavar="TOOL", help="Never allow this tool (repeatable).")
@click.option("--max-top-ups-per-day", type=click.IntRange(0), help="Top-ups in any 24 hours (default 1).")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the top-up counts survive restarts (default ~/.local/state/vonage-account/mcp).",
)
@click.option("--log-level", default="info", show_default=True, type=click.Choice(["debug", "info", "warning"]))
@click.pass_obj
def mcp_command(
    ctx: Context,
    use_http: bool,
    host: str,
    port: int,
    token_file: Path | None,
    allowed_host: tuple[str, ...],
    policy_file: Path | None,
    read_only: bool,
    allow: tuple[str, ...],
    deny: tuple[str, ...],
    max_top_ups_per_day: int | None,
    state_dir: Path | None,
    log_level: str,
) -> None:
    """Serve the Account API to AI agents over MCP (stdio by default), with the credentials kept out of their reach.

    The trx reference for top-ups comes from $VONAGE_TOP_UP_TRX or the policy file, never from the agent.
    """
    try:
        from vonage_account_ops.mcp_server import command
        from vonage_account_ops.mcp_server.tools import TOOL_NAMES
    except ImportError as error:
        _fail(
            f"the MCP server needs the mcp extra ({error.name} is missing): pip install 'vonage-account-mock[mcp]'",
            EXIT_USAGE,
        )
    try:
        policy = command.build_policy(
            policy_file=policy_file,
            tool_names=list(TOOL_NAMES),
            read_only=read_only,
            allow=allow,
            deny=deny,
            top_ups_per_day=max_top_ups_per_day,
            state_dir=state_dir,
        )
        token = command.http_token(token_file, host) if use_http else None
        source = ctx.source()
        server = command.make_server(
            source, policy, rest_url=ctx.rest_url, api_url=ctx.api_url, ca_bundle=ctx.ca_bundle, timeout=ctx.timeout
        )
        command.serve(
            server,
            use_http=use_http,
            host=host,
            port=port,
            token=token,
            allowed_hosts=allowed_host,
            log_level=log_level,
        )
    except (command.StartupError, CredentialsMissing) as error:
        _fail(str(error), EXIT_USAGE)
