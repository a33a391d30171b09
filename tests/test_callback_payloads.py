"""The callbacks' payloads and signatures, as pure code: encoding, concatenation, keywords, defaults, signing."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from vonage_http_client.auth import Auth

from vonage_account_mock.callbacks.payloads import (
    delivery_receipt,
    inbound_sms,
    needs_unicode,
    sign,
    signature_base,
    signed,
    split_message,
)
from vonage_account_mock.callbacks.schema import payload_problems
from vonage_account_mock.state.models import Signature

NOW = datetime(2024, 5, 1, 21, 52, 49, tzinfo=UTC)
SECRET = "Sig1secret&=x"


def _inbound(text: str, **fields: str) -> list[dict[str, str]]:
    return inbound_sms({"from": "447700900001", "to": "447700900000", "text": text, **fields}, now=NOW)


def test_a_short_text_is_one_text_callback_with_the_documented_fields() -> None:
    [payload] = _inbound("stop please")
    assert payload.keys() == {"msisdn", "to", "messageId", "text", "type", "keyword", "message-timestamp"}
    assert payload["msisdn"] == "447700900001" and payload["to"] == "447700900000"
    assert payload["type"] == "text" and payload["keyword"] == "STOP"
    assert payload["message-timestamp"] == "2024-05-01 21:52:49"
    assert len(payload["messageId"]) == 16 and payload["messageId"] == payload["messageId"].upper()
    int(payload["messageId"], 16)


def test_gsm7_extension_characters_stay_text_but_other_characters_need_unicode() -> None:
    assert not needs_unicode("Price: 5€ [approx] ^_^ {ok} ~ | \\ àé@£")
    assert needs_unicode("naïve")  # ï is not in the GSM-7 alphabet
    assert needs_unicode("Привет") and needs_unicode("🙂")
    assert _inbound("Grüße")[0]["type"] == "text"  # ü and ß are GSM-7
    assert _inbound("Dobrý den")[0]["type"] == "unicode"


def test_160_septets_fit_one_sms_and_161_arrive_as_parts_of_153() -> None:
    assert split_message("a" * 160, "text") == ["a" * 160]
    assert [len(part) for part in split_message("a" * 161, "text")] == [153, 8]
    # An extension character takes two septets: 80 of them are 160 septets, one more splits.
    assert split_message("€" * 80, "text") == ["€" * 80]
    assert [len(part) for part in split_message("€" * 81, "text")] == [76, 5]


def test_70_ucs2_characters_fit_one_sms_and_71_arrive_as_parts_of_67() -> None:
    assert split_message("ж" * 70, "unicode") == ["ж" * 70]
    assert [len(part) for part in split_message("ж" * 71, "unicode")] == [67, 4]
    # A character outside the BMP is a surrogate pair, never split across parts.
    assert [len(part) for part in split_message("🙂" * 36, "unicode")] == [33, 3]


def test_a_long_message_carries_the_concat_fields_on_every_part() -> None:
    parts = _inbound("word " * 70)
    assert len(parts) == 3
    assert {p["concat"] for p in parts} == {"true"}
    assert len({p["concat-ref"] for p in parts}) == 1
    assert [(p["concat-total"], p["concat-part"]) for p in parts] == [("3", "1"), ("3", "2"), ("3", "3")]
    assert len({p["messageId"] for p in parts}) == 3
    assert "".join(p["text"] for p in parts) == "word " * 70


def test_given_fields_are_kept_and_the_first_part_takes_the_message_id() -> None:
    [payload] = _inbound("hi", message_id="0B0000004B65F62F", keyword="JOIN", message_timestamp="2017-05-01 21:52:49")
    assert payload["messageId"] == "0B0000004B65F62F" and payload["keyword"] == "JOIN"
    assert payload["message-timestamp"] == "2017-05-01 21:52:49"


def test_a_delivery_receipt_is_filled_in_as_the_service_would() -> None:
    payload = delivery_receipt({}, api_key="abcd1234", now=NOW)
    assert payload["status"] == "delivered" and payload["err-code"] == "0" and payload["api-key"] == "abcd1234"
    assert payload["scts"] == "2405012152" and payload["message-timestamp"] == "2024-05-01 21:52:49"
    assert "client-ref" not in payload
    with_ref = delivery_receipt({"client_ref": "order-42", "status": "failed"}, api_key="k", now=NOW)
    assert with_ref["client-ref"] == "order-42" and with_ref["err-code"] != "0"


def test_every_payload_built_matches_the_callback_spec() -> None:
    for payload in [*_inbound("x" * 400), *_inbound("ж"), *_inbound("", type="binary", data="0102")]:
        assert payload_problems("inbound-sms", payload) == []
    assert payload_problems("delivery-receipt", delivery_receipt({"client_ref": "r"}, api_key="k", now=NOW)) == []
    assert payload_problems("delivery-receipt", {"status": "lost"}) != []


@pytest.mark.parametrize("method", ["md5", "sha1", "sha256", "sha512"])
def test_hmac_signatures_verify_with_the_official_sdk(method: str) -> None:
    payload = signed(_inbound("a=b & c")[0], Signature(SECRET, method))
    assert payload["timestamp"] == str(int(NOW.timestamp())) and payload["nonce"]
    sdk = Auth(api_key="abcd1234", signature_secret=SECRET, signature_method=method)
    assert sdk.check_signature(dict(payload))
    tampered = dict(payload, text="changed")
    assert not sdk.check_signature(tampered)


def test_md5hash_signatures_are_md5_of_the_sorted_parameters_with_the_secret_appended() -> None:
    # The v4 SDK checks only the HMAC methods; the v2/v3 SDKs' md5hash is this digest.
    payload = signed(_inbound("a=b & c")[0], Signature(SECRET, "md5hash"))
    rest = {name: value for name, value in payload.items() if name != "sig"}
    base = "".join(f"&{k}={rest[k].replace('&', '_').replace('=', '_')}" for k in sorted(rest))
    assert payload["sig"] == hashlib.md5((base + SECRET).encode()).hexdigest()
    assert signature_base(payload) == base
    assert sign(rest, Signature(SECRET, "md5hash")) == payload["sig"]


def test_unsigned_accounts_get_no_signature_fields() -> None:
    assert signed(_inbound("hi")[0], None).keys().isdisjoint({"timestamp", "nonce", "sig"})


def test_a_signature_never_shows_its_secret() -> None:
    assert SECRET not in repr(Signature(SECRET, "sha256"))
    with pytest.raises(ValueError, match="method") as error:
        Signature(SECRET, "sha3")
    assert SECRET not in str(error.value)


# Fixed vectors, computed apart with `openssl dgst` over the base string below (the secret appended for md5hash,
# as the HMAC key otherwise): a change of sorting, character replacement, encoding or hex case breaks them.
VECTOR_PARAMS = {
    "msisdn": "447700900001",
    "to": "447700900000",
    "messageId": "0B0000004B65F62F",
    "text": "a=b & c",
    "type": "text",
    "keyword": "A=B",
    "message-timestamp": "2024-01-01 00:00:00",
    "timestamp": "1704067200",
    "nonce": "0123456789abcdef",
}
VECTOR_BASE = (
    "&keyword=A_B&message-timestamp=2024-01-01 00:00:00&messageId=0B0000004B65F62F&msisdn=447700900001"
    "&nonce=0123456789abcdef&text=a_b _ c&timestamp=1704067200&to=447700900000&type=text"
)
VECTOR_SECRET = "Sig1secretValue"
VECTORS = {
    "md5hash": "145a2659c053ce9c63c44fe204361c0d",
    "md5": "2260d3eab21af23725785a848f6650b6",
    "sha1": "10d82e0acf24e7cf0e6c44f58989988727f7e34e",
    "sha256": "32e3cffc7966a01e5e916ce41766f725bcdcd199444760bc8b22551d4d1c1b7e",
    "sha512": "cd603b35048236e0a3374b2ccde14e4519f6f5c178d98d0a1393a20204857e68"
    "5e6d709cca90858a4c574dd64d4bec4b733e52f1308fd8bf4118ff92387f3299",
}


@pytest.mark.parametrize("method", list(VECTORS))
def test_signatures_match_fixed_vectors(method: str) -> None:
    assert signature_base(VECTOR_PARAMS) == VECTOR_BASE
    assert sign(VECTOR_PARAMS, Signature(VECTOR_SECRET, method)) == VECTORS[method]
    # With a `sig` already present it is left out of what is signed.
    assert sign({**VECTOR_PARAMS, "sig": "ignored"}, Signature(VECTOR_SECRET, method)) == VECTORS[method]
