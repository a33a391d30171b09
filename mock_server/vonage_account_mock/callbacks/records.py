"""The record of every callback: what is sent where, its attempts, and which are due when, kept by a `DeliveryBook`.

The dispatcher decides (what to send, when to retry, when to give up); a book only keeps: `MemoryBook` in one
process, `SqliteBook` (`shared_book`) in the state file, so that a mock's workers share one set of deliveries, the
bounds on them, and one owner per attempt.
"""

from __future__ import annotations

import heapq
import threading
from collections import OrderedDict
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

USER_AGENT = "Nexmo/MessagingHUB/v1.0"


class DeliveryQueueFull(Exception):
    """Too many callbacks are still pending (being sent or waiting for a retry)."""


@dataclass(frozen=True)
class Attempt:
    """One try at sending a callback."""

    number: int
    at: float
    status: int | None
    error: str | None
    duration_ms: float

    def as_dict(self) -> dict[str, Any]:
        """The attempt as the control API shows it."""
        return {
            "number": self.number,
            "at": _iso(self.at),
            "status": self.status,
            "error": self.error,
            "duration_ms": self.duration_ms,
        }


@dataclass
class Delivery:
    """One callback: what is sent where, and every attempt so far."""

    id: str
    account: str
    kind: str
    url: str
    forward_method: str
    http_method: str
    content_type: str | None
    fields: dict[str, str]
    max_attempts: int
    created_at: float
    state: str = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    next_due: float | None = None
    """When the next attempt is due, in service time."""

    def as_dict(self, service_now: float) -> dict[str, Any]:
        """The delivery as the control API shows it."""
        headers = {"User-Agent": USER_AGENT}
        if self.content_type:
            headers["Content-Type"] = self.content_type
        return {
            "id": self.id,
            "account": self.account,
            "kind": self.kind,
            "state": self.state,
            "request": {
                "method": self.http_method,
                "url": self.url,
                "forward_method": self.forward_method,
                "headers": headers,
                "fields": dict(self.fields),
            },
            "attempts": [attempt.as_dict() for attempt in self.attempts],
            "max_attempts": self.max_attempts,
            "next_attempt_in_s": None if self.next_due is None else round(max(0.0, self.next_due - service_now), 3),
            "created_at": _iso(self.created_at),
        }


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Bounds:
    """What a book may hold: pending callbacks in all and per account, finished ones kept for the listing."""

    max_pending: int
    account_pending: int
    max_records: int

    def check(self, pending: int, own: int, adding: int) -> None:
        """DeliveryQueueFull when `adding` more would pass a bound (`own`: the account's pending ones)."""
        if own + adding > self.account_pending:
            raise DeliveryQueueFull(
                f"{own} of this account's callbacks are still pending (at most {self.account_pending} per account): "
                "its receiver is slow or failing; wait for their retries to end, or reset the account"
            )
        if pending + adding > self.max_pending:
            raise DeliveryQueueFull(
                f"{pending} callbacks are still pending (at most {self.max_pending}): receivers are slow or failing; "
                "wait for their retries to end, or reset"
            )


class DeliveryBook(Protocol):
    """Where a dispatcher keeps its deliveries. Every method is atomic; thread-safe.

    An attempt is made by one owner: `admit` makes the caller the owner of the new deliveries' first attempts,
    `take_due` of the due ones it returns; `start` and `finish` check the caller still owns it (a delivery cleared, or
    taken over from an owner that died, is not the caller's any more).
    """

    @property
    def poll_every(self) -> float | None:
        """Wall seconds after which the timer looks for due retries again, however far the next one it knows of
        (other processes schedule some); None: only when told."""

    def admit(self, records: list[Delivery], bounds: Bounds) -> list[Delivery]:
        """Record new deliveries (ids given here), or refuse them all with DeliveryQueueFull."""

    def start(self, delivery_id: str) -> Delivery | None:
        """The delivery, for an attempt by its owner (its `next_due` cleared); None when there is none to make."""

    def finish(self, record: Delivery, attempt: Attempt, state: str, next_due: float | None) -> bool:
        """Add an attempt to a started delivery, with its new state and when the next is due; False when the
        delivery was cleared meanwhile (nothing is recorded)."""

    def take_due(self, until: float, limit: int | None = None, *, advancing: bool = False) -> list[str]:
        """The deliveries due by `until` (service time), earliest first, now the caller's to attempt; none for a
        timer (`advancing` False) while an `advance` is under way: it makes them, and counts them."""

    def advancing(self, within: float) -> AbstractContextManager[None]:
        """An `advance` under way (for at most `within` wall seconds, should its process die)."""

    def next_due(self) -> float | None:
        """When the earliest retry falls due (service time), whoever makes it."""

    def busy_elsewhere(self) -> bool:
        """Whether another process is making an attempt now (whose retry may fall due)."""

    def get(self, ids: list[str]) -> list[Delivery]:
        """The deliveries of these ids still kept."""

    def listing(self, account: str | None, kind: str | None) -> list[Delivery]:
        """Every delivery kept (of one account, of one kind), oldest first."""

    def clear(self, account: str | None) -> None:
        """Forget deliveries (all, or one account's): no attempt of theirs is made or recorded after this."""

    def pending(self) -> int:
        """Callbacks not yet delivered or given up on."""

    def skipped(self) -> float:
        """Service seconds skipped by `advance`."""

    def skip(self, seconds: float) -> None:
        """Skip service seconds."""


