"""The tools at their edges: refused amounts in these words, progress out of a known total, secrets learnt later."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from tests.mcp_support import KEY, SECRET, Agent, make_agent, run, text_of
from vonage_account_mock.testing import VonageMock
from vonage_account_ops.client import AccountOps
from vonage_account_ops.credentials import Credentials
from vonage_account_ops.mcp_server.policy import Guard
from vonage_account_ops.mcp_server.redaction import REDACTED
from vonage_account_ops.mcp_server.tools import AgentTools


@pytest.fixture
def agent(vonage_mock: VonageMock, tmp_path: Path) -> Agent:
    return make_agent(vonage_mock, tmp_path, balance="60.00")


@pytest.mark.parametrize(
    ("arguments", "name"), [({"floor": "-1"}, "floor"), ({"floor": 5, "margin": "lots"}, "margin")]
)
def test_an_amount_that_is_no_amount_is_refused_saying_how_to_fix_it(
    agent: Agent, arguments: dict[str, Any], name: str
) -> None:
    error = agent.error("preflight_check", arguments)
    assert (error["title"], error["detail"], error["next_step"]) == (
        "Invalid arguments",
        f'{name} must be a non-negative amount, e.g. "20.00"',
        "fix it and call again",
    )
    agent.mock.assert_not_called("get_balance")


def test_a_preflight_without_a_send_has_no_estimated_cost(agent: Agent) -> None:
    answer = agent.ok("preflight_check", {"floor": "50"})
    assert answer["go"] is True and answer["estimated_cost"] is None and answer["required"] == "50"


def test_a_rotation_reports_its_progress_out_of_three_steps(agent: Agent) -> None:
    reports: list[tuple[float, float | None]] = []

    async def rotate() -> None:
        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            reports.append((progress, total))

        async with agent.session() as client:
            result = await client.call_tool("rotate_secret", {}, progress_callback=on_progress)
            assert not result.is_error, text_of(result)

    run(rotate)
    assert reports == [(0, 3), (2, 3), (3, 3)]


def _basic(key: str, secret: str) -> str:
    return base64.b64encode(f"{key}:{secret}".encode()).decode()


def test_the_basic_credentials_of_the_configured_and_the_rotated_in_secret_never_reach_the_agent(
    agent: Agent,
) -> None:
    redactor = agent.server.tools.redactor
    assert redactor.text(f"Basic {_basic(KEY, SECRET)}") == f"Basic {REDACTED}"
    agent.ok("rotate_secret")
    new = agent.source.load().api_secret
    assert redactor.text(f"Basic {_basic(KEY, new)}") == f"Basic {REDACTED}"


def test_the_rotated_in_secrets_basic_credentials_are_cut_from_the_moment_it_is_in_use(agent: Agent) -> None:
    # Between the store and the old secret's revocation (the grace, the revoke call and its failures), the agent can
    # be sent text made with the new credentials: the redactor must know them before anything else is said.
    tools = agent.server.tools
    announce = tools.progress
    seen: list[str] = []

    def progress(done: float, total: float, message: str) -> None:
        if done == 2:  # "stored and in use": the old secret is not revoked yet
            seen.append(tools.redactor.text(f"Basic {_basic(KEY, agent.source.load().api_secret)}"))
        if announce is not None:
            announce(done, total, message)

    tools.progress = progress
    agent.ok("rotate_secret")
    assert seen == [f"Basic {REDACTED}"]


def test_the_tools_run_without_a_server_to_report_progress_to(agent: Agent) -> None:
    # The tools know no MCP: without a server pointing their progress somewhere, a long job just reports nothing.
    tools = AgentTools(
        agent.source,
        Guard(agent.policy),
        ops_for=lambda creds: AccountOps(creds, rest_url=agent.mock.url, api_url=agent.mock.url),
    )
    old = agent.source.load().api_secret_id
    try:
        answer = tools.rotate_secret()
    finally:
        tools.close()
    assert answer["revoked"] == [old]
    assert agent.source.load().api_secret_id == answer["new_secret_id"] != old


def test_a_pending_secret_in_the_credentials_never_reaches_the_agent(vonage_mock: VonageMock, tmp_path: Path) -> None:
    agent = make_agent(vonage_mock, tmp_path)
    Credentials(KEY, SECRET, pending_secret="Pending7secret").write(agent.store)
    agent.build()
    assert agent.server.tools.redactor.text("was Pending7secret") == f"was {REDACTED}"


def test_the_tools_work_again_after_their_connections_are_closed(agent: Agent) -> None:
    assert agent.ok("check_balance")["balance"] == "60.00"
    agent.server.tools.close()
    assert agent.ok("check_balance")["balance"] == "60.00"
