"""The one HTTP client of the control API: the handle's remote port and the mock CLI speak through it."""

from __future__ import annotations

import socket

import pytest

from vonage_account_mock import create_app
from vonage_account_mock.control.client import ControlClient, ControlUnreachable
from vonage_account_mock.control.operations import ControlError
from vonage_account_mock.serving.server import ThreadedMockServer

TOKEN = "control-token-0123456789"


def test_each_operation_answers_the_control_spec_documents() -> None:
    with ThreadedMockServer(create_app(control_token=TOKEN)) as server, ControlClient(server.url, TOKEN) as control:
        assert control.health()["status"] == "ok"
        account = control.put_account("client 1", {"secrets": ["Initial1secret"], "balance": "3.00"})
        assert account["api_key"] == "client 1"  # a key is quoted into its path segment
        assert control.spend("client 1", "1.00") == "2.00"
        plan = control.add_fault({"operation_id": "get_balance", "status": 500})
        assert [p["id"] for p in control.list_faults()] == [plan["id"]]
        control.remove_fault(plan["id"])
        assert control.journal(operation_id="get_balance") == []
        control.reset()
        with pytest.raises(ControlError) as missing:
            control.get_account("client 1")
    assert missing.value.status == 404 and missing.value.problem["title"] == "Not Found"


def test_a_wrong_token_is_a_control_error_and_no_repr_shows_the_token() -> None:
    with ThreadedMockServer(create_app(control_token=TOKEN)) as server:
        with ControlClient(server.url, "wrong-token-0123456789") as control, pytest.raises(ControlError) as refused:
            control.reset()
        client = ControlClient(server.url, TOKEN)
        assert TOKEN not in repr(client) and server.url in repr(client)
        client.close()
    assert refused.value.status == 401


def test_nothing_listening_or_not_a_url_is_one_line_saying_what_to_check() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with ControlClient(f"http://127.0.0.1:{port}") as control, pytest.raises(ControlUnreachable) as nothing:
        control.health()
    assert f"cannot reach the mock at http://127.0.0.1:{port}" in str(nothing.value) and "running" in str(nothing.value)
    with pytest.raises(ControlUnreachable, match="is not a URL"), ControlClient("http://[::1") as control:
        control.health()
