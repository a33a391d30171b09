"""The MCP server's redactor on its own: every form of a secret goes, and nothing else does."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from vonage_account_ops.mcp_server.redaction import REDACTED, Redactor

SECRET = 'Ab9 /é"?>>xy'
"""A secret whose seven forms all differ (a space, a slash, a quote, a non-ASCII letter, base64's / and padding)."""


def _forms(value: str) -> dict[str, str]:
    raw = value.encode()
    return {
        "plain": value,
        "percent": quote(value, safe=""),
        "percent-plus": quote_plus(value),
        "json": json.dumps(value)[1:-1],
        "json-unicode": json.dumps(value, ensure_ascii=False)[1:-1],
        "base64": base64.b64encode(raw).decode().rstrip("="),
        "base64-url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }


@pytest.mark.parametrize("form", _forms(SECRET))
def test_a_secret_is_cut_out_of_text_in_each_form(form: str) -> None:
    text = _forms(SECRET)[form]
    assert Redactor([SECRET]).text(f"got <{text}> back") == f"got <{REDACTED}> back"


def test_the_forms_under_test_all_differ() -> None:
    assert len(set(_forms(SECRET).values())) == 7


def test_values_of_four_characters_or_more_are_cut_out_and_shorter_ones_are_not() -> None:
    redactor = Redactor(["abc", None, ""])
    redactor.remember("wxyz")
    assert redactor.text("abc wxyz") == f"abc {REDACTED}"


def test_base64_forms_go_with_or_without_their_padding() -> None:
    padded = base64.b64encode(SECRET.encode()).decode()
    assert padded.endswith("==")
    assert Redactor([SECRET]).text(f"{padded} {padded.rstrip('=')}") == f"{REDACTED}== {REDACTED}"


@pytest.mark.parametrize("form", ["base64", "base64-url"])
def test_a_base64_form_goes_whole_to_its_last_character(form: str) -> None:
    # Twelve bytes: no padding, and the forms end in "X" (only the padding is stripped when a form is remembered).
    secret = "Rot8s>cretaW"
    text = _forms(secret)[form]
    assert text.endswith("X") and _forms(secret)["base64"] != _forms(secret)["base64-url"]
    assert Redactor([secret]).text(f"token={text}&next=1") == f"token={REDACTED}&next=1"


def test_a_secret_inside_another_goes_whole() -> None:
    # The inner one sorts after the outer one: it is the length that decides which goes first.
    redactor = Redactor(["Zed1secret", "Abc1Zed1secretx"])
    assert redactor.text("Abc1Zed1secretx and Zed1secret") == f"{REDACTED} and {REDACTED}"


def test_a_basic_credential_is_cut_out_with_its_secret() -> None:
    redactor = Redactor()
    redactor.remember_basic("abcd1234", "Basic9secret")
    basic = base64.b64encode(b"abcd1234:Basic9secret").decode()
    assert (
        redactor.text(f"Authorization: Basic {basic}; Basic9secret") == f"Authorization: Basic {REDACTED}; {REDACTED}"
    )


def test_a_document_keeps_its_shape_and_blanks_secret_keys_in_any_case() -> None:
    redactor = Redactor(["Known1secret"])
    cleaned = redactor.document(
        {
            "PASSWORD": "Pass9word",
            "New_Secret": 1234,
            "Authorization": "Bearer Tok3nValue",
            "note": "Pass9word again",
            "Known1secret": ("Known1secret", 7, None, True),
            5: "five",
        }
    )
    assert cleaned == {
        "PASSWORD": REDACTED,
        "New_Secret": REDACTED,
        "Authorization": REDACTED,
        "note": f"{REDACTED} again",
        REDACTED: [REDACTED, 7, None, True],
        5: "five",
    }
    # A string under a secret key is remembered: it goes from later text too; a number is not text to look for.
    assert redactor.text("Bearer Tok3nValue, 1234") == f"{REDACTED}, 1234"
