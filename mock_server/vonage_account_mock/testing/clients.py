"""Generated-client instances bound to a mock: over a URL, or in-process with no port at all."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from vonage_account_client import AuthenticatedClient

from vonage_account_mock.testing.transport import InProcessTransport

IN_PROCESS_URL = "http://vonage-account-mock.invalid"


def basic_header(api_key: str, api_secret: str) -> str:
    """The `Authorization` value for HTTP Basic with a key/secret pair."""
    return "Basic " + base64.b64encode(f"{api_key}:{api_secret}".encode()).decode()


def account_client(base_url: str, api_key: str, api_secret: str, **httpx_args: Any) -> AuthenticatedClient:
    """A generated client sending Basic auth to `base_url` (the credentials go through `httpx_args`)."""
    # The generator models any security as a bearer token; the Basic pair rides on httpx's own auth.
    verify = httpx_args.pop("verify", True)
    return AuthenticatedClient(
        base_url=base_url,
        token="",
        prefix="",
        verify_ssl=verify,
        raise_on_unexpected_status=True,
        httpx_args={"auth": (api_key, api_secret), **httpx_args},
    )


def in_process_client(app: Any, api_key: str, api_secret: str) -> AuthenticatedClient:
    """A generated client whose requests go straight into `app` (no socket)."""
    return account_client(IN_PROCESS_URL, api_key, api_secret, transport=InProcessTransport(app))


def in_process_http(app: Any, **httpx_args: Any) -> httpx.Client:
    """A plain httpx client whose requests go straight into `app`."""
    return httpx.Client(base_url=IN_PROCESS_URL, transport=InProcessTransport(app), **httpx_args)
