"""The callbacks kept in the state file, for `--workers`: one set of deliveries per mock, whichever worker took the
trigger, with one owner per attempt.

A delivery's row names the process making its attempt (`owner`, until `owned_until`): the worker that took the
trigger owns the first attempts; a due retry goes to the first worker whose timer (or `advance`) claims it, in one
`BEGIN IMMEDIATE`, so no attempt is made twice; a claim whose owner died runs out and another worker takes it over.
The bounds on pending callbacks are counted in the same transaction as the insert, across every worker. The
service's time is shared too: its start and what `advance` skipped live in the workers' shared memory.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from vonage_account_mock.callbacks.records import Attempt, Bounds, Delivery
from vonage_account_mock.state.store import ChangeSignal, StateFile

POLL_EVERY_S = 0.05
"""How often each worker looks for retries that fell due (others' included)."""

_COLUMNS = "seq, state, next_due, doc"


def _id(seq: int) -> str:
    return f"dlv-{seq}"


def _seq(delivery_id: str) -> int | None:
    number = delivery_id.removeprefix("dlv-")
    return int(number) if number.isdigit() else None


def _document(record: Delivery) -> bytes:
    return orjson.dumps(
        {
            "account": record.account,
            "kind": record.kind,
            "url": record.url,
            "forward_method": record.forward_method,
            "http_method": record.http_method,
            "content_type": record.content_type,
            "fields": record.fields,
            "max_attempts": record.max_attempts,
            "created_at": record.created_at,
            "attempts": [[a.number, a.at, a.status, a.error, a.duration_ms] for a in record.attempts],
        }
    )


def _record(row: tuple[Any, ...]) -> Delivery:
    seq, state, next_due, doc = row
    fields = orjson.loads(doc)
    attempts = [Attempt(*attempt) for attempt in fields.pop("attempts")]
    return Delivery(id=_id(seq), state=state, next_due=next_due, attempts=attempts, **fields)


class SqliteBook:
    """A DeliveryBook in the state file's `deliveries` table, shared by the workers serving it.

    `lease_s` is how long a claim lasts: longer than one attempt can take (its name lookup and its send, each
    within the policy's timeout), so that a claim runs out only when its owner is gone. `owner` names the worker in
    its claims: the id of the process building the book by default (each worker builds its own after the fork).
    """

    def __init__(self, state_file: StateFile, lease_s: float, *, owner: int | None = None) -> None:
        if state_file.signal is None:
            raise ValueError("shared callbacks need a state file shared by workers (StateFile.share)")
        self._signal: ChangeSignal = state_file.signal
        self._lease_s = lease_s
        self._me = os.getpid() if owner is None else owner
        self._db = state_file.connect()
        self._lock = threading.Lock()

    @staticmethod
    def forget_all(state_file: StateFile) -> None:
        """Drop the deliveries of an earlier run (a new mock's service time starts again), before workers start."""
        db = state_file.connect()
        try:
            db.execute("DELETE FROM deliveries")
        finally:
            db.close()

    @property
    def poll_every(self) -> float | None:
        return POLL_EVERY_S

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()

    def admit(self, records: list[Delivery], bounds: Bounds) -> list[Delivery]:
        me, until = self._me, time.time() + self._lease_s * len(records)
        with self._transaction() as db:
            pending, own = db.execute(
                "SELECT count(*), coalesce(sum(account = ?), 0) FROM deliveries WHERE state = 'pending'",
                (records[0].account,),
            ).fetchone()
            bounds.check(pending, own, len(records))
            for record in records:
                cursor = db.execute(
                    "INSERT INTO deliveries (account, kind, state, owner, owned_until, doc) VALUES (?, ?, ?, ?, ?, ?)",
                    (record.account, record.kind, record.state, me, until, _document(record)),
                )
                assert cursor.lastrowid is not None
                record.id = _id(cursor.lastrowid)
            excess = db.execute("SELECT count(*) FROM deliveries").fetchone()[0] - bounds.max_records
            if excess > 0:
                db.execute(
                    "DELETE FROM deliveries WHERE seq IN "
                    "(SELECT seq FROM deliveries WHERE state != 'pending' ORDER BY seq LIMIT ?)",
                    (excess,),
                )
        return records

    def start(self, delivery_id: str) -> Delivery | None:
        seq = _seq(delivery_id)
        with self._transaction() as db:
            row = db.execute(f"SELECT {_COLUMNS}, owner FROM deliveries WHERE seq = ?", (seq,)).fetchone()
            if row is None or row[1] != "pending" or row[4] != self._me:
                return None
            db.execute(
                "UPDATE deliveries SET next_due = NULL, owned_until = ? WHERE seq = ?",
                (time.time() + self._lease_s, seq),
            )
        record = _record(row[:4])
        record.next_due = None
        return record

    def finish(self, record: Delivery, attempt: Attempt, state: str, next_due: float | None) -> bool:
        seq = _seq(record.id)
        with self._transaction() as db:
            row = db.execute(f"SELECT {_COLUMNS}, owner FROM deliveries WHERE seq = ?", (seq,)).fetchone()
            if row is None or row[4] != self._me:
                return False  # cleared meanwhile, or taken over (its owner seemed gone): the attempt is not kept
            kept = _record(row[:4])
            kept.attempts.append(attempt)
            db.execute(
                "UPDATE deliveries SET state = ?, next_due = ?, owner = NULL, owned_until = NULL, doc = ? "
                "WHERE seq = ?",
                (state, next_due, _document(kept), seq),
            )
        return True

    def take_due(self, until: float, limit: int | None = None, *, advancing: bool = False) -> list[str]:
        if not advancing and time.monotonic() < self._signal.callbacks_advanced_until():
            return []  # a worker's advance makes them, in order, and counts them
        me, now = self._me, time.time()
        due = (
            "SELECT seq FROM deliveries WHERE state = 'pending' AND ((owner IS NULL AND next_due <= ?) OR "
            "(owner IS NOT NULL AND owned_until < ?)) ORDER BY coalesce(next_due, 0), seq LIMIT ?"
        )
        parameters = (until, now, -1 if limit is None else limit)
        if not self._read(due, parameters):
            return []  # the timers' usual look, every POLL_EVERY_S: a read, never the file's write lock
        with self._transaction() as db:
            rows = db.execute(due, parameters).fetchall()
            db.executemany(
                "UPDATE deliveries SET owner = ?, owned_until = ? WHERE seq = ?",
                [(me, now + self._lease_s, seq) for (seq,) in rows],
            )
        return [_id(seq) for (seq,) in rows]

    def next_due(self) -> float | None:
        rows = self._read("SELECT min(next_due) FROM deliveries WHERE state = 'pending' AND owner IS NULL")
        due: float | None = rows[0][0]
        return due

    @contextmanager
    def advancing(self, within: float) -> Iterator[None]:
        self._signal.set_callbacks_advanced_until(time.monotonic() + within)
        try:
            yield
        finally:
            self._signal.set_callbacks_advanced_until(0.0)

    def busy_elsewhere(self) -> bool:
        rows = self._read(
            "SELECT 1 FROM deliveries WHERE state = 'pending' AND owner IS NOT NULL AND owner != ? "
            "AND owned_until >= ? LIMIT 1",
            (self._me, time.time()),
        )
        return bool(rows)

    def get(self, ids: list[str]) -> list[Delivery]:
        seqs = [seq for seq in map(_seq, ids) if seq is not None]
        marks = ", ".join("?" * len(seqs))
        rows = self._read(f"SELECT {_COLUMNS} FROM deliveries WHERE seq IN ({marks}) ORDER BY seq", tuple(seqs))
        return [_record(row) for row in rows]

    def listing(self, account: str | None, kind: str | None) -> list[Delivery]:
        rows = self._read(
            f"SELECT {_COLUMNS} FROM deliveries WHERE (?1 IS NULL OR account = ?1) AND (?2 IS NULL OR kind = ?2) "
            "ORDER BY seq",
            (account, kind),
        )
        return [_record(row) for row in rows]

    def clear(self, account: str | None) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM deliveries WHERE ?1 IS NULL OR account = ?1", (account,))

    def pending(self) -> int:
        count: int = self._read("SELECT count(*) FROM deliveries WHERE state = 'pending'")[0][0]
        return count

    def skipped(self) -> float:
        return self._signal.callbacks_skipped()

    def skip(self, seconds: float) -> None:
        # Inside a write transaction: two workers' advance() calls add up instead of one overwriting the other.
        with self._transaction():
            self._signal.set_callbacks_skipped(self._signal.callbacks_skipped() + seconds)
