"""Reading accounts to seed from a YAML (or JSON) file, checked before anything is served.

Aliases and anchors are refused (a few hundred bytes of nested aliases expand to gigabytes), types are real
(booleans are booleans, amounts finite decimals), a key appears once, and an error names the file, the entry and
the rule — never a value, which may be a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from vonage_account_mock.state.models import (
    MAX_API_KEY_LENGTH,
    SIGNATURE_METHODS,
    STORED_SECRET_MAX_LENGTH,
    AccountSeed,
    AutoReload,
    Settings,
    Signature,
    storable_secret,
)

_ACCOUNT_KEYS = {"api_key", "secrets", "balance", "auto_reload", "settings", "subaccounts", "signature"}
_SETTINGS_KEYS = {
    "mo_callback_url",
    "dr_callback_url",
    "http_forward_method",
    "max_outbound_request",
    "max_inbound_request",
    "max_calls_per_second",
}


_FORWARD_METHODS = frozenset({"GET_QUERY_PARAMS", "POST_QUERY_PARAMS", "POST_JSON"})


class SeedError(ValueError):
    """The seed file does not describe accounts correctly."""


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SeedError(f'{where}: expected an amount such as "10.00"')
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise SeedError(f'{where}: expected an amount such as "10.00"') from None
    if not amount.is_finite() or amount < 0:
        raise SeedError(f"{where}: expected a finite amount, 0 or more")
    return amount


def _settings(document: Mapping[str, Any], where: str) -> Settings:
    for name, value in document.items():
        if name.startswith("max_"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SeedError(f"{where}.{name}: expected a whole number, 1 or more")
        elif name == "http_forward_method":
            if value not in _FORWARD_METHODS:
                raise SeedError(f"{where}.{name}: expected one of {', '.join(sorted(_FORWARD_METHODS))}")
        elif value is not None and not isinstance(value, str):
            raise SeedError(f"{where}.{name}: expected a URL string")
    return Settings(**document)


def _signature(document: Any, where: str) -> Signature | None:
    """The account's callback signature secret and method; errors never show the secret."""
    if document is None:
        return None
    document = _mapping(document, where)
    if set(document) - {"secret", "method"}:
        raise SeedError(f"{where}: unknown fields {sorted(set(document) - {'secret', 'method'})}")
    if not storable_secret(document.get("secret")):
        raise SeedError(f"{where}.secret: expected 1 to {STORED_SECRET_MAX_LENGTH} printable ASCII characters")
    method = document.get("method", "md5hash")
    if method not in SIGNATURE_METHODS:
        raise SeedError(f"{where}.method: expected one of {', '.join(SIGNATURE_METHODS)}")
    return Signature(secret=document["secret"], method=method)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SeedError(f"{where}: expected a mapping")
    return value


def account_seeds(
    document: Any, *, primary: str | None = None, where: str = "accounts", seen: set[str] | None = None
) -> list[AccountSeed]:
    """Seeds from a parsed document (`{"accounts": [...]}`), sub-accounts after their primary."""
    seen = set() if seen is None else seen
    if primary is None:
        document = _mapping(document, "seed file").get("accounts")
    if not isinstance(document, list):
        raise SeedError(f"{where}: expected a list of accounts")
    seeds: list[AccountSeed] = []
    for index, raw in enumerate(document):
        here = f"{where}[{index}]"
        entry = _mapping(raw, here)
        unknown = set(entry) - _ACCOUNT_KEYS
        if unknown:
            raise SeedError(f"{here}: unknown fields {sorted(unknown)}")
        api_key = entry.get("api_key")
        secrets = entry.get("secrets")
        if not isinstance(api_key, str) or not 0 < len(api_key) <= MAX_API_KEY_LENGTH or not api_key.isprintable():
            raise SeedError(f"{here}: api_key must be a string of 1 to {MAX_API_KEY_LENGTH} printable characters")
        if api_key in seen:
            raise SeedError(f"{here} ({api_key}): this api_key is seeded twice")
        seen.add(api_key)
        if not isinstance(secrets, list) or not 1 <= len(secrets) <= 2:
            raise SeedError(f"{here} ({api_key}): secrets must be a list of one or two strings")
        # What the mock can hold, not today's creation rules: older accounts have secrets that predate them.
        for number, secret in enumerate(secrets):
            if not storable_secret(secret):
                raise SeedError(
                    f"{here} ({api_key}).secrets[{number}]: "
                    f"expected 1 to {STORED_SECRET_MAX_LENGTH} printable ASCII characters"
                )
        reload_doc = _mapping(entry.get("auto_reload") or {}, f"{here}.auto_reload")
        if set(reload_doc) - {"enabled", "trx", "amount"}:
            raise SeedError(
                f"{here}.auto_reload: unknown fields {sorted(set(reload_doc) - {'enabled', 'trx', 'amount'})}"
            )
        if not isinstance(reload_doc.get("enabled", False), bool):
            raise SeedError(f"{here}.auto_reload.enabled: expected true or false")
        if reload_doc.get("trx") is not None and not isinstance(reload_doc["trx"], str):
            raise SeedError(f"{here}.auto_reload.trx: expected a string")
        settings_doc = _mapping(entry.get("settings") or {}, f"{here}.settings")
        unknown = set(settings_doc) - _SETTINGS_KEYS
        if unknown:
            raise SeedError(f"{here}.settings: unknown fields {sorted(unknown)}")
        seeds.append(
            AccountSeed(
                api_key=api_key,
                secrets=tuple(secrets),
                balance=_decimal(entry.get("balance", "10.00"), f"{here}.balance"),
                auto_reload=AutoReload(
                    enabled=reload_doc.get("enabled", False),
                    trx=reload_doc.get("trx"),
                    amount=_decimal(reload_doc.get("amount", "0"), f"{here}.auto_reload.amount"),
                ),
                settings=_settings(settings_doc, f"{here}.settings"),
                primary=primary,
                signature=_signature(entry.get("signature"), f"{here}.signature"),
            )
        )
        seeds.extend(
            account_seeds(entry.get("subaccounts") or [], primary=api_key, where=f"{here}.subaccounts", seen=seen)
        )
    return seeds


def load_seed_file(path: Path) -> list[AccountSeed]:
    """Seeds from a YAML or JSON file, checked (SeedError names the file, the entry and the rule)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SeedError(
            f"{path}: cannot read it ({getattr(error, 'strerror', None) or type(error).__name__})"
        ) from None
    try:
        # Events first: an alias is refused before anything is built from it.
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                start: Any = event.start_mark
                raise SeedError(f"{path}: line {start.line + 1}: anchors and aliases are not accepted in a seed file")
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        # Only where and what: the offending line itself may hold a secret.
        mark: Any = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise SeedError(
            f"{path}: {where}not valid YAML ({getattr(error, 'problem', None) or 'syntax error'})"
        ) from None
    try:
        return account_seeds(document)
    except SeedError as error:
        raise SeedError(f"{path}: {error}") from None
