"""Rotation and the secrets jobs word for word: each refusal's status, title and advice, what a resumed rotation and
the store hook are given, the dry run's plan, the generated secret, and the ages the audit reports."""

from __future__ import annotations

import json
import secrets
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from vonage_account_mock.testing import VonageMock
from vonage_account_ops import AccountOps, Credentials, files, jobs
from vonage_account_ops.cli import main

KEY, SECRET, SPARE, NEW = "rot00001", "Rot1secretX", "Rot2secretX", "Rot3secretX"
FINISH = "the credentials file already holds the new secret; the old one stays active until `secrets rotate` runs again"


def _ops_for(mock: VonageMock) -> Callable[[Credentials], AccountOps]:
    def make(credentials: Credentials) -> AccountOps:
        return AccountOps(credentials, rest_url=mock.url, api_url=mock.url, sleep=lambda _: None)

    return make


def _ids(mock: VonageMock) -> list[str]:
    return [s["id"] for s in mock.account(KEY)["secrets"]]


def _store(tmp_path: Path, credentials: Credentials) -> Path:
    path = tmp_path / "vonage.credentials"
    credentials.write(path)
    return path


def _cli(mock: VonageMock, *args: str, env: dict[str, str] | None = None) -> Result:
    environment = {"VONAGE_REST_URL": mock.url, "VONAGE_API_URL": mock.url, **(env or {})}
    result = CliRunner().invoke(main, list(args), env=environment)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    for secret in (SECRET, SPARE, NEW):
        assert secret not in result.output
    return result


def _json_error(result: Result) -> dict[str, Any]:
    document = json.loads(result.output)
    assert document["exit_code"] == result.exit_code
    error: dict[str, Any] = document["error"]
    return error


# -- the refusals: status, title, advice -------------------------------------------------------------------------------


def test_two_secrets_without_a_record_block_the_rotation_and_its_plan_with_the_way_out(
    vonage_mock: VonageMock, tmp_path: Path
) -> None:
    vonage_mock.seed_account(KEY, secrets=(SECRET, SPARE))
    store = _store(tmp_path, Credentials(KEY, SECRET))
    advice = (
        "two secrets are active and the store does not record which is current: add api_secret_id=<id> to it, "
        "or revoke the unused one first;"
    )
    for dry_run in ((), ("--dry-run",)):
        refused = _cli(vonage_mock, "--json", "secrets", "rotate", "--store", str(store), "--grace", "0", *dry_run)
        assert refused.exit_code == 4, refused.output
        error = _json_error(refused)
        assert (error["type"], error["title"]) == ("http-409", "Rotation needs to know the current secret")
        assert error["detail"].startswith(advice), error["detail"]
    assert Credentials.from_file(store) == Credentials(KEY, SECRET)
    vonage_mock.assert_not_called("create_secret")


def test_a_pending_secret_that_is_the_current_one_blocks_the_rotation(vonage_mock: VonageMock, tmp_path: Path) -> None:
    # The pending secret authenticates already, yet no other secret is there to be the new one: nothing to promote.
    vonage_mock.seed_account(KEY, secrets=(SECRET,))
    store = _store(tmp_path, Credentials(KEY, SECRET, pending_secret=SECRET))
    with pytest.raises(jobs.RotationBlocked) as blocked:
        jobs.rotate(store, ops_for=_ops_for(vonage_mock), grace_seconds=0)
    assert (blocked.value.status, blocked.value.title, blocked.value.detail) == (
        409,
        "Rotation cannot tell the new secret's id",
        "0 candidates",
    )
    assert len(_ids(vonage_mock)) == 1
    vonage_mock.assert_not_called("revoke_secret")


