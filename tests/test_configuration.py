"""Settings (default webhooks) and email-sender registration."""

from __future__ import annotations

import httpx
from vonage_account_client.api.configuration import register_sender, update_settings
from vonage_account_client.models import (
    RegisterSenderRequest,
    RegisterSenderResponse,
    RestBadRequest,
    Settings,
    SettingsRequest,
)

from tests.conftest import KEY, SECRET, Mock
from vonage_account_mock.state.models import MAX_SENDERS

INBOUND = "https://example.com/webhooks/inbound-sms"
RECEIPTS = "https://example.com/webhooks/delivery-receipt"


def test_an_empty_post_reads_the_settings_with_their_limits(mock: Mock) -> None:
    settings = update_settings.sync(client=mock.client())
    assert isinstance(settings, Settings)
    assert (settings.max_outbound_request, settings.max_inbound_request, settings.max_calls_per_second) == (30, 30, 30)
    assert not settings.mo_callback_url and not settings.dr_callback_url


def test_settings_are_set_and_kept(mock: Mock) -> None:
    update_settings.sync(
        client=mock.client(), body=SettingsRequest(mo_call_back_url=INBOUND, dr_call_back_url=RECEIPTS)
    )
    settings = update_settings.sync(client=mock.client())
    assert isinstance(settings, Settings)
    assert (settings.mo_callback_url, settings.dr_callback_url) == (INBOUND, RECEIPTS)


def test_the_python_sdk_v4_spelling_is_accepted(mock: Mock) -> None:
    settings = update_settings.sync(client=mock.client(), body=SettingsRequest(mo_callback_url=INBOUND))
    assert isinstance(settings, Settings) and settings.mo_callback_url == INBOUND


def test_an_empty_string_unsets_a_webhook(mock: Mock) -> None:
    client = mock.client()
    update_settings.sync(client=client, body=SettingsRequest(mo_call_back_url=INBOUND, dr_call_back_url=RECEIPTS))
    settings = update_settings.sync(client=client, body=SettingsRequest(mo_call_back_url=""))
    assert isinstance(settings, Settings)
    assert not settings.mo_callback_url and settings.dr_callback_url == RECEIPTS


def test_a_malformed_webhook_is_refused_and_changes_nothing(mock: Mock) -> None:
    client = mock.client()
    update_settings.sync(client=client, body=SettingsRequest(mo_call_back_url=INBOUND))
    response = update_settings.sync_detailed(client=client, body=SettingsRequest(mo_call_back_url="not a url"))
    assert response.status_code == 400
    assert isinstance(response.parsed, RestBadRequest)
    assert response.parsed.invalid_parameters.additional_properties == {
        "moCallBackUrl": "Does not match the required format."
    }
    assert mock.backend.account(KEY).settings.mo_callback_url == INBOUND


def test_http_forward_method_is_stored(mock: Mock) -> None:
    with mock.http() as http:
        response = http.post("/account/settings", auth=(KEY, SECRET), data={"httpForwardMethod": "POST_JSON"})
    assert response.status_code == 200
    assert mock.backend.account(KEY).settings.http_forward_method == "POST_JSON"


def test_register_sender_stores_and_echoes(mock: Mock) -> None:
    request = RegisterSenderRequest(provider="email", value="bob@company.com", name="link", application_ids=["app1"])
    echoed = register_sender.sync(client=mock.client(), body=request)
    assert echoed == RegisterSenderResponse(
        provider="email", value="bob@company.com", name="link", application_ids=["app1"]
    )
    assert "bob@company.com" in mock.backend.account(KEY).senders


def test_register_sender_refuses_a_bad_address(mock: Mock) -> None:
    get_settings = update_settings.sync(client=mock.client())
    assert get_settings is not None
    with mock.http() as http:
        response = http.post(
            "/account/register-sender", auth=(KEY, SECRET), json={"provider": "email", "value": "not-an-email"}
        )
    assert response.status_code == 400
    assert response.json()["invalid_parameters"] == {"value": "Must be a valid email."}
    assert mock.backend.account(KEY).senders == {}


def _register(http: httpx.Client, value: str, name: str | None = None) -> httpx.Response:
    body = {"provider": "email", "value": value, **({"name": name} if name else {})}
    return http.post("/account/register-sender", auth=(KEY, SECRET), json=body)


def test_an_account_keeps_at_most_max_senders_and_re_registering_one_still_works(mock: Mock) -> None:
    with mock.http() as http:
        accepted = [_register(http, f"sender{n}@example.com").status_code for n in range(MAX_SENDERS)]
        assert accepted == [200] * MAX_SENDERS
        refused = _register(http, "one-too-many@example.com")
        assert refused.status_code == 400
        assert refused.headers["content-type"] == "application/json"
        assert refused.json() == {
            "type": "BAD_REQUEST",
            "error_title": "Bad Request",
            "invalid_parameters": {
                "value": f"Is one sender too many: an account registers at most {MAX_SENDERS}; "
                "re-registering one of them still works"
            },
        }
        again = _register(http, "sender7@example.com", name="renamed")
        assert again.status_code == 200
        assert again.json() == {"provider": "email", "value": "sender7@example.com", "name": "renamed"}
    senders = mock.backend.account(KEY).senders
    assert len(senders) == MAX_SENDERS and "one-too-many@example.com" not in senders
    assert senders["sender7@example.com"].name == "renamed"
