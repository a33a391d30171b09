"""The records the backend keeps: accounts, their secrets (as digests), auto-reload, settings, senders, and seeds."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

STORED_SECRET_MAX_LENGTH = 256
"""A secret the mock holds (seeded: older than today's creation rules) is 1 to this many printable ASCII characters."""
DEFAULT_BALANCE = Decimal("10.00")
DEFAULT_RATE_LIMIT = 30


@dataclass(frozen=True)
class StoredSecret:
    """An active secret: its public id and time, and a salted digest in place of the value."""

    id: str
    created_at: str
    digest: bytes


@dataclass
class AutoReload:
    """Auto-reload: when enabled, top-up with `trx` adds `amount` EUR.

    The backend keeps `trx_digest` (salted, as secrets are) and checks top-ups against it; `trx` itself is known
    only in the process it was given to (for redacting it by value), never stored in a state file or a snapshot.
    """

    enabled: bool = False
    trx: str | None = field(default=None, repr=False)
    amount: Decimal = Decimal("0")
    trx_digest: bytes | None = field(default=None, repr=False)


@dataclass
class Settings:
    """Default webhooks and the account's rate limits."""

    mo_callback_url: str | None = None
    dr_callback_url: str | None = None
    http_forward_method: str | None = None
    max_outbound_request: int = DEFAULT_RATE_LIMIT
    max_inbound_request: int = DEFAULT_RATE_LIMIT
    max_calls_per_second: int = DEFAULT_RATE_LIMIT


SIGNATURE_METHODS = ("md5hash", "md5", "sha1", "sha256", "sha512")
"""How callbacks are signed: `md5hash` is a plain MD5 digest with the secret appended, the others HMACs."""


@dataclass(frozen=True)
class Signature:
    """The account's signature secret and method, with which the service signs its callbacks (a credential)."""

    secret: str = field(repr=False)
    method: str = "md5hash"

    def __post_init__(self) -> None:
        # Checked here so no way in (control API, seed file, code) can store one the signer cannot use.
        if self.method not in SIGNATURE_METHODS:
            raise ValueError(f"a signature method is one of {', '.join(SIGNATURE_METHODS)}")
        if not storable_secret(self.secret):
            raise ValueError(f"a signature secret is 1 to {STORED_SECRET_MAX_LENGTH} printable ASCII characters")


@dataclass(frozen=True)
class EmailSender:
    """An email sender registered for Verify V2."""

    provider: str
    value: str
    name: str | None = None
    application_ids: tuple[str, ...] = ()


@dataclass
class Account:
    """One API key and everything the service keeps for it."""

    api_key: str
    secrets: list[StoredSecret] = field(default_factory=list)
    balance: Decimal = DEFAULT_BALANCE
    auto_reload: AutoReload = field(default_factory=AutoReload)
    settings: Settings = field(default_factory=Settings)
    senders: dict[str, EmailSender] = field(default_factory=dict)
    primary: str | None = None
    """The api_key of the primary account, for a sub-account."""
    signature: Signature | None = None


@dataclass(frozen=True)
class SecretView:
    """What the API may show of a secret."""

    id: str
    created_at: str


@dataclass(frozen=True)
class AccountSeed:
    """The description of an account to create: known secrets, balance, auto-reload, settings."""

    api_key: str
    secrets: tuple[str, ...]
    balance: Decimal = DEFAULT_BALANCE
    auto_reload: AutoReload = field(default_factory=AutoReload)
    settings: Settings = field(default_factory=Settings)
    primary: str | None = None
    signature: Signature | None = None


@dataclass(frozen=True)
class SettingsChange:
    """A settings update: None leaves a field alone, an empty string unsets it."""

    mo_callback_url: str | None = None
    dr_callback_url: str | None = None
    http_forward_method: str | None = None


def storable_secret(secret: object) -> bool:
    """Whether the mock may hold `secret`: 1 to STORED_SECRET_MAX_LENGTH printable ASCII characters.

    Printable ASCII only: a secret holding U+FFFD would be matched by any undecodable byte in a query (%FF, %FE).
    """
    if not isinstance(secret, str):
        return False
    return 0 < len(secret) <= STORED_SECRET_MAX_LENGTH and secret.isascii() and secret.isprintable()
