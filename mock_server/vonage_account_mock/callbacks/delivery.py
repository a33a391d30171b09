"""Sending callbacks off the request path: a worker thread with its own event loop, retries on a compressed copy of
the service's schedule, bounds on pending work and on each account's attempts in flight (so that one tenant's slow
receivers never hold up another's callbacks), and a record of every attempt.

Time is the service's: the retry schedule is written in the real service's seconds and `time_scale` maps it to
wall time (an hour of the service's time is five seconds by default), and `advance()` steps it forward at once, so
a test can watch the whole 24 hours of retries without waiting for them.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx

from vonage_account_mock.callbacks.records import (
    USER_AGENT,
    Attempt,
    Bounds,
    Delivery,
    DeliveryBook,
    MemoryBook,
)
from vonage_account_mock.callbacks.sending import AccountSlots, app_transport
from vonage_account_mock.callbacks.targets import (
    UNRESOLVED_ADVICE,
    AllowList,
    Lookup,
    Target,
    TargetRefused,
    addresses,
    host_name,
    parse_callback_url,
    resolve_target,
)

log = logging.getLogger("vonage_account_mock.callbacks")

T = TypeVar("T")

FORWARD_METHODS = ("GET_QUERY_PARAMS", "POST_QUERY_PARAMS", "POST_JSON")
DEFAULT_FORWARD_METHOD = "POST_QUERY_PARAMS"
"""No source says what the service does when `httpForwardMethod` is unset; the newest spec's example, and the one
captured callback in our references, are a form POST."""
FORM = "application/x-www-form-urlencoded; charset=UTF-8"
JSON_TYPE = "application/json"
SERVICE_RETRY_DELAYS: tuple[float, ...] = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 28800)
"""Seconds before each retry, in the service's time: quick at first, then backing off, about 24 hours in all (the
service keeps retrying an inbound message for 24 hours)."""
DEFAULT_TIME_SCALE = 5 / 3600
"""Wall seconds per service second: an hour of retries takes five seconds, the whole day two minutes."""
LOOKUP_THREADS = 16
"""Threads for name lookups, the dispatcher's own (a lookup cannot be stopped once begun, only waited for)."""
BUSY_POLL_S = 0.005
"""How often `advance` looks again while another worker makes an attempt."""
LOOKUPS_PER_ACCOUNT = 2
"""Lookups one account may have going at once: names that never resolve take up no more threads than this."""


