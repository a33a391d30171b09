"""The journal kept in the state file, for `--workers`: one journal per mock, whichever worker answered.

Recording stays off the request's path: a worker appends the entry to a list, and a thread of its own writes the
list to the file every few milliseconds, marking in the workers' shared memory up to when its entries are written.
A read first writes its own worker's list, then waits (at most WAIT_S) until every worker's mark has passed the
moment the read began, so it sees every request answered before it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from typing import Any, Unpack

import orjson

from vonage_account_mock.layers.journal import MAX_ENTRIES, Journal, JournalEntry, JournalFilters, _about
from vonage_account_mock.state.store import ChangeSignal, StateFile

FLUSH_EVERY_S = 0.005
WAIT_S = 2.0
log = logging.getLogger("vonage_account_mock")


def _dump(fields: tuple[Any, ...]) -> bytes:
    try:
        return orjson.dumps(fields)
    except TypeError:  # what orjson refuses (an integer beyond 64 bits in a kept body)
        return json.dumps(fields, default=str).encode()


class SharedJournal(Journal):
    """A Journal whose entries live in the state file's `journal` table, shared by every worker."""

    def __init__(self, state_file: StateFile, max_entries: int = MAX_ENTRIES) -> None:
        super().__init__(max_entries)
        if state_file.signal is None:
            raise ValueError("a shared journal needs a state file shared by workers (StateFile.share)")
        self._signal: ChangeSignal = state_file.signal
        self._max_entries = max_entries
        self._db = state_file.connect()
        self._db_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        threading.Thread(target=self._keep_flushing, name="vonage-account-mock-journal", daemon=True).start()

    def _flush(self) -> None:
        # One flush at a time (the thread's, a reader's catching up), each taking the journal's lock and then the
        # file's in turn, never one inside the other: `entries` reads the file holding the journal's lock.
        with self._flush_lock:
            moment = time.monotonic()
            # What `record` appended (numbered by this worker alone): renumbered by the file, in the mock's order.
            with self._lock:
                pending = list(self._entries)
                self._entries.clear()
            if pending:
                rows = [(_dump(entry[1:]),) for entry in pending]
                with self._db_lock:
                    self._write(rows)
            self._signal.mark_flushed(moment)

    def _write(self, rows: list[tuple[bytes]]) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("INSERT INTO journal (entry) VALUES (?)", rows)
            self._db.execute(
                "DELETE FROM journal WHERE seq <= (SELECT max(seq) FROM journal) - ?", (self._max_entries,)
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _keep_flushing(self) -> None:
        while True:
            time.sleep(FLUSH_EVERY_S)
            try:
                self._flush()
            except sqlite3.Error:  # pragma: no cover - a full disk: the entries wait for the next try
                log.exception("writing the journal to the state file failed")

    def _catch_up(self) -> None:
        """Wait until every entry recorded by any worker before now is in the file."""
        moment = time.monotonic()
        self._flush()
        deadline = moment + WAIT_S
        while self._signal.flushed() < moment and time.monotonic() < deadline:
            time.sleep(0.001)

    def entries(self, **filters: Unpack[JournalFilters]) -> list[JournalEntry]:
        self._catch_up()
        return super().entries(**filters)

    def _kept(self) -> list[JournalEntry]:
        with self._db_lock:
            rows = self._db.execute("SELECT seq, entry FROM journal ORDER BY seq").fetchall()
        return [JournalEntry(seq, *orjson.loads(entry)) for seq, entry in rows]

    def clear(self, account: str | None = None) -> None:
        self._catch_up()
        with self._db_lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if account is None:
                    self._db.execute("DELETE FROM journal")
                    self._db.execute("DELETE FROM sqlite_sequence WHERE name = 'journal'")  # numbered from 1 again
                else:
                    rows = self._db.execute("SELECT seq, entry FROM journal").fetchall()
                    doomed = [(seq,) for seq, entry in rows if _about(JournalEntry(seq, *orjson.loads(entry)), account)]
                    self._db.executemany("DELETE FROM journal WHERE seq = ?", doomed)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
