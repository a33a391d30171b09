"""The control API's HTTP glue: its connexion handlers, and the gate that keeps it closed when asked to."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable, Iterable
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vonage_account_mock.control.dashboard import DASHBOARD_PREFIX, SECURITY_HEADERS, Dashboard, valid_session
from vonage_account_mock.control.operations import CONTROL_PREFIX, TOKEN_HEADER, ControlError, MockControl
from vonage_account_mock.layers.asgi import header, send_response
from vonage_account_mock.state.exceptions import PROBLEM_JSON


def _problem(error: ControlError) -> tuple[dict[str, Any], int, dict[str, str]]:
    return error.document(), error.status, {"Content-Type": PROBLEM_JSON}


_JSON = {"Content-Type": "application/json"}

HEALTH_PATH = CONTROL_PREFIX + "/health"


def _package_version() -> str:
    try:
        return metadata.version("vonage-account-mock")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a tree that was never installed
        return "unknown"


HEALTH = {"status": "ok", "version": _package_version()}
"""All a readiness probe learns: that the mock answers, and which release it is."""
_HEALTH_BODY = json.dumps(HEALTH).encode()


async def _answer_health(scope: Scope, send: Send) -> None:
    if scope["method"] in ("GET", "HEAD"):
        await send_response(send, 200, _HEALTH_BODY, "application/json", [(b"cache-control", b"no-store")])
    else:
        document = ControlError(405, f"{HEALTH_PATH} answers GET and HEAD").document()
        await send_response(send, 405, json.dumps(document).encode(), PROBLEM_JSON, [(b"allow", b"GET, HEAD")])


def _answer(produce: Callable[[], Any], status: int = 200) -> Any:
    """What a control operation answers: its document (None: a bodiless 204), or its refusal's problem document."""
    try:
        document = produce()
    except ControlError as error:
        return _problem(error)
    if document is None:
        return Response(status_code=204)
    return document, status, _JSON


class ControlHandlers:
    """The control API's operations, one method per operationId: each only translates between HTTP and the port."""

    def __init__(self, control: MockControl) -> None:
        self.control = control

    async def health(self) -> Any:
        # The gate answers it first; this is what connexion would answer if it ever got the request.
        return HEALTH, 200, _JSON

    async def reset(self, body: dict[str, Any] | None = None) -> Any:
        seed = body["deterministic_seed"] if body and "deterministic_seed" in body else False
        return _answer(lambda: self.control.reset(deterministic_seed=seed))

    async def list_accounts(self) -> Any:
        return _answer(lambda: {"accounts": self.control.list_accounts()})

    async def put_account(self, api_key: str, body: dict[str, Any]) -> Any:
        return _answer(lambda: self.control.put_account(api_key, body))

    async def get_account(self, api_key: str) -> Any:
        return _answer(lambda: self.control.get_account(api_key))

    async def reset_account(self, api_key: str) -> Any:
        return _answer(lambda: self.control.reset_account(api_key))

    async def list_account_details(self, limit: int | None = None) -> Any:
        return _answer(lambda: self.control.account_details(limit=limit))

    async def set_balance(self, api_key: str, body: dict[str, Any]) -> Any:
        return _answer(lambda: {"balance": self.control.set_balance(api_key, body["balance"])})

    async def list_operations(self) -> Any:
        return _answer(lambda: {"operations": self.control.operations()})

    async def spend(self, api_key: str, body: dict[str, Any]) -> Any:
        return _answer(lambda: {"balance": self.control.spend(api_key, body["amount"])})

    async def get_snapshot(self) -> Any:
        return _answer(self.control.snapshot)

    async def put_snapshot(self, body: dict[str, Any]) -> Any:
        return _answer(lambda: self.control.load_snapshot(body))

    async def get_journal(
        self,
        operation_id: str | None = None,
        account: str | None = None,
        status: int | None = None,
        limit: int | None = None,
    ) -> Any:
        return _answer(
            lambda: {
                "entries": self.control.journal(operation_id=operation_id, account=account, status=status, limit=limit)
            }
        )

    async def clear_journal(self, account: str | None = None) -> Any:
        return _answer(lambda: self.control.clear_journal(account))

    async def send_inbound_sms(self, api_key: str, body: dict[str, Any], retries: int | None = None) -> Any:
        return await self._send("inbound-sms", api_key, body, retries)

    async def send_delivery_receipt(
        self, api_key: str, body: dict[str, Any] | None = None, retries: int | None = None
    ) -> Any:
        return await self._send("delivery-receipt", api_key, body or {}, retries)

    async def _send(self, kind: str, api_key: str, body: dict[str, Any], retries: int | None) -> Any:
        try:
            sending = self.control.start_callback(api_key, kind, body, retries=retries)
        except ControlError as error:
            return _problem(error)
        # Awaited here, holding no thread: a trigger never queues behind another's wait for a slow receiver
        # (a pool of threads, each held for a wait, would let one tenant's triggers hold up every other's).
        waiting = asyncio.wrap_future(sending)
        # The outcome is read from `sending`: taking it from this copy too keeps asyncio from logging a refusal
        # as an exception never retrieved.
        waiting.add_done_callback(lambda done: done.cancelled() or done.exception())
        await asyncio.wait([waiting], timeout=self.control.callbacks.answer_within)
        return _answer(lambda: self.control.callback_answer(sending, wait=False))

    async def list_deliveries(self, account: str | None = None, kind: str | None = None) -> Any:
        return _answer(lambda: {"deliveries": self.control.deliveries(account=account, kind=kind)})

    async def clear_deliveries(self, account: str | None = None) -> Any:
        return _answer(lambda: self.control.clear_deliveries(account))

    async def advance_deliveries(self, body: dict[str, Any]) -> Any:
        # On a thread: the retries due are made before it answers, and may take a while.
        seconds = float(body["seconds"])
        try:
            result = await asyncio.to_thread(self.control.advance_deliveries, seconds)
        except ControlError as error:
            return _problem(error)
        return _answer(lambda: result)

    async def list_faults(self) -> Any:
        return _answer(lambda: {"plans": self.control.list_faults()})

    async def add_fault(self, body: dict[str, Any]) -> Any:
        return _answer(lambda: self.control.add_fault(body), 201)

    async def clear_faults(self, account: str | None = None) -> Any:
        return _answer(lambda: self.control.clear_faults(account))

    async def remove_fault(self, plan_id: str) -> Any:
        return _answer(lambda: self.control.remove_fault(plan_id))


