"""The mock calls back: inbound SMS and delivery receipts sent to the webhooks the Account API set, as the service
sends them, retried, signed, bounded and kept to loopback receivers."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from vonage_account_client.api.balance import get_balance
from vonage_account_client.api.configuration import update_settings
from vonage_account_client.models import SettingsRequest
from vonage_http_client.auth import Auth

from tests.callback_receiver import Receiver
from vonage_account_mock import create_app
from vonage_account_mock.callbacks.delivery import DeliveryPolicy
from vonage_account_mock.callbacks.schema import payload_problems
from vonage_account_mock.callbacks.targets import AllowList, TargetRefused, resolve_target
from vonage_account_mock.control.operations import ControlError
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_mock.testing import VonageMock

PROJECT = "https://github.com/vonage-account-mock/vonage-account-mock"
INBOUND_FIELDS = {"msisdn", "to", "messageId", "text", "type", "keyword", "message-timestamp"}
CONCAT_FIELDS = {"concat", "concat-ref", "concat-total", "concat-part"}
DLR_FIELDS = {
    "msisdn",
    "to",
    "network-code",
    "messageId",
    "price",
    "status",
    "scts",
    "err-code",
    "api-key",
    "message-timestamp",
}
SIGNATURE_SECRET = "Callback1SigningSecret"
CONTENT_TYPES = {
    "GET_QUERY_PARAMS": None,
    "POST_QUERY_PARAMS": "application/x-www-form-urlencoded; charset=UTF-8",
    "POST_JSON": "application/json",
}


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    with ThreadedMockServer(receiver) as server:
        yield receiver, server.url


@pytest.fixture
def receiver(receiver_server: tuple[Receiver, str]) -> Receiver:
    receiver_server[0].reset()
    return receiver_server[0]


@pytest.fixture
def hooks(receiver_server: tuple[Receiver, str]) -> str:
    return receiver_server[1]


def set_webhooks(mock: VonageMock, hooks: str, method: str | None) -> None:
    """Point the default account's webhooks at the receiver through the Account API, as a consumer would."""
    account = mock.seed_account()
    client = mock.client(account.api_key, account.api_secret)
    body = SettingsRequest(mo_call_back_url=f"{hooks}/inbound-sms", dr_call_back_url=f"{hooks}/delivery-receipt")
    if method is not None:
        body.http_forward_method = method  # type: ignore[assignment]
    assert update_settings.sync_detailed(client=client, body=body).status_code == 200


@pytest.mark.parametrize("method", ["GET_QUERY_PARAMS", "POST_QUERY_PARAMS", "POST_JSON"])
@pytest.mark.parametrize(
    ("text", "kind", "parts"),
    [("Join the club", "text", 1), ("€uro " * 40, "text", 2), ("Привет, как дела? " * 5, "unicode", 2)],
    ids=["short", "long", "unicode"],
)
def test_an_inbound_sms_reaches_the_handler_with_exactly_the_documented_fields(
    vonage_mock: VonageMock, receiver: Receiver, hooks: str, method: str, text: str, kind: str, parts: int
) -> None:
    set_webhooks(vonage_mock, hooks, method)

    answer = vonage_mock.send_inbound_sms(text, from_="447700900001", to="447700900000")

    assert answer["delivered"] is True
    assert len(receiver.received) == len(answer["deliveries"]) == parts
    for number, (seen, delivery) in enumerate(zip(receiver.received, answer["deliveries"], strict=True), start=1):
        assert seen.method == ("GET" if method == "GET_QUERY_PARAMS" else "POST")
        assert seen.path == "/inbound-sms"
        assert seen.headers.get("content-type") == CONTENT_TYPES[method]
        assert seen.headers["user-agent"] == "Nexmo/MessagingHUB/v1.0"
        fields = seen.fields
        assert fields == delivery["request"]["fields"]
        assert set(fields) == INBOUND_FIELDS | (CONCAT_FIELDS if parts > 1 else set())
        assert all(isinstance(value, str) for value in fields.values())
        assert payload_problems("inbound-sms", fields) == []
        assert fields["msisdn"] == "447700900001" and fields["to"] == "447700900000" and fields["type"] == kind
        assert fields["keyword"] == fields["text"].split()[0].upper()
        time.strptime(fields["message-timestamp"], "%Y-%m-%d %H:%M:%S")
        if parts > 1:
            assert (fields["concat"], fields["concat-total"], fields["concat-part"]) == (
                "true",
                str(parts),
                str(number),
            )
        assert delivery["attempts"][0]["status"] == 204 and delivery["state"] == "delivered"
    assert "".join(seen.fields["text"] for seen in receiver.received) == text


