"""Mock vs spec, stateful: create → get → revoke along the links, the limit and the last-secret guard."""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
import yaml
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import UseAfterFree

from contract_tests.stateful import PRIMARY, SUB_ACCOUNT, secrets_state_machine
from vonage_account_mock import create_app
from vonage_account_mock.testing.clients import basic_header
from vonage_account_spec import spec_path

SPEC_LINKS = yaml.safe_load(spec_path().read_text())["paths"]["/accounts/{api_key}/secrets"]["get"]["responses"]["200"][
    "links"
]


def test_the_secrets_state_machine_finds_no_failure() -> None:
    statuses: Counter[tuple[str, int]] = Counter()
    secrets_state_machine(create_app(strict=True), max_examples=40, observed=statuses)
    # The run must have reached the interesting states, or it proves little.
    assert statuses[("create_secret", 201)] and statuses[("create_secret", 403)], statuses
    assert statuses[("revoke_secret", 204)] and statuses[("get_secret", 200)], statuses


def test_following_the_list_link_to_revoke_the_only_secret_is_refused() -> None:
    # schemathesis starts scenarios only from create (list has a path parameter), so the last-secret guard is
    # reached here by following the spec's own RevokeOldestSecret link by hand, every answer checked.
    app = create_app(strict=True)
    app.backend.seed(PRIMARY)
    app.backend.seed(SUB_ACCOUNT)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    auth = {"Authorization": basic_header(PRIMARY.api_key, PRIMARY.secrets[0])}
    listing = schema["/accounts/{api_key}/secrets"]["GET"].Case(path_parameters={"api_key": SUB_ACCOUNT.api_key})
    listed = listing.call_and_validate(headers=auth)
    link = SPEC_LINKS["RevokeOldestSecret"]["parameters"]["secret_id"]
    assert link == "$response.body#/_embedded/secrets/0/id"
    secret_id = listed.json()["_embedded"]["secrets"][0]["id"]
    revoke = schema["/accounts/{api_key}/secrets/{secret_id}"]["DELETE"].Case(
        path_parameters={"api_key": SUB_ACCOUNT.api_key, "secret_id": secret_id}
    )
    refused = revoke.call_and_validate(headers=auth)
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("#delete-last-secret")


def test_a_mock_that_fails_to_delete_is_caught() -> None:
    app = create_app(strict=True)
    # The broken variant: revocation answers 204 and keeps the secret.
    app.backend.revoke_secret = lambda caller, api_key, secret_id: None  # type: ignore[method-assign]
    with pytest.raises(FailureGroup) as failure:
        secrets_state_machine(app, max_examples=40)
    assert any(isinstance(error, UseAfterFree) for error in failure.value.exceptions), failure.value.exceptions
