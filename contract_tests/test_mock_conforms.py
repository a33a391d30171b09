"""Schemathesis over every operation of the in-process mock, with every check on."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from contract_tests.dialect import agree_on_regex_dialect
from mock_server import AccountSeed, create_app
from mock_server.clients import basic_header

# Strict: with provisioning on first use, any invented credentials would (rightly) be accepted.
APP = create_app(strict=True, seeds=[AccountSeed(api_key="contract01", secrets=("Contract1secret",))])
SCHEMA = agree_on_regex_dialect(schemathesis.openapi.from_asgi("/openapi.json", APP))
AUTH = {"Authorization": basic_header("contract01", "Contract1secret")}


@SCHEMA.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_of_the_mock_conforms_to_the_spec(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(headers=AUTH)
