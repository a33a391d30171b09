"""Mock vs spec: schemathesis over every operation, every check on — in-process in CI, against the CLI server in
`make fuzz` (set VONAGE_FUZZ_URL and VONAGE_FUZZ_EXAMPLES)."""

from __future__ import annotations

import dataclasses
import json
import os
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from contract_tests.dialect import agree_on_regex_dialect
from vonage_account_mock import AccountSeed, AutoReload, create_app
from vonage_account_mock.testing.clients import basic_header
from vonage_account_spec import load_spec, operations, spec_path

ACCOUNT = AccountSeed(
    api_key="contract01",
    secrets=("Contract1secret",),
    auto_reload=AutoReload(enabled=True, trx="trx-contract-1", amount=Decimal("5.00")),
)
AUTH = {"Authorization": basic_header(ACCOUNT.api_key, ACCOUNT.secrets[0])}
FUZZ_URL = os.environ.get("VONAGE_FUZZ_URL")
EXAMPLES = int(os.environ.get("VONAGE_FUZZ_EXAMPLES", "30"))
COUNTS_FILE = os.environ.get("VONAGE_CONTRACT_COUNTS")

APP = None if FUZZ_URL else create_app(strict=True, seeds=[ACCOUNT])
if FUZZ_URL:
    SCHEMA = schemathesis.openapi.from_path(str(spec_path()))
    SCHEMA.config.update(base_url=FUZZ_URL)
else:
    # Strict: with provisioning on first use, any invented credentials would (rightly) be accepted.
    SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
agree_on_regex_dialect(SCHEMA)
# A body over the size limit is refused with the 413 the spec declares for it; schemathesis does not count 413 as a
# refusal of invalid data unless told.
_rejection = SCHEMA.config.checks.negative_data_rejection
_rejection.expected_statuses = [*_rejection.expected_statuses, "413"]
CASES: Counter[str] = Counter()
OUTCOMES: dict[str, set[str]] = defaultdict(set)
"""Per operation: which kinds of answer the run reached (`positive 2xx`, `negative 4xx`, ...)."""


def _aim_at_state(case: schemathesis.Case[Any]) -> None:
    """Point a positive case's path at state that exists (else the secrets operations would only ever answer 404).

    In-process only: the account is reset first, and a secret is named by the id it really has.
    """
    assert APP is not None
    APP.control.reset()
    trx = case.body.get("trx") if isinstance(case.body, dict) else None
    if isinstance(trx, str):
        # A top-up succeeds only with the account's own auto-reload reference: make the generated one that.
        reload = AutoReload(enabled=True, trx=trx, amount=Decimal("5.00"))
        APP.backend.seed(dataclasses.replace(ACCOUNT, auto_reload=reload))
    parameters = case.path_parameters or {}
    if "api_key" in parameters:
        parameters["api_key"] = ACCOUNT.api_key
    if "secret_id" in parameters:
        spare = APP.backend.create_secret(ACCOUNT.api_key, ACCOUNT.api_key, "Spare1secretX")
        parameters["secret_id"] = spare.id


@pytest.fixture(scope="module", autouse=True)
def _report_counts() -> Any:
    yield
    if COUNTS_FILE:
        with open(COUNTS_FILE, "w", encoding="utf-8") as out:
            json.dump(dict(sorted(CASES.items())), out, indent=2)


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_every_answer_of_the_mock_conforms_to_the_spec(case: schemathesis.Case[Any]) -> None:
    CASES[case.operation.label] += 1
    mode = case._meta.generation.mode.value if case._meta else "unknown"
    if APP is not None and mode == "positive":
        _aim_at_state(case)
    response = case.call_and_validate(headers=AUTH)
    OUTCOMES[case.operation.label].add(f"{mode} {response.status_code // 100}xx")


@pytest.mark.skipif(FUZZ_URL is not None, reason="in-process only: against a server the state is not ours to aim")
def test_the_run_reached_success_and_refusal_of_every_operation() -> None:
    # Runs after the parametrized test: what did the run actually reach?
    every = {f"{method.upper()} {path}" for path, method, _, _ in operations(load_spec(spec_path()))}
    if not set(CASES) and not os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.fail("no case ran before this check")
    if set(CASES) != every:
        # Under pytest-xdist's default distribution some operations ran in another worker (make test uses
        # --dist loadfile, which keeps the file together).
        pytest.skip(f"cases of {len(every - set(CASES))} operations ran in another process")
    assert set(OUTCOMES) == every
    missing = {
        label: sorted({"positive 2xx", "negative 4xx"} - reached)
        for label, reached in OUTCOMES.items()
        if not {"positive 2xx", "negative 4xx"} <= reached
    }
    assert missing == {}, missing