@pytest.mark.parametrize("method", ["GET_QUERY_PARAMS", "POST_QUERY_PARAMS", "POST_JSON"])
def test_a_delivery_receipt_reaches_the_handler_with_exactly_the_documented_fields(
    vonage_mock: VonageMock, receiver: Receiver, hooks: str, method: str
) -> None:
    set_webhooks(vonage_mock, hooks, method)

    answer = vonage_mock.send_delivery_receipt(message_id="0C0000002EEBDA56", to="Acme", client_ref="order-42")

    [seen] = receiver.received
    assert answer["delivered"] is True and seen.path == "/delivery-receipt"
    assert seen.headers.get("content-type") == CONTENT_TYPES[method]
    assert set(seen.fields) == DLR_FIELDS | {"client-ref"}
    assert seen.fields["messageId"] == "0C0000002EEBDA56" and seen.fields["to"] == "Acme"
    assert seen.fields["status"] == "delivered" and seen.fields["err-code"] == "0"
    assert seen.fields["api-key"] == vonage_mock.default_api_key and seen.fields["client-ref"] == "order-42"
    assert len(seen.fields["scts"]) == 10 and payload_problems("delivery-receipt", seen.fields) == []


def test_without_a_forward_method_callbacks_are_form_posts(
    vonage_mock: VonageMock, receiver: Receiver, hooks: str
) -> None:
    set_webhooks(vonage_mock, hooks, None)
    vonage_mock.send_delivery_receipt()
    [seen] = receiver.received
    assert seen.method == "POST" and seen.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert "client-ref" not in seen.fields


def test_a_failing_handler_is_retried_and_every_attempt_is_visible(
    vonage_mock: VonageMock, receiver: Receiver, hooks: str
) -> None:
    set_webhooks(vonage_mock, hooks, "POST_JSON")
    receiver.reset(500, 503)

    answer = vonage_mock.send_inbound_sms("hello")
    [first] = answer["deliveries"]
    assert answer["delivered"] is False and first["state"] == "pending"
    assert first["attempts"][0]["status"] == 500 and first["next_attempt_in_s"] is not None

    vonage_mock.advance_deliveries(3600)

    [delivery] = vonage_mock.deliveries("inbound-sms")
    assert [attempt["status"] for attempt in delivery["attempts"]] == [500, 503, 204]
    assert delivery["state"] == "delivered" and delivery["next_attempt_in_s"] is None
    assert [seen.fields["messageId"] for seen in receiver.received] == [first["request"]["fields"]["messageId"]] * 3


def test_a_handler_that_never_accepts_is_given_up_on_after_the_retries_asked_for(
    vonage_mock: VonageMock, receiver: Receiver, hooks: str
) -> None:
    set_webhooks(vonage_mock, hooks, "GET_QUERY_PARAMS")
    receiver.reset(*[500] * 20)

    vonage_mock.send_delivery_receipt(retries=2)
    vonage_mock.advance_deliveries(86400)
    assert vonage_mock.send_delivery_receipt(retries=0)["deliveries"][0]["state"] == "failed"

    gave_up, no_retries = vonage_mock.deliveries("delivery-receipt")
    assert [a["status"] for a in gave_up["attempts"]] == [500, 500, 500] and gave_up["state"] == "failed"
    assert len(no_retries["attempts"]) == 1 and len(receiver.received) == 4