class ControlGate:
    """Keeps the control API closed: off entirely, behind a token, or — without one — to loopback Host names only.

    The Host check is what a web page the developer visits cannot pass: a name it rebinds to 127.0.0.1 still arrives
    as its own name. `.invalid` names (the in-process transport's) never resolve, so they cannot be rebound. A page
    can still have the browser send a simple request to 127.0.0.1 itself; the browser marks it (`Origin`,
    `Sec-Fetch-Site`) and can only type its body as a form or text, so those are refused too, token or not.

    `GET /_mock/health` is answered before the gate: a readiness probe must work however the mock was started (with
    a control token, or --no-control) and from any Host, so it needs no token and tells nothing but `HEALTH`. The
    journal and the log never see it (a probe polling every few milliseconds would flood the 1,000 entries a test
    asserts on). It lives here, not in a layer of its own, so the Account API's requests pay for one check, not two.
    """

    def __init__(self, app: ASGIApp, *, enabled: bool, token: str | None, allowed_hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.enabled = enabled
        self.token = token.encode() if token else None
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)
        self.dashboard = Dashboard(self.token)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # A plain method: the Account API's requests get the next layer's awaitable, with no frame of the gate's own.
        if scope["type"] == "http" and scope["path"].startswith(CONTROL_PREFIX + "/"):
            return self._guard(scope, receive, send)
        return self.app(scope, receive, send)

    async def _guard(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == HEALTH_PATH:
            await _answer_health(scope, send)
            return
        # What the dashboard's page reads is never sniffed into something else, nor framed.
        send = _with_headers(send, _CONTROL_HEADERS)
        if not self.enabled:
            await _refuse(send, 404, "The control API is switched off (--no-control)")
            return
        # Before the token: a page cannot read the token, but it could ride on a proxy or extension that adds it.
        # The dashboard's session cookie too: SameSite=Strict keeps it off cross-site requests, not same-site ones.
        browser = _from_a_web_page(scope)
        if browser is not None:
            await _refuse(send, 403, browser)
            return
        dashboard = scope["path"] == DASHBOARD_PREFIX or scope["path"].startswith(DASHBOARD_PREFIX + "/")
        # The dashboard's sign-in is a form post: the Origin check above is what keeps other pages' forms out.
        not_json = None if dashboard else _not_json(scope)
        if not_json is not None:
            await _refuse(send, 415, not_json)
            return
        if self.token is not None:
            signed_in = self._token_or_session(scope)
            if dashboard:
                await self.dashboard(scope, receive, send, signed_in=signed_in)
                return
            if not signed_in:
                await _refuse(send, 401, "The control API needs the X-Mock-Control-Token header")
                return
        elif not self._trusted_host(scope):
            await _refuse(
                send,
                403,
                "The control API answers loopback Host names only: use 127.0.0.1 or localhost, "
                "or start the mock with --allowed-host NAME or a --control-token",
            )
            return
        elif dashboard:
            await self.dashboard(scope, receive, send, signed_in=True)
            return
        await self.app(scope, receive, send)

    def _token_or_session(self, scope: Scope) -> bool:
        """Whether the request carries the control token, in its header or as the dashboard's session cookie."""
        assert self.token is not None
        presented = header(scope, TOKEN_HEADER.encode())
        # Both checked, whichever is present: the time taken tells nothing of which one failed, or how.
        by_header = hmac.compare_digest(presented, self.token)
        by_session = valid_session(self.token, scope)
        return by_header or by_session

    def _trusted_host(self, scope: Scope) -> bool:
        raw = next((v for k, v in scope["headers"] if k == b"host"), b"").decode("latin-1").lower()
        name = raw.rsplit("]", 1)[0].lstrip("[") if raw.startswith("[") else raw.rsplit(":", 1)[0]
        if name in self.allowed_hosts or name == "localhost" or name.endswith((".localhost", ".invalid")):
            return True
        try:
            return ipaddress.ip_address(name).is_loopback
        except ValueError:
            return False


_CALL_IT_FROM = "call it from a test, a script or curl, which send no Origin"
_SAFE_METHODS = frozenset({"GET", "HEAD"})
_UNFETCHED_SITES = frozenset({b"same-origin", b"none"})
"""`Sec-Fetch-Site` values that are no other web page: the mock's own pages, and what the user typed or bookmarked.
`same-site` is refused too: ports do not count in a site, so every dev server on localhost is the mock's "site"."""
_SIMPLE_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
"""The only Content-Types a web page can send cross-site without the browser asking first (CORS's "simple" ones)."""
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _from_a_web_page(scope: Scope) -> str | None:
    """Why the request looks sent by a web page other than the mock's own (None when it does not).

    A page can make the browser send a "simple" request anywhere, `fetch(url, {method: "POST", mode: "no-cors"})`
    or a form post, and the browser says so: `Origin` on every POST, `Sec-Fetch-Site` on every request (in current
    browsers). The Host check stops DNS rebinding, not this: the page's request arrives at 127.0.0.1 as asked.
    """
    origin = header(scope, b"origin")
    if origin and not _same_origin(origin.decode("latin-1"), scope):
        return (
            f"The control API does not answer web pages: this request's Origin is not the mock's own; {_CALL_IT_FROM}"
        )
    site = header(scope, b"sec-fetch-site").lower()
    if site and site not in _UNFETCHED_SITES:
        return (
            f"The control API does not answer web pages: Sec-Fetch-Site is {site.decode('latin-1')!r}, not "
            f"same-origin or none; {_CALL_IT_FROM}"
        )
    return None


def _same_origin(origin: str, scope: Scope) -> bool:
    """Whether `origin` is the mock's own: the request's scheme, and its Host's name and port."""
    scheme = str(scope.get("scheme", "http")).lower()
    host = header(scope, b"host").decode("latin-1")
    try:
        theirs, ours = urlsplit(origin.strip()), urlsplit(f"//{host}")
        their_port = theirs.port or _DEFAULT_PORTS.get(theirs.scheme.lower())
        our_port = ours.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return False  # an unreadable port (and `null`, a sandboxed page's origin, reads as no host at all)
    return bool(
        theirs.hostname
        and theirs.scheme.lower() == scheme
        and theirs.hostname == ours.hostname
        and their_port == our_port
        and not (theirs.path or theirs.query or theirs.fragment or theirs.username)
    )


def _not_json(scope: Scope) -> str | None:
    """Why a state-changing request's Content-Type is refused (None when it is fine).

    A body must be JSON, which no page can send cross-site without the browser asking first (and the mock answers no
    CORS); a bodiless request must not be typed as a form, which is what `<form method="post">` with no fields sends.
    """
    if scope["method"] in _SAFE_METHODS:
        return None
    media_type = header(scope, b"content-type").decode("latin-1").split(";", 1)[0].strip().lower()
    if _has_body(scope):
        # application/json alone, as every operation declares it (a `+json` type would only meet a 415 further in).
        if media_type == "application/json":
            return None
        return "A control request's body must be JSON: send it with Content-Type: application/json"
    if media_type in _SIMPLE_FORM_TYPES:
        return (
            f"A control request without a body must not be typed {media_type} (what a web page's form sends): "
            "leave Content-Type out, or send JSON with Content-Type: application/json"
        )
    return None


def _has_body(scope: Scope) -> bool:
    length = header(scope, b"content-length")
    if header(scope, b"transfer-encoding"):
        return True
    try:
        return int(length or b"0") > 0
    except ValueError:
        return True  # unreadable: the server in front refuses it anyway; here it is not taken for bodiless


_CONTROL_HEADERS = tuple((name, value) for name, value in SECURITY_HEADERS if name != b"cache-control")


def _with_headers(send: Send, extra: tuple[tuple[bytes, bytes], ...]) -> Send:
    """`send`, adding the `extra` headers an answer does not already have."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {name.lower() for name, _ in message.get("headers", [])}
            added = [(name, value) for name, value in extra if name not in present]
            if added:
                message = {**message, "headers": [*message.get("headers", []), *added]}
        await send(message)

    return sending


async def _refuse(send: Send, status: int, detail: str) -> None:
    await send_response(send, status, json.dumps(ControlError(status, detail).document()).encode(), PROBLEM_JSON)