def test_a_new_secret_that_does_not_authenticate_leaves_the_store_as_it_was(
    vonage_mock: VonageMock, tmp_path: Path
) -> None:
    vonage_mock.seed_account(KEY, secrets=(SECRET,))
    old_id = _ids(vonage_mock)[0]
    store = _store(tmp_path, Credentials(KEY, SECRET))
    # Both checks of the new secret are refused: before it is created (as it would be) and after.
    vonage_mock.fault("get_balance", status=401, account=KEY, times=2)
    refused = _cli(
        vonage_mock,
        "--json",
        "secrets",
        "rotate",
        "--store",
        str(store),
        "--grace",
        "0",
        "--new-from-env",
        "V",
        env={"V": NEW},
    )
    assert refused.exit_code == 4, refused.output
    error = _json_error(refused)
    assert (error["type"], error["title"]) == ("http-502", "The new secret does not authenticate")
    assert error["detail"].startswith("the stored secret is unchanged;"), error["detail"]
    stored = Credentials.from_file(store)
    assert (stored.api_secret, stored.api_secret_id, stored.previous_secret_id) == (SECRET, old_id, None)
    assert old_id in _ids(vonage_mock)
    vonage_mock.assert_not_called("revoke_secret")


def test_a_rotation_under_way_refuses_a_second_one_at_once_and_says_so(vonage_mock: VonageMock, tmp_path: Path) -> None:
    vonage_mock.seed_account(KEY, secrets=(SECRET,))
    store = _store(tmp_path, Credentials(KEY, SECRET))
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with files.exclusive(store, wait=0):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        with pytest.raises(jobs.RotationInProgress) as busy:
            jobs.rotate(store, ops_for=_ops_for(vonage_mock), grace_seconds=0)
        waited = time.monotonic() - started
        refused = _cli(vonage_mock, "--json", "secrets", "rotate", "--store", str(store), "--grace", "0")
    finally:
        release.set()
        holder.join()
    # At once: a second rotation does not queue behind the first (that would rotate twice).
    assert waited < 0.5
    assert (busy.value.title, busy.value.detail) == (
        "Rotation in progress",
        f"a rotation of {store} is in progress (in this process or another); a second one now would rotate twice",
    )
    assert refused.exit_code == 5
    error = _json_error(refused)
    assert (error["type"], error["title"]) == ("busy", "Rotation in progress")
    assert error["detail"].startswith(f"a rotation of {store} is in progress"), error["detail"]
    vonage_mock.assert_not_called("create_secret")


# -- what the hook is given --------------------------------------------------------------------------------------------


def test_the_hook_is_given_the_promoted_credentials_as_they_are_stored(vonage_mock: VonageMock, tmp_path: Path) -> None:
    vonage_mock.seed_account(KEY, secrets=(SECRET,))
    old_id = _ids(vonage_mock)[0]
    store = _store(tmp_path, Credentials(KEY, SECRET))
    given: list[tuple[Credentials, Credentials]] = []
    result = jobs.rotate(
        store,
        new_secret=NEW,
        ops_for=_ops_for(vonage_mock),
        after_store=lambda creds: given.append((creds, Credentials.from_file(store))),
        grace_seconds=0,
    )
    promoted = Credentials(KEY, NEW, api_secret_id=result.new_secret_id, previous_secret_id=old_id)
    assert given == [(promoted, promoted)]
    assert result == jobs.Rotation(result.new_secret_id, (old_id,), None)


def test_a_resumed_rotation_runs_the_hook_again_and_records_the_old_secret_gone(
    vonage_mock: VonageMock, tmp_path: Path
) -> None:
    # A crash after the promotion: the store holds the new secret and still names the old one to revoke.
    vonage_mock.seed_account(KEY, secrets=(SECRET, NEW))
    old_id, new_id = _ids(vonage_mock)
    store = _store(tmp_path, Credentials(KEY, NEW, api_secret_id=new_id, previous_secret_id=old_id))
    given: list[Credentials] = []
    result = jobs.rotate(store, ops_for=_ops_for(vonage_mock), after_store=given.append, grace_seconds=0)
    done = Credentials(KEY, NEW, api_secret_id=new_id)
    assert given == [done]
    assert Credentials.from_file(store) == done
    assert result == jobs.Rotation(new_id, (old_id,), None)
    assert _ids(vonage_mock) == [new_id]


