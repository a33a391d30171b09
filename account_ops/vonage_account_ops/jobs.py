"""The four jobs: pre-flight balance check, secret rotation, webhook settings, top-up below a floor; and audit."""

from __future__ import annotations

import json
import os
import secrets as _random
import string
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import ROUND_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vonage_account_ops import files
from vonage_account_ops.client import FORWARD_METHODS, AccountOps, BalanceInfo, SecretInfo, WebhookSettings
from vonage_account_ops.credentials import Credentials
from vonage_account_ops.errors import AccountError, AuthenticationFailed, OutcomeUnknown

# -- 1. pre-flight ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preflight:
    """Whether a send may go ahead, and why."""

    ok: bool
    balance: Decimal
    floor: Decimal
    estimated_cost: Decimal | None
    required: Decimal
    reason: str


def preflight(
    ops: AccountOps,
    *,
    floor: Decimal,
    country: str | None = None,
    messages: int = 0,
    service: str = "sms",
    margin: Decimal = Decimal("0.10"),
) -> Preflight:
    """Check the balance covers the floor and, given a country and a count, the send's cost plus a margin.

    The cost uses the dearest network of the country (the worst case), not the default price.
    """
    balance = ops.balance().value
    cost: Decimal | None = None
    required = floor
    if country and messages:
        pricing = ops.country_pricing(country, service)
        prices = [Decimal(n.price) for n in (pricing.networks or [])]
        if pricing.default_price:
            prices.append(Decimal(pricing.default_price))
        if not prices:
            return Preflight(False, balance, floor, None, floor, f"{country} has no {service} pricing")
        cost = (max(prices) * messages * (1 + margin)).quantize(Decimal("0.0001"), rounding=ROUND_UP)
        required = max(floor, cost)
    send = f"{messages} {service} to {country}, with a {margin:%} margin" if cost is not None else ""
    if balance < floor:
        return Preflight(False, balance, floor, cost, required, f"balance {balance} EUR is below the floor {floor} EUR")
    if cost is not None and balance < cost:
        reason = f"balance {balance} EUR does not cover the estimated {cost} EUR ({send})"
        return Preflight(False, balance, floor, cost, required, reason)
    if cost is None:
        return Preflight(
            True, balance, floor, cost, required, f"balance {balance} EUR is at or above the floor {floor} EUR"
        )
    reason = f"balance {balance} EUR covers the floor {floor} EUR and the estimated {cost} EUR ({send})"
    return Preflight(True, balance, floor, cost, required, reason)


# -- 2. rotation -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rotation:
    """What a rotation did."""

    new_secret_id: str
    revoked: tuple[str, ...]
    made_room_by_revoking: str | None


class RotationBlocked(AccountError):
    """The rotation cannot decide safely (e.g. two secrets and no record of the current one)."""


class JobBusy(Exception):
    """Another run of the same job holds its file (in this process or another): this one did nothing."""


class RotationInProgress(JobBusy):
    """Another rotation of the same credentials store is under way."""


