"""Accounts as plain documents and back: the one form the state file and snapshots both store.

A document holds what a digest can hold in place of a value: each API secret and the auto-reload `trx` as
SHA-256(salt ‖ UTF-8 value), hex, never the value. The signature secret (a key the mock signs callbacks with, so it
must keep the value) is written only where the caller asks for it: into the state file, never into a snapshot.
Reading a document checks every field, so a hand-edited snapshot is refused with a message, never half-loaded.
"""

from __future__ import annotations

import re
from dataclasses import fields
from decimal import Decimal, InvalidOperation
from typing import Any

from vonage_account_mock.state.models import MAX_API_KEY_LENGTH, MAX_SECRETS, MAX_SENDERS
from vonage_account_mock.state.records import (
    DEFAULT_RATE_LIMIT,
    Account,
    AutoReload,
    EmailSender,
    Settings,
    Signature,
    StoredSecret,
)

_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_DECIMAL = re.compile(r"-?[0-9]{1,30}(\.[0-9]{1,30})?(E[-+]?[0-9]{1,2})?")
"""What a stored amount looks like (as `str(Decimal)` writes it), bounded so no later arithmetic overflows."""
_FORWARD_METHODS = ("GET_QUERY_PARAMS", "POST_QUERY_PARAMS", "POST_JSON")
_MAX_URL = 2048
_SETTINGS = tuple(f.name for f in fields(Settings))
_SETTINGS_LIMITS = ("max_outbound_request", "max_inbound_request", "max_calls_per_second")


class BadDocument(ValueError):
    """A document that does not describe an account: the message names the field."""


def account_document(account: Account, *, signature_secret: bool) -> dict[str, Any]:
    """An account as a JSON-ready document (digests as hex; the signature secret only when asked for)."""
    reload = account.auto_reload
    signature: dict[str, Any] | None = None
    if account.signature is not None:
        signature = {"method": account.signature.method}
        if signature_secret:
            signature["secret"] = account.signature.secret
    return {
        "api_key": account.api_key,
        "primary": account.primary,
        "secrets": [{"id": s.id, "created_at": s.created_at, "digest": s.digest.hex()} for s in account.secrets],
        "balance": str(account.balance),
        "auto_reload": {
            "enabled": reload.enabled,
            "amount": str(reload.amount),
            "trx_digest": None if reload.trx_digest is None else reload.trx_digest.hex(),
        },
        "settings": {name: getattr(account.settings, name) for name in _SETTINGS},
        "senders": [
            {"provider": s.provider, "value": s.value, "name": s.name, "application_ids": list(s.application_ids)}
            for s in account.senders.values()
        ],
        "signature": signature,
    }


def _field(document: dict[str, Any], name: str, kind: type, where: str) -> Any:
    value = document.get(name)
    if not isinstance(value, kind):
        raise BadDocument(f"{where}.{name}: expected a {'string' if kind is str else kind.__name__}")
    return value


def _optional_text(document: dict[str, Any], name: str, where: str) -> str | None:
    value = document.get(name)
    if value is not None and not isinstance(value, str):
        raise BadDocument(f"{where}.{name}: expected a string or null")
    return value


def _decimal(text: Any, where: str) -> Decimal:
    if not isinstance(text, str) or not _DECIMAL.fullmatch(text):
        raise BadDocument(f"{where}: expected a decimal string such as 10.00")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise BadDocument(f"{where}: not a decimal") from None


def _digest(text: Any, where: str) -> bytes:
    if not isinstance(text, str) or not _HEX_DIGEST.fullmatch(text):
        raise BadDocument(f"{where}: expected a SHA-256 digest (64 lower-case hex characters)")
    return bytes.fromhex(text)


def _secrets(document: dict[str, Any], where: str) -> list[StoredSecret]:
    items = _field(document, "secrets", list, where)
    if not 1 <= len(items) <= MAX_SECRETS:
        raise BadDocument(f"{where}.secrets: one or {MAX_SECRETS} secrets")
    stored = []
    for index, item in enumerate(items):
        here = f"{where}.secrets[{index}]"
        if not isinstance(item, dict):
            raise BadDocument(f"{here}: expected an object")
        secret_id, created_at = item.get("id"), item.get("created_at")
        if not isinstance(secret_id, str) or not 0 < len(secret_id) <= 64:
            raise BadDocument(f"{here}.id: expected a string of 1 to 64 characters")
        if not isinstance(created_at, str) or not _TIMESTAMP.fullmatch(created_at):
            raise BadDocument(f"{here}.created_at: expected YYYY-MM-DDTHH:MM:SSZ")
        stored.append(StoredSecret(secret_id, created_at, _digest(item.get("digest"), f"{here}.digest")))
    if len({s.id for s in stored}) != len(stored):
        raise BadDocument(f"{where}.secrets: two secrets with one id")
    return stored


