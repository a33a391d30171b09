"""The MCP server's tools against the stateful mock, through the SDK's in-memory client."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from mcp.types import Tool

from tests.mcp_support import KEY, SECRET, Agent, make_agent, run, text_of, wire
from vonage_account_mock.testing import VonageMock
from vonage_account_ops.credentials import EnvironmentSource
from vonage_account_ops.mcp_server.tools import TOOL_NAMES

# name: (readOnlyHint, destructiveHint, idempotentHint, openWorldHint)
HINTS = {
    "search_operations": (True, False, True, False),
    "call_operation": (False, True, False, True),
    "check_balance": (True, False, True, True),
    "preflight_check": (True, False, True, True),
    "top_up_if_below_floor": (False, False, True, True),
    "get_webhooks": (True, False, True, True),
    "set_webhooks": (False, True, True, True),
    "list_secrets": (True, False, True, True),
    "rotate_secret": (False, True, False, True),
    "revoke_secret": (False, True, True, True),
    "audit_secrets": (True, False, True, True),
    "get_pricing": (True, False, True, True),
    "register_sender": (False, False, True, True),
}


@pytest.fixture
def agent(vonage_mock: VonageMock, tmp_path: Path) -> Agent:
    return make_agent(vonage_mock, tmp_path)


def _tools(agent: Agent) -> list[Tool]:
    async def listing() -> list[Tool]:
        async with agent.session() as client:
            return list((await client.list_tools()).tools)

    return run(listing)


# -- the list --------------------------------------------------------------------------------------------------------


def test_every_tool_is_listed_with_schemas_and_true_hints(agent: Agent) -> None:
    tools = _tools(agent)
    assert [t.name for t in tools] == list(TOOL_NAMES)
    for tool in tools:
        assert tool.output_schema and tool.output_schema["type"] == "object", tool.name
        assert tool.input_schema["type"] == "object" and tool.input_schema.get("additionalProperties") is False
        assert tool.description and len(tool.description) <= 160, tool.name
        hints = tool.annotations
        assert hints is not None
        assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint) == HINTS[
            tool.name
        ]
        writes = not HINTS[tool.name][0]
        if writes and tool.name != "call_operation":
            assert "dry_run" in tool.input_schema["properties"], tool.name


def test_the_tool_list_costs_at_most_2500_tokens(agent: Agent) -> None:
    size = len(wire({"tools": [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in _tools(agent)]}))
    print(f"tools/list: {size} characters, about {size // 4} tokens")
    assert size / 4 <= 2500


def test_no_tool_takes_a_credential_or_payment_reference(agent: Agent) -> None:
    listing = wire([t.input_schema for t in _tools(agent)])
    for name in ('"secret"', '"api_secret"', '"trx"', '"password"', '"token"'):
        assert name not in listing


# -- discovery -------------------------------------------------------------------------------------------------------


def test_search_finds_operations_with_schemas_and_no_credential_field(agent: Agent) -> None:
    found = agent.ok("search_operations", {"query": "mint a new API secret", "limit": 3})["operations"]
    assert found[0]["operation_id"] == "create_secret"
    assert found[0]["method"] == "POST" and found[0]["path"] == "/accounts/{api_key}/secrets"
    assert found[0]["use_instead"] == "rotate_secret"
    assert "secret" not in found[0]["input_schema"]["properties"]
    top_up = agent.ok("search_operations", {"query": "refill my credit", "limit": 1})["operations"][0]
    assert top_up["operation_id"] == "top_up" and "trx" not in top_up["input_schema"]["properties"]
    assert top_up["use_instead"] == "top_up_if_below_floor"
    assert len(agent.ok("search_operations", {"query": "pricing", "limit": 2})["operations"]) == 2
    assert agent.ok("search_operations", {"query": "zzz qqq"})["operations"] == []


def test_call_operation_calls_the_api_with_the_configured_credentials(agent: Agent) -> None:
    answer = agent.ok("call_operation", {"operation_id": "get_balance"})
    assert answer == {"status": 200, "body": {"value": 10.0, "autoReload": False}}
    listed = agent.ok("call_operation", {"operation_id": "list_secrets", "arguments": {}})
    ids = [s["id"] for s in listed["body"]["_embedded"]["secrets"]]
    assert ids == [s["id"] for s in agent.mock.account(KEY)["secrets"]]
    agent.mock.assert_called("list_secrets", times=1, account=KEY)


def test_call_operation_names_the_offending_field_never_its_value(agent: Agent) -> None:
    wrong = agent.error(
        "call_operation", {"operation_id": "get_country_pricing", "arguments": {"type": "sms", "country": "gbx"}}
    )
    assert wrong["detail"] == "call_operation(get_country_pricing): country must match ^[A-Z]{2}$"
    assert "gbx" not in wrong["detail"]
    missing = agent.error("call_operation", {"operation_id": "get_country_pricing", "arguments": {"type": "sms"}})
    assert missing["detail"].endswith("country is required")
    extra = agent.error("call_operation", {"operation_id": "get_balance", "arguments": {"api_secret": "x"}})
    assert extra["detail"].endswith("api_secret is not an argument of this tool or operation")
    unknown = agent.error("call_operation", {"operation_id": "delete_account"})
    assert "search_operations" in unknown["next_step"]
    agent.mock.assert_not_called("get_country_pricing")


def test_operations_carrying_a_credential_or_payment_reference_are_not_callable(agent: Agent) -> None:
    created = agent.error("call_operation", {"operation_id": "create_secret", "arguments": {"secret": "Leak1secretZ"}})
    assert "rotate_secret" in created["next_step"]
    assert "Leak1secretZ" not in wire(created)
    topped = agent.error("call_operation", {"operation_id": "top_up", "arguments": {"trx": "abc"}})
    assert "top_up_if_below_floor" in topped["next_step"]
    agent.mock.assert_not_called("create_secret")
    agent.mock.assert_not_called("top_up")


def test_call_operation_revokes_only_through_the_same_guard(vonage_mock: VonageMock, tmp_path: Path) -> None:
    agent = make_agent(vonage_mock, tmp_path, secrets=(SECRET, "Spare1secret"))
    in_use, spare = (s["id"] for s in agent.mock.account(KEY)["secrets"])
    refused = agent.error("call_operation", {"operation_id": "revoke_secret", "arguments": {"secret_id": in_use}})
    assert refused["title"] == "Secret in use"
    assert agent.ok("call_operation", {"operation_id": "revoke_secret", "arguments": {"secret_id": spare}}) == {
        "status": 204,
        "body": None,
    }
    assert [s["id"] for s in agent.mock.account(KEY)["secrets"]] == [in_use]


def test_a_dry_run_write_says_what_it_would_send_and_sends_nothing(agent: Agent) -> None:
    plan = agent.ok(
        "call_operation",
        {"operation_id": "update_settings", "arguments": {"moCallBackUrl": "https://example.com/in", "dry_run": True}},
    )
    assert plan == {
        "dry_run": True,
        "would_send": {
            "method": "POST",
            "host": "rest",
            "path": "/account/settings",
            "body": {"moCallBackUrl": "https://example.com/in"},
        },
    }
    agent.mock.assert_not_called("update_settings")
    assert agent.mock.account(KEY)["settings"]["mo_callback_url"] is None


def test_an_agent_may_name_a_sub_account_its_key_manages(agent: Agent) -> None:
    agent.mock.seed_account("subacc77", secrets=["Sub1secretA"], primary=KEY)
    listed = agent.ok("call_operation", {"operation_id": "list_secrets", "arguments": {"api_key": "subacc77"}})
    assert listed["status"] == 200 and len(listed["body"]["_embedded"]["secrets"]) == 1
    agent.mock.seed_account("stranger", secrets=["Str1secretA"])
    refused = agent.error("call_operation", {"operation_id": "list_secrets", "arguments": {"api_key": "stranger"}})
    # The service's answer for a key this one does not manage, with its type and title.
    assert refused["status"] == 404 and refused["type"].endswith("#invalid-api-key")
    assert refused["title"] == "Invalid API Key" and "'stranger'" in refused["detail"]


# -- the jobs --------------------------------------------------------------------------------------------------------


def test_check_balance_and_preflight(agent: Agent) -> None:
    agent.mock.seed_account(KEY, secrets=[SECRET], balance="60.00")
    assert agent.ok("check_balance") == {"balance": "60.00", "currency": "EUR", "auto_reload": False}
    go = agent.ok("preflight_check", {"floor": "50", "country": "GB", "messages": 100})
    assert go["go"] is True and Decimal(go["estimated_cost"]) > 0
    no_go = agent.ok("preflight_check", {"floor": 50, "country": "GB", "messages": 10_000, "margin": "0.10"})
    assert no_go["go"] is False and "does not cover" in no_go["reason"]
    assert Decimal(no_go["required"]) == Decimal(no_go["estimated_cost"]) > Decimal("60")
    bad = agent.error("preflight_check", {"floor": "lots"})
    assert bad["detail"] == 'floor must be a non-negative amount, e.g. "20.00"'


def test_webhooks_are_read_and_set_https_only_with_before_and_after(agent: Agent) -> None:
    assert agent.ok("get_webhooks") == {"mo_callback_url": None, "dr_callback_url": None, "max_calls_per_second": 30}
    changed = agent.ok(
        "set_webhooks",
        {
            "mo_callback_url": "https://example.com/in",
            "dr_callback_url": "https://example.com/dr",
            "http_forward_method": "POST_JSON",
        },
    )
    assert changed["before"]["mo_callback_url"] is None
    assert changed["after"]["mo_callback_url"] == "https://example.com/in"
    assert changed["http_forward_method"] == "POST_JSON"
    settings = agent.mock.account(KEY)["settings"]
    assert settings["dr_callback_url"] == "https://example.com/dr" and settings["http_forward_method"] == "POST_JSON"
    plain = agent.error("set_webhooks", {"mo_callback_url": "http://example.com/in"})
    assert "https" in plain["next_step"]
    dry = agent.ok("set_webhooks", {"dr_callback_url": "", "dry_run": True})
    assert dry["after"]["dr_callback_url"] is None and dry["dry_run"] is True
    assert agent.mock.account(KEY)["settings"]["dr_callback_url"] == "https://example.com/dr"


def test_pricing_and_sender_registration(agent: Agent) -> None:
    priced = agent.ok("get_pricing", {"country": "gb"})
    assert priced["countries"][0]["country_code"] == "GB" and priced["countries"][0]["networks"]
    by_prefix = agent.ok("get_pricing", {"prefix": "44", "service": "voice"})
    assert [c["country_code"] for c in by_prefix["countries"]] == ["GB"]
    assert agent.error("get_pricing", {})["title"] == "Country or prefix"
    registered = agent.ok("register_sender", {"email": "alerts@example.com", "name": "alerts"})
    assert registered == {"provider": "email", "value": "alerts@example.com", "name": "alerts", "dry_run": False}
    assert [s["value"] for s in agent.mock.account(KEY)["senders"]] == ["alerts@example.com"]


# -- secrets ---------------------------------------------------------------------------------------------------------


def test_list_secrets_says_which_is_in_use_never_a_value(agent: Agent) -> None:
    listed = agent.ok("list_secrets")
    (row,) = listed["secrets"]
    assert row["in_use"] is True and listed["in_use_known"] is True
    assert set(row) == {"id", "created_at", "in_use"}


def test_with_environment_credentials_and_two_secrets_in_use_is_unknown_and_rotation_has_no_store(
    agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VONAGE_API_KEY", KEY)
    monkeypatch.setenv("VONAGE_API_SECRET", SECRET)
    agent.source = EnvironmentSource()
    agent.build()
    alone = agent.ok("list_secrets")  # one secret: the credentials authenticated, so it is theirs
    assert alone["in_use_known"] is True and alone["secrets"][0]["in_use"] is True
    agent.mock.seed_account(KEY, secrets=[SECRET, "Spare1secret"])
    listed = agent.ok("list_secrets")
    assert (
        listed["in_use_known"] is False and listed["secrets"][0]["in_use"] is None and "api_secret_id" in listed["note"]
    )
    no_store = agent.error("rotate_secret")
    assert no_store["title"] == "No credentials store" and "--credentials" in no_store["next_step"]
    unknown = agent.error("revoke_secret", {"secret_id": listed["secrets"][1]["id"]})
    assert unknown["title"] == "Secret in use unknown"
    assert len(agent.mock.account(KEY)["secrets"]) == 2


def test_rotate_secret_replaces_the_secret_in_the_store_and_returns_ids_only(agent: Agent) -> None:
    old_id = agent.mock.account(KEY)["secrets"][0]["id"]
    plan = agent.ok("rotate_secret", {"dry_run": True})
    assert plan["dry_run"] is True and len(plan["plan"]) == 3
    assert agent.mock.account(KEY)["secrets"][0]["id"] == old_id

    reports: list[tuple[float, float | None, str | None]] = []

    async def rotate() -> dict[str, Any]:
        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            reports.append((progress, total, message))

        async with agent.session() as client:
            result = await client.call_tool("rotate_secret", {}, progress_callback=on_progress)
            assert not result.is_error, text_of(result)
            content: dict[str, Any] | None = result.structured_content
            assert content is not None
            return content

    rotated = run(rotate)
    stored = agent.source.load()
    assert rotated["new_secret_id"] == stored.api_secret_id != old_id
    assert rotated["revoked"] == [old_id] and rotated["made_room_by_revoking"] is None
    assert [s["id"] for s in agent.mock.account(KEY)["secrets"]] == [stored.api_secret_id]
    assert stored.api_secret not in wire(rotated) and stored.api_secret != SECRET
    assert [r[0] for r in reports] == [0, 2, 3]
    assert agent.ok("check_balance")["balance"] == "10.00"  # the new stored secret authenticates


def test_rotation_makes_room_when_two_secrets_are_active(vonage_mock: VonageMock, tmp_path: Path) -> None:
    agent = make_agent(vonage_mock, tmp_path, secrets=(SECRET, "Spare1secret"))
    in_use, spare = (s["id"] for s in agent.mock.account(KEY)["secrets"])
    rotated = agent.ok("rotate_secret")
    assert rotated["made_room_by_revoking"] == spare and rotated["revoked"] == [in_use]
    assert [s["id"] for s in agent.mock.account(KEY)["secrets"]] == [rotated["new_secret_id"]]


def test_revoke_secret_never_revokes_the_one_in_use(vonage_mock: VonageMock, tmp_path: Path) -> None:
    agent = make_agent(vonage_mock, tmp_path, secrets=(SECRET, "Spare1secret"))
    in_use, spare = (s["id"] for s in agent.mock.account(KEY)["secrets"])
    refused = agent.error("revoke_secret", {"secret_id": in_use})
    assert refused["title"] == "Secret in use" and "rotate_secret" in refused["next_step"]
    assert agent.ok("revoke_secret", {"secret_id": spare, "dry_run": True})["would_revoke"] == spare
    assert len(agent.mock.account(KEY)["secrets"]) == 2
    assert agent.ok("revoke_secret", {"secret_id": spare}) == {"revoked": spare, "api_key": KEY, "dry_run": False}
    assert [s["id"] for s in agent.mock.account(KEY)["secrets"]] == [in_use]


def test_audit_flags_old_secrets_except_the_one_in_use(vonage_mock: VonageMock, tmp_path: Path) -> None:
    agent = make_agent(vonage_mock, tmp_path, secrets=(SECRET, "Spare1secret"))
    in_use, spare = (s["id"] for s in agent.mock.account(KEY)["secrets"])
    audit = agent.ok("audit_secrets", {"max_age_days": 0})  # both are older than 0 days
    rows = {row["id"]: row for row in audit["secrets"]}
    assert audit["flagged"] == 1 and audit["in_use_known"] is True
    assert rows[spare]["flagged"] is True and rows[spare]["in_use"] is False
    assert rows[in_use]["flagged"] is False and rows[in_use]["in_use"] is True
    assert agent.ok("audit_secrets", {"max_age_days": 30})["flagged"] == 0  # neither is 30 days old


# -- errors an agent can act on --------------------------------------------------------------------------------------


def test_api_failures_come_back_with_the_problem_type_and_a_next_step(vonage_mock: VonageMock, tmp_path: Path) -> None:
    agent = make_agent(vonage_mock, tmp_path, secrets=(SECRET, "Spare1secret"))
    # The service refuses to revoke a key's last secret; a fault plan answers that refusal here.
    agent.mock.fault("revoke_secret", status=403, times=1)
    spare = agent.mock.account(KEY)["secrets"][1]["id"]
    last = agent.error("revoke_secret", {"secret_id": spare})
    assert last["status"] == 403 and last["type"].endswith("#delete-last-secret")
    assert "rotate_secret" in last["next_step"]
    Path(agent.store).write_text(f"api_key={KEY}\napi_secret=Wrong1secret\n")
    refused = agent.error("check_balance")
    assert refused["status"] == 401 and "check the configured credentials" in refused["next_step"]


def test_a_429_is_retried_honouring_retry_after_then_reported(agent: Agent) -> None:
    agent.mock.fault("get_balance", status=429, times=1)
    assert agent.ok("check_balance")["balance"] == "10.00"
    assert [c["status"] for c in agent.mock.calls("get_balance")] == [429, 200]
    agent.mock.fault("get_balance", status=429, times=None)
    limited = agent.error("check_balance")
    assert limited["status"] == 429 and "wait" in limited["next_step"]
    assert len(agent.mock.calls("get_balance")) == 2 + 3  # retried within the bound: 3 attempts


def test_an_unexpected_failure_is_a_plain_tool_error_without_trace_or_secret(
    agent: Agent, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> dict[str, Any]:
        raise RuntimeError(f"boom with {SECRET}")

    specs = agent.server.tools.specs
    monkeypatch.setitem(specs, "check_balance", dataclasses.replace(specs["check_balance"], run=broken))
    result = agent.call("check_balance")
    assert result.is_error and "Internal error" in text_of(result)
    assert "Traceback" not in text_of(result) and "boom" not in text_of(result)
    assert SECRET not in caplog.text and "boom with [redacted]" in caplog.text
