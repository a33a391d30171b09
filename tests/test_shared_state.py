"""The account rules on a state file, in process: two workers' backends on one file, a restart, a snapshot.

tests/test_workers.py and tests/test_state_file.py hold the same promises over `serve --state` subprocesses; here the
backends run in the test's own process (two stores on one shared claim stand for two forked workers), so what they
exercise of the backend is measured too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from vonage_account_mock.state.exceptions import InvalidCredentials, LastSecretRevocation, SecretLimitReached
from vonage_account_mock.state.models import (
    Account,
    AccountBackend,
    AccountSeed,
    AutoReload,
    EmailSender,
    SettingsChange,
    Signature,
)
from vonage_account_mock.state.snapshot import load_snapshot, take_snapshot
from vonage_account_mock.state.store import Changes, SqliteStore, StateFile

KEY, FIRST, SECOND, THIRD = "shared01", "First1secret", "Second2secret", "Third3secret"
SUB = "shared02"


@pytest.fixture(autouse=True)
def _every_store_closed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every store a test opens is closed at its end, even one whose backend never came to be (a store's
    checkpointing thread must not outlive its test)."""
    opened: list[SqliteStore] = []
    made = SqliteStore.__init__

    def recording(self: SqliteStore, state_file: StateFile) -> None:
        made(self, state_file)
        opened.append(self)

    monkeypatch.setattr(SqliteStore, "__init__", recording)
    yield
    for store in opened:
        store.close()


@pytest.fixture
def state_file(tmp_path: Path) -> Iterator[StateFile]:
    """A claimed state file shared as a mock's workers share it."""
    claimed = StateFile(tmp_path / "mock.db")
    claimed.share()
    yield claimed
    claimed.release()


@pytest.fixture
def workers(state_file: StateFile) -> Iterator[tuple[AccountBackend, AccountBackend]]:
    """Two backends on the one file, the second made after the first seeded the file."""
    seeds = [AccountSeed(KEY, (FIRST,)), AccountSeed(SUB, (FIRST,), primary=KEY)]
    first = AccountBackend(store=SqliteStore(state_file))
    first.set_baseline(seeds)
    second = AccountBackend(store=SqliteStore(state_file))
    second.set_baseline(seeds, reset=False)  # as each worker does: the seeds are what its resets return to
    yield first, second
    first.close()
    second.close()


@contextmanager
def _restarted(path: Path, *, max_provisioned: int = 10_000) -> Iterator[AccountBackend]:
    """A backend on the file as a restarted mock makes it, closed and the claim released at the end."""
    claimed = StateFile(path)
    backend = AccountBackend(store=SqliteStore(claimed), max_provisioned=max_provisioned)
    try:
        yield backend
    finally:
        backend.close()
        claimed.release()


def test_a_second_worker_starts_from_what_the_file_holds(workers: tuple[AccountBackend, AccountBackend]) -> None:
    first, second = workers
    assert second.restored and not first.restored
    assert second.api_keys() == [KEY, SUB] and second.subaccounts(KEY) == [SUB]
    assert second.authenticate(KEY, FIRST) == KEY  # the same salt: the same digests authenticate


def test_two_secrets_at_most_and_the_last_one_stays_across_workers(
    workers: tuple[AccountBackend, AccountBackend],
) -> None:
    first, second = workers
    made = first.create_secret(KEY, KEY, SECOND)
    assert second.authenticate(KEY, SECOND) == KEY
    with pytest.raises(SecretLimitReached):
        second.create_secret(KEY, KEY, THIRD)
    second.revoke_secret(KEY, KEY, made.id)
    with pytest.raises(InvalidCredentials):
        first.authenticate(KEY, SECOND)
    only = first.list_secrets(KEY, KEY)
    assert [view.id for view in second.list_secrets(KEY, KEY)] == [view.id for view in only]
    with pytest.raises(LastSecretRevocation):
        second.revoke_secret(KEY, KEY, only[0].id)
    assert first.authenticate(KEY, FIRST) == KEY


