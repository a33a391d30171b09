"""A request that may have reached the service is sent once: a retried top-up is a second payment.

Only what cannot have been processed is retried (a 429; a connection that was never made). A top-up, a new secret or
a sender registration that fails any other way is reported as "outcome unknown", never sent again; reads and the
idempotent writes are still retried on transient failures.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Mock
from vonage_account_mock import AccountSeed, AutoReload
from vonage_account_mock.testing.transport import InProcessTransport
from vonage_account_ops import AccountError, AccountOps, Credentials, TransientFailure, jobs
from vonage_account_ops.errors import OutcomeUnknown

KEY, SECRET, TRX = "once0001", "Once1secret", "trx-once-1"


@pytest.fixture
def seeded(mock: Mock) -> Mock:
    mock.backend.seed(
        AccountSeed(
            api_key=KEY,
            secrets=(SECRET,),
            balance=Decimal("3.00"),
            auto_reload=AutoReload(enabled=True, trx=TRX, amount=Decimal("25.00")),
        )
    )
    return mock


def _ops(mock: Mock, **extra: Any) -> AccountOps:
    if mock.in_process:
        extra.setdefault("transport", InProcessTransport(mock.app))
    return AccountOps(
        Credentials(KEY, SECRET), rest_url=mock.base_url, api_url=mock.base_url, sleep=lambda _: None, **extra
    )


def _sent(mock: Mock, operation_id: str) -> int:
    return len(mock.app.control.journal(operation_id=operation_id))


@pytest.mark.parametrize(
    ("operation_id", "call"),
    [
        ("top_up", lambda ops: ops.top_up(TRX)),
        ("create_secret", lambda ops: ops.create_secret("Second2secret")),
        ("register_sender", lambda ops: ops.register_sender("ops@example.com")),
    ],
)
def test_a_write_answered_with_a_server_error_is_sent_once_and_reported_as_unknown(
    seeded: Mock, operation_id: str, call: Callable[[AccountOps], Any]
) -> None:
    seeded.app.control.add_fault({"operation_id": operation_id, "status": 500})
    with _ops(seeded) as ops, pytest.raises(OutcomeUnknown) as unknown:
        call(ops)
    assert _sent(seeded, operation_id) == 1
    assert unknown.value.exit_code == 5
    assert "check" in unknown.value.detail and "before trying again" in unknown.value.detail


def test_a_top_up_whose_connection_drops_after_sending_is_not_sent_again(seeded: Mock) -> None:
    seeded.app.control.add_fault({"operation_id": "top_up", "drop": True})
    with _ops(seeded) as ops, pytest.raises(OutcomeUnknown) as unknown:
        ops.top_up(TRX)
    assert _sent(seeded, "top_up") == 1
    assert "the top-up may have been made" in unknown.value.detail
    assert "check the balance" in unknown.value.detail


def test_a_read_is_still_retried_on_a_server_error(seeded: Mock) -> None:
    seeded.app.control.add_fault({"operation_id": "get_balance", "status": 500, "times": 2})
    with _ops(seeded) as ops:
        assert ops.balance().value == Decimal("3.00")
    assert _sent(seeded, "get_balance") == 3


def test_a_rate_limited_top_up_is_retried_since_it_was_not_processed(seeded: Mock) -> None:
    seeded.app.control.add_fault({"operation_id": "top_up", "status": 429, "times": 1})
    with _ops(seeded) as ops:
        ops.top_up(TRX)
        assert ops.balance().value == Decimal("28.00")
    assert _sent(seeded, "top_up") == 2


def test_a_top_up_whose_connection_was_never_made_is_retried() -> None:
    attempts: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        attempts.append(request.url.path)
        if len(attempts) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"error-code": "200", "error-code-label": "success"})

    creds = Credentials(KEY, SECRET)
    with AccountOps(
        creds, rest_url="http://rest.test", sleep=lambda _: None, transport=httpx.MockTransport(answer)
    ) as ops:
        ops.top_up(TRX)
    assert attempts == ["/account/top-up", "/account/top-up"]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_gateway_error_on_a_new_secret_is_not_retried(status: int) -> None:
    attempts: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        attempts.append(request.method)
        return httpx.Response(status, json={"type": "about:blank", "title": "Gateway"})

    creds = Credentials(KEY, SECRET)
    with (
        AccountOps(
            creds, api_url="http://api.test", sleep=lambda _: None, transport=httpx.MockTransport(answer)
        ) as ops,
        pytest.raises(OutcomeUnknown) as unknown,
    ):
        ops.create_secret("Second2secret")
    assert attempts == ["POST"]
    assert "the secret may have been created" in unknown.value.detail


def _on_the_server(threaded_server: Any, *, balance: Decimal = Decimal("10.00"), reload: Decimal | None = None) -> Mock:
    """The session's threaded server, fresh, with the account seeded (auto-reload on when `reload` is given)."""
    mock = Mock(app=threaded_server.app, base_url=threaded_server.url, in_process=False)
    mock.app.control.reset(deterministic_seed=None)
    auto_reload = AutoReload(enabled=True, trx=TRX, amount=reload) if reload is not None else AutoReload()
    mock.backend.seed(AccountSeed(api_key=KEY, secrets=(SECRET,), balance=balance, auto_reload=auto_reload))
    return mock


