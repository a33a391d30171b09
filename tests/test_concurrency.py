"""The rules hold under concurrent load: the two-secret limit is never exceeded."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.conftest import KEY, SECRET
from vonage_account_mock import AccountBackend
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_mock.state.exceptions import SecretLimitReached

CALLS = 50


def test_fifty_simultaneous_creates_over_the_threaded_server_leave_two_secrets(
    threaded_server: ThreadedMockServer,
) -> None:
    threaded_server.app.control.reset(deterministic_seed=None)
    with httpx.Client(base_url=threaded_server.url, auth=(KEY, SECRET)) as warm:
        assert warm.get("/account/get-balance").status_code == 200
    # A timeout: a thread that dies before the barrier must fail the test, not hang the suite.
    start = threading.Barrier(CALLS, timeout=30)

    def create(index: int) -> int:
        with httpx.Client(base_url=threaded_server.url, auth=(KEY, SECRET), timeout=30) as client:
            start.wait()
            response = client.post(f"/accounts/{KEY}/secrets", json={"secret": f"Concurrent{index}x"})
            if response.status_code == 403:
                assert response.json()["title"] == "Secret Addition Forbidden"
            return response.status_code

    with ThreadPoolExecutor(max_workers=CALLS) as pool:
        statuses = Counter(pool.map(create, range(CALLS)))
    assert statuses == {201: 1, 403: CALLS - 1}
    with httpx.Client(base_url=threaded_server.url, auth=(KEY, SECRET)) as client:
        listed = client.get(f"/accounts/{KEY}/secrets").json()
    assert len(listed["_embedded"]["secrets"]) == 2


def test_concurrent_creates_and_revokes_on_the_backend_keep_one_or_two_secrets() -> None:
    backend = AccountBackend()
    backend.authenticate(KEY, SECRET)
    errors: list[BaseException] = []

    def churn(worker: int) -> None:
        for round_ in range(200):
            try:
                created = backend.create_secret(KEY, KEY, f"Worker{worker}r{round_}X")
                backend.revoke_secret(KEY, KEY, created.id)
            except SecretLimitReached:
                pass
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)
            count = len(backend.list_secrets(KEY, KEY))
            if not 1 <= count <= 2:
                errors.append(AssertionError(f"{count} secrets"))

    threads = [threading.Thread(target=churn, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert backend.authenticate(KEY, SECRET) == KEY
