"""The operator's guardrails: read-only, allow and deny, rate limits, top-ups once per dip and capped per day."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from mcp.types import Tool

from tests.mcp_support import KEY, SECRET, TRX, Agent, make_agent, run
from vonage_account_mock.testing import VonageMock
from vonage_account_ops.mcp_server.command import StartupError, build_policy
from vonage_account_ops.mcp_server.policy import Guard, Policy, PolicyError, RateLimit, load_policy
from vonage_account_ops.mcp_server.tools import TOOL_NAMES
from vonage_account_spec.operation_ids import OperationId

READ_TOOLS = [
    "search_operations",
    "call_operation",
    "check_balance",
    "preflight_check",
    "get_webhooks",
    "list_secrets",
    "audit_secrets",
    "get_pricing",
]


@pytest.fixture
def agent(vonage_mock: VonageMock, tmp_path: Path) -> Agent:
    return make_agent(
        vonage_mock,
        tmp_path,
        balance="5.00",
        auto_reload={"enabled": True, "trx": TRX, "amount": "20.00"},
    )


def _names(agent: Agent) -> list[str]:
    async def listing() -> list[Tool]:
        async with agent.session() as client:
            return list((await client.list_tools()).tools)

    return [tool.name for tool in run(listing)]


# -- which tools ------------------------------------------------------------------------------------------------------


def test_read_only_lists_only_tools_that_change_nothing_and_refuses_every_write(agent: Agent) -> None:
    agent.build(read_only=True)
    assert _names(agent) == READ_TOOLS
    assert agent.ok("check_balance")["balance"] == "5.00"
    assert agent.ok("call_operation", {"operation_id": "get_balance"})["status"] == 200
    refused = agent.error(
        "call_operation", {"operation_id": "update_settings", "arguments": {"moCallBackUrl": "https://e.com/in"}}
    )
    assert refused["type"] == "urn:vonage-account-mcp:guardrail:not-allowed" and "read-only" in refused["detail"]
    revoke = agent.error("revoke_secret", {"secret_id": "x"})
    assert "does not allow revoke_secret" in revoke["detail"]
    agent.mock.assert_not_called("update_settings")
    agent.mock.assert_not_called("revoke_secret")


def test_allow_and_deny_lists_hold_for_the_tools_and_their_operations(agent: Agent) -> None:
    agent.build(deny=frozenset({"set_webhooks"}))
    assert "set_webhooks" not in _names(agent)
    assert agent.error("set_webhooks", {"mo_callback_url": "https://e.com/in"})["title"] == (
        "Refused by the operator's policy"
    )
    # The same operation through call_operation is held to set_webhooks' rule.
    agent.error("call_operation", {"operation_id": "update_settings", "arguments": {}})
    agent.build(deny=frozenset(), allow=frozenset({"check_balance", "search_operations"}))
    assert _names(agent) == ["search_operations", "check_balance"]
    assert agent.error("list_secrets")["type"].endswith("not-allowed")
    agent.mock.assert_not_called("update_settings")


def test_a_tool_in_a_retry_loop_meets_its_rate_limit(agent: Agent) -> None:
    agent.build(limits={"check_balance": RateLimit(3, 60)})
    for _ in range(3):
        agent.ok("check_balance")
    limited = agent.error("check_balance")
    assert limited["type"].endswith("rate-limited") and "wait" in limited["next_step"]
    # call_operation cannot go round it: get_balance counts against check_balance.
    assert agent.error("call_operation", {"operation_id": "get_balance"})["type"].endswith("rate-limited")
    assert len(agent.mock.calls("get_balance")) == 3
    assert agent.ok("list_secrets")["in_use_known"] is True  # other tools keep their own budget


def test_writes_are_rate_limited_by_default() -> None:
    now = [1000.0]
    guard = Guard(Policy(), clock=lambda: now[0])
    for _ in range(Policy().write_limit.calls):
        guard.admit("set_webhooks", writes=True)
    with pytest.raises(Exception, match="set_webhooks may be called 10 times in 60 s"):
        guard.admit("set_webhooks", writes=True)
    now[0] += 60
    guard.admit("set_webhooks", writes=True)


# -- top-ups ----------------------------------------------------------------------------------------------------------


def test_a_top_up_happens_once_per_dip(agent: Agent) -> None:
    first = agent.ok("top_up_if_below_floor", {"floor": "100"})
    assert first == {"action": "topped_up", "balance_before": "5.00", "balance_after": "25.00", "dry_run": False}
    again = agent.ok("top_up_if_below_floor", {"floor": "100"})
    assert again["action"] == "already_topped_up"
    agent.mock.assert_called("top_up", times=1)


def test_top_ups_are_capped_per_day_and_the_cap_survives_a_restart(agent: Agent) -> None:
    assert agent.ok("top_up_if_below_floor", {"floor": "10"})["action"] == "topped_up"
    assert agent.ok("top_up_if_below_floor", {"floor": "10"})["action"] == "not_needed"  # the dip is over
    agent.mock.spend("23.00", KEY)  # a new dip: 2.00
    capped = agent.error("top_up_if_below_floor", {"floor": "10"})
    assert capped["type"].endswith("top-up-cap") and "do not retry" in capped["next_step"]
    agent.build()  # a restart: same state folder
    assert agent.error("top_up_if_below_floor", {"floor": "10"})["type"].endswith("top-up-cap")
    agent.build(top_ups_per_day=2)
    assert agent.ok("top_up_if_below_floor", {"floor": "10"})["action"] == "topped_up"
    agent.mock.assert_called("top_up", times=2)


def test_a_refused_top_up_does_not_count(agent: Agent) -> None:
    agent.mock.seed_account(KEY, secrets=[SECRET], balance="5.00")  # auto-reload off
    assert agent.error("top_up_if_below_floor", {"floor": "10"})["title"] == "Auto-reload not enabled"
    agent.mock.seed_account(KEY, secrets=[SECRET], balance="5.00", auto_reload={"enabled": True, "trx": TRX})
    assert agent.ok("top_up_if_below_floor", {"floor": "10"})["action"] == "topped_up"


def test_a_dry_run_top_up_says_what_it_would_do(agent: Agent) -> None:
    assert agent.ok("top_up_if_below_floor", {"floor": "10", "dry_run": True})["action"] == "would_top_up"
    assert agent.ok("top_up_if_below_floor", {"floor": "1", "dry_run": True})["action"] == "not_needed"
    agent.mock.assert_not_called("top_up")
    assert agent.mock.balance(KEY) == 5


def test_the_payment_reference_comes_from_the_operator_only(agent: Agent) -> None:
    offered = agent.error("top_up_if_below_floor", {"floor": "10", "trx": "attacker-reference"})
    assert offered["detail"] == "top_up_if_below_floor: trx is not an argument of this tool or operation"
    agent.build(trx=None)
    missing = agent.error("top_up_if_below_floor", {"floor": "10"})
    assert "VONAGE_TOP_UP_TRX" in missing["next_step"]
    agent.build(trx=TRX, max_floor=Decimal("50"))
    assert agent.error("top_up_if_below_floor", {"floor": "1000"})["type"].endswith("floor-too-high")
    agent.mock.assert_not_called("top_up")


# -- the policy file and flags ----------------------------------------------------------------------------------------


def test_a_policy_file_sets_every_guardrail(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(
        """
