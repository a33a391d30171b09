"""Differential: the same generated requests to Prism's static mock and to ours, compared.

Both must answer inside the spec. Statuses must agree in class, except where our mock differs by design: it
keeps state, so it knows which secret ids and auto-reload references exist; Prism answers its example to all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from contract_tests.dialect import agree_on_regex_dialect
from vonage_account_mock import AccountMockApp, AccountSeed, create_app
from vonage_account_mock.serving.prism import prism_mock
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_mock.testing.clients import basic_header
from vonage_account_spec import spec_path

ACCOUNT = AccountSeed(api_key="diff0001", secrets=("Differ1secret",))
AUTH = {"Authorization": basic_header(ACCOUNT.api_key, ACCOUNT.secrets[0])}
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]

BY_DESIGN: dict[str, tuple[set[int], str]] = {
    "top_up": ({401}, "the account has no auto-reload, so the mock refuses every top-up"),
    "get_secret": ({404}, "a generated id names no secret of the account"),
    "revoke_secret": ({404}, "a generated id names no secret of the account"),
    "get_country_pricing": ({200, 404}, "the mock prices a sample of countries, Prism echoes its example for any"),
}

SCHEMA = schemathesis.openapi.from_path(str(spec_path()))
SCHEMA.config.generation.update(modes=[GenerationMode.POSITIVE])
agree_on_regex_dialect(SCHEMA)


@pytest.fixture(scope="module")
def targets() -> Iterator[tuple[AccountMockApp, str, str]]:
    app = create_app(strict=True)
    with ThreadedMockServer(app) as ours, prism_mock() as prism:
        yield app, ours.url, prism


@SCHEMA.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_prism_and_the_mock_agree(case: Any, targets: tuple[AccountMockApp, str, str]) -> None:
    app, ours_url, prism_url = targets
    app.control.reset()
    app.backend.seed(ACCOUNT)
    if case.path_parameters and "api_key" in case.path_parameters:
        # The caller's own key: any other would be a 404 on our side for want of an account, not a difference.
        case.path_parameters = {**case.path_parameters, "api_key": ACCOUNT.api_key}
    ours = case.call(base_url=ours_url, headers=AUTH)
    theirs = case.call(base_url=prism_url, headers=AUTH)
    case.validate_response(ours, checks=CHECKS)
    case.validate_response(theirs, checks=CHECKS)
    operation_id = case.operation.definition.raw["operationId"]
    if operation_id in BY_DESIGN:
        expected, why = BY_DESIGN[operation_id]
        assert ours.status_code in expected, f"{operation_id}: {ours.status_code}, expected {expected} because {why}"
    else:
        mine, prisms = f"{ours.status_code} {ours.text[:200]}", f"{theirs.status_code} {theirs.text[:200]}"
        assert ours.status_code // 100 == theirs.status_code // 100, f"{operation_id}: ours {mine} vs Prism {prisms}"
