"""The request journal: what reached the Account API, with secrets redacted, bounded in size."""

from __future__ import annotations

import binascii
import copy
import json
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypedDict, Unpack
from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from vonage_account_mock.layers.context import CREDENTIALS_REFUSED, RequestState, noting_status, state_of
from vonage_account_mock.layers.limits import MAX_JSON_DEPTH, nested_deeper_than
from vonage_account_mock.state.models import DETERMINISTIC_EPOCH, AccountBackend
from vonage_account_spec import unknown_operation, unknown_status

REDACTED = "[redacted]"
SENSITIVE_WORDS = ("secret", "password", "trx")
"""A field whose name holds one of these (in any case, spacing or punctuation) holds a credential the journal never
keeps, at any depth: `api_secret`, `API-Secret `, `pending_secret`, `password` and a top-up's `trx` among them."""
MAX_STRING = 256
"""Longer strings are kept cut, with their length: a request cannot make the journal hold megabytes."""
MAX_ENTRIES = 1000
MAX_BODY_CAPTURE = 4096
MIN_SCANNED_CREDENTIAL = 6
"""A credential at least this long is redacted wherever a kept string holds it; a shorter one (a test's `trx=t`) only
where a whole string is it, or every string holding a `t` would go."""
_DETERMINISTIC_START = DETERMINISTIC_EPOCH.timestamp()
_SENSITIVE_NAME = re.compile("|".join(SENSITIVE_WORDS), re.IGNORECASE)
_URL_SAFE = re.compile(r"[A-Za-z0-9_.\-~]*")
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')
_LOOSE_SEPARATORS = re.compile(r"[&;]")
_FIELD_NAME = re.compile(r"[A-Za-z0-9_.\-\[\]]{1,64}")
"""What the journal takes for a form field's name: a body whose `name=value` split yields anything else (a JSON
text, a multipart part) is no form, and is not kept."""
_JSON_TYPES = ("application/json",)
_DOCUMENTS = (dict, list)
_FORM_TYPE = "application/x-www-form-urlencoded"

log = logging.getLogger("vonage_account_mock.access")


