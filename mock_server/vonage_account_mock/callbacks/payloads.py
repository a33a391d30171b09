"""The inbound-SMS and delivery-receipt callbacks the real service sends, built and signed: no HTTP here."""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from vonage_account_mock.state.models import Signature

# The GSM 03.38 default alphabet (ESC left out: it is how the extension table is reached, not a character) and its
# extension table, whose characters take two septets each.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
SINGLE_LIMITS = {"text": 160, "unicode": 70}
"""One SMS: 160 GSM-7 septets, or 70 UCS-2 code units."""
PART_LIMITS = {"text": 153, "unicode": 67}
"""A part of a concatenated SMS: the user data header takes the rest."""
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
SCTS_FORMAT = "%y%m%d%H%M"
DELIVERY_STATUSES = ("delivered", "expired", "failed", "rejected", "accepted", "buffered", "unknown")


class PayloadError(ValueError):
    """A trigger asks for a callback the service could not send (the message says which field and why)."""


def needs_unicode(text: str) -> bool:
    """Whether `text` has a character outside the GSM-7 default alphabet and its extension table."""
    return any(ch not in GSM7_BASIC and ch not in GSM7_EXTENSION for ch in text)


def _units(ch: str, kind: str) -> int:
    if kind == "text":
        return 2 if ch in GSM7_EXTENSION else 1
    # UCS-2 as sent today is UTF-16: a character beyond the BMP takes two code units.
    return 2 if ord(ch) > 0xFFFF else 1


def message_length(text: str, kind: str) -> int:
    """Septets (text) or UTF-16 code units (unicode) that `text` takes."""
    return sum(_units(ch, kind) for ch in text)


def split_message(text: str, kind: str) -> list[str]:
    """The parts a message arrives in: itself when it fits one SMS, else parts of 153 septets / 67 code units.

    A character is never cut: an extension character or a surrogate pair that would straddle a boundary starts the
    next part, as handsets and the network split them.
    """
    if message_length(text, kind) <= SINGLE_LIMITS[kind]:
        return [text]
    limit = PART_LIMITS[kind]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        size = _units(ch, kind)
        if used + size > limit:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += size
    parts.append("".join(current))
    return parts


def keyword_of(text: str) -> str:
    """The first word of the text, upper-cased (empty for an empty text)."""
    words = text.split()
    return words[0].upper() if words else ""


def new_message_id(rng: random.Random | None = None) -> str:
    """A message id shaped like the service's: 16 upper-case hex characters (from `rng` in deterministic mode)."""
    return f"{rng.getrandbits(64):016X}" if rng is not None else secrets.token_hex(8).upper()


def callback_timestamp(moment: datetime) -> str:
    """`YYYY-MM-DD HH:MM:SS` in UTC, the callbacks' `message-timestamp`."""
    # Formatted by hand: strftime's %Y does not pad years before 1000 on every platform.
    m = moment.astimezone(UTC)
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d} {m.hour:02d}:{m.minute:02d}:{m.second:02d}"


def parse_callback_timestamp(text: str, field: str) -> datetime:
    """A `YYYY-MM-DD HH:MM:SS` UTC timestamp given in a trigger."""
    try:
        return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise PayloadError(f"{field}: expected YYYY-MM-DD HH:MM:SS (UTC)") from None


def _text(fields: Mapping[str, Any], name: str, default: str | None = None) -> str | None:
    value = fields.get(name, default)
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{name}: expected a string")
    return value


def _required(fields: Mapping[str, Any], name: str) -> str:
    value = _text(fields, name)
    if not value:
        raise PayloadError(f"{name} is required")
    return value


