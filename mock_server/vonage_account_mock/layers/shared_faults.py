"""Fault plans kept in the state file, for `--workers`: a plan added through one worker fires on whichever worker
the matching request reaches, as many times as planned, all workers counting together."""

from __future__ import annotations

from typing import Any

import orjson

from vonage_account_mock.layers.faults import FaultBook, FaultPlan, ResponseCatalog
from vonage_account_mock.state.store import StateFile


class SharedFaultBook(FaultBook):
    """A FaultBook whose plans live in the state file's `faults` table; each firing is one `BEGIN IMMEDIATE`.

    `active` (asked by every request) costs one `PRAGMA data_version` while nothing was committed meanwhile.
    """

    def __init__(self, catalog: ResponseCatalog, state_file: StateFile) -> None:
        super().__init__(catalog)
        self._db = state_file.connect()
        self._seen_version = -1
        self._count = 0

    def _transaction(self) -> Any:
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def _finish(self, failed: bool) -> None:
        self._db.execute("ROLLBACK" if failed else "COMMIT")
        self._count = self._db.execute("SELECT count(*) FROM faults").fetchone()[0]

    def add(self, operation_id: str, **kwargs: Any) -> FaultPlan:
        checked = super().add(operation_id, **kwargs)  # the spec's checks; the plan is then kept in the file alone
        with self._lock:
            self._plans.clear()
            db = self._transaction()
            try:
                number = db.execute("SELECT coalesce(max(seq), 0) + 1 FROM faults").fetchone()[0]
                plan = FaultPlan(**{**checked.as_dict(), "id": f"fault-{number}"})
                db.execute("INSERT INTO faults VALUES (?, ?, ?)", (plan.id, number, orjson.dumps(plan.as_dict())))
            except BaseException:
                self._finish(failed=True)
                raise
            self._finish(failed=False)
            return plan

    def _all(self) -> list[FaultPlan]:
        rows = self._db.execute("SELECT plan FROM faults ORDER BY seq").fetchall()
        return [FaultPlan(**orjson.loads(row[0])) for row in rows]

    def take(self, operation_id: str, account: str | None) -> FaultPlan | None:
        with self._lock:
            self._transaction()
            fired: FaultPlan | None = None
            try:
                for plan in self._all():
                    if plan.operation_id != operation_id or (plan.account is not None and plan.account != account):
                        continue
                    if plan.times is not None and plan.fired >= plan.times:
                        continue
                    plan.fired += 1
                    self._db.execute("UPDATE faults SET plan = ? WHERE id = ?", (orjson.dumps(plan.as_dict()), plan.id))
                    fired = plan
                    break
            except BaseException:
                self._finish(failed=True)
                raise
            self._finish(failed=False)
            return fired

    @property
    def active(self) -> bool:
        with self._lock:
            version = self._db.execute("PRAGMA data_version").fetchone()[0]
            if version != self._seen_version:
                self._seen_version = version
                self._count = self._db.execute("SELECT count(*) FROM faults").fetchone()[0]
            return self._count > 0

    def plans(self) -> list[FaultPlan]:
        with self._lock:
            return self._all()

    def remove(self, plan_id: str) -> bool:
        with self._lock:
            self._transaction()
            removed = self._db.execute("DELETE FROM faults WHERE id = ?", (plan_id,)).rowcount
            self._finish(failed=False)
            return bool(removed)

    def clear(self, account: str | None = None) -> None:
        with self._lock:
            self._transaction()
            if account is None:
                self._db.execute("DELETE FROM faults")
            else:
                for plan in self._all():
                    if plan.account == account:
                        self._db.execute("DELETE FROM faults WHERE id = ?", (plan.id,))
            self._finish(failed=False)
