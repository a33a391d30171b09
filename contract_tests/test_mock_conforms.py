"""Mock vs spec: schemathesis over every operation, every check on — in-process in CI, against the CLI server in
`make fuzz` (set VONAGE_FUZZ_URL and VONAGE_FUZZ_EXAMPLES)."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from contract_tests.dialect import agree_on_regex_dialect
from vonage_account_mock import AccountSeed, create_app
from vonage_account_mock.testing.clients import basic_header
from vonage_account_spec import spec_path

ACCOUNT = AccountSeed(api_key="contract01", secrets=("Contract1secret",))
AUTH = {"Authorization": basic_header(ACCOUNT.api_key, ACCOUNT.secrets[0])}
FUZZ_URL = os.environ.get("VONAGE_FUZZ_URL")
EXAMPLES = int(os.environ.get("VONAGE_FUZZ_EXAMPLES", "30"))
COUNTS_FILE = os.environ.get("VONAGE_CONTRACT_COUNTS")

if FUZZ_URL:
    SCHEMA = schemathesis.openapi.from_path(str(spec_path()))
    SCHEMA.config.update(base_url=FUZZ_URL)
else:
    # Strict: with provisioning on first use, any invented credentials would (rightly) be accepted.
    SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", create_app(strict=True, seeds=[ACCOUNT]))
agree_on_regex_dialect(SCHEMA)
CASES: Counter[str] = Counter()


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
    case.call_and_validate(headers=AUTH)
