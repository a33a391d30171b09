"""Bad input gets a spec-conformant 4xx document, never a 500 or a traceback, and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import KEY, SECRET, Mock

SECRETS = f"/accounts/{KEY}/secrets"
VALIDATION = "https://developer.nexmo.com/api-errors/account/secret-management#validation"


@pytest.fixture
def provisioned(mock: Mock) -> Iterator[Mock]:
    """The mock with KEY provisioned, checked to be unchanged after the test."""
    with mock.http() as http:
        assert http.get("/account/get-balance", auth=(KEY, SECRET)).status_code == 200
    before = mock.backend.snapshot()
    yield mock
    assert mock.backend.snapshot() == before, "a refused request changed the state"


def _send(mock: Mock, method: str, path: str, **kwargs: Any) -> Any:
    with mock.http() as http:
        response = http.request(method, path, auth=(KEY, SECRET), **kwargs)
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    return response


def _assert_secrets_validation(response: Any, name: str) -> None:
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    document = response.json()
    assert document["type"] == VALIDATION
    assert [p["name"] for p in document["invalid_parameters"]] == [name]


def test_malformed_json_is_a_validation_problem(provisioned: Mock) -> None:
    response = _send(provisioned, "POST", SECRETS, content=b'{"secret": ', headers={"content-type": "application/json"})
    _assert_secrets_validation(response, "body")


def test_non_utf8_json_is_a_validation_problem(provisioned: Mock) -> None:
    body = b'{"secret": "Abcdefg1\xff"}'
    response = _send(provisioned, "POST", SECRETS, content=body, headers={"content-type": "application/json"})
    _assert_secrets_validation(response, "body")


def test_json_that_is_not_an_object_is_a_validation_problem(provisioned: Mock) -> None:
    response = _send(provisioned, "POST", SECRETS, json=["Abcdefg12"])
    _assert_secrets_validation(response, "body")


def test_a_wrongly_typed_secret_is_a_validation_problem(provisioned: Mock) -> None:
    _assert_secrets_validation(_send(provisioned, "POST", SECRETS, json={"secret": 12345678}), "secret")


def test_a_missing_secret_is_a_validation_problem(provisioned: Mock) -> None:
    _assert_secrets_validation(_send(provisioned, "POST", SECRETS, json={}), "secret")


def test_an_unexpected_field_is_refused(provisioned: Mock) -> None:
    response = _send(provisioned, "POST", "/account/top-up", data={"trx": "x", "amount": "100"})
    assert response.status_code == 400
    assert response.json()["invalid_parameters"] == {"amount": "Is not a field of this operation."}


def test_a_wrong_content_type_is_415(provisioned: Mock) -> None:
    response = _send(provisioned, "POST", SECRETS, content=b"secret=Abcdefg12", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Unsupported Content-Type header"


def test_an_oversized_body_is_413(provisioned: Mock) -> None:
    body = b'{"secret": "' + b"A1b" * 40_000 + b'"}'
    response = _send(provisioned, "POST", SECRETS, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["title"] == "Payload Too Large"


def test_an_unknown_path_is_404(provisioned: Mock) -> None:
    response = _send(provisioned, "GET", "/account/get-balances")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Not Found"


def test_a_wrong_method_is_405_with_allow(provisioned: Mock) -> None:
    response = _send(provisioned, "DELETE", "/account/get-balance")
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} >= {"GET"}
    assert "DELETE" not in response.headers["allow"]
    response = _send(provisioned, "PUT", f"{SECRETS}/some-id")
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} >= {"GET", "DELETE"}


def test_an_unexpected_query_parameter_is_refused(provisioned: Mock) -> None:
    response = _send(provisioned, "GET", "/account/get-balance", params={"currency": "USD"})
    assert response.status_code == 400
    assert response.json()["invalid_parameters"] == {"currency": "Is not a parameter of this operation."}
    _assert_secrets_validation(_send(provisioned, "GET", SECRETS, params={"page": "2"}), "page")


def test_a_bad_path_parameter_is_refused(provisioned: Mock) -> None:
    _assert_secrets_validation(_send(provisioned, "GET", f"/accounts/{'k' * 65}/secrets"), "api_key")


def test_an_unknown_service_type_is_refused(provisioned: Mock) -> None:
    response = _send(provisioned, "GET", "/account/get-full-pricing/outbound/fax")
    assert response.status_code == 400
    assert response.json()["invalid_parameters"] == {"type": "Must be one of sms, sms-transit, voice."}


def test_a_malformed_authorization_header_is_401(provisioned: Mock) -> None:
    with provisioned.http() as http:
        response = http.get(SECRETS, headers={"Authorization": "Basic !!!not-base64"})
    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"


def test_a_charset_parameter_on_json_is_ignored(mock: Mock) -> None:
    # RFC 8259: JSON is UTF-8 and a charset parameter has no meaning, so an odd one is not an error.
    headers = {"content-type": "application/json; charset=klingon"}
    response = _send(mock, "POST", SECRETS, content=b'{"secret": "Abcdefg12"}', headers=headers)
    assert response.status_code == 201