def test_the_whole_schedule_spans_about_a_day_of_service_time(
    vonage_mock: VonageMock, receiver: Receiver, hooks: str
) -> None:
    set_webhooks(vonage_mock, hooks, "POST_QUERY_PARAMS")
    receiver.reset(*[500] * 20)
    vonage_mock.send_delivery_receipt()

    vonage_mock.advance_deliveries(3600)
    # The first hour holds retries after 1, 5, 15 and 30 minutes (the wall clock may have made some already).
    [within_an_hour] = vonage_mock.deliveries()
    assert len(within_an_hour["attempts"]) >= 5 and within_an_hour["state"] == "pending"
    vonage_mock.advance_deliveries(86400)
    [delivery] = vonage_mock.deliveries()
    assert delivery["state"] == "failed" and len(delivery["attempts"]) == delivery["max_attempts"] == 10


@pytest.mark.parametrize("method", ["md5", "sha1", "sha256", "sha512"])
def test_signed_callbacks_verify_with_the_official_sdk(
    vonage_mock: VonageMock, receiver: Receiver, hooks: str, method: str
) -> None:
    vonage_mock.seed_account(
        signature={"secret": SIGNATURE_SECRET, "method": method},
        settings={
            "mo_callback_url": f"{hooks}/in",
            "dr_callback_url": f"{hooks}/dr",
            "http_forward_method": "POST_JSON",
        },
    )
    vonage_mock.send_inbound_sms("pay = 5 & more " * 12)  # two parts, with the characters the SDKs replace
    vonage_mock.send_delivery_receipt(client_ref="a=b&c")

    sdk = Auth(api_key=vonage_mock.default_api_key, signature_secret=SIGNATURE_SECRET, signature_method=method)
    assert len(receiver.received) == 3
    for seen in receiver.received:
        fields = seen.fields
        assert {"timestamp", "nonce", "sig"} <= set(fields)
        assert sdk.check_signature(dict(fields))
        assert not Auth(
            api_key=vonage_mock.default_api_key, signature_secret="Wrong1secret", signature_method=method
        ).check_signature(dict(fields))


def test_a_non_loopback_target_is_refused_and_nothing_is_sent(vonage_mock: VonageMock) -> None:
    vonage_mock.seed_account(settings={"mo_callback_url": "http://10.1.2.3/webhooks/inbound"})
    with vonage_mock.http() as http:
        response = http.post(
            f"/_mock/accounts/{vonage_mock.default_api_key}/inbound-sms", json={"from": "1", "to": "2"}
        )
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"{PROJECT}#forbidden"
    assert "loopback" in response.json()["detail"] and "--callback-allow-host" in response.json()["detail"]
    assert vonage_mock.deliveries() == []


UNUSABLE_URLS = [
    "http://012.0.0.1/dr",  # an octet with a leading zero (octal to some parsers)
    "http://1.2.3.04/dr",
    "http://xn--n3h.example/dr",  # the A-label of a name IDNA 2008 forbids (a snowman)
    "http://\u2603.example/dr",
    "http://xn--zz.example/dr",  # not valid Punycode
    "http://xn--/dr",
    "http://[::1/dr",
    "http://localhost:99999/dr",
    "http://localhost:0/dr",
]


@pytest.mark.parametrize("url", UNUSABLE_URLS)
def test_a_callback_url_that_cannot_be_parsed_is_refused_like_any_other_target(
    vonage_mock: VonageMock, receiver: Receiver, hooks: str, url: str
) -> None:
    key = vonage_mock.default_api_key
    with vonage_mock.http() as http:
        settings = {"mo_callback_url": url, "dr_callback_url": url}
        account = {"secrets": ["Initial1secret"], "settings": settings}
        assert http.put(f"/_mock/accounts/{key}", json=account).status_code == 200
        for trigger, body in (("inbound-sms", {"from": "1", "to": "2"}), ("delivery-receipts", {})):
            response = http.post(f"/_mock/accounts/{key}/{trigger}", json=body)
            assert response.status_code == 403, response.text
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["type"] == f"{PROJECT}#forbidden" and problem["title"] == "Forbidden"
            assert "cannot be used" in problem["detail"] and "POST /account/settings" in problem["detail"]
        assert vonage_mock.deliveries() == []
        # The mock goes on answering, callbacks included.
        vonage_mock.seed_account("good0001", settings={"dr_callback_url": f"{hooks}/dr"})
        assert http.post("/_mock/accounts/good0001/delivery-receipts", json={}).json()["delivered"] is True
    assert len(receiver.received) == 1


