"""Callbacks through the pytest handle (in-process apps with no port, a remote mock) and the `send` command."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.callback_receiver import Receiver
from vonage_account_mock import create_app
from vonage_account_mock.control.client import ControlClient
from vonage_account_mock.control.operations import ControlError
from vonage_account_mock.serving.cli import main
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_mock.testing import VonageMock


def test_callbacks_reach_a_wsgi_app_in_this_process_with_no_port(vonage_mock_in_process: VonageMock) -> None:
    seen: list[dict[str, str]] = []

    def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        seen.append(dict(parse_qsl(environ["wsgi.input"].read(length).decode())) | {"_path": environ["PATH_INFO"]})
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    base = vonage_mock_in_process.deliver_to_app(wsgi_app)
    vonage_mock_in_process.seed_account(settings={"mo_callback_url": f"{base}/webhooks/inbound-sms"})

    answer = vonage_mock_in_process.send_inbound_sms("Hello", from_="447700900001")

    assert answer["delivered"] and seen[0]["_path"] == "/webhooks/inbound-sms"
    assert seen[0]["text"] == "Hello" and seen[0]["msisdn"] == "447700900001"


def test_callbacks_reach_an_asgi_app_next_to_a_threaded_mock(vonage_mock: VonageMock) -> None:
    async def receipt(request: Request) -> Response:
        return JSONResponse(await request.json())

    base = vonage_mock.deliver_to_app(Starlette(routes=[Route("/dr", receipt, methods=["POST"])]), "http://app.test")
    vonage_mock.seed_account(settings={"dr_callback_url": f"{base}/dr", "http_forward_method": "POST_JSON"})

    assert vonage_mock.send_delivery_receipt(status="expired")["delivered"]
    assert vonage_mock.deliveries("delivery-receipt")[0]["request"]["fields"]["status"] == "expired"


def test_a_route_to_an_app_ends_with_the_test(vonage_mock_in_process: VonageMock) -> None:
    base = vonage_mock_in_process.deliver_to_app(Receiver())
    vonage_mock_in_process.end_test()
    vonage_mock_in_process.start_test()
    vonage_mock_in_process.seed_account(settings={"dr_callback_url": f"{base}/dr"})
    with pytest.raises(ControlError) as refused:
        vonage_mock_in_process.send_delivery_receipt()
    assert refused.value.status == 403


@pytest.fixture(scope="module")
def remote_mock() -> Iterator[tuple[ThreadedMockServer, Receiver, str]]:
    receiver = Receiver()
    with ThreadedMockServer(create_app()) as server, ThreadedMockServer(receiver) as hooks:
        yield server, receiver, hooks.url


def test_a_remote_mock_calls_back_and_each_tenant_sees_only_its_own_deliveries(
    remote_mock: tuple[ThreadedMockServer, Receiver, str],
) -> None:
    server, receiver, hooks = remote_mock
    with ControlClient(server.url) as control:
        mine, theirs = (VonageMock.shared_tenant(control, server.url) for _ in range(2))
        _two_tenants(mine, theirs, receiver, hooks)
    assert server.app.control.deliveries(account=mine.default_api_key) == []


def _two_tenants(mine: VonageMock, theirs: VonageMock, receiver: Receiver, hooks: str) -> None:
    for handle in (mine, theirs):
        handle.start_test()
        handle.seed_account(settings={"mo_callback_url": f"{hooks}/in", "http_forward_method": "GET_QUERY_PARAMS"})
    try:
        assert mine.send_inbound_sms("mine")["delivered"]
        assert theirs.send_inbound_sms("theirs")["delivered"]
        assert [d["request"]["fields"]["text"] for d in mine.deliveries()] == ["mine"]
        with pytest.raises(RuntimeError, match="in this process"):
            mine.deliver_to_app(receiver)
    finally:
        mine.end_test()
        theirs.end_test()


def test_send_delivers_and_exits_0_or_3_when_the_receiver_does_not_accept(
    remote_mock: tuple[ThreadedMockServer, Receiver, str],
) -> None:
    server, receiver, hooks = remote_mock
    server.app.control.put_account(
        "cli00001", {"secrets": ["Cli1secret"], "settings": {"mo_callback_url": f"{hooks}/in"}}
    )
    runner = CliRunner()
    command = ["send", "inbound-sms", "--url", server.url, "--api-key", "cli00001", "--from", "4477", "--to", "4478"]

    receiver.reset()
    delivered = runner.invoke(main, [*command, "--text", "hello"])
    receiver.reset(500)
    refused = runner.invoke(main, [*command, "--text", "again", "--retries", "0"])

    assert delivered.exit_code == 0, delivered.output
    assert "POST" in delivered.output and "-> 204 (delivered)" in delivered.output
    assert refused.exit_code == 3 and "-> 500 (failed)" in refused.output


def test_send_reports_a_refusal_on_one_line_and_exits_1(remote_mock: tuple[ThreadedMockServer, Receiver, str]) -> None:
    server, _, _ = remote_mock
    server.app.control.put_account("cli00002", {"secrets": ["Cli1secret"]})
    result = CliRunner().invoke(main, ["send", "delivery-receipt", "--url", server.url, "--api-key", "cli00002"])
    unreachable = CliRunner().invoke(main, ["send", "delivery-receipt", "--url", "http://127.0.0.1:9"])

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        "error: the mock refused (409): Account 'cli00002' has no drCallBackUrl: set it with POST /account/settings"
    ]
    assert unreachable.exit_code == 1 and "cannot reach the mock" in unreachable.output


def test_send_failures_name_the_field_say_what_to_do_and_honour_json(
    remote_mock: tuple[ThreadedMockServer, Receiver, str],
) -> None:
    server, _, hooks = remote_mock
    server.app.control.put_account("cli00003", {"secrets": ["Cli1secret"], "settings": {"dr_callback_url": hooks}})
    send = ["send", "delivery-receipt", "--url", server.url]
    invalid = CliRunner().invoke(main, [*send, "--api-key", "cli00003", "--message-id", "not-hex"])
    unknown = CliRunner().invoke(main, [*send, "--api-key", "nobody01"])
    as_json = CliRunner().invoke(main, [*send, "--api-key", "nobody01", "--json"])
    not_a_url = CliRunner().invoke(main, ["send", "delivery-receipt", "--url", "http://[::1"])

    for result in (invalid, unknown, as_json, not_a_url):
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert len(invalid.output.splitlines()) == 1 and "message_id" in invalid.output, invalid.output
    assert "once its key calls the Account API" in unknown.output
    assert json.loads(as_json.output)["error"]["title"] == "Not Found"
    assert not_a_url.output.startswith("error: --url 'http://[::1' is not a URL")


def test_the_cli_server_calls_an_allowed_network_and_refuses_others_without_logging_the_secret() -> None:
    from tests.test_cli import _wait_ready, serving

    account = {
        "secrets": ["Cli1secret"],
        "signature": {"secret": "Cli1SigningSecret", "method": "sha1"},
        "settings": {"dr_callback_url": "http://192.0.2.1/dr", "mo_callback_url": "http://198.51.100.1/in"},
    }
    with serving("--callback-allow-host", "192.0.2.0/24", "--callback-timeout", "0.2") as (process, url, _):
        _wait_ready(url)
        assert httpx.put(f"{url}/_mock/accounts/cli00003", json=account).status_code == 200
        allowed = httpx.post(f"{url}/_mock/accounts/cli00003/delivery-receipts", params={"retries": 0}, timeout=10)
        refused = httpx.post(f"{url}/_mock/accounts/cli00003/inbound-sms", json={"from": "1", "to": "2"}, timeout=10)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    assert allowed.status_code == 200
    [attempt] = allowed.json()["deliveries"][0]["attempts"]
    assert attempt["status"] is None and attempt["error"] and "loopback" not in attempt["error"]
    assert refused.status_code == 403 and "198.51.100.1" in refused.json()["detail"]
    assert "callback dlv-1 delivery-receipt attempt 1" in stderr
    assert "Cli1SigningSecret" not in stderr and "Traceback" not in stderr


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "10.0.0.1/8", "999.1.1.1", "not a host"])
def test_a_mistyped_callback_allow_host_stops_the_start(entry: str) -> None:
    # Each of these once became a host name that never matched (or a wider network than written), silently.
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--callback-allow-host", entry])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert result.output.startswith("error: Invalid value for '--callback-allow-host'") and entry in result.output