# -- the store command -------------------------------------------------------------------------------------------------


def test_the_store_command_gets_the_new_secret_on_stdin_and_the_key_in_its_environment(
    vonage_mock: VonageMock, tmp_path: Path
) -> None:
    vonage_mock.seed_account(KEY, secrets=(SECRET,))
    store = _store(tmp_path, Credentials(KEY, SECRET))
    kept, key = tmp_path / "kept", tmp_path / "key"
    command = f'cat > {kept}; printf %s "$VONAGE_API_KEY" > {key}'
    rotated = _cli(vonage_mock, "secrets", "rotate", "--store", str(store), "--grace", "0", "--store-command", command)
    assert rotated.exit_code == 0, rotated.output
    stored = Credentials.from_file(store)
    assert kept.read_text() == stored.api_secret != SECRET
    assert key.read_text() == KEY


def test_a_failing_store_command_says_how_it_failed_and_that_the_file_holds_the_new_secret(
    vonage_mock: VonageMock, tmp_path: Path
) -> None:
    vonage_mock.seed_account(KEY, secrets=(SECRET,))
    store = _store(tmp_path, Credentials(KEY, SECRET))
    failed = _cli(
        vonage_mock, "--json", "secrets", "rotate", "--store", str(store), "--grace", "0", "--store-command", "exit 7"
    )
    assert failed.exit_code == 6, failed.output
    assert _json_error(failed) == {
        "type": "store-command-failed",
        "title": "The --store-command failed",
        "detail": f"it exited with status 7 (fix it); {FINISH}",
    }
    assert Credentials.from_file(store).api_secret != SECRET
    hook = jobs.store_command("true " + "x" * 2_000_000)  # longer than a command may be: the shell cannot start
    with pytest.raises(jobs.StoreCommandFailed) as unstartable:
        hook(Credentials(KEY, NEW))
    assert str(unstartable.value) == f"it cannot run (Argument list too long); {FINISH}"


def test_a_store_command_that_runs_over_its_time_is_stopped_with_the_limit_named(tmp_path: Path) -> None:
    marker = tmp_path / "finished"
    with pytest.raises(jobs.StoreCommandFailed) as slow:
        jobs.store_command(f"sleep 5; touch {marker}", timeout=0.3)(Credentials(KEY, NEW))
    assert str(slow.value) == f"it ran over 0.3 s; {FINISH}"
    assert not marker.exists()


