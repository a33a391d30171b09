"""The generated-client helpers of `vonage_account_mock.testing`: usable with the generated API, no secret shown."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from vonage_account_client import AuthenticatedClient
from vonage_account_client.api.balance import get_balance
from vonage_account_client.models import Balance

from vonage_account_mock import create_app
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_mock.testing import AccountClient, VonageMock, account_client, in_process_client

KEY, SECRET = "repr0001", "Repr1secretXyz"
ENCODED = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()


def _assert_nothing_secret(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    print(client)
    printed = capsys.readouterr().out
    for shown in (printed, repr(client), str(client), repr(client.with_headers({"X-Trace": "1"}))):
        assert SECRET not in shown and ENCODED not in shown, shown
    assert KEY in printed and "AccountClient(" in printed


def test_account_client_shows_no_secret_and_still_authenticates(capsys: pytest.CaptureFixture[str]) -> None:
    with ThreadedMockServer(create_app()) as server:
        client = account_client(server.url, KEY, SECRET)
        _assert_nothing_secret(client, capsys)
        assert isinstance(client, AuthenticatedClient)
        balance = get_balance.sync(client=client)
        assert isinstance(balance, Balance) and balance.value == 10.0
        # Derived clients keep the credentials and the safe repr.
        derived = client.with_headers({"X-Trace": "1"})
        assert isinstance(derived, AccountClient)
        assert get_balance.sync(client=derived) is not None
        client.get_httpx_client().close()
        derived.get_httpx_client().close()


def test_in_process_client_shows_no_secret(capsys: pytest.CaptureFixture[str]) -> None:
    client = in_process_client(create_app(), KEY, SECRET)
    _assert_nothing_secret(client, capsys)
    with client.get_httpx_client():
        assert get_balance.sync(client=client) is not None


def test_the_handles_client_shows_no_secret(vonage_mock: VonageMock, capsys: pytest.CaptureFixture[str]) -> None:
    account = vonage_mock.seed_account(KEY, secrets=[SECRET])
    client = vonage_mock.client(account.api_key, account.api_secret)
    _assert_nothing_secret(client, capsys)
    assert get_balance.sync(client=client) is not None
