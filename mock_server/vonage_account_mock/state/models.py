"""Accounts and the rules of the Account API: the mock's whole state, apart from any HTTP concern."""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import os
import random
import re
import secrets as _random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from vonage_account_mock.state.exceptions import (
    AutoReloadNotEnabled,
    InvalidApiKey,
    InvalidCredentials,
    InvalidSecretId,
    LastSecretRevocation,
    SecretLimitReached,
    SecretValidationFailed,
    SenderLimitReached,
    TopUpFailed,
)
from vonage_account_mock.state.records import (
    DEFAULT_BALANCE,
    DEFAULT_RATE_LIMIT,
    SIGNATURE_METHODS,
    STORED_SECRET_MAX_LENGTH,
    Account,
    AccountSeed,
    AutoReload,
    EmailSender,
    SecretView,
    Settings,
    SettingsChange,
    Signature,
    StoredSecret,
    storable_secret,
)

if TYPE_CHECKING:
    from vonage_account_mock.state.store import Changes, Store

__all__ = [
    "DEFAULT_BALANCE",
    "DEFAULT_RATE_LIMIT",
    "SIGNATURE_METHODS",
    "STORED_SECRET_MAX_LENGTH",
    "Account",
    "AccountBackend",
    "AccountSeed",
    "AutoReload",
    "EmailSender",
    "SecretView",
    "Settings",
    "SettingsChange",
    "Signature",
    "StoredSecret",
    "storable_secret",
]

MAX_SECRETS = 2
MAX_PROVISIONED = 10_000
"""Accounts created on first use that are kept; beyond it the least recently authenticated one is forgotten."""
MAX_SENDERS = 100
"""Email senders one account keeps (re-registering one of them always works), as accounts and the journal are
bounded: 5,000 registrations from one key must not grow the mock without end."""
MAX_API_KEY_LENGTH = 64
"""Real keys are 8 characters, the plugin's tenant keys about 14; a longer one is refused before anything is kept."""
DETERMINISTIC_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

# The service's published rules; ASCII classes, as the v4 SDK checks them before sending.
_LOWER = re.compile(r"[a-z]")
_UPPER = re.compile(r"[A-Z]")
_DIGIT = re.compile(r"[0-9]")
_PRINTABLE_ASCII = re.compile(r"[ -~]*")
SECRET_MIN_LENGTH = 8
SECRET_MAX_LENGTH = 25


