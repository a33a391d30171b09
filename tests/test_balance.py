"""Balance and top-up, and the rest host's ways of authenticating."""

from __future__ import annotations

from decimal import Decimal

from vonage_account_client.api.balance import get_balance, top_up
from vonage_account_client.models import Balance, ErrorCodeResponse, RestBadRequest, TopUpRequest

from tests.conftest import KEY, SECRET, Mock
from vonage_account_mock import AccountSeed, AutoReload

RELOADING = AccountSeed(
    api_key="reload01",
    secrets=("Reload1secret",),
    balance=Decimal("0.10"),
    auto_reload=AutoReload(enabled=True, trx="8ef2447e69604f642ae59363aa5f781b", amount=Decimal("0.20")),
)


def test_new_account_has_the_default_balance_and_no_auto_reload(mock: Mock) -> None:
    balance = get_balance.sync(client=mock.client())
    assert balance == Balance(value=10.0, auto_reload=False)


def test_top_up_adds_the_reload_amount_exactly(mock: Mock) -> None:
    mock.backend.seed(RELOADING)
    client = mock.client(RELOADING.api_key, "Reload1secret")
    for _ in range(3):
        answer = top_up.sync(client=client, body=TopUpRequest(trx="8ef2447e69604f642ae59363aa5f781b"))
        assert answer == ErrorCodeResponse(error_code="200", error_code_label="success")
    # 0.10 + 3 * 0.20 is 0.7 exactly: no float drift accumulates in the account.
    assert mock.backend.balance(RELOADING.api_key) == (Decimal("0.70"), True)
    assert get_balance.sync(client=client) == Balance(value=0.7, auto_reload=True)


def test_top_up_without_auto_reload_is_refused(mock: Mock) -> None:
    response = top_up.sync_detailed(client=mock.client(), body=TopUpRequest(trx="anything"))
    assert response.status_code == 401
    assert response.parsed == ErrorCodeResponse(error_code="401", error_code_label="not auto-reload enabled")
    assert mock.backend.balance(KEY)[0] == Decimal("10.00")


def test_top_up_with_another_trx_fails(mock: Mock) -> None:
    mock.backend.seed(RELOADING)
    response = top_up.sync_detailed(client=mock.client(RELOADING.api_key, "Reload1secret"), body=TopUpRequest("nope"))
    assert response.status_code == 401
    assert response.parsed == ErrorCodeResponse(error_code="420", error_code_label="topup failed")
    assert mock.backend.balance(RELOADING.api_key)[0] == Decimal("0.10")


def test_top_up_without_trx_names_the_missing_field(mock: Mock) -> None:
    get_balance.sync(client=mock.client())
    with mock.http() as http:
        response = http.post("/account/top-up", auth=(KEY, SECRET))
    assert response.status_code == 400
    parsed = RestBadRequest.from_dict(response.json())
    assert parsed.type_ == "BAD_REQUEST"
    assert parsed.invalid_parameters.additional_properties == {"trx": "Is required."}


def test_query_pair_authenticates_on_the_rest_host(mock: Mock) -> None:
    get_balance.sync(client=mock.client())
    with mock.http() as http:
        response = http.get("/account/get-balance", params={"api_key": KEY, "api_secret": SECRET})
    assert response.status_code == 200
    assert response.json() == {"value": 10.0, "autoReload": False}


def test_form_fields_authenticate_a_legacy_top_up(mock: Mock) -> None:
    mock.backend.seed(RELOADING)
    form = {"trx": "8ef2447e69604f642ae59363aa5f781b", "api_key": "reload01", "api_secret": "Reload1secret"}
    with mock.http() as http:
        response = http.post("/account/top-up", data=form)
    assert response.status_code == 200, response.text
    assert mock.backend.balance("reload01")[0] == Decimal("0.30")


def test_wrong_credentials_on_the_rest_host_get_the_error_code_body(mock: Mock) -> None:
    get_balance.sync(client=mock.client())
    for credentials in ({"auth": (KEY, "Wrong1secret")}, {"params": {"api_key": KEY, "api_secret": "Wrong1"}}, {}):
        with mock.http() as http:
            response = http.get("/account/get-balance", **credentials)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"error-code": "401", "error-code-label": "authentication failed"}


def test_half_a_query_pair_does_not_authenticate(mock: Mock) -> None:
    get_balance.sync(client=mock.client())
    with mock.http() as http:
        response = http.get("/account/get-balance", params={"api_key": KEY})
    assert response.status_code == 401


def test_strict_mode_refuses_unknown_keys(mock: Mock) -> None:
    mock.backend.auto_provision = False
    try:
        assert get_balance.sync_detailed(client=mock.client("unknown1", "Unknown1secret")).status_code == 401
        assert "unknown1" not in mock.backend.api_keys()
    finally:
        mock.backend.auto_provision = True
