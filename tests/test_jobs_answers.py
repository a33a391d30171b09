"""The jobs' answers in full, field by field and word for word: pre-flight, prices, top-up, webhooks, revoking."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from vonage_account_mock import AccountSeed, AutoReload, create_app
from vonage_account_mock.testing.transport import InProcessTransport
from vonage_account_ops import AccountOps, Credentials, jobs
from vonage_account_ops.jobs.preflight import Preflight
from vonage_account_ops.jobs.pricing import estimate

KEY, SECRET, TRX = "jobs0001", "Jobs1secret", "trx-jobs-1"
GB_SMS = Decimal("0.04347000")
"""The dearest of Great Britain's SMS prices on the mock: what an estimate takes for one message."""
MARGIN = "with a 10% margin"


@pytest.fixture(scope="module")
def app() -> Any:
    return create_app()


@pytest.fixture
def delays() -> list[float]:
    return []


@pytest.fixture
def ops(app: Any, delays: list[float]) -> Iterator[AccountOps]:
    app.control.reset(deterministic_seed=None)
    reload = AutoReload(enabled=True, trx=TRX, amount=Decimal("25.00"))
    app.backend.seed(AccountSeed(KEY, (SECRET,), balance=Decimal("60.00"), auto_reload=reload))
    app.backend.seed(AccountSeed("sub00001", ("Sub1secret",), primary=KEY))
    base = "http://mock.invalid"
    with AccountOps(
        Credentials(KEY, SECRET), rest_url=base, api_url=base, transport=InProcessTransport(app), sleep=delays.append
    ) as ops:
        yield ops


def test_a_preflight_without_a_send_checks_the_floor_alone(ops: AccountOps) -> None:
    assert jobs.preflight(ops, floor=Decimal("50")) == Preflight(
        True, Decimal("60.00"), Decimal("50"), None, Decimal("50"), "balance 60.00 EUR is at or above the floor 50 EUR"
    )
    # A country without a count is no send either.
    assert jobs.preflight(ops, floor=Decimal("50"), country="GB").estimated_cost is None
    assert jobs.preflight(ops, floor=Decimal("75")) == Preflight(
        False, Decimal("60.00"), Decimal("75"), None, Decimal("75"), "balance 60.00 EUR is below the floor 75 EUR"
    )


def test_a_preflight_with_a_send_covered_says_both(ops: AccountOps) -> None:
    cost = Decimal("4.7817")  # 100 at 0.04347 plus 10 %
    assert jobs.preflight(ops, floor=Decimal("50"), country="gb", messages=100) == Preflight(
        True,
        Decimal("60.00"),
        Decimal("50"),
        cost,
        Decimal("50"),
        f"balance 60.00 EUR covers the floor 50 EUR and the estimated {cost} EUR (100 sms to gb at {GB_SMS} EUR, "
        f"{MARGIN})",
    )


def test_a_preflight_below_the_floor_still_shows_the_send(ops: AccountOps) -> None:
    assert jobs.preflight(ops, floor=Decimal("70"), country="GB", messages=100) == Preflight(
        False,
        Decimal("60.00"),
        Decimal("70"),
        Decimal("4.7817"),
        Decimal("70"),
        "balance 60.00 EUR is below the floor 70 EUR",
    )


def test_a_send_the_balance_does_not_cover_requires_its_cost(ops: AccountOps) -> None:
    cost = Decimal("95.6340")
    assert jobs.preflight(ops, floor=Decimal("10"), country="GB", messages=2000) == Preflight(
        False,
        Decimal("60.00"),
        Decimal("10"),
        cost,
        cost,
        f"balance 60.00 EUR does not cover the estimated {cost} EUR (2000 sms to GB at {GB_SMS} EUR, {MARGIN})",
    )


def test_a_balance_equal_to_the_cost_covers_it(app: Any, ops: AccountOps) -> None:
    app.backend.spend(KEY, Decimal("60.00") - Decimal("4.7817"))
    assert jobs.preflight(ops, floor=Decimal("0"), country="GB", messages=100).ok


def test_a_preflight_prices_the_service_asked_for(ops: AccountOps) -> None:
    voice = jobs.preflight(ops, floor=Decimal("1"), country="GB", messages=100, service="voice")
    assert voice.estimated_cost == estimate(Decimal("0.01353000"), 100, Decimal("0.10"))
    assert "100 voice to GB at 0.01353000 EUR" in voice.reason


