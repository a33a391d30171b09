"""The app factory: the Account API and the control API over one AccountBackend, as one ASGI app.

Every request passes the control gate, the journal and the wire fixes, is routed from the spec, meets the fault
plans, and is answered by the express lane when it can fully check it. Everything else goes to connexion's full
path, which is built on first need: start-up never waits for connexion, and a suite that only makes well-formed
calls never pays for it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import warnings
from collections.abc import Callable, Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from vonage_account_mock.callbacks.delivery import CallbackDispatcher, DeliveryPolicy
from vonage_account_mock.callbacks.shared_book import SqliteBook
from vonage_account_mock.control.http import ControlGate
from vonage_account_mock.control.operations import CONTROL_PREFIX, MockControl
from vonage_account_mock.layers.express import ExpressLaneMiddleware, build_operations
from vonage_account_mock.layers.faults import FaultBook, FaultMiddleware, ResponseCatalog
from vonage_account_mock.layers.handlers import AccountApiHandlers
from vonage_account_mock.layers.journal import MAX_ENTRIES, Journal, JournalMiddleware
from vonage_account_mock.layers.limits import DEFAULT_SHAPE, ShapeLimits
from vonage_account_mock.layers.problems import CrashGuard
from vonage_account_mock.layers.routing import OperationRouter, RoutingMiddleware
from vonage_account_mock.layers.shared_faults import SharedFaultBook
from vonage_account_mock.layers.shared_journal import SharedJournal
from vonage_account_mock.layers.wire import MAX_BODY_BYTES, WireCompatibilityMiddleware
from vonage_account_mock.state.models import MAX_PROVISIONED, AccountBackend, AccountSeed
from vonage_account_mock.state.snapshot import MAX_SNAPSHOT_BYTES
from vonage_account_mock.state.store import StateFile
from vonage_account_spec import control_spec_path, load_spec, spec_path

__all__ = ["AccountMockApp", "control_spec_path", "create_app", "spec_path"]

log = logging.getLogger("vonage_account_mock")


class FullPath:
    """connexion's app, built once, by the first request that needs it or ahead of time by `warm_up()`."""

    def __init__(self, build: Callable[[], ASGIApp]) -> None:
        self._builder = build
        self._app: ASGIApp | None = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """Whether the full path has been built."""
        return self._app is not None

    def get(self) -> ASGIApp:
        """The built app (building it now, or waiting for a build under way)."""
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._build()
        return self._app

    def warm_up(self) -> None:
        """Build in a background thread, so that the first request needing the full path does not wait for it."""
        if not self.ready:
            threading.Thread(target=self._warm_up, name="vonage-account-mock-warm-up", daemon=True).start()

    def _warm_up(self) -> None:
        try:
            self.get()
        except Exception:  # pragma: no cover - the first request that needs it will try again, and report
            log.exception("building the full path in the background failed")

    def _build(self) -> ASGIApp:
        with warnings.catch_warnings():
            # Deprecations inside connexion and starlette's test client, which connexion imports; consumers
            # running their suites with warnings as errors must not fail on them.
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="connexion")
            warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
            return self._builder()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._app
        if app is None:
            # Built (or waited for) off the event loop: the express lane keeps answering meanwhile.
            app = await asyncio.to_thread(self.get)
        await app(scope, receive, send)


class AccountMockApp:
    """The mock's ASGI app: `backend` holds the accounts, `control` what tests may do to the mock."""

    def __init__(self, *, backend: AccountBackend, control: MockControl, stack: ASGIApp, full_path: FullPath) -> None:
        self.backend = backend
        self.control = control
        self.full_path = full_path
        self._stack = stack
        self._warm_up_after_answer = False

    def warm_up(self, *, after_first_answer: bool = False) -> None:
        """Build the full path (connexion) in the background now, or once the first request has been answered.

        Waiting for the first answer keeps the build from competing with it: a server's readiness probe is answered
        at once, and the full path is ready a fraction of a second later.
        """
        if after_first_answer and not self.full_path.ready:
            self._warm_up_after_answer = True
        else:
            self.full_path.warm_up()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        await self._stack(scope, receive, send)
        if self._warm_up_after_answer:
            self._warm_up_after_answer = False
            self.full_path.warm_up()

    def close(self) -> None:
        """Stop sending callbacks (the worker thread starts again on the next one)."""
        self.control.callbacks.close()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        # Nothing to start: state lives in the backend, the full path and the callback worker start on first need.
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.to_thread(self.close)
                await send({"type": "lifespan.shutdown.complete"})
                return


