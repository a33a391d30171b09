"""Job 3, the default webhooks: inbound SMS and delivery receipts, https only, shown before and after."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from vonage_account_ops.client import FORWARD_METHODS, AccountOps, WebhookSettings


class InvalidWebhook(ValueError):
    """A webhook URL that is not an absolute https URL, or a forward method the API does not know."""


def check_https(url: str) -> str:
    """The URL, if it is an absolute https URL (an empty string, to unset, passes too)."""
    if url == "":
        return url
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or any(c.isspace() for c in url):
        raise InvalidWebhook(f"{url!r} is not an absolute https URL")
    return url


def check_forward_method(method: str) -> str:
    """The method, if it is one the API knows (GET_QUERY_PARAMS, POST_JSON, POST_QUERY_PARAMS)."""
    if method not in FORWARD_METHODS:
        raise InvalidWebhook(f"{method!r} is not a forward method: use one of {', '.join(FORWARD_METHODS)}")
    return method


def set_webhooks(
    ops: AccountOps,
    *,
    mo_callback_url: str | None = None,
    dr_callback_url: str | None = None,
    http_forward_method: str | None = None,
    dry_run: bool = False,
) -> tuple[WebhookSettings, WebhookSettings]:
    """Set the inbound-SMS and delivery-receipt webhooks (and the forward method); the settings before and after.

    None leaves a webhook alone, an empty string unsets it; with nothing given, the settings are only read. With
    `dry_run`, nothing is sent but the read: `after` is what the change would make of `before`.
    """
    for url in (mo_callback_url, dr_callback_url):
        if url is not None:
            check_https(url)
    if http_forward_method is not None:
        check_forward_method(http_forward_method)
    before = ops.settings()
    if dry_run:
        after = replace(
            before,
            mo_callback_url=before.mo_callback_url if mo_callback_url is None else (mo_callback_url or None),
            dr_callback_url=before.dr_callback_url if dr_callback_url is None else (dr_callback_url or None),
        )
        return before, after
    if mo_callback_url is None and dr_callback_url is None and http_forward_method is None:
        return before, before
    after = ops.settings(
        mo_callback_url=mo_callback_url, dr_callback_url=dr_callback_url, http_forward_method=http_forward_method
    )
    return before, after