def _copy(record: Delivery) -> Delivery:
    """A copy to read outside the book's lock: attempts go on being added to the original."""
    return replace(record, attempts=list(record.attempts))


class MemoryBook:
    """The deliveries of one process, in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: OrderedDict[str, Delivery] = OrderedDict()
        self._due: list[tuple[float, int, str]] = []
        self._next_id = 1
        self._skipped = 0.0

    @property
    def poll_every(self) -> float | None:
        return None

    def admit(self, records: list[Delivery], bounds: Bounds) -> list[Delivery]:
        with self._lock:
            # Counted and recorded under one lock: triggers arriving together cannot pass the bound together.
            pending = [record.account for record in self._records.values() if record.state == "pending"]
            bounds.check(len(pending), sum(account == records[0].account for account in pending), len(records))
            for record in records:
                record.id = f"dlv-{self._next_id}"
                self._next_id += 1
                self._records[record.id] = record
            excess = len(self._records) - bounds.max_records
            if excess > 0:
                for key in [key for key, kept in self._records.items() if kept.state != "pending"][:excess]:
                    del self._records[key]
        return records

    def start(self, delivery_id: str) -> Delivery | None:
        with self._lock:
            record = self._records.get(delivery_id)
            if record is None or record.state != "pending":
                return None
            record.next_due = None
            return record

    def finish(self, record: Delivery, attempt: Attempt, state: str, next_due: float | None) -> bool:
        with self._lock:
            if self._records.get(record.id) is not record:
                return False
            record.attempts.append(attempt)
            record.state = state
            record.next_due = next_due
            if next_due is not None:
                heapq.heappush(self._due, (next_due, attempt.number, record.id))
            return True

    def take_due(self, until: float, limit: int | None = None, *, advancing: bool = False) -> list[str]:
        # One process, one loop: the timer and an advance never take the same entry, and the advance counts what
        # it makes itself.
        found: list[str] = []
        with self._lock:
            while self._due and self._due[0][0] <= until and (limit is None or len(found) < limit):
                found.append(heapq.heappop(self._due)[2])
        return found

    def next_due(self) -> float | None:
        with self._lock:
            return self._due[0][0] if self._due else None

    def advancing(self, within: float) -> AbstractContextManager[None]:
        return nullcontext()

    def busy_elsewhere(self) -> bool:
        return False

    def get(self, ids: list[str]) -> list[Delivery]:
        with self._lock:
            return [_copy(self._records[i]) for i in ids if i in self._records]

    def listing(self, account: str | None, kind: str | None) -> list[Delivery]:
        with self._lock:
            return [
                _copy(record)
                for record in self._records.values()
                if (account is None or record.account == account) and (kind is None or record.kind == kind)
            ]

    def clear(self, account: str | None) -> None:
        with self._lock:
            doomed = [key for key, record in self._records.items() if account is None or record.account == account]
            for key in doomed:
                del self._records[key]
            gone = set(doomed)
            self._due = [entry for entry in self._due if entry[2] not in gone]
            heapq.heapify(self._due)

    def pending(self) -> int:
        with self._lock:
            return sum(1 for record in self._records.values() if record.state == "pending")

    def skipped(self) -> float:
        return self._skipped

    def skip(self, seconds: float) -> None:
        with self._lock:
            self._skipped += seconds