def generate_secret(length: int = 20) -> str:
    """A random secret meeting the complexity rules."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(_random.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
        ):
            return candidate


def _authenticates(ops: AccountOps, secret: str) -> bool:
    with ops.with_secret(secret) as probe:
        try:
            probe.balance()
            return True
        except AuthenticationFailed:
            return False


def rotate(
    store: Path,
    *,
    new_secret: str | None = None,
    ops_for: Callable[[Credentials], AccountOps],
    after_store: Callable[[Credentials], None] | None = None,
    grace_seconds: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Rotation:
    """Replace the stored secret with a new one, without a moment where the stored credentials fail.

    One rotation of a store at a time (across threads and processes): another one under way raises
    RotationInProgress at once. Each step is recorded in the store (written atomically, 0600, through a symbolic link
    to its target) before the next, so running it again after a crash at any point finishes the same rotation: the
    new secret is written as `pending_secret` before it is created; it becomes `api_secret` only once it
    authenticates; the old one is revoked last, `grace_seconds` after the store changed, so that processes that read
    the old credentials just before have moved on.
    """
    try:
        with files.exclusive(store, wait=0):
            return _rotate(
                store,
                new_secret=new_secret,
                ops_for=ops_for,
                after_store=after_store,
                grace_seconds=grace_seconds,
                sleep=sleep,
            )
    except files.LockBusy:
        raise RotationInProgress(
            f"a rotation of {store} is in progress (in this process or another): let it finish; a second one now "
            "would rotate twice"
        ) from None


def _rotate(
    store: Path,
    *,
    new_secret: str | None,
    ops_for: Callable[[Credentials], AccountOps],
    after_store: Callable[[Credentials], None] | None,
    grace_seconds: float,
    sleep: Callable[[float], None],
) -> Rotation:
    creds = Credentials.from_file(store)
    if creds.previous_secret_id and not creds.pending_secret:
        # A crash (or a failed after_store) after promotion: the hook again, since it may not have finished, then the
        # old secret's revocation.
        previous = creds.previous_secret_id
        if after_store is not None:
            after_store(replace(creds, previous_secret_id=None))
        with ops_for(creds) as ops:
            _revoke_quietly(ops, previous)
        creds = replace(creds, previous_secret_id=None)
        creds.write(store)
        assert creds.api_secret_id is not None
        return Rotation(creds.api_secret_id, (previous,), None)

    with ops_for(creds) as ops:
        active = ops.list_secrets()
        if creds.api_secret_id is None:
            if len(active) != 1:
                raise RotationBlocked(
                    409,
                    "Rotation needs to know the current secret",
                    "two secrets are active and the store does not record which is current: add "
                    "api_secret_id=<id> to it, or revoke the unused one first",
                )
            creds = replace(creds, api_secret_id=active[0].id)
        if creds.pending_secret is None:
            creds = replace(creds, pending_secret=new_secret or generate_secret())
            creds.write(store)
        assert creds.pending_secret is not None
        made_room = None
        if _authenticates(ops, creds.pending_secret):
            ids = [s.id for s in ops.list_secrets()]
            new_ids = [i for i in ids if i != creds.api_secret_id]
            if len(new_ids) != 1:
                raise RotationBlocked(409, "Rotation cannot tell the new secret's id", f"{len(new_ids)} candidates")
            new_id = new_ids[0]
        else:
            if len(active) >= 2:
                spare = next(s for s in active if s.id != creds.api_secret_id)
                ops.revoke_secret(spare.id)
                made_room = spare.id
            new_id = ops.create_secret(creds.pending_secret).id
        if not _authenticates(ops, creds.pending_secret):
            raise RotationBlocked(502, "The new secret does not authenticate", "the stored secret is unchanged")

    promoted = Credentials(
        creds.api_key, creds.pending_secret, api_secret_id=new_id, previous_secret_id=creds.api_secret_id
    )
    promoted.write(store)
    if after_store is not None:
        after_store(promoted)
    sleep(grace_seconds)
    with ops_for(promoted) as ops:
        if promoted.previous_secret_id:
            _revoke_quietly(ops, promoted.previous_secret_id)
    done = replace(promoted, previous_secret_id=None)
    done.write(store)
    revoked = (promoted.previous_secret_id,) if promoted.previous_secret_id else ()
    return Rotation(new_id, revoked, made_room)


def _revoke_quietly(ops: AccountOps, secret_id: str) -> None:
    from vonage_account_ops.errors import NotFound

    try:
        ops.revoke_secret(secret_id)
    except NotFound:
        pass  # already revoked by an earlier run


class StoreCommandFailed(Exception):
    """The `--store-command` hook failed; the credentials file holds the new secret, the old one is still active."""


def store_command(command: str, *, timeout: float = 120.0) -> Callable[[Credentials], None]:
    """An `after_store` hook running a user's command with the new secret on its standard input."""
    finish = (
        "the credentials file already holds the new secret; the old one stays active until `secrets rotate` runs again"
    )

    def run(creds: Credentials) -> None:
        environment = {**os.environ, "VONAGE_API_KEY": creds.api_key}
        try:
            done = subprocess.run(
                command, shell=True, input=creds.api_secret, text=True, env=environment, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise StoreCommandFailed(f"it ran over {timeout:g} s; {finish}") from None
        except OSError as error:
            raise StoreCommandFailed(f"it cannot run ({error.strerror}); {finish}") from None
        if done.returncode != 0:
            raise StoreCommandFailed(f"it exited with status {done.returncode} (fix it); {finish}")

    return run


# -- 3. webhooks -------------------------------------------------------------------------------------------------


class InvalidWebhook(ValueError):
    """A webhook URL that is not an absolute https URL."""


def check_https(url: str) -> str:
    """The URL, if it is an absolute https URL (an empty string, to unset, passes too)."""
    if url == "":
        return url
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or any(c.isspace() for c in url):
        raise InvalidWebhook(f"{url!r} is not an absolute https URL")
    return url


def check_forward_method(method: str) -> str:
    """The method, if it is one the API knows (GET_QUERY_PARAMS, POST_JSON, POST_QUERY_PARAMS)."""
    if method not in FORWARD_METHODS:
        raise InvalidWebhook(f"{method!r} is not a forward method: use one of {', '.join(FORWARD_METHODS)}")
    return method


def set_webhooks(
    ops: AccountOps,
    *,
    mo_callback_url: str | None = None,
    dr_callback_url: str | None = None,
    http_forward_method: str | None = None,
) -> tuple[WebhookSettings, WebhookSettings]:
    """Set the inbound-SMS and delivery-receipt webhooks (and the forward method); the settings before and after."""
    for url in (mo_callback_url, dr_callback_url):
        if url is not None:
            check_https(url)
    if http_forward_method is not None:
        check_forward_method(http_forward_method)
    before = ops.settings()
    after = ops.settings(
        mo_callback_url=mo_callback_url, dr_callback_url=dr_callback_url, http_forward_method=http_forward_method
    )
    return before, after


# -- 4. top-up below a floor ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopUp:
    """What a top-up run did: `topped_up`, `not_needed`, or `already_topped_up` (for this dip)."""

    action: str
    balance_before: Decimal
    balance_after: Decimal


TOP_UP_WAIT = 60.0
"""Seconds a top-up run waits for another run of the same state file to finish."""


def top_up_below_floor(
    ops: AccountOps,
    *,
    floor: Decimal,
    trx: str,
    state: Path,
    before_top_up: Callable[[], None] | None = None,
    after_refusal: Callable[[], None] | None = None,
    dry_run: bool = False,
    wait: float = TOP_UP_WAIT,
) -> TopUp:
    """Top up once per dip under the floor, however often it runs, and however many runs share the state file.

    A dip starts when the balance is seen under the floor and ends when it is seen at or above it again; the
    state file remembers a top-up made during the current dip (the real balance may take minutes to show it). One
    run at a time holds the state file, from reading the record to recording the API's answer, across threads and
    processes (JobBusy after `wait` seconds). `before_top_up` runs just before a top-up is sent, and may refuse it by
    raising; `after_refusal` runs when the API refused it (so none was made). A top-up whose outcome is unknown (no
    answer saying what happened) stays recorded: it may have been a payment. With `dry_run`, nothing is written or
    sent, and a top-up that would be made is reported as `would_top_up`.
    """
    if not state.parent.is_dir():
        raise StateFileError(f"the folder of the state file {state} does not exist: create it or choose another path")
    if state.is_symlink():
        # Written by this job alone: a link there is someone else's doing, and would be written through.
        raise StateFileError(f"the state file {state} is a symbolic link: remove it, or choose another path")
    if dry_run:
        return _top_up_step(ops, floor=floor, trx=trx, state=state, dry_run=True)
    try:
        with files.exclusive(state, wait=wait):
            return _top_up_step(
                ops, floor=floor, trx=trx, state=state, before_top_up=before_top_up, after_refusal=after_refusal
            )
    except files.LockBusy:
        raise JobBusy(
            f"another top-up run of {state} has gone on for over {wait:g} s: let it finish, then run this again"
        ) from None


def _top_up_step(
    ops: AccountOps,
    *,
    floor: Decimal,
    trx: str,
    state: Path,
    before_top_up: Callable[[], None] | None = None,
    after_refusal: Callable[[], None] | None = None,
    dry_run: bool = False,
) -> TopUp:
    recorded = _read_state(state)
    balance = ops.balance().value
    if balance >= floor:
        if recorded.get("dip_topped_up") and not dry_run:
            _write_state(state, {"dip_topped_up": False})
        return TopUp("not_needed", balance, balance)
    if recorded.get("dip_topped_up"):
        return TopUp("already_topped_up", balance, balance)
    if dry_run:
        return TopUp("would_top_up", balance, balance)
    if before_top_up is not None:
        before_top_up()
    # Recorded before the call: a crash after it must not lead to a second top-up for this dip.
    _write_state(state, {"dip_topped_up": True, "at": datetime.now(UTC).isoformat(), "balance_before": str(balance)})
    try:
        ops.top_up(trx)
    except OutcomeUnknown:
        raise  # it may have been made: the record stays, and so does any count the caller keeps
    except AccountError:
        _write_state(state, recorded)
        if after_refusal is not None:
            after_refusal()
        raise
    return TopUp("topped_up", balance, ops.balance().value)


class StateFileError(ValueError):
    """The top-up state file cannot be used (its folder is missing, or it is not this job's JSON)."""


def _read_state(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        document = None
    if not isinstance(document, dict):
        raise StateFileError(f"{path} is not a top-up state file: remove it, or choose another path")
    return document


def _write_state(path: Path, document: dict[str, object]) -> None:
    files.write_private(path, json.dumps(document), through_links=False)


# -- audit ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretAge:
    """A secret, its age in days, and whether the audit flags it."""

    secret: SecretInfo
    age_days: float
    current: bool
    flagged: bool


def audit_secrets(
    ops: AccountOps, *, max_age_days: float, current_id: str | None = None, now: datetime | None = None
) -> list[SecretAge]:
    """Every active secret with its age; those older than `max_age_days` are flagged, except the current one."""
    moment = now or datetime.now(UTC)
    report = []
    for secret in ops.list_secrets():
        created = datetime.strptime(secret.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        age = (moment - created).total_seconds() / 86400
        current = secret.id == current_id
        report.append(SecretAge(secret, round(age, 2), current, age > max_age_days and not current))
    return report


def balance_info(ops: AccountOps) -> BalanceInfo:
    """The balance (for symmetry with the other jobs)."""
    return ops.balance()