def test_the_store_command_is_given_two_minutes_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two minutes are not waited for here: the command "runs over" at once, and the message names the limit it had.
    def over_time(command: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        raise subprocess.TimeoutExpired(command, kwargs["timeout"])

    monkeypatch.setattr(subprocess, "run", over_time)
    with pytest.raises(jobs.StoreCommandFailed) as slow:
        jobs.store_command("vault write")(Credentials(KEY, NEW))
    assert str(slow.value) == f"it ran over 120 s; {FINISH}"


# -- the dry run -------------------------------------------------------------------------------------------------------


def test_the_dry_run_names_the_secrets_it_would_revoke(vonage_mock: VonageMock, tmp_path: Path) -> None:
    vonage_mock.seed_account(KEY, secrets=(SECRET,))
    (only,) = _ids(vonage_mock)
    store = _store(tmp_path, Credentials(KEY, SECRET))
    steps = [
        "create a new secret and store it in the credentials file as pending",
        "switch the stored credentials to it once it authenticates",
    ]
    planned = _cli(vonage_mock, "--json", "secrets", "rotate", "--store", str(store), "--dry-run")
    assert planned.exit_code == 0, planned.output
    assert json.loads(planned.output) == {
        "dry_run": True,
        "plan": [*steps, f"revoke the old secret {only} after the grace period"],
    }

    vonage_mock.seed_account(KEY, secrets=(SECRET, SPARE))
    current, spare = _ids(vonage_mock)
    _store(tmp_path, Credentials(KEY, SECRET, api_secret_id=current))
    planned = _cli(vonage_mock, "secrets", "rotate", "--store", str(store), "--dry-run")
    assert planned.exit_code == 0, planned.output
    assert planned.output.splitlines() == [
        f"- revoke the spare secret {spare} to make room (a key keeps at most two)",
        *(f"- {step}" for step in steps),
        f"- revoke the old secret {current} after the grace period",
    ]
    assert _ids(vonage_mock) == [current, spare]
    vonage_mock.assert_not_called("create_secret")


# -- the generated secret ----------------------------------------------------------------------------------------------


def test_a_generated_secret_has_lower_and_upper_case_letters_and_digits_whatever_is_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Drawn in turn: 20 characters without a capital, 20 without a digit, 20 without a small letter, then a good one.
    draws = iter("a1" * 10 + "aB" * 10 + "B1" * 10 + "aB1" + "x" * 17)
    monkeypatch.setattr(secrets, "choice", lambda alphabet: next(draws))
    assert jobs.generate_secret() == "aB1" + "x" * 17


def test_a_generated_secret_is_20_letters_and_digits() -> None:
    secret = jobs.generate_secret()
    assert len(secret) == 20 and secret.isalnum() and secret.isascii()


# -- the secrets' ages and the audit -----------------------------------------------------------------------------------


def _created(mock: VonageMock) -> datetime:
    """When the key's newest secret was made."""
    stamp = mock.account(KEY)["secrets"][-1]["created_at"]
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def test_ages_are_in_days_to_the_hundredth_and_flag_only_what_is_older_than_the_limit(vonage_mock: VonageMock) -> None:
    vonage_mock.seed_account(KEY, secrets=(SECRET, SPARE))
    current = _ids(vonage_mock)[0]
    created = _created(vonage_mock)
    with _ops_for(vonage_mock)(Credentials(KEY, SECRET, api_secret_id=current)) as ops:
        # 1000 days: a day's length off by one second would show in the hundredths.
        aged = jobs.audit_secrets(ops, max_age_days=30, now=created + timedelta(days=1000))
        assert [entry.age_days for entry in aged] == [1000.0, 1000.0]
        # 1 day 5 h 37 min is 1.234... days: 1.23.
        aged = jobs.audit_secrets(ops, max_age_days=30, now=created + timedelta(days=1, hours=5, minutes=37))
        assert [entry.age_days for entry in aged] == [1.23, 1.23]
        # Exactly at the limit is not older than it.
        at_limit = jobs.audit(ops, ops.credentials, max_age_days=30, revoke=True, now=created + timedelta(days=30))
        assert at_limit.flagged == () and at_limit.revoked == ()
        past = jobs.audit(ops, ops.credentials, max_age_days=30, now=created + timedelta(days=30, seconds=1))
        assert [entry.secret.id for entry in past.flagged] == [_ids(vonage_mock)[1]]
        assert [entry.current for entry in past.secrets] == [True, False]


def test_the_audit_will_not_revoke_while_the_secret_in_use_is_unknown(vonage_mock: VonageMock) -> None:
    vonage_mock.seed_account(KEY, secrets=(SECRET, SPARE))
    created = _created(vonage_mock)
    with _ops_for(vonage_mock)(Credentials(KEY, SECRET)) as ops, pytest.raises(jobs.SecretInUseUnknown) as unknown:
        jobs.audit(ops, ops.credentials, max_age_days=30, revoke=True, now=created + timedelta(days=31))
    assert (unknown.value.title, unknown.value.detail) == (
        "The secret in use is unknown",
        "2 secrets are active and the credentials do not say which one they use, so nothing was revoked",
    )
    assert len(_ids(vonage_mock)) == 2


def test_a_recorded_id_no_longer_active_does_not_count_as_the_secret_in_use(vonage_mock: VonageMock) -> None:
    vonage_mock.seed_account(KEY, secrets=(SECRET,))
    (only,) = _ids(vonage_mock)
    with _ops_for(vonage_mock)(Credentials(KEY, SECRET, api_secret_id="revoked-long-ago")) as ops:
        assert jobs.audit(ops, ops.credentials, max_age_days=30).current == only
