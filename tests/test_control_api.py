"""The control API under /_mock: reset, accounts, journal, fault plans, deterministic mode, the gate."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from tests.conftest import KEY, SECRET, Mock
from vonage_account_mock import AccountSeed, create_app
from vonage_account_mock.layers.journal import Journal, JournalMiddleware
from vonage_account_mock.testing.clients import in_process_http

PROJECT = "https://github.com/vonage-account-mock/vonage-account-mock"


def _balance(http: httpx.Client, key: str = KEY, secret: str = SECRET) -> httpx.Response:
    return http.get("/account/get-balance", auth=(key, secret))


def test_put_account_creates_it_with_known_secrets_and_get_never_shows_them(mock: Mock) -> None:
    spec = {"secrets": ["Known1secret", "Other2secret"], "balance": "7.25", "settings": {"max_calls_per_second": 5}}
    with mock.http() as http:
        created = http.put("/_mock/accounts/acct0001", json=spec)
        assert created.status_code == 200
        assert created.json()["balance"] == "7.25" and len(created.json()["secrets"]) == 2
        assert _balance(http, "acct0001", "Other2secret").json() == {"value": 7.25, "autoReload": False}
        settings = http.post("/account/settings", auth=("acct0001", "Known1secret")).json()
        assert settings["max-calls-per-second"] == 5
        shown = http.get("/_mock/accounts/acct0001")
    assert shown.status_code == 200
    assert "Known1secret" not in shown.text and "Other2secret" not in shown.text


def test_an_unknown_account_is_404(mock: Mock) -> None:
    with mock.http() as http:
        response = http.get("/_mock/accounts/nobody99")
    assert response.status_code == 404
    assert response.json()["type"] == f"{PROJECT}#not-found"


def test_a_malformed_account_is_a_400_naming_the_field(mock: Mock) -> None:
    with mock.http() as http:
        response = http.put("/_mock/accounts/acct0001", json={"secrets": [], "balance": "lots"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["invalid_parameters"][0]["name"] in {"secrets", "balance"}


def test_reset_forgets_everything(mock: Mock) -> None:
    with mock.http() as http:
        _balance(http)
        http.post("/_mock/faults", json={"operation_id": "get_balance", "status": 500, "times": 3})
        assert http.post("/_mock/reset").status_code == 204
        assert http.get("/_mock/accounts").json() == {"accounts": []}
        assert http.get("/_mock/journal").json() == {"entries": []}
        assert http.get("/_mock/faults").json() == {"plans": []}


def test_resetting_one_account_leaves_the_others(mock: Mock) -> None:
    with mock.http() as http:
        _balance(http)
        _balance(http, "neighbour", "Neighbour1")
        http.post("/_mock/faults", json={"operation_id": "get_balance", "status": 500, "account": KEY})
        assert http.delete(f"/_mock/accounts/{KEY}").status_code == 204
        assert http.get("/_mock/accounts").json() == {"accounts": ["neighbour"]}
        assert [e["account"] for e in http.get("/_mock/journal").json()["entries"]] == ["neighbour"]
        assert http.get("/_mock/faults").json() == {"plans": []}


def test_reset_returns_seeded_accounts_to_their_seed() -> None:
    app = create_app(seeds=[AccountSeed(api_key="seeded01", secrets=("Seeded1secret",))])
    with in_process_http(app) as http:
        http.post("/accounts/seeded01/secrets", auth=("seeded01", "Seeded1secret"), json={"secret": "Added2secret"})
        http.post("/_mock/accounts/seeded01/spend", json={"amount": "4"})
        http.delete("/_mock/accounts/seeded01")
        account = http.get("/_mock/accounts/seeded01").json()
    assert len(account["secrets"]) == 1 and account["balance"] == "10.00"


def test_spend_lowers_the_balance_exactly(mock: Mock) -> None:
    with mock.http() as http:
        _balance(http)
        for _ in range(3):
            spent = http.post(f"/_mock/accounts/{KEY}/spend", json={"amount": "0.1"})
        assert spent.json() == {"balance": "9.70"}
        assert _balance(http).json()["value"] == 9.7
        assert http.post(f"/_mock/accounts/{KEY}/spend", json={"amount": "-1"}).status_code == 400
        assert http.post("/_mock/accounts/nobody99/spend", json={"amount": "1"}).status_code == 404


def test_the_journal_records_each_call_with_its_operation_auth_and_account(mock: Mock) -> None:
    with mock.http() as http:
        _balance(http)
        http.get("/account/get-balance", params={"api_key": KEY, "api_secret": SECRET})
        http.post(f"/accounts/{KEY}/secrets", auth=(KEY, SECRET), json={"secret": "short"})
        entries = http.get("/_mock/journal").json()["entries"]
    assert [(e["operation_id"], e["status"], e["auth_scheme"]) for e in entries] == [
        ("get_balance", 200, "basic"),
        ("get_balance", 200, "query"),
        ("create_secret", 400, "basic"),
    ]
    assert all(e["account"] == KEY for e in entries)
    assert entries[2]["failure"] == {"secret": "Must be at least 8 characters long."}
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    # ISO 8601 in UTC, to the millisecond, as the control API's example shows.
    arrived = [datetime.fromisoformat(e["at"].replace("Z", "+00:00")) for e in entries]
    assert all(e["at"].endswith("Z") and len(e["at"]) == 24 for e in entries)
    assert arrived == sorted(arrived) and abs((datetime.now(UTC) - arrived[-1]).total_seconds()) < 60


def test_the_journal_redacts_secrets(mock: Mock) -> None:
    with mock.http() as http:
        _balance(http)
        http.get("/account/get-balance", params={"api_key": KEY, "api_secret": SECRET})
        http.post(f"/accounts/{KEY}/secrets", auth=(KEY, SECRET), json={"secret": "Brand2newSecret"})
        http.post("/account/top-up", data={"trx": "t", "api_key": KEY, "api_secret": "Brand2newSecret"})
        text = http.get("/_mock/journal").text
    assert SECRET not in text and "Brand2newSecret" not in text
    entries = json.loads(text)["entries"]
    assert entries[1]["query"] == {"api_key": KEY, "api_secret": "[redacted]"}
    assert entries[2]["body"] == {"secret": "[redacted]"}
    assert entries[3]["auth_scheme"] == "form"


def test_the_journal_notes_the_status_itself_when_no_layer_outside_does() -> None:
    # In the mock's stack the crash guard outside notes each answer's status; the journal must not depend on it.
    async def created(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def sink(message: Message) -> None:
        pass

    async def nothing() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    journal = Journal()
    layer = JournalMiddleware(created, journal=journal, excluded_prefixes=("/_mock/",))
    scope: Scope = {"type": "http", "method": "GET", "path": "/account/get-balance", "query_string": b"", "headers": []}
    asyncio.run(layer(scope, nothing, sink))
    assert [entry.status for entry in journal.entries()] == [201]


def test_the_journal_filters_and_clears(mock: Mock) -> None:
    with mock.http() as http:
        _balance(http)
        _balance(http, KEY, "Wrong1secret")
        _balance(http, "other001", "Other1secret")
        http.get(f"/accounts/{KEY}/secrets", auth=(KEY, SECRET))
        assert len(http.get("/_mock/journal", params={"operation_id": "get_balance"}).json()["entries"]) == 3
        assert len(http.get("/_mock/journal", params={"status": 401}).json()["entries"]) == 1
        assert len(http.get("/_mock/journal", params={"account": "other001"}).json()["entries"]) == 1
        # The refused call claimed KEY but proved nothing: it is nobody's.
        assert len(http.get("/_mock/journal", params={"account": KEY}).json()["entries"]) == 2
        newest = http.get("/_mock/journal", params={"limit": 1}).json()["entries"]
        assert [e["operation_id"] for e in newest] == ["list_secrets"]
        http.delete("/_mock/journal", params={"account": KEY})
        assert [e["account"] for e in http.get("/_mock/journal").json()["entries"]] == [None, "other001"]
        http.delete("/_mock/journal")
        assert http.get("/_mock/journal").json() == {"entries": []}


def test_the_journal_is_bounded() -> None:
    app = create_app(journal_size=5)
    with in_process_http(app) as http:
        for _ in range(8):
            _balance(http)
        entries = http.get("/_mock/journal").json()["entries"]
    assert [e["seq"] for e in entries] == [4, 5, 6, 7, 8]


def test_the_journal_keeps_the_last_1000_requests_by_default() -> None:
    app = create_app()
    with in_process_http(app) as http:
        for _ in range(1005):
            _balance(http)
        entries = http.get("/_mock/journal").json()["entries"]
    assert len(entries) == 1000 and (entries[0]["seq"], entries[-1]["seq"]) == (6, 1005)


def test_a_fault_answers_a_declared_status_for_the_next_n_calls(mock: Mock) -> None:
    with mock.http() as http:
        _balance(http)
        plan = http.post("/_mock/faults", json={"operation_id": "get_balance", "status": 429, "times": 2}).json()
        limited = [_balance(http) for _ in range(3)]
        assert [r.status_code for r in limited] == [429, 429, 200]
        assert limited[0].json()["title"] == "Rate Limit Hit"
        assert limited[0].headers["retry-after"] == "1"
        assert limited[0].headers["content-type"] == "application/problem+json"
        plans = http.get("/_mock/faults").json()["plans"]
        assert plans == [{**plan, "fired": 2}]
        journal = http.get("/_mock/journal", params={"status": 429}).json()["entries"]
        assert [e["fault"] for e in journal] == [plan["id"], plan["id"]]


def test_a_fault_with_a_body_uses_the_spec_example(mock: Mock) -> None:
    with mock.http() as http:
        http.post("/_mock/faults", json={"operation_id": "create_secret", "status": 403})
        response = http.post(f"/accounts/{KEY}/secrets", auth=(KEY, SECRET), json={"secret": "Second2secret"})
    assert response.status_code == 403
    assert response.json()["type"].endswith("#add-excess-secret")


def test_a_status_the_spec_does_not_declare_is_refused(mock: Mock) -> None:
    with mock.http() as http:
        response = http.post("/_mock/faults", json={"operation_id": "get_balance", "status": 403})
        unknown = http.post("/_mock/faults", json={"operation_id": "get_everything", "status": 500})
        empty = http.post("/_mock/faults", json={"operation_id": "get_balance"})
    assert response.status_code == 400
    assert "get_balance does not declare status 403" in response.json()["detail"]
    assert unknown.status_code == 400 and empty.status_code == 400


def test_a_fault_scoped_to_an_account_spares_the_others(mock: Mock) -> None:
    with mock.http() as http:
        _balance(http)
        _balance(http, "other001", "Other1secret")
        http.post("/_mock/faults", json={"operation_id": "get_balance", "status": 500, "account": "other001"})
        assert _balance(http).status_code == 200
        assert _balance(http, "other001", "Other1secret").status_code == 500


def test_a_delay_fault_delays_then_answers_normally(mock: Mock) -> None:
    with mock.http() as http:
        _balance(http)
        http.post("/_mock/faults", json={"operation_id": "get_balance", "delay_ms": 200})
        started = time.perf_counter()
        response = _balance(http)
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.2


def test_a_drop_fault_cuts_the_connection(mock: Mock) -> None:
    with mock.http() as http:
        _balance(http)
        http.post("/_mock/faults", json={"operation_id": "get_balance", "drop": True, "times": 1})
        with pytest.raises(httpx.RemoteProtocolError):
            _balance(http)
    with mock.http() as http:
        assert _balance(http).status_code == 200


def test_plans_that_never_fired_are_listed_and_can_be_removed(mock: Mock) -> None:
    with mock.http() as http:
        plan = http.post("/_mock/faults", json={"operation_id": "top_up", "status": 500}).json()
        _balance(http)
        assert [p["fired"] for p in http.get("/_mock/faults").json()["plans"]] == [0]
        assert http.delete(f"/_mock/faults/{plan['id']}").status_code == 204
        assert http.delete(f"/_mock/faults/{plan['id']}").status_code == 404
        assert http.get("/_mock/faults").json() == {"plans": []}


def test_deterministic_mode_repeats_ids_and_timestamps_after_each_reset(mock: Mock) -> None:
    def first_secret(http: httpx.Client) -> dict[str, str]:
        _balance(http)
        secret: dict[str, str] = http.get(f"/_mock/accounts/{KEY}").json()["secrets"][0]
        return secret

    with mock.http() as http:
        http.post("/_mock/reset", json={"deterministic_seed": 42})
        first = first_secret(http)
        http.post("/_mock/reset")
        assert first_secret(http) == first
        assert first["created_at"] == "2024-01-01T00:00:00Z"
        http.post("/_mock/reset", json={"deterministic_seed": 43})
        assert first_secret(http)["id"] != first["id"]
        http.post("/_mock/reset", json={"deterministic_seed": None})
        assert first_secret(http)["created_at"] != "2024-01-01T00:00:00Z"


def test_a_control_token_guards_the_control_api() -> None:
    with in_process_http(create_app(control_token="s3cret-token")) as http:
        refused = http.get("/_mock/accounts")
        assert refused.status_code == 401
        assert refused.json()["title"] == "Unauthorized"
        assert http.get("/_mock/accounts", headers={"X-Mock-Control-Token": "wrong"}).status_code == 401
        assert http.get("/_mock/accounts", headers={"X-Mock-Control-Token": "s3cret-token"}).status_code == 200
        assert _balance(http).status_code == 200, "the Account API itself needs no token"


def test_the_control_api_can_be_switched_off() -> None:
    with in_process_http(create_app(control=False)) as http:
        assert http.post("/_mock/reset").status_code == 404
        assert _balance(http).status_code == 200


def test_control_calls_stay_out_of_the_journal(mock: Mock) -> None:
    with mock.http() as http:
        http.get("/_mock/accounts")
        http.get("/ui/")
        assert http.get("/_mock/journal").json() == {"entries": []}


def test_without_a_token_the_control_api_answers_loopback_host_names_only() -> None:
    app = create_app(allowed_hosts=["mock.ci.internal"])
    with in_process_http(app) as http:
        for host in (
            "127.0.0.1:8080",
            "localhost",
            "[::1]:8080",
            "mock.ci.internal:8080",
            "vonage-account-mock.invalid",
        ):
            assert http.post("/_mock/reset", headers={"Host": host}).status_code == 204, host
        rebound = http.post("/_mock/reset", headers={"Host": "attacker.example:8080"})
        assert rebound.status_code == 403 and "--allowed-host" in rebound.json()["detail"]
        # The Account API itself is not the control API: it answers whatever the Host.
        assert http.get("/account/get-balance", headers={"Host": "attacker.example"}).status_code == 401
    guarded = create_app(control_token="t0ken")
    with in_process_http(guarded) as http:
        headers = {"Host": "attacker.example", "X-Mock-Control-Token": "t0ken"}
        assert http.post("/_mock/reset", headers=headers).status_code == 204


def test_the_control_api_never_shows_a_trx_reference() -> None:
    app = create_app()
    with in_process_http(app) as http:
        shown = http.put(
            "/_mock/accounts/trx00001",
            json={"secrets": ["Trx1secretX"], "auto_reload": {"enabled": True, "trx": "Ref1secretTrx", "amount": "5"}},
        ).json()
        assert shown["auto_reload"] == {"enabled": True, "trx": "[redacted]", "amount": "5"}
        assert "Ref1secretTrx" not in http.get("/_mock/accounts/trx00001").text


def test_health_needs_no_token_and_no_loopback_host_and_tells_only_status_and_version() -> None:
    for app in (create_app(control_token="t0ken"), create_app(control=False), create_app()):
        with in_process_http(app) as http:
            response = http.get("/_mock/health", headers={"Host": "attacker.example"})
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            assert set(response.json()) == {"status", "version"} and response.json()["status"] == "ok"


def test_health_is_neither_journaled_nor_logged(mock: Mock, caplog: pytest.LogCaptureFixture) -> None:
    with mock.http() as http, caplog.at_level("INFO", logger="vonage_account_mock.access"):
        for _ in range(3):
            assert http.get("/_mock/health").status_code == 200
        assert http.get("/_mock/journal").json() == {"entries": []}
    assert not [record for record in caplog.records if "/_mock/health" in record.getMessage()]


def test_health_answers_get_and_head_only(mock: Mock) -> None:
    with mock.http() as http:
        refused = http.post("/_mock/health")
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["title"] == "Method Not Allowed"


def _journal_of_a_run(http: httpx.Client, seed: int) -> list[dict[str, object]]:
    assert http.post("/_mock/reset", json={"deterministic_seed": seed}).status_code == 204
    _balance(http)
    http.post(f"/accounts/{KEY}/secrets", auth=(KEY, SECRET), json={"secret": "Second2secret"})
    _balance(http, secret="Wrong1secret")
    entries: list[dict[str, object]] = http.get("/_mock/journal").json()["entries"]
    return entries


def test_deterministic_mode_makes_the_journal_times_repeat_too(mock: Mock) -> None:
    with mock.http() as http:
        first = _journal_of_a_run(http, 42)
        time.sleep(0.01)
        second = _journal_of_a_run(http, 42)
        http.post("/_mock/reset", json={"deterministic_seed": None})
        _balance(http)
        real = http.get("/_mock/journal").json()["entries"]
    assert first == second
    assert [(e["seq"], e["at"], e["duration_ms"]) for e in first] == [
        (1, "2024-01-01T00:00:00.000Z", 0.0),
        (2, "2024-01-01T00:00:01.000Z", 0.0),
        (3, "2024-01-01T00:00:02.000Z", 0.0),
    ]
    assert [e["status"] for e in first] == [200, 201, 401]
    assert real[0]["at"] > "2025" and real[0]["duration_ms"] > 0


def test_a_mock_served_deterministic_keeps_the_same_journal_run_after_run() -> None:
    from tests.test_cli import serving

    journals = []
    for _ in range(2):
        with serving("--deterministic", "7") as (_, url, _lines), httpx.Client(base_url=url) as http:
            # The socket listens before the URL is printed: no need to wait.
            assert http.get("/_mock/health").status_code == 200
            _balance(http)
            http.post(f"/accounts/{KEY}/secrets", auth=(KEY, SECRET), json={"secret": "Second2secret"})
            journals.append(http.get("/_mock/journal").json()["entries"])
    assert journals[0] == journals[1]
    assert journals[0][1]["at"] == "2024-01-01T00:00:01.000Z"
