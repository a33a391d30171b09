"""Mock vs spec through Prism: the stateful scenarios' traffic passes `prism proxy --errors` to the running mock."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from schemathesis import check
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from contract_tests.stateful import secrets_state_machine
from vonage_account_mock import AccountMockApp, create_app
from vonage_account_mock.serving.prism import prism_proxy
from vonage_account_mock.serving.server import ThreadedMockServer


@check
def prism_reported_no_violation(ctx: Any, response: Any, case: Any) -> bool | None:
    """Prism's proxy lists what it found wrong with the request or the response in `sl-violations`."""
    violations = response.headers.get("sl-violations")
    if violations:
        raise AssertionError(f"Prism reported violations: {violations}")
    return None


@pytest.fixture(scope="module")
def proxied() -> Iterator[tuple[AccountMockApp, str]]:
    app = create_app(strict=True)
    with ThreadedMockServer(app) as server, prism_proxy(server.url) as url:
        yield app, url


def test_stateful_traffic_through_prism_proxy_shows_no_violation(proxied: tuple[AccountMockApp, str]) -> None:
    app, url = proxied
    statuses: Counter[tuple[str, int]] = Counter()
    secrets_state_machine(
        app,
        max_examples=15,
        observed=statuses,
        base_url=url,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            use_after_free,
            prism_reported_no_violation,
        ],
    )
    assert statuses[("create_secret", 201)] and statuses[("revoke_secret", 204)], statuses


def test_prism_proxy_does_report_a_violating_answer(proxied: tuple[AccountMockApp, str]) -> None:
    # The safety net itself: a mock answer outside the spec must not pass through Prism unnoticed.
    import httpx

    from vonage_account_mock.state.models import AccountSeed

    app, url = proxied
    app.control.reset()
    app.backend.seed(AccountSeed(api_key="broken01", secrets=("Broken1secret",)))
    plan = app.control.add_fault({"operation_id": "get_balance", "status": 200, "times": 1})
    original = app.control.faults.catalog.canned("get_balance", 200)
    try:
        # A 200 whose body lacks the required `autoReload`.
        app.control.faults.catalog._responses["get_balance"][200] = type(original)("application/json", {"value": 1})
        response = httpx.get(f"{url}/account/get-balance", auth=("broken01", "Broken1secret"))
    finally:
        app.control.faults.catalog._responses["get_balance"][200] = original
        app.control.remove_fault(plan["id"])
    # Prism itself found the fault in the answer (a 502 from an unreachable mock, say, would not say this).
    assert response.status_code == 500, response.text
    problem = response.json()
    assert problem["type"] == "https://stoplight.io/prism/errors#VIOLATIONS"
    assert [(v["location"], v["code"]) for v in problem["validation"]] == [(["response", "body"], "required")]
    assert "autoReload" in problem["validation"][0]["message"]
    assert "autoReload" in response.headers["sl-violations"]