def test_balances_settings_and_resets_are_seen_by_the_other_worker(
    workers: tuple[AccountBackend, AccountBackend],
) -> None:
    first, second = workers
    assert first.set_balance(KEY, Decimal("12.3400")) == Decimal("12.3400")
    assert second.balance(KEY) == (Decimal("12.3400"), False)
    second.spend(KEY, Decimal("0.34"))
    assert first.balance(KEY)[0] == Decimal("12.0000")
    first.create_secret(SUB, SUB, SECOND)
    first.seed(AccountSeed("shared03", (FIRST,), primary=KEY))  # a sub-account no reset returns to
    second.reset_account(KEY)
    assert first.balance(KEY)[0] != Decimal("12.0000") and len(first.list_secrets(KEY, SUB)) == 1
    assert first.subaccounts(KEY) == [SUB]
    second.authenticate("newkey01", FIRST)
    assert "newkey01" in first.api_keys()
    first.reset()
    assert second.api_keys() == [KEY, SUB]


def test_keys_made_on_first_use_are_bounded_across_workers_oldest_first(state_file: StateFile) -> None:
    first = AccountBackend(store=SqliteStore(state_file), max_provisioned=2)
    second = AccountBackend(store=SqliteStore(state_file), max_provisioned=2)
    try:
        first.seed(AccountSeed(KEY, (FIRST,)))
        first.authenticate("made0001", FIRST)
        second.authenticate("made0002", FIRST)
        second.authenticate("made0003", FIRST)  # the oldest goes; a seeded account is never forgotten
        assert first.api_keys() == ["made0002", "made0003", KEY]
        first.authenticate("made0004", FIRST)
        assert second.api_keys() == ["made0003", "made0004", KEY]
        for key in ("made0005", "made0006", "made0007"):  # made0005 made and forgotten before the first looks
            second.authenticate(key, FIRST)
        assert first.api_keys() == ["made0006", "made0007", KEY]
        second.seed(AccountSeed("made0006", (SECOND,)))  # seeded now: no longer one made on first use
        first.authenticate("made0008", FIRST)
        assert second.api_keys() == ["made0006", "made0007", "made0008", KEY]
        first.authenticate("made0009", FIRST)
        assert second.api_keys() == ["made0006", "made0008", "made0009", KEY]
    finally:
        first.close()
        second.close()


def test_a_restart_keeps_accounts_credentials_and_the_first_use_order(tmp_path: Path) -> None:
    path = tmp_path / "mock.db"
    with _restarted(path, max_provisioned=2) as backend:
        backend.seed(AccountSeed(KEY, (FIRST,), balance=Decimal("3.5000")))
        backend.create_secret(KEY, KEY, SECOND)
        backend.authenticate("zeta0001", FIRST)
        backend.authenticate("alfa0001", FIRST)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mock.db"]  # closed: the one file holds it all

    with _restarted(path, max_provisioned=2) as again:
        assert again.restored
        assert again.balance(KEY) == (Decimal("3.5000"), False)
        assert again.authenticate(KEY, SECOND) == KEY and again.verifies("alfa0001", FIRST)
        again.spend(KEY, Decimal("0.5"))
    with _restarted(path, max_provisioned=2) as third:
        assert third.balance(KEY)[0] == Decimal("3.0000")
        third.authenticate("made0003", FIRST)  # the order of first use came back: zeta0001 is the oldest
        assert third.api_keys() == ["alfa0001", "made0003", KEY]


def test_a_refused_change_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "mock.db"
    claimed = StateFile(path)
    backend = AccountBackend(store=SqliteStore(claimed))
    backend.seed(AccountSeed(KEY, (FIRST,)))
    with pytest.raises(ValueError, match="unknown primary accounts"):
        backend.replace_state(b"\0" * 16, [backend.account(KEY), _orphan()], [])
    with pytest.raises(ValueError, match="not seeded"):
        backend.seed(AccountSeed(SUB, (FIRST,), primary="nobody01"))
    backend.close()
    claimed.release()
    with _restarted(path) as again:
        assert again.api_keys() == [KEY] and again.authenticate(KEY, FIRST) == KEY


