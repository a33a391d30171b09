"""`serve --state PATH --workers 2`: every rule holds across the processes sharing the file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.callback_receiver import Receiver
from tests.state_support import basic, start, stop
from vonage_account_mock.serving.server import ThreadedMockServer

SECRET = "Initial1secret"


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a mock with two workers on one state file."""
    process, url = start(tmp_path_factory.mktemp("workers") / "mock.db", "--workers", "2")
    try:
        yield url
    finally:
        stop(process)


Request = tuple[str, str, dict[str, Any]]


def _each_on_a_new_connection(url: str, requests: list[Request]) -> list[int]:
    """The statuses of requests sent at once, each on a connection of its own (so the kernel spreads them)."""

    def send(request: Request) -> int:
        method, path, kwargs = request
        with httpx.Client(base_url=url, timeout=30) as client:
            return client.request(method, path, **kwargs).status_code

    with ThreadPoolExecutor(max_workers=25) as pool:
        return list(pool.map(send, requests))


@pytest.mark.parametrize("key", ["workers01", "workers11", "workers21"])  # a race shows in some rounds, not all
def test_fifty_parallel_creates_over_the_workers_give_one_201(workers: str, key: str) -> None:
    assert httpx.get(f"{workers}/account/get-balance", headers=basic(key, SECRET)).status_code == 200
    creates = [
        ("POST", f"/accounts/{key}/secrets", {"json": {"secret": f"Parallel{n:02d}X"}, "headers": basic(key, SECRET)})
        for n in range(50)
    ]
    assert Counter(_each_on_a_new_connection(workers, creates)) == {201: 1, 403: 49}
    listed = httpx.get(f"{workers}/accounts/{key}/secrets", headers=basic(key, SECRET)).json()
    assert len(listed["_embedded"]["secrets"]) == 2


def test_a_rotation_authenticates_on_every_worker_at_once(workers: str) -> None:
    key, new = "workers02", "Rotated2secret"
    balance: Request = ("GET", "/account/get-balance", {"headers": basic(key, SECRET)})
    # Every worker knows the account (and its one secret) before the rotation.
    assert set(_each_on_a_new_connection(workers, [balance] * 20)) == {200}
    with httpx.Client(base_url=workers) as client:
        old = client.get(f"/accounts/{key}/secrets", headers=basic(key, SECRET)).json()["_embedded"]["secrets"][0]
        assert (
            client.post(f"/accounts/{key}/secrets", json={"secret": new}, headers=basic(key, SECRET)).status_code == 201
        )
        assert client.delete(f"/accounts/{key}/secrets/{old['id']}", headers=basic(key, new)).status_code == 204
    with_new: Request = ("GET", "/account/get-balance", {"headers": basic(key, new)})
    assert set(_each_on_a_new_connection(workers, [with_new] * 20)) == {200}
    assert set(_each_on_a_new_connection(workers, [balance] * 20)) == {401}


def test_a_fault_planned_through_one_worker_fires_once_on_any(workers: str) -> None:
    key = "workers03"
    once = {"operation_id": "get_balance", "status": 429, "times": 1, "account": key}
    plan = httpx.post(f"{workers}/_mock/faults", json=once).json()
    balance: Request = ("GET", "/account/get-balance", {"headers": basic(key, SECRET)})
    assert Counter(_each_on_a_new_connection(workers, [balance] * 20)) == {429: 1, 200: 19}
    listings = _each_on_a_new_connection(workers, [("GET", "/_mock/faults", {})] * 10)
    assert set(listings) == {200}
    listed = {p["id"]: p for p in httpx.get(f"{workers}/_mock/faults").json()["plans"]}
    assert listed[plan["id"]]["fired"] == 1


def test_a_standing_fault_applies_on_every_worker_until_removed_through_any(workers: str) -> None:
    key = "workers05"
    standing = httpx.post(
        f"{workers}/_mock/faults", json={"operation_id": "get_balance", "status": 429, "account": key}
    ).json()
    balance: Request = ("GET", "/account/get-balance", {"headers": basic(key, SECRET)})
    assert set(_each_on_a_new_connection(workers, [balance] * 20)) == {429}
    removals = _each_on_a_new_connection(workers, [("DELETE", f"/_mock/faults/{standing['id']}", {})] * 4)
    assert sorted(removals) == [204, 404, 404, 404]
    assert set(_each_on_a_new_connection(workers, [balance] * 20)) == {200}


def test_killing_the_parent_stops_its_workers_and_the_file_serves_again(tmp_path: Path) -> None:
    state = tmp_path / "mock.db"
    process, url = start(state, "--workers", "2")
    try:
        assert httpx.get(f"{url}/account/get-balance", headers=basic("workers04", SECRET)).status_code == 200
    finally:
        stop(process, hard=True)
    again, url = start(state, "--workers", "2")  # neither the port's workers nor the file's claim outlived it
    try:
        assert httpx.get(f"{url}/account/get-balance", headers=basic("workers04", "Other1secret")).status_code == 401
        assert httpx.get(f"{url}/account/get-balance", headers=basic("workers04", SECRET)).status_code == 200
    finally:
        stop(again)


