"""The account workflows end to end against the mock: the four jobs, audit, retries, typed errors."""

from __future__ import annotations

import stat
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Mock
from vonage_account_mock import AccountSeed, AutoReload
from vonage_account_mock.testing.transport import InProcessTransport
from vonage_account_ops import (
    AccountOps,
    AuthenticationFailed,
    AutoReloadNotEnabled,
    Credentials,
    LastSecret,
    SecretLimitReached,
    TopUpFailed,
    TransientFailure,
    jobs,
)

KEY, SECRET, TRX = "ops00001", "Ops1secret", "trx-ops-1"
OpsFor = Callable[[Credentials], AccountOps]


@pytest.fixture
def ops_for(mock: Mock) -> OpsFor:
    """AccountOps bound to the mock (both hosts on it), for any credentials."""

    def make(credentials: Credentials) -> AccountOps:
        extra: dict[str, Any] = {"transport": InProcessTransport(mock.app)} if mock.in_process else {}
        return AccountOps(credentials, rest_url=mock.base_url, api_url=mock.base_url, sleep=lambda _: None, **extra)

    return make


@pytest.fixture
def ops(mock: Mock, ops_for: OpsFor) -> Iterator[AccountOps]:
    mock.backend.seed(
        AccountSeed(
            api_key=KEY,
            secrets=(SECRET,),
            balance=Decimal("60.00"),
            auto_reload=AutoReload(enabled=True, trx=TRX, amount=Decimal("25.00")),
        )
    )
    with ops_for(Credentials(KEY, SECRET)) as ops:
        yield ops


# -- pre-flight ----------------------------------------------------------------------------------------------------


def test_preflight_passes_when_the_balance_covers_floor_and_cost(ops: AccountOps) -> None:
    result = jobs.preflight(ops, floor=Decimal("50"), country="GB", messages=100)
    assert result.ok and result.balance == Decimal("60.00")
    # GB's dearest sms network is 0.04347 EUR: 100 messages and a 10 % margin make 4.7817 EUR.
    assert result.estimated_cost == Decimal("4.7817")


def test_preflight_fails_below_the_floor(ops: AccountOps) -> None:
    result = jobs.preflight(ops, floor=Decimal("75"))
    assert not result.ok and "below the floor" in result.reason


def test_preflight_fails_when_the_send_costs_more_than_the_balance(ops: AccountOps) -> None:
    result = jobs.preflight(ops, floor=Decimal("10"), country="NL", messages=1000)
    assert not result.ok and "does not cover" in result.reason
    assert result.estimated_cost is not None and result.estimated_cost > Decimal("60")


def test_preflight_refuses_a_country_without_pricing(ops: AccountOps) -> None:
    result = jobs.preflight(ops, floor=Decimal("1"), country="VA", messages=10)
    assert not result.ok and "no sms pricing" in result.reason


def test_bad_credentials_raise_authentication_failed_without_the_secret(ops_for: OpsFor, ops: AccountOps) -> None:
    with ops_for(Credentials(KEY, "Wrong1secretValue")) as wrong, pytest.raises(AuthenticationFailed) as failure:
        jobs.preflight(wrong, floor=Decimal("1"))
    assert "Wrong1secretValue" not in str(failure.value) and "Wrong1secretValue" not in repr(failure.value)
    assert "Wrong1secretValue" not in repr(Credentials(KEY, "Wrong1secretValue"))


# -- rotation ------------------------------------------------------------------------------------------------------


def _store(tmp_path: Path, secret: str = SECRET) -> Path:
    path = tmp_path / "vonage.credentials"
    Credentials(KEY, secret).write(path)
    return path


def test_rotation_replaces_the_stored_secret_and_revokes_the_old_one(
    ops: AccountOps, ops_for: OpsFor, tmp_path: Path
) -> None:
    store = _store(tmp_path)
    old_id = ops.list_secrets()[0].id
    waits: list[float] = []
    result = jobs.rotate(store, new_secret="Rotated2secret", ops_for=ops_for, sleep=waits.append)
    assert waits == [2.0]
    assert result.revoked == (old_id,) and result.made_room_by_revoking is None
    stored = Credentials.from_file(store)
    assert stored.api_secret == "Rotated2secret" and stored.api_secret_id == result.new_secret_id
    assert stored.pending_secret is None and stored.previous_secret_id is None
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    with ops_for(stored) as rotated:
        assert [s.id for s in rotated.list_secrets()] == [result.new_secret_id]
    with pytest.raises(AuthenticationFailed):
        ops.balance()


def test_rotation_makes_room_by_revoking_the_spare_secret(ops: AccountOps, ops_for: OpsFor, tmp_path: Path) -> None:
    spare = ops.create_secret("Spare3secret")
    store = _store(tmp_path)
    current_id = next(s.id for s in ops.list_secrets() if s.id != spare.id)
    Credentials(KEY, SECRET, api_secret_id=current_id).write(store)
    result = jobs.rotate(store, new_secret="Rotated2secret", ops_for=ops_for, grace_seconds=0)
    assert result.made_room_by_revoking == spare.id
    with ops_for(Credentials.from_file(store)) as rotated:
        assert [s.id for s in rotated.list_secrets()] == [result.new_secret_id]