# -- timeouts ------------------------------------------------------------------------------------------------------


def test_the_client_gives_up_after_its_timeout_and_says_so(threaded_server: Any) -> None:
    mock = _on_the_server(threaded_server)
    mock.app.control.add_fault({"operation_id": "get_balance", "delay_ms": 3000})
    with _ops(mock, timeout=1.0) as ops, pytest.raises(TransientFailure) as stalled:
        ops.balance()  # without a timeout, the answer after the stall
    assert "no answer within 1 s" in str(stalled.value)
    # A read timeout is not retried: the next read would stall as long.
    assert [plan["fired"] for plan in mock.app.control.list_faults()] == [1]
    _settled(mock, "get_balance")


def test_a_top_up_that_times_out_is_an_unknown_outcome(threaded_server: Any) -> None:
    mock = _on_the_server(threaded_server, reload=Decimal(5))
    # A stall on every top-up: a second one sent would be counted by the plan as it arrives.
    mock.app.control.add_fault({"operation_id": "top_up", "delay_ms": 3000})
    with _ops(mock, timeout=1.0) as ops, pytest.raises(OutcomeUnknown) as unknown:
        ops.top_up(TRX)
    assert [plan["fired"] for plan in mock.app.control.list_faults()] == [1]
    assert "no answer within 1 s" in unknown.value.detail and "check the balance" in unknown.value.detail
    _settled(mock, "top_up")


def _settled(mock: Mock, operation_id: str) -> None:
    """Wait for the stalled request to be answered (the server is the session's: nothing may be left running)."""
    deadline = time.monotonic() + 30
    while not _sent(mock, operation_id) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _sent(mock, operation_id) == 1


def test_the_default_timeout_is_bounded() -> None:
    with AccountOps(Credentials(KEY, SECRET)) as ops:
        timeout = ops.host_client("rest").get_httpx_client().timeout
    assert timeout.read is not None and 0 < timeout.read <= 30


# -- the once-per-dip record after an unknown outcome ----------------------------------------------------------------


def test_an_unknown_top_up_keeps_the_dip_record(seeded: Mock, tmp_path: Path) -> None:
    state = tmp_path / "top-up.json"
    seeded.app.control.add_fault({"operation_id": "top_up", "status": 500, "times": 1})
    with _ops(seeded) as ops:
        with pytest.raises(OutcomeUnknown):
            jobs.top_up_below_floor(ops, floor=Decimal("10"), trx=TRX, state=state)
        # The first may have been a payment: no second one for this dip.
        again = jobs.top_up_below_floor(ops, floor=Decimal("10"), trx=TRX, state=state)
    assert again.action == "already_topped_up"
    assert _sent(seeded, "top_up") == 1


# -- concurrency ---------------------------------------------------------------------------------------------------


