"""Fault plans: the next N calls of an operation answer a declared error, late, or not at all."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import threading
import time
from collections.abc import Awaitable
from dataclasses import asdict, dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from vonage_account_mock.layers.asgi import send_response
from vonage_account_mock.layers.context import state_of
from vonage_account_mock.layers.journal import claimed_account
from vonage_account_mock.state.exceptions import new_instance_id
from vonage_account_spec import unknown_operation, unknown_status
from vonage_account_spec.model import Response, operation_model

MAX_DELAY_MS = 60_000


class InvalidFaultPlan(ValueError):
    """The plan cannot be honoured (unknown operation, undeclared status, contradictory actions)."""


@dataclass(frozen=True)
class CannedResponse:
    """A response the spec declares: its media type (None: no body) and its example."""

    media_type: str | None
    example: Any


class ResponseCatalog:
    """Every status each operation declares, with the example body the spec gives for it."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self._responses: dict[str, dict[int, CannedResponse]] = {
            operation_id: {status: self._canned(answer) for status, answer in operation.responses.items()}
            for operation_id, operation in operation_model(spec).items()
        }

    @staticmethod
    def _canned(response: Response) -> CannedResponse:
        if not response.content:
            return CannedResponse(None, None)
        first = response.content[0]
        return CannedResponse(first.media_type, first.example if first.has_example else None)

    def operations(self) -> list[str]:
        """Every operationId."""
        return sorted(self._responses)

    def statuses(self, operation_id: str) -> list[int]:
        """The statuses an operation declares."""
        return sorted(self._responses.get(operation_id, {}))

    def canned(self, operation_id: str, status: int) -> CannedResponse:
        """The declared response of an operation for a status."""
        return self._responses[operation_id][status]


@dataclass
class FaultPlan:
    """What to do to matching calls; `times` None means every call until removed."""

    id: str
    operation_id: str
    status: int | None = None
    delay_ms: int = 0
    drop: bool = False
    account: str | None = None
    times: int | None = 1
    fired: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The plan as the control API shows it."""
        return asdict(self)


class FaultBook:
    """The active fault plans, checked against the spec when added."""

    def __init__(self, catalog: ResponseCatalog) -> None:
        self.catalog = catalog
        self._plans: list[FaultPlan] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def add(
        self,
        operation_id: str,
        *,
        status: int | None = None,
        delay_ms: int = 0,
        drop: bool = False,
        account: str | None = None,
        times: int | None = 1,
    ) -> FaultPlan:
        """Add a plan; InvalidFaultPlan when the spec does not allow it."""
        refusal = unknown_operation(operation_id) or (status is not None and unknown_status(status, operation_id))
        if refusal:
            raise InvalidFaultPlan(refusal)
        if status is not None and drop:
            raise InvalidFaultPlan("a dropped connection answers no status")
        if status is None and not drop and not delay_ms:
            raise InvalidFaultPlan("a plan needs a status, a delay or a drop")
        if not 0 <= delay_ms <= MAX_DELAY_MS:
            raise InvalidFaultPlan(f"delay_ms must be between 0 and {MAX_DELAY_MS}")
        if times is not None and times < 1:
            raise InvalidFaultPlan("times must be at least 1 (or absent: every call)")
        with self._lock:
            plan = FaultPlan(f"fault-{next(self._ids)}", operation_id, status, delay_ms, drop, account, times)
            self._plans.append(plan)
            return plan

    def take(self, operation_id: str, account: str | None) -> FaultPlan | None:
        """The first plan matching a call, counted as fired (a plan with no calls left stays listed)."""
        with self._lock:
            for plan in self._plans:
                if plan.operation_id != operation_id or (plan.account is not None and plan.account != account):
                    continue
                if plan.times is not None and plan.fired >= plan.times:
                    continue
                plan.fired += 1
                return copy.copy(plan)
        return None

    @property
    def active(self) -> bool:
        """Whether any plan exists (fired out or not)."""
        return bool(self._plans)

    def plans(self) -> list[FaultPlan]:
        """Every plan, with how often it fired."""
        with self._lock:
            return [copy.copy(plan) for plan in self._plans]

    def remove(self, plan_id: str) -> bool:
        """Remove one plan; False when there is none with that id."""
        with self._lock:
            before = len(self._plans)
            self._plans = [plan for plan in self._plans if plan.id != plan_id]
            return len(self._plans) != before

    def clear(self, account: str | None = None) -> None:
        """Remove every plan, or only those scoped to one account."""
        with self._lock:
            self._plans = [] if account is None else [p for p in self._plans if p.account != account]


class FaultMiddleware:
    """Applies fault plans to routed Account API calls, before credentials are checked."""

    def __init__(self, app: ASGIApp, *, book: FaultBook) -> None:
        self.app = app
        self.book = book

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        operation_id = state_of(scope).operation
        # Most requests meet no plan at all: skip working out who is calling, and hand on the next layer's awaitable
        # (no coroutine frame of this layer's own).
        plan = self.book.take(operation_id, claimed_account(scope)) if operation_id and self.book.active else None
        if plan is None:
            return self.app(scope, receive, send)
        return self._apply(plan, scope, receive, send)

    async def _apply(self, plan: FaultPlan, scope: Scope, receive: Receive, send: Send) -> None:
        state_of(scope).fault = plan.id
        if plan.delay_ms:
            await asyncio.sleep(plan.delay_ms / 1000)
        if plan.drop:
            await _drop(scope, send)
        elif plan.status is not None:
            await _answer(send, plan.status, self.book.catalog.canned(plan.operation_id, plan.status))
        else:
            await self.app(scope, receive, send)


async def _answer(send: Send, status: int, canned: CannedResponse) -> None:
    payload, media_type = b"", None
    if canned.media_type is not None and canned.example is not None:
        body = copy.deepcopy(canned.example)
        if isinstance(body, dict) and "instance" in body:
            body["instance"] = new_instance_id()
        payload, media_type = json.dumps(body).encode(), canned.media_type
    rate_limit: list[tuple[bytes, bytes]] = []
    if status == 429:
        rate_limit = [
            (b"retry-after", b"1"),
            (b"x-ratelimit-limit", b"30"),
            (b"x-ratelimit-remaining", b"0"),
            (b"x-ratelimit-reset", str(int(time.time()) + 1).encode()),
        ]
    await send_response(send, status, payload, media_type, rate_limit)


async def _drop(scope: Scope, send: Send) -> None:
    # Promise a body and stop short: clients see the connection cut mid-response.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]})
    await send({"type": "http.response.body", "body": b"{", "more_body": True})
    # The mock's server closes the connection as asked; left to itself, uvicorn would close it too, but would log an
    # error ("ASGI callable returned without completing response") into the output of the suite that asked for it.
    close = state_of(scope).drop_connection
    if close is not None:
        close()