def inbound_sms(fields: Mapping[str, Any], *, now: datetime, rng: random.Random | None = None) -> list[dict[str, str]]:
    """The inbound-SMS callbacks for a trigger's snake_case fields: one, or one per part of a long message.

    `from` becomes `msisdn`; `type` is `unicode` when the text needs it; `keyword` is each part's first word
    upper-cased; `message_id` names the first part (each part has an id of its own).
    """
    sender = _required(fields, "from")
    to = _required(fields, "to")
    moment = (
        parse_callback_timestamp(fields["message_timestamp"], "message_timestamp")
        if fields.get("message_timestamp")
        else now
    )
    stamp = callback_timestamp(moment)
    first_id = _text(fields, "message_id") or new_message_id(rng)
    kind = _text(fields, "type")
    if kind == "binary":
        data = _text(fields, "data") or (_text(fields, "text") or "").encode("utf-8").hex()
        payload = {"msisdn": sender, "to": to, "messageId": first_id, "type": "binary", "data": data}
        udh = _text(fields, "udh")
        if udh:
            payload["udh"] = udh
        payload["message-timestamp"] = stamp
        return [payload]
    text = _text(fields, "text", "") or ""
    # A type given is kept even when the text would need another: a test may want what a misbehaving network sends.
    kind = kind or ("unicode" if needs_unicode(text) else "text")
    parts = split_message(text, kind)
    keyword = _text(fields, "keyword")
    concat_ref = str((rng or random).randint(1, 255))
    payloads = []
    for number, part in enumerate(parts, start=1):
        payload = {
            "msisdn": sender,
            "to": to,
            "messageId": first_id if number == 1 else new_message_id(rng),
            "text": part,
            "type": kind,
            "keyword": keyword if keyword is not None else keyword_of(part),
            "message-timestamp": stamp,
        }
        if len(parts) > 1:
            payload |= {
                "concat": "true",
                "concat-ref": concat_ref,
                "concat-total": str(len(parts)),
                "concat-part": str(number),
            }
        payloads.append(payload)
    return payloads


def delivery_receipt(
    fields: Mapping[str, Any], *, api_key: str, now: datetime, rng: random.Random | None = None
) -> dict[str, str]:
    """The delivery-receipt callback for a trigger's snake_case fields, the rest filled in as the service would."""
    status = _text(fields, "status", "delivered") or "delivered"
    if status not in DELIVERY_STATUSES:
        raise PayloadError(f"status: expected one of {', '.join(DELIVERY_STATUSES)}")
    moment = (
        parse_callback_timestamp(fields["message_timestamp"], "message_timestamp")
        if fields.get("message_timestamp")
        else now
    )
    err_code = fields.get("err_code", "0" if status in ("delivered", "accepted", "buffered") else "1")
    payload = {
        "msisdn": _text(fields, "msisdn", "447700900000") or "447700900000",
        "to": _text(fields, "to", "Vonage") or "Vonage",
        "network-code": _text(fields, "network_code", "23410") or "23410",
        "messageId": _text(fields, "message_id") or new_message_id(rng),
        "price": _text(fields, "price", "0.03330000") or "0.03330000",
        "status": status,
        "scts": _text(fields, "scts") or moment.strftime(SCTS_FORMAT),
        "err-code": str(err_code),
        "api-key": api_key,
        "message-timestamp": callback_timestamp(moment),
    }
    client_ref = _text(fields, "client_ref")
    if client_ref is not None:
        payload["client-ref"] = client_ref
    return payload


def signature_base(params: Mapping[str, str]) -> str:
    """The string the service signs: `&name=value` for every parameter but `sig`, sorted by name, with `&` and `=`
    in values replaced by `_` (as the official SDKs rebuild it)."""
    return "".join(
        f"&{name}={params[name].replace('&', '_').replace('=', '_')}" for name in sorted(params) if name != "sig"
    )


def sign(params: Mapping[str, str], signature: Signature) -> str:
    """The `sig` of `params` under the account's signature: lower-case hex."""
    base = signature_base(params)
    if signature.method == "md5hash":
        return hashlib.md5((base + signature.secret).encode("utf-8")).hexdigest()
    return hmac.new(signature.secret.encode("utf-8"), base.encode("utf-8"), signature.method).hexdigest()


def signed(payload: Mapping[str, str], signature: Signature | None, rng: random.Random | None = None) -> dict[str, str]:
    """`payload` with `timestamp` (the Unix time of its `message-timestamp`), `nonce` and `sig` added when the
    account signs its callbacks."""
    result = dict(payload)
    if signature is None:
        return result
    moment = parse_callback_timestamp(result["message-timestamp"], "message-timestamp")
    result["timestamp"] = str(int(moment.timestamp()))
    result["nonce"] = f"{rng.getrandbits(64):016x}" if rng is not None else secrets.token_hex(8)
    result["sig"] = sign(result, signature)
    return result
