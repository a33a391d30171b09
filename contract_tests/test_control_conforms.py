"""The control API vs its spec (`mock-control.yaml`): schemathesis over every operation, every check on, in-process.

Positive cases are aimed at state that exists: the path's api_key is an account whose webhooks point at an
in-process receiver, so a trigger can succeed rather than only ever answering 404 or 409.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from contract_tests.dialect import agree_on_regex_dialect
from vonage_account_mock import create_app
from vonage_account_mock.callbacks.delivery import DeliveryPolicy
from vonage_account_spec import control_spec_path, load_spec, operations

ACCOUNT = "contract01"
HOOKS = "http://hooks.invalid"
# The real pace of retries: none happens during the run, so the bound on pending callbacks is what a case meets.
APP = create_app(allowed_hosts=["testserver"], callback_policy=DeliveryPolicy(time_scale=1.0, timeout=1.0))
SCHEMA = schemathesis.openapi.from_asgi("/_mock/openapi.json", APP)
agree_on_regex_dialect(SCHEMA)
_rejection = SCHEMA.config.checks.negative_data_rejection
_rejection.expected_statuses = [*_rejection.expected_statuses, "413"]
OUTCOMES: dict[str, set[str]] = defaultdict(set)
SEMANTIC_RULES = {"add_fault", "put_snapshot"}
"""Operations whose valid bodies can still be refused by rules a schema cannot state: a fault plan's status must be
one its operation declares in the Account API spec, and a dropped connection has no status; a snapshot's api_keys
and secret ids are each there once, and a sub-account's primary is among its accounts."""


async def _receiver(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A webhook handler that accepts everything."""
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


APP.control.callbacks.route_to_app(HOOKS, _receiver)


def _aim_at_state(case: schemathesis.Case[Any]) -> None:
    APP.control.reset()
    APP.control.put_account(
        ACCOUNT,
        {
            "secrets": ["Contract1secret"],
            "settings": {"mo_callback_url": f"{HOOKS}/inbound", "dr_callback_url": f"{HOOKS}/receipts"},
        },
    )
    parameters = case.path_parameters or {}
    if "api_key" in parameters:
        # A new account is put beside the one that exists; any other operation is about the one that exists.
        creates = case.operation.definition.raw.get("operationId") == "put_account"
        parameters["api_key"] = "contract02" if creates else ACCOUNT
    if "plan_id" in parameters:
        parameters["plan_id"] = APP.control.add_fault({"operation_id": "get_balance", "status": 429})["id"]
    if isinstance(case.body, dict) and case.body.get("primary"):
        case.body["primary"] = ACCOUNT


@SCHEMA.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_every_answer_of_the_control_api_conforms_to_its_spec(case: schemathesis.Case[Any]) -> None:
    mode = case._meta.generation.mode.value if case._meta else "unknown"
    if mode == "positive":
        _aim_at_state(case)
    excluded: list[Any] = (
        [positive_data_acceptance] if case.operation.definition.raw.get("operationId") in SEMANTIC_RULES else []
    )
    response = case.call_and_validate(excluded_checks=excluded)
    OUTCOMES[case.operation.label].add(f"{mode} {response.status_code // 100}xx")


def test_the_run_reached_success_of_every_operation() -> None:
    # Runs after the parametrized test: an operation that only ever answered errors was not really tested.
    if not OUTCOMES:
        if os.environ.get("PYTEST_XDIST_WORKER"):
            pytest.skip("the cases ran in another process")
        pytest.fail("no case ran before this check")
    every = {f"{method.upper()} {path}" for path, method, _, _ in operations(load_spec(control_spec_path()))}
    assert set(OUTCOMES) == every
    missing = sorted(label for label in every if "positive 2xx" not in OUTCOMES[label])
    assert missing == [], missing
