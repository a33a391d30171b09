"""Credentials in unusual shapes: never kept in the journal, never echoed in an answer, in any encoding."""

from __future__ import annotations

import base64
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
