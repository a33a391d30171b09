"""One rule, one place: the library, the CLI and the MCP tools reach the same decision in every case of one table.

Each case seeds an account, writes a credentials file, and asks the three the same question; the answers are
brought to one form and compared, and to what the rule says.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.mcp_support import Agent
from vonage_account_mock.testing import VonageMock
from vonage_account_ops import AccountOps, Credentials, jobs
from vonage_account_ops.cli import main
from vonage_account_ops.credentials import FileSource
from vonage_account_ops.mcp_server.policy import Policy

KEY = "rule0001"
FIRST, SECOND = "Rule1secret", "Rule2secret"


@dataclass
class Three:
    """The same account reached three ways."""

    mock: VonageMock
    store: Path
    agent: Agent

    def library(self, ask: Callable[[AccountOps, Credentials], Any]) -> Any:
        credentials = Credentials.from_file(self.store)
        with AccountOps(credentials, rest_url=self.mock.url, api_url=self.mock.url) as ops:
            return ask(ops, credentials)

    def cli(self, *args: str) -> tuple[int, Any]:
        environment = {"VONAGE_REST_URL": self.mock.url, "VONAGE_API_URL": self.mock.url}
        result = CliRunner().invoke(main, ["--json", "--credentials", str(self.store), *args], env=environment)
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        return result.exit_code, json.loads(result.output)

    def mcp(self, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.agent.ok(tool, arguments)


def _three(mock: VonageMock, tmp_path: Path, *, secrets: tuple[str, ...], record: int | None, balance: str) -> Three:
    mock.seed_account(KEY, secrets=secrets, balance=balance)
    ids = [s["id"] for s in mock.account(KEY)["secrets"]]
    store = tmp_path / "vonage.credentials"
    Credentials(KEY, secrets[0], api_secret_id=ids[record] if record is not None else None).write(store)
    policy = Policy(state_dir=tmp_path / "state", rotation_grace_seconds=0)
    agent = Agent(mock, store, policy, FileSource(store))
    from tests.mcp_support import OPEN_AGENTS

    OPEN_AGENTS.append(agent)
    return Three(mock, store, agent)


# -- which secret is in use -----------------------------------------------------------------------------------------

# (secrets, the index the store records or None, the index the rule says is in use or None)
IN_USE = {
    "two secrets and no record": ((FIRST, SECOND), None, None),
    "two secrets and a record": ((FIRST, SECOND), 0, 0),
    "one secret and no record": ((FIRST,), None, 0),
}


@pytest.mark.parametrize("case", list(IN_USE))
def test_the_secret_in_use_is_the_same_everywhere(vonage_mock: VonageMock, tmp_path: Path, case: str) -> None:
    secrets, record, expected = IN_USE[case]
    three = _three(vonage_mock, tmp_path, secrets=secrets, record=record, balance="10.00")
    ids = [s["id"] for s in vonage_mock.account(KEY)["secrets"]]
    rule = None if expected is None else ids[expected]

    library = three.library(lambda ops, creds: jobs.secret_in_use(creds, ops.list_secrets()))
    _, audit = three.cli("secrets", "audit", "--max-age-days", "1000")
    listed = three.mcp("list_secrets")
    in_use_rows = [row["id"] for row in listed["secrets"] if row["in_use"]]
    agent = in_use_rows[0] if listed["in_use_known"] else None
    assert library == audit["current"] == agent == rule


def test_an_old_secret_is_flagged_the_same_everywhere(vonage_mock: VonageMock, tmp_path: Path) -> None:
    three = _three(vonage_mock, tmp_path, secrets=(FIRST, SECOND), record=0, balance="10.00")
    spare = vonage_mock.account(KEY)["secrets"][1]["id"]

    library = three.library(lambda ops, creds: [e.secret.id for e in jobs.audit(ops, creds, max_age_days=0).flagged])
    code, audit = three.cli("secrets", "audit", "--max-age-days", "0")
    cli = [entry["secret"]["id"] for entry in audit["secrets"] if entry["flagged"]]
    agent = [row["id"] for row in three.mcp("audit_secrets", {"max_age_days": 0})["secrets"] if row["flagged"]]
    # The spare is older than 0 days; the one in use is never flagged.
    assert library == cli == agent == [spare] and code == 1


def test_revoking_the_secret_in_use_is_refused_everywhere(vonage_mock: VonageMock, tmp_path: Path) -> None:
    three = _three(vonage_mock, tmp_path, secrets=(FIRST, SECOND), record=0, balance="10.00")
    in_use = vonage_mock.account(KEY)["secrets"][0]["id"]

    def library(ops: AccountOps, creds: Credentials) -> str:
        with pytest.raises(jobs.SecretInUse) as refused:
            jobs.revoke(ops, creds, in_use)
        return refused.value.title

    code, cli = three.cli("secrets", "revoke", in_use)
    agent = three.agent.error("revoke_secret", {"secret_id": in_use})
    assert three.library(library) == cli["error"]["title"] == agent["title"] == "Secret in use" and code == 4
    vonage_mock.assert_not_called("revoke_secret")


# -- money ----------------------------------------------------------------------------------------------------------

# (balance, floor, country, messages, whether the send may go ahead)
PREFLIGHT = {
    "a floor just met": ("50.00", "50", None, 0, True),
    "a floor missed by a cent": ("49.99", "50", None, 0, False),
    "a country with several networks": ("10.00", "1", "GB", 100, True),
    "a send the balance does not cover": ("4.00", "1", "GB", 100, False),
}


@pytest.mark.parametrize("case", list(PREFLIGHT))
def test_preflight_decides_the_same_everywhere(vonage_mock: VonageMock, tmp_path: Path, case: str) -> None:
    balance, floor, country, messages, go = PREFLIGHT[case]
    three = _three(vonage_mock, tmp_path, secrets=(FIRST,), record=None, balance=balance)
    where: dict[str, Any] = {"country": country, "messages": messages} if country else {}

    library = three.library(lambda ops, _: jobs.preflight(ops, floor=Decimal(floor), **where))
    flags = ["--country", country, "--messages", str(messages)] if country else []
    code, cli = three.cli("preflight", "--floor", floor, *flags)
    agent = three.mcp("preflight_check", {"floor": floor, **where})
    assert library.ok == cli["ok"] == agent["go"] == go and code == (0 if go else 1)
    cost = None if library.estimated_cost is None else str(library.estimated_cost)
    assert cost == cli["estimated_cost"] == agent["estimated_cost"]
    if country:
        # The estimate's price of a message is the one `pricing` shows, in the CLI and to the agent alike.
        _, listed = three.cli("pricing", country)
        shown = three.mcp("get_pricing", {"country": country})["countries"][0]["estimate_price"]
        assert listed[0]["estimatePrice"] == shown
        assert library.estimated_cost == jobs.estimate(Decimal(shown), messages, Decimal("0.10"))
        networks = [Decimal(n["price"]) for n in listed[0]["networks"]]
        assert len(networks) > 1 and Decimal(shown) == max([*networks, Decimal(listed[0]["defaultPrice"])])


def test_webhooks_dry_run_says_the_same_and_changes_nothing_everywhere(vonage_mock: VonageMock, tmp_path: Path) -> None:
    three = _three(vonage_mock, tmp_path, secrets=(FIRST,), record=None, balance="10.00")
    url = "https://example.com/inbound"

    library = three.library(lambda ops, _: jobs.set_webhooks(ops, mo_callback_url=url, dry_run=True)[1])
    _, cli = three.cli("settings", "--mo", url, "--dry-run")
    agent = three.mcp("set_webhooks", {"mo_callback_url": url, "dry_run": True})
    assert library.mo_callback_url == cli["after"]["mo_callback_url"] == agent["after"]["mo_callback_url"] == url
    assert vonage_mock.account(KEY)["settings"].get("mo_callback_url") is None
