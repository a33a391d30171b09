"""The four jobs run end to end by a scripted agent that knows only what the server tells it.

The agent searches by intent, reads the input schema of the best match, fills in what it knows from the user's
request, and calls; when the server says an operation is for another tool, it reads that tool's schema from
`tools/list` and calls it instead. It never holds a credential.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.mcp_support import KEY, TRX, Agent, make_agent, run
from vonage_account_mock.testing import VonageMock


class ScriptedAgent:
    """An agent with one strategy: search, read the schema, call; follow `use_instead` to a named tool."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.steps: list[str] = []

    async def do(self, intent: str, facts: dict[str, Any]) -> dict[str, Any]:
        found = await self.client.call_tool("search_operations", {"query": intent, "limit": 3})
        assert found.structured_content is not None
        best = found.structured_content["operations"][0]
        if "use_instead" in best:
            tools = {t.name: t for t in (await self.client.list_tools()).tools}
            tool = tools[best["use_instead"]]
            arguments = self._fill(tool.input_schema, facts)
            self.steps.append(f"{best['operation_id']} -> {tool.name}")
            return await self._call(tool.name, arguments)
        arguments = self._fill(best["input_schema"], facts)
        self.steps.append(best["operation_id"])
        return await self._call("call_operation", {"operation_id": best["operation_id"], "arguments": arguments})

    @staticmethod
    def _fill(schema: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
        arguments = {name: facts[name] for name in schema.get("properties", {}) if name in facts}
        missing = [name for name in schema.get("required", []) if name not in arguments]
        assert not missing, f"the agent does not know {missing}"
        return arguments

    async def _call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        result = await self.client.call_tool(name, arguments)
        assert not result.is_error, result.content
        assert result.structured_content is not None
        answer: dict[str, Any] = result.structured_content
        return answer


@pytest.fixture
def agent(vonage_mock: VonageMock, tmp_path: Path) -> Agent:
    return make_agent(
        vonage_mock, tmp_path, balance="8.00", auto_reload={"enabled": True, "trx": TRX, "amount": "50.00"}
    )


def _script(agent: Agent, intent: str, facts: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    async def session() -> tuple[dict[str, Any], list[str]]:
        async with agent.session() as client:
            scripted = ScriptedAgent(client)
            return await scripted.do(intent, facts), scripted.steps

    return run(session)


def test_preflight_before_a_campaign(agent: Agent) -> None:
    answer, steps = _script(agent, "check the Vonage balance before the campaign", {})
    assert steps == ["get_balance"]
    assert answer == {"status": 200, "body": {"value": 8.0, "autoReload": True}}
    # The agent compares with the user's floor of 50 EUR itself: no-go.
    assert answer["body"]["value"] < 50


def test_rotating_the_secret(agent: Agent) -> None:
    old = agent.source.load()
    answer, steps = _script(agent, "rotate the API secret on my Vonage API key", {})
    assert steps == ["create_secret -> rotate_secret"]
    new = agent.source.load()
    assert answer["new_secret_id"] == new.api_secret_id != old.api_secret_id
    assert answer["revoked"] == [old.api_secret_id]
    listed, steps = _script(agent, "list all secrets attached to my Vonage account", {})
    assert steps == ["list_secrets"]
    assert [s["id"] for s in listed["body"]["_embedded"]["secrets"]] == [new.api_secret_id]


def test_pointing_the_webhooks_at_a_new_handler(agent: Agent) -> None:
    facts = {"moCallBackUrl": "https://hooks.example.com/inbound", "httpForwardMethod": "POST_JSON"}
    answer, steps = _script(agent, "point inbound SMS at my new handler", facts)
    assert steps == ["update_settings"]
    assert answer["status"] == 200 and answer["body"]["mo-callback-url"] == facts["moCallBackUrl"]
    settings = agent.mock.account(KEY)["settings"]
    assert settings["mo_callback_url"] == facts["moCallBackUrl"] and settings["http_forward_method"] == "POST_JSON"


def test_topping_up_under_the_floor(agent: Agent) -> None:
    answer, steps = _script(agent, "top up my Vonage credit from the linked auto-reload account", {"floor": "10"})
    assert steps == ["top_up -> top_up_if_below_floor"]
    assert answer == {"action": "topped_up", "balance_before": "8.00", "balance_after": "58.00", "dry_run": False}
    agent.mock.assert_called("top_up", times=1, account=KEY)