@dataclass(frozen=True)
class DeliveryPolicy:
    """How callbacks are sent: the retry schedule, its time scale, per-attempt timeout and the bounds."""

    retry_delays: tuple[float, ...] = SERVICE_RETRY_DELAYS
    time_scale: float = DEFAULT_TIME_SCALE
    timeout: float = 5.0
    """Wall seconds one attempt may take (connecting, sending, reading the answer)."""
    max_pending: int = 100
    """Callbacks not yet delivered or given up on; a trigger beyond it is refused. One account may hold a quarter of
    them (`account_pending`): it takes four tenants with failing receivers to make another's trigger wait."""
    max_concurrent: int = 8
    """Attempts in flight at once for one account (api_key): one account's slow receivers cannot take the slots
    another's callbacks need."""
    max_in_flight: int = 64
    """Attempts in flight at once in all, so sockets and memory stay bounded however many accounts send: it takes
    this many over `max_concurrent` accounts, all with stalled receivers, to make another's callbacks wait."""
    max_records: int = 1000
    """Finished deliveries kept for `deliveries()`; the oldest go first."""
    allow: AllowList = field(default_factory=AllowList)
    ca_bundle: str | None = None
    """A CA file to trust for https receivers (a local CA's), besides the system's."""

    @property
    def account_pending(self) -> int:
        """Callbacks one account may have pending at once."""
        return max(1, self.max_pending // 4)


def _origin(url: str) -> str:
    """The scheme, host and port routes are keyed by; TargetRefused for a URL that cannot be called at all."""
    parsed = parse_callback_url(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return f"{parsed.scheme}://{host_name(parsed)}:{port}"


class CallbackDispatcher:
    """Sends callbacks on a worker thread of its own, so that no answer of the mock ever waits for a receiver.

    Thread-safe: `submit`, `advance`, `deliveries` and `clear` may be called from any thread but the worker's.
    """

    def __init__(
        self,
        policy: DeliveryPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        book: DeliveryBook | None = None,
        started_at: float | None = None,
    ) -> None:
        """`book` keeps the deliveries (in memory by default; the state file's, shared by workers); `started_at`
        is when the service's time began, on `clock` (now by default; the workers' common start)."""
        self.policy = policy or DeliveryPolicy()
        self._clock = clock
        self._started_at = clock() if started_at is None else started_at
        self._book: DeliveryBook = book if book is not None else MemoryBook()
        self._bounds = Bounds(self.policy.max_pending, self.policy.account_pending, self.policy.max_records)
        self._lock = threading.Lock()
        self._routes: dict[str, httpx.AsyncClient] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._wake: asyncio.Event | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._first_attempts_left: set[asyncio.Task[None]] = set()
        """Triggers' first attempts still being made after their trigger answered (advance() does not wait for
        them; close() stops them)."""
        self._account_slots = AccountSlots(self.policy.max_concurrent)
        self._lookup_slots = AccountSlots(LOOKUPS_PER_ACCOUNT)
        self._lookups: ThreadPoolExecutor | None = None
        self._all_slots: asyncio.Semaphore | None = None
        self._client: httpx.AsyncClient | None = None

    # -- time ---------------------------------------------------------------------------------

    def service_now(self) -> float:
        """The service's time, in seconds since the dispatcher began (wall time scaled, plus what was skipped)."""
        return (self._clock() - self._started_at) / self.policy.time_scale + self._book.skipped()

    def advance(self, seconds: float, timeout: float = 60.0) -> int:
        """Step the service's time forward, making every attempt due meanwhile (retries of retries included), in
        order; returns how many attempts were made."""
        with self._book.advancing(timeout):
            return self._run(self._advance(seconds), timeout)

    # -- routes to apps in this process ---------------------------------------------------------

    def route_to_app(self, base_url: str, app: Any) -> None:
        """Send callbacks whose URL starts with `base_url`'s origin straight into `app` (ASGI or WSGI), no port."""
        with self._lock:
            self._routes[_origin(base_url)] = httpx.AsyncClient(transport=app_transport(app))

    def remove_route(self, base_url: str) -> None:
        """Forget a route to an app (its client is closed on the worker, where it was used)."""
        with self._lock:
            client = self._routes.pop(_origin(base_url), None)
            loop = self._loop
        if client is not None and loop is not None and not loop.is_closed():
            asyncio.run_coroutine_threadsafe(client.aclose(), loop)

    # -- delivering -----------------------------------------------------------------------------

    def submit(
        self,
        *,
        account: str,
        kind: str,
        url: str,
        forward_method: str | None,
        payloads: list[dict[str, str]],
        retries: int | None = None,
    ) -> Future[list[dict[str, Any]]]:
        """Send `payloads` (the parts of one callback) to `url`: a future, done within `answer_within` seconds, of
        the deliveries once their first attempts are made or about one attempt's timeout has passed (the rest, and the
        retries, go on in the background); its exception is TargetRefused or DeliveryQueueFull, and then nothing was
        sent. A future, so that a caller need not hold a thread while it waits."""
        method = forward_method or DEFAULT_FORWARD_METHOD
        allowed = len(self.policy.retry_delays) if retries is None else min(retries, len(self.policy.retry_delays))
        loop = self._ensure_worker()
        return asyncio.run_coroutine_threadsafe(self._deliver(account, kind, url, method, payloads, allowed + 1), loop)

    @property
    def answer_within(self) -> float:
        """Seconds a trigger's answer may take at most: the name's lookup, then about one attempt's timeout."""
        return 2 * self.policy.timeout + 5

    def deliveries(self, account: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        """Every delivery kept (of one account, of one kind), oldest first, with its attempts."""
        now = self.service_now()
        return [record.as_dict(now) for record in self._book.listing(account, kind)]

    def clear(self, account: str | None = None) -> None:
        """Forget deliveries (all, or one account's), and stop their retries."""
        self._book.clear(account)

    def pending(self) -> int:
        """Callbacks not yet delivered or given up on."""
        return self._book.pending()

    def close(self) -> None:
        """Stop the worker (pending retries are dropped)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if not loop.is_closed():
            try:
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
            except Exception:  # pragma: no cover - best effort at exit
                log.debug("closing the callback clients failed", exc_info=True)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._loop = self._thread = None

    # -- the worker -----------------------------------------------------------------------------

    def _run(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        loop = self._ensure_worker()
        if threading.current_thread() is self._thread:  # pragma: no cover - a misuse, not a path
            coroutine.close()
            raise RuntimeError("the callback worker cannot wait for itself")
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, loop)
        return future.result(timeout)

    def _ensure_worker(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                started = threading.Event()
                thread = threading.Thread(
                    target=self._work, args=(loop, started), name="vonage-account-mock-callbacks", daemon=True
                )
                thread.start()
                started.wait(10)
                self._loop, self._thread = loop, thread
            return self._loop

    def _work(self, loop: asyncio.AbstractEventLoop, started: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        self._wake = asyncio.Event()
        self._all_slots = asyncio.Semaphore(self.policy.max_in_flight)
        # Afresh for each worker: a lookup still stuck when the last one closed would otherwise hold its slot on.
        self._account_slots = AccountSlots(self.policy.max_concurrent)
        self._lookup_slots = AccountSlots(LOOKUPS_PER_ACCOUNT)
        self._lookups = ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="vonage-account-mock-lookup")
        timer = loop.create_task(self._timer())
        started.set()
        try:
            loop.run_forever()
        finally:
            timer.cancel()
            tasks = [timer, *self._in_flight, *self._first_attempts_left]
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()
            # Not waited for: a lookup the resolver never answers would hold up the close.
            self._lookups.shutdown(wait=False, cancel_futures=True)

    async def _shutdown(self) -> None:
        for task in [*self._in_flight, *self._first_attempts_left]:
            task.cancel()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _timer(self) -> None:
        """Starts every attempt as it falls due."""
        assert self._wake is not None
        while True:
            now = self.service_now()
            for delivery_id in self._book.take_due(now):
                self._spawn(delivery_id)
            due = self._book.next_due()
            wait = None if due is None else max(0.0, due - now) * self.policy.time_scale
            poll = self._book.poll_every
            if poll is not None:
                # Other processes schedule retries this one must see fall due.
                wait = poll if wait is None else min(wait, poll)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
            except TimeoutError:
                pass

    def _spawn(self, delivery_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._attempt(delivery_id))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _advance(self, seconds: float) -> int:
        target = self.service_now() + seconds
        made = 0
        while True:
            if self._in_flight:
                await asyncio.gather(*list(self._in_flight), return_exceptions=True)
            due = self._book.next_due()
            if due is None or due > target:
                if self._book.busy_elsewhere():
                    # Another worker's attempt may schedule a retry that falls due before the target.
                    await asyncio.sleep(BUSY_POLL_S)
                    continue
                break
            # Jump to the moment the attempt falls due, so the retry it may schedule starts from there.
            self._book.skip(max(0.0, due - self.service_now()))
            taken = self._book.take_due(due, limit=1, advancing=True)
            for delivery_id in taken:
                await self._attempt(delivery_id)
                made += 1
            if not taken:  # another worker took it first: it makes the attempt
                await asyncio.sleep(BUSY_POLL_S)
        self._book.skip(max(0.0, target - self.service_now()))
        if self._wake is not None:
            self._wake.set()
        return made

    async def _admit(
        self, account: str, kind: str, url: str, method: str, payloads: list[dict[str, str]], max_attempts: int
    ) -> list[str]:
        """Check the target, then record the parts as pending (ids returned), or refuse them all."""
        with self._lock:
            routed = _origin(url) in self._routes
        if not routed:
            try:
                async with asyncio.timeout(self.policy.timeout):
                    await resolve_target(url, self.policy.allow, self._lookup_for(account))
            except TimeoutError:
                # The host and port only: a URL's user, password or query may be credentials of the receiver's.
                where = parse_callback_url(url).netloc.decode("ascii").rpartition("@")[2]
                raise TargetRefused(
                    f"the callback host {where} did not resolve within {self.policy.timeout:g} s: {UNRESOLVED_ADVICE}"
                ) from None
        http_method = "GET" if method == "GET_QUERY_PARAMS" else "POST"
        content_type = {"GET_QUERY_PARAMS": None, "POST_QUERY_PARAMS": FORM, "POST_JSON": JSON_TYPE}[method]
        records = [
            Delivery(
                id="",
                account=account,
                kind=kind,
                url=url,
                forward_method=method,
                http_method=http_method,
                content_type=content_type,
                fields=payload,
                max_attempts=max_attempts,
                created_at=time.time(),
            )
            for payload in payloads
        ]
        # Counted and recorded at once (across workers, with a shared book): triggers arriving together cannot pass
        # the bounds together.
        records = self._book.admit(records, self._bounds)
        return [record.id for record in records]

    def _lookup_for(self, account: str) -> Lookup:
        """Name lookups for one account: on the dispatcher's threads, not the loop's default ones that in-process
        WSGI receivers use, and at most LOOKUPS_PER_ACCOUNT at once, so that one account's names that never resolve
        cannot take every thread another account's lookups need."""

        async def lookup(host: str) -> list[str]:
            assert self._lookups is not None
            await self._lookup_slots.acquire(account)
            try:
                running = asyncio.get_running_loop().run_in_executor(self._lookups, addresses, host)
            except BaseException:
                self._lookup_slots.release(account)
                raise
            # The slot goes back when the thread is done, not when the waiter gives up (at the attempt's timeout):
            # until then the lookup still holds its thread.
            running.add_done_callback(functools.partial(self._lookup_done, account))
            return await asyncio.shield(running)

        return lookup

    def _lookup_done(self, account: str, running: asyncio.Future[list[str]]) -> None:
        self._lookup_slots.release(account)
        if not running.cancelled():
            # Taken here: a waiter that gave up never reads it, and asyncio would log it as never retrieved.
            running.exception()

    async def _deliver(
        self, account: str, kind: str, url: str, method: str, payloads: list[dict[str, str]], max_attempts: int
    ) -> list[dict[str, Any]]:
        ids = await self._admit(account, kind, url, method, payloads, max_attempts)
        # The parts' first attempts, in order; the trigger waits for them at most about one attempt's timeout,
        # however many parts or however slow the receiver: what has not happened by then goes on in the background
        # and the answer shows it pending (never an error for callbacks that are being sent).
        first = asyncio.get_running_loop().create_task(self._first_attempts(ids))
        self._first_attempts_left.add(first)
        first.add_done_callback(self._first_attempts_left.discard)
        await asyncio.wait([first], timeout=self.policy.timeout + 2)
        now = self.service_now()
        return [record.as_dict(now) for record in self._book.get(ids)]

    async def _first_attempts(self, ids: list[str]) -> None:
        for delivery_id in ids:
            await self._attempt(delivery_id)

    async def _attempt(self, delivery_id: str) -> None:
        record = self._book.start(delivery_id)
        if record is None:
            return
        number = len(record.attempts) + 1
        assert self._all_slots is not None
        # The account's own slot first: waiting for it must not take one of the slots every account shares.
        async with self._account_slots.hold(record.account), self._all_slots:
            started, at = time.perf_counter(), time.time()
            status: int | None = None
            error: str | None = None
            try:
                status = await self._send(record)
            except TargetRefused as refused:
                error = str(refused)
            except (TimeoutError, httpx.TimeoutException):
                error = f"no answer within {self.policy.timeout:g} s"
            except httpx.HTTPError as failure:
                error = f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
            duration = round((time.perf_counter() - started) * 1000, 3)
        if status in (200, 204):
            state, next_due = "delivered", None
        elif number < record.max_attempts:
            state, next_due = "pending", self.service_now() + self.policy.retry_delays[number - 1]
        else:
            state, next_due = "failed", None
        if not self._book.finish(record, Attempt(number, at, status, error, duration), state, next_due):
            return
        if next_due is not None and self._wake is not None:
            self._wake.set()
        log.info(
            "callback %s %s attempt %d: %s", record.id, record.kind, number, status if status is not None else error
        )

    async def _send(self, record: Delivery) -> int:
        with self._lock:
            routed = self._routes.get(_origin(record.url))
        if routed is not None:
            client = routed
            target = Target(parse_callback_url(record.url))
        else:
            if self._client is None:
                # Redirects are not followed: a receiver could otherwise send the mock anywhere.
                verify: ssl.SSLContext | bool = True
                if self.policy.ca_bundle:
                    verify = ssl.create_default_context()
                    verify.load_verify_locations(cafile=self.policy.ca_bundle)
                # As many connections as attempts may be in flight: the pool must never queue one the slots let go.
                limits = httpx.Limits(max_connections=self.policy.max_in_flight, max_keepalive_connections=20)
                self._client = httpx.AsyncClient(
                    timeout=self.policy.timeout, follow_redirects=False, trust_env=False, verify=verify, limits=limits
                )
            client = self._client
            # Checked again at every attempt (the name may resolve elsewhere by now), within the attempt's timeout.
            async with asyncio.timeout(self.policy.timeout):
                target = await resolve_target(record.url, self.policy.allow, self._lookup_for(record.account))
        headers = {"User-Agent": USER_AGENT}
        if target.host_header:
            headers["Host"] = target.host_header
        if record.http_method == "GET":
            request = client.build_request("GET", target.url, params=target.url.params.merge(record.fields))
        else:
            if record.content_type == FORM:
                body = urlencode(record.fields).encode()
            else:
                body = json.dumps(record.fields).encode()
            headers["Content-Type"] = record.content_type or JSON_TYPE
            request = client.build_request("POST", target.url, content=body)
        request.headers.update(headers)
        if target.sni_hostname:
            request.extensions["sni_hostname"] = target.sni_hostname
        # The whole attempt, answer included, within the timeout: a receiver trickling bytes cannot hold it.
        # Only the status matters: the body is not read, so a receiver cannot make the mock hold a large one.
        async with asyncio.timeout(self.policy.timeout):
            response = await client.send(request, stream=True)
            await response.aclose()
        return response.status_code
