"""The commands that act on a mock already running: `send` (a callback to an account's webhook) and `reset`, by its
control API through the one control client; `snapshot` (in `snapshot_cli`) takes the same --url and --control-token.
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import dataclass, field
from typing import Any

import click

from vonage_account_mock.control.client import ControlClient, ControlUnreachable, NotAUrl
from vonage_account_mock.control.operations import ControlError

# -- triggering callbacks on a running mock -----------------------------------------------------------------------

NOT_DELIVERED = 3
"""Exit status when the mock sent the callback but the receiver did not accept it (retries go on)."""


@click.group()
def send() -> None:
    """Make a running mock send a callback to an account's webhook (exit 0 delivered, 1 refused, 3 not accepted)."""


def running_mock(command: Any) -> Any:
    """--url and --control-token: the running mock a script's command talks to, as the pytest plugin finds it."""
    command = click.option(
        "--url",
        envvar="VONAGE_ACCOUNT_MOCK_URL",
        default="http://127.0.0.1:8080",
        show_default=True,
        help="The running mock ($VONAGE_ACCOUNT_MOCK_URL).",
    )(command)
    return click.option(
        "--control-token",
        envvar="VONAGE_ACCOUNT_MOCK_CONTROL_TOKEN",
        help="The mock's control token, if it has one ($VONAGE_ACCOUNT_MOCK_CONTROL_TOKEN).",
    )(command)


@click.command()
@running_mock
@click.option("--api-key", help="Reset only this account (and its sub-accounts), its journal entries and fault plans.")
@click.option("--deterministic", type=click.IntRange(0), metavar="SEED", help="Reproducible ids and timestamps after.")
def reset(url: str, control_token: str | None, api_key: str | None, deterministic: int | None) -> None:
    """Reset a running mock to its seeded state: every account, the journal, fault plans, callbacks (exit 0 done,
    1 refused or unreachable, 2 usage)."""
    if api_key is not None and deterministic is not None:
        raise click.UsageError("--deterministic resets the whole mock: leave out --api-key")
    try:
        with ControlClient(url, control_token) as control:
            if api_key is None:
                control.reset(deterministic_seed=False if deterministic is None else deterministic)
            else:
                control.reset_account(api_key)
    except NotAUrl as error:
        raise click.ClickException(f"--url {error}") from None
    except ControlUnreachable as error:
        raise click.ClickException(f"{error} (--url or $VONAGE_ACCOUNT_MOCK_URL)") from None
    except ControlError as error:
        hint = "; give --control-token or $VONAGE_ACCOUNT_MOCK_CONTROL_TOKEN" if error.status in (401, 403) else ""
        raise click.ClickException(f"the mock refused ({error.status}): {error.detail}{hint}") from None
    click.echo(f"reset {'account ' + api_key if api_key else 'every account'} on {url.rstrip('/')}")


def _mock_options(command: Any) -> Any:
    """The options every `send` command shares (which mock, which account, how), handed on as one `target`."""

    @functools.wraps(command)
    def with_target(
        url: str, control_token: str | None, api_key: str, retries: int | None, as_json: bool, **fields: Any
    ) -> Any:
        return command(_Target(url, control_token, api_key, retries, as_json), **fields)

    with_target = running_mock(with_target)
    with_target = click.option("--api-key", default="abcd1234", show_default=True, help="The account.")(with_target)
    with_target = click.option(
        "--retries", type=click.IntRange(0, 100), help="At most this many retries (default: the full schedule)."
    )(with_target)
    return click.option("--json", "as_json", is_flag=True, help="Print the mock's whole answer as JSON.")(with_target)


@dataclass(frozen=True)
class _Target:
    """Where a `send` command sends: the mock, its token, the account, the retries, and how to print the answer."""

    url: str
    token: str | None = field(repr=False)
    api_key: str
    retries: int | None
    as_json: bool


class _SendFailed(click.ClickException):
    """A trigger the mock refused or could not take: one line, or the problem document with --json."""

    def __init__(self, message: str, as_json: bool, problem: Any = None) -> None:
        super().__init__(message)
        self.as_json = as_json
        self.problem = problem

    def show(self, file: Any = None) -> None:
        document = self.problem if isinstance(self.problem, dict) else {"title": "Send failed", "detail": self.message}
        click.echo(json.dumps({"error": document, "exit_code": self.exit_code}))