def secret_problems(secret: str) -> list[str]:
    """The complexity rules a candidate secret breaks (empty when it is acceptable)."""
    problems = []
    if not SECRET_MIN_LENGTH <= len(secret) <= SECRET_MAX_LENGTH:
        problems.append(f"must be {SECRET_MIN_LENGTH} to {SECRET_MAX_LENGTH} characters long")
    if not _LOWER.search(secret):
        problems.append("must contain a lower-case letter")
    if not _UPPER.search(secret):
        problems.append("must contain an upper-case letter")
    if not _DIGIT.search(secret):
        problems.append("must contain a digit")
    if not _PRINTABLE_ASCII.fullmatch(secret):
        problems.append("must be printable ASCII")
    return problems


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ`, the only form the service uses."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"


class _WallClockText:
    """`format_timestamp(utc_now())`, formatted once a second: secrets can be created thousands of times a second."""

    def __init__(self) -> None:
        self._last: tuple[int, str] = (-1, "")

    def __call__(self) -> str:
        second = int(time.time())
        last = self._last  # one tuple, replaced whole: threads read a consistent pair
        if last[0] != second:
            last = self._last = (second, format_timestamp(datetime.fromtimestamp(second, UTC)))
        return last[1]


wall_clock_text = _WallClockText()


_SECRET_IDS = random.Random(_random.randbits(128))
"""Where secret ids come from: seeded once from the system's randomness, so an id costs no system call. Ids need not
be unguessable (the service shows them to anyone with the credentials, and they are useless without); a forked
process reseeds, so its ids do not repeat its parent's."""
os.register_at_fork(after_in_child=lambda: _SECRET_IDS.seed(_random.randbits(128)))


def uuid4_text(bits: int) -> str:
    """`str(uuid.UUID(int=bits, version=4))`, in a third of the time (it is made on every secret's creation)."""
    bits = (bits & ~(0xC000 << 48) | (0x8000 << 48)) & ~(0xF000 << 64) | (4 << 76)
    text = f"{bits:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class AccountBackend:
    """All accounts of one mock, keyed by api_key, and the rules that govern them.

    Every method is atomic: one lock serialises them, so concurrent callers see the rules hold
    (two-secret limit, last-secret guard, exact balance arithmetic). With a `store` (state/store.py), every change
    is committed before its method returns and every method first takes in what other processes committed, so the
    rules hold across the processes sharing it too; `restored` says whether the store held a state already. So a
    method that changes an account holds `self._write` (not the bare lock) and names it with `self._changed`; one
    that only reads holds `self._read`.
    """

    def __init__(
        self,
        *,
        auto_provision: bool = True,
        id_factory: Callable[[], str] | None = None,
        clock: Callable[[], datetime] = utc_now,
        max_provisioned: int = MAX_PROVISIONED,
        store: Store | None = None,
    ) -> None:
        self.auto_provision = auto_provision
        self.max_provisioned = max_provisioned
        self._default_new_id = id_factory or (lambda: uuid4_text(_SECRET_IDS.getrandbits(128)))
        self._default_clock = clock
        self._new_id = self._default_new_id
        self._clock = clock
        self.deterministic_seed: int | None = None
        # A per-backend salt: digests are useless outside this process.
        self._salt = _random.token_bytes(16)
        self._lock = threading.RLock()
        self._accounts: dict[str, Account] = {}
        # Keys created on first use, least recently authenticated first: the oldest goes when they reach the bound.
        self._provisioned: OrderedDict[str, None] = OrderedDict()
        # Accounts every reset returns to (the server's --seed file).
        self._baseline: dict[str, AccountSeed] = {}
        self._state_store = store
        self.restored = False
        # Without a store, reads and writes are the lock itself: the in-memory path costs what it always did.
        self._write: AbstractContextManager[object] = self._lock
        self._read: AbstractContextManager[object] = self._lock
        # What the write under way changed (api_keys), and whether it replaced everything.
        self._dirty: dict[str, None] = {}
        self._replaced = False
        if store is not None:
            from vonage_account_mock.state.store import Guard

            guard = Guard(self._lock, store, self)
            self._write, self._read = guard.write, guard.read
            loaded = store.load()
            self.restored = loaded.salt is not None
            if self.restored:
                self.apply_changes(loaded)
            else:
                with self._write:
                    self._replaced = True  # a new file: its salt and (empty) state written at once

    # -- the store ----------------------------------------------------------------------------

    def close(self) -> None:
        """Release the store, if any (the backend is unusable after)."""
        if self._state_store is not None:
            self._state_store.close()

    def _changed(self, api_key: str) -> None:
        if self._state_store is not None:
            self._dirty[api_key] = None

    def apply_changes(self, changes: Changes) -> None:
        """Take in what the store holds that this process has not seen (called under the lock)."""
        if changes.full:
            if changes.salt is not None:
                self._salt = changes.salt
            self._accounts = dict(changes.accounts)  # type: ignore[arg-type]
            self._provisioned = OrderedDict.fromkeys(changes.provisioned)
            return
        made = set(changes.provisioned)
        for api_key, account in changes.accounts.items():
            if account is None:
                self._accounts.pop(api_key, None)
                self._provisioned.pop(api_key, None)
                continue
            self._accounts[api_key] = account
            if api_key in made:
                self._provisioned.setdefault(api_key)
            else:
                self._provisioned.pop(api_key, None)

    def take_pending(self) -> tuple[dict[str, tuple[Account, bool] | None], bool, bytes] | None:
        """The rows the write under way changed (None: nothing), whether they are all of them, and the salt."""
        if self._replaced:
            keys: Iterable[str] = self._accounts
        elif self._dirty:
            keys = self._dirty
        else:
            return None
        rows: dict[str, tuple[Account, bool] | None] = {}
        for api_key in keys:
            account = self._accounts.get(api_key)
            rows[api_key] = None if account is None else (account, api_key in self._provisioned)
        full, self._replaced = self._replaced, False
        self._dirty = {}
        return rows, full, self._salt

    def export_state(self) -> tuple[bytes, list[Account], list[str]]:
        """The salt, a copy of every account and the keys made on first use (oldest first): for a snapshot."""
        with self._read:
            return self._salt, copy.deepcopy(list(self._accounts.values())), list(self._provisioned)

    def replace_state(self, salt: bytes, accounts: Iterable[Account], provisioned: Iterable[str]) -> None:
        """Replace the whole state with these accounts, whose digests were made with `salt` (a snapshot's)."""
        by_key = {account.api_key: account for account in accounts}
        unknown = sorted({a.primary for a in by_key.values() if a.primary is not None} - set(by_key))
        if unknown:
            raise ValueError(f"unknown primary accounts: {unknown}")
        with self._write:
            self._salt = salt
            self._accounts = by_key
            self._provisioned = OrderedDict.fromkeys(key for key in provisioned if key in by_key)
            self._replaced = True

    # -- housekeeping -------------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the state lock across several calls."""
        with self._read:
            yield

    def now(self) -> datetime:
        """The backend's clock: the wall clock, or in deterministic mode the next of its synthetic seconds."""
        with self._lock:
            return self._clock()

    def make_deterministic(self, seed: int | None) -> None:
        """With a seed, secret ids and timestamps repeat identically after every reset; None undoes it."""
        with self._lock:
            self.deterministic_seed = seed
            self._restart_sequences()

    def _restart_sequences(self) -> None:
        if self.deterministic_seed is None:
            self._new_id, self._clock = self._default_new_id, self._default_clock
            return
        rng = random.Random(self.deterministic_seed)
        ticks = itertools.count()
        self._new_id = lambda: uuid4_text(rng.getrandbits(128))
        self._clock = lambda: DETERMINISTIC_EPOCH + timedelta(seconds=next(ticks))

    def set_baseline(self, seeds: Iterable[AccountSeed], *, reset: bool = True) -> None:
        """Make these accounts the state every reset returns to, and reset to it (unless `reset` is false: a state
        restored from a store stays as it was)."""
        with self._write:
            self._baseline = {seed.api_key: seed for seed in seeds}
            if reset:
                self.reset()

    def reset(self) -> None:
        """Return to the baseline: accounts created since are forgotten, baseline ones restored."""
        with self._write:
            self._accounts.clear()
            self._provisioned.clear()
            self._replaced = True
            if self.deterministic_seed is not None:
                self._restart_sequences()
            self.seed_all(self._baseline.values())

    def reset_account(self, api_key: str) -> None:
        """Return one account (and its sub-accounts) to the baseline; nothing else changes."""
        with self._write:
            doomed = {api_key} | {key for key, acc in self._accounts.items() if acc.primary == api_key}
            for key in doomed:
                self._accounts.pop(key, None)
                self._provisioned.pop(key, None)
                self._changed(key)
            self.seed_all(seed for key, seed in self._baseline.items() if key in doomed)

    def api_keys(self) -> list[str]:
        """Every known api_key, sorted."""
        with self._read:
            return sorted(self._accounts)

    def seed(self, seed: AccountSeed) -> Account:
        """Create (or replace) an account from its description."""
        if not seed.api_key or len(seed.api_key) > MAX_API_KEY_LENGTH:
            raise ValueError(f"an api_key is 1 to {MAX_API_KEY_LENGTH} characters long")
        if not seed.secrets:
            raise ValueError(f"account {seed.api_key!r} needs at least one secret")
        if len(seed.secrets) > MAX_SECRETS:
            raise ValueError(f"account {seed.api_key!r} has more than {MAX_SECRETS} secrets")
        if not all(storable_secret(s) for s in seed.secrets):
            raise ValueError(
                f"account {seed.api_key!r}: a secret is 1 to {STORED_SECRET_MAX_LENGTH} printable ASCII characters"
            )
        with self._write:
            if seed.primary is not None and seed.primary not in self._accounts:
                raise ValueError(f"primary account {seed.primary!r} of {seed.api_key!r} is not seeded")
            trx = seed.auto_reload.trx
            account = Account(
                api_key=seed.api_key,
                secrets=[self._store(value) for value in seed.secrets],
                balance=seed.balance,
                auto_reload=replace(seed.auto_reload, trx_digest=self._digest(trx) if trx else None),
                settings=replace(seed.settings),
                primary=seed.primary,
                signature=seed.signature,
            )
            self._accounts[seed.api_key] = account
            self._provisioned.pop(seed.api_key, None)
            self._changed(seed.api_key)
            return account

    def seed_all(self, seeds: Iterable[AccountSeed]) -> None:
        """Seed several accounts, primaries before their sub-accounts."""
        pending = list(seeds)
        with self._write:
            self._seed_in_order(pending)

    def _seed_in_order(self, pending: list[AccountSeed]) -> None:
        while pending:
            ready = [s for s in pending if s.primary is None or s.primary in self._accounts]
            if not ready:
                raise ValueError(f"unknown primary accounts: {sorted({s.primary or '' for s in pending})}")
            for seed in ready:
                self.seed(seed)
                pending.remove(seed)

    def snapshot(self) -> dict[str, Account]:
        """A deep copy of every account, for comparing states."""
        with self._read:
            return copy.deepcopy(self._accounts)

    def subaccounts(self, api_key: str) -> list[str]:
        """The api_keys of an account's sub-accounts, sorted."""
        with self._read:
            return sorted(key for key, account in self._accounts.items() if account.primary == api_key)

    def account(self, api_key: str) -> Account:
        """The account of a key (KeyError when unknown). Callers must not mutate it outside the lock."""
        with self._read:
            return self._accounts[api_key]

    # -- credentials --------------------------------------------------------------------------

    def _digest(self, secret: str) -> bytes:
        return hashlib.sha256(self._salt + secret.encode("utf-8")).digest()

    def _store(self, secret: str) -> StoredSecret:
        created_at = wall_clock_text() if self._clock is utc_now else format_timestamp(self._clock())
        return StoredSecret(id=self._new_id(), created_at=created_at, digest=self._digest(secret))

    def authenticate(self, api_key: str, secret: str) -> str:
        """The api_key that the pair authenticates, provisioning an unknown key when allowed.

        Raises InvalidCredentials otherwise.
        """
        if not api_key or not secret or len(api_key) > MAX_API_KEY_LENGTH:
            raise InvalidCredentials()
        digest = self._digest(secret)
        with self._read:
            account = self._accounts.get(api_key)
            if account is not None:
                return self._matched(account, digest)
            if not self.auto_provision:
                raise InvalidCredentials()
        with self._write:
            account = self._accounts.get(api_key)
            if account is not None:  # made meanwhile, by another thread or process
                return self._matched(account, digest)
            if len(self._provisioned) >= self.max_provisioned:
                oldest, _ = self._provisioned.popitem(last=False)
                self._accounts.pop(oldest, None)
                self._changed(oldest)
            self._accounts[api_key] = Account(api_key=api_key, secrets=[self._store(secret)])
            self._provisioned[api_key] = None
            self._changed(api_key)
            return api_key

    def _matched(self, account: Account, digest: bytes) -> str:
        # Compare against every secret, without stopping early, so timing does not tell which matched.
        matched = False
        for stored in account.secrets:
            matched |= hmac.compare_digest(stored.digest, digest)
        if not matched:
            raise InvalidCredentials()
        if account.api_key in self._provisioned:
            self._provisioned.move_to_end(account.api_key)
        return account.api_key

    def verifies(self, api_key: str, secret: str) -> bool:
        """Whether the pair is a known account's credentials: `authenticate` without provisioning or bookkeeping."""
        digest = self._digest(secret)
        with self._read:
            account = self._accounts.get(api_key)
            matched = False
            for stored in account.secrets if account is not None and secret else ():
                matched |= hmac.compare_digest(stored.digest, digest)
            return matched

    def _managed(self, caller: str, api_key: str) -> Account:
        """The account `caller` may manage secrets of: its own, or one of its sub-accounts."""
        account = self._accounts.get(api_key)
        if account is None or (api_key != caller and account.primary != caller):
            raise InvalidApiKey(api_key)
        return account

    # -- secrets ------------------------------------------------------------------------------

    def list_secrets(self, caller: str, api_key: str) -> list[SecretView]:
        """The active secrets of a key, oldest first."""
        with self._read:
            account = self._managed(caller, api_key)
            return [SecretView(s.id, s.created_at) for s in account.secrets]

    def create_secret(self, caller: str, api_key: str, secret: str) -> SecretView:
        """Add a secret: it authenticates at once. At most MAX_SECRETS are active."""
        with self._write:
            account = self._managed(caller, api_key)
            if secret_problems(secret):
                raise SecretValidationFailed({"secret": "Does not meet complexity requirements"})
            if len(account.secrets) >= MAX_SECRETS:
                raise SecretLimitReached(MAX_SECRETS)
            stored = self._store(secret)
            account.secrets.append(stored)
            self._changed(api_key)
            return SecretView(stored.id, stored.created_at)

    def get_secret(self, caller: str, api_key: str, secret_id: str) -> SecretView:
        """One active secret of a key."""
        with self._read:
            account = self._managed(caller, api_key)
            for stored in account.secrets:
                if stored.id == secret_id:
                    return SecretView(stored.id, stored.created_at)
            raise InvalidSecretId(secret_id)

    def revoke_secret(self, caller: str, api_key: str, secret_id: str) -> None:
        """Revoke a secret: refused from the next request on. The last one stays."""
        with self._write:
            account = self._managed(caller, api_key)
            for index, stored in enumerate(account.secrets):
                if stored.id == secret_id:
                    if len(account.secrets) == 1:
                        raise LastSecretRevocation()
                    del account.secrets[index]
                    self._changed(api_key)
                    return
            raise InvalidSecretId(secret_id)

    # -- balance ------------------------------------------------------------------------------

    def balance(self, api_key: str) -> tuple[Decimal, bool]:
        """The balance in EUR and whether auto-reload is on."""
        with self._read:
            account = self._accounts[api_key]
            return account.balance, account.auto_reload.enabled

    def top_up(self, api_key: str, trx: str) -> Decimal:
        """Add the auto-reload amount, given the account's own `trx`; the new balance."""
        with self._write:
            account = self._accounts[api_key]
            reload = account.auto_reload
            if not reload.enabled:
                raise AutoReloadNotEnabled()
            if reload.trx_digest is None or not hmac.compare_digest(reload.trx_digest, self._digest(trx)):
                raise TopUpFailed()
            account.balance += reload.amount
            self._changed(api_key)
            return account.balance

    def spend(self, api_key: str, amount: Decimal) -> Decimal:
        """Lower the balance (as sending traffic would); the new balance."""
        if amount < 0:
            raise ValueError("amount must not be negative")
        with self._write:
            account = self._accounts[api_key]
            account.balance -= amount
            self._changed(api_key)
            return account.balance

    def set_balance(self, api_key: str, balance: Decimal) -> Decimal:
        """Make the balance exactly `balance` (the control API's and the dashboard's "set a balance"); the balance."""
        with self._write:
            account = self._accounts[api_key]
            account.balance = balance
            self._changed(api_key)
            return account.balance

    # -- configuration ------------------------------------------------------------------------

    def update_settings(self, api_key: str, change: SettingsChange) -> Settings:
        """Apply a settings change; a copy of the settings after it."""
        with self._write:
            settings = self._accounts[api_key].settings
            if change.mo_callback_url is not None:
                settings.mo_callback_url = change.mo_callback_url or None
            if change.dr_callback_url is not None:
                settings.dr_callback_url = change.dr_callback_url or None
            if change.http_forward_method is not None:
                settings.http_forward_method = change.http_forward_method or None
            self._changed(api_key)
            return replace(settings)

    def callback_target(self, api_key: str, kind: str) -> tuple[str | None, str | None, Signature | None]:
        """Where the account's `kind` ("inbound-sms" or "delivery-receipt") callbacks go: URL, method, signature."""
        with self._read:
            account = self._accounts[api_key]
            settings = account.settings
            url = settings.mo_callback_url if kind == "inbound-sms" else settings.dr_callback_url
            return url, settings.http_forward_method, account.signature

    def held_credentials(self, api_key: str) -> tuple[str, ...]:
        """The credentials the mock holds in clear for an account (its auto-reload `trx`, its signature secret).

        For redacting them wherever a request carries them; empty for an unknown key.
        """
        with self._read:
            account = self._accounts.get(api_key)
            if account is None:
                return ()
            held = (account.auto_reload.trx, account.signature.secret if account.signature else None)
            return tuple(value for value in held if value)

    def register_sender(self, api_key: str, sender: EmailSender) -> EmailSender:
        """Register (or re-register) an email sender, keyed by its address; at most MAX_SENDERS per account."""
        with self._write:
            senders = self._accounts[api_key].senders
            if sender.value not in senders and len(senders) >= MAX_SENDERS:
                raise SenderLimitReached(MAX_SENDERS)
            senders[sender.value] = sender
            self._changed(api_key)
            return sender
