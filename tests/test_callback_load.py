"""Callbacks under load: bounds on pending work, attempts that take too long, and one tenant's slow or failing
receivers never holding up another tenant's callbacks."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.callback_receiver import Receiver
from vonage_account_mock import create_app
from vonage_account_mock.callbacks.delivery import DeliveryPolicy
from vonage_account_mock.control.operations import ControlError
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_mock.testing.clients import in_process_http


def test_a_slow_receiver_cannot_pile_up_work() -> None:
    receiver = Receiver()
    receiver.reset(*[500] * 50)
    # The real pace: nothing retries during the test. Eight pending in all, two of them per account.
    policy = DeliveryPolicy(max_pending=8, time_scale=1.0)
    app = create_app(callback_policy=policy)
    app.control.callbacks.route_to_app("http://hooks.invalid", receiver)
    app.control.put_account(
        "abcd1234", {"secrets": ["Initial1secret"], "settings": {"dr_callback_url": "http://hooks.invalid/dr"}}
    )
    try:
        with in_process_http(app) as http:
            statuses = [http.post("/_mock/accounts/abcd1234/delivery-receipts").status_code for _ in range(3)]
            refused = http.post("/_mock/accounts/abcd1234/delivery-receipts")
    finally:
        app.close()
    assert statuses == [200, 200, 503]
    assert refused.json()["title"] == "Service Unavailable" and "pending" in refused.json()["detail"]
    assert len(receiver.received) == 2


def test_one_tenants_failing_receiver_leaves_room_for_another_tenants_callbacks() -> None:
    receiver = Receiver()
    receiver.reset(*[500] * 50)  # tenant A's receiver fails: each of A's callbacks stays pending, awaiting a retry
    policy = DeliveryPolicy(max_pending=8, time_scale=1.0)
    app = create_app(callback_policy=policy)
    app.control.route_to_app("http://hooks.invalid", receiver)
    for key in ("tenanta1", "tenantb1"):
        settings = {"dr_callback_url": f"http://hooks.invalid/{key}"}
        app.control.put_account(key, {"secrets": ["Initial1secret"], "settings": settings})
    try:
        with in_process_http(app) as http:
            a = [http.post("/_mock/accounts/tenanta1/delivery-receipts").status_code for _ in range(8)]
            b = http.post("/_mock/accounts/tenantb1/delivery-receipts")
    finally:
        app.close()
    assert b.status_code == 200, b.text
    assert a == [200] * 2 + [503] * 6  # A is held to its share of the bound: a quarter


def test_an_attempt_that_takes_too_long_fails_and_is_retried() -> None:
    receiver = Receiver()
    receiver.reset(delay=10.0)
    app = create_app(callback_policy=DeliveryPolicy(timeout=0.2, time_scale=1.0))
    app.control.callbacks.route_to_app("http://hooks.invalid", receiver)
    app.control.put_account(
        "abcd1234", {"secrets": ["Initial1secret"], "settings": {"dr_callback_url": "http://hooks.invalid/dr"}}
    )
    try:
        started = time.perf_counter()
        [delivery] = app.control.send_callback("abcd1234", "delivery-receipt", {})["deliveries"]
        elapsed = time.perf_counter() - started
    finally:
        app.close()
    # Bounded by the attempt's timeout, not the receiver's 10 s (a generous bound: this machine is shared).
    assert elapsed < 5
    assert delivery["attempts"][0]["error"] == "no answer within 0.2 s" and delivery["state"] == "pending"


def test_a_slow_receiver_makes_the_trigger_answer_in_bounded_time_with_parts_still_pending() -> None:
    receiver = Receiver()
    receiver.reset(delay=1.0)  # slower than the attempt timeout: every attempt times out
    app = create_app(callback_policy=DeliveryPolicy(timeout=0.3, time_scale=1.0))
    app.control.callbacks.route_to_app("http://hooks.invalid", receiver)
    app.control.put_account(
        "abcd1234", {"secrets": ["Initial1secret"], "settings": {"mo_callback_url": "http://hooks.invalid/mo"}}
    )
    try:
        with in_process_http(app) as http:
            answer = http.post(
                "/_mock/accounts/abcd1234/inbound-sms", json={"from": "447700900001", "to": "4477", "text": "x" * 1530}
            )
            assert answer.status_code == 200, answer.text  # not a 503 a client would retry, sending it all twice
            parts = answer.json()["deliveries"]
            assert len(parts) == 10 and answer.json()["delivered"] is False
            # Ten parts at 0.3 s each take 3 s: the answer came after about one attempt's timeout, before the last.
            assert not parts[-1]["attempts"] and parts[-1]["state"] == "pending"
            deadline = time.monotonic() + 10
            while any(not d["attempts"] for d in app.control.deliveries(account="abcd1234")):
                assert time.monotonic() < deadline, "the parts' first attempts did not go on in the background"
                time.sleep(0.05)
            assert len(app.control.deliveries(account="abcd1234")) == 10
    finally:
        app.close()


class StalledReceiver:
    """A webhook handler that never answers: it waits until the caller hangs up, counting the requests it got."""

    def __init__(self) -> None:
        self.requests = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        with self._lock:
            self.requests += 1
        while (await receive())["type"] != "http.disconnect":
            pass


def test_one_tenants_stalled_receiver_does_not_hold_up_another_tenants_callback() -> None:
    timeout = 1.0
    # The real pace (time_scale 1): no retry falls due during the test, so the stalled tenant's callbacks stay pending.
    # Two sending slots: tenant A's triggers below want more of them than there are, and more trigger threads too.
    # Room for A's 80 parts pending (a quarter of the bound per account).
    policy = DeliveryPolicy(timeout=timeout, time_scale=1.0, max_concurrent=2, max_pending=400)
    app = create_app(callback_policy=policy)
    stalled, fast = StalledReceiver(), Receiver()
    with (
        ThreadedMockServer(stalled) as slow_hooks,
        ThreadedMockServer(fast) as fast_hooks,
        ThreadedMockServer(app) as mock,
    ):
        for key, settings in (
            ("tenanta1", {"mo_callback_url": f"{slow_hooks.url}/mo"}),
            ("tenantb1", {"dr_callback_url": f"{fast_hooks.url}/dr"}),
        ):
            account = {"secrets": ["Initial1secret"], "settings": settings}
            httpx.put(f"{mock.url}/_mock/accounts/{key}", json=account).raise_for_status()
        long_sms = {"from": "447700900001", "to": "447700900000", "text": "x" * 1530}  # ten parts, sent one by one
        with ThreadPoolExecutor(8) as pool:
            triggers = [
                pool.submit(httpx.post, f"{mock.url}/_mock/accounts/tenanta1/inbound-sms", json=long_sms, timeout=60)
                for _ in range(8)
            ]
            # Twice A's slots: a first round of its attempts has timed out, and its triggers are all waiting.
            deadline = time.monotonic() + 30
            while stalled.requests < 4:
                assert time.monotonic() < deadline, "tenant A's callbacks never reached its receiver"
                time.sleep(0.01)
            started = time.perf_counter()
            answer = httpx.post(f"{mock.url}/_mock/accounts/tenantb1/delivery-receipts", json={}, timeout=60)
            elapsed = time.perf_counter() - started
            still_stalled = [d for d in app.control.deliveries(account="tenanta1") if d["state"] == "pending"]
            assert [trigger.result().status_code for trigger in triggers] == [200] * 8
    assert answer.status_code == 200 and answer.json()["delivered"] is True, answer.text
    assert elapsed < 3 * timeout, f"tenant B's trigger took {elapsed:.1f} s behind tenant A's stalled receiver"
    assert still_stalled and len(fast.received) == 1


def test_one_tenants_slow_name_lookups_do_not_hold_up_another_tenants_callback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    timeout = 1.0
    real_lookup, released = socket.getaddrinfo, threading.Event()

    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "slow-lookup.example":  # a resolver that never answers for tenant A's name
            released.wait(60)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real_lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    app = create_app(callback_policy=DeliveryPolicy(timeout=timeout, time_scale=1.0))
    fast = Receiver()
    try:
        with ThreadedMockServer(fast) as fast_hooks:
            for key, url in (("tenanta1", "http://slow-lookup.example/dr"), ("tenantb1", f"{fast_hooks.url}/dr")):
                app.control.put_account(key, {"secrets": ["Initial1secret"], "settings": {"dr_callback_url": url}})
            # More of tenant A's triggers than any machine's default pool has threads for lookups.
            with ThreadPoolExecutor(40) as pool:
                triggers = [
                    pool.submit(app.control.send_callback, "tenanta1", "delivery-receipt", {}) for _ in range(40)
                ]
                refusals = [trigger.exception(30) for trigger in triggers]
            assert all(isinstance(r, ControlError) and r.status == 403 and "resolve" in r.detail for r in refusals)
            started = time.perf_counter()  # tenant A's lookups are all still stuck
            answer = app.control.send_callback("tenantb1", "delivery-receipt", {})
            elapsed = time.perf_counter() - started
    finally:
        released.set()
        app.close()
    assert answer["delivered"] is True and len(fast.received) == 1
    assert elapsed < 3 * timeout, f"tenant B's trigger took {elapsed:.1f} s behind tenant A's name lookups"
