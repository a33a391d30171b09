"""Secret management: rotation, the two-secret limit, the last-secret guard, access to other keys."""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vonage_account_client.api.balance import get_balance
from vonage_account_client.api.secret_management import create_secret, get_secret, list_secrets, revoke_secret
from vonage_account_client.models import CreateSecretRequest, Problem, Secret, SecretList, ValidationProblem

from tests.conftest import KEY, SECRET, Mock
from vonage_account_mock import AccountSeed
from vonage_account_mock.state.models import AccountBackend, uuid4_text

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SECRETS_DOCS = "https://developer.nexmo.com/api-errors/account/secret-management"


def _create(mock: Mock, secret: str, *, api_key: str = KEY, as_secret: str = SECRET) -> Secret:
    response = create_secret.sync_detailed(
        api_key, client=mock.client(api_key=api_key, api_secret=as_secret), body=CreateSecretRequest(secret)
    )
    assert response.status_code == 201, response.content
    assert isinstance(response.parsed, Secret)
    return response.parsed


def test_first_use_provisions_the_key_with_the_presented_secret(mock: Mock) -> None:
    listed = list_secrets.sync(KEY, client=mock.client())
    assert isinstance(listed, SecretList)
    assert len(listed.hal_embedded.secrets) == 1
    only = listed.hal_embedded.secrets[0]
    assert UUID4.match(only.id) and TIMESTAMP.match(only.created_at)
    assert only.hal_links.self_.href == f"/accounts/{KEY}/secrets/{only.id}"
    assert listed.hal_links.self_.href == f"/accounts/{KEY}/secrets"


def test_created_secret_answers_201_and_authenticates_at_once(mock: Mock) -> None:
    created = _create(mock, "Rotated2secret")
    assert UUID4.match(created.id) and TIMESTAMP.match(created.created_at)
    assert created.hal_links.self_.href == f"/accounts/{KEY}/secrets/{created.id}"
    assert get_balance.sync_detailed(client=mock.client(api_secret="Rotated2secret")).status_code == 200
    fetched = get_secret.sync(KEY, created.id, client=mock.client())
    assert isinstance(fetched, Secret) and fetched.id == created.id


def test_third_secret_is_refused_with_add_excess_secret(mock: Mock) -> None:
    _create(mock, "Second2secret")
    response = create_secret.sync_detailed(KEY, client=mock.client(), body=CreateSecretRequest("Third3secret"))
    assert response.status_code == 403
    assert isinstance(response.parsed, Problem)
    assert response.parsed.type_ == f"{SECRETS_DOCS}#add-excess-secret"
    assert response.parsed.title == "Secret Addition Forbidden"
    assert response.parsed.detail == "Account reached maximum number [2] of allowed secrets"
    assert response.headers["content-type"] == "application/problem+json"
    assert len(mock.backend.list_secrets(KEY, KEY)) == 2


def test_revoked_secret_is_refused_on_the_next_request(mock: Mock) -> None:
    _create(mock, "Second2secret")
    original = mock.backend.list_secrets(KEY, KEY)[0]
    response = revoke_secret.sync_detailed(KEY, original.id, client=mock.client(api_secret="Second2secret"))
    assert response.status_code == 204
    assert response.content == b""
    refused = get_balance.sync_detailed(client=mock.client(api_secret=SECRET))
    assert refused.status_code == 401
    assert list_secrets.sync_detailed(KEY, client=mock.client(api_secret=SECRET)).status_code == 401
    assert get_balance.sync_detailed(client=mock.client(api_secret="Second2secret")).status_code == 200


def test_the_last_secret_cannot_be_revoked(mock: Mock) -> None:
    only = mock.backend.list_secrets(KEY, KEY) if mock.backend.api_keys() else None
    listed = list_secrets.sync(KEY, client=mock.client())
    assert isinstance(listed, SecretList) and only is None
    response = revoke_secret.sync_detailed(KEY, listed.hal_embedded.secrets[0].id, client=mock.client())
    assert response.status_code == 403
    assert isinstance(response.parsed, Problem)
    assert response.parsed.type_ == f"{SECRETS_DOCS}#delete-last-secret"
    assert response.parsed.title == "Secret Deletion Forbidden"
    assert get_balance.sync_detailed(client=mock.client()).status_code == 200


@pytest.mark.parametrize(
    "weak",
    ["Short1a", "alllowercase1", "ALLUPPERCASE1", "NoDigitsHere", "Waytoolong1Waytoolong1Waytoolong1"],
)
def test_secret_breaking_complexity_rules_is_refused_with_validation(mock: Mock, weak: str) -> None:
    response = create_secret.sync_detailed(KEY, client=mock.client(), body=CreateSecretRequest(weak))
    assert response.status_code == 400
    assert isinstance(response.parsed, ValidationProblem)
    assert response.parsed.type_ == f"{SECRETS_DOCS}#validation"
    assert [p.name for p in response.parsed.invalid_parameters] == ["secret"]
    assert weak.encode() not in response.content, "the refused secret must not be echoed"
    assert len(mock.backend.list_secrets(KEY, KEY)) == 1


