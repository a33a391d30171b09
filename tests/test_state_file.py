"""`serve --state PATH`: every answered change survives kill -9; the file is checked, versioned, claimed and 0600."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.state_support import basic, serving, start, stop
from vonage_account_mock.state import store as store_module
from vonage_account_mock.state.models import AccountBackend, AccountSeed
from vonage_account_mock.state.store import SCHEMA_VERSION, SqliteStore, StateFile, StateFileError

KEY, FIRST, SECOND = "state001", "First1secret", "Second2secret"
TRX = "8ef2447e69604f642ae59363aa5f781b"


def _serve_fails(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "vonage_account_mock", "serve", "--port", "0", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_every_answered_change_survives_kill_9(tmp_path: Path) -> None:
    state = tmp_path / "mock.db"
    with serving(state) as (process, client):
        account = {"secrets": [FIRST], "balance": "20.00", "auto_reload": {"enabled": True, "trx": TRX, "amount": "5"}}
        assert client.put(f"/_mock/accounts/{KEY}", json=account).status_code == 200
        created = client.post(f"/accounts/{KEY}/secrets", json={"secret": SECOND}, headers=basic(KEY, FIRST))
        assert created.status_code == 201
        assert client.post("/account/top-up", data={"trx": TRX}, headers=basic(KEY, FIRST)).status_code == 200
        settings = client.post(
            "/account/settings", data={"moCallBackUrl": "https://example.com/in"}, headers=basic(KEY, SECOND)
        )
        assert settings.status_code == 200
        sender = {"provider": "email", "value": "ops@example.com", "name": "Ops"}
        assert client.post("/account/register-sender", json=sender, headers=basic(KEY, FIRST)).status_code == 200
        assert client.post(f"/_mock/accounts/{KEY}/spend", json={"amount": "1.50"}).status_code == 200
        assert client.put(f"/_mock/accounts/{KEY}/balance", json={"balance": "42.00"}).status_code == 200  # the last
        before = client.get(f"/_mock/accounts/{KEY}").json()
        stop(process, hard=True)
    with serving(state) as (_, client):
        assert client.get(f"/_mock/accounts/{KEY}").json() == before
        assert before["balance"] == "42.00" and len(before["secrets"]) == 2
        assert client.get("/account/get-balance", headers=basic(KEY, SECOND)).json()["value"] == 42.0
        assert client.post("/account/top-up", data={"trx": TRX}, headers=basic(KEY, SECOND)).status_code == 200


def test_a_rotation_killed_between_create_and_revoke_restarts_with_what_was_answered(tmp_path: Path) -> None:
    state = tmp_path / "mock.db"
    with serving(state) as (process, client):
        assert client.get("/account/get-balance", headers=basic(KEY, FIRST)).status_code == 200  # made on first use
        old = client.get(f"/accounts/{KEY}/secrets", headers=basic(KEY, FIRST)).json()["_embedded"]["secrets"][0]
        new = client.post(f"/accounts/{KEY}/secrets", json={"secret": SECOND}, headers=basic(KEY, FIRST)).json()
        stop(process, hard=True)  # after the create was answered, before the revoke was sent
    with serving(state) as (process, client):
        listed = client.get(f"/accounts/{KEY}/secrets", headers=basic(KEY, SECOND)).json()["_embedded"]["secrets"]
        assert [(s["id"], s["created_at"]) for s in listed] == [
            (old["id"], old["created_at"]),
            (new["id"], new["created_at"]),
        ]
        assert client.delete(f"/accounts/{KEY}/secrets/{old['id']}", headers=basic(KEY, SECOND)).status_code == 204
        stop(process, hard=True)
    with serving(state) as (_, client):
        assert client.get("/account/get-balance", headers=basic(KEY, FIRST)).status_code == 401
        assert client.get("/account/get-balance", headers=basic(KEY, SECOND)).status_code == 200


def test_a_change_whose_commit_fails_is_neither_kept_nor_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state_file = StateFile(tmp_path / "mock.db")
    backend = AccountBackend(store=SqliteStore(state_file))
    backend.seed(AccountSeed(KEY, (FIRST,)))

    def disk_full(self: SqliteStore, *args: object, **kwargs: object) -> None:
        self.rollback()
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(SqliteStore, "commit", disk_full)
    with pytest.raises(sqlite3.OperationalError):
        backend.create_secret(KEY, KEY, SECOND)
    assert len(backend.list_secrets(KEY, KEY)) == 1  # the half-made change is gone from memory too
    monkeypatch.undo()
    backend.close()
    state_file.release()
    restarted_file = StateFile(tmp_path / "mock.db")
    restarted = AccountBackend(store=SqliteStore(restarted_file))
    assert len(restarted.list_secrets(KEY, KEY)) == 1
    assert not restarted.verifies(KEY, SECOND) and restarted.verifies(KEY, FIRST)
    restarted.close()
    restarted_file.release()


def test_the_state_file_is_created_0600_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        state_file = StateFile(tmp_path / "mock.db")
    finally:
        os.umask(previous)
    backend = AccountBackend(store=SqliteStore(state_file))
    backend.seed(AccountSeed(KEY, (FIRST,)))
    for name in ("mock.db", "mock.db-wal", "mock.db-shm"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    backend.close()
    state_file.release()


def test_a_state_path_that_is_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.db"
    (tmp_path / "mock.db").symlink_to(target)
    done = _serve_fails("--state", str(tmp_path / "mock.db"))
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1 and "symbolic link" in done.stderr
    assert not target.exists()


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"accounts:\n  - api_key: x\n", "not a vonage-account-mock state file"),
        (b"SQLite format 3\x00" + b"\x00" * 100, "not a vonage-account-mock state file"),
    ],
)
def test_a_file_that_is_not_a_state_file_is_a_one_line_error(tmp_path: Path, content: bytes, says: str) -> None:
    (tmp_path / "mock.db").write_bytes(content)
    done = _serve_fails("--state", str(tmp_path / "mock.db"))
    assert done.returncode == 3, done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1 and says in done.stderr
    assert (tmp_path / "mock.db").read_bytes() == content  # left as it was


def test_a_sqlite_file_of_something_else_is_not_a_state_file(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "other.db") as other:
        other.execute("CREATE TABLE notes (text TEXT)")
    done = _serve_fails("--state", str(tmp_path / "other.db"))
    assert done.returncode == 3 and "not a vonage-account-mock state file" in done.stderr
    assert done.stderr.count("\n") == 1


def test_a_file_of_a_newer_schema_says_to_upgrade(tmp_path: Path) -> None:
    StateFile(tmp_path / "mock.db").release()
    with sqlite3.connect(tmp_path / "mock.db") as newer:
        newer.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    done = _serve_fails("--state", str(tmp_path / "mock.db"))
    assert done.returncode == 3 and done.stderr.count("\n") == 1
    assert f"schema {SCHEMA_VERSION + 1}, newer than" in done.stderr and "upgrade" in done.stderr


def _seeded(path: Path) -> None:
    """A state file holding KEY with FIRST, written by the schema in force."""
    state_file = StateFile(path)
    backend = AccountBackend(store=SqliteStore(state_file))
    backend.seed(AccountSeed(KEY, (FIRST,)))
    backend.close()
    state_file.release()


def _verifies_after_opening(path: Path) -> bool:
    """Whether KEY still authenticates with FIRST once the file is opened (and migrated) by the schema in force."""
    state_file = StateFile(path)
    backend = AccountBackend(store=SqliteStore(state_file))
    try:
        return backend.verifies(KEY, FIRST)
    finally:
        backend.close()
        state_file.release()


def test_a_file_of_an_older_schema_is_migrated_keeping_its_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seeded(tmp_path / "mock.db")

    def add_a_column(connection: sqlite3.Connection) -> None:
        connection.execute("ALTER TABLE accounts ADD COLUMN note TEXT")

    monkeypatch.setattr(store_module, "MIGRATIONS", (*store_module.MIGRATIONS, add_a_column))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    assert _verifies_after_opening(tmp_path / "mock.db")
    with sqlite3.connect(tmp_path / "mock.db") as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert "note" in [row[1] for row in check.execute("PRAGMA table_info(accounts)")]


def test_a_file_of_schema_1_gains_the_callbacks_table_and_keeps_its_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as first_release:  # the file as the release before the shared callbacks wrote it
        first_release.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:1])
        first_release.setattr(store_module, "SCHEMA_VERSION", 1)
        _seeded(tmp_path / "mock.db")
    with sqlite3.connect(tmp_path / "mock.db") as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == 1
    assert _verifies_after_opening(tmp_path / "mock.db")
    with sqlite3.connect(tmp_path / "mock.db") as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        assert check.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 0


def test_a_file_in_use_by_another_mock_is_a_one_line_error(tmp_path: Path) -> None:
    state = tmp_path / "mock.db"
    process, _ = start(state)
    try:
        done = _serve_fails("--state", str(state))
        assert done.returncode == 3 and done.stderr.count("\n") == 1
        assert "in use by another running mock" in done.stderr
    finally:
        stop(process)


def test_a_claim_is_refused_in_process_too(tmp_path: Path) -> None:
    first = StateFile(tmp_path / "mock.db")
    with pytest.raises(StateFileError, match="in use"):
        StateFile(tmp_path / "mock.db")
    first.release()
    StateFile(tmp_path / "mock.db").release()


def test_workers_without_a_state_file_is_a_usage_error() -> None:
    done = _serve_fails("--workers", "2")
    assert done.returncode == 2 and "--workers needs --state" in done.stderr and done.stderr.count("\n") == 1


def test_a_restart_keeps_the_state_rather_than_reseeding_it(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(f"accounts:\n  - api_key: {KEY}\n    secrets: [{FIRST}]\n    balance: '5.00'\n")
    state = tmp_path / "mock.db"
    with serving(state, "--seed", str(seed)) as (process, client):
        assert client.post(f"/_mock/accounts/{KEY}/spend", json={"amount": "1"}).status_code == 200
        stop(process, hard=True)
    with serving(state, "--seed", str(seed)) as (_, client):
        assert client.get(f"/_mock/accounts/{KEY}").json()["balance"] == "4.00"
        assert client.post("/_mock/reset").status_code == 204  # a reset returns to the seed
        assert client.get(f"/_mock/accounts/{KEY}").json()["balance"] == "5.00"
