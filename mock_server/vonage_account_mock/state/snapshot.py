"""The whole Account API state as one document, and back: `GET` / `PUT /_mock/snapshot`, `snapshot save` / `load`.

A snapshot holds no secret value and no `trx`: each API secret and each account's auto-reload `trx` is there as
SHA-256(salt ‖ UTF-8 value), hex, with the salt beside them, so a mock that loads it authenticates the same
credentials (and takes the same `trx`) with the same secret ids and dates. A callback signature's secret is left out
(the mock must hold that one in clear to sign): a loaded account keeps no signature until it is given one again.
"""

from __future__ import annotations

import re
from typing import Any

from vonage_account_mock.state.codec import BadDocument, account_document, account_from_document
from vonage_account_mock.state.models import AccountBackend

FORMAT = "vonage-account-mock-snapshot"
VERSION = 1
DIGEST = "sha256(salt || utf8(value))"
MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024
"""The largest snapshot `PUT /_mock/snapshot` takes (the Account API's bodies stay bounded at 64 KiB)."""
_SALT = re.compile(r"[0-9a-f]{32}")


def take_snapshot(backend: AccountBackend) -> dict[str, Any]:
    """The backend's whole state as a snapshot document."""
    salt, accounts, provisioned = backend.export_state()
    return {
        "format": FORMAT,
        "version": VERSION,
        "digests": {"algorithm": DIGEST, "salt": salt.hex()},
        "accounts": [account_document(account, signature_secret=False) for account in accounts],
        "provisioned": provisioned,
    }


def load_snapshot(backend: AccountBackend, document: Any) -> int:
    """Replace the backend's state with a snapshot's; how many accounts it holds. BadDocument names what is wrong
    (nothing changes then)."""
    if not isinstance(document, dict):
        raise BadDocument("a snapshot is a JSON object")
    if document.get("format") != FORMAT or document.get("version") != VERSION:
        raise BadDocument(f"not a snapshot this mock reads (format {FORMAT!r}, version {VERSION})")
    digests = document.get("digests")
    if not isinstance(digests, dict) or digests.get("algorithm") != DIGEST:
        raise BadDocument(f"digests.algorithm: expected {DIGEST!r}")
    salt = digests.get("salt")
    if not isinstance(salt, str) or not _SALT.fullmatch(salt):
        raise BadDocument("digests.salt: expected 32 lower-case hex characters")
    items = document.get("accounts")
    if not isinstance(items, list):
        raise BadDocument("accounts: expected a list")
    accounts = [
        account_from_document(item, where=f"accounts[{index}]", signature_secret=False)
        for index, item in enumerate(items)
    ]
    if len({account.api_key for account in accounts}) != len(accounts):
        raise BadDocument("accounts: an api_key appears twice")
    provisioned = document.get("provisioned", [])
    if not isinstance(provisioned, list) or not all(isinstance(key, str) for key in provisioned):
        raise BadDocument("provisioned: expected a list of api_keys")
    try:
        backend.replace_state(bytes.fromhex(salt), accounts, provisioned)
    except ValueError as error:
        raise BadDocument(f"accounts: {error}") from None
    return len(accounts)
