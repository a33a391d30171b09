"""The dashboard: one page over the control API, its script and style sheet, and its sign-in, under /_mock/dashboard/.

The files are package data (`control/static/`): no build step, no CDN, nothing fetched from anywhere but the mock.
The page holds no data; its script reads everything from the control API, whose answers never hold a secret value or
a `trx`, and shows it with `textContent` only. Every answer here carries a Content-Security-Policy that lets the page
run its own script and nothing else.

With a control token the page needs a sign-in: a form posted to `sign-in`, whose answer sets a session cookie that
the gate accepts in place of the `X-Mock-Control-Token` header. The cookie is an HMAC of the token and the time it
was issued, never the token itself, so it tells nothing of the token and expires by itself (after
`SESSION_LIFETIME_S`); any worker of a mock with the same token can check it, and it outlives a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from functools import cache
from importlib import resources
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from vonage_account_mock.control.operations import CONTROL_PREFIX, ControlError
from vonage_account_mock.layers.asgi import BodyTooLarge, header, read_body, send_response
from vonage_account_mock.state.exceptions import PROBLEM_JSON

DASHBOARD_PREFIX = CONTROL_PREFIX + "/dashboard"
SIGN_IN_PATH = DASHBOARD_PREFIX + "/sign-in"
SESSION_COOKIE = "vonage-mock-session"
SESSION_LIFETIME_S = 12 * 3600
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    # Not no-referrer: with it, Chromium sends `Origin: null` on the sign-in form's post, which the gate refuses.
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
)
"""Sent with every dashboard answer; the control API's answers get the same (they are read by the page)."""

_ASSETS = {
    "/dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
    "/dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
    "/favicon.svg": ("favicon.svg", "image/svg+xml"),
}
_HTML = "text/html; charset=utf-8"
_MAX_SIGN_IN_BYTES = 4096
_SESSION_LABEL = b"vonage-account-mock dashboard session"
_CLOCK_SKEW_S = 60
_MESSAGE_MARK = "<!-- message -->"
_WRONG_TOKEN = '<p class="error" role="alert">That is not this mock\'s control token.</p>'
_TOKEN_MARK = 'data-token="none"'


@cache
def _file(name: str) -> bytes:
    return (resources.files("vonage_account_mock.control") / "static" / name).read_bytes()


def session_value(token: bytes, issued: int) -> str:
    """The cookie value for a session issued at `issued` (seconds since the epoch): the time and its HMAC."""
    mac = hmac.new(token, _SESSION_LABEL + b":" + str(issued).encode(), hashlib.sha256).hexdigest()
    return f"{issued}.{mac}"


def valid_session(token: bytes, scope: Scope, now: float | None = None) -> bool:
    """Whether the request carries a session cookie made with `token`, issued within `SESSION_LIFETIME_S`."""
    now = time.time() if now is None else now
    for value in _cookies(scope, SESSION_COOKIE):
        issued_text, _, _mac = value.partition(".")
        if not issued_text.isdigit() or len(issued_text) > 12:
            continue
        issued = int(issued_text)
        if not now - SESSION_LIFETIME_S <= issued <= now + _CLOCK_SKEW_S:
            continue
        if hmac.compare_digest(session_value(token, issued).encode(), value.encode("latin-1")):
            return True
    return False


def _cookies(scope: Scope, name: str) -> list[str]:
    """Every value of the cookie `name` (a browser may send several, for several paths)."""
    found = []
    for key, raw in scope["headers"]:
        if key != b"cookie":
            continue
        for pair in raw.decode("latin-1").split(";"):
            cookie_name, sep, value = pair.strip().partition("=")
            if sep and cookie_name == name:
                found.append(value.strip())
    return found


def _session_cookie(value: str, scope: Scope, *, max_age: int) -> bytes:
    secure = "; Secure" if str(scope.get("scheme", "http")).lower() == "https" else ""
    attributes = f"Path={CONTROL_PREFIX}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    return f"{SESSION_COOKIE}={value}; {attributes}".encode()


