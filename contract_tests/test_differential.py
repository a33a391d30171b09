"""Differential: the same generated requests to Prism's static mock and to ours, compared.

Both must answer inside the spec. Positive cases run against state made to fit them (the secret the path names
exists, the account's auto-reload reference is the one the body gives, the country is one the mock prices), so that
every operation is compared, on the exact status and on the shape of the answer: the same top-level fields.
A negative case Prism's validator refuses must be refused by the mock too (any 4xx: Prism says 422 where the spec,
and so the mock, says 400).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from contract_tests.dialect import agree_on_regex_dialect
from vonage_account_mock import AccountMockApp, AccountSeed, AutoReload, create_app
from vonage_account_mock.serving.prism import prism_mock
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_mock.state.pricing import full_pricing
from vonage_account_mock.testing.clients import basic_header
from vonage_account_spec import spec_path

KEY, SECRET, SPARE = "diff0001", "Differ1secret", "Spare1secretX"
AUTH = {"Authorization": basic_header(KEY, SECRET)}
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]
PRICED = {country["countryCode"] for country in full_pricing("sms")["countries"]}

SCHEMA = schemathesis.openapi.from_path(str(spec_path()))
SCHEMA.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
agree_on_regex_dialect(SCHEMA)


class Prism:
    """Prism's static mock, started again when a malformed request has killed it (Prism 5.16 dies on some)."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self.url = self._stack.enter_context(prism_mock())
        self.restarts = 0

    def restart(self) -> None:
        self._stack.close()
        self._stack = contextlib.ExitStack()
        self.url = self._stack.enter_context(prism_mock())
        self.restarts += 1

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(scope="module")
def targets() -> Iterator[tuple[AccountMockApp, str, Prism]]:
    app = create_app(strict=True)
    prism = Prism()
    try:
        with ThreadedMockServer(app) as ours:
            yield app, ours.url, prism
    finally:
        prism.close()


def _fit_state(app: AccountMockApp, case: Any, operation_id: str) -> None:
    """Make the mock's state what the positive case assumes, as Prism's examples do."""
    trx = case.body.get("trx") if isinstance(case.body, dict) else None
    # Two secrets where one is named (so it can be revoked), one where a secret is added (so there is room).
    secrets = (SECRET,) if operation_id == "create_secret" else (SECRET, SPARE)
    app.control.reset()
    app.backend.seed(
        AccountSeed(
            api_key=KEY,
            secrets=secrets,
            auto_reload=AutoReload(enabled=trx is not None, trx=trx, amount=Decimal("5.00")),
        )
    )
    if case.path_parameters and "api_key" in case.path_parameters:
        # The caller's own key: any other would be a 404 on our side for want of an account, not a difference.
        case.path_parameters = {**case.path_parameters, "api_key": KEY}
    if case.path_parameters and "secret_id" in case.path_parameters:
        spare = app.control.get_account(KEY)["secrets"][1]["id"]
        case.path_parameters = {**case.path_parameters, "secret_id": spare}
    if operation_id == "get_country_pricing" and case.query.get("country") not in PRICED:
        case.query = {**case.query, "country": "GB"}


def _fields(response: Any) -> set[str] | None:
    try:
        document = response.json()
    except ValueError:
        return None
    return set(document) if isinstance(document, dict) else None


@SCHEMA.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_prism_and_the_mock_agree(case: Any, targets: tuple[AccountMockApp, str, Prism]) -> None:
    app, ours_url, prism = targets
    operation_id = case.operation.definition.raw["operationId"]
    positive = case._meta is None or case._meta.generation.mode == GenerationMode.POSITIVE
    if positive:
        _fit_state(app, case, operation_id)
    else:
        app.control.reset()
        app.backend.seed(AccountSeed(api_key=KEY, secrets=(SECRET,)))
    ours = case.call(base_url=ours_url, headers=AUTH)
    case.validate_response(ours, checks=CHECKS)
    try:
        theirs = case.call(base_url=prism.url, headers=AUTH, timeout=3)
    except (requests.Timeout, requests.ConnectionError):
        # Prism 5.16 never answers some malformed bodies (a JSON body of one NUL byte) and dies on others (huge
        # numbers beside lone surrogates): nothing to compare with, and a fresh Prism for the next case.
        prism.restart()
        assert not positive, f"{operation_id}: Prism did not answer a positive case"
        return
    mine, prisms = f"{ours.status_code} {ours.text[:200]}", f"{theirs.status_code} {theirs.text[:200]}"
    if positive:
        case.validate_response(theirs, checks=CHECKS)
        assert ours.status_code == theirs.status_code, f"{operation_id}: ours {mine} vs Prism {prisms}"
        # Prism answers its examples, which fill in every optional field; ours has none the example lacks.
        assert (_fields(ours) or set()) <= (_fields(theirs) or set()), f"{operation_id}: ours {mine} vs Prism {prisms}"
    elif theirs.status_code // 100 == 4 and _declared_media_type(case):
        # Prism's request validator as the oracle: what it refuses, the mock refuses too. (The mock refuses more:
        # unknown parameters, and bodies its content type cannot carry, which Prism lets through.)
        assert ours.status_code // 100 == 4, (
            f"{operation_id}: Prism refused, ours {mine} vs Prism {prisms}; {case.headers} {case.query} {case.body!r}"
        )


def _declared_media_type(case: Any) -> bool:
    """Whether a body goes with a content type the operation declares (or there is no body).

    The mock reads form fields whatever content type a client declares, as SDKs that send forms under a stale
    JSON content type need; Prism refuses those. Such cases say nothing about either side's validation.
    """
    declared = case.operation.definition.raw.get("requestBody", {}).get("content", {})
    sent = (case.headers or {}).get("Content-Type") or case.media_type
    return not declared or sent is None or sent.split(";")[0].strip() in declared