def test_a_country_without_prices_is_a_no_go_at_the_floor(ops: AccountOps) -> None:
    assert jobs.preflight(ops, floor=Decimal("1"), country="VA", messages=10) == Preflight(
        False, Decimal("60.00"), Decimal("1"), None, Decimal("1"), "VA has no sms pricing"
    )


def test_a_countrys_prices_are_read_as_the_api_gives_them(ops: AccountOps) -> None:
    (gb,) = jobs.pricing(ops, country="gb")
    assert (gb.country_code, gb.country_name, gb.dialing_prefix, gb.default_price) == (
        "GB",
        "United Kingdom",
        "44",
        Decimal("0.04140000"),
    )
    assert [(n.code, n.name, n.price) for n in gb.networks] == [
        ("23410", "Telefonica UK Limited", Decimal("0.04140000")),
        ("23415", "Vodafone Limited", GB_SMS),
    ]
    assert gb.estimate_price == GB_SMS
    (voice,) = jobs.pricing(ops, country="GB", service="voice")
    assert voice.default_price == Decimal("0.01230000")
    everywhere = {c.country_code: c for c in jobs.pricing(ops, service="voice")}
    assert everywhere["GB"].default_price == Decimal("0.01230000")
    assert "GB" in {c.country_code for c in jobs.pricing(ops, prefix="44")}


def test_an_estimate_is_rounded_up_to_a_hundredth_of_a_cent() -> None:
    assert estimate(Decimal("0.00001"), 1, Decimal("0")) == Decimal("0.0001")
    assert estimate(Decimal("0.04347"), 3, Decimal("0.10")) == Decimal("0.1435")  # 0.143451


def test_a_top_up_answers_the_balance_before_and_after(ops: AccountOps) -> None:
    assert jobs.top_up(ops, trx=TRX) == jobs.TopUp("topped_up", Decimal("60.00"), Decimal("85.00"))


def test_webhooks_are_set_unset_and_left_alone_as_asked(ops: AccountOps) -> None:
    before, after = jobs.set_webhooks(ops, dr_callback_url="https://example.com/dr", http_forward_method="POST_JSON")
    assert (before.dr_callback_url, after.dr_callback_url, after.mo_callback_url) == (
        None,
        "https://example.com/dr",
        None,
    )
    before, after = jobs.set_webhooks(ops, http_forward_method="GET_QUERY_PARAMS")
    assert after == before  # sent, and nothing it shows changed
    ops.settings(mo_callback_url="https://example.com/mo")
    _, planned = jobs.set_webhooks(ops, dr_callback_url="", dry_run=True)
    assert (planned.mo_callback_url, planned.dr_callback_url) == ("https://example.com/mo", None)
    _, planned = jobs.set_webhooks(ops, mo_callback_url="https://example.com/mo2", dry_run=True)
    assert (planned.mo_callback_url, planned.dr_callback_url) == ("https://example.com/mo2", "https://example.com/dr")
    _, after = jobs.set_webhooks(ops, mo_callback_url="")
    assert (after.mo_callback_url, after.dr_callback_url) == (None, "https://example.com/dr")


def test_revoking_names_the_key_it_revoked_for_and_refuses_while_the_secret_in_use_is_unknown(
    app: Any, ops: AccountOps
) -> None:
    sub = app.backend.create_secret(KEY, "sub00001", "Sub2secret")
    assert jobs.revoke(ops, Credentials(KEY, SECRET), sub.id, api_key="sub00001") == "sub00001"
    assert len(app.backend.list_secrets(KEY, "sub00001")) == 1 and sub not in app.backend.list_secrets(KEY, "sub00001")
    second = app.backend.create_secret(KEY, KEY, "Second2secret")
    with pytest.raises(jobs.SecretInUseUnknown) as unknown:
        jobs.revoke(ops, Credentials(KEY, SECRET), second.id)
    assert (unknown.value.title, unknown.value.detail) == (
        "Secret in use unknown",
        "the credentials do not record which of the two secrets is in use, so no secret of this key is revoked",
    )
    assert len(ops.list_secrets()) == 2


def test_a_read_refused_by_a_transient_failure_is_retried_after_a_growing_pause(
    app: Any, ops: AccountOps, delays: list[float]
) -> None:
    app.control.add_fault({"operation_id": "get_balance", "status": 500, "times": 2})
    assert ops.balance().value == Decimal("60.00")
    assert len(delays) == 2
    for attempt, delay in enumerate(delays):
        assert 0.2 * 2**attempt <= delay <= 0.2 * 2**attempt + 0.1