@pytest.mark.parametrize("url", UNUSABLE_URLS)
def test_the_target_check_refuses_a_url_it_cannot_parse(url: str) -> None:
    with pytest.raises(TargetRefused, match="cannot be used"):
        asyncio.run(resolve_target(url, AllowList()))


def test_a_host_that_does_not_resolve_says_where_to_point_the_webhook() -> None:
    async def nowhere(host: str) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(TargetRefused) as refused:
        asyncio.run(resolve_target("https://example.com/webhooks/inbound", AllowList(), nowhere))
    assert str(refused.value) == (
        "the callback host 'example.com' does not resolve: set the webhook (moCallBackUrl or drCallBackUrl) to a "
        "receiver this machine can reach, e.g. http://127.0.0.1:9000/, with POST /account/settings"
    )


@pytest.mark.parametrize("url", ["http://xn--zca.example/dr", "http://\u00df.example/dr"])
def test_an_allowed_idna_name_matches_in_its_ascii_form(url: str) -> None:
    target = asyncio.run(resolve_target(url, AllowList.parse(["xn--zca.example"])))
    assert target.url.raw_host == b"xn--zca.example"


def _own_address() -> str:
    """A non-loopback IPv4 address of this machine (the test is skipped on a machine without one)."""
    import ipaddress

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.254", 9))  # no packet is sent: this only picks the interface of the route
            address = str(probe.getsockname()[0])
        except OSError:
            address = "127.0.0.1"
    if ipaddress.ip_address(address).is_loopback:
        pytest.skip("this machine has no non-loopback address to serve a receiver on")
    return address


def test_an_allowed_network_is_called_and_others_are_not() -> None:
    address = _own_address()
    receiver = Receiver()
    with ThreadedMockServer(receiver, host=address) as hooks:
        url = f"http://{address}:{hooks.port}/dr"
        for allow, delivered in (([], False), ([f"{address}/32"], True)):
            app = create_app(callback_policy=DeliveryPolicy(allow=AllowList.parse(allow), retry_delays=()))
            try:
                app.control.put_account(
                    "abcd1234", {"secrets": ["Initial1secret"], "settings": {"dr_callback_url": url}}
                )
                if delivered:
                    assert app.control.send_callback("abcd1234", "delivery-receipt", {})["delivered"] is True
                else:
                    with pytest.raises(ControlError) as refused:
                        app.control.send_callback("abcd1234", "delivery-receipt", {})
                    assert refused.value.status == 403 and address in refused.value.detail
            finally:
                app.close()
    # Refused before any connection, then called once allowed.
    assert len(receiver.received) == 1


def test_a_loopback_name_is_called_at_the_address_checked_with_its_host_header_kept(
    vonage_mock: VonageMock, receiver: Receiver, hooks: str
) -> None:
    port = httpx.URL(hooks).port
    vonage_mock.seed_account(settings={"dr_callback_url": f"http://localhost:{port}/dr?tenant=7"})
    assert vonage_mock.send_delivery_receipt()["delivered"]
    [seen] = receiver.received
    assert seen.headers["host"] == f"localhost:{port}"
    assert seen.path == "/dr" and seen.query == {"tenant": "7"}


def test_no_webhook_url_is_a_409_problem(vonage_mock: VonageMock) -> None:
    vonage_mock.seed_account()
    with vonage_mock.http() as http:
        response = http.post(f"/_mock/accounts/{vonage_mock.default_api_key}/delivery-receipts", json={})
        unknown = http.post("/_mock/accounts/nobody99/inbound-sms", json={"from": "1", "to": "2"})
    assert response.status_code == 409 and response.json()["type"] == f"{PROJECT}#conflict"
    assert "drCallBackUrl" in response.json()["detail"]
    assert unknown.status_code == 404


def test_a_trigger_without_its_required_fields_is_a_400(vonage_mock: VonageMock, hooks: str) -> None:
    vonage_mock.seed_account(settings={"mo_callback_url": f"{hooks}/in"})
    with vonage_mock.http() as http:
        response = http.post(f"/_mock/accounts/{vonage_mock.default_api_key}/inbound-sms", json={"text": "hi"})
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"


