"""Credential isolation: a whole agent session, every message the server sends and every log line, scanned for every
secret value the session ever touched."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.shared.memory import create_client_server_memory_streams
from mcp.shared.message import SessionMessage

from tests.mcp_support import KEY, SECRET, TRX, Agent, make_agent, run
from vonage_account_mock.testing import VonageMock
from vonage_account_ops.credentials import Credentials
from vonage_account_ops.mcp_server.redaction import REDACTED, Redactor
from vonage_account_ops.mcp_server.server import SPEC_URI, SUMMARY_URI

SPARE = "Spare1secret"
SUB_SECRET = "Sub1secretQQ"
AGENT_OFFERED = "Offered1secretX"


class _Recorded:
    """A receive stream that keeps a JSON copy of every message passing through it."""

    def __init__(self, inner: Any, log: list[str]) -> None:
        self._inner = inner
        self._log = log

    async def receive(self) -> Any:
        item = await self._inner.receive()
        if isinstance(item, SessionMessage):
            self._log.append(json.dumps(item.message.model_dump(by_alias=True, mode="json", exclude_none=True)))
        else:
            self._log.append(repr(item))
        return item

    def __aiter__(self) -> _Recorded:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _Recorded:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@asynccontextmanager
async def recorded(agent: Agent, log: list[str]) -> AsyncIterator[tuple[Any, Any]]:
    """A transport to the server in memory that records everything the server sends."""
    server = agent.server.server
    async with create_client_server_memory_streams() as ((client_read, client_write), (server_read, server_write)):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(server.run, server_read, server_write, server.create_initialization_options())
            yield _Recorded(client_read, log), client_write
            tasks.cancel_scope.cancel()


def test_no_secret_value_leaves_the_server_in_a_whole_session(
    vonage_mock: VonageMock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    agent = make_agent(
        vonage_mock,
        tmp_path,
        secrets=(SECRET, SPARE),
        balance="5.00",
        auto_reload={"enabled": True, "trx": TRX, "amount": "20.00"},
    )
    vonage_mock.seed_account("subacc88", secrets=[SUB_SECRET], primary=KEY)
    spare_id = vonage_mock.account(KEY)["secrets"][1]["id"]
    caplog.set_level(logging.DEBUG)
    sent: list[str] = []
    outcomes: dict[str, bool] = {}

    async def session() -> None:
        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            sent.append(f"progress callback: {message}")

        async with Client(recorded(agent, sent), mode="legacy") as client:
            await client.list_tools()
            await client.list_resources()
            await client.list_prompts()
            await client.get_prompt("rotate_api_secret", {})
            for uri in (SPEC_URI, SUMMARY_URI):
                await client.read_resource(uri)
            calls: list[tuple[str, dict[str, Any]]] = [
                ("search_operations", {"query": "rotate the API secret"}),
                ("search_operations", {"query": "list all secrets attached to my Vonage account"}),
                ("call_operation", {"operation_id": "list_secrets"}),
                ("call_operation", {"operation_id": "list_secrets", "arguments": {"api_key": "subacc88"}}),
                ("call_operation", {"operation_id": "create_secret", "arguments": {"secret": AGENT_OFFERED}}),
                ("call_operation", {"operation_id": "get_balance", "arguments": {"api_secret": AGENT_OFFERED}}),
                ("check_balance", {}),
                ("preflight_check", {"floor": "50", "country": "GB", "messages": 1000}),
                ("top_up_if_below_floor", {"floor": "10", "dry_run": True}),
                ("top_up_if_below_floor", {"floor": "10"}),
                ("get_webhooks", {}),
                ("set_webhooks", {"mo_callback_url": "https://example.com/in", "http_forward_method": "POST_JSON"}),
                ("list_secrets", {}),
                ("audit_secrets", {"max_age_days": 0}),
                ("get_pricing", {"country": "GB"}),
                ("register_sender", {"email": "ops@example.com"}),
                ("revoke_secret", {"secret_id": "no-such-id"}),
                ("rotate_secret", {"dry_run": True}),
                ("rotate_secret", {}),
                ("revoke_secret", {"secret_id": spare_id}),
                ("list_secrets", {}),
            ]
            for name, arguments in calls:
                result = await client.call_tool(name, arguments, progress_callback=on_progress)
                outcomes[f"{name} {json.dumps(arguments)}"] = not result.is_error
            # Failures at the end: the stored secret no longer authenticates.
            stored = Credentials.from_file(agent.store)
            Credentials(KEY, "Wrong1secretZ", api_secret_id=stored.api_secret_id).write(agent.store)
            failed = await client.call_tool("check_balance", {})
            outcomes["check_balance with wrong credentials"] = not failed.is_error
            Credentials(stored.api_key, stored.api_secret, api_secret_id=stored.api_secret_id).write(agent.store)

    run(session)
    rotated_in = Credentials.from_file(agent.store).api_secret
    assert rotated_in not in (SECRET, SPARE)
    # The session reached what it set out to: successes and refusals where they belong.
    assert outcomes["rotate_secret {}"] and outcomes['top_up_if_below_floor {"floor": "10"}']
    assert sorted(call for call, ok in outcomes.items() if not ok) == [
        'call_operation {"operation_id": "create_secret", "arguments": {"secret": "Offered1secretX"}}',
        'call_operation {"operation_id": "get_balance", "arguments": {"api_secret": "Offered1secretX"}}',
        "check_balance with wrong credentials",
        # The rotation revoked the spare secret to make room for the new one.
        f'revoke_secret {{"secret_id": "{spare_id}"}}',
        'revoke_secret {"secret_id": "no-such-id"}',
    ]
    assert any("notifications/progress" in message for message in sent)
    everything = "\n".join([*sent, caplog.text])
    for secret in (SECRET, SPARE, SUB_SECRET, rotated_in, AGENT_OFFERED, TRX, "Wrong1secretZ"):
        where = everything.find(secret)
        assert where < 0, everything[max(0, where - 300) : where + 50]
    assert "tool=rotate_secret outcome=ok" in caplog.text


def test_the_redactor_finds_secrets_at_any_depth_and_in_any_text() -> None:
    redactor = Redactor(["Known1secret"])
    document = {
        "secrets": [{"id": "a", "secret": "Nested1secret"}, {"id": "b", "Api_Secret": "Other1secret"}],
        "detail": "the value Known1secret was refused",
        "deep": [[{"password": 123}]],
        "trx": "8ef2",
    }
    cleaned = redactor.document(document)
    assert cleaned == {
        "secrets": [{"id": "a", "secret": REDACTED}, {"id": "b", "Api_Secret": REDACTED}],
        "detail": f"the value {REDACTED} was refused",
        "deep": [[{"password": REDACTED}]],
        "trx": REDACTED,
    }
    # A value once seen under a secret key is cut out of any later text too.
    assert redactor.text("echo Nested1secret and Other1secret") == f"echo {REDACTED} and {REDACTED}"
