"""Where the accounts are kept beyond the backend's own dicts: the seam between the rules and their storage.

Without a store (the default) the backend's dicts are the whole state, in memory, as fast as ever. With a `Store`,
every change the backend makes is committed before the method returns (so before any HTTP answer is sent), and every
method first takes in what other processes committed. `SqliteStore` is the one store built: one SQLite file in WAL
mode that a mock's workers share. docs/how-to/sandbox.md says what a PostgreSQL store behind the same interface
would need.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import sqlite3
import stat
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import orjson

from vonage_account_mock.state.codec import BadDocument, account_document, account_from_document
from vonage_account_mock.state.records import Account

APPLICATION_ID = 0x56414D31
"""`PRAGMA application_id` of a state file ("VAM1"): how a SQLite file of something else is told apart."""
_SQLITE_HEADER = b"SQLite format 3\x00"
MAX_TOMBSTONES = 10_000
"""Removed accounts remembered (so other workers forget them too) before the file is compacted in one go."""


class StateFileError(Exception):
    """A state file that cannot be used: the message is one line saying what to do."""


@dataclass
class Changes:
    """What a store holds that the backend has not seen: everything (`full`), or the accounts changed since."""

    full: bool
    accounts: dict[str, Account | None] = field(default_factory=dict)
    """The changed accounts; None for one removed."""
    provisioned: list[str] = field(default_factory=list)
    """Those of `accounts` made on first use, oldest first."""
    salt: bytes | None = None
    """The digests' salt (with `full`); None in a store never written."""


class Store(Protocol):
    """What the backend needs of a store. Calls come under the backend's lock, one at a time per process."""

    def load(self) -> Changes:
        """Everything the store holds."""

    def refresh(self) -> Changes | None:
        """What other processes committed since this one last looked (None: nothing, at the cost of one check)."""

    def begin(self) -> Changes | None:
        """Start a write, exclusive across every process sharing the store, with what changed meanwhile."""

    def commit(self, rows: dict[str, tuple[Account, bool] | None], *, full: bool, salt: bytes) -> None:
        """Make the write's changes durable: each changed account (with whether it was made on first use) or None
        for one removed; `full` when `rows` is the whole state, replacing everything."""

    def rollback(self) -> None:
        """Abandon the write under way."""

    def close(self) -> None:
        """Release the store."""


# -- the file, its schema and its claim ------------------------------------------------------------------------------


def _schema_1(connection: sqlite3.Connection) -> None:
    connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID")
    connection.execute(
        "CREATE TABLE accounts (api_key TEXT PRIMARY KEY, doc BLOB, provisioned INTEGER, rev INTEGER NOT NULL)"
    )
    connection.execute("CREATE INDEX accounts_by_rev ON accounts (rev)")
    # A mock's fault plans when its workers share them (`--workers`): a JSON document per plan, in order.
    connection.execute("CREATE TABLE faults (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, plan BLOB NOT NULL)")
    # And its journal: an entry's fields as a JSON array, numbered in the order the workers wrote them.
    connection.execute("CREATE TABLE journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry BLOB NOT NULL)")
    connection.executemany(
        "INSERT INTO meta VALUES (?, ?)", [("generation", 0), ("rev", 0), ("tombstones", 0), ("salt", None)]
    )


def _schema_2(connection: sqlite3.Connection) -> None:
    # The callbacks of a mock whose workers share them: one row per delivery, `owner` the process making its
    # attempt (until `owned_until`, wall time), `next_due` in the service's time, the rest a JSON document.
    connection.execute(
        "CREATE TABLE deliveries (seq INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, kind TEXT NOT NULL, "
        "state TEXT NOT NULL, next_due REAL, owner INTEGER, owned_until REAL, doc BLOB NOT NULL)"
    )
    connection.execute("CREATE INDEX deliveries_by_state ON deliveries (state, next_due)")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_schema_1, _schema_2)
"""MIGRATIONS[n] takes a file from schema version n to n + 1 (0: a new, empty file); append, never edit."""
SCHEMA_VERSION = len(MIGRATIONS)


def _refuse_links(path: Path) -> None:
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if name.is_symlink():
            raise StateFileError(f"--state {name} is a symbolic link: give the path of the file itself")