def test_delivery_never_holds_up_the_account_api(vonage_mock: VonageMock, receiver: Receiver, hooks: str) -> None:
    set_webhooks(vonage_mock, hooks, "POST_JSON")
    receiver.reset(delay=8.0)
    client = vonage_mock.client()
    trigger = threading.Thread(target=vonage_mock.send_inbound_sms, args=("slow",))
    trigger.start()
    try:
        while not receiver.received:
            time.sleep(0.01)
        started = time.perf_counter()
        assert get_balance.sync_detailed(client=client).status_code == 200
        # Answered while the receiver still holds its callback (8 s): a generous bound for a shared machine.
        assert time.perf_counter() - started < 4
        assert trigger.is_alive() or receiver.received
    finally:
        trigger.join(30)


def test_the_signature_secret_is_never_shown_logged_or_journaled(
    vonage_mock: VonageMock, receiver: Receiver, hooks: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    vonage_mock.seed_account(
        signature={"secret": SIGNATURE_SECRET, "method": "sha256"}, settings={"mo_callback_url": f"{hooks}/in"}
    )
    answer = vonage_mock.send_inbound_sms("hello")
    with vonage_mock.http() as http:
        shown = [
            json.dumps(answer),
            http.get(f"/_mock/accounts/{vonage_mock.default_api_key}").text,
            http.get("/_mock/deliveries").text,
            http.get("/_mock/journal").text,
            http.put(
                "/_mock/accounts/other001",
                json={"secrets": ["X"], "signature": {"secret": SIGNATURE_SECRET, "method": "crc"}},
            ).text,
        ]
    assert vonage_mock.account()["signature"] == {"method": "sha256", "secret": "[redacted]"}
    for text in [*shown, caplog.text]:
        assert SIGNATURE_SECRET not in text


def test_reset_forgets_deliveries_and_stops_their_retries(
    vonage_mock: VonageMock, receiver: Receiver, hooks: str
) -> None:
    set_webhooks(vonage_mock, hooks, "POST_JSON")
    receiver.reset(*[500] * 20)
    vonage_mock.send_delivery_receipt()
    vonage_mock.port.reset()
    sent = len(receiver.received)  # the wall clock may have made a retry before the reset
    assert vonage_mock.deliveries() == []
    vonage_mock.advance_deliveries(86400)
    time.sleep(0.2)
    assert len(receiver.received) == sent


def test_a_seed_file_gives_an_account_a_signature(tmp_path: Path) -> None:
    from vonage_account_mock.state.seed import SeedError, load_seed_file

    entry = "accounts:\n  - api_key: abcd1234\n    secrets: [Initial1secret]\n"
    good = tmp_path / "good.yaml"
    good.write_text(f"{entry}    signature: {{secret: {SIGNATURE_SECRET}, method: sha512}}\n")
    [seed] = load_seed_file(good)
    assert seed.signature is not None and seed.signature.method == "sha512"
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"{entry}    signature: {{secret: {SIGNATURE_SECRET}, method: crc32}}\n")
    with pytest.raises(SeedError, match=r"signature\.method") as error:
        load_seed_file(bad)
    assert SIGNATURE_SECRET not in str(error.value)


def test_an_http_target_is_called_at_the_address_that_was_checked() -> None:
    target = asyncio.run(resolve_target("http://localhost:8123/hooks?a=1", AllowList()))
    assert target.url.host in {"127.0.0.1", "::1"} and target.url.port == 8123
    assert target.url.raw_path == b"/hooks?a=1" and target.host_header == "localhost:8123"
    # https too: the address checked, with the name kept for the certificate check (as the TLS server name).
    secure = asyncio.run(resolve_target("https://localhost/hooks", AllowList()))
    assert secure.url.host in {"127.0.0.1", "::1"} and secure.sni_hostname == "localhost"


