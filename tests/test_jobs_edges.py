"""The jobs' edges: a balance at the floor, a dry run beside a running job, the top-up's record, the call loop's
retries and the errors it gives up with, field by field."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from vonage_account_mock import AccountSeed, AutoReload, create_app
from vonage_account_mock.testing.transport import InProcessTransport
from vonage_account_ops import AccountError, AccountOps, Credentials, RateLimited, TransientFailure, files, jobs
from vonage_account_ops.errors import JobBusy

KEY, SECRET, TRX = "edge0001", "Edge1secret", "trx-edge-1"


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app()


@pytest.fixture
def ops(app: Any) -> Iterator[AccountOps]:
    app.control.reset(deterministic_seed=None)
    reload = AutoReload(enabled=True, trx=TRX, amount=Decimal("25.00"))
    app.backend.seed(AccountSeed(KEY, (SECRET,), balance=Decimal("60.00"), auto_reload=reload))
    base = "http://mock.invalid"
    with AccountOps(
        Credentials(KEY, SECRET), rest_url=base, api_url=base, transport=InProcessTransport(app), sleep=lambda _: None
    ) as ops:
        yield ops


def _below(app: Any) -> None:
    """The balance down to 5.00 EUR: under a floor of 40."""
    app.backend.spend(KEY, Decimal("55.00"))


# -- top-up below a floor ------------------------------------------------------------------------------------------


def test_a_balance_at_the_floor_needs_no_top_up(ops: AccountOps, tmp_path: Path) -> None:
    state = tmp_path / "top-up.json"
    answer = jobs.top_up_below_floor(ops, floor=Decimal("60"), trx=TRX, state=state)
    assert answer == jobs.TopUp("not_needed", Decimal("60.00"), Decimal("60.00"))
    assert ops.balance().value == Decimal("60.00")


def test_a_top_up_records_when_it_was_sent_and_the_balance_before(app: Any, ops: AccountOps, tmp_path: Path) -> None:
    _below(app)
    state = tmp_path / "top-up.json"
    started = datetime.now(UTC)
    answer = jobs.top_up_below_floor(ops, floor=Decimal("40"), trx=TRX, state=state)
    assert answer == jobs.TopUp("topped_up", Decimal("5.00"), Decimal("30.00"))
    record = json.loads(state.read_text())
    assert set(record) == {"dip_topped_up", "at", "balance_before"}
    assert (record["dip_topped_up"], record["balance_before"]) == (True, "5.00")
    assert started <= datetime.fromisoformat(record["at"]) <= datetime.now(UTC)  # an aware UTC time
    # The next run in the same dip says so, with the balance it saw.
    again = jobs.top_up_below_floor(ops, floor=Decimal("40"), trx=TRX, state=state)
    assert again == jobs.TopUp("already_topped_up", Decimal("30.00"), Decimal("30.00"))


def test_the_end_of_a_dip_is_recorded_but_not_by_a_dry_run(app: Any, ops: AccountOps, tmp_path: Path) -> None:
    state = tmp_path / "top-up.json"
    state.write_text(json.dumps({"dip_topped_up": True, "at": "2026-01-01T00:00:00+00:00", "balance_before": "5.00"}))
    recorded = state.read_text()
    planned = jobs.top_up_below_floor(ops, floor=Decimal("40"), trx=TRX, state=state, dry_run=True)
    assert planned == jobs.TopUp("not_needed", Decimal("60.00"), Decimal("60.00"))
    assert state.read_text() == recorded  # a dry run writes nothing
    jobs.top_up_below_floor(ops, floor=Decimal("40"), trx=TRX, state=state)
    assert json.loads(state.read_text()) == {"dip_topped_up": False}


def test_a_dry_run_says_what_it_would_do_and_neither_sends_nor_writes(
    app: Any, ops: AccountOps, tmp_path: Path
) -> None:
    _below(app)
    state = tmp_path / "top-up.json"
    planned = jobs.top_up_below_floor(ops, floor=Decimal("40"), trx=TRX, state=state, dry_run=True)
    assert planned == jobs.TopUp("would_top_up", Decimal("5.00"), Decimal("5.00"))
    assert not state.exists()
    assert ops.balance().value == Decimal("5.00")


def test_a_dry_run_does_not_wait_for_a_run_holding_the_state_file(app: Any, ops: AccountOps, tmp_path: Path) -> None:
    _below(app)
    state = tmp_path / "top-up.json"
    with files.exclusive(state, wait=1):
        planned = jobs.top_up_below_floor(ops, floor=Decimal("40"), trx=TRX, state=state, dry_run=True, wait=0)
        assert planned.action == "would_top_up"
        with pytest.raises(JobBusy) as busy:
            jobs.top_up_below_floor(ops, floor=Decimal("40"), trx=TRX, state=state, wait=0.01)
    assert (busy.value.title, busy.value.detail) == (
        "Top-up in progress",
        f"another top-up run of {state} has held it for over 0.01 s",
    )
    assert ops.balance().value == Decimal("5.00")


def test_a_state_file_that_cannot_be_used_is_refused_with_what_to_do(ops: AccountOps, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "top-up.json"
    with pytest.raises(jobs.StateFileError) as no_folder:
        jobs.top_up_below_floor(ops, floor=Decimal("40"), trx=TRX, state=missing)
    assert str(no_folder.value) == (
        f"the folder of the state file {missing} does not exist: create it or choose another path"
    )
    for content in (b"[true]", b"not json", b"\xff\xfe{}"):
        foreign = tmp_path / "foreign.json"
        foreign.write_bytes(content)
        with pytest.raises(jobs.StateFileError) as not_ours:
            jobs.top_up_below_floor(ops, floor=Decimal("40"), trx=TRX, state=foreign)
        assert str(not_ours.value) == f"{foreign} is not a top-up state file: remove it, or choose another path"
        assert foreign.read_bytes() == content


def test_a_state_file_turned_into_a_link_during_the_run_is_not_written_through(
    app: Any, ops: AccountOps, tmp_path: Path
) -> None:
    _below(app)
    state = tmp_path / "top-up.json"
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("someone else's")

    def swap() -> None:
        state.unlink(missing_ok=True)
        state.symlink_to(elsewhere)

    with pytest.raises(files.FileRefused):
        jobs.top_up_below_floor(ops, floor=Decimal("40"), trx=TRX, state=state, before_top_up=swap)
    assert elsewhere.read_text() == "someone else's"
    assert ops.balance().value == Decimal("5.00")  # refused before anything was sent


# -- the call loop -------------------------------------------------------------------------------------------------

Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler, sleeps: list[float]) -> AccountOps:
    return AccountOps(
        Credentials(KEY, SECRET),
        rest_url="http://rest.test",
        api_url="http://api.test",
        sleep=sleeps.append,
        transport=httpx.MockTransport(handler),
    )


BALANCE = {"value": 12.5, "autoReload": False}
LIMITED = {
    "type": "https://example.com/errors#throttled",
    "title": "Too Many Requests",
    "detail": "slow down",
    "instance": "x",
}


def test_a_rate_limit_of_zero_seconds_is_retried_at_once() -> None:
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        if len(sent) == 1:
            return httpx.Response(429, headers={"Retry-After": "0"}, json=LIMITED)
        if len(sent) == 2:
            return httpx.Response(429, headers={"Retry-After": "-3"}, json=LIMITED)
        return httpx.Response(200, json=BALANCE)

    sleeps: list[float] = []
    with _client(answer, sleeps) as ops:
        assert ops.balance().value == Decimal("12.50")
    assert sleeps == [0.0, 0.0]


@pytest.mark.parametrize(("header", "advertised"), [({"Retry-After": "2"}, 2.0), ({}, 0.0)])
def test_a_rate_limit_that_does_not_clear_tells_how_long_it_asked_to_wait(
    header: dict[str, str], advertised: float
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers=header, json=LIMITED)

    sleeps: list[float] = []
    with _client(answer, sleeps) as ops, pytest.raises(RateLimited) as limited:
        ops.balance()
    assert (limited.value.status, limited.value.title, limited.value.detail) == (429, "Too Many Requests", "slow down")
    assert limited.value.retry_after == advertised
    # A pause before each retry, none after the last attempt: the error comes at once.
    assert len(sleeps) == ops.max_attempts - 1
    if header:
        assert set(sleeps) == {advertised}


def test_a_server_error_in_the_rest_hosts_words_gives_up_as_a_transient_failure() -> None:
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(503, json={"error-code": "503", "error-code-label": "service unavailable"})

    with _client(answer, []) as ops, pytest.raises(TransientFailure) as failed:
        ops.balance()
    assert len(sent) == ops.max_attempts
    error = failed.value
    assert (error.status, error.title, error.detail, error.type, error.exit_code) == (
        503,
        "Error 503",
        "service unavailable",
        "503",
        5,
    )


def test_a_redirect_is_not_taken_for_the_answer() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(300, json=BALANCE)

    with _client(answer, []) as ops, pytest.raises(AccountError) as refused:
        ops.balance()
    assert (refused.value.status, refused.value.title) == (300, "HTTP 300")


def test_an_unreadable_answer_has_no_http_status_and_names_what_failed() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"unexpected": True})

    with _client(answer, []) as ops, pytest.raises(AccountError) as odd:
        ops.balance()
    assert (odd.value.status, odd.value.title, odd.value.detail) == (
        0,
        "Unexpected answer",
        "the service's answer is not what the API's spec describes (KeyError)",
    )


def test_a_connection_never_made_is_retried_after_growing_pauses() -> None:
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        if len(sent) < 3:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json=BALANCE)

    sleeps: list[float] = []
    with _client(answer, sleeps) as ops:
        assert ops.balance().value == Decimal("12.50")
    assert len(sleeps) == 2
    for attempt, pause in enumerate(sleeps):
        assert 0.2 * 2**attempt <= pause <= 0.2 * 2**attempt + 0.1


def test_a_connection_never_made_gives_up_without_a_pause_after_the_last_attempt() -> None:
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        raise httpx.ConnectError("refused", request=request)

    sleeps: list[float] = []
    with _client(answer, sleeps) as ops, pytest.raises(TransientFailure) as failed:
        ops.balance()
    assert (failed.value.status, failed.value.title, failed.value.detail) == (0, "Network failure", "ConnectError")
    assert len(sent) == ops.max_attempts
    assert len(sleeps) == ops.max_attempts - 1


# -- webhooks and prices -------------------------------------------------------------------------------------------


def test_each_webhook_setting_given_alone_is_sent(app: Any, ops: AccountOps) -> None:
    _, after = jobs.set_webhooks(ops, dr_callback_url="https://example.com/dr")
    assert (after.mo_callback_url, after.dr_callback_url) == (None, "https://example.com/dr")
    jobs.set_webhooks(ops, http_forward_method="POST_JSON")
    assert app.backend.callback_target(KEY, "delivery-receipt")[:2] == ("https://example.com/dr", "POST_JSON")


def test_an_unknown_forward_method_is_refused_with_the_ones_there_are(app: Any, ops: AccountOps) -> None:
    with pytest.raises(jobs.InvalidWebhook) as refused:
        jobs.set_webhooks(ops, http_forward_method="POST")
    assert (
        str(refused.value)
        == "'POST' is not a forward method: use one of GET_QUERY_PARAMS, POST_JSON, POST_QUERY_PARAMS"
    )
    assert app.control.journal(operation_id="update_settings") == []  # refused before anything was sent


def test_the_prices_of_a_prefix_are_those_of_the_service_asked_for(ops: AccountOps) -> None:
    by_prefix = {c.country_code: c for c in jobs.pricing(ops, prefix="44", service="voice")}
    assert by_prefix["GB"].default_price == Decimal("0.01230000")


# -- the client's settings -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("attempts", [0, -1])
def test_a_client_without_a_single_attempt_is_refused(attempts: int) -> None:
    with pytest.raises(ValueError, match=r"^max_attempts counts the first attempt: 1 sends once, without retrying$"):
        AccountOps(Credentials(KEY, SECRET), max_attempts=attempts)