def test_rotation_refuses_to_guess_the_current_secret(ops: AccountOps, ops_for: OpsFor, tmp_path: Path) -> None:
    ops.create_secret("Spare3secret")
    store = _store(tmp_path)
    with pytest.raises(jobs.RotationBlocked, match="current secret"):
        jobs.rotate(store, new_secret="Rotated2secret", ops_for=ops_for)
    assert Credentials.from_file(store).api_secret == SECRET


@pytest.mark.parametrize("crash_at", ["create_secret", "after_store", "revoke_secret"])
def test_rotation_resumes_after_a_crash_at_any_step(
    ops: AccountOps, ops_for: OpsFor, tmp_path: Path, crash_at: str
) -> None:
    store = _store(tmp_path)

    class Crash(Exception):
        pass

    def crashing_ops_for(credentials: Credentials) -> AccountOps:
        real = ops_for(credentials)
        if crash_at in ("create_secret", "revoke_secret"):
            method = getattr(real, crash_at)

            def then_crash(*args: Any) -> Any:
                method(*args)  # the call reaches the API, then the process dies
                raise Crash()

            setattr(real, crash_at, then_crash)
        return real

    def crash_after_store(credentials: Credentials) -> None:
        if crash_at == "after_store":
            raise Crash()

    old_id = ops.list_secrets()[0].id
    with pytest.raises(Crash):
        jobs.rotate(
            store, new_secret="Rotated2secret", ops_for=crashing_ops_for, after_store=crash_after_store, grace_seconds=0
        )
    # Whatever step died, the stored credentials still work.
    with ops_for(Credentials.from_file(store)) as current:
        current.balance()
    result = jobs.rotate(store, ops_for=ops_for, grace_seconds=0)
    stored = Credentials.from_file(store)
    assert stored.api_secret == "Rotated2secret" and stored.pending_secret is None
    # The resumed run reports the old secret it revoked (the crash at revoke_secret had revoked it already).
    assert result.revoked == (old_id,)
    with ops_for(stored) as rotated:
        assert [s.id for s in rotated.list_secrets()] == [result.new_secret_id]


def test_calls_during_rotation_never_see_a_401(ops: AccountOps, ops_for: OpsFor, tmp_path: Path) -> None:
    store = _store(tmp_path)
    statuses: list[str] = []
    done = threading.Event()
    switches = [0]  # how many times the store has switched to a new secret
    finished: list[int] = []  # for each finished call: the switch count when it read the store
    progressed = threading.Condition()

    def call(credentials: Credentials) -> str:
        with ops_for(credentials) as caller:
            try:
                caller.balance()
                return "ok"
            except AuthenticationFailed:
                return "401"

    def keep_calling() -> None:
        while not done.is_set():
            # Like a service re-reading its credentials file on each request.
            seen = switches[0]
            statuses.append(call(Credentials.from_file(store)))
            with progressed:
                finished.append(seen)
                progressed.notify_all()

    overlap: list[str] = []

    def grace(_seconds: float) -> None:
        # The store now holds the new secret and the old one is still active. A caller that read the old secret
        # just before the switch is still served...
        overlap.append(call(stale))
        switches[0] += 1
        # ... and the old secret is revoked only once the caller has finished a call begun after the switch: any
        # call that read the old secret before it is over by then. No real-time wait, so no flake on a slow machine.
        with progressed:
            assert progressed.wait_for(lambda: any(s >= switches[0] for s in finished), timeout=30)

    worker = threading.Thread(target=keep_calling)
    worker.start()
    try:
        for round_ in range(3):
            stale = Credentials.from_file(store)
            jobs.rotate(store, new_secret=f"Rotation{round_}Secret", ops_for=ops_for, sleep=grace)
            # The overlap was real: once the rotation is over, the secret read before the switch is refused.
            overlap.append(call(stale))
    finally:
        done.set()
        worker.join(timeout=30)
    assert overlap == ["ok", "401"] * 3
    assert len(statuses) >= 3 and "401" not in statuses


# -- webhooks ------------------------------------------------------------------------------------------------------


def test_webhooks_are_set_and_the_change_shown(ops: AccountOps) -> None:
    before, after = jobs.set_webhooks(
        ops, mo_callback_url="https://example.com/inbound", dr_callback_url="https://example.com/receipts"
    )
    assert (before.mo_callback_url, before.dr_callback_url) == (None, None)
    assert (after.mo_callback_url, after.dr_callback_url) == (
        "https://example.com/inbound",
        "https://example.com/receipts",
    )
    assert ops.settings().mo_callback_url == "https://example.com/inbound"


@pytest.mark.parametrize("url", ["http://example.com/in", "example.com/in", "https:///nohost", "https://a b"])
def test_webhooks_must_be_https_urls(ops: AccountOps, url: str) -> None:
    with pytest.raises(jobs.InvalidWebhook):
        jobs.set_webhooks(ops, mo_callback_url=url)
    assert ops.settings().mo_callback_url is None