def test_an_https_receiver_with_a_local_ca_is_called_at_the_checked_address_by_its_name(tmp_path: Path) -> None:
    import trustme

    from vonage_account_mock.serving.tls import TlsFiles

    ca = trustme.CA()
    issued = ca.issue_cert("localhost")
    ca_file, chain, key = tmp_path / "ca.pem", tmp_path / "chain.pem", tmp_path / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    issued.private_key_pem.write_to_path(str(key))
    chain.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
    receiver = Receiver()
    app = create_app(callback_policy=DeliveryPolicy(timeout=2, retry_delays=(), ca_bundle=str(ca_file)))
    with ThreadedMockServer(receiver, tls=TlsFiles(ca_bundle=ca_file, certfile=chain, keyfile=key)) as hooks:
        port = hooks.url.rsplit(":", 1)[1]
        app.control.put_account(
            "abcd1234", {"secrets": ["Initial1secret"], "settings": {"dr_callback_url": f"https://localhost:{port}/dr"}}
        )
        try:
            [delivery] = app.control.send_callback("abcd1234", "delivery-receipt", {})["deliveries"]
        finally:
            app.close()
    assert delivery["state"] == "delivered", delivery["attempts"]
    assert [r.headers["host"] for r in receiver.received] == [f"localhost:{port}"]


def test_a_payload_outside_the_callback_spec_is_never_sent(vonage_mock_in_process: VonageMock) -> None:
    received: list[object] = []

    def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        received.append(environ)
        start_response("204 No Content", [])
        return []

    base = vonage_mock_in_process.deliver_to_app(wsgi_app)
    vonage_mock_in_process.seed_account(settings={"dr_callback_url": f"{base}/dr"})
    # In-process calls skip the control spec's checks, so only the callback spec stands in the way here.
    with pytest.raises(ControlError, match=r"callbacks\.yaml") as refused:
        vonage_mock_in_process.send_delivery_receipt(message_id="not-hex", network_code="x")
    assert refused.value.status == 400 and received == []


def _callbacks_after_reset(seed: int | None) -> list[dict[str, Any]]:
    """What a receiver gets for one long signed inbound SMS and one receipt, after a reset with `seed`."""
    receiver = Receiver()
    app = create_app(callback_policy=DeliveryPolicy(retry_delays=()))
    app.control.callbacks.route_to_app("http://hooks.invalid", receiver)
    app.control.reset(deterministic_seed=seed)
    settings = {"mo_callback_url": "http://hooks.invalid/mo", "dr_callback_url": "http://hooks.invalid/dr"}
    signature = {"secret": SIGNATURE_SECRET, "method": "sha256"}
    app.control.put_account("abcd1234", {"secrets": ["Initial1secret"], "settings": settings, "signature": signature})
    try:
        app.control.send_callback(
            "abcd1234", "inbound-sms", {"from": "447700900001", "to": "4477", "text": "word " * 60}
        )
        app.control.send_callback("abcd1234", "delivery-receipt", {})
    finally:
        app.close()
    return [received.fields for received in receiver.received]


def test_deterministic_mode_makes_the_callbacks_reproducible() -> None:
    first, again, other = _callbacks_after_reset(7), _callbacks_after_reset(7), _callbacks_after_reset(8)
    assert len(first) == 3 and first == again  # ids, concat-ref, timestamps, nonces and signatures alike
    assert first[0]["message-timestamp"].startswith("2024-01-01")
    assert [p["messageId"] for p in other] != [p["messageId"] for p in first]
    real = _callbacks_after_reset(None)
    assert [p["nonce"] for p in real] != [p["nonce"] for p in _callbacks_after_reset(None)]


def test_a_lookup_that_times_out_does_not_show_the_urls_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    released = threading.Event()

    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        released.wait(30)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    app = create_app(callback_policy=DeliveryPolicy(timeout=1.0, time_scale=1.0))
    url = "http://hookuser:Hook1password@stalled.example:8443/dr?token=Query1token"
    try:
        app.control.put_account("tenantc1", {"secrets": ["Initial1secret"], "settings": {"dr_callback_url": url}})
        with pytest.raises(ControlError) as refused:
            app.control.send_callback("tenantc1", "delivery-receipt", {})
    finally:
        released.set()
        app.close()
    assert refused.value.status == 403 and "stalled.example:8443 did not resolve within 1 s" in refused.value.detail
    for secret in ("hookuser", "Hook1password", "Query1token"):
        assert secret not in refused.value.detail