class JournalEntry(NamedTuple):
    """One request to the Account API and its answer.

    A named tuple, as the journal keeps one for every request and most are never read: as cheap to make as a tuple.
    `at` is when the request arrived, in seconds since the epoch (ISO 8601 in `as_dict`). `account` is the api_key
    that authenticated, or whose valid credentials a request answered before they were checked carried; None
    otherwise (a claimed key is not proof of anything, and a malformed credential's "key" may be its secret).
    """

    seq: int
    at: float
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
        """The entry as the control API shows it (a copy: changing it changes nothing in the journal)."""
        document = self._asdict()
        for name in ("query", "body", "failure"):
            document[name] = copy.deepcopy(document[name])
        document["at"] = datetime.fromtimestamp(self.at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return document


def _sensitive_name(name: str) -> bool:
    """Whether a field called `name` holds a credential (see SENSITIVE_WORDS)."""
    return _SENSITIVE_NAME.search(name) is not None


def _short(value: str) -> str:
    return value if len(value) <= MAX_STRING else f"{value[:MAX_STRING]}…[{len(value)} characters]"


def _short_or_none(value: str | None) -> str | None:
    return None if value is None else _short(value)


def _redact_pairs(pairs: Iterable[tuple[str, str]], found: set[str]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for name, value in pairs:
        if _sensitive_name(name):
            found.add(value)
            kept[_short(name)] = REDACTED
        else:
            if ";" in value or "&" in value:
                # Read loosely too: `api_key=k;api_secret=S` is one field to a strict parser, two to some servers.
                _loose_credentials(value, found)
            kept[_short(name)] = _short(value)
    return kept


def _loose_credentials(text: str, found: set[str]) -> None:
    """Add the value of every sensitive-looking `name=value` piece of `text`, split on `;` as well as `&`."""
    for piece in _LOOSE_SEPARATORS.split(text):
        name, _, value = piece.partition("=")
        if _sensitive_name(unquote_plus(name)):
            found.add(unquote_plus(value).strip())


def _redact_document(node: Any, found: set[str]) -> Any:
    """A parsed body with every sensitive field blanked, however deep, and long strings cut."""
    if isinstance(node, dict):
        kept = {}
        for key, value in node.items():
            if _sensitive_name(str(key)):
                # What a sensitive field held, whatever its shape: each string in it is a credential to look for.
                _collect_strings(value, found)
                kept[_short(str(key))] = REDACTED
            else:
                kept[_short(str(key))] = _redact_document(value, found)
        return kept
    if isinstance(node, list):
        return [_redact_document(item, found) for item in node]
    if isinstance(node, str):
        return _short(node)
    return node


def _collect_strings(node: Any, found: set[str]) -> None:
    """Every string in a document into `found`."""
    if isinstance(node, str):
        found.add(node)
    elif isinstance(node, dict):
        for value in node.values():
            _collect_strings(value, found)
    elif isinstance(node, list):
        for item in node:
            _collect_strings(item, found)


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _is_json_type(media_type: str) -> bool:
    return media_type in _JSON_TYPES or (media_type.startswith("application/") and media_type.endswith("+json"))


def redact_body(raw: bytes, content_type: str, parsed: tuple[bytes, Any] | None, found: set[str]) -> Any:
    """The request body as the journal keeps it: parsed when possible, secrets replaced at any depth.

    Kept only when it parses strictly as its declared type: JSON media types as JSON, and
    `application/x-www-form-urlencoded` as `name=value` pairs. Anything else (multipart, `text/plain`, a JSON text
    labelled as a form) is not kept, so a secret in it is not kept either. The values of sensitive fields are added
    to `found`.
    """
    if not raw:
        return None
    if len(raw) > MAX_BODY_CAPTURE:
        return f"[{len(raw)} bytes, not kept]"
    media_type = _media_type(content_type)
    json_body = _is_json_type(media_type)
    if json_body and nested_deeper_than(raw, MAX_JSON_DEPTH):
        # The journal's own bound, whoever parsed the body: an operator's --max-json-depth may let deeper ones in.
        return f"[JSON nested deeper than {MAX_JSON_DEPTH} levels, not kept]"
    if parsed is not None and parsed[0] == raw:
        # Parsed once already, by the express lane, which reads only JSON content types, and only UTF-8.
        return _redact_document(parsed[1], found)
    if not json_body and media_type != _FORM_TYPE:
        return "[body not kept]"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return f"[{len(raw)} bytes, not UTF-8]"
    if json_body:
        try:
            document = json.loads(text)
        except ValueError:
            return "[malformed JSON, not kept]"
        return _redact_document(document, found)
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return "[malformed form, not kept]"
    if not all(_FIELD_NAME.fullmatch(name) for name, _ in pairs):
        return "[malformed form, not kept]"
    return _redact_pairs(pairs, found)


def _presented_credentials(basic: tuple[str, bool, str] | None, unkept_body: bytes) -> set[str]:
    """The values a request presented as credentials beyond the fields already read by name: the Basic password
    (the whole credential when it has no colon), and the sensitive-looking fields of a body the journal does not
    keep, read loosely."""
    found: set[str] = set()
    if basic is not None:
        key, colon, secret = basic
        found.add(secret if colon else key)
    if unkept_body:
        _loose_credentials(unkept_body[:MAX_BODY_CAPTURE].decode("utf-8", "replace"), found)
    return found


def _json_escaped(text: str) -> str:
    if _JSON_ESCAPED.search(text) is None:
        return text  # most credentials: JSON writes them as they are
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _spellings(credential: str) -> set[str]:
    """A credential as a kept string could hold it: as is, percent-encoded, base64 (standard and URL-safe)."""
    encoded = binascii.b2a_base64(credential.encode("utf-8", "surrogateescape"), newline=False).decode().rstrip("=")
    spellings = {credential, encoded, encoded.replace("+", "-").replace("/", "_")}
    if not _URL_SAFE.fullmatch(credential):
        # Most credentials are letters and digits, which percent-encoding leaves as they are.
        spellings |= {quote(credential, safe=""), quote_plus(credential)}
    return spellings


class _ValueRedactor:
    """Blanks every kept string that holds one of some credentials, in any of their spellings."""

    def __init__(self, credentials: Iterable[str]) -> None:
        self.whole: set[str] = set()
        self.inside: set[str] = set()
        for credential in credentials:
            if credential:  # an empty value (`api_secret=`) hides nothing, and every empty string would go
                bucket = self.inside if len(credential) >= MIN_SCANNED_CREDENTIAL else self.whole
                bucket.update(_spellings(credential))
        # How JSON writes the spellings: as they are, but for quotes, backslashes and control characters.
        self.inside_as_json = [_json_escaped(spelling) for spelling in self.inside]
        self.whole_as_json = [f'"{_json_escaped(spelling)}"' for spelling in self.whole]

    def finds_any(self, *nodes: Any) -> bool:
        """Whether any string in `nodes` may hold a credential.

        One substring search per spelling over the nodes written as JSON (in C), so the usual answer, no, costs no
        walk in Python; a spelling JSON writes escaped (a quote, a backslash, a control character) is looked for as
        written, and a `yes` here is checked string by string.
        """
        try:
            text = orjson.dumps(nodes).decode()
        except orjson.JSONEncodeError:
            return True  # what orjson cannot write (a lone surrogate): walk it
        for spelling in self.inside_as_json:
            if spelling in text:
                return True
        return any(spelling in text for spelling in self.whole_as_json)

    def string(self, value: str) -> str:
        """`value`, or REDACTED when it holds one of the credentials."""
        if value in self.whole:
            return REDACTED
        for spelling in self.inside:
            if spelling in value:
                return REDACTED
        return value

    def node(self, node: Any) -> Any:
        """A copy of a kept document with every string holding a credential (key or value) blanked."""
        if isinstance(node, str):
            return self.string(node)
        if isinstance(node, dict):
            return {self.string(str(key)): self.node(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self.node(item) for item in node]
        return node


class JournalFilters(TypedDict, total=False):
    """What the journal's entries can be filtered by."""

    operation_id: str | None
    account: str | None
    status: int | None
    limit: int | None


class UnknownFilter(ValueError):
    """A journal filter that names what the spec does not have."""


class Journal:
    """A bounded, thread-safe log of Account API requests, oldest first."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=max_entries)
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
                JournalEntry(
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

    def entries(self, **filters: Unpack[JournalFilters]) -> list[JournalEntry]:
        """Matching entries, oldest first; `limit` keeps the newest ones.

        A filter no entry could ever match (an operation id the spec does not have, a status no operation declares)
        raises UnknownFilter: it would match nothing, and a test asserting nothing was called would pass for the
        wrong reason.
        """
        operation_id, account = filters.get("operation_id"), filters.get("account")
        status, limit = filters.get("status"), filters.get("limit")
        refusal = (operation_id is not None and unknown_operation(operation_id)) or (
            status is not None and unknown_status(status)
        )
        if refusal:
            raise UnknownFilter(refusal)
        found = [
            entry
            for entry in self._kept()
            if (operation_id is None or entry.operation_id == operation_id)
            and (account is None or _about(entry, account))
            and (status is None or entry.status == status)
        ]
        return found[-limit:] if limit else found

    def _kept(self) -> list[JournalEntry]:
        """Every entry kept, oldest first: a copy, taken under the lock (the filtering is done outside it)."""
        with self._lock:
            return list(self._entries)

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


def _about(entry: JournalEntry, account: str) -> bool:
    return entry.account == account or _path_account(entry.path) == account


def _path_account(path: str) -> str | None:
    # /accounts/{api_key}/secrets...: the key a request is about, even when it failed to authenticate.
    if path.startswith("/accounts/"):
        return path.split("/")[2] or None
    return None


def _basic_credential(state: RequestState) -> tuple[str, bool, str] | None:
    """A Basic `Authorization`'s key, whether it had a colon, and secret (all empty when undecodable); None without
    one."""
    authorization = state.authorization
    if authorization is None or authorization[:6].lower() != b"basic ":
        return None
    try:
        key, colon, secret = binascii.a2b_base64(authorization[6:]).decode("latin-1").partition(":")
    except (binascii.Error, ValueError):
        return "", False, ""
    return key, bool(colon), secret


def claimed_account(scope: Scope) -> str | None:
    """The key a request claims to come from (Basic username or `api_key`), before it is authenticated."""
    state = state_of(scope).read_headers(scope)
    return _claimed_account(scope, state, _basic_credential(state))


def _claimed_account(scope: Scope, state: RequestState, basic: tuple[str, bool, str] | None) -> str | None:
    if basic is not None:
        key, colon, _ = basic
        # Without a colon the credential names no key: what it holds may be the secret alone.
        return key if colon and key else None
    for name, value in state.query(scope.get("query_string", b"")):
        if name == "api_key" and value:
            return value
    return None


def _presented_pair(scope: Scope, state: RequestState, basic: tuple[str, bool, str] | None) -> tuple[str, str] | None:
    """The api_key and secret a request presented (Basic, else the query pair), if it presented one pair."""
    if state.authorization:
        return (basic[0], basic[2]) if basic is not None and basic[1] else None
    pairs = state.query(scope.get("query_string", b""))
    keys = [value for name, value in pairs if name == "api_key"]
    secrets = [value for name, value in pairs if name == "api_secret"]
    return (keys[0], secrets[0]) if len(keys) == len(secrets) == 1 else None


def _chosen_failure(failure: Any) -> bool:
    """Whether a FAILURE holds names the request chose (a field's), not only the mock's own words."""
    return failure is not None and not (isinstance(failure, dict) and list(failure.items()) == [CREDENTIALS_REFUSED])


_JSON = "application/json"
"""What a body the express lane parsed was sent as: it parses only bodies sent as the JSON type the spec declares."""


class JournalMiddleware:
    """Records every Account API request in the journal and logs one line for it.

    Secrets are redacted by name, and by value: what the request presented as credentials, and what the mock holds
    in clear for the account concerned (its `trx` and signature secret), wherever a kept string holds them. The
    account is the one that authenticated, or whose valid credentials the request carried when it was answered before
    they were checked (a malformed body, a fault plan): never a key merely claimed.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        journal: Journal,
        excluded_prefixes: tuple[str, ...],
        backend: AccountBackend | None = None,
    ) -> None:
        self.app = app
        self.journal = journal
        self.excluded_prefixes = excluded_prefixes
        self.backend = backend

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.excluded_prefixes):
            await self.app(scope, receive, send)
            return
        # Shared with every shallow copy of the scope further in, so what they learn comes back here; the status of
        # the answer among it, noted by the outermost layer that wraps `send` for it (the CrashGuard, or else here).
        state = state_of(scope)
        send = noting_status(state, send)
        arrived = time.time()
        started = time.perf_counter()
        crashed = False
        try:
            await self.app(scope, receive, send)
        except Exception:
            crashed = True  # a bug further in: the CrashGuard outside answers it with a 500, as recorded here
            raise
        finally:
            self._record(scope, state, arrived, round((time.perf_counter() - started) * 1000, 3), crashed)

    def _record(self, scope: Scope, state: RequestState, arrived: float, duration_ms: float, crashed: bool) -> None:
        state.read_headers(scope)  # (read already unless a layer inside answered before any asked)
        # The body as the wire layer read it (the one reader of every body): no wrapper on `receive` for it.
        raw_body = state.arrived_body
        parsed = state.parsed_json
        status = state.status if state.status is not None else 500 if crashed else 0
        operation_id = state.operation
        caller = state.caller
        basic = None  # decoded only when needed: a call that authenticated and keeps no strings never decodes it
        if caller is None and (status != 401 or state.fault is not None):
            # Answered before its credentials were checked (its body or query out of bounds, its media type wrong, a
            # fault plan): it still belongs to the account whose credentials it carried, so a tenant on a shared mock
            # sees its own 400s and faults. A 401 that no fault answered had them checked, and wrong.
            basic = _basic_credential(state)
            caller = self._proven_account(scope, state, basic)
        found: set[str] = set()
        pairs = state.query(scope.get("query_string", b""))
        query = _redact_pairs(pairs, found) if pairs else {}
        if raw_body:
            content_type = _JSON if parsed else (state.content_type or b"").decode("latin-1")
            body = redact_body(raw_body, content_type, parsed, found)
        else:
            body = None
        path = _short(scope["path"])
        failure = state.failure
        # The scan by value, only when the entry keeps strings the request chose beyond a routed path, and only for
        # what the express lane did not answer: a call it answered holds the spec's fields alone, checked, and their
        # sensitive ones are redacted by name (the rest, callback URLs and sender names, the mock shows back anyway).
        # So the hot path pays nothing for it; what is odd, refused or unknown does.
        if not state.answered_express and (
            query or isinstance(body, _DOCUMENTS) or _chosen_failure(failure) or operation_id is None
        ):
            if basic is None:
                basic = _basic_credential(state)
            found |= _presented_credentials(basic, b"" if isinstance(body, _DOCUMENTS) else raw_body)
            if self.backend is not None:
                concerned = caller or _claimed_account(scope, state, basic)
                about = _path_account(scope["path"])
                if concerned:
                    found.update(self.backend.held_credentials(concerned))
                if about and about != concerned:
                    found.update(self.backend.held_credentials(about))
            redactor = _ValueRedactor(found)
            if found and redactor.finds_any(query, body, failure, path):
                query, body, failure = redactor.node(query), redactor.node(body), redactor.node(failure)
                path = redactor.string(path)
        self.journal.record(
            arrived,
            operation_id,
            scope["method"],
            path,
            query,
            body,
            status,
            state.auth_scheme,
            _short_or_none(caller),
            duration_ms,
            failure,
            state.fault,
        )
        if log.isEnabledFor(logging.INFO):
            log.info(
                "%s %s %s %s %.1fms",
                scope["method"],
                path,
                operation_id or "-",
                status or "-",
                duration_ms,  # the real one, even when the journal's are deterministic
            )

    def _proven_account(self, scope: Scope, state: RequestState, basic: tuple[str, bool, str] | None) -> str | None:
        pair = _presented_pair(scope, state, basic) if self.backend is not None else None
        if pair is None or self.backend is None or not self.backend.verifies(*pair):
            return None
        return pair[0]