def _dispatcher(policy: DeliveryPolicy | None, shared_state: StateFile | None) -> CallbackDispatcher:
    """The callbacks' dispatcher: its deliveries in memory, or in the state file its workers share."""
    if shared_state is None or shared_state.signal is None:
        return CallbackDispatcher(policy)
    policy = policy or DeliveryPolicy()
    # A claim outlasts the longest attempt (its lookup, then its send, each within the timeout): only a dead
    # owner's claim runs out.
    book = SqliteBook(shared_state, lease_s=2 * policy.timeout + 5)
    return CallbackDispatcher(policy, book=book, started_at=shared_state.signal.callbacks_began)


def create_app(
    backend: AccountBackend | None = None,
    *,
    strict: bool = False,
    seeds: Iterable[AccountSeed] = (),
    validate_responses: bool = True,
    max_body_bytes: int = MAX_BODY_BYTES,
    control: bool = True,
    control_token: str | None = None,
    allowed_hosts: Iterable[str] = (),
    shape_limits: ShapeLimits = DEFAULT_SHAPE,
    max_auto_accounts: int = MAX_PROVISIONED,
    journal_size: int = MAX_ENTRIES,
    deterministic_seed: int | None = None,
    express: bool = True,
    callback_policy: DeliveryPolicy | None = None,
    shared_state: StateFile | None = None,
) -> AccountMockApp:
    """Build the mock.

    `strict` refuses unknown keys instead of provisioning them on first use; `seeds` become the accounts
    every reset returns to; `control=False` removes the control API, `control_token` guards it (without one, it
    answers loopback Host names and `allowed_hosts` only);
    `deterministic_seed` makes secret ids and timestamps reproducible; `express=False` sends every request
    down connexion's full path (the express lane answers well-formed calls faster, with the same checks);
    `callback_policy` sets how callbacks are sent (retry schedule and time scale, timeout, bounds, allowed hosts);
    `shared_state` keeps the fault plans and the journal in that state file, shared by every process serving it
    (`--workers`).
    """
    if backend is None:
        backend = AccountBackend(auto_provision=not strict, max_provisioned=max_auto_accounts)
    if deterministic_seed is not None:
        backend.make_deterministic(deterministic_seed)
    seeds = list(seeds)
    if seeds:
        # A state restored from a file stays as it was: the seeds are what its resets return to.
        backend.set_baseline(seeds, reset=not backend.restored)
    spec = load_spec(spec_path())
    journal = Journal(journal_size) if shared_state is None else SharedJournal(shared_state, journal_size)
    catalog = ResponseCatalog(spec)
    faults = FaultBook(catalog) if shared_state is None else SharedFaultBook(catalog, shared_state)
    mock_control = MockControl(backend, journal, faults, _dispatcher(callback_policy, shared_state))
    handlers = AccountApiHandlers(backend)
    router = OperationRouter(spec)
    control_spec = load_spec(control_spec_path())
    prefixed = {CONTROL_PREFIX + t: item for t, item in control_spec["paths"].items()}
    control_router = OperationRouter({**control_spec, "paths": prefixed})

    def allowed_methods(path: str) -> str | None:
        """The `Allow` header of a 405, from whichever spec the path belongs to."""
        if path.startswith(CONTROL_PREFIX + "/"):
            return control_router.allowed(path)
        return router.allowed(path)

    def build() -> ASGIApp:
        # Imported here: importing connexion is most of what building the full path costs.
        from vonage_account_mock.full_path.app import build_full_path

        app: ASGIApp = build_full_path(
            spec,
            load_spec(control_spec_path()) if control else None,
            handlers=handlers,
            control=mock_control,
            validate_responses=validate_responses,
            allowed_methods=allowed_methods,
        )
        return app

    full_path = FullPath(build)

    # Built inside out: the request meets these layers in the reverse order.
    stack: ASGIApp = full_path
    if express:
        stack = ExpressLaneMiddleware(
            stack, backend=backend, operations=build_operations(spec, handlers), validate_responses=validate_responses
        )
    # Faults apply once the operation is known, before credentials are checked.
    stack = FaultMiddleware(stack, book=faults)
    stack = RoutingMiddleware(stack, router=router)
    stack = WireCompatibilityMiddleware(
        stack,
        max_body_bytes=max_body_bytes,
        limits=shape_limits,
        larger_bodies={CONTROL_PREFIX + "/snapshot": MAX_SNAPSHOT_BYTES} if control else None,
    )
    stack = JournalMiddleware(
        stack,
        journal=journal,
        excluded_prefixes=(CONTROL_PREFIX + "/", "/ui", "/openapi.json"),
        backend=backend,
    )
    stack = ControlGate(stack, enabled=control, token=control_token, allowed_hosts=allowed_hosts)
    # A bug anywhere inside answers a 500 problem document (which the journal records as such).
    stack = CrashGuard(stack)
    return AccountMockApp(backend=backend, control=mock_control, stack=stack, full_path=full_path)
