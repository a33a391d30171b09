"""The express lane answers exactly as connexion's full path does, for every operation."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import pytest

from vonage_account_mock import AccountSeed, AutoReload, create_app
from vonage_account_mock.layers.express import dump_json
from vonage_account_mock.testing.clients import in_process_http

KEY, SECRET = "lane0001", "Lane1secretX"
AUTH = (KEY, SECRET)
BASIC = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
FORM = {"content-type": "application/x-www-form-urlencoded"}
STALE_JSON = {"content-type": "application/json"}  # the v4 SDK's form posts after a JSON call
REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/account/get-balance", {"auth": AUTH}),
    ("GET", "/account/get-balance", {"params": {"api_key": KEY, "api_secret": SECRET}}),
    ("POST", "/account/top-up", {"auth": AUTH, "data": {"trx": "trx-lane"}}),
    ("POST", "/account/top-up", {"data": {"trx": "trx-lane", "api_key": KEY, "api_secret": SECRET}}),
    (
        "POST",
        "/account/top-up",
        {"auth": AUTH, "content": b"trx=trx-lane", "headers": {"content-type": "application/json"}},
    ),
    ("POST", "/account/settings", {"auth": AUTH}),
    ("POST", "/account/settings", {"auth": AUTH, "data": {"moCallbackUrl": "https://example.com/in"}}),
    ("POST", "/account/register-sender", {"auth": AUTH, "json": {"provider": "email", "value": "a@example.com"}}),
    ("GET", "/account/get-pricing/outbound/sms", {"auth": AUTH, "params": {"country": "GB"}}),
    ("GET", "/account/get-pricing/outbound/voice", {"auth": AUTH, "params": {"country": "ZZ"}}),
    ("GET", "/account/get-full-pricing/outbound/sms-transit", {"auth": AUTH}),
    ("GET", "/account/get-prefix-pricing/outbound/sms", {"auth": AUTH, "params": {"prefix": "1"}}),
    ("GET", f"/accounts/{KEY}/secrets", {"auth": AUTH}),
    ("POST", f"/accounts/{KEY}/secrets", {"auth": AUTH, "json": {"secret": "Second2secret"}}),
    ("POST", f"/accounts/{KEY}/secrets", {"auth": AUTH, "json": {"secret": "Third3secret"}}),
    ("GET", f"/accounts/{KEY}/secrets/{{first}}", {"auth": AUTH}),
    ("DELETE", f"/accounts/{KEY}/secrets/{{second}}", {"auth": AUTH}),
    ("DELETE", f"/accounts/{KEY}/secrets/{{first}}", {"auth": AUTH}),
    ("GET", "/accounts/other999/secrets", {"auth": AUTH}),
    ("GET", "/account/get-balance", {"auth": (KEY, "Wrong1secret")}),
    ("GET", "/account/get-full-pricing/outbound/sms", {}),
    ("GET", f"/accounts/{KEY}/secrets", {}),
    ("GET", "/account/get-balance", {"params": {"api_key": KEY}}),
    ("GET", "/account/get-balance", {"auth": (KEY, "Wrong1secret"), "params": {"api_key": KEY, "api_secret": SECRET}}),
    ("POST", f"/accounts/{KEY}/secrets", {"auth": AUTH, "json": {"secret": "weak"}}),
    # Invalid query and path parameters: each refused alike (the lane must check what the full path checks).
    ("GET", "/account/get-pricing/outbound/sms", {"auth": AUTH, "params": {"country": "G1"}}),
    ("GET", "/account/get-pricing/outbound/sms", {"auth": AUTH, "params": {"country": "GBR"}}),
    ("GET", "/account/get-pricing/outbound/sms", {"auth": AUTH}),
    ("GET", "/account/get-pricing/outbound/sms", {"auth": AUTH, "params": [("country", "GB"), ("country", "FR")]}),
    ("GET", "/account/get-prefix-pricing/outbound/sms", {"auth": AUTH, "params": {"prefix": ""}}),
    ("GET", "/account/get-prefix-pricing/outbound/sms", {"auth": AUTH, "params": {"prefix": "1x"}}),
    ("GET", "/account/get-pricing/outbound/fax", {"auth": AUTH, "params": {"country": "GB"}}),
    ("GET", "/account/get-full-pricing/outbound/SMS", {"auth": AUTH}),
    ("GET", "/account/get-balance", {"auth": AUTH, "params": {"unknown": "1"}}),
    ("GET", f"/accounts/{KEY}/secrets/{'x' * 300}", {"auth": AUTH}),
    ("GET", f"/accounts/{KEY}/secrets/not%20an%20id", {"auth": AUTH}),
    ("GET", f"/accounts/{'k' * 65}/secrets", {"auth": AUTH}),
    ("DELETE", f"/accounts/{KEY}/secrets/%00", {"auth": AUTH}),
    # Credentials each lane must read alike: the first colon splits them, base64 is strict, odd schemes are refused.
    ("GET", "/account/get-balance", {"auth": (KEY, f"{SECRET}:more")}),
    ("GET", "/account/get-balance", {"headers": {"authorization": "Basic !" + BASIC}}),
    ("GET", "/account/get-balance", {"headers": {"authorization": "Basic"}}),
    ("GET", "/account/get-balance", {"headers": {"authorization": "Bearer " + BASIC}}),
    ("GET", "/account/get-balance", {"params": {"api_secret": SECRET}}),
    ("GET", f"/accounts/{KEY}/secrets", {"params": {"api_key": KEY}}),
    ("GET", f"/accounts/{KEY}/secrets", {"params": {"api_key": KEY, "api_secret": SECRET}}),
    ("GET", f"/accounts/{KEY}/secrets", {"auth": AUTH, "params": {"api_key": KEY}}),
    # A required body left out, and a value of the wrong format: the spec's refusals, whichever lane.
    ("POST", "/account/top-up", {"auth": AUTH, "content": b"", "headers": FORM}),
    ("POST", f"/accounts/{KEY}/secrets", {"auth": AUTH, "content": b"", "headers": STALE_JSON}),
    ("POST", "/account/register-sender", {"auth": AUTH, "json": {"provider": "email", "value": "not-an-address"}}),
    # A blank form field is a value (it unsets); a form that is no form is not read loosely.
    ("POST", "/account/settings", {"auth": AUTH, "data": {"moCallbackUrl": ""}}),
    ("POST", "/account/top-up", {"auth": AUTH, "content": b"trx=trx-lane&junk", "headers": FORM}),
    ("POST", "/account/top-up", {"auth": AUTH, "content": b"trx=trx-lane&&", "headers": FORM}),
    # A structured-syntax type the operations do not declare: the full path refuses it, so the lane must not answer.
    (
        "POST",
        "/account/register-sender",
        {
            "auth": AUTH,
            "content": b'{"provider": "email", "value": "b@example.com"}',
            "headers": {"content-type": "application/vnd.example+json"},
        },
    ),
]
VOLATILE = {"id", "created_at", "href", "instance"}


def _stable(document: Any) -> Any:
    if isinstance(document, dict):
        return {k: "*" if k in VOLATILE else _stable(v) for k, v in document.items()}
    if isinstance(document, list):
        return [_stable(item) for item in document]
    return document


def _replay(express: bool) -> list[tuple[int, str | None, Any, Any]]:
    app = create_app(express=express, deterministic_seed=7)
    app.backend.seed(
        AccountSeed(
            api_key=KEY,
            secrets=(SECRET,),
            balance=Decimal("5"),
            auto_reload=AutoReload(enabled=True, trx="trx-lane", amount=Decimal("1.5")),
        )
    )
    answers: list[tuple[int, Any, Any, Any]] = []
    with in_process_http(app) as http:
        ids: dict[str, str] = {}
        for method, path, kwargs in REQUESTS:
            response = http.request(method, path.format(**ids), **kwargs)
            body: Any = response.json() if response.content else None
            if method == "POST" and response.status_code == 201:
                ids["second"] = body["id"]
            if path.endswith("/secrets") and method == "GET" and response.status_code == 200:
                ids["first"] = body["_embedded"]["secrets"][0]["id"]
            kind = response.headers.get("content-type")
            answers.append((response.status_code, kind, (bool(response.content), _stable(body)), body))
        journal = [
            (e["operation_id"], e["status"], e["auth_scheme"], e["account"], e["failure"])
            for e in app.control.journal()
        ]
    answers.append((0, None, journal, None))
    return answers


def test_the_express_lane_and_the_full_path_answer_alike() -> None:
    fast, full = _replay(express=True), _replay(express=False)
    for request, (ours, theirs) in zip([*REQUESTS, ("journal", "", {})], zip(fast, full, strict=True), strict=True):
        assert ours[:3] == theirs[:3], f"{request[0]} {request[1]}"


@pytest.mark.parametrize("express", [True, False])
def test_deterministic_ids_do_not_depend_on_the_lane(express: bool) -> None:
    answers = _replay(express)
    created = [raw for status, _, _, raw in answers if status == 201]
    assert created and json.dumps(created) == json.dumps(
        [raw for status, _, _, raw in _replay(not express) if status == 201]
    )


@pytest.mark.parametrize("express", [True, False])
def test_an_answer_outside_the_spec_becomes_a_500_problem_in_either_lane(express: bool) -> None:
    app = create_app(express=express)
    app.backend.balance = lambda api_key: (Decimal("1"), "sometimes")  # type: ignore[method-assign, assignment, return-value]
    with in_process_http(app) as http:
        response = http.get("/account/get-balance", auth=AUTH)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "conform" in response.json()["detail"]
    if express:  # the lane says what is wrong in words of its own (connexion's full path in its own)
        problem = response.json()
        assert (problem["type"], problem["title"], problem["detail"]) == (
            "https://developer.nexmo.com/api-errors#internal-error",
            "Response does not conform to the spec",
            "the body does not conform to the spec",
        )


@pytest.mark.parametrize("express", [True, False])
def test_a_bug_in_a_handler_is_a_logged_500_problem_in_either_lane(
    express: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(express=express)

    def broken(api_key: str) -> None:
        raise RuntimeError("boom")

    app.backend.balance = broken  # type: ignore[method-assign, assignment]
    with in_process_http(app) as http:
        response = http.get("/account/get-balance", auth=AUTH)
        assert http.get("/account/get-balance", auth=(KEY, "Wrong1secret")).status_code == 401
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Internal Error"
    assert "boom" not in response.text and "Traceback" not in response.text
    assert any(record.exc_info and "boom" in str(record.exc_info[1]) for record in caplog.records)
    assert [entry["status"] for entry in app.control.journal()] == [500, 401]


def test_the_express_lane_itself_answers_the_body_bearing_operations() -> None:
    # Were these passed on, the full path (connexion) would have been built to answer them.
    app = create_app()
    app.backend.seed(
        AccountSeed(KEY, (SECRET,), auto_reload=AutoReload(enabled=True, trx="trx-lane", amount=Decimal("5")))
    )
    with in_process_http(app, auth=AUTH) as http:
        answers = [
            http.post(f"/accounts/{KEY}/secrets", json={"secret": "Second2secret"}).status_code,
            http.post("/account/top-up", data={"trx": "trx-lane"}).status_code,
            http.post("/account/settings", data={"moCallBackUrl": "https://example.com/in"}).status_code,
            http.post("/account/register-sender", json={"provider": "email", "value": "a@example.com"}).status_code,
        ]
        assert answers == [201, 200, 200, 200]
        assert not app.full_path.ready
        # The control: an invalid body is passed on, and that builds the full path.
        assert http.post(f"/accounts/{KEY}/secrets", json={"secret": 5}).status_code == 400
        assert app.full_path.ready


def test_answers_orjson_cannot_write_are_written_by_the_stdlib() -> None:
    # orjson refuses integers beyond 64 bits; such an answer must still go out (and not as a 500).
    assert json.loads(dump_json({"value": 2**70, "items": [1.5, "é"]})) == {"value": 2**70, "items": [1.5, "é"]}


def test_the_express_lane_itself_answers_parameters_credentials_and_typed_bodies() -> None:
    app = create_app()
    app.backend.seed(AccountSeed(KEY, (SECRET,)))
    with in_process_http(app) as http:
        (first,) = app.backend.list_secrets(KEY, KEY)
        charset = {"content-type": "application/json; charset=utf-8"}
        answers = [
            http.get("/account/get-pricing/outbound/sms", auth=AUTH, params={"country": "GB"}).status_code,
            http.get("/account/get-prefix-pricing/outbound/sms", auth=AUTH, params={"prefix": "44"}).status_code,
            http.get("/account/get-balance", params={"api_key": KEY, "api_secret": SECRET}).status_code,
            http.get(f"/accounts/{KEY}/secrets/{first.id}", auth=AUTH).status_code,
        ]
        created = http.post(
            f"/accounts/{KEY}/secrets", auth=AUTH, content=b'{"secret": "Second2secret"}', headers=charset
        )
        assert answers == [200, 200, 200, 200] and created.status_code == 201
        assert http.delete(f"/accounts/{KEY}/secrets/{created.json()['id']}", auth=AUTH).content == b""
        assert http.get("/account/get-balance", auth=(KEY, "Wrong1secret")).status_code == 401
        assert http.get(f"/accounts/{KEY}/secrets").status_code == 401  # no credentials at all
        assert not app.full_path.ready
        journal = app.control.journal()
        assert journal[-1]["failure"] == {"credentials": "missing or wrong"}
