"""The suite's own teeth: a broken mock response and a spec/mock mismatch must each make the checks fail.

(The broken client model is in test_client_vs_prism.py, the mock that fails to delete in test_stateful.py.)
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import FailureGroup

from vonage_account_mock import AccountSeed, create_app
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_mock.testing.clients import basic_header
from vonage_account_spec import spec_path

ACCOUNT = AccountSeed(api_key="broken01", secrets=("Broken1secret",))
AUTH = {"Authorization": basic_header(ACCOUNT.api_key, ACCOUNT.secrets[0])}


def _run_get_balance_checks(schema: Any) -> None:
    """Every check, over generated get-balance calls; raises on the first failing example."""
    operation = schema["/account/get-balance"]["GET"]

    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        case.call_and_validate(headers=AUTH)

    run()


def test_a_response_outside_the_spec_is_caught() -> None:
    # The broken variant: response validation off, and get-balance answering a string where a boolean belongs.
    app = create_app(strict=True, seeds=[ACCOUNT], validate_responses=False)
    app.backend.balance = lambda api_key: (Decimal("1"), "sometimes")  # type: ignore[method-assign, assignment, return-value]
    with pytest.raises(FailureGroup) as failure:
        _run_get_balance_checks(schemathesis.openapi.from_asgi("/openapi.json", app))
    assert any("sometimes" in str(error) for error in failure.value.exceptions), failure.value.exceptions


def test_a_spec_the_mock_does_not_keep_is_caught() -> None:
    # The mismatch: a spec whose balance also requires a `currency` the mock never sends.
    document = yaml.safe_load(spec_path().read_text())
    mutated = copy.deepcopy(document)
    mutated["components"]["schemas"]["Balance"]["required"].append("currency")
    mutated["components"]["schemas"]["Balance"]["properties"]["currency"] = {"type": "string"}
    with ThreadedMockServer(create_app(strict=True, seeds=[ACCOUNT])) as server:
        schema = schemathesis.openapi.from_dict(mutated)
        schema.config.update(base_url=server.url)
        with pytest.raises(FailureGroup) as failure:
            _run_get_balance_checks(schema)
    assert any("currency" in str(error) for error in failure.value.exceptions), failure.value.exceptions
