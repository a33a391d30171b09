"""The key's secrets: which one is in use (one rule), their ages and the audit, and revoking one that is not in use."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from vonage_account_ops.client import AccountOps, SecretInfo
from vonage_account_ops.credentials import Credentials
from vonage_account_ops.errors import SecretInUse, SecretInUseUnknown

SECRET_ID_VARIABLE = "VONAGE_API_SECRET_ID"


def secret_in_use(credentials: Credentials, active: Sequence[SecretInfo]) -> str | None:
    """The id of the active secret the credentials use, or None when it cannot be known.

    The one rule: the id the credentials record (`api_secret_id=`, which rotation writes), else
    $VONAGE_API_SECRET_ID, when it is among the active secrets; else the only active secret (the credentials listed
    them, so it is theirs). With two active and no record, nobody can tell.
    """
    ids = [secret.id for secret in active]
    for recorded in (credentials.api_secret_id, os.environ.get(SECRET_ID_VARIABLE)):
        if recorded and recorded in ids:
            return recorded
    return ids[0] if len(ids) == 1 else None


@dataclass(frozen=True)
class SecretAge:
    """A secret, its age in days, and whether the audit flags it."""

    secret: SecretInfo
    age_days: float
    current: bool
    flagged: bool


@dataclass(frozen=True)
class Audit:
    """The key's secrets with their ages, the one in use (None: unknown), and what the audit revoked."""

    secrets: tuple[SecretAge, ...]
    current: str | None
    revoked: tuple[str, ...]

    @property
    def flagged(self) -> tuple[SecretAge, ...]:
        """The secrets older than the limit, other than the one in use."""
        return tuple(entry for entry in self.secrets if entry.flagged)


def audit_secrets(
    ops: AccountOps, *, max_age_days: float, current_id: str | None = None, now: datetime | None = None
) -> list[SecretAge]:
    """Every active secret with its age; those older than `max_age_days` are flagged, except `current_id`."""
    return _ages(ops.list_secrets(), max_age_days=max_age_days, current_id=current_id, now=now)


def _ages(
    active: Sequence[SecretInfo], *, max_age_days: float, current_id: str | None, now: datetime | None = None
) -> list[SecretAge]:
    moment = now or datetime.now(UTC)
    report = []
    for secret in active:
        created = datetime.strptime(secret.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        age = (moment - created).total_seconds() / 86400
        current = secret.id == current_id
        report.append(SecretAge(secret, round(age, 2), current, age > max_age_days and not current))
    return report


def audit(
    ops: AccountOps,
    credentials: Credentials,
    *,
    max_age_days: float,
    revoke: bool = False,
    now: datetime | None = None,
) -> Audit:
    """Flag the secrets older than `max_age_days`, never the one in use; with `revoke`, revoke the flagged ones.

    Revoking needs the secret in use to be known (`secret_in_use`): otherwise SecretInUseUnknown, and nothing is
    revoked.
    """
    active = ops.list_secrets()
    current = secret_in_use(credentials, active)
    report = _ages(active, max_age_days=max_age_days, current_id=current, now=now)
    flagged = [entry for entry in report if entry.flagged]
    revoked: list[str] = []
    if revoke and flagged:
        if current is None:
            raise SecretInUseUnknown(
                "The secret in use is unknown",
                f"{len(report)} secrets are active and the credentials do not say which one they use, so nothing "
                "was revoked",
            )
        for entry in flagged:
            ops.revoke_secret(entry.secret.id)
            revoked.append(entry.secret.id)
    return Audit(tuple(report), current, tuple(revoked))


def revoke(
    ops: AccountOps,
    credentials: Credentials,
    secret_id: str,
    *,
    api_key: str | None = None,
    require_known: bool = True,
    dry_run: bool = False,
) -> str:
    """Revoke one of the key's secrets (or of a sub-account `api_key` it manages); never the one in use.

    The secret in use is found by `secret_in_use`. With `require_known` (agents), none of the key's own secrets is
    revoked while it is unknown; without (an operator naming the id), only a known one is protected. With
    `dry_run`, the checks are made and nothing is revoked. Returns the key whose secret it is.
    """
    key = api_key or credentials.api_key
    if key == credentials.api_key:
        current = secret_in_use(credentials, ops.list_secrets())
        if current is None and require_known:
            raise SecretInUseUnknown(
                "Secret in use unknown",
                "the credentials do not record which of the two secrets is in use, so no secret of this key is revoked",
            )
        if secret_id == current:
            raise SecretInUse("Secret in use", f"{secret_id} is the secret the configured credentials use")
    if not dry_run:
        ops.revoke_secret(secret_id, api_key=key)
    return key
