"""Job 2, rotation: a new secret in the credentials store and the old one revoked, with no moment the store fails."""

from __future__ import annotations

import os
import secrets as _random
import string
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from vonage_account_ops import files
from vonage_account_ops.client import AccountOps, SecretInfo
from vonage_account_ops.credentials import Credentials
from vonage_account_ops.errors import AccountError, AuthenticationFailed, JobBusy, NotFound
from vonage_account_ops.jobs.secrets import secret_in_use


@dataclass(frozen=True)
class Rotation:
    """What a rotation did."""

    new_secret_id: str
    revoked: tuple[str, ...]
    made_room_by_revoking: str | None


class RotationBlocked(AccountError):
    """The rotation cannot decide safely (e.g. two secrets and no record of the current one)."""


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
            "Rotation in progress",
            f"a rotation of {store} is in progress (in this process or another); a second one now would rotate twice",
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
        creds = replace(creds, api_secret_id=_current(creds, active))
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


def rotation_plan(ops: AccountOps, credentials: Credentials) -> list[str]:
    """What `rotate` would do now, step by step, changing nothing."""
    active = ops.list_secrets()
    current = _current(credentials, active)
    steps = []
    if len(active) >= 2:
        spare = next(s.id for s in active if s.id != current)
        steps.append(f"revoke the spare secret {spare} to make room (a key keeps at most two)")
    return [
        *steps,
        "create a new secret and store it in the credentials file as pending",
        "switch the stored credentials to it once it authenticates",
        f"revoke the old secret {current or '(the one in use)'} after the grace period",
    ]


def _current(credentials: Credentials, active: list[SecretInfo]) -> str:
    current = secret_in_use(credentials, active)
    if current is None:
        raise RotationBlocked(
            409,
            "Rotation needs to know the current secret",
            "two secrets are active and the store does not record which is current: add api_secret_id=<id> to it, "
            "or revoke the unused one first",
        )
    return current


def _revoke_quietly(ops: AccountOps, secret_id: str) -> None:
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
