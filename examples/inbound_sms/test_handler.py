"""The handler's own tests: only the vonage-account-mock pytest plugin, no HTTP written by hand and no port."""

from handler import Inbox, create_handler
from vonage_account_client.api.configuration import update_settings
from vonage_account_client.models import SettingsRequest

from vonage_account_mock.testing import VonageMock


def _point_webhooks_at(
    mock: VonageMock, app: object, method: str = "POST_JSON", signature: dict[str, str] | None = None
) -> None:
    """Route callbacks into the app (no port), and set the account's webhook through the Account API."""
    base = mock.deliver_to_app(app)
    account = mock.seed_account(signature=signature)
    settings = SettingsRequest(mo_call_back_url=f"{base}/webhooks/inbound-sms", http_forward_method=method)  # type: ignore[arg-type]
    update_settings.sync(client=mock.client(account.api_key, account.api_secret), body=settings)


def test_stop_opts_the_sender_out(vonage_mock_in_process: VonageMock) -> None:
    inbox = Inbox()
    base = vonage_mock_in_process.deliver_to_app(create_handler(inbox))  # no port: straight into the app
    vonage_mock_in_process.seed_account(settings={"mo_callback_url": f"{base}/webhooks/inbound-sms"})

    vonage_mock_in_process.send_inbound_sms("STOP", from_="447700900123")

    assert inbox.opted_out == {"447700900123"}


def test_each_forward_method_reaches_the_handler(vonage_mock_in_process: VonageMock) -> None:
    inbox = Inbox()
    for method in ("GET_QUERY_PARAMS", "POST_QUERY_PARAMS", "POST_JSON"):
        _point_webhooks_at(vonage_mock_in_process, create_handler(inbox), method)
        vonage_mock_in_process.send_inbound_sms(method)
    assert [text for _, text in inbox.messages] == ["GET_QUERY_PARAMS", "POST_QUERY_PARAMS", "POST_JSON"]


def test_a_long_message_is_put_back_together(vonage_mock_in_process: VonageMock) -> None:
    inbox = Inbox()
    _point_webhooks_at(vonage_mock_in_process, create_handler(inbox), "POST_QUERY_PARAMS")
    text = "Please call me back about my order. " * 8

    answer = vonage_mock_in_process.send_inbound_sms(text, from_="447700900123")

    assert len(answer["deliveries"]) == 2
    assert inbox.messages == [("447700900123", text)] and inbox.parts == {}


def test_a_signed_message_is_accepted_and_one_signed_with_another_secret_is_refused_and_retried(
    vonage_mock_in_process: VonageMock,
) -> None:
    inbox = Inbox()
    handler = create_handler(inbox, api_key="abcd1234", signature_secret="Handler1Secret", method="sha256")
    _point_webhooks_at(vonage_mock_in_process, handler, signature={"secret": "Handler1Secret", "method": "sha256"})
    assert vonage_mock_in_process.send_inbound_sms("signed")["delivered"]

    # A handler expecting another secret refuses what the account signs, and the service keeps retrying.
    mismatched = create_handler(inbox, api_key="abcd1234", signature_secret="Other1Secret", method="sha256")
    _point_webhooks_at(vonage_mock_in_process, mismatched, signature={"secret": "Handler1Secret", "method": "sha256"})
    vonage_mock_in_process.send_inbound_sms("refused", retries=2)
    vonage_mock_in_process.advance_deliveries(3600)

    assert inbox.messages == [("447700900001", "signed")]
    refused = vonage_mock_in_process.deliveries("inbound-sms")[-1]
    assert [attempt["status"] for attempt in refused["attempts"]] == [401, 401, 401] and refused["state"] == "failed"
