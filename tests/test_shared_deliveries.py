"""The callbacks' book in the state file (`--workers`): one owner per attempt, a dead owner's claim taken over, the
bounds counted over every worker. Two books on one file stand for two workers (told apart by their process id)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from vonage_account_mock.callbacks.records import Attempt, Bounds, Delivery, DeliveryQueueFull
from vonage_account_mock.callbacks.shared_book import SqliteBook
from vonage_account_mock.state.store import StateFile

BOUNDS = Bounds(max_pending=8, account_pending=2, max_records=1000)


@pytest.fixture
def state_file(tmp_path: Path) -> Iterator[StateFile]:
    state = StateFile(tmp_path / "mock.db")
    state.share()
    yield state
    state.release()


def _delivery(account: str = "abcd1234") -> Delivery:
    return Delivery(
        id="",
        account=account,
        kind="inbound-sms",
        url="http://127.0.0.1:9/in",
        forward_method="POST_QUERY_PARAMS",
        http_method="POST",
        content_type="application/x-www-form-urlencoded; charset=UTF-8",
        fields={"text": "Hello"},
        max_attempts=10,
        created_at=time.time(),
    )


def _failed(number: int) -> Attempt:
    return Attempt(number, time.time(), 500, None, 1.0)


def test_a_due_retry_goes_to_one_worker_and_only_its_owner_makes_it(state_file: StateFile) -> None:
    one, two = (SqliteBook(state_file, lease_s=30, owner=pid) for pid in (1001, 1002))
    [admitted] = one.admit([_delivery()], BOUNDS)
    started = one.start(admitted.id)
    assert started is not None and two.start(admitted.id) is None  # the first attempt is the admitting worker's
    assert one.finish(started, _failed(1), "pending", 60.0) is True

    assert one.take_due(59.0) == [] and two.take_due(59.0) == []  # not due yet
    assert two.take_due(60.0) == [admitted.id]
    assert one.take_due(60.0) == []  # taken: no second attempt
    assert one.start(admitted.id) is None
    retry = two.start(admitted.id)
    assert retry is not None and [a.status for a in retry.attempts] == [500]
    assert two.finish(retry, Attempt(2, time.time(), 204, None, 1.0), "delivered", None) is True
    [listed] = one.listing(None, None)
    assert (listed.state, [a.number for a in listed.attempts]) == ("delivered", [1, 2])


def test_a_claim_whose_owner_died_is_taken_over_and_the_late_answer_dropped(state_file: StateFile) -> None:
    dead, alive = (SqliteBook(state_file, lease_s=0.05, owner=pid) for pid in (2001, 2002))
    [admitted] = dead.admit([_delivery()], BOUNDS)
    started = dead.start(admitted.id)
    assert started is not None
    assert alive.take_due(0.0) == []  # the claim still holds
    time.sleep(0.1)
    assert alive.take_due(0.0) == [admitted.id]
    assert dead.finish(started, _failed(1), "pending", 60.0) is False  # no longer its owner: nothing recorded
    [listed] = alive.listing(None, None)
    assert listed.attempts == [] and listed.state == "pending"


def test_a_delivery_cleared_mid_attempt_records_nothing(state_file: StateFile) -> None:
    one, two = (SqliteBook(state_file, lease_s=30, owner=pid) for pid in (3001, 3002))
    [admitted] = one.admit([_delivery()], BOUNDS)
    started = one.start(admitted.id)
    assert started is not None
    two.clear("abcd1234")
    assert one.finish(started, _failed(1), "pending", 60.0) is False
    assert one.listing(None, None) == [] and two.pending() == 0


def test_the_bounds_count_every_worker_s_pending_callbacks(state_file: StateFile) -> None:
    one, two = (SqliteBook(state_file, lease_s=30, owner=pid) for pid in (4001, 4002))
    one.admit([_delivery()], BOUNDS)
    two.admit([_delivery()], BOUNDS)
    with pytest.raises(DeliveryQueueFull, match="2 of this account's callbacks are still pending"):
        one.admit([_delivery()], BOUNDS)
    for account in ("other001", "other002", "other003"):
        one.admit([_delivery(account), _delivery(account)], BOUNDS)
    with pytest.raises(DeliveryQueueFull, match="8 callbacks are still pending"):
        two.admit([_delivery("other004")], BOUNDS)
    ids = [d.id for d in two.listing(None, None)]
    assert len(ids) == len(set(ids)) == 8


def test_timers_stand_by_while_a_worker_advances(state_file: StateFile) -> None:
    one, two = (SqliteBook(state_file, lease_s=30, owner=pid) for pid in (5001, 5002))
    [admitted] = one.admit([_delivery()], BOUNDS)
    started = one.start(admitted.id)
    assert started is not None and one.finish(started, _failed(1), "pending", 60.0)
    with one.advancing(30):
        one.skip(60.0)
        assert two.skipped() == 60.0  # the service's time is the workers'
        assert two.take_due(60.0) == []  # the advance makes it, and counts it
        assert one.take_due(60.0, advancing=True) == [admitted.id]
    assert two.busy_elsewhere() is True and one.busy_elsewhere() is False
