"""One control port: the mock's operations in this process and their HTTP client offer the same methods and answer
the same documents, so a handle (or a script) cannot tell which side of a socket it is on."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import httpx
import yaml

from vonage_account_mock import create_app
from vonage_account_mock.control.client import ControlClient
from vonage_account_mock.control.operations import ControlError, MockControl
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_mock.testing.clients import in_process_http
from vonage_account_mock.testing.handle import ControlPort

CONTROL_SPEC = "openapi/vonage_account_spec/mock-control.yaml"
# The control spec's operations the port offers under another name (the rest keep theirs); `health` is the
# client's alone: a mock in this process is up by definition.
PORT_METHOD = {
    "get_journal": "journal",
    "get_snapshot": "snapshot",
    "put_snapshot": "load_snapshot",
    "list_account_details": "account_details",
    "list_operations": "operations",
    "list_deliveries": "deliveries",
    "send_inbound_sms": "send_callback",
    "send_delivery_receipt": "send_callback",
}
PORT_METHODS = sorted(name for name in vars(ControlPort) if not name.startswith("_"))


def _parameters(method: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
    signature = inspect.signature(method)
    return [(p.name, p.kind, p.default) for p in signature.parameters.values() if p.name != "self"]


def test_both_sides_offer_every_method_of_the_port_with_the_same_parameters() -> None:
    for name in PORT_METHODS:
        port = _parameters(getattr(ControlPort, name))
        assert _parameters(getattr(MockControl, name)) == port, name
        assert _parameters(getattr(ControlClient, name)) == port, name


def test_every_operation_of_the_control_spec_is_a_method_of_the_port() -> None:
    with open(CONTROL_SPEC, encoding="utf-8") as spec_file:
        spec = yaml.safe_load(spec_file)
    operations = {op["operationId"] for item in spec["paths"].values() for op in item.values() if "operationId" in op}
    missing = {op for op in operations - {"health"} if PORT_METHOD.get(op, op) not in PORT_METHODS}
    assert not missing
    assert set(PORT_METHODS) <= {PORT_METHOD.get(op, op) for op in operations}  # no method the spec lacks


def _script(port: ControlPort, http: httpx.Client) -> list[Any]:
    """The same calls, with what each answered (or the error it raised)."""
    answers: list[Any] = []

    def call(method: str, *args: Any, **kwargs: Any) -> None:
        try:
            answers.append((method, getattr(port, method)(*args, **kwargs)))
        except ControlError as error:
            answers.append((method, "ControlError", error.status, error.detail))

    call("reset", deterministic_seed=7)
    call("put_account", "port0001", {"secrets": ["Initial1secret"], "balance": "3.50"})
    call("get_account", "port0001")
    call("get_account", "nobody00")
    call("list_accounts")
    call("spend", "port0001", "1.25")
    call("spend", "port0001", "-1")
    call("set_balance", "port0001", "4.75")
    call("set_balance", "nobody00", "1")
    call("account_details", limit=1)
    call("operations")
    http.get("/account/get-balance", auth=("port0001", "Initial1secret"))
    http.get("/account/get-balance", auth=("port0001", "wrong-secret"))
    call("add_fault", {"operation_id": "get_balance", "status": 500, "account": "port0001", "times": 1})
    call("add_fault", {"operation_id": "get_balanse", "status": 503})
    call("list_faults")
    http.get("/account/get-balance", auth=("port0001", "Initial1secret"))
    call("list_faults")
    call("journal", account="port0001")
    call("journal", operation_id="get_balance", status=401)
    call("journal", operation_id="get_balanse")
    call("remove_fault", "f-none")
    call("clear_journal", "port0001")
    call("journal", account="port0001")
    call("send_callback", "port0001", "delivery-receipt", {})
    call("send_callback", "port0001", "fax", {})
    call("deliveries", account="port0001")
    call("clear_deliveries")
    call("advance_deliveries", 0)
    call("advance_deliveries", -1)
    call("add_fault", {"operation_id": "top_up", "status": 500, "account": "port0001"})
    call("clear_faults", "port0001")
    call("list_faults")
    call("load_snapshot", {"accounts": "none"})
    snapshot = port.snapshot()  # each mock salts its digests its own way: the rest must agree
    for account in snapshot["accounts"]:
        for secret in account["secrets"]:
            secret["digest"] = len(secret["digest"])
    answers.append(("snapshot", {**snapshot, "digests": snapshot["digests"]["algorithm"]}))
    call("reset_account", "port0001")
    call("get_account", "port0001")
    return answers


_FIELD = {"spend": "amount", "journal": "operation_id", "advance_deliveries": "seconds", "load_snapshot": "format"}


def _status_only(answer: tuple[Any, ...]) -> tuple[Any, ...]:
    return answer[:3] if answer[1] == "ControlError" else answer


def test_in_process_and_over_http_the_port_answers_the_same() -> None:
    local = create_app()
    with in_process_http(local) as http:
        in_process = _script(local.control, http)
    remote_app = create_app()
    with ThreadedMockServer(remote_app) as server, ControlClient(server.url) as client:
        with httpx.Client(base_url=server.url) as http:
            over_http = _script(client, http)
    # Refusals alike in status; over HTTP the spec's validation words them, naming the field at fault.
    assert [_status_only(answer) for answer in over_http] == [_status_only(answer) for answer in in_process]
    for answer in over_http:
        if answer[1] == "ControlError" and answer[2] == 400 and "validation" in answer[3]:
            assert f"{_FIELD[answer[0]]}: " in answer[3], answer
    # The script saw what it set out to: entries, a plan that fired, refusals with their statuses.
    answered = [answer for answer in in_process if answer[1] != "ControlError"]
    assert ("spend", "2.25") in answered and ("set_balance", "4.75") in answered
    fired = [answer[1] for answer in answered if answer[0] == "list_faults"]
    assert [plan["fired"] for plan in fired[1]] == [1]
    [entries, refused, _] = [answer[1] for answer in answered if answer[0] == "journal"]
    assert [entry["status"] for entry in entries] == [200, 500]  # the 401 proved no account: it is nobody's
    assert [entry["status"] for entry in refused] == [401]
    assert {answer[2] for answer in in_process if answer[1] == "ControlError"} == {400, 404, 409}