# -- top-up --------------------------------------------------------------------------------------------------------


def test_top_up_below_the_floor_happens_once_per_dip(mock: Mock, ops: AccountOps, tmp_path: Path) -> None:
    state = tmp_path / "top-up.json"
    mock.backend.spend(KEY, Decimal("55.00"))
    first = jobs.top_up_below_floor(ops, floor=Decimal("40"), trx=TRX, state=state)
    assert (first.action, first.balance_before, first.balance_after) == ("topped_up", Decimal("5"), Decimal("30"))
    again = jobs.top_up_below_floor(ops, floor=Decimal("40"), trx=TRX, state=state)
    assert again.action == "already_topped_up" and ops.balance().value == Decimal("30")
    mock.backend.top_up(KEY, TRX)  # the dip ends...
    assert jobs.top_up_below_floor(ops, floor=Decimal("40"), trx=TRX, state=state).action == "not_needed"
    mock.backend.spend(KEY, Decimal("50"))  # ...and a new one begins
    assert jobs.top_up_below_floor(ops, floor=Decimal("40"), trx=TRX, state=state).action == "topped_up"


def test_top_up_without_auto_reload_is_refused(mock: Mock, ops_for: OpsFor, tmp_path: Path) -> None:
    mock.backend.seed(AccountSeed(api_key="noreload", secrets=("NoReload1",), balance=Decimal("1")))
    with ops_for(Credentials("noreload", "NoReload1")) as ops, pytest.raises(AutoReloadNotEnabled):
        jobs.top_up_below_floor(ops, floor=Decimal("5"), trx="any", state=tmp_path / "s.json")
    assert not (tmp_path / "s.json").exists() or '"dip_topped_up": true' not in (tmp_path / "s.json").read_text()


def test_top_up_with_the_wrong_trx_fails_and_can_be_retried(mock: Mock, ops: AccountOps, tmp_path: Path) -> None:
    mock.backend.spend(KEY, Decimal("55.00"))
    state = tmp_path / "s.json"
    with pytest.raises(TopUpFailed):
        jobs.top_up_below_floor(ops, floor=Decimal("40"), trx="not-mine", state=state)
    assert jobs.top_up_below_floor(ops, floor=Decimal("40"), trx=TRX, state=state).action == "topped_up"


# -- audit, limits, retries ----------------------------------------------------------------------------------------


def test_audit_flags_old_secrets_but_never_the_current_one(ops: AccountOps) -> None:
    current = ops.list_secrets()[0]
    ops.create_secret("Second2secret")
    later = datetime.now(UTC) + timedelta(days=100)
    report = jobs.audit_secrets(ops, max_age_days=90, current_id=current.id, now=later)
    assert [(r.current, r.flagged) for r in report] == [(True, False), (False, True)]
    assert all(r.age_days >= 99 for r in report)


def test_the_limit_and_the_last_secret_raise_typed_errors(ops: AccountOps) -> None:
    ops.create_secret("Second2secret")
    with pytest.raises(SecretLimitReached) as limit:
        ops.create_secret("Third3secret")
    assert limit.value.type.endswith("#add-excess-secret") and limit.value.status == 403
    only = ops.list_secrets()
    with ops.with_secret("Second2secret") as second:
        second.revoke_secret(only[0].id)
        with pytest.raises(LastSecret):
            second.revoke_secret(only[1].id)


def test_rate_limits_are_retried_after_the_advertised_delay(mock: Mock, ops_for: OpsFor, ops: AccountOps) -> None:
    waits: list[float] = []
    mock.app.control.add_fault({"operation_id": "get_balance", "status": 429, "times": 2})
    with AccountOps(
        Credentials(KEY, SECRET),
        rest_url=mock.base_url,
        api_url=mock.base_url,
        sleep=waits.append,
        transport=InProcessTransport(mock.app) if mock.in_process else None,
    ) as retrying:
        assert retrying.balance().value == Decimal("60.00")
    assert waits == [1.0, 1.0]


def test_transient_failures_give_up_after_the_attempts(mock: Mock, ops: AccountOps) -> None:
    mock.app.control.add_fault({"operation_id": "get_balance", "status": 500})
    with pytest.raises(TransientFailure):
        ops.balance()
    assert len(mock.app.control.journal(operation_id="get_balance")) == ops.max_attempts


def test_refusals_fail_fast(mock: Mock, ops: AccountOps) -> None:
    with ops.with_secret("Nope1secret") as wrong, pytest.raises(AuthenticationFailed):
        wrong.balance()
    assert len(mock.app.control.journal(operation_id="get_balance", status=401)) == 1


def test_no_repr_of_the_ops_or_its_clients_shows_the_secret(ops: AccountOps) -> None:
    import base64

    encoded = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    for thing in (ops, ops.credentials, ops.host_client("rest"), ops.host_client("api")):
        assert SECRET not in repr(thing) and encoded not in repr(thing) and SECRET not in str(thing)
    assert ops.balance().value > 0, "the calls still authenticate"
