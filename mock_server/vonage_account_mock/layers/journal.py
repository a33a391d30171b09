"""The request journal: what reached the Account API, with secrets redacted, bounded in size."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from vonage_account_mock.layers.asgi import header
from vonage_account_mock.layers.context import (
    AUTH_SCHEME,
    CALLER,
    FAILURE,
    FAULT,
    PARSED_JSON,
    REQUEST_BODY,
    RESPONSE_STATUS,
    noting_status,
    request_context,
    routed_operation,
)
from vonage_account_mock.layers.limits import MAX_JSON_DEPTH, nested_deeper_than
from vonage_account_mock.state.models import DETERMINISTIC_EPOCH

REDACTED = "[redacted]"
SENSITIVE = frozenset({"api_secret", "secret", "pending_secret", "password", "trx"})
"""Fields whose values the journal never keeps, at any depth (a top-up's `trx` is checked like a credential)."""
MAX_STRING = 256
"""Longer strings are kept cut, with their length: a request cannot make the journal hold megabytes."""
MAX_ENTRIES = 1000
MAX_BODY_CAPTURE = 4096
_DETERMINISTIC_START = DETERMINISTIC_EPOCH.timestamp()

log = logging.getLogger("vonage_account_mock.access")


@dataclass(frozen=True)
class JournalEntry:
    """One request to the Account API and its answer."""

    seq: int
    at: float
    """When the request arrived, in seconds since the epoch (ISO 8601 in `as_dict`)."""
    operation_id: str | None
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    auth_scheme: str | None
    account: str | None
    duration_ms: float
    failure: Any
    fault: str | None

    def as_dict(self) -> dict[str, Any]:
        """The entry as the control API shows it."""
        document = asdict(self)
        document["at"] = datetime.fromtimestamp(self.at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return document


def _short(value: str) -> str:
    return value if len(value) <= MAX_STRING else f"{value[:MAX_STRING]}…[{len(value)} characters]"


def _short_or_none(value: str | None) -> str | None:
    return None if value is None else _short(value)


def _redact_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {_short(name): REDACTED if name.lower() in SENSITIVE else _short(value) for name, value in pairs}


def _redact_document(node: Any) -> Any:
    """A parsed body with every sensitive field blanked, however deep, and long strings cut."""
    if isinstance(node, dict):
        return {
            _short(str(key)): REDACTED if str(key).lower() in SENSITIVE else _redact_document(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_redact_document(item) for item in node]
    if isinstance(node, str):
        return _short(node)
    return node


def redact_body(raw: bytes, content_type: str, parsed: tuple[bytes, Any] | None = None) -> Any:
    """The request body as the journal keeps it: parsed when possible, secrets replaced at any depth.

    JSON is read as JSON and forms as forms, by their content type only; anything else is not kept, so a secret in
    some other body (a `text/plain` one that happens to hold `secret=...`) is not kept either.
    """
    if not raw:
        return None
    if len(raw) > MAX_BODY_CAPTURE:
        return f"[{len(raw)} bytes, not kept]"
    if parsed is not None and parsed[0] == raw:
        # Parsed once already, by the express lane, which reads only JSON content types, and only UTF-8.
        return _redact_document(parsed[1])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return f"[{len(raw)} bytes, not UTF-8]"
    if "json" in content_type:
        if nested_deeper_than(raw, MAX_JSON_DEPTH):
            return f"[JSON nested deeper than {MAX_JSON_DEPTH} levels, not kept]"
        try:
            document = json.loads(text)
        except ValueError:
            return "[malformed JSON, not kept]"
        return _redact_document(document)
    if "form" in content_type:
        return _redact_pairs(parse_qsl(text, keep_blank_values=True))
    return "[body not kept]"


_FIELDS = tuple(field.name for field in fields(JournalEntry))
_OPERATION, _PATH, _STATUS, _ACCOUNT = (_FIELDS.index(name) for name in ("operation_id", "path", "status", "account"))


class Journal:
    """A bounded, thread-safe log of Account API requests, oldest first."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        # Kept as tuples of the entry's fields: an entry object is made only when one is read (most never are), since
        # a frozen dataclass costs microseconds to build on every request's way out.
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=max_entries)
        self._lock = threading.Lock()
        self._seq = 0
        self.deterministic = False

    def make_deterministic(self, deterministic: bool) -> None:
        """In deterministic mode, entry `n` (counted from the last full clear) arrives at 2024-01-01T00:00:00Z plus
        n - 1 seconds and takes 0 ms: the same requests after the same reset give the same journal."""
        with self._lock:
            self.deterministic = deterministic

    def record(
        self,
        at: float,
        operation_id: str | None,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        status: int,
        auth_scheme: str | None,
        account: str | None,
        duration_ms: float,
        failure: Any,
        fault: str | None,
    ) -> None:
        """Append an entry (the next sequence number is its own; the oldest entry falls out when full)."""
        with self._lock:
            self._seq += 1
            if self.deterministic:
                at, duration_ms = _DETERMINISTIC_START + self._seq - 1, 0.0
            self._entries.append(
                (
                    self._seq,
                    at,
                    operation_id,
                    method,
                    path,
                    query,
                    body,
                    status,
                    auth_scheme,
                    account,
                    duration_ms,
                    failure,
                    fault,
                )
            )

    def entries(
        self,
        *,
        operation_id: str | None = None,
        account: str | None = None,
        status: int | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        """Matching entries, oldest first; `limit` keeps the newest ones."""
        with self._lock:
            found = [
                entry
                for entry in self._entries
                if (operation_id is None or entry[_OPERATION] == operation_id)
                and (account is None or _about(entry, account))
                and (status is None or entry[_STATUS] == status)
            ]
        return [JournalEntry(*entry) for entry in (found[-limit:] if limit else found)]

    def clear(self, account: str | None = None) -> None:
        """Forget every entry (numbering starts again at 1), or only those of one account."""
        with self._lock:
            if account is None:
                self._entries.clear()
                self._seq = 0
                return
            kept = [entry for entry in self._entries if not _about(entry, account)]
            self._entries.clear()
            self._entries.extend(kept)


def _about(entry: tuple[Any, ...], account: str) -> bool:
    return bool(entry[_ACCOUNT] == account or _path_account(entry[_PATH]) == account)


def _path_account(path: str) -> str | None:
    # /accounts/{api_key}/secrets...: the key a request is about, even when it failed to authenticate.
    if path.startswith("/accounts/"):
        return path.split("/")[2] or None
    return None


def claimed_account(scope: Scope) -> str | None:
    """The key a request claims to come from (Basic username or `api_key`), before it is authenticated."""
    for name, value in scope["headers"]:
        if name == b"authorization" and value[:6].lower() == b"basic ":
            try:
                return base64.b64decode(value[6:]).decode("latin-1").split(":", 1)[0] or None
            except (binascii.Error, ValueError):
                return None
    query: bytes = scope.get("query_string", b"")
    for name, value in parse_qsl(query.decode("latin-1")):
        if name == "api_key":
            return str(value)
    return None


_JSON = "application/json"
"""What a body the express lane parsed was sent as: it parses only bodies sent as the JSON type the spec declares."""


def _content_type(scope: Scope) -> str:
    return header(scope, b"content-type").decode("latin-1")


class JournalMiddleware:
    """Records every Account API request in the journal and logs one line for it."""

    def __init__(self, app: ASGIApp, *, journal: Journal, excluded_prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.journal = journal
        self.excluded_prefixes = excluded_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.excluded_prefixes):
            await self.app(scope, receive, send)
            return
        # Shared with every shallow copy of the scope further in, so what they learn comes back here; the status of
        # the answer among it, noted by the outermost layer that wraps `send` for it (the CrashGuard, or else here).
        context = request_context(scope)
        send = noting_status(context, send)
        arrived = time.time()
        started = time.perf_counter()
        crashed = False
        try:
            await self.app(scope, receive, send)
        except Exception:
            crashed = True  # a bug further in: the CrashGuard outside answers it with a 500, as recorded here
            raise
        finally:
            self._record(scope, context, arrived, round((time.perf_counter() - started) * 1000, 3), crashed)

    def _record(self, scope: Scope, context: dict[str, Any], arrived: float, duration_ms: float, crashed: bool) -> None:
        query: bytes = scope.get("query_string", b"")
        # The body as the wire layer read it (the one reader of every body): no wrapper on `receive` for it.
        body: bytes = context.get(REQUEST_BODY, b"")
        parsed = context.get(PARSED_JSON)
        status: int = context.get(RESPONSE_STATUS, 500 if crashed else 0)
        operation_id = routed_operation(scope)
        self.journal.record(
            arrived,
            operation_id,
            scope["method"],
            _short(scope["path"]),
            _redact_pairs(parse_qsl(query.decode("latin-1"), keep_blank_values=True)) if query else {},
            redact_body(body, _JSON if parsed else _content_type(scope), parsed) if body else None,
            status,
            context.get(AUTH_SCHEME),
            _short_or_none(context.get(CALLER) or claimed_account(scope)),
            duration_ms,
            context.get(FAILURE),
            context.get(FAULT),
        )
        if log.isEnabledFor(logging.INFO):
            log.info(
                "%s %s %s %s %.1fms",
                scope["method"],
                _short(scope["path"]),
                operation_id or "-",
                status or "-",
                duration_ms,  # the real one, even when the journal's are deterministic
            )