def _refusal(status: int, answer: Any, reason: str, api_key: str) -> str:
    """What the mock's problem document says, fields included, and what to do about a missing account."""
    problem = answer if isinstance(answer, dict) else {}
    detail = str(problem.get("detail") or reason)
    fields = problem.get("invalid_parameters") or []
    named = (
        [f"{f.get('name')}: {f.get('reason')}" for f in fields if isinstance(f, dict)]
        if isinstance(fields, list)
        else []
    )
    if named:
        detail += " (" + "; ".join(named) + ")"
    if status == 404 and "account" in detail.lower():
        detail += f": an account exists once seeded or once its key calls the Account API (e.g. {api_key}'s balance)"
    return f"the mock refused ({status}): {detail}"


def _trigger(target: _Target, kind: str, fields: dict[str, Any]) -> None:
    url, token, api_key, retries, as_json = target.url, target.token, target.api_key, target.retries, target.as_json
    body = {name: value for name, value in fields.items() if value is not None}
    try:
        # Above the mock's own bound on the wait (about one attempt's timeout, at most a minute).
        with ControlClient(url, token, timeout=90) as control:
            answer = control.send_callback(api_key, kind, body, retries)
    except NotAUrl as error:
        raise _SendFailed(f"--url {error}", as_json) from None
    except ControlUnreachable as error:
        raise _SendFailed(f"{error} (--url)", as_json) from None
    except ControlError as error:
        raise _SendFailed(
            _refusal(error.status, error.problem, error.detail, api_key), as_json, error.problem
        ) from None
    if not (isinstance(answer, dict) and "deliveries" in answer):
        raise _SendFailed(f"{url} did not answer as a vonage-account-mock does: is it one? (--url)", as_json)
    if as_json:
        click.echo(json.dumps(answer, indent=2))
    else:
        for delivery in answer["deliveries"]:
            attempt = delivery["attempts"][-1] if delivery["attempts"] else {}
            outcome = attempt.get("status") or attempt.get("error") or "not sent"
            request = delivery["request"]
            retry = delivery["next_attempt_in_s"]
            later = f", retry in {retry:g} s of service time" if retry is not None else ""
            click.echo(
                f"{delivery['id']} {request['method']} {request['url']} -> {outcome} ({delivery['state']}{later})"
            )
    if not answer["delivered"]:
        sys.exit(NOT_DELIVERED)


@send.command("inbound-sms")
@_mock_options
@click.option("--from", "from", required=True, help="The sender's number (becomes msisdn).")
@click.option("--to", required=True, help="The account's number it was sent to.")
@click.option("--text", help="The message; split into parts when longer than one SMS.")
@click.option("--type", "type", type=click.Choice(["text", "unicode", "binary"]), help="Default: from the text.")
@click.option("--keyword", help="Default: the first word, upper-cased.")
@click.option("--message-id", help="16 upper-case hex characters (default: a new one).")
def send_inbound_sms(target: _Target, **fields: str | None) -> None:
    """Send an inbound SMS to the account's moCallBackUrl."""
    _trigger(target, "inbound-sms", fields)


@send.command("delivery-receipt")
@_mock_options
@click.option("--message-id", help="16 upper-case hex characters (default: a new one).")
@click.option("--msisdn", help="The number the message was sent to.")
@click.option("--to", help="The sender id it was sent from.")
@click.option(
    "--status",
    type=click.Choice(["delivered", "expired", "failed", "rejected", "accepted", "buffered", "unknown"]),
    help="Default: delivered.",
)
@click.option("--err-code", help="Default: 0 when delivered.")
@click.option("--price", help="e.g. 0.03330000")
@click.option("--network-code", help="MCCMNC, e.g. 23410")
@click.option("--client-ref", help="Only sent when given.")
def send_delivery_receipt(target: _Target, **fields: str | None) -> None:
    """Send a delivery receipt to the account's drCallBackUrl."""
    _trigger(target, "delivery-receipt", fields)
