"""Credentials in unusual shapes: never kept in the journal, never echoed in an answer, in any encoding."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import httpx
import pytest

from tests.conftest import KEY, SECRET, Mock

TRX = "Trx9secretRef0042"
SIGNATURE = "Sig9secretValue77"
NEW_SECRET = "Brand2newSecret"
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def http(mock: Mock) -> Iterator[httpx.Client]:
    """A raw client on a mock whose account holds an auto-reload trx and a signature secret, journal empty."""
    with mock.http() as client:
        account = {
            "secrets": [SECRET],
            "auto_reload": {"enabled": True, "trx": TRX, "amount": "5.00"},
            "signature": {"secret": SIGNATURE, "method": "sha256"},
        }
        assert client.put(f"/_mock/accounts/{KEY}", json=account).status_code == 200
        yield client


def _forms(value: str) -> list[str]:
    """The value as it could leak: as is, percent-encoded, and base64 (standard and URL-safe)."""
    raw = value.encode()
    return [
        value,
        quote(value, safe=""),
        quote_plus(value),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ]


def _only_entry(http: httpx.Client) -> tuple[dict[str, object], str]:
    answer = http.get("/_mock/journal")
    assert answer.status_code == 200
    (entry,) = answer.json()["entries"]
    return entry, answer.text


def _assert_nowhere(value: str, *texts: str) -> None:
    for text in texts:
        for form in _forms(value):
            assert form not in text, f"{form!r} leaked"


def test_a_multipart_create_secret_body_is_not_kept(http: httpx.Client) -> None:
    answer = http.post(f"/accounts/{KEY}/secrets", auth=(KEY, SECRET), files={"secret": (None, NEW_SECRET)})
    assert answer.status_code == 415
    assert answer.json()["title"] == "Unsupported Content-Type header"
    entry, journal = _only_entry(http)
    assert entry["body"] == "[body not kept]"
    _assert_nowhere(NEW_SECRET, journal, answer.text)


def test_a_json_body_labelled_as_a_form_is_not_kept(http: httpx.Client) -> None:
    body = json.dumps({"secret": NEW_SECRET}).encode()
    answer = http.post(f"/accounts/{KEY}/secrets", auth=(KEY, SECRET), content=body, headers=FORM)
    assert answer.status_code == 415
    assert answer.json()["title"] == "Unsupported Content-Type header"
    entry, journal = _only_entry(http)
    assert entry["body"] == "[malformed form, not kept]"
    _assert_nowhere(NEW_SECRET, journal, answer.text)


def test_a_json_body_with_an_equals_sign_labelled_as_a_form_is_not_kept(http: httpx.Client) -> None:
    # Split at its `=`, such a body would be kept as a field named `{"secret":"Brand2new` holding the rest.
    body = json.dumps({"secret": "Brand2new=Secret"}).encode()
    http.post(f"/accounts/{KEY}/secrets", auth=(KEY, SECRET), content=body, headers=FORM)
    entry, journal = _only_entry(http)
    assert entry["body"] == "[malformed form, not kept]"
    _assert_nowhere("Brand2new", journal)


def test_a_secret_after_a_semicolon_in_the_query_is_not_kept(http: httpx.Client) -> None:
    answer = http.get(f"/account/get-balance?api_key={KEY};api_secret={SECRET}")
    assert answer.status_code == 401
    assert answer.json() == {"error-code": "401", "error-code-label": "authentication failed"}
    entry, journal = _only_entry(http)
    assert entry["account"] is None
    _assert_nowhere(SECRET, journal, answer.text)


def test_a_secret_under_a_padded_name_is_not_kept(http: httpx.Client) -> None:
    answer = http.get(f"/account/get-balance?api_key={KEY}&api_secret%20={quote(SECRET)}")
    assert answer.status_code == 401
    assert answer.json() == {"error-code": "401", "error-code-label": "authentication failed"}
    _, journal = _only_entry(http)
    _assert_nowhere(SECRET, journal, answer.text)


def test_a_basic_credential_without_a_colon_is_not_kept_as_the_account(http: httpx.Client) -> None:
    credential = base64.b64encode(SECRET.encode()).decode()
    answer = http.get("/account/get-balance", headers={"authorization": f"Basic {credential}"})
    assert answer.status_code == 401
    assert answer.json() == {"error-code": "401", "error-code-label": "authentication failed"}
    entry, journal = _only_entry(http)
    assert entry["account"] is None and entry["auth_scheme"] is None
    _assert_nowhere(SECRET, journal, answer.text)


def test_a_request_that_did_not_authenticate_is_kept_without_an_account(http: httpx.Client) -> None:
    http.get("/account/get-balance", auth=(KEY, "Wrong1secret"))
    entry, _ = _only_entry(http)
    assert (entry["status"], entry["account"], entry["auth_scheme"]) == (401, None, None)


def test_a_text_plain_top_up_is_refused_without_echoing_the_trx(http: httpx.Client) -> None:
    answer = http.post(
        "/account/top-up", auth=(KEY, SECRET), content=TRX.encode(), headers={"content-type": "text/plain"}
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "type": "BAD_REQUEST",
        "error_title": "Bad Request",
        "invalid_parameters": {"body": "Is not a form: name=value pairs joined by &."},
    }
    entry, journal = _only_entry(http)
    assert entry["failure"] == {"body": "Is not a form: name=value pairs joined by &."}
    _assert_nowhere(TRX, journal, answer.text)


def test_a_multipart_top_up_is_refused_and_not_kept(http: httpx.Client) -> None:
    answer = http.post("/account/top-up", auth=(KEY, SECRET), files={"trx": (None, TRX)})
    assert answer.status_code == 400
    assert answer.json() == {
        "type": "BAD_REQUEST",
        "error_title": "Bad Request",
        "invalid_parameters": {"body": "Is multipart: send application/x-www-form-urlencoded."},
    }
    entry, journal = _only_entry(http)
    assert entry["body"] == "[body not kept]"
    _assert_nowhere(TRX, journal, answer.text)


def test_the_accounts_own_trx_and_signature_secret_are_redacted_under_any_name(http: httpx.Client) -> None:
    answer = http.post("/account/top-up", auth=(KEY, SECRET), data={"trx": TRX, "note": SIGNATURE})
    assert answer.status_code == 400
    assert answer.json()["invalid_parameters"] == {"note": "Is not a field of this operation."}
    balance = http.get("/account/get-balance", params={"ref": TRX}, auth=(KEY, SECRET))
    assert balance.status_code == 400
    journal = http.get("/_mock/journal").text
    assert [e["query"] for e in json.loads(journal)["entries"]] == [{}, {"ref": "[redacted]"}]
    _assert_nowhere(TRX, journal, answer.text, balance.text)
    _assert_nowhere(SIGNATURE, journal, answer.text, balance.text)


def test_a_presented_secret_is_redacted_under_any_name(http: httpx.Client) -> None:
    answer = http.get("/account/get-balance", params={"note": SECRET}, auth=(KEY, SECRET))
    assert answer.status_code == 400
    assert answer.json()["invalid_parameters"] == {"note": "Is not a parameter of this operation."}
    entry, journal = _only_entry(http)
    assert entry["query"] == {"note": "[redacted]"}
    _assert_nowhere(SECRET, journal, answer.text)


def test_a_new_secret_is_redacted_wherever_else_the_body_holds_it(http: httpx.Client) -> None:
    body = {"secret": NEW_SECRET, "copy": {"of": f"the secret is {NEW_SECRET}"}}
    http.post(f"/accounts/{KEY}/secrets", auth=(KEY, SECRET), json=body)
    entry, journal = _only_entry(http)
    assert entry["body"] == {"secret": "[redacted]", "copy": {"of": "[redacted]"}}
    _assert_nowhere(NEW_SECRET, journal)


def test_well_formed_calls_are_kept_as_before(http: httpx.Client) -> None:
    http.get("/account/get-balance", auth=(KEY, SECRET))
    http.post("/account/settings", auth=(KEY, SECRET), data={"moCallBackUrl": "https://example.com/in"})
    http.post("/account/register-sender", auth=(KEY, SECRET), json={"provider": "email", "value": "a@example.com"})
    entries = http.get("/_mock/journal").json()["entries"]
    assert [(e["status"], e["account"], e["query"], e["body"]) for e in entries] == [
        (200, KEY, {}, None),
        (200, KEY, {}, {"moCallBackUrl": "https://example.com/in"}),
        (200, KEY, {}, {"provider": "email", "value": "a@example.com"}),
    ]
