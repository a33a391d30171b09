"""What the dashboard reads: the control operations it added, and no secret value or `trx` in any of its answers."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import quote

import httpx
import pytest
from vonage_account_client.api.balance import get_balance
from vonage_account_client.models import Balance

from vonage_account_mock import create_app
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_mock.testing.clients import account_client, in_process_http

PRIMARY = "dash0001"
SUB = "dash0002"
SECRETS = ["Dashboard1secret", "Dashboard2secret"]
SUB_SECRET = "DashSub1secret"
SIGNATURE_SECRET = "Signature1secretXYZ"
TRX = "8ef2447e69604f642ae59363aa5f781b"
PROJECT = "https://github.com/vonage-account-mock/vonage-account-mock"


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with in_process_http(create_app()) as client:
        yield client


def _seed(http: httpx.Client, receiver: str = "http://127.0.0.1:9/in") -> None:
    primary = {
        "secrets": SECRETS,
        "balance": "25.50",
        "auto_reload": {"enabled": True, "trx": TRX, "amount": "10.00"},
        "settings": {"mo_callback_url": receiver, "dr_callback_url": receiver},
        "signature": {"secret": SIGNATURE_SECRET, "method": "sha256"},
    }
    assert http.put(f"/_mock/accounts/{PRIMARY}", json=primary).status_code == 200
    assert http.put(f"/_mock/accounts/{SUB}", json={"secrets": [SUB_SECRET], "primary": PRIMARY}).status_code == 200


def test_account_details_list_every_account_as_get_account_shows_it(http: httpx.Client) -> None:
    _seed(http)
    details = http.get("/_mock/account-details").json()
    assert details["total"] == 2
    assert details["now"].endswith("Z")
    assert details["accounts"] == [http.get(f"/_mock/accounts/{key}").json() for key in (PRIMARY, SUB)]
    primary = details["accounts"][0]
    assert primary["subaccounts"] == [SUB] and primary["auto_reload"]["trx"] == "[redacted]"
    assert [secret["id"] for secret in primary["secrets"]] and len(primary["secrets"]) == 2


def test_account_details_take_a_limit_and_still_count_them_all(http: httpx.Client) -> None:
    _seed(http)
    details = http.get("/_mock/account-details", params={"limit": 1}).json()
    assert details["total"] == 2 and [a["api_key"] for a in details["accounts"]] == [PRIMARY]
    assert http.get("/_mock/account-details", params={"limit": 0}).status_code == 400


def test_in_deterministic_mode_account_details_leave_the_clock_alone(http: httpx.Client) -> None:
    assert http.post("/_mock/reset", json={"deterministic_seed": 7}).status_code == 204
    _seed(http)
    first = http.get(f"/_mock/accounts/{SUB}").json()["secrets"]
    assert http.get("/_mock/account-details").json()["now"] is None
    assert http.post("/_mock/reset", json={"deterministic_seed": 7}).status_code == 204
    _seed(http)
    for _ in range(3):
        http.get("/_mock/account-details")
    assert http.get(f"/_mock/accounts/{SUB}").json()["secrets"] == first


def test_set_balance_makes_it_exactly_that() -> None:
    with ThreadedMockServer(create_app()) as server, httpx.Client(base_url=server.url) as http:
        _seed(http)
        with account_client(server.url, PRIMARY, SECRETS[0]) as client:
            for amount in ("42.00", "0.0001", "-3.5", "100"):
                answer = http.put(f"/_mock/accounts/{PRIMARY}/balance", json={"balance": amount})
                assert answer.json() == {"balance": amount}
                balance = get_balance.sync(client=client)
                assert isinstance(balance, Balance) and Decimal(str(balance.value)) == Decimal(amount)


def test_set_balance_of_no_account_is_a_404(http: httpx.Client) -> None:
    answer = http.put("/_mock/accounts/nobody01/balance", json={"balance": "1.00"})
    assert answer.status_code == 404
    assert answer.json()["type"] == f"{PROJECT}#not-found" and answer.json()["detail"] == "No account 'nobody01'"


@pytest.mark.parametrize("body", [{"balance": "ten"}, {"balance": 10}, {}, {"balance": "1", "extra": 1}])
def test_set_balance_refuses_what_is_not_a_decimal_string(http: httpx.Client, body: dict[str, object]) -> None:
    _seed(http)
    answer = http.put(f"/_mock/accounts/{PRIMARY}/balance", json=body)
    assert answer.status_code == 400
    assert answer.json()["title"] == "Bad Request"
    assert http.get(f"/_mock/accounts/{PRIMARY}").json()["balance"] == "25.50"


def test_operations_list_what_a_fault_plan_may_name(http: httpx.Client) -> None:
    operations = {o["operation_id"]: o["statuses"] for o in http.get("/_mock/operations").json()["operations"]}
    assert "get_balance" in operations and 200 in operations["get_balance"] and 429 in operations["get_balance"]
    for operation_id, statuses in operations.items():
        plan = {"operation_id": operation_id, "status": statuses[-1]}
        assert http.post("/_mock/faults", json=plan).status_code == 201
    assert http.post("/_mock/faults", json={"operation_id": "get_balance", "status": 418}).status_code == 400


def _forms(value: str) -> set[str]:
    """A credential as it could leak: as it is, percent-encoded, in base64 (alone or as a Basic pair's part)."""
    return {value, quote(value, safe=""), base64.b64encode(value.encode()).decode().rstrip("=")}


def test_no_dashboard_answer_holds_a_secret_or_trx() -> None:
    with ThreadedMockServer(create_app()) as server, httpx.Client(base_url=server.url) as http:
        _seed(http, receiver=f"{server.url}/webhook")
        # Traffic that carries every credential: Basic auth, query and form secrets, a top-up with the trx,
        # a new secret's value, the signature secret in the callbacks' signing.
        basic = (PRIMARY, SECRETS[0])
        assert http.get("/account/get-balance", auth=basic).status_code == 200
        assert http.get("/account/get-balance", params={"api_key": SUB, "api_secret": SUB_SECRET}).status_code == 200
        assert http.post("/account/top-up", data={"trx": TRX}, auth=basic).status_code == 200
        http.post("/account/top-up", params={"trx": TRX}, auth=basic)  # refused (a 400), and journaled as such
        assert http.get("/account/get-balance", auth=(PRIMARY, "Wrong1secret")).status_code == 401
        created = http.post(f"/accounts/{SUB}/secrets", json={"secret": "Created1secret"}, auth=basic)
        assert created.status_code == 201
        http.post("/_mock/faults", json={"operation_id": "get_balance", "status": 429, "account": PRIMARY})
        assert http.post(f"/_mock/accounts/{PRIMARY}/inbound-sms?retries=0", json={"from": "1", "to": "2"}).is_success
        assert http.post(f"/_mock/accounts/{PRIMARY}/delivery-receipts?retries=0", json={}).is_success
        answers = {
            path: http.get(path)
            for path in (
                "/_mock/dashboard/",
                "/_mock/dashboard/dashboard.js",
                "/_mock/dashboard/dashboard.css",
                "/_mock/account-details",
                f"/_mock/accounts/{PRIMARY}",
                f"/_mock/accounts/{SUB}",
                "/_mock/accounts",
                "/_mock/journal?limit=200",
                f"/_mock/journal?account={PRIMARY}",
                "/_mock/deliveries",
                "/_mock/faults",
                "/_mock/operations",
            )
        }
    assert all(answer.status_code == 200 for answer in answers.values()), answers
    journal = answers["/_mock/journal?limit=200"].json()["entries"]
    assert {entry["operation_id"] for entry in journal} >= {"get_balance", "top_up", "create_secret"}
    assert answers["/_mock/deliveries"].json()["deliveries"], "the callbacks were made"
    leaks = [*SECRETS, SUB_SECRET, SIGNATURE_SECRET, TRX, "Created1secret", "Wrong1secret"]
    for path, answer in answers.items():
        for leak in leaks:
            for form in _forms(leak):
                assert form not in answer.text, f"{path} holds {leak!r} (as {form!r})"
