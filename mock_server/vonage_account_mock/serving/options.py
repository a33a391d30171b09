"""`vonage-account-mock serve`'s option groups: each group of flags builds one of the config objects the mock has
(ConnectionLimits, ShapeLimits, DeliveryPolicy), with the object's own defaults shown in the help."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from vonage_account_mock.callbacks.delivery import DEFAULT_TIME_SCALE, DeliveryPolicy
from vonage_account_mock.callbacks.targets import AllowList

# (flag, field, type, help): the default and the shown default come from the config object's own.
CONNECTION_OPTIONS: tuple[tuple[str, str, Any, str], ...] = (
    (
        "--max-header-bytes",
        "max_header_bytes",
        click.IntRange(1024),
        "Request line and headers; larger requests get 431.",
    ),
    (
        "--header-timeout",
        "header_timeout",
        click.FloatRange(0.1),
        "Seconds a client may take to send a request's headers (from its first byte, or from connecting).",
    ),
    ("--body-timeout", "body_timeout", click.FloatRange(0.1), "Seconds a request's body may go without a new byte."),
    (
        "--keep-alive-timeout",
        "keep_alive_timeout",
        click.FloatRange(1),
        "Seconds an idle keep-alive connection stays open.",
    ),
    (
        "--max-connections",
        "max_connections",
        click.IntRange(1),
        "Open connections at once; one more is closed straight away.",
    ),
)
SHAPE_OPTIONS: tuple[tuple[str, str, Any, str], ...] = (
    (
        "--max-query-parameters",
        "max_query_parameters",
        click.IntRange(1),
        "Query parameters a request may carry (400 beyond).",
    ),
    ("--max-form-fields", "max_form_fields", click.IntRange(1), "Fields a form body may carry (400 beyond)."),
    ("--max-json-depth", "max_json_depth", click.IntRange(1), "How deep a JSON body may nest (400 beyond)."),
    (
        "--max-integer-digits",
        "max_integer_digits",
        click.IntRange(1),
        "Digits of an integer in a JSON body (400 beyond).",
    ),
)
CALLBACK_OPTIONS: tuple[tuple[str, str, Any, str], ...] = (
    (
        "--callback-timeout",
        "timeout",
        click.FloatRange(0.1, 60),
        "Seconds one callback attempt may take before it counts as failed and is retried.",
    ),
    (
        "--callback-max-pending",
        "max_pending",
        click.IntRange(1, 100_000),
        "Callbacks pending at once (being sent or awaiting a retry), a quarter of them per account; a trigger beyond "
        "either is refused (503).",
    ),
)


def delivery_policy(
    *,
    timeout: float,
    max_pending: int,
    callback_hour: float,
    callback_allow_hosts: tuple[str, ...],
    callback_ca_bundle: Path | None,
) -> DeliveryPolicy:
    try:
        allow = AllowList.parse(callback_allow_hosts)
    except ValueError as error:
        detail = str(error).removeprefix("--callback-allow-host ")
        raise click.BadParameter(detail, param_hint="'--callback-allow-host'") from None
    return DeliveryPolicy(
        time_scale=callback_hour / 3600,
        timeout=timeout,
        max_pending=max_pending,
        allow=allow,
        ca_bundle=str(callback_ca_bundle) if callback_ca_bundle else None,
    )


DELIVERY_EXTRA = (
    (
        "callback_allow_hosts",
        click.option(
            "--callback-allow-host",
            "callback_allow_hosts",
            multiple=True,
            metavar="NAME|ADDRESS|NETWORK",
            help="A webhook host the mock may call back besides loopback addresses (repeatable; e.g. 10.0.0.0/8).",
        ),
    ),
    (
        "callback_ca_bundle",
        click.option(
            "--callback-ca-bundle",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="A CA file to trust for https webhooks (e.g. a local CA's), besides the system's.",
        ),
    ),
    (
        "callback_hour",
        click.option(
            "--callback-hour",
            default=round(DEFAULT_TIME_SCALE * 3600, 3),
            show_default=True,
            type=click.FloatRange(0.001, 3600),
            help="Wall seconds an hour of the service's retry schedule takes (3600: the real pace, about 24 hours).",
        ),
    ),
)


def grouped(
    name: str,
    config: Any,
    table: tuple[tuple[str, str, Any, str], ...],
    *,
    build: Callable[..., Any] | None = None,
    extra: tuple[tuple[str, Any], ...] = (),
) -> Callable[[Any], Any]:
    """Options that become one keyword argument `name`, a `config` object (a dataclass) made by `build`.

    Each `(flag, field, type, help)` of `table` is an option for the config's `field`, its default the config's own;
    `extra` are `(name, option)` pairs that `build` takes besides (default `build`: the config class itself).
    """
    make = build or config
    defaults = config.__dataclass_fields__
    taken = [field for _, field, _, _ in table] + [key for key, _ in extra]

    def decorate(command: Any) -> Any:
        @functools.wraps(command)
        def with_group(**kwargs: Any) -> Any:
            kwargs[name] = make(**{key: kwargs.pop(key) for key in taken})
            return command(**kwargs)

        for _, option in reversed(extra):
            with_group = option(with_group)
        for flag, field, kind, help_text in reversed(table):
            option = click.option(
                flag, field, default=defaults[field].default, show_default=True, type=kind, help=help_text
            )
            with_group = option(with_group)
        return with_group

    return decorate