class Dashboard:
    """Answers every request under /_mock/dashboard that the control gate let through."""

    def __init__(self, token: bytes | None) -> None:
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send, *, signed_in: bool) -> None:
        """Answer the request; `signed_in`: it carried the token or a session (or the mock has no token)."""
        path = scope["path"][len(DASHBOARD_PREFIX) :]
        method = scope["method"]
        if path == "":
            await _answer(send, 308, b"", None, [(b"location", f"{DASHBOARD_PREFIX}/".encode())])
        elif path == "/sign-in":
            await self._sign_in(scope, receive, send)
        elif path == "/sign-out":
            await self._sign_out(scope, send)
        elif path == "/" or path in _ASSETS:
            if method not in ("GET", "HEAD"):
                await _problem(send, 405, f"{DASHBOARD_PREFIX}{path} answers GET and HEAD", [(b"allow", b"GET, HEAD")])
            elif path == "/":
                await self._page(send, signed_in=signed_in)
            else:
                name, media_type = _ASSETS[path]
                await _answer(send, 200, _file(name), media_type)
        else:
            await _problem(send, 404, f"The dashboard has no {scope['path']}: open {DASHBOARD_PREFIX}/")

    async def _page(self, send: Send, *, signed_in: bool, wrong_token: bool = False) -> None:
        if signed_in:
            page = _file("index.html").decode()
            if self.token is not None:
                page = page.replace(_TOKEN_MARK, 'data-token="set"', 1)
            await _answer(send, 200, page.encode(), _HTML)
            return
        form = _file("sign-in.html").decode()
        if wrong_token:
            form = form.replace(_MESSAGE_MARK, _WRONG_TOKEN, 1)
        await _answer(send, 401, form.encode(), _HTML)

    async def _sign_in(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            # Never a GET: a token in a URL ends up in the history, the logs and the Referer.
            await _problem(send, 405, f"{SIGN_IN_PATH} answers POST (the sign-in form)", [(b"allow", b"POST")])
            return
        if self.token is None:
            await _problem(send, 404, "This mock has no control token: the dashboard needs no sign-in")
            return
        media_type = header(scope, b"content-type").decode("latin-1").split(";", 1)[0].strip().lower()
        if media_type != "application/x-www-form-urlencoded":
            await _problem(send, 415, "The sign-in takes the form's fields (application/x-www-form-urlencoded)")
            return
        try:
            body = await read_body(receive, _MAX_SIGN_IN_BYTES)
            fields = parse_qs(body.decode(), strict_parsing=bool(body), max_num_fields=4)
        except (BodyTooLarge, UnicodeDecodeError, ValueError):
            await _problem(send, 400, "The sign-in takes one field, token")
            return
        presented = (fields.get("token") or [""])[0].encode()
        if not hmac.compare_digest(presented, self.token):
            await self._page(send, signed_in=False, wrong_token=True)
            return
        cookie = _session_cookie(session_value(self.token, int(time.time())), scope, max_age=SESSION_LIFETIME_S)
        await _answer(send, 303, b"", None, [(b"location", f"{DASHBOARD_PREFIX}/".encode()), (b"set-cookie", cookie)])

    async def _sign_out(self, scope: Scope, send: Send) -> None:
        if scope["method"] != "POST":
            await _problem(send, 405, f"{DASHBOARD_PREFIX}/sign-out answers POST", [(b"allow", b"POST")])
            return
        cookie = _session_cookie("", scope, max_age=0)
        await _answer(send, 303, b"", None, [(b"location", f"{DASHBOARD_PREFIX}/".encode()), (b"set-cookie", cookie)])


async def _answer(
    send: Send, status: int, body: bytes, media_type: str | None, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send_response(send, status, body, media_type, [*SECURITY_HEADERS, *(headers or [])])


async def _problem(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await _answer(send, status, json.dumps(ControlError(status, detail).document()).encode(), PROBLEM_JSON, headers)
