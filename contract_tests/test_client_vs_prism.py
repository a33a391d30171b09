"""Client vs spec: the generated client parses every response Prism's dynamic mock invents, errors included."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from vonage_account_client import AuthenticatedClient
from vonage_account_client.models import Balance

from contract_tests.client_calls import CALLS, KEY
from vonage_account_mock.serving.prism import prism_mock
from vonage_account_spec import spec_path

SPEC: dict[str, Any] = yaml.safe_load(spec_path().read_text())
DECLARED = {
    operation["operationId"]: sorted(int(status) for status in operation["responses"])
    for item in SPEC["paths"].values()
    for method, operation in item.items()
    if method in {"get", "post", "delete"}
}
SEEDS = (1, 2, 3)


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{seed}" for seed in SEEDS])
def dynamic_prism(request: pytest.FixtureRequest) -> Iterator[str]:
    with prism_mock(dynamic=True, seed=request.param) as url:
        yield url


def client_parses_every_declared_response(prism_url: str, operation_id: str) -> list[int]:
    """Ask Prism for each status the operation declares; fail unless the client parses each one."""
    parsed_statuses = []
    for status in DECLARED[operation_id]:
        with AuthenticatedClient(
            base_url=prism_url,
            token="",
            prefix="",
            raise_on_unexpected_status=True,
            headers={"Prefer": f"code={status}"},
            httpx_args={"auth": (KEY, "Example1secret")},
        ) as client:
            response = CALLS[operation_id](client)
        assert int(response.status_code) == status, (operation_id, status, response.content[:300])
        if response.content:
            assert response.parsed is not None, (operation_id, status, response.content[:300])
            # Parsed whole: the model gives back exactly the document Prism sent, every field read right.
            assert response.parsed.to_dict() == json.loads(response.content), (operation_id, status)
        parsed_statuses.append(status)
    return parsed_statuses


def test_every_operation_is_covered() -> None:
    assert set(CALLS) == set(DECLARED)


@pytest.mark.parametrize("operation_id", sorted(DECLARED))
def test_the_client_parses_every_response_of(dynamic_prism: str, operation_id: str) -> None:
    assert client_parses_every_declared_response(dynamic_prism, operation_id) == DECLARED[operation_id]


def test_a_model_that_silently_misreads_a_field_is_caught(dynamic_prism: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The broken variant raises nothing: it reads every field, but `autoReload` the wrong way round.
    original = Balance.from_dict

    def misreading_from_dict(cls: type[Balance], src: Any) -> Balance:
        parsed = original(src)
        parsed.auto_reload = not parsed.auto_reload
        return parsed

    monkeypatch.setattr(Balance, "from_dict", classmethod(misreading_from_dict))
    with pytest.raises(AssertionError, match="get_balance"):
        client_parses_every_declared_response(dynamic_prism, "get_balance")
