"""No false green for the teams that use the fixture: a name the spec does not know is refused, never matched.

`assert_not_called("get_balanse")` once passed (nothing was called by that name), and `assert_called("top_up_balance",
times=1)` said it was called 0 times: a consumer's test could be green, or red, for the wrong reason.
"""

from __future__ import annotations

from typing import Any

import pytest

from vonage_account_mock.testing import VonageMock
from vonage_account_spec.operation_ids import DECLARED_STATUSES, OPERATION_IDS

TYPOS: list[tuple[str, str]] = [
    ("get_balanse", "get_balance"),
    ("top_up_balance", "top_up"),
    ("revoke", "revoke_secret"),
]


@pytest.mark.parametrize(("typo", "meant"), TYPOS)
def test_an_unknown_operation_id_is_refused_everywhere_the_handle_takes_one(
    vonage_mock: VonageMock, typo: str, meant: str
) -> None:
    vonage_mock.seed_account()
    # The ignores are checked too (mypy --strict warns of an unused one): an operation id is a Literal of the spec's.
    attempts: dict[str, Any] = {
        "calls": lambda: vonage_mock.calls(typo),  # type: ignore[arg-type]
        "assert_called": lambda: vonage_mock.assert_called(typo, times=1),  # type: ignore[arg-type]
        "assert_not_called": lambda: vonage_mock.assert_not_called(typo),  # type: ignore[arg-type]
        "fault": lambda: vonage_mock.fault(typo, status=500),  # type: ignore[arg-type]
    }
    for where, attempt in attempts.items():
        with pytest.raises(ValueError) as refused:
            attempt()
        message = str(refused.value)
        assert f"no operation {typo!r}" in message and f"did you mean {meant!r}" in message, (where, message)
    assert vonage_mock.faults() == []


def test_the_refusal_lists_the_operations_when_nothing_is_close(vonage_mock: VonageMock) -> None:
    with pytest.raises(ValueError) as refused:
        vonage_mock.calls("zzzz")  # type: ignore[arg-type]
    assert all(operation_id in str(refused.value) for operation_id in OPERATION_IDS)


def test_a_status_no_operation_declares_is_refused(vonage_mock: VonageMock) -> None:
    vonage_mock.seed_account()
    with pytest.raises(ValueError, match="no operation of the spec answers 299"):
        vonage_mock.calls(status=299)
    with pytest.raises(ValueError, match="get_balance does not declare status 299"):
        vonage_mock.assert_not_called("get_balance", status=299)
    with pytest.raises(ValueError, match="get_balance does not declare status 403"):
        vonage_mock.assert_called("get_balance", 0, status=403)
    assert 401 in DECLARED_STATUSES["get_balance"]
    vonage_mock.assert_called("get_balance", 0, status=401)  # declared: fine


def test_an_account_the_mock_does_not_know_is_refused(vonage_mock: VonageMock) -> None:
    vonage_mock.seed_account()
    with pytest.raises(ValueError, match="no account 'abcd12345' on the mock"):
        vonage_mock.assert_not_called("get_balance", account="abcd12345")
    vonage_mock.assert_not_called("get_balance", account=vonage_mock.default_api_key)  # its own: fine


def test_the_control_api_refuses_an_unknown_operation_in_its_filters(vonage_mock: VonageMock) -> None:
    import httpx

    with httpx.Client(base_url=vonage_mock.url) as http:
        journal = http.get("/_mock/journal", params={"operation_id": "get_balanse"})
        fault = http.post("/_mock/faults", json={"operation_id": "get_balanse", "status": 500})
        status = http.get("/_mock/journal", params={"status": 299})
    for answer in (journal, fault, status):
        assert answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json"
    # The journal's filters are the spec's enums: the refusal lists what is valid.
    (reason,) = journal.json()["invalid_parameters"]
    assert reason["name"] == "operation_id" and all(o in reason["reason"] for o in OPERATION_IDS)
    assert "did you mean 'get_balance'" in fault.json()["detail"]
    (reason,) = status.json()["invalid_parameters"]
    assert reason["name"] == "status" and "429" in reason["reason"]


def test_the_control_spec_names_the_account_apis_ids_and_statuses() -> None:
    from vonage_account_spec import control_spec_path, load_spec

    parameters = {
        p["name"]: p["schema"] for p in load_spec(control_spec_path())["paths"]["/journal"]["get"]["parameters"]
    }
    assert parameters["operation_id"]["enum"] == list(OPERATION_IDS)
    assert parameters["status"]["enum"] == sorted({s for declared in DECLARED_STATUSES.values() for s in declared})
