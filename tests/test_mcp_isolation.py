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


# -- a session that provokes leaks -----------------------------------------------------------------------------------

LEAKY = 'Leak1"se/cret+x'
"""A secret whose plain, JSON-escaped, percent-encoded and base64 forms all differ."""
LEAKY_TRX = 'trx/leak+9f3a"77'


def _forms(value: str) -> list[str]:
    """Every form of a value an agent could read it in."""
    import base64
    from urllib.parse import quote, quote_plus

    raw = value.encode()
    return [
        value,
        json.dumps(value)[1:-1],
        quote(value, safe=""),
        quote_plus(value),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        base64.b64encode(f"{KEY}:{value}".encode()).decode(),
    ]


_LINKS = {"_links": {"self": {"href": "/accounts/x/secrets"}}}


def _row(secret_id: str, created_at: str) -> dict[str, Any]:
    return {"id": secret_id, "created_at": created_at, **_LINKS}


def _echoing_api(secrets_seen: list[str]) -> Any:
    """A fake Account API that puts every credential it is sent into its answers, errors and headers.

    It keeps the key's secrets (`id-old` is LEAKY at first) and names a new secret by its value, so the rotation's
    progress message ("now using <id>") carries the new secret.
    """
    import base64
    from urllib.parse import parse_qsl, quote

    import httpx

    secrets = {"id-old": LEAKY}

    def answer(request: httpx.Request) -> httpx.Response:
        basic = base64.b64decode(request.headers["authorization"].split()[1]).decode()
        secret = basic.split(":", 1)[1]
        secrets_seen.append(secret)
        echo = {
            "plain": secret,
            "basic": base64.b64encode(basic.encode()).decode(),
            "percent": quote(secret, safe=""),
            "note": f"authenticated with {secret}",
        }
        headers = {"X-Echo-Secret": quote(secret, safe="")}
        path, method = request.url.path, request.method
        if secret not in secrets.values():
            if path.startswith("/account/"):  # the rest host's error-code document
                return httpx.Response(401, json={"error-code": "401", "error-code-label": f"{secret} is wrong"})
            document = {"type": "about:blank", "title": "Unauthorized", "detail": f"{secret} is wrong", "instance": "i"}
            return httpx.Response(401, json=document, headers=headers)
        if path == "/account/get-balance":
            return httpx.Response(200, json={"value": 3.0, "autoReload": True, **echo}, headers=headers)
        if path == "/account/top-up":
            trx = dict(parse_qsl(request.content.decode())).get("trx", "")
            refused = {"trx": f"reference {trx} is not valid ({quote(trx, safe='')})"}
            bad: dict[str, Any] = {"type": "about:blank", "error_title": "Bad Request", "invalid_parameters": refused}
            return httpx.Response(400, json=bad, headers={"X-Echo-Trx": trx})
        if path.endswith("/secrets") and method == "GET":
            rows = [_row(secret_id, "2020-01-01T00:00:00Z") for secret_id in secrets]
            return httpx.Response(200, json={"_embedded": {"secrets": rows}, **_LINKS, **echo}, headers=headers)
        if path.endswith("/secrets") and method == "POST":
            created = json.loads(request.content)["secret"]
            secrets[created] = created
            return httpx.Response(201, json={**_row(created, "2026-01-01T00:00:00Z"), **echo})
        if "/secrets/" in path and method == "DELETE":
            secrets.pop(path.rsplit("/", 1)[1], None)
            return httpx.Response(204)
        problem = {
            "type": "about:blank",
            "title": "Not Found",
            "detail": f"nothing here for {secret} ({echo['basic']})",
            "instance": "797a8f199c45014ab7b08bfe9cc1c12c",
        }
        return httpx.Response(404, json=problem, headers=headers)

    return httpx.MockTransport(answer)


def test_a_leaky_upstream_never_gets_a_secret_past_the_server(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from vonage_account_ops.credentials import FileSource
    from vonage_account_ops.mcp_server.command import make_server
    from vonage_account_ops.mcp_server.policy import Policy

    store = tmp_path / "vonage.credentials"
    Credentials(KEY, LEAKY, api_secret_id="id-old").write(store)
    seen: list[str] = []
    policy = Policy(state_dir=tmp_path / "state", trx=LEAKY_TRX, rotation_grace_seconds=0)
    source = FileSource(store)
    server = make_server(
        source,
        policy,
        rest_url="http://rest.test",
        api_url="http://api.test",
        ca_bundle=None,
        transport=_echoing_api(seen),
    )
    agent = Agent.__new__(Agent)
    agent.store, agent.policy, agent.source, agent.server = store, policy, source, server
    caplog.set_level(logging.DEBUG)
    sent: list[str] = []
    outcomes: dict[str, bool] = {}

    async def session() -> None:
        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            sent.append(f"progress callback: {message}")

        calls: list[tuple[str, dict[str, Any]]] = [
            ("call_operation", {"operation_id": "get_balance"}),  # an answer holding the secret, every form
            ("call_operation", {"operation_id": "list_secrets"}),
            ("call_operation", {"operation_id": "get_country_pricing", "arguments": {"country": "GB"}}),
            ("top_up_if_below_floor", {"floor": "10"}),  # an error whose detail holds the trx
            ("get_pricing", {"country": "GB"}),  # an error whose detail holds the secret
            ("rotate_secret", {}),  # progress naming a "secret id" that is the new secret
        ]
        async with Client(recorded(agent, sent), mode="legacy") as client:
            for name, arguments in calls:
                result = await client.call_tool(name, arguments, progress_callback=on_progress)
                outcomes[name + json.dumps(arguments)] = not result.is_error
            await client.read_resource(SUMMARY_URI)

    try:
        run(session)
    finally:
        server.close()
    rotated_in = Credentials.from_file(store).api_secret
    assert rotated_in != LEAKY and rotated_in in seen, ("the session reached the rotation", outcomes, sent[-3:])
    assert outcomes['call_operation{"operation_id": "get_balance"}'] and outcomes["rotate_secret{}"]
    assert not outcomes['top_up_if_below_floor{"floor": "10"}']
    wire = "\n".join(sent)
    assert "is not valid" in wire and "nothing here for" in wire and "now using" in wire, "the leaks were provoked"
    assert "progress" in wire
    everything = "\n".join([wire, caplog.text])
    for value in (LEAKY, rotated_in, LEAKY_TRX):
        for form in _forms(value):
            where = everything.find(form)
            assert where < 0, (form, everything[max(0, where - 300) : where + 50])