read_only: false
tools: {allow: [check_balance, top_up_if_below_floor], deny: [top_up_if_below_floor]}
rate_limits:
  reads: {calls: 5, per_seconds: 10}
  writes: {calls: 1, per_seconds: 60}
  check_balance: {calls: 2, per_seconds: 1}
top_up: {trx: abc123, max_per_day: 3, max_floor: "40.00"}
state_dir: STATE
rotation: {grace_seconds: 0.5}
""".replace("STATE", str(tmp_path / "state"))
    )
    policy = load_policy(path, TOOL_NAMES)
    assert policy.allows("check_balance", writes=False)
    assert not policy.allows("top_up_if_below_floor", writes=True)
    assert not policy.allows("list_secrets", writes=False)
    assert policy.limit_for("check_balance", writes=False) == RateLimit(2, 1)
    assert policy.limit_for("get_webhooks", writes=False) == RateLimit(5, 10)
    assert policy.limit_for("set_webhooks", writes=True) == RateLimit(1, 60)
    assert (policy.trx, policy.top_ups_per_day, str(policy.max_floor)) == ("abc123", 3, "40.00")
    assert policy.state_dir == tmp_path / "state" and policy.rotation_grace_seconds == 0.5
    assert "abc123" not in repr(policy)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tools: {deny: [drop_tables]}", "tools.deny: unknown tool(s) drop_tables"),
        ("rate_limits: {check_balance: {calls: lots}}", "rate_limits.check_balance: calls must be a whole number"),
        ("top_up: {max_per_day: -1}", "top_up.max_per_day: expected a whole number"),
        ("top_up: {max_floor: .nan}", "top_up.max_floor: expected a non-negative amount"),
        ('read_only: "no"', "read_only: expected true or false"),
        ("budget: 5", "unknown entry budget"),
        ("[1, 2", "not valid YAML or JSON"),
    ],
)
def test_a_bad_policy_file_is_refused_naming_the_entry_and_rule(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError, match=re.escape(message)) as raised:
        load_policy(path, TOOL_NAMES)
    assert str(path) in str(raised.value)


def test_flags_go_over_the_file_and_the_trx_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VONAGE_TOP_UP_TRX", "from-env-trx")
    arguments: dict[str, Any] = {
        "policy_file": None,
        "tool_names": list(TOOL_NAMES),
        "read_only": True,
        "allow": (),
        "deny": ("get_pricing",),
        "top_ups_per_day": 0,
        "state_dir": tmp_path,
    }
    policy = build_policy(**arguments)
    assert policy.read_only and policy.deny == {"get_pricing"} and policy.top_ups_per_day == 0
    assert policy.trx == "from-env-trx" and policy.state_dir == tmp_path
    with pytest.raises(StartupError, match="unknown tool"):
        build_policy(**{**arguments, "allow": ("everything",)})


def test_read_only_refuses_every_write_operation_call_operation_can_reach(agent: Agent) -> None:
    from vonage_account_ops.mcp_server.catalog import Catalog

    agent.build(read_only=True)
    ids = [s["id"] for s in agent.mock.account(KEY)["secrets"]]
    # Arguments that would pass the schema, so that only the policy stands in the way.
    arguments: dict[str, dict[str, Any]] = {
        "update_settings": {"moCallBackUrl": "https://e.com/in"},
        "revoke_secret": {"secret_id": ids[0]},
        "register_sender": {"provider": "email", "value": "ops@example.com"},
        "create_secret": {"secret": "Agent1secretX"},
        "top_up": {"trx": "agent-reference"},
    }
    writes = sorted(op.operation_id for op in Catalog().operations.values() if op.writes)
    assert writes == sorted(arguments), "a write operation this test does not try"
    for operation_id in writes:
        refused = agent.error("call_operation", {"operation_id": operation_id, "arguments": arguments[operation_id]})
        assert refused["type"] == "urn:vonage-account-mcp:guardrail:not-allowed", (operation_id, refused)
        assert "read-only" in refused["detail"]
        agent.mock.assert_not_called(cast("OperationId", operation_id))
    assert [s["id"] for s in agent.mock.account(KEY)["secrets"]] == ids
