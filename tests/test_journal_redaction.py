"""Credentials in unusual shapes: never kept in the journal, never echoed in an answer, in any encoding."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import httpx
import pytest

from tests.conftest import KEY, SECRET, Mock
from vonage_account_mock import create_app
from vonage_account_mock.layers.limits import MAX_JSON_DEPTH, ShapeLimits
from vonage_account_mock.testing.clients import in_process_http

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


def test_a_secret_behind_an_encoded_ampersand_in_a_query_value_is_redacted(http: httpx.Client) -> None:
    hidden = "Hidden5secretX"
    answer = http.get(f"/account/get-balance?note=x%26api_secret%3D{hidden}", auth=(KEY, SECRET))
    assert answer.status_code == 400
    entry, journal = _only_entry(http)
    assert entry["query"] == {"note": "[redacted]"}
    _assert_nowhere(hidden, journal)


def test_a_form_fields_credential_is_redacted_wherever_else_the_form_holds_it(http: httpx.Client) -> None:
    unheld = "Unheld7trxValue"  # not the account's own trx: found only because the form names it `trx`
    http.post("/account/top-up", auth=(KEY, SECRET), data={"trx": unheld, "note": f"ref {unheld}"})
    entry, journal = _only_entry(http)
    assert entry["body"] == {"trx": "[redacted]", "note": "[redacted]"}
    _assert_nowhere(unheld, journal)


def test_credentials_nested_in_objects_and_lists_are_redacted_wherever_else_the_body_holds_them(
    http: httpx.Client,
) -> None:
    body = {
        "secret": NEW_SECRET,
        "old": [{"api_secret": "Older3secretX"}, "was Older3secretX", 7],
        "meta": {"password": "Pass4wordValue"},
        "note": "Pass4wordValue",
    }
    answer = http.post(f"/accounts/{KEY}/secrets", auth=(KEY, SECRET), json=body)
    assert answer.status_code == 400
    entry, journal = _only_entry(http)
    assert entry["body"] == {
        "secret": "[redacted]",
        "old": [{"api_secret": "[redacted]"}, "[redacted]", 7],
        "meta": {"password": "[redacted]"},
        "note": "[redacted]",
    }
    _assert_nowhere("Older3secretX", journal)
    _assert_nowhere("Pass4wordValue", journal)


def test_a_json_body_under_another_json_media_type_is_kept_redacted(http: httpx.Client) -> None:
    # The express lane parses only the spec's own `application/json`: this one the journal parses itself.
    content = json.dumps({"secret": NEW_SECRET, "note": ["kept"]}).encode()
    answer = http.post(
        f"/accounts/{KEY}/secrets", auth=(KEY, SECRET), content=content, headers={"content-type": "application/x+json"}
    )
    assert answer.status_code == 415
    entry, journal = _only_entry(http)
    assert entry["body"] == {"secret": "[redacted]", "note": ["kept"]}
    _assert_nowhere(NEW_SECRET, journal)


def test_a_malformed_json_body_is_not_kept(http: httpx.Client) -> None:
    content = b'{"secret": "' + NEW_SECRET.encode()
    headers = {"content-type": "application/json"}
    answer = http.post(f"/accounts/{KEY}/secrets", auth=(KEY, SECRET), content=content, headers=headers)
    assert answer.status_code == 400
    entry, journal = _only_entry(http)
    assert entry["body"] == "[malformed JSON, not kept]"
    _assert_nowhere(NEW_SECRET, journal)


def test_a_form_field_without_an_equals_sign_is_a_malformed_form(http: httpx.Client) -> None:
    http.post("/account/top-up", auth=(KEY, SECRET), content=b"trx", headers=FORM)
    entry, _ = _only_entry(http)
    assert entry["body"] == "[malformed form, not kept]"


def test_an_empty_form_field_is_kept_empty(http: httpx.Client) -> None:
    http.post("/account/settings", auth=(KEY, SECRET), content=b"moCallBackUrl=&drCallBackUrl=", headers=FORM)
    entry, _ = _only_entry(http)
    assert entry["body"] == {"moCallBackUrl": "", "drCallBackUrl": ""}


def test_strings_longer_than_256_characters_are_kept_cut_with_their_length(http: httpx.Client) -> None:
    http.get("/account/get-balance", params={"fits": "a" * 256, "cut": "b" * 257}, auth=(KEY, SECRET))
    entry, _ = _only_entry(http)
    assert entry["query"] == {"fits": "a" * 256, "cut": "b" * 256 + "…[257 characters]"}


def test_a_body_of_up_to_4096_bytes_is_kept_and_a_longer_one_only_counted(http: httpx.Client) -> None:
    for size in (4096, 4097):
        http.post("/account/settings", auth=(KEY, SECRET), content=b"note=" + b"n" * (size - 5), headers=FORM)
    kept, counted = http.get("/_mock/journal").json()["entries"]
    assert kept["body"] == {"note": "n" * 256 + "…[4091 characters]"}
    assert counted["body"] == "[4097 bytes, not kept]"


def test_the_journal_keeps_json_no_deeper_than_its_bound_whoever_parsed_it() -> None:
    # An operator may let deeper bodies in (--max-json-depth); the journal still keeps none deeper than its own bound,
    # whether the express lane parsed the body (its JSON type) or the journal does (another JSON type).
    deeper = (b'{"a": ' * (MAX_JSON_DEPTH + 1)) + b"1" + b"}" * (MAX_JSON_DEPTH + 1)
    with in_process_http(create_app(shape_limits=ShapeLimits(max_json_depth=2 * MAX_JSON_DEPTH))) as http:
        for media_type in ("application/json", "application/x+json"):
            headers = {"content-type": media_type}
            http.post(f"/accounts/{KEY}/secrets", content=deeper, auth=(KEY, SECRET), headers=headers)
        entries = http.get("/_mock/journal").json()["entries"]
    assert [e["body"] for e in entries] == [f"[JSON nested deeper than {MAX_JSON_DEPTH} levels, not kept]"] * 2