def _together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` on `count` threads released at once; each result or exception."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.fixture
def slow_top_ups(seeded: Mock) -> Iterator[Mock]:
    # Each top-up takes a while, so that concurrent runs overlap between reading the dip record and writing it.
    seeded.app.control.add_fault({"operation_id": "get_balance", "delay_ms": 50})
    yield seeded


def test_concurrent_runs_top_up_once_per_dip(slow_top_ups: Mock, tmp_path: Path) -> None:
    state = tmp_path / "top-up.json"

    def run(_: int) -> str:
        with _ops(slow_top_ups) as ops:
            return jobs.top_up_below_floor(ops, floor=Decimal("10"), trx=TRX, state=state).action

    actions = _together(9, run)
    assert actions.count("topped_up") == 1, actions
    # The others saw the dip's record, or the balance back above the floor: none failed.
    assert set(actions) - {"topped_up"} <= {"already_topped_up", "not_needed"}, actions
    assert _sent(slow_top_ups, "top_up") == 1
    with _ops(slow_top_ups) as ops:
        assert ops.balance().value == Decimal("28.00")


_TOP_UP_SCRIPT = """
import sys
from decimal import Decimal
from pathlib import Path
from vonage_account_ops import AccountOps, Credentials, jobs
url, state, key, secret, trx = sys.argv[1:]
with AccountOps(Credentials(key, secret), rest_url=url, api_url=url) as ops:
    print(jobs.top_up_below_floor(ops, floor=Decimal("10"), trx=trx, state=Path(state)).action)
"""


def test_processes_sharing_a_state_file_top_up_once_per_dip(threaded_server: Any, tmp_path: Path) -> None:
    import subprocess
    import sys

    mock = _on_the_server(threaded_server, balance=Decimal("3.00"), reload=Decimal("25.00"))
    mock.app.control.add_fault({"operation_id": "get_balance", "delay_ms": 100})
    state = tmp_path / "top-up.json"
    command = [sys.executable, "-c", _TOP_UP_SCRIPT, mock.base_url, str(state), KEY, SECRET, TRX]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [run.communicate(timeout=120) for run in runs]
    actions = [out.strip() for out, _ in outputs]
    assert all(run.returncode == 0 for run in runs), [err for _, err in outputs]
    assert actions.count("topped_up") == 1, actions
    assert _sent(mock, "top_up") == 1


def test_the_cli_says_a_top_up_of_unknown_outcome_was_sent_once(threaded_server: Any) -> None:
    from click.testing import CliRunner

    from vonage_account_ops.cli import main

    mock = _on_the_server(threaded_server, reload=Decimal(5))
    mock.app.control.add_fault({"operation_id": "top_up", "status": 500})
    environment = {"VONAGE_API_KEY": KEY, "VONAGE_API_SECRET": SECRET, "VONAGE_REST_URL": mock.base_url}
    result = CliRunner().invoke(main, ["top-up", "--trx", TRX], env=environment)
    assert result.exit_code == 5, result.output
    assert result.output.startswith("error: Outcome unknown: HTTP 500")
    assert "check the balance" in result.output and "not sent again" in result.output
    assert TRX not in result.output
    assert _sent(mock, "top_up") == 1


def test_an_answer_outside_the_spec_is_a_clear_failure_and_a_top_up_is_not_repeated() -> None:
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        if request.url.path == "/account/top-up":
            return httpx.Response(200, json={"unexpected": True})  # 200, but not the spec's document
        return httpx.Response(404, json={"type": "about:blank"})  # a problem without its title and instance

    creds = Credentials(KEY, SECRET)
    transport = httpx.MockTransport(answer)
    with AccountOps(creds, rest_url="http://rest.test", sleep=lambda _: None, transport=transport) as ops:
        with pytest.raises(AccountError) as odd:
            ops.country_pricing("GB")
        assert odd.value.title == "Unexpected answer" and "not what the API's spec describes" in odd.value.detail
        with pytest.raises(OutcomeUnknown) as unknown:
            ops.top_up(TRX)
    assert "check the balance" in unknown.value.detail
    assert sent.count("/account/top-up") == 1


def test_an_error_before_any_answer_is_not_taken_for_an_odd_answer() -> None:
    def broken() -> Any:
        raise TypeError("a bug in building the request")

    with AccountOps(Credentials(KEY, SECRET), rest_url="http://rest.test") as ops, pytest.raises(TypeError):
        ops.send(broken, "top_up")  # nothing was sent: not an unknown outcome