def _open_claimed(path: Path) -> tuple[int, bool]:
    """The file's descriptor, created 0600 if missing (never through a link), locked for this mock alone."""
    _refuse_links(path)
    flags = os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC
    created = False
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
        created = True
    except FileExistsError:
        try:
            fd = os.open(path, flags)
        except OSError as error:
            raise StateFileError(f"cannot open --state {path}: {error.strerror or error}") from None
    except OSError as error:
        raise StateFileError(f"cannot create --state {path}: {error.strerror or error}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise StateFileError(f"--state {path} is not a regular file: give a file's path")
        if created:
            os.fchmod(fd, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StateFileError(
                f"--state {path} is in use by another running mock: stop it, or give another file "
                "(one mock's --workers share the file)"
            ) from None
    except BaseException:
        os.close(fd)
        raise
    return fd, created


def _connect(path: Path, synchronous: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=60)
    connection.execute(f"PRAGMA synchronous = {synchronous}")
    return connection


def _prepare(path: Path, fd: int) -> None:
    """Check the file is a state file of a schema this version reads, and bring it to the current schema."""
    header = os.pread(fd, len(_SQLITE_HEADER), 0)
    if header and header != _SQLITE_HEADER:
        raise StateFileError(f"--state {path} is not a vonage-account-mock state file: give another path")
    try:
        connection = _connect(path, "FULL")
    except sqlite3.DatabaseError as error:
        raise StateFileError(
            f"--state {path} is not a vonage-account-mock state file ({error}): give another path"
        ) from None
    try:
        fresh = not header
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if not fresh and application_id != APPLICATION_ID:
            raise StateFileError(f"--state {path} is not a vonage-account-mock state file: give another path")
        if version > SCHEMA_VERSION:
            raise StateFileError(
                f"--state {path} has schema {version}, newer than this vonage-account-mock reads ({SCHEMA_VERSION}): "
                "upgrade vonage-account-mock, or give another file"
            )
        if fresh:
            # Small pages: a commit writes three of them to the WAL (the account's, its index entry's, meta's), and
            # every byte written is a byte a checkpoint must flush.
            connection.execute("PRAGMA page_size = 1024")
        if connection.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise StateFileError(f"--state {path}: SQLite cannot keep it in WAL mode; give a file on a local disk")
        if version < SCHEMA_VERSION:
            connection.execute("BEGIN IMMEDIATE")
            for migrate in MIGRATIONS[version:]:
                migrate(connection)
            connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.execute("COMMIT")
    except sqlite3.DatabaseError as error:
        reason = f"--state {path} is not a vonage-account-mock state file ({error}): give another path"
        raise StateFileError(reason) from None
    finally:
        connection.close()


class ChangeSignal:
    """The revision of the last write, in memory shared by a mock's forked workers (an anonymous shared mapping,
    made before the fork): a read compares one integer instead of asking SQLite whether anything changed.

    A writer sets its revision inside its transaction (so writes set it in order) and answers after its COMMIT; a
    reader that finds a value other than the revision it last read from the file reads the file again. So a request
    that starts after an answer sees that answer's change.
    """

    MAX_WORKERS = 64

    def __init__(self) -> None:
        self._memory = mmap.mmap(-1, 8 * (3 + self.MAX_WORKERS))
        self.callbacks_began = time.monotonic()
        """When the callbacks' service time began, the same for every worker (time.monotonic() is system-wide)."""
        self.worker = 0
        """Which worker this process is (set in each worker after the fork), for its flush mark."""
        for index in range(self.MAX_WORKERS):
            self.forget_worker(index)

    def get(self) -> int:
        value: int = struct.unpack_from("q", self._memory)[0]
        return value

    def set(self, revision: int) -> None:
        struct.pack_into("q", self._memory, 0, revision)

    def mark_flushed(self, moment: float) -> None:
        """This worker's journal holds, in the file, every entry recorded before `moment` (time.monotonic())."""
        struct.pack_into("d", self._memory, 8 * (1 + self.worker), moment)

    def flushed(self) -> float:
        """The moment before which every worker's entries are in the file (the slowest worker's mark)."""
        marks: tuple[float, ...] = struct.unpack_from(f"{self.MAX_WORKERS}d", self._memory, 8)
        return min(marks)

    def callbacks_skipped(self) -> float:
        """Service seconds the workers' callbacks skipped (`advance`)."""
        value: float = struct.unpack_from("d", self._memory, 8 * (1 + self.MAX_WORKERS))[0]
        return value

    def set_callbacks_skipped(self, seconds: float) -> None:
        struct.pack_into("d", self._memory, 8 * (1 + self.MAX_WORKERS), seconds)

    def callbacks_advanced_until(self) -> float:
        """Until when (time.monotonic()) a worker's `advance` makes the due attempts, the other timers standing by."""
        value: float = struct.unpack_from("d", self._memory, 8 * (2 + self.MAX_WORKERS))[0]
        return value

    def set_callbacks_advanced_until(self, moment: float) -> None:
        struct.pack_into("d", self._memory, 8 * (2 + self.MAX_WORKERS), moment)

    def forget_worker(self, index: int) -> None:
        """A worker that is gone (or never was) holds back no one."""
        struct.pack_into("d", self._memory, 8 * (1 + index), float("inf"))


class StateFile:
    """A state file checked, migrated and claimed for one mock: its workers (forked after) share the claim.

    `signal` is None while one process alone uses the file (the claim keeps every other mock out, so nothing else
    writes it); `share()` before forking workers makes the signal they read.
    """

    def __init__(self, path: Path | str, *, synchronous: str = "NORMAL") -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError("synchronous is NORMAL or FULL")
        self.path = Path(path)
        self.synchronous = synchronous
        self.signal: ChangeSignal | None = None
        self._fd, self.created = _open_claimed(self.path)
        try:
            _prepare(self.path, self._fd)
        except BaseException:
            self.release()
            raise

    def share(self) -> None:
        """Prepare for several processes (forked after this) to share the file."""
        if self.signal is None:
            self.signal = ChangeSignal()

    def connect(self) -> sqlite3.Connection:
        """A connection of its own to the file for the tables beside the accounts (faults, journal, callbacks):
        statements in explicit transactions, commits flushed as the accounts' are by default, no automatic
        checkpoint (the store's thread makes them, off the request path)."""
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=60)
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA wal_autocheckpoint = 0")
        return connection

    def release(self) -> None:
        """Give up the claim (another mock may then use the file)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


# -- the store -------------------------------------------------------------------------------------------------------


def _dumps(account: Account) -> bytes:
    return orjson.dumps(account_document(account, signature_secret=True))


def _loads(api_key: str, doc: bytes) -> Account:
    try:
        return account_from_document(orjson.loads(doc), where=f"account {api_key!r}", signature_secret=True)
    except (orjson.JSONDecodeError, BadDocument) as error:
        raise StateFileError(f"the state file holds an unreadable account: {error}") from None


class SqliteStore:
    """The accounts in a claimed state file, every write one `BEGIN IMMEDIATE` transaction.

    A write takes in what other processes committed before it changes anything, so a rule checked inside it (two
    secrets at most, the last one stays) holds across every worker. A read checks the workers' shared revision (no
    SQLite call at all when one process serves the file) and loads only the accounts changed since, by a revision
    number every commit raises.

    Checkpoints (copying the WAL into the file, with an fsync) run on a thread of their own every CHECKPOINT_EVERY_S,
    not inside a request's commit: SQLite's automatic checkpoint would make every thousandth write wait for a disk
    flush. A passive checkpoint never holds writers up, but under writes without a pause it never reaches the WAL's
    end, so the WAL would grow without bound: past WAL_PAGES_BOUND pages the thread makes a truncating one, which
    holds writers up (they wait for it) for as long as it takes. A commit is durable against the mock being killed
    once it is in the WAL, checkpointed or not.
    """

    CHECKPOINT_EVERY_S = 0.25
    WAL_PAGES_BOUND = 4096

    def __init__(self, state_file: StateFile) -> None:
        self.path = state_file.path
        self._connection = _connect(self.path, state_file.synchronous)
        self._connection.execute("PRAGMA wal_autocheckpoint = 0")
        self._signal = state_file.signal
        self._generation = -1
        self._rev = -1
        self._seen = -1
        self._tombstones = 0
        self._closed = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._keep_checkpointing,
            args=(_connect(self.path, state_file.synchronous),),
            name="vonage-account-mock-checkpoint",
            daemon=True,
        )
        self._checkpointer.start()

    def _keep_checkpointing(self, connection: sqlite3.Connection) -> None:
        try:
            while not self._closed.wait(self.CHECKPOINT_EVERY_S):
                try:
                    _, pages, _ = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if pages > self.WAL_PAGES_BOUND:
                        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                except sqlite3.Error:  # pragma: no cover - busy or a full disk: the next round tries again
                    pass
        finally:
            connection.close()

    def _meta(self) -> dict[str, object]:
        return dict(self._connection.execute("SELECT key, value FROM meta").fetchall())

    def _read_all(self, meta: dict[str, object]) -> Changes:
        changes = Changes(full=True, salt=meta["salt"] if isinstance(meta["salt"], bytes) else None)
        provisioned: list[tuple[int, str]] = []
        for api_key, doc, order in self._connection.execute(
            "SELECT api_key, doc, provisioned FROM accounts WHERE doc IS NOT NULL"
        ):
            changes.accounts[api_key] = _loads(api_key, doc)
            if order is not None:
                provisioned.append((order, api_key))
        changes.provisioned = [key for _, key in sorted(provisioned)]
        return changes

    def _changes(self) -> Changes | None:
        meta = self._meta()
        generation, rev = int(meta["generation"]), int(meta["rev"])  # type: ignore[call-overload]
        self._tombstones = int(meta["tombstones"])  # type: ignore[call-overload]
        if generation != self._generation:
            changes: Changes | None = self._read_all(meta)
        elif rev == self._rev:
            changes = None
        else:
            changes = Changes(full=False)
            for api_key, doc, order in self._connection.execute(
                "SELECT api_key, doc, provisioned FROM accounts WHERE rev > ? ORDER BY rev", (self._rev,)
            ):
                changes.accounts[api_key] = None if doc is None else _loads(api_key, doc)
                if doc is not None and order is not None:
                    changes.provisioned.append(api_key)
        self._generation, self._rev = generation, rev
        return changes

    def load(self) -> Changes:
        self._generation = -1
        self._connection.execute("BEGIN")
        try:
            changes = self._changes()
        finally:
            self._connection.execute("COMMIT")
        self._seen = self._rev
        assert changes is not None
        return changes

    def refresh(self) -> Changes | None:
        if self._signal is None:
            return None  # this process alone writes the file: its copy is the file's state
        if self._signal.get() == self._seen:
            return None
        self._connection.execute("BEGIN")
        try:
            return self._changes()
        finally:
            self._connection.execute("COMMIT")
            # The file's revision, not the signal's: a write that set the signal but has not committed yet is
            # read again next time.
            self._seen = self._rev

    def begin(self) -> Changes | None:
        self._connection.execute("BEGIN IMMEDIATE")
        if self._signal is None:
            return None
        try:
            return self._changes()
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise

    def commit(self, rows: dict[str, tuple[Account, bool] | None], *, full: bool, salt: bytes) -> None:
        execute = self._connection.execute
        try:
            rev = self._rev + 1
            tombstones = 0 if full else self._tombstones
            if full:
                execute("DELETE FROM accounts")
                execute("UPDATE meta SET value = ? WHERE key = 'salt'", (salt,))
                execute("UPDATE meta SET value = ? WHERE key = 'generation'", (self._generation + 1,))
            removed = [key for key, row in rows.items() if row is None]
            tombstones += len(removed)
            compact = tombstones > MAX_TOMBSTONES
            self._write_rows(rows, rev)
            if compact:
                # Every worker reloads once; the removed accounts are then forgotten for good.
                execute("DELETE FROM accounts WHERE doc IS NULL")
                execute("UPDATE meta SET value = ? WHERE key = 'generation'", (self._generation + 1,))
                tombstones = 0
            execute(
                "UPDATE meta SET value = CASE key WHEN 'rev' THEN ? ELSE ? END WHERE key IN ('rev', 'tombstones')",
                (rev, tombstones),
            )
            if self._signal is not None:
                self._signal.set(rev)
            execute("COMMIT")
        except BaseException:
            self.rollback()
            raise
        self._rev, self._tombstones = rev, tombstones
        if full or compact:
            self._generation += 1
        self._seen = rev

    def _write_rows(self, rows: dict[str, tuple[Account, bool] | None], rev: int) -> None:
        upserts: list[tuple[str, bytes | None, int | None, int]] = []
        for api_key, row in rows.items():
            if row is None:
                upserts.append((api_key, None, None, rev))
            else:
                account, provisioned = row
                upserts.append((api_key, _dumps(account), rev if provisioned else None, rev))
        # A key made on first use keeps its first revision as its age (its place in the least-recently-used order).
        self._connection.executemany(
            "INSERT INTO accounts (api_key, doc, provisioned, rev) VALUES (?, ?, ?, ?) ON CONFLICT (api_key) DO UPDATE "
            "SET doc = excluded.doc, rev = excluded.rev, provisioned = CASE WHEN excluded.provisioned IS NULL "
            "THEN NULL ELSE coalesce(accounts.provisioned, excluded.provisioned) END",
            upserts,
        )

    def rollback(self) -> None:
        if self._connection.in_transaction:
            self._connection.execute("ROLLBACK")

    def close(self) -> None:
        self._closed.set()
        self._checkpointer.join(5)
        self._connection.close()


def open_store(path: Path | str, *, synchronous: str = "NORMAL") -> tuple[StateFile, SqliteStore]:
    """Claim a state file and open a store on it (StateFileError: one line saying what to do)."""
    state_file = StateFile(path, synchronous=synchronous)
    return state_file, SqliteStore(state_file)


def all_rows(accounts: Iterable[Account], provisioned: Iterable[str]) -> dict[str, tuple[Account, bool] | None]:
    """The rows of a whole state, for a full commit."""
    made = set(provisioned)
    return {account.api_key: (account, account.api_key in made) for account in accounts}


class Holder(Protocol):
    """What a Guard needs of the state it guards (the backend)."""

    def apply_changes(self, changes: Changes) -> None:
        """Take in what the store holds that the state has not seen."""

    def take_pending(self) -> tuple[dict[str, tuple[Account, bool] | None], bool, bytes] | None:
        """The rows a write changed (None: nothing), whether they are the whole state, and the salt; then forget
        them."""


class Guard:
    """The backend's lock joined to a store: `write` commits what the block changed before the lock is let go (or
    takes the store's state back if the block or the commit failed); `read` takes in others' changes first."""

    def __init__(self, lock: threading.RLock, store: Store, holder: Holder) -> None:
        self._lock = lock
        self._store = store
        self._holder = holder
        self._depth = 0
        self._read_depth = 0
        self.write = _Write(self)
        self.read = _Read(self)

    def enter_write(self) -> None:
        self._enter(write=True)

    def _enter(self, *, write: bool) -> None:
        """Take the lock; the outermost block takes in what other processes committed (a write in a transaction)."""
        self._lock.acquire()
        if write:
            self._depth += 1
            outermost = self._depth == 1
        else:
            self._read_depth += 1
            # Inside a write or another read, the state stays as that one found it.
            outermost = not self._depth and self._read_depth == 1
        if not outermost:
            return
        try:
            changes = self._store.begin() if write else self._store.refresh()
            if changes is not None:
                self._holder.apply_changes(changes)
        except BaseException:
            if write:
                self._depth -= 1
            else:
                self._read_depth -= 1
            self._lock.release()
            raise

    def exit_write(self, failed: bool) -> None:
        try:
            if self._depth == 1:
                pending = self._holder.take_pending()
                if failed or pending is None:
                    self._store.rollback()
                    if pending is not None:
                        self._holder.apply_changes(self._store.load())  # undo what the failed block changed
                else:
                    rows, full, salt = pending
                    try:
                        self._store.commit(rows, full=full, salt=salt)
                    except BaseException:
                        self._holder.apply_changes(self._store.load())
                        raise
        finally:
            self._depth -= 1
            self._lock.release()

    def enter_read(self) -> None:
        self._enter(write=False)

    def exit_read(self) -> None:
        self._read_depth -= 1
        self._lock.release()


class _Write:
    def __init__(self, guard: Guard) -> None:
        self._guard = guard

    def __enter__(self) -> None:
        self._guard.enter_write()

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self._guard.exit_write(exc_type is not None)


class _Read:
    def __init__(self, guard: Guard) -> None:
        self._guard = guard

    def __enter__(self) -> None:
        self._guard.enter_read()

    def __exit__(self, *exc: object) -> None:
        self._guard.exit_read()
