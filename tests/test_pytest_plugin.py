"""The pytest plugin, as another team's suite uses it (run in a separate pytest through pytester)."""

from __future__ import annotations

import socket

import pytest

from vonage_account_mock import create_app
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_mock.testing.clients import in_process_http

COMMON_TESTS = """
import ssl
from decimal import Decimal

import httpx
import pytest
from vonage_account_client.api.balance import get_balance, top_up
from vonage_account_client.api.secret_management import create_secret, list_secrets
from vonage_account_client.models import CreateSecretRequest, TopUpRequest


def test_seed_call_and_journal(vonage_mock):
    account = vonage_mock.seed_account(balance="12.34")
    client = vonage_mock.client(account.api_key, account.api_secret)
    assert get_balance.sync(client=client).value == 12.34
    vonage_mock.assert_called("get_balance", times=1)
    assert vonage_mock.calls("get_balance")[0]["auth_scheme"] == "basic"


def test_the_handle_names_the_url_as_the_server_does(vonage_mock):
    assert httpx.get(f"{vonage_mock.url}/_mock/health").json()["status"] == "ok"
    with pytest.deprecated_call():
        assert vonage_mock.base_url == vonage_mock.url


def test_a_dropped_connection(vonage_mock):
    account = vonage_mock.seed_account()
    vonage_mock.fault("get_balance", drop=True, times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        get_balance.sync(client=vonage_mock.client(account.api_key, account.api_secret))
    assert get_balance.sync(client=vonage_mock.client(account.api_key, account.api_secret)).value == 10.0


def test_state_is_fresh_for_each_test(vonage_mock):
    assert vonage_mock.calls() == []
    assert vonage_mock.seed_account().api_key in vonage_mock.account()["api_key"]
    assert len(vonage_mock.account()["secrets"]) == 1


def test_the_ready_client(vonage_client, vonage_mock):
    key = vonage_mock.default_api_key
    created = create_secret.sync(key, client=vonage_client, body=CreateSecretRequest("New2secretX"))
    assert created.id
    assert len(list_secrets.sync(key, client=vonage_client).hal_embedded.secrets) == 2


def test_faults_and_unfired_plans(vonage_client, vonage_mock):
    vonage_mock.fault("get_balance", status=500, times=1)
    vonage_mock.fault("top_up", status=500)
    assert get_balance.sync_detailed(client=vonage_client).status_code == 500
    assert get_balance.sync_detailed(client=vonage_client).status_code == 200
    assert [plan["operation_id"] for plan in vonage_mock.unfired_faults()] == ["top_up"]
    with pytest.raises(Exception, match="does not declare status 418"):
        vonage_mock.fault("get_balance", status=418)


def test_assert_not_called_fails_once_the_operation_was_called(vonage_client, vonage_mock):
    vonage_mock.assert_not_called("get_balance")
    get_balance.sync(client=vonage_client)
    with pytest.raises(AssertionError, match="get_balance was called 1 times, not 0"):
        vonage_mock.assert_not_called("get_balance")


def test_a_plain_http_client_for_what_no_generated_client_sends(vonage_mock):
    account = vonage_mock.seed_account(balance="7.00")
    with vonage_mock.http(auth=(account.api_key, account.api_secret)) as http:
        assert http.get("/account/get-balance").json() == {"value": 7.0, "autoReload": False}
        broken = http.post("/account/top-up", content=b"{", headers={"content-type": "application/json"})
        assert broken.status_code == 400
    assert [call["status"] for call in vonage_mock.calls()] == [200, 400]


def test_invalid_input_gets_the_documented_error(vonage_client, vonage_mock):
    # The first answer from the full path, built on this first need: must not trip -W error.
    key = vonage_mock.default_api_key
    weak = create_secret.sync_detailed(key, client=vonage_client, body=CreateSecretRequest("weak"))
    assert weak.status_code == 400
    assert weak.parsed.invalid_parameters[0].name == "secret"


def test_spend_and_top_up(vonage_mock):
    account = vonage_mock.seed_account(balance="1.00", auto_reload={"enabled": True, "trx": "t-1", "amount": "5"})
    client = vonage_mock.client(account.api_key, account.api_secret)
    assert vonage_mock.spend("0.25") == Decimal("0.75")
    top_up.sync(client=client, body=TopUpRequest("t-1"))
    assert vonage_mock.balance() == Decimal("5.75")

"""

LOCAL_ONLY_TESTS = """

def test_in_process(vonage_mock_in_process):
    account = vonage_mock_in_process.seed_account()
    client = vonage_mock_in_process.client(account.api_key, account.api_secret)
    assert get_balance.sync(client=client).value == 10.0
    vonage_mock_in_process.assert_called("get_balance", times=1)


def test_tls(vonage_mock_tls):
    assert vonage_mock_tls.url.startswith("https://")
    account = vonage_mock_tls.seed_account()
    context = ssl.create_default_context(cafile=vonage_mock_tls.ca_bundle)
    credentials = (account.api_key, account.api_secret)
    response = httpx.get(f"{vonage_mock_tls.url}/account/get-balance", auth=credentials, verify=context)
    assert response.status_code == 200
"""
CONSUMER_TESTS = COMMON_TESTS + LOCAL_ONLY_TESTS


def test_fixtures_are_registered_with_docstrings(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures", "-p", "no:cacheprovider")
    output = result.stdout.str()
    for fixture in ("vonage_mock", "vonage_mock_server", "vonage_mock_tls", "vonage_mock_in_process", "vonage_client"):
        assert f"{fixture} " in output or f"{fixture} [" in output, fixture
    assert "fresh state for this test" in output


def test_a_consumer_suite_runs_on_the_plugin_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_consumer=CONSUMER_TESTS)
    # -s: whatever the mock prints would reach the consumer's terminal.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error", "-s")
    result.assert_outcomes(passed=12)
    # A planned drop is no server error: nothing about it in the consumer's output.
    assert "ASGI callable" not in result.stdout.str() + result.stderr.str()
    assert "ERROR" not in result.stdout.str() + result.stderr.str()


def test_parallel_workers_are_isolated(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_consumer=CONSUMER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=12)


def test_a_mock_started_outside_pytest_is_shared_by_tenant(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app()
    with ThreadedMockServer(app) as server, in_process_http(app) as http:
        # Someone else's account on the shared mock must survive the suite untouched.
        http.put("/_mock/accounts/bystander", json={"secrets": ["Bystander1"]})
        monkeypatch.setenv("VONAGE_ACCOUNT_MOCK_URL", server.url)
        pytester.makepyfile(test_consumer=COMMON_TESTS)
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
        result.assert_outcomes(passed=10)
        assert http.get("/_mock/accounts").json() == {"accounts": ["bystander"]}
        assert http.get("/_mock/faults").json() == {"plans": []}


@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
def test_a_shared_mock_that_does_not_answer_stops_the_session_with_one_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: list[str]
) -> None:
    with socket.socket() as closed:  # a port nothing listens on once the socket is closed
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    monkeypatch.setenv("VONAGE_ACCOUNT_MOCK_URL", url)
    pytester.makepyfile(test_consumer=COMMON_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *workers)
    output = result.stdout.lines + result.stderr.lines
    named = [line for line in output if "VONAGE_ACCOUNT_MOCK_URL" in line]
    assert result.ret == pytest.ExitCode.USAGE_ERROR, "\n".join(output)
    assert len(named) == 1 and f"cannot reach the mock at {url}" in named[0] and "unset it" in named[0], named
    assert not any("ConnectError" in line or "Traceback" in line for line in output), "\n".join(output)
