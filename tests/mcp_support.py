"""Helpers for the MCP server's tests: a server over the session's mock, and a client session in memory."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import anyio
from mcp import Client
from mcp.types import CallToolResult

from vonage_account_mock.testing import VonageMock
from vonage_account_ops.credentials import Credentials, CredentialSource, FileSource
from vonage_account_ops.mcp_server.command import make_server
from vonage_account_ops.mcp_server.policy import Policy
from vonage_account_ops.mcp_server.server import AccountMcpServer

T = TypeVar("T")
KEY = "mcpkey01"
SECRET = "Mcp1secret"
TRX = "5c0ffee0trx4mcptests000000000aa"


def run(function: Callable[[], Awaitable[T]]) -> T:
    """Run an async test body to completion."""
    return anyio.run(function)


@dataclass
class Agent:
    """A server over the test's mock with file credentials, and the calls a test makes to it."""

    mock: VonageMock
    store: Path
    policy: Policy
    source: CredentialSource
    server: AccountMcpServer = field(init=False)

    def __post_init__(self) -> None:
        self.server = self.build()

    def build(self, **policy_changes: Any) -> AccountMcpServer:
        """A (new) server over the same mock, credentials and state folder; `policy_changes` over the policy."""
        self.close()
        self.policy = replace(self.policy, **policy_changes)
        self.server = make_server(
            self.source, self.policy, rest_url=self.mock.url, api_url=self.mock.url, ca_bundle=None
        )
        return self.server

    def close(self) -> None:
        """Close the server's connections to the mock."""
        if hasattr(self, "server"):
            self.server.close()

    @asynccontextmanager
    async def session(self, **client_args: Any) -> AsyncIterator[Client]:
        """An MCP client session connected to the server in memory."""
        async with Client(self.server.server, **client_args) as client:
            yield client

    def call(self, name: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
        """One tool call in a session of its own."""

        async def call() -> CallToolResult:
            async with self.session() as client:
                return await client.call_tool(name, arguments or {})

        return run(call)

    def ok(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """A tool call that must succeed: its structured content."""
        result = self.call(name, arguments)
        assert not result.is_error, text_of(result)
        content: dict[str, Any] | None = result.structured_content
        assert content is not None
        return content

    def error(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """A tool call that must fail: its error document (title, detail, next_step, ...)."""
        result = self.call(name, arguments)
        assert result.is_error, text_of(result)
        assert result.structured_content is not None
        error: dict[str, Any] = result.structured_content["error"]
        assert error["next_step"] in text_of(result)
        return error


def text_of(result: CallToolResult) -> str:
    """The text content of a result."""
    return "\n".join(getattr(block, "text", "") for block in result.content)


def make_agent(
    mock: VonageMock, tmp_path: Path, *, secrets: tuple[str, ...] = (SECRET,), record_id: bool = True, **account: Any
) -> Agent:
    """Seed an account on the mock, write its credentials file (recording the secret's id), build the server."""
    seeded = mock.seed_account(KEY, secrets=secrets, **account)
    secret_id = mock.account(KEY)["secrets"][0]["id"] if record_id else None
    store = tmp_path / "vonage.credentials"
    Credentials(KEY, seeded.api_secret, api_secret_id=secret_id).write(store)
    policy = Policy(state_dir=tmp_path / "state", trx=TRX, rotation_grace_seconds=0)
    agent = Agent(mock, store, policy, FileSource(store))
    OPEN_AGENTS.append(agent)
    return agent


OPEN_AGENTS: list[Agent] = []
"""Agents made by the running test, closed at its end (tests/conftest.py)."""


def wire(document: Any) -> str:
    """A model or document as the JSON that crosses the wire."""
    if hasattr(document, "model_dump"):
        document = document.model_dump(by_alias=True, exclude_none=True, mode="json")
    return json.dumps(document)
