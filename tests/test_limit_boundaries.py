"""Every documented limit at its boundary: N is accepted, N + 1 refused with the limit's own answer."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from vonage_account_mock import AccountSeed, create_app
from vonage_account_mock.layers.limits import MAX_FORM_FIELDS, MAX_INTEGER_DIGITS, MAX_JSON_DEPTH, MAX_QUERY_PARAMETERS
from vonage_account_mock.layers.wire import MAX_BODY_BYTES
from vonage_account_mock.state.models import MAX_API_KEY_LENGTH, STORED_SECRET_MAX_LENGTH
from vonage_account_mock.testing.clients import in_process_http

KEY, SECRET = "limits01", "Limits1secret"
JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    app = create_app()
    app.backend.seed(AccountSeed(KEY, (SECRET,)))
    with in_process_http(app) as client:
        yield client


def _refusal(answer: httpx.Response) -> object:
    """What a shape refusal names (None for any other answer)."""
    if answer.status_code != 400:
        return None
    document = answer.json()
    return document.get("invalid_parameters")


def test_query_parameters_at_the_limit(http: httpx.Client) -> None:
    def with_parameters(count: int) -> httpx.Response:
        query = "&".join(f"p{i}=x" for i in range(count))
        return http.get(f"/account/get-balance?{query}", auth=(KEY, SECRET))

    limit = {"query": f"more than {MAX_QUERY_PARAMETERS} query parameters"}
    assert _refusal(with_parameters(MAX_QUERY_PARAMETERS)) != limit
    assert _refusal(with_parameters(MAX_QUERY_PARAMETERS + 1)) == limit


def test_form_fields_at_the_limit(http: httpx.Client) -> None:
    def with_fields(count: int) -> httpx.Response:
        form = "&".join(["moCallBackUrl=https://example.com/in", *(f"f{i}=x" for i in range(count - 1))])
        return http.post("/account/settings", content=form.encode(), auth=(KEY, SECRET), headers=FORM)

    limit = {"body": f"more than {MAX_FORM_FIELDS} form fields"}
    at_limit = with_fields(MAX_FORM_FIELDS)
    assert at_limit.status_code == 400 and _refusal(at_limit) != limit  # refused for the unknown fields only
    assert _refusal(with_fields(MAX_FORM_FIELDS + 1)) == limit


def test_json_depth_at_the_limit(http: httpx.Client) -> None:
    def nested(depth: int) -> httpx.Response:
        # The object is one level; the arrays inside it the rest.
        body = b'{"secret": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"
        return http.post(f"/accounts/{KEY}/secrets", content=body, auth=(KEY, SECRET), headers=JSON)

    at_limit, beyond = nested(MAX_JSON_DEPTH), nested(MAX_JSON_DEPTH + 1)
    message = f"nested deeper than {MAX_JSON_DEPTH} levels"
    assert at_limit.status_code == 400 and message not in at_limit.text  # refused for its type, not its depth
    assert _refusal(beyond) == [{"name": "body", "reason": f"JSON {message}"}]


def test_integer_digits_at_the_limit(http: httpx.Client) -> None:
    def with_digits(count: int) -> httpx.Response:
        body = b'{"secret": ' + b"7" * count + b"}"
        return http.post(f"/accounts/{KEY}/secrets", content=body, auth=(KEY, SECRET), headers=JSON)

    limit = [{"name": "body", "reason": f"an integer longer than {MAX_INTEGER_DIGITS} digits"}]
    at_limit = with_digits(MAX_INTEGER_DIGITS)
    assert at_limit.status_code == 400 and _refusal(at_limit) != limit  # refused as not a string
    assert _refusal(with_digits(MAX_INTEGER_DIGITS + 1)) == limit
    # Beside a longer run of digits in a string, an integer at the limit is still no refusal of its length.
    body = b'{"secret": ' + b"7" * MAX_INTEGER_DIGITS + b', "note": "' + b"8" * (MAX_INTEGER_DIGITS + 1) + b'"}'
    beside = http.post(f"/accounts/{KEY}/secrets", content=body, auth=(KEY, SECRET), headers=JSON)
    assert beside.status_code == 400 and _refusal(beside) != limit


def test_body_bytes_at_the_limit(http: httpx.Client) -> None:
    def of_size(size: int) -> httpx.Response:
        prefix, suffix = b'{"provider": "email", "value": "a@example.com", "pad": "', b'"}'
        body = prefix + b"x" * (size - len(prefix) - len(suffix)) + suffix
        assert len(body) == size
        return http.post("/account/register-sender", content=body, auth=(KEY, SECRET), headers=JSON)

    assert of_size(MAX_BODY_BYTES).status_code != 413
    too_large = of_size(MAX_BODY_BYTES + 1)
    assert too_large.status_code == 413 and str(MAX_BODY_BYTES) in too_large.text


def test_api_key_length_at_the_limit(http: httpx.Client) -> None:
    longest, too_long = "k" * MAX_API_KEY_LENGTH, "k" * (MAX_API_KEY_LENGTH + 1)
    assert http.get("/account/get-balance", auth=(longest, SECRET)).status_code == 200  # provisioned on first use
    refused = http.get("/account/get-balance", auth=(too_long, SECRET))
    assert refused.status_code == 401


def test_a_stored_secret_length_at_the_limit(http: httpx.Client) -> None:
    def seed(length: int) -> httpx.Response:
        return http.put("/_mock/accounts/longsec1", json={"secrets": ["s" * length]})

    assert seed(STORED_SECRET_MAX_LENGTH).status_code == 200
    refused = seed(STORED_SECRET_MAX_LENGTH + 1)
    assert refused.status_code == 400 and str(STORED_SECRET_MAX_LENGTH) in json.dumps(refused.json())
