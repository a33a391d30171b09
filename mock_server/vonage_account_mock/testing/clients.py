"""Generated-client instances bound to a mock: over a URL, or in-process with no port at all."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from attrs import define, field
from vonage_account_client import AuthenticatedClient

from vonage_account_mock.testing.transport import InProcessTransport

IN_PROCESS_URL = "http://vonage-account-mock.invalid"


def basic_header(api_key: str, api_secret: str) -> str:
    """The `Authorization` value for HTTP Basic with a key/secret pair."""
    return "Basic " + base64.b64encode(f"{api_key}:{api_secret}".encode()).decode()


@define
class AccountClient(AuthenticatedClient):
    """The generated client, whose repr names the mock and the api_key but never shows a credential.

    The generated class's repr lists every field, `httpx_args` included, where the credentials are; a test that
    prints a client, or fails with one in its locals, must not put a secret in the CI log.
    """

    api_key: str = field(default="", kw_only=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, api_key={self.api_key!r})"


def account_client(base_url: str, api_key: str, api_secret: str, **httpx_args: Any) -> AccountClient:
    """A generated client sending Basic auth to `base_url` (the credentials go through `httpx_args`)."""
    # The generator models any security as a bearer token; the Basic pair rides on httpx's own auth, as an object
    # whose repr shows no secret either.
    verify = httpx_args.pop("verify", True)
    return AccountClient(
        base_url=base_url,
        token="",
        prefix="",
        verify_ssl=verify,
        raise_on_unexpected_status=True,
        httpx_args={"auth": httpx.BasicAuth(api_key, api_secret), **httpx_args},
        api_key=api_key,
    )


def in_process_client(app: Any, api_key: str, api_secret: str) -> AccountClient:
    """A generated client whose requests go straight into `app` (no socket)."""
    return account_client(IN_PROCESS_URL, api_key, api_secret, transport=InProcessTransport(app))


def in_process_http(app: Any, **httpx_args: Any) -> httpx.Client:
    """A plain httpx client whose requests go straight into `app`."""
    return httpx.Client(base_url=IN_PROCESS_URL, transport=InProcessTransport(app), **httpx_args)