def test_unknown_secret_id_is_invalid_id(mock: Mock) -> None:
    client = mock.client()
    for response in (
        get_secret.sync_detailed(KEY, "07239aeb-d756-4c32-a1de-cf64f8b21827", client=client),
        revoke_secret.sync_detailed(KEY, "07239aeb-d756-4c32-a1de-cf64f8b21827", client=client),
    ):
        assert response.status_code == 404
        assert isinstance(response.parsed, Problem)
        assert response.parsed.type_ == "https://developer.nexmo.com/api-errors#invalid-id"
        assert response.parsed.detail == "ID '07239aeb-d756-4c32-a1de-cf64f8b21827' could not be found"


def test_another_accounts_key_is_invalid_api_key(mock: Mock) -> None:
    list_secrets.sync(KEY, client=mock.client())
    list_secrets.sync("other999", client=mock.client(api_key="other999", api_secret="Other1secret"))
    response = list_secrets.sync_detailed("other999", client=mock.client())
    assert response.status_code == 404
    assert isinstance(response.parsed, Problem)
    assert response.parsed.type_ == "https://developer.nexmo.com/api-errors#invalid-api-key"
    assert response.parsed.title == "Invalid API Key"


def test_primary_manages_its_sub_accounts_secrets_but_not_the_reverse(mock: Mock) -> None:
    mock.backend.seed(AccountSeed(api_key="primary1", secrets=("Primary1secret",)))
    mock.backend.seed(AccountSeed(api_key="sub00001", secrets=("Sub0001secret",), primary="primary1"))
    created = _create(mock, "NewSub1secret", api_key="primary1", as_secret="Primary1secret")
    created_for_sub = create_secret.sync_detailed(
        "sub00001", client=mock.client("primary1", "Primary1secret"), body=CreateSecretRequest("NewSub1secret")
    )
    assert created_for_sub.status_code == 201
    assert get_balance.sync_detailed(client=mock.client("sub00001", "NewSub1secret")).status_code == 200
    assert created.id != getattr(created_for_sub.parsed, "id", None)
    reverse = list_secrets.sync_detailed("primary1", client=mock.client("sub00001", "Sub0001secret"))
    assert reverse.status_code == 404


def test_wrong_credentials_get_the_unauthorized_problem(mock: Mock) -> None:
    list_secrets.sync(KEY, client=mock.client())
    response = list_secrets.sync_detailed(KEY, client=mock.client(api_secret="Wrong1secret"))
    assert response.status_code == 401
    assert isinstance(response.parsed, Problem)
    assert response.parsed.type_ == "https://developer.nexmo.com/api-errors#unauthorized"
    assert response.parsed.title == "Unauthorized"
    assert response.parsed.detail == "You did not provide correct credentials."
    assert response.headers["content-type"] == "application/problem+json"


def test_missing_credentials_on_the_secrets_api_get_401(mock: Mock) -> None:
    with mock.http() as http:
        response = http.get(f"/accounts/{KEY}/secrets")
    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"


def test_the_query_pair_does_not_authenticate_on_the_secrets_api(mock: Mock) -> None:
    list_secrets.sync(KEY, client=mock.client())
    with mock.http() as http:
        response = http.get(f"/accounts/{KEY}/secrets", params={"api_key": KEY, "api_secret": SECRET})
    # The secrets API takes Basic credentials only: the pair in the query is no credential at all.
    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_secret_ids_are_what_uuid_makes_of_the_same_bits(bits: int) -> None:
    # Ids are formatted by hand for speed: they must stay the RFC 4122 version-4 text the uuid module writes.
    assert uuid4_text(bits) == str(uuid.UUID(int=bits, version=4))


def test_created_at_is_the_wall_clock_second_in_utc() -> None:
    backend = AccountBackend()
    backend.authenticate(KEY, SECRET)
    before = datetime.now(UTC).replace(microsecond=0)
    created = backend.create_secret(KEY, KEY, "Second2secret")
    after = datetime.now(UTC)
    assert TIMESTAMP.match(created.created_at)
    assert before <= datetime.strptime(created.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) <= after
    assert UUID4.match(created.id)


def test_a_forked_process_makes_secret_ids_of_its_own() -> None:
    # Ids come from a generator seeded once per process: without a reseed at fork, a child's ids repeat its parent's.
    def next_id() -> str:
        backend = AccountBackend()
        backend.authenticate(KEY, SECRET)
        return backend.create_secret(KEY, KEY, "Second2secret").id

    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(write_end, next_id().encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    from_child = os.read(read_end, 100).decode()
    os.close(read_end)
    assert UUID4.match(from_child) and from_child != next_id()
