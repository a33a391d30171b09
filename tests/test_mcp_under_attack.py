"""The MCP server under races and hostile upstreams: one top-up per dip, one rotation at a time, no reference leaked."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import anyio
import httpx
import pytest
from mcp.types import CallToolResult

from tests.mcp_support import KEY, SECRET, TRX, Agent, make_agent, run, text_of, wire
from vonage_account_mock.testing import VonageMock
from vonage_account_ops.credentials import FileSource
from vonage_account_ops.mcp_server.command import make_server
from vonage_account_ops.mcp_server.policy import Guard, GuardrailRefused, Policy, RateLimit


def _concurrently(agent: Agent, name: str, arguments: list[dict[str, Any]]) -> list[CallToolResult]:
    """Every call in one session, all under way at once."""

    async def calls() -> list[CallToolResult]:
        results: list[CallToolResult | None] = [None] * len(arguments)
        async with agent.session() as client:

            async def one(index: int) -> None:
                results[index] = await client.call_tool(name, arguments[index])

            async with anyio.create_task_group() as group:
                for index in range(len(arguments)):
                    group.start_soon(one, index)
        return [r for r in results if r is not None]

    return run(calls)


@pytest.fixture
def low_balance(vonage_mock: VonageMock, tmp_path: Path) -> Agent:
    agent = make_agent(
        vonage_mock, tmp_path, balance="3.00", auto_reload={"enabled": True, "trx": TRX, "amount": "25.00"}
    )
    agent.build(top_ups_per_day=3)
    # Slow balances, so that the calls overlap between reading the dip record and writing it.
    vonage_mock.fault("get_balance", delay_ms=50)
    return agent


def test_concurrent_top_ups_make_one_payment_and_no_internal_error(low_balance: Agent) -> None:
    results = _concurrently(low_balance, "top_up_if_below_floor", [{"floor": "10"}] * 9)
    texts = [text_of(r) for r in results]
    assert not [t for t in texts if "Internal error" in t], texts
    actions = [r.structured_content["action"] for r in results if not r.is_error and r.structured_content]
    assert actions.count("topped_up") == 1, texts
    low_balance.mock.assert_called("top_up", times=1)
    assert low_balance.mock.balance(KEY) == 28


def test_a_top_up_of_unknown_outcome_is_not_given_back_to_the_daily_count(
    vonage_mock: VonageMock, tmp_path: Path
) -> None:
    agent = make_agent(vonage_mock, tmp_path, balance="3.00", auto_reload={"enabled": True, "trx": TRX, "amount": "25"})
    vonage_mock.fault("top_up", status=500, times=1)
    unknown = agent.error("top_up_if_below_floor", {"floor": "10"})
    assert unknown["title"] == "Outcome unknown" and "check the balance" in unknown["detail"]
    assert "do not" in unknown["next_step"]
    vonage_mock.assert_called("top_up", times=1)  # sent once, not retried
    # It may have been a payment: the day's one top-up is used, and the dip is recorded as topped up.
    with pytest.raises(GuardrailRefused):
        Guard(agent.policy).check_top_up()
    assert agent.ok("top_up_if_below_floor", {"floor": "10"})["action"] == "already_topped_up"
    vonage_mock.assert_called("top_up", times=1)


def test_concurrent_rotations_rotate_once_and_nothing_fails_to_authenticate(agent_two_secrets: Agent) -> None:
    agent = agent_two_secrets
    results = _concurrently(agent, "rotate_secret", [{}] * 6)
    ok = [r for r in results if not r.is_error]
    refused = [r for r in results if r.is_error]
    assert len(ok) == 1, [text_of(r) for r in results]
    for result in refused:
        assert result.structured_content is not None
        error = result.structured_content["error"]
        assert error["title"] == "Rotation in progress", error
    stored = agent.source.load()
    assert [s["id"] for s in agent.mock.account(KEY)["secrets"]] == [stored.api_secret_id]
    agent.mock.assert_called("create_secret", 1)
    assert agent.ok("check_balance")["balance"] == "10.00"  # the stored secret authenticates


@pytest.fixture
def agent_two_secrets(vonage_mock: VonageMock, tmp_path: Path) -> Agent:
    agent = make_agent(vonage_mock, tmp_path, secrets=(SECRET, "Spare1secret"))
    agent.build(rotation_grace_seconds=0.3)
    return agent


# -- what the agent may never see ------------------------------------------------------------------------------------


def _echoing(answer: Callable[[httpx.Request], httpx.Response], tmp_path: Path, **policy: Any) -> Agent:
    """An agent whose API hosts are a fake that answers with `answer`."""
    store = tmp_path / "vonage.credentials"
    from vonage_account_ops.credentials import Credentials

    Credentials(KEY, SECRET, api_secret_id="id-1").write(store)
    settings = Policy(state_dir=tmp_path / "state", trx=TRX, rotation_grace_seconds=0, **policy)
    agent = Agent.__new__(Agent)
    agent.store, agent.policy, agent.source = store, settings, FileSource(store)
    agent.server = make_server(
        agent.source,
        settings,
        rest_url="http://rest.test",
        api_url="http://api.test",
        ca_bundle=None,
        transport=httpx.MockTransport(answer),
    )
    return agent


def test_a_trx_echoed_by_the_api_never_reaches_the_agent(tmp_path: Path) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/account/get-balance":
            return httpx.Response(200, json={"value": 3.0, "autoReload": True})
        sent = dict(parse_qsl(request.content.decode()))["trx"]
        return httpx.Response(
            400,
            json={
                "type": "https://developer.nexmo.com/api-errors#bad-request",
                "error_title": "Bad Request",
                "invalid_parameters": {"trx": f"reference {sent} is not valid"},
            },
            headers={"X-Echo": sent},
        )

    agent = _echoing(answer, tmp_path)
    try:
        result = agent.call("top_up_if_below_floor", {"floor": "10"})
    finally:
        agent.server.close()
    assert result.is_error
    seen = wire(result)
    assert "is not valid" in seen, "the API's words are shown"
    for form in (TRX, quote(TRX), base64.b64encode(TRX.encode()).decode().rstrip("=")):
        assert form not in seen


def test_the_http_token_is_never_shown(tmp_path: Path) -> None:
    token = "tok-" + "7" * 28

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"value": 3.0, "autoReload": False, "note": f"token {token}"})

    agent = _echoing(answer, tmp_path)
    agent.server.http_app(host="127.0.0.1", token=token)
    try:
        # call_operation hands on the API's whole answer, the note among it.
        seen = wire(agent.call("call_operation", {"operation_id": "get_balance"}))
        assert "token [redacted]" in seen and token not in seen
    finally:
        agent.server.close()


# -- bounds ----------------------------------------------------------------------------------------------------------


def test_a_call_operation_rate_limit_in_the_policy_holds(vonage_mock: VonageMock, tmp_path: Path) -> None:
    agent = make_agent(vonage_mock, tmp_path)
    agent.build(limits={"call_operation": RateLimit(1, 3600)})
    first = agent.call("call_operation", {"operation_id": "get_balance"})
    assert not first.is_error, text_of(first)
    second = agent.error("call_operation", {"operation_id": "get_balance"})
    assert second["type"].endswith("rate-limited") and "call_operation" in second["detail"]
    vonage_mock.assert_called("get_balance", times=1)


# -- the state folder ------------------------------------------------------------------------------------------------


def test_a_planted_link_in_the_state_folder_is_not_followed(low_balance: Agent, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    state = low_balance.policy.state_dir
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in (".top-ups.json.tmp", ".top-up.json.tmp"):
        (state / name).symlink_to(victim)
    assert low_balance.ok("top_up_if_below_floor", {"floor": "10"})["action"] == "topped_up"
    assert victim.read_text() == "precious\n"
    assert not (state / "top-ups.json").is_symlink()


def test_a_state_folder_others_can_write_is_refused(low_balance: Agent) -> None:
    state = low_balance.policy.state_dir
    state.mkdir(parents=True, exist_ok=True)
    os.chmod(state, 0o777)
    refused = low_balance.error("top_up_if_below_floor", {"floor": "10"})
    assert "chmod go-w" in refused["detail"] or "chmod go-w" in refused["next_step"], refused
    low_balance.mock.assert_not_called("top_up")
