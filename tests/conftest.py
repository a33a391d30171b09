"""Fixtures: the mock in-process and over a threaded server, with generated clients bound to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from vonage_account_client import AuthenticatedClient

from vonage_account_mock import AccountBackend, create_app
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_mock.testing.clients import IN_PROCESS_URL, account_client, in_process_client, in_process_http

KEY = "abcd1234"
SECRET = "Initial1secret"


@dataclass
class Mock:
    """One mock under test, reachable in-process or over a socket."""

    app: Any
    base_url: str
    in_process: bool
    _clients: list[AuthenticatedClient] = field(default_factory=list)

    @property
    def backend(self) -> AccountBackend:
        backend: AccountBackend = self.app.backend
        return backend

    def client(self, api_key: str = KEY, api_secret: str = SECRET) -> AuthenticatedClient:
        """A generated client with these credentials."""
        if self.in_process:
            client = in_process_client(self.app, api_key, api_secret)
        else:
            client = account_client(self.base_url, api_key, api_secret)
        self._clients.append(client)
        return client

    def http(self) -> httpx.Client:
        """A raw HTTP client, for requests no generated client would send (use it in a `with`)."""
        if self.in_process:
            return in_process_http(self.app)
        return httpx.Client(base_url=self.base_url)


@pytest.fixture(scope="session")
def threaded_server() -> Iterator[ThreadedMockServer]:
    with ThreadedMockServer(create_app()) as server:
        yield server


@pytest.fixture(scope="session")
def in_process_app() -> Any:
    return create_app()


@pytest.fixture(params=["in-process", "threaded"])
def mock(request: pytest.FixtureRequest) -> Iterator[Mock]:
    """The mock with fresh state, once in-process and once over the threaded server."""
    if request.param == "in-process":
        app = request.getfixturevalue("in_process_app")
        app.control.reset(deterministic_seed=None)
        handle = Mock(app=app, base_url=IN_PROCESS_URL, in_process=True)
    else:
        server: ThreadedMockServer = request.getfixturevalue("threaded_server")
        server.app.control.reset(deterministic_seed=None)
        handle = Mock(app=server.app, base_url=server.url, in_process=False)
    yield handle
    for client in handle._clients:
        client.get_httpx_client().close()


@pytest.fixture
def app() -> Any:
    """A fresh in-process mock app."""
    return create_app()


pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _close_mcp_agents() -> Iterator[None]:
    """Close the MCP servers a test made (their connections to the mock)."""
    yield
    from tests import mcp_support

    while mcp_support.OPEN_AGENTS:
        mcp_support.OPEN_AGENTS.pop().close()