def _orphan() -> Account:
    other = AccountBackend()
    other.seed(AccountSeed("nobody01", (FIRST,)))
    other.seed(AccountSeed(SUB, (FIRST,), primary="nobody01"))
    return other.account(SUB)


def test_a_snapshot_moves_the_whole_state_and_a_copy_is_not_the_state() -> None:
    source = AccountBackend(max_provisioned=5)
    source.seed(AccountSeed(KEY, (FIRST,), auto_reload=AutoReload(True, "trx-1", Decimal("10"))))
    source.seed(AccountSeed(SUB, (FIRST,), primary=KEY, signature=Signature("SigSecret1", "sha256")))
    source.authenticate("made0001", FIRST)
    source.authenticate("made0002", FIRST)
    source.authenticate("made0001", FIRST)
    document = take_snapshot(source)
    document["accounts"][0]["balance"] = "0.0001"  # a change to the document is no change to the state
    assert source.balance(KEY)[0] != Decimal("0.0001")
    salt, accounts, provisioned = source.export_state()
    accounts[0].secrets.clear()
    assert source.authenticate(KEY, FIRST) == KEY and provisioned == ["made0002", "made0001"]
    copied = source.snapshot()
    copied[KEY].balance = Decimal(0)
    assert source.balance(KEY)[0] != Decimal(0)

    target = AccountBackend(max_provisioned=2)
    target.seed(AccountSeed("gone0001", (FIRST,)))
    assert load_snapshot(target, take_snapshot(source)) == 4
    assert target.api_keys() == ["made0001", "made0002", KEY, SUB]
    assert target.authenticate(SUB, FIRST) == SUB and target.top_up(KEY, "trx-1") == source.balance(KEY)[0] + 10
    assert target.export_state()[0] == salt
    target.authenticate("made0003", FIRST)  # the first-use order came along: made0002 is the oldest
    assert target.api_keys() == ["made0001", "made0003", KEY, SUB]


def test_a_snapshot_loaded_into_a_worker_reaches_the_other_and_survives_a_restart(
    tmp_path: Path, state_file: StateFile
) -> None:
    source = AccountBackend()
    source.seed(AccountSeed("snap0001", (THIRD,)))
    source.authenticate("made0001", FIRST)
    first = AccountBackend(store=SqliteStore(state_file))
    second = AccountBackend(store=SqliteStore(state_file))
    try:
        first.seed(AccountSeed(KEY, (FIRST,)))
        assert second.api_keys() == [KEY]
        load_snapshot(first, take_snapshot(source))
        assert second.api_keys() == ["made0001", "snap0001"] and second.authenticate("snap0001", THIRD)
        assert second.export_state()[2] == ["made0001"]
    finally:
        first.close()
        second.close()


def test_top_ups_settings_and_senders_are_seen_by_the_other_worker(state_file: StateFile) -> None:
    first = AccountBackend(store=SqliteStore(state_file))
    second = AccountBackend(store=SqliteStore(state_file))
    try:
        reload = AutoReload(True, "trx-1", Decimal("5"))
        first.seed(AccountSeed(KEY, (FIRST,), balance=Decimal("1.0000"), auto_reload=reload))
        assert second.top_up(KEY, "trx-1") == Decimal("6.0000")
        assert first.balance(KEY) == (Decimal("6.0000"), True)
        second.update_settings(KEY, SettingsChange(dr_callback_url="https://example.com/dr"))
        assert first.callback_target(KEY, "delivery-receipt") == ("https://example.com/dr", None, None)
        second.register_sender(KEY, EmailSender("email", "a@example.com"))
        assert list(first.account(KEY).senders) == ["a@example.com"]
    finally:
        first.close()
        second.close()


