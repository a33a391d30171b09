"""The CLI's plumbing: shared options, one-line failures with their exit codes, amounts, JSON or human output."""

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
from vonage_account_ops.client import DEFAULT_TIMEOUT, AccountOps
from vonage_account_ops.credentials import (
    Credentials,
    CredentialsMissing,
    CredentialSource,
    credential_source,
)
from vonage_account_ops.errors import AccountError, JobRefused, OutcomeUnknown, next_step

EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_STORE_COMMAND = 6
PROG = "vonage-account"
VERSION_MESSAGE = "%(prog)s %(version)s"
"""`vonage-account 0.1.0`: the form `vonage-account-mock --version` prints too."""

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


def fail(message: str, code: int, kind: str = "usage-error", title: str = "Invalid usage") -> NoReturn:
    raise Failure(kind, title, message, code)


def report(failure: Failure, as_json: bool) -> NoReturn:
    """Print a failure (one line on stderr, or a JSON document on stdout with --json) and exit with its code."""
    if as_json:
        document = {"type": failure.kind, "title": failure.title, "detail": failure.detail}
        click.echo(json.dumps({"error": document, "exit_code": failure.exit_code}))
    else:
        # A usage error's title says nothing its detail does not.
        click.echo(f"error: {failure.detail if failure.kind == 'usage-error' else failure}", err=True)
    sys.exit(failure.exit_code)


def api_failure(error: AccountError, source: CredentialSource | None) -> Failure:
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
def errors_as_exit_codes(ctx: Context) -> Iterator[None]:
    """Turn the jobs' typed errors into failures: one line, a documented exit code, never a traceback."""
    try:
        yield
    except AccountError as error:
        try:
            source: CredentialSource | None = ctx.source()
        except CredentialsMissing:
            source = None
        raise api_failure(error, source) from None
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


_AFTER_THE_COMMAND = "vonage_account_ops.options_after_the_command"
# The group's options whose Context attribute is named otherwise.
_ATTRIBUTES = {"credentials": "credentials_file"}


def _given_after_the_command(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A group option given after the command: it wins over the group's value (or its variable)."""
    if value is None or value is False or param.name is None:
        return value
    ctx.meta.setdefault(_AFTER_THE_COMMAND, {})[param.name] = value
    shared = ctx.find_object(Context)
    if shared is not None:  # None only while `_asks_for_json` parses ahead
        setattr(shared, _ATTRIBUTES.get(param.name, param.name), value)
    return value


def _after_the_command(option: click.Option) -> click.Option:
    """A group option's copy for a subcommand: same flags and type, no default or variable, hidden from its help."""
    return click.Option(
        [option.name or "", *option.opts],
        type=None if option.is_flag else option.type,
        is_flag=option.is_flag,
        default=None,
        expose_value=False,
        hidden=True,
        callback=_given_after_the_command,
    )


def _tokens_after(ctx: click.Context) -> list[str]:
    # click before 9 keeps the command's name apart from the tokens after it.
    return [*getattr(ctx, "_protected_args", ()), *ctx.args]


class CommandLine(click.Group):
    """The command group, with usage errors and failures printed as one line (or JSON with --json).

    Its options are accepted after any command too (`vonage-account balance --json`): one rule, here, for every
    command, whoever registers it.
    """

    def accept_group_options_after_commands(self) -> None:
        """Give every command below the group a hidden copy of the group's options (once; commands with an option
        of the same name keep their own)."""
        shared = [p for p in self.params if isinstance(p, click.Option) and not p.is_eager]
        pending: list[click.Command] = list(self.commands.values())
        while pending:
            command = pending.pop()
            taken = {opt for param in command.params for opt in param.opts}
            command.params.extend(_after_the_command(o) for o in shared if not taken & set(o.opts))
            if isinstance(command, click.Group):
                pending.extend(command.commands.values())

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not getattr(self, "_accepts_group_options_after_commands", False):
            self.accept_group_options_after_commands()
            self._accepts_group_options_after_commands = True
        as_json = self._asks_for_json(argv)
        try:
            result = super().main(argv, prog_name or PROG, complete_var, standalone_mode=False, **extra)
        except Failure as failure:
            report(failure, as_json)
        except click.UsageError as error:
            command = error.ctx.command_path if error.ctx is not None else PROG
            message = f"{error.format_message()} (see '{command} --help')"
            report(Failure("usage-error", "Invalid usage", message, EXIT_USAGE), as_json)
        except click.ClickException as error:
            report(Failure("usage-error", "Invalid usage", error.format_message(), error.exit_code), as_json)
        except click.Abort:
            report(Failure("aborted", "Aborted", "stopped before finishing", EXIT_USAGE), as_json)
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)

    def _asks_for_json(self, argv: list[str]) -> bool:
        """Whether the group's --json is given: read by click's own parser (no callbacks, no errors), since a usage
        error can strike before the group's options are handed over, and an option's value may come first."""
        try:
            context = self.make_context(PROG, list(argv), resilient_parsing=True)
            if context.params.get("as_json"):
                return True
            command: click.Command | None = self
            current, rest = context, _tokens_after(context)
            while isinstance(command, click.Group) and rest:
                name, command, rest = command.resolve_command(current, rest)
                if command is None or name is None:
                    break
                current = command.make_context(name, rest, parent=current, resilient_parsing=True)
                rest = _tokens_after(current)
        except (click.ClickException, click.exceptions.Exit):
            return False
        return bool(context.meta.get(_AFTER_THE_COMMAND, {}).get("as_json"))


def plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def emit(ctx: Context, document: Any, human: Callable[[], None]) -> None:
    if ctx.as_json:
        click.echo(json.dumps(plain(document), indent=2))
    else:
        human()


def table(rows: list[list[str]], headers: list[str]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    for row in [headers, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip())


def read_secret(from_env: str | None, from_file: Path | None, prompt: str) -> str:
    if from_env:
        from_environment = os.environ.get(from_env)
        if not from_environment:
            fail(f"${from_env} is empty or unset", EXIT_USAGE)
        return from_environment
    if from_file:
        return from_file.read_text(encoding="utf-8").strip()
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))
