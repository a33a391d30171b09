"""Reading accounts to seed from a YAML (or JSON) file."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from vonage_account_mock.state.models import AccountSeed, AutoReload, Settings

_ACCOUNT_KEYS = {"api_key", "secrets", "balance", "auto_reload", "settings", "subaccounts"}
_SETTINGS_KEYS = {
    "mo_callback_url",
    "dr_callback_url",
    "http_forward_method",
    "max_outbound_request",
    "max_inbound_request",
    "max_calls_per_second",
}


class SeedError(ValueError):
    """The seed file does not describe accounts correctly."""


def _decimal(value: Any, where: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise SeedError(f"{where}: {value!r} is not a number") from None


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SeedError(f"{where}: expected a mapping")
    return value


def account_seeds(document: Any, *, primary: str | None = None, where: str = "accounts") -> list[AccountSeed]:
    """Seeds from a parsed document (`{"accounts": [...]}`), sub-accounts after their primary."""
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
        if not isinstance(api_key, str) or not api_key:
            raise SeedError(f"{here}: api_key must be a non-empty string")
        if not isinstance(secrets, list) or not 1 <= len(secrets) <= 2 or not all(isinstance(s, str) for s in secrets):
            raise SeedError(f"{here} ({api_key}): secrets must be a list of one or two strings")
        reload_doc = _mapping(entry.get("auto_reload") or {}, f"{here}.auto_reload")
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
                    enabled=bool(reload_doc.get("enabled", False)),
                    trx=None if reload_doc.get("trx") is None else str(reload_doc["trx"]),
                    amount=_decimal(reload_doc.get("amount", "0"), f"{here}.auto_reload.amount"),
                ),
                settings=Settings(**settings_doc),
                primary=primary,
            )
        )
        seeds.extend(account_seeds(entry.get("subaccounts") or [], primary=api_key, where=f"{here}.subaccounts"))
    return seeds


def load_seed_file(path: Path) -> list[AccountSeed]:
    """Seeds from a YAML or JSON file."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SeedError(f"{path}: {error}") from None
    return account_seeds(document)