def test_the_journal_holds_every_worker_s_requests_and_clears_on_all(workers: str) -> None:
    key = "workers06"
    balance: Request = ("GET", "/account/get-balance", {"headers": basic(key, SECRET)})
    assert set(_each_on_a_new_connection(workers, [balance] * 20)) == {200}
    journal: Request = ("GET", "/_mock/journal", {"params": {"account": key}})

    def counted(url: str) -> int:
        with httpx.Client(base_url=url) as client:
            return len(client.request(*journal[:2], **journal[2]).json()["entries"])

    with ThreadPoolExecutor(max_workers=6) as pool:  # read through every worker, each on a connection of its own
        assert set(pool.map(counted, [workers] * 6)) == {20}
    entries = httpx.get(f"{workers}/_mock/journal", params={"account": key}).json()["entries"]
    assert [entry["seq"] for entry in entries] == sorted(entry["seq"] for entry in entries)
    assert _each_on_a_new_connection(workers, [("DELETE", "/_mock/journal", {"params": {"account": key}})]) == [204]
    with ThreadPoolExecutor(max_workers=6) as pool:
        assert set(pool.map(counted, [workers] * 6)) == {0}


# -- callbacks: one set per mock, whichever worker takes the trigger -------------------------------------------------


@pytest.fixture(scope="module")
def hooks() -> Iterator[tuple[Receiver, str]]:
    """A webhook receiver on a port of its own, and its URL."""
    receiver = Receiver()
    with ThreadedMockServer(receiver) as server:
        yield receiver, server.url


@pytest.fixture(scope="module")
def callback_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Two workers whose callbacks retry at the real pace (so only `advance` makes a retry), at most 10 pending per
    account (a quarter of 40)."""
    state = tmp_path_factory.mktemp("callbacks") / "mock.db"
    process, url = start(state, "--workers", "2", "--callback-hour", "3600", "--callback-max-pending", "40")
    try:
        yield url
    finally:
        stop(process)


def _point_webhooks(url: str, key: str, hooks: str) -> None:
    answer = httpx.post(
        f"{url}/account/settings", data={"moCallBackUrl": f"{hooks}/{key}"}, headers=basic(key, SECRET), timeout=30
    )
    assert answer.status_code == 200


def _trigger(key: str, number: int) -> Request:
    body = {"from": "447700900001", "to": "447700900000", "text": f"Message {number}"}
    return ("POST", f"/_mock/accounts/{key}/inbound-sms", {"json": body})


def _listed_ids(url: str, key: str) -> set[str]:
    with httpx.Client(base_url=url, timeout=30) as client:
        return {d["id"] for d in client.get("/_mock/deliveries", params={"account": key}).json()["deliveries"]}


def test_callbacks_are_one_set_across_workers_and_each_retry_is_made_once(
    callback_workers: str, hooks: tuple[Receiver, str]
) -> None:
    receiver, hooks_url = hooks
    keys = ["workers31", "workers32"]
    for key in keys:
        _point_webhooks(callback_workers, key, hooks_url)
    receiver.reset(*[500] * 12)  # every first attempt fails; the retries get 204
    triggers = [_trigger(keys[n % 2], n) for n in range(12)]
    assert set(_each_on_a_new_connection(callback_workers, triggers)) == {200}

    # Listed whole through every worker, each trigger's delivery whichever worker took it.
    with ThreadPoolExecutor(max_workers=6) as pool:
        listings = list(pool.map(_listed_ids, [callback_workers] * 6, [keys[0]] * 6))
    assert all(len(ids) == 6 for ids in listings) and len(set(map(frozenset, listings))) == 1

    # One worker's advance makes every worker's due retry, each once.
    advanced = httpx.post(f"{callback_workers}/_mock/deliveries/advance", json={"seconds": 60}, timeout=60)
    assert advanced.json() == {"attempts": 12}
    assert Counter(seen.fields["text"] for seen in receiver.received) == {f"Message {n}": 2 for n in range(12)}
    for key in keys:
        deliveries = httpx.get(f"{callback_workers}/_mock/deliveries", params={"account": key}).json()["deliveries"]
        assert [[a["status"] for a in d["attempts"]] for d in deliveries] == [[500, 204]] * 6
        assert {d["state"] for d in deliveries} == {"delivered"}


def test_the_pending_bound_counts_every_worker_s_callbacks(callback_workers: str, hooks: tuple[Receiver, str]) -> None:
    receiver, hooks_url = hooks
    key = "workers33"
    _point_webhooks(callback_workers, key, hooks_url)
    receiver.reset(*[500] * 100)
    statuses = _each_on_a_new_connection(callback_workers, [_trigger(key, n) for n in range(16)])
    assert Counter(statuses) == {200: 10, 503: 6}
    assert len(_listed_ids(callback_workers, key)) == 10
    assert _each_on_a_new_connection(callback_workers, [("DELETE", "/_mock/deliveries", {"params": {"account": key}})])
    assert _listed_ids(callback_workers, key) == set()


def test_clearing_through_one_worker_stops_the_retries_on_every_worker(
    callback_workers: str, hooks: tuple[Receiver, str]
) -> None:
    receiver, hooks_url = hooks
    key = "workers34"
    _point_webhooks(callback_workers, key, hooks_url)
    receiver.reset(*[500] * 100)
    assert set(_each_on_a_new_connection(callback_workers, [_trigger(key, n) for n in range(8)])) == {200}
    assert len(receiver.received) == 8
    cleared = _each_on_a_new_connection(
        callback_workers, [("DELETE", "/_mock/deliveries", {"params": {"account": key}})]
    )
    assert cleared == [204]
    advanced = httpx.post(f"{callback_workers}/_mock/deliveries/advance", json={"seconds": 86400}, timeout=60)
    assert advanced.json() == {"attempts": 0}
    assert len(receiver.received) == 8