def test_a_key_made_meanwhile_by_another_worker_is_not_made_twice(
    state_file: StateFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqliteStore(state_file)
    first = AccountBackend(store=store)
    second = AccountBackend(store=SqliteStore(state_file))
    begin = store.begin

    def the_other_worker_first() -> Changes | None:
        # Between this worker's look (no such key) and its write, the other worker makes the key.
        monkeypatch.setattr(store, "begin", begin)
        second.authenticate("made0001", FIRST)
        return begin()

    try:
        first.seed(AccountSeed(KEY, (FIRST,)))
        monkeypatch.setattr(store, "begin", the_other_worker_first)
        with pytest.raises(InvalidCredentials):
            first.authenticate("made0001", SECOND)  # the key is the other worker's now, with its secret
        assert first.authenticate("made0001", FIRST) == "made0001"
        assert not second.verifies("made0001", SECOND)
    finally:
        first.close()
        second.close()


def test_a_write_that_fails_half_way_leaves_nothing_behind_on_a_state_file(
    workers: tuple[AccountBackend, AccountBackend],
) -> None:
    first, second = workers
    half = [AccountSeed("good0001", (FIRST,)), AccountSeed("orph0001", (FIRST,), primary="nobody01")]
    with pytest.raises(ValueError, match="unknown primary accounts"):
        first.seed_all(half)  # good0001 was seeded before the orphan stopped it: undone with the rest
    assert first.api_keys() == [KEY, SUB] and second.api_keys() == [KEY, SUB]
    first.create_secret(KEY, KEY, SECOND)  # the next write goes through as usual
    assert second.verifies(KEY, SECOND)
    with first.locked(), first.locked():  # reads nest; the state stays as the outermost found it
        assert first.api_keys() == [KEY, SUB]
    second.spend(KEY, Decimal("1"))
    assert first.balance(KEY)[0] == second.balance(KEY)[0]


def test_reads_under_one_lock_see_one_state_while_another_worker_writes(
    workers: tuple[AccountBackend, AccountBackend],
) -> None:
    first, second = workers
    with first.locked():
        before = first.api_keys()
        second.authenticate("made0001", FIRST)
        assert first.api_keys() == before
    assert first.api_keys() == ["made0001", *before]


def test_a_store_that_fails_once_leaves_the_next_reads_and_writes_as_ever(
    state_file: StateFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqliteStore(state_file)
    first = AccountBackend(store=store)
    second = AccountBackend(store=SqliteStore(state_file))
    first.seed(AccountSeed(KEY, (FIRST,)))

    def failing_once(name: str, error: Exception) -> None:
        working = getattr(store, name)

        def fail(*args: object, **kwargs: object) -> object:
            monkeypatch.setattr(store, name, working)
            if name == "commit":
                store.rollback()
            raise error

        monkeypatch.setattr(store, name, fail)

    failing_once("begin", sqlite3.OperationalError("database is locked"))
    with pytest.raises(sqlite3.OperationalError):
        first.create_secret(KEY, KEY, SECOND)
    first.spend(KEY, Decimal("1"))  # the next write is committed as usual
    assert second.balance(KEY)[0] == first.balance(KEY)[0] and len(second.list_secrets(KEY, KEY)) == 1

    failing_once("refresh", sqlite3.OperationalError("disk I/O error"))
    with pytest.raises(sqlite3.OperationalError):
        first.api_keys()
    second.authenticate("made0001", FIRST)
    assert first.api_keys() == ["made0001", KEY]  # the next read takes in the other worker's change

    failing_once("commit", sqlite3.OperationalError("database or disk is full"))
    with pytest.raises(sqlite3.OperationalError):
        first.create_secret(KEY, KEY, SECOND)
    assert len(first.list_secrets(KEY, KEY)) == 1 and not first.verifies(KEY, SECOND)
    first.create_secret(KEY, KEY, SECOND)
    assert second.verifies(KEY, SECOND)
