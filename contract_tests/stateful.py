"""The secrets state machine: schemathesis chains operations along the spec's links against a mock app."""

from __future__ import annotations

from collections import Counter
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.schemas import BaseSchema

from contract_tests.dialect import agree_on_regex_dialect
from vonage_account_mock import AccountMockApp, AccountSeed
from vonage_account_mock.testing.clients import basic_header
from vonage_account_spec import spec_path

PRIMARY = AccountSeed(api_key="prim0001", secrets=("Primary1secret",))
SUB_ACCOUNT = AccountSeed(api_key="sub00001", secrets=("Subacct1secret",), primary="prim0001")
SECRETS_OPERATIONS = {"list_secrets", "create_secret", "get_secret", "revoke_secret"}


def secrets_state_machine(
    app: AccountMockApp,
    *,
    max_examples: int,
    step_count: int = 8,
    observed: Counter[tuple[str, int]] | None = None,
    base_url: str | None = None,
    checks: list[Any] | None = None,
) -> None:
    """Run the links state machine over the secrets of a sub-account, its primary's credentials in hand.

    Working on a sub-account means revoking any secret, even the last one's neighbour, never locks the
    machine out. Raises schemathesis' failure group on any check that fails.
    """
    schema: BaseSchema
    if base_url is None:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    else:
        schema = schemathesis.openapi.from_path(str(spec_path()))
        schema.config.update(base_url=base_url)
    # Positive data only: the machine pins api_key and credentials (below), which would turn a negative case
    # into a valid request; negative data is test_mock_conforms.py's job. Through Prism's proxy it also keeps
    # the proxy's own request validation from answering in the mock's place.
    schema.config.generation.update(modes=[GenerationMode.POSITIVE])
    agree_on_regex_dialect(schema)

    schema = schema.include(operation_id=sorted(SECRETS_OPERATIONS))
    auth = {"Authorization": basic_header(PRIMARY.api_key, PRIMARY.secrets[0])}

    class SecretsMachine(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # A fresh sub-account with one secret for every scenario.
            app.control.reset()
            app.backend.seed(PRIMARY)
            app.backend.seed(SUB_ACCOUNT)

        def before_call(self, case: Any) -> None:
            case.path_parameters = {**(case.path_parameters or {}), "api_key": SUB_ACCOUNT.api_key}

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": auth}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            if checks is None:
                super().validate_response(response, case, **kwargs)
            else:
                case.validate_response(response, checks=checks, recorder=self.recorder)

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            if observed is not None:
                observed[(case.operation.definition.raw["operationId"], response.status_code)] += 1

    SecretsMachine.run(
        settings=settings(
            max_examples=max_examples,
            stateful_step_count=step_count,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    )
