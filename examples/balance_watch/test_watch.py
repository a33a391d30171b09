"""The consumer's own tests: only the vonage-account-mock pytest plugin, no HTTP written by hand.

A folder of its own, as in the reader's repository: `watch.py` beside it is the code under test, imported by its plain
name (copy both files anywhere and run `python -m pytest` there, with vonage-account-mock installed).
"""

from decimal import Decimal

import pytest
from watch import BalanceUnavailable, balance_status

from vonage_account_mock.testing import VonageMock


def test_a_balance_under_the_floor_is_low(vonage_mock: VonageMock) -> None:
    account = vonage_mock.seed_account(balance="3.50")
    client = vonage_mock.client(account.api_key, account.api_secret)

    assert balance_status(client, floor=Decimal("5.00")) == "low"
    vonage_mock.assert_called("get_balance", times=1)


def test_a_rate_limit_is_retried_once(vonage_mock: VonageMock) -> None:
    account = vonage_mock.seed_account(balance="50")
    vonage_mock.fault("get_balance", status=429, times=1)

    assert balance_status(vonage_mock.client(account.api_key, account.api_secret), Decimal("5"), max_wait=0) == "ok"
    assert [call["status"] for call in vonage_mock.calls("get_balance")] == [429, 200]


def test_spending_crosses_the_floor(vonage_mock: VonageMock) -> None:
    account = vonage_mock.seed_account(balance="10.00")
    client = vonage_mock.client(account.api_key, account.api_secret)
    assert balance_status(client, Decimal("5")) == "ok"

    vonage_mock.spend("6.00", account.api_key)
    assert balance_status(client, Decimal("5")) == "low"


def test_a_revoked_secret_makes_the_balance_unavailable(vonage_mock: VonageMock) -> None:
    account = vonage_mock.seed_account(secrets=["Primary1secret", "Retired1secret"])
    retired = vonage_mock.client(account.api_key, "Retired1secret")
    assert balance_status(retired, Decimal("5")) == "ok"

    retired_id = vonage_mock.account(account.api_key)["secrets"][1]["id"]
    with vonage_mock.http(auth=(account.api_key, "Primary1secret")) as admin:
        assert admin.delete(f"/accounts/{account.api_key}/secrets/{retired_id}").status_code == 204

    with pytest.raises(BalanceUnavailable, match="401"):
        balance_status(retired, Decimal("5"))
    vonage_mock.assert_called("get_balance", times=1, status=401)