def _auto_reload(document: Any, where: str) -> AutoReload:
    if not isinstance(document, dict):
        raise BadDocument(f"{where}: expected an object")
    enabled = document.get("enabled")
    if not isinstance(enabled, bool):
        raise BadDocument(f"{where}.enabled: expected true or false")
    digest = document.get("trx_digest")
    return AutoReload(
        enabled=enabled,
        amount=_decimal(document.get("amount"), f"{where}.amount"),
        trx_digest=None if digest is None else _digest(digest, f"{where}.trx_digest"),
    )


def _settings(document: Any, where: str) -> Settings:
    if not isinstance(document, dict):
        raise BadDocument(f"{where}: expected an object")
    limits: dict[str, int] = {}
    for name in _SETTINGS_LIMITS:
        value = document.get(name, DEFAULT_RATE_LIMIT)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise BadDocument(f"{where}.{name}: expected a whole number, 0 or more")
        limits[name] = value
    urls = {name: _optional_text(document, name, where) for name in ("mo_callback_url", "dr_callback_url")}
    for name, url in urls.items():
        if url is not None and len(url) > _MAX_URL:
            raise BadDocument(f"{where}.{name}: at most {_MAX_URL} characters")
    method = _optional_text(document, "http_forward_method", where)
    if method is not None and method not in _FORWARD_METHODS:
        raise BadDocument(f"{where}.http_forward_method: one of {', '.join(_FORWARD_METHODS)}, or null")
    return Settings(
        mo_callback_url=urls["mo_callback_url"],
        dr_callback_url=urls["dr_callback_url"],
        http_forward_method=method,
        max_outbound_request=limits["max_outbound_request"],
        max_inbound_request=limits["max_inbound_request"],
        max_calls_per_second=limits["max_calls_per_second"],
    )


def _senders(items: Any, where: str) -> dict[str, EmailSender]:
    if not isinstance(items, list) or len(items) > MAX_SENDERS:
        raise BadDocument(f"{where}: expected a list of at most {MAX_SENDERS} senders")
    senders: dict[str, EmailSender] = {}
    for index, item in enumerate(items):
        here = f"{where}[{index}]"
        if not isinstance(item, dict):
            raise BadDocument(f"{here}: expected an object")
        ids = item.get("application_ids", [])
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise BadDocument(f"{here}.application_ids: expected a list of strings")
        sender = EmailSender(
            provider=_field(item, "provider", str, here),
            value=_field(item, "value", str, here),
            name=_optional_text(item, "name", here),
            application_ids=tuple(ids),
        )
        senders[sender.value] = sender
    return senders


def _signature(document: Any, where: str, *, required_secret: bool) -> Signature | None:
    if document is None:
        return None
    if not isinstance(document, dict):
        raise BadDocument(f"{where}: expected an object or null")
    if not required_secret:
        return None  # a snapshot names the method only: the account signs nothing until it is given a secret again
    secret = document.get("secret")
    if secret is None:
        raise BadDocument(f"{where}.secret: missing")
    try:
        return Signature(secret=secret, method=document.get("method", "md5hash"))
    except ValueError as error:
        raise BadDocument(f"{where}: {error}") from None


def account_from_document(document: Any, *, where: str = "account", signature_secret: bool) -> Account:
    """The account a document describes; BadDocument naming the first field that is wrong."""
    if not isinstance(document, dict):
        raise BadDocument(f"{where}: expected an object")
    api_key = _field(document, "api_key", str, where)
    if not 0 < len(api_key) <= MAX_API_KEY_LENGTH:
        raise BadDocument(f"{where}.api_key: 1 to {MAX_API_KEY_LENGTH} characters")
    return Account(
        api_key=api_key,
        secrets=_secrets(document, where),
        balance=_decimal(document.get("balance"), f"{where}.balance"),
        auto_reload=_auto_reload(document.get("auto_reload"), f"{where}.auto_reload"),
        settings=_settings(document.get("settings"), f"{where}.settings"),
        senders=_senders(document.get("senders", []), f"{where}.senders"),
        primary=_optional_text(document, "primary", where),
        signature=_signature(document.get("signature"), f"{where}.signature", required_secret=signature_secret),
    )
