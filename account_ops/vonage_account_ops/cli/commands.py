"""The `vonage-account` command group and its job commands: each parses its options, runs a job, formats the answer."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from vonage_account_ops import jobs
from vonage_account_ops.cli.framework import (
    AMOUNT,
    EXIT_CHECK_FAILED,
    PROG,
    VERSION_MESSAGE,
    CommandLine,
    Context,
    emit,
    errors_as_exit_codes,
    read_secret,
    table,
)
from vonage_account_ops.client import DEFAULT_TIMEOUT, FORWARD_METHODS, TIMEOUT_VARIABLE
from vonage_account_ops.credentials import (
    COMMAND_VARIABLE,
    FILE_VARIABLE,
    Credentials,
)


@click.group(cls=CommandLine)
@click.version_option(package_name="vonage-account-mock", prog_name=PROG, message=VERSION_MESSAGE)
@click.option(
    "--rest-url", envvar="VONAGE_REST_URL", help="Base URL of the rest host (default the real one; $VONAGE_REST_URL)."
)
@click.option(
    "--api-url", envvar="VONAGE_API_URL", help="Base URL of the api host (default the real one; $VONAGE_API_URL)."
)
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
    These options go before the command or after it: `vonage-account --json balance` = `vonage-account balance --json`.
    """
    click_ctx.obj = Context(rest_url, api_url, credentials, credentials_command, ca_bundle, as_json, timeout)


@main.command()
@click.pass_obj
def balance(ctx: Context) -> None:
    """Show the balance and whether auto-reload is on."""
    with errors_as_exit_codes(ctx), ctx.ops() as ops:
        info = ops.balance()
    emit(ctx, info, lambda: click.echo(f"{info.value} EUR (auto-reload {'on' if info.auto_reload else 'off'})"))


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
    with errors_as_exit_codes(ctx), ctx.ops() as ops:
        result = jobs.preflight(ops, floor=floor, country=country, messages=messages, service=service, margin=margin)
    emit(ctx, result, lambda: click.echo(f"{'OK' if result.ok else 'NOT OK'}: {result.reason}"))
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
    with errors_as_exit_codes(ctx), ctx.ops() as ops:
        if floor is None:
            result = jobs.top_up(ops, trx=trx)
        else:
            result = jobs.top_up_below_floor(ops, floor=floor, trx=trx, state=state)
    emit(
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
    with errors_as_exit_codes(ctx), ctx.ops() as ops:
        report = jobs.audit_secrets(ops, max_age_days=float("inf"))
    rows = [[r.secret.id, r.secret.created_at, f"{r.age_days:.1f}"] for r in report]
    emit(ctx, report, lambda: table(rows, ["ID", "CREATED", "AGE (DAYS)"]))


@secrets.command("create")
@click.option("--from-env", metavar="VAR", help="Read the new secret from this environment variable.")
@click.option("--from-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="... or a file.")
@click.pass_obj
def secrets_create(ctx: Context, from_env: str | None, from_file: Path | None) -> None:
    """Add a secret (never given on the command line: environment, file or prompt)."""
    value = read_secret(from_env, from_file, "New secret")
    with errors_as_exit_codes(ctx), ctx.ops() as ops:
        created = ops.create_secret(value)
    emit(ctx, created, lambda: click.echo(f"created {created.id}"))


@secrets.command("revoke")
@click.argument("secret_id")
@click.pass_obj
def secrets_revoke(ctx: Context, secret_id: str) -> None:
    """Revoke a secret by id (never the one the credentials use, when that is known)."""
    with errors_as_exit_codes(ctx):
        credentials = ctx.credentials()
        with ctx.ops(credentials) as ops:
            jobs.revoke(ops, credentials, secret_id, require_known=False)
    emit(ctx, {"revoked": secret_id}, lambda: click.echo(f"revoked {secret_id}"))


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
        with errors_as_exit_codes(ctx):
            credentials = Credentials.from_file(store)
            with ctx.ops(credentials) as ops:
                plan = jobs.rotation_plan(ops, credentials)
        emit(ctx, {"dry_run": True, "plan": plan}, lambda: click.echo("\n".join(f"- {step}" for step in plan)))
        return
    new_secret = read_secret(new_from_env, None, "") if new_from_env else None
    with errors_as_exit_codes(ctx):
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

    emit(ctx, result, human)


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
    with errors_as_exit_codes(ctx):
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
        table([[r.secret.id, f"{r.age_days:.1f}", flag(r)] for r in result.secrets], ["ID", "AGE (DAYS)", "FLAG"])
        if result.current is None:
            click.echo("(which secret is in use is unknown: the credentials have no api_secret_id line)")
        for entry in result.secrets:
            if entry.secret.id in result.revoked:
                click.echo(f"revoked {entry.secret.id} ({entry.age_days:.1f} days old)")

    document = {"secrets": list(result.secrets), "current": result.current, "revoked": list(result.revoked)}
    emit(ctx, document, human)
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
    with errors_as_exit_codes(ctx), ctx.ops() as ops:
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
    emit(ctx, document, human)


@main.group()
def senders() -> None:
    """Email senders for Verify V2."""


@senders.command("register")
@click.argument("email")
@click.option("--name", help="A name for the binding.")
@click.pass_obj
def senders_register(ctx: Context, email: str, name: str | None) -> None:
    """Register an email sender."""
    with errors_as_exit_codes(ctx), ctx.ops() as ops:
        sender = ops.register_sender(email, name)
    emit(ctx, sender.to_dict(), lambda: click.echo(f"registered {sender.value}"))


@main.command()
@click.argument("country", required=False)
@click.option("--prefix", help="A dialling prefix instead of a country.")
@click.option("--service", type=click.Choice(["sms", "sms-transit", "voice"]), default="sms", show_default=True)
@click.pass_obj
def pricing(ctx: Context, country: str | None, prefix: str | None, service: str) -> None:
    """Outbound prices: of a COUNTRY, of a --prefix, or of every country.

    ESTIMATE is the price of one message in `preflight`'s estimate: the dearest of the networks and the default.
    """
    with errors_as_exit_codes(ctx), ctx.ops() as ops:
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
    emit(ctx, documents, lambda: table(rows, headers))
