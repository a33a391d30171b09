"""The agent's tools: discovery and a checked call over the spec, and the account jobs over `vonage_account_ops`.

Every tool is a plain function of its arguments returning a JSON document; nothing here knows MCP. The server
module lists them, checks arguments against their input schemas, applies the policy and turns failures into tool
errors. Credentials come from the configured source at each call, never from an argument.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import threading
import typing
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from vonage_account_ops import jobs
from vonage_account_ops.client import FORWARD_METHODS, AccountOps, WebhookSettings
from vonage_account_ops.credentials import Credentials, CredentialsMissing, CredentialSource
from vonage_account_ops.errors import AccountError, JobRefused, next_step
from vonage_account_ops.mcp_server.catalog import Catalog, Operation
from vonage_account_ops.mcp_server.policy import Guard, GuardrailRefused, parse_amount
from vonage_account_ops.mcp_server.redaction import Redactor

# -- schemas, kept small: every tool's schemas are in every tools/list ----------------------------------------------

_STR = {"type": "string"}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_MONEY = {"type": ["string", "number"], "description": "EUR"}
_NULL_STR = {"type": ["string", "null"]}
_DRY_RUN = {"type": "boolean", "description": "Say what would happen; change nothing."}
_SERVICE = {"type": "string", "enum": ["sms", "sms-transit", "voice"]}


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def _closed(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {**_object(properties, required), "additionalProperties": False}


_WEBHOOKS = _object({"mo_callback_url": _NULL_STR, "dr_callback_url": _NULL_STR, "max_calls_per_second": _INT})
_ANY_OBJECT = {"type": "object"}
_SECRET_ROW = _object({"id": _STR, "created_at": _STR, "in_use": {"type": ["boolean", "null"]}})


@dataclass(frozen=True)
class ToolSpec:
    """A tool: its name, what it does, its schemas and hints, and the function behind it."""

    name: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    read_only: bool
    destructive: bool
    idempotent: bool
    open_world: bool
    run: Callable[..., dict[str, Any]]

    @property
    def writes(self) -> bool:
        """Whether the policy counts it as a write."""
        return not self.read_only


class ToolFailure(Exception):
    """A tool error an agent can act on: what happened, the problem type, and the next step."""

    def __init__(self, title: str, detail: str, next_step: str, *, type_: str = "", status: int | None = None) -> None:
        super().__init__(f"{title}: {detail}")
        self.title = title
        self.detail = detail
        self.next_step = next_step
        self.type = type_
        self.status = status

    def document(self) -> dict[str, Any]:
        """The error as structured content."""
        error: dict[str, Any] = {"title": self.title, "detail": self.detail, "next_step": self.next_step}
        if self.type:
            # A problem document's type is a URI; the rest host's documents carry an error code instead.
            error["type" if ":" in self.type else "error_code"] = self.type
        if self.status is not None:
            error["status"] = self.status
        return {"error": error}


# The agent's words for the tools the advice of `errors.next_step` names.
_NAMES = {
    "list_secrets": "list_secrets",
    "revoke_secret": "revoke_secret",
    "rotate_secret": "rotate_secret",
    "check_balance": "check_balance",
    "pricing": "get_pricing",
    "trx": "the operator's configured trx",
    "hosts": "the operator's VONAGE_REST_URL / VONAGE_API_URL",
    "longer_timeout": "",
    "credentials": "the operator's, not a tool argument",
}


def failure_from(error: AccountError | JobRefused) -> ToolFailure:
    """An API failure, or a job's refusal, as a tool error with a next step."""
    step = next_step(error, _NAMES)
    if isinstance(error, JobRefused):
        return ToolFailure(error.title, error.detail, step, type_=f"urn:vonage-account-mcp:job:{error.kind}")
    return ToolFailure(error.title, error.detail or error.title, step, type_=error.type, status=error.status)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _webhooks(settings: WebhookSettings) -> dict[str, Any]:
    return {
        "mo_callback_url": settings.mo_callback_url,
        "dr_callback_url": settings.dr_callback_url,
        "max_calls_per_second": settings.max_calls_per_second,
    }


def _client_functions() -> dict[str, Callable[..., Any]]:
    """Each operationId's `sync_detailed` in the generated client (its modules are named after the operationIds)."""
    import vonage_account_client.api as api

    found: dict[str, Callable[..., Any]] = {}
    for group in pkgutil.iter_modules(api.__path__):
        package = importlib.import_module(f"{api.__name__}.{group.name}")
        for module in pkgutil.iter_modules(package.__path__):
            found[module.name] = importlib.import_module(f"{package.__name__}.{module.name}").sync_detailed
    return found


class AgentTools:
    """The tools over one credential source, one policy and one set of hosts."""

    def __init__(
        self,
        source: CredentialSource,
        guard: Guard,
        *,
        ops_for: Callable[[Credentials], AccountOps],
        redactor: Redactor | None = None,
        catalog: Catalog | None = None,
        progress: Callable[[float, float, str], None] | None = None,
    ) -> None:
        self.source = source
        self.guard = guard
        self._ops_for = ops_for
        self.redactor = redactor or Redactor()
        self.catalog = catalog or Catalog()
        self._functions = _client_functions()
        self.progress = progress
        self._clients_lock = threading.Lock()
        self._client: tuple[tuple[str, str], AccountOps] | None = None
        self._retired: list[AccountOps] = []
        self.specs = {spec.name: spec for spec in self._specs()}
        try:
            # Known from the start, so that even an error before any call cannot show the configured secret.
            self.credentials()
        except CredentialsMissing:
            pass  # said by the first tool that needs them

    # -- credentials ---------------------------------------------------------------------------------------------

    def credentials(self) -> Credentials:
        """The configured credentials as they are now; their secrets are remembered for redaction."""
        creds = self.source.load()
        self.redactor.remember_basic(creds.api_key, creds.api_secret)
        self.redactor.remember(creds.pending_secret)
        return creds

    @contextmanager
    def _using(self, creds: Credentials) -> Iterator[AccountOps]:
        """A client for these credentials, kept while they stay the same: connections are reused across calls."""
        key = (creds.api_key, creds.api_secret)
        with self._clients_lock:
            if self._client is None or self._client[0] != key:
                if self._client is not None:
                    # Closed with the server, not now: a call under way may still be using it.
                    self._retired.append(self._client[1])
                self._client = (key, self._ops_for(creds))
            ops = self._client[1]
        yield ops

    def close(self) -> None:
        """Close every client's connections."""
        with self._clients_lock:
            clients = [*self._retired, *([self._client[1]] if self._client else [])]
            self._client = None
            self._retired.clear()
        for ops in clients:
            ops.close()

    def _ops(self) -> AbstractContextManager[AccountOps]:
        return self._using(self.credentials())

    def _report(self, done: float, total: float, message: str) -> None:
        if self.progress is not None:
            self.progress(done, total, self.redactor.text(message))

    # -- discovery -----------------------------------------------------------------------------------------------

    def search_operations(self, query: str, limit: int = 5) -> dict[str, Any]:
        return {"operations": [op.listing() for op in self.catalog.search(query, limit)]}

    def call_operation(self, operation_id: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        operation = self.catalog.operations.get(operation_id)
        if operation is None:
            raise ToolFailure(
                "Unknown operation",
                f"no operation {operation_id!r} in the spec",
                "use search_operations to find the operation_id",
            )
        arguments = dict(arguments or {})
        if operation.use_instead:
            # Checked before the arguments: an argument such as a secret value must not even be looked at.
            raise ToolFailure(
                "Not callable here",
                f"{operation_id} needs a credential or payment reference as an argument",
                f"use {operation.use_instead}: it takes that from the operator's configuration",
            )
        check_arguments(operation, arguments)
        dry_run = bool(arguments.pop("dry_run", False))
        creds = self.credentials()
        if operation.operation_id == "revoke_secret":
            # The revoke_secret tool's rule, checked the same way (nothing is revoked by the check).
            with self._using(creds) as ops:
                jobs.revoke(ops, creds, str(arguments["secret_id"]), api_key=arguments.get("api_key"), dry_run=True)
        if _has(operation, "api_key"):
            arguments.setdefault("api_key", creds.api_key)
        if dry_run:
            return {"dry_run": True, "would_send": _request_plan(operation, arguments)}
        call = self._bind(operation, arguments)
        with self._using(creds) as ops:
            client = ops.host_client(operation.host)
            response = ops.send(lambda: call(client), operation.operation_id)
        body = _json(response.content)
        return {"status": int(response.status_code), "body": self.redactor.document(body)}

    def _bind(self, operation: Operation, arguments: dict[str, Any]) -> Callable[[Any], Any]:
        function = self._functions[operation.operation_id]
        signature = inspect.signature(function)
        kwargs: dict[str, Any] = {}
        body: dict[str, Any] = {}
        for param in operation.parameters:
            if param.name not in arguments:
                continue
            if param.location == "body":
                body[param.name] = arguments[param.name]
            else:
                python_name = param.name if param.name in signature.parameters else f"{param.name}_"
                kwargs[python_name] = arguments[param.name]
        if operation.body_type is not None:
            hints = typing.get_type_hints(function)
            model = next(t for t in typing.get_args(hints["body"]) or (hints["body"],) if hasattr(t, "from_dict"))
            kwargs["body"] = model.from_dict(body)
        return lambda client: function(client=client, **kwargs)

    # -- the jobs ------------------------------------------------------------------------------------------------

    def check_balance(self) -> dict[str, Any]:
        with self._ops() as ops:
            info = ops.balance()
        return {"balance": str(info.value), "currency": "EUR", "auto_reload": info.auto_reload}

    def preflight_check(
        self,
        floor: str,
        country: str | None = None,
        messages: int = 0,
        service: str = "sms",
        margin: str = "0.10",
    ) -> dict[str, Any]:
        with self._ops() as ops:
            result = jobs.preflight(
                ops,
                floor=_amount(floor, "floor"),
                country=country,
                messages=messages,
                service=service,
                margin=_amount(margin, "margin"),
            )
        return {
            "go": result.ok,
            "reason": result.reason,
            "balance": str(result.balance),
            "floor": str(result.floor),
            "estimated_cost": _money(result.estimated_cost),
            "required": str(result.required),
        }

    def top_up_if_below_floor(self, floor: str, dry_run: bool = False) -> dict[str, Any]:
        policy = self.guard.policy
        amount = _amount(floor, "floor")
        if policy.max_floor is not None and amount > policy.max_floor:
            raise GuardrailRefused(
                "floor-too-high",
                f"the operator allows floors up to {policy.max_floor} EUR",
                f"ask for a floor of at most {policy.max_floor}",
            )
        if not policy.trx:
            raise ToolFailure(
                "No payment reference configured",
                "top-ups use the operator's trx reference, and none is configured",
                "the operator must set $VONAGE_TOP_UP_TRX or top_up.trx in the policy; the agent cannot give it",
            )

        def reserve() -> None:
            # The day's cap, checked and counted before the top-up is sent (a crash must not allow a second one),
            # under the job's lock of the state folder: concurrent calls count one at a time.
            self.guard.check_top_up()
            self.guard.record_top_up()

        with self._ops() as ops:
            result = jobs.top_up_below_floor(
                ops,
                floor=amount,
                trx=policy.trx,
                state=self.guard.dip_state,
                before_top_up=reserve,
                # Given back only when the API refused it: a top-up of unknown outcome may have been a payment.
                after_refusal=self.guard.forget_top_up,
                dry_run=dry_run,
            )
        if result.action == "would_top_up":
            self.guard.check_top_up()
        return {
            "action": result.action,
            "balance_before": str(result.balance_before),
            "balance_after": str(result.balance_after),
            "dry_run": dry_run,
        }

    def get_webhooks(self) -> dict[str, Any]:
        with self._ops() as ops:
            return _webhooks(ops.settings())

    def set_webhooks(
        self,
        mo_callback_url: str | None = None,
        dr_callback_url: str | None = None,
        http_forward_method: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        try:
            with self._ops() as ops:
                before, after = jobs.set_webhooks(
                    ops,
                    mo_callback_url=mo_callback_url,
                    dr_callback_url=dr_callback_url,
                    http_forward_method=http_forward_method,
                    dry_run=dry_run,
                )
        except jobs.InvalidWebhook as error:
            raise ToolFailure(
                "Invalid webhook", str(error), "give absolute https URLs (an empty string unsets one)"
            ) from None
        document: dict[str, Any] = {"before": _webhooks(before), "after": _webhooks(after), "dry_run": dry_run}
        if http_forward_method is not None:
            document["http_forward_method"] = http_forward_method
        return document

    def list_secrets(self) -> dict[str, Any]:
        creds = self.credentials()
        with self._using(creds) as ops:
            secrets = ops.list_secrets()
        current = jobs.secret_in_use(creds, secrets)
        known = current is not None
        document: dict[str, Any] = {
            "secrets": [
                {"id": s.id, "created_at": s.created_at, "in_use": (s.id == current) if known else None}
                for s in secrets
            ],
            "in_use_known": known,
        }
        if not known:
            document["note"] = (
                "two secrets are active and the credentials do not record which is in use; the operator can add "
                "api_secret_id to the credentials file (rotate_secret records it)"
            )
        return document

    def audit_secrets(self, max_age_days: float = 90) -> dict[str, Any]:
        creds = self.credentials()
        with self._using(creds) as ops:
            result = jobs.audit(ops, creds, max_age_days=max_age_days)
        known = result.current is not None
        return {
            "secrets": [
                {
                    "id": r.secret.id,
                    "created_at": r.secret.created_at,
                    "age_days": r.age_days,
                    "in_use": r.current if known else None,
                    "flagged": r.flagged,
                }
                for r in result.secrets
            ],
            "flagged": len(result.flagged),
            "in_use_known": known,
        }

    def rotate_secret(self, dry_run: bool = False) -> dict[str, Any]:
        store = self.source.store
        if store is None:
            raise ToolFailure(
                "No credentials store",
                f"the credentials come from {self.source.description}, which this server cannot rewrite",
                "the operator must rotate the secret where it is kept, or configure a credentials file (--credentials)",
            )
        creds = self.credentials()
        if dry_run:
            with self._using(creds) as ops:
                plan = jobs.rotation_plan(ops, creds)
            return {"dry_run": True, "plan": plan}
        self._report(0, 3, "rotation started: making a new secret")
        try:
            rotation = jobs.rotate(
                store,
                ops_for=self._ops_for,
                after_store=lambda new: self._stored(new),
                grace_seconds=self.guard.policy.rotation_grace_seconds,
            )
        except jobs.RotationInProgress as busy:
            raise ToolFailure(
                busy.title, busy.detail, "do not start another: list_secrets shows when it is done"
            ) from None
        after = self.credentials()
        self._report(3, 3, f"rotation done: now using {after.api_secret_id}")
        return {
            "new_secret_id": rotation.new_secret_id,
            "revoked": [i for i in rotation.revoked if i],
            "made_room_by_revoking": rotation.made_room_by_revoking,
            "stored_in": "the credentials file",
            "dry_run": False,
        }

    def _stored(self, new: Credentials) -> None:
        self.redactor.remember_basic(new.api_key, new.api_secret)
        self.redactor.remember(new.pending_secret)
        self._report(2, 3, f"new secret {new.api_secret_id} stored and in use; revoking the old one after the grace")

    def revoke_secret(self, secret_id: str, api_key: str | None = None, dry_run: bool = False) -> dict[str, Any]:
        creds = self.credentials()
        with self._using(creds) as ops:
            key = jobs.revoke(ops, creds, secret_id, api_key=api_key, dry_run=dry_run)
        if dry_run:
            return {"revoked": None, "would_revoke": secret_id, "api_key": key, "dry_run": True}
        return {"revoked": secret_id, "api_key": key, "dry_run": False}

    def get_pricing(
        self, country: str | None = None, prefix: str | None = None, service: str = "sms"
    ) -> dict[str, Any]:
        if bool(country) == bool(prefix):
            raise ToolFailure(
                "Country or prefix",
                "give exactly one of country (e.g. GB) or prefix (e.g. 44)",
                "call again with one of them",
            )
        with self._ops() as ops:
            countries = jobs.pricing(ops, country=country, prefix=prefix, service=service)
        return {
            "service": service,
            "countries": [
                {
                    "country_code": c.country_code,
                    "country_name": c.country_name,
                    "dialing_prefix": c.dialing_prefix,
                    "default_price": _money(c.default_price),
                    "estimate_price": _money(c.estimate_price),
                    "networks": [
                        {"network_code": n.code, "network_name": n.name, "price": str(n.price)} for n in c.networks
                    ],
                }
                for c in countries
            ],
        }

    def register_sender(self, email: str, name: str | None = None, dry_run: bool = False) -> dict[str, Any]:
        if dry_run:
            return {"provider": "email", "value": email, "name": name, "dry_run": True}
        with self._ops() as ops:
            sender = ops.register_sender(email, name)
        document = sender.to_dict()
        return {"provider": "email", "value": str(document.get("value", email)), "name": name, "dry_run": False}

    # -- the list ------------------------------------------------------------------------------------------------

    def _specs(self) -> list[ToolSpec]:
        operation_ids = sorted(self.catalog.operations)
        return [
            ToolSpec(
                "search_operations",
                "Find Account API operations by intent; each with the input_schema call_operation takes.",
                _closed({"query": _STR, "limit": {"type": "integer", "minimum": 1, "maximum": 11}}, ("query",)),
                _object(
                    {
                        "operations": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["operation_id", "method", "path", "summary", "input_schema"],
                            },
                        }
                    },
                    ("operations",),
                ),
                read_only=True,
                destructive=False,
                idempotent=True,
                open_world=False,
                run=self.search_operations,
            ),
            ToolSpec(
                "call_operation",
                "Call an operation found by search_operations with its input_schema's arguments. "
                "Credentials are injected; writes take dry_run.",
                _closed(
                    {"operation_id": {"type": "string", "enum": operation_ids}, "arguments": {"type": "object"}},
                    ("operation_id",),
                ),
                _object({"status": _INT, "body": {}, "dry_run": _BOOL, "would_send": {"type": "object"}}),
                read_only=False,
                destructive=True,
                idempotent=False,
                open_world=True,
                run=self.call_operation,
            ),
            ToolSpec(
                "check_balance",
                "The account balance (EUR) and whether auto-reload is on.",
                _closed({}),
                _object({"balance": _MONEY, "currency": _STR, "auto_reload": _BOOL}, ("balance", "auto_reload")),
                read_only=True,
                destructive=False,
                idempotent=True,
                open_world=True,
                run=self.check_balance,
            ),
            ToolSpec(
                "preflight_check",
                "Go/no-go before a bulk send: does the balance cover the floor and the send's estimated cost "
                "(dearest network, plus margin)?",
                _closed(
                    {
                        "floor": _MONEY,
                        "country": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
                        "messages": {"type": "integer", "minimum": 0},
                        "service": _SERVICE,
                        "margin": {"type": ["string", "number"], "description": "e.g. 0.10"},
                    },
                    ("floor",),
                ),
                _object(
                    {
                        "go": _BOOL,
                        "reason": _STR,
                        "balance": _STR,
                        "floor": _STR,
                        "estimated_cost": _NULL_STR,
                        "required": _STR,
                    },
                    ("go", "reason", "balance"),
                ),
                read_only=True,
                destructive=False,
                idempotent=True,
                open_world=True,
                run=self.preflight_check,
            ),
            ToolSpec(
                "top_up_if_below_floor",
                "Top up with the operator's auto-reload reference when the balance is under the floor; "
                "once per dip, capped per day.",
                _closed({"floor": _MONEY, "dry_run": _DRY_RUN}, ("floor",)),
                _object(
                    {"action": _STR, "balance_before": _STR, "balance_after": _STR, "dry_run": _BOOL},
                    ("action", "balance_before", "balance_after"),
                ),
                read_only=False,
                destructive=False,
                idempotent=True,
                open_world=True,
                run=self.top_up_if_below_floor,
            ),
            ToolSpec(
                "get_webhooks",
                "The default inbound-SMS (mo) and delivery-receipt (dr) webhooks.",
                _closed({}),
                _WEBHOOKS,
                read_only=True,
                destructive=False,
                idempotent=True,
                open_world=True,
                run=self.get_webhooks,
            ),
            ToolSpec(
                "set_webhooks",
                "Set the default webhooks (https; empty string unsets) and forward method; shows before and after.",
                _closed(
                    {
                        "mo_callback_url": _STR,
                        "dr_callback_url": _STR,
                        "http_forward_method": {"type": "string", "enum": list(FORWARD_METHODS)},
                        "dry_run": _DRY_RUN,
                    }
                ),
                _object(
                    {"before": _ANY_OBJECT, "after": _ANY_OBJECT, "http_forward_method": _STR, "dry_run": _BOOL},
                    ("before", "after"),
                ),
                read_only=False,
                destructive=True,
                idempotent=True,
                open_world=True,
                run=self.set_webhooks,
            ),
            ToolSpec(
                "list_secrets",
                "The key's API secrets: ids, creation times, which one is in use. Never values.",
                _closed({}),
                _object(
                    {"secrets": {"type": "array", "items": _SECRET_ROW}, "in_use_known": _BOOL, "note": _STR},
                    ("secrets", "in_use_known"),
                ),
                read_only=True,
                destructive=False,
                idempotent=True,
                open_world=True,
                run=self.list_secrets,
            ),
            ToolSpec(
                "rotate_secret",
                "Replace the secret in use without downtime: new secret to the credentials store, old one revoked. "
                "Returns ids only.",
                _closed({"dry_run": _DRY_RUN}),
                _object(
                    {
                        "new_secret_id": _STR,
                        "revoked": {"type": "array", "items": _STR},
                        "made_room_by_revoking": _NULL_STR,
                        "plan": {"type": "array", "items": _STR},
                        "dry_run": _BOOL,
                    },
                    ("dry_run",),
                ),
                read_only=False,
                destructive=True,
                idempotent=False,
                open_world=True,
                run=self.rotate_secret,
            ),
            ToolSpec(
                "revoke_secret",
                "Revoke a secret by id; never the one in use. api_key: a sub-account's, to manage its secrets.",
                _closed({"secret_id": _STR, "api_key": _STR, "dry_run": _DRY_RUN}, ("secret_id",)),
                _object({"revoked": _NULL_STR, "would_revoke": _STR, "api_key": _STR, "dry_run": _BOOL}, ("dry_run",)),
                read_only=False,
                destructive=True,
                idempotent=True,
                open_world=True,
                run=self.revoke_secret,
            ),
            ToolSpec(
                "audit_secrets",
                "Secrets with their age in days; flags those older than max_age_days, except the one in use.",
                _closed({"max_age_days": {"type": "number", "minimum": 0}}),
                _object(
                    {
                        "secrets": {"type": "array", "items": {"type": "object", "required": ["id", "flagged"]}},
                        "flagged": _INT,
                        "in_use_known": _BOOL,
                    },
                    ("secrets", "flagged"),
                ),
                read_only=True,
                destructive=False,
                idempotent=True,
                open_world=True,
                run=self.audit_secrets,
            ),
            ToolSpec(
                "get_pricing",
                "Outbound prices per network of one country (ISO code) or of a dialling prefix.",
                _closed(
                    {"country": {"type": "string", "pattern": "^[A-Za-z]{2}$"}, "prefix": _STR, "service": _SERVICE}
                ),
                _object({"service": _STR, "countries": {"type": "array", "items": {"type": "object"}}}, ("countries",)),
                read_only=True,
                destructive=False,
                idempotent=True,
                open_world=True,
                run=self.get_pricing,
            ),
            ToolSpec(
                "register_sender",
                "Register an email address as a sender for Verify V2.",
                _closed({"email": _STR, "name": _STR, "dry_run": _DRY_RUN}, ("email",)),
                _object({"provider": _STR, "value": _STR, "name": _NULL_STR, "dry_run": _BOOL}, ("value",)),
                read_only=False,
                destructive=False,
                idempotent=True,
                open_world=True,
                run=self.register_sender,
            ),
        ]


TOOL_NAMES = (
    "search_operations",
    "call_operation",
    "check_balance",
    "preflight_check",
    "top_up_if_below_floor",
    "get_webhooks",
    "set_webhooks",
    "list_secrets",
    "rotate_secret",
    "revoke_secret",
    "audit_secrets",
    "get_pricing",
    "register_sender",
)
"""Every tool, in the order tools/list shows them (known without building a server, for the policy's checks)."""

OPERATION_TOOLS = {
    "get_balance": "check_balance",
    "top_up": "top_up_if_below_floor",
    "update_settings": "set_webhooks",
    "register_sender": "register_sender",
    "get_country_pricing": "get_pricing",
    "get_full_pricing": "get_pricing",
    "get_prefix_pricing": "get_pricing",
    "list_secrets": "list_secrets",
    "get_secret": "list_secrets",
    "create_secret": "rotate_secret",
    "revoke_secret": "revoke_secret",
}
"""The curated tool whose policy an operation called through `call_operation` is held to."""


class InvalidArguments(ToolFailure):
    """Arguments that do not match an input schema (the field is named, its value never shown)."""


def check_arguments(operation: Operation, arguments: dict[str, Any]) -> None:
    """Check `arguments` against the operation's input schema; the error names the field and the rule."""
    check_schema(operation.input_schema, arguments, f"call_operation({operation.operation_id})")


def check_schema(schema: dict[str, Any], arguments: Any, where: str) -> None:
    """Check a document against a JSON schema; the error names the field and the rule, never the value."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(arguments), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if not errors:
        return
    error = errors[0]
    field_name = ".".join(str(p) for p in error.absolute_path) or "arguments"
    if error.validator == "additionalProperties":
        extra = sorted(set(arguments if isinstance(arguments, dict) else {}) - set(schema.get("properties", {})))
        field_name, rule = ", ".join(extra) or field_name, "is not an argument of this tool or operation"
    elif error.validator == "required":
        missing = [m for m in schema.get("required", []) if isinstance(arguments, dict) and m not in arguments]
        field_name, rule = ", ".join(missing) or field_name, "is required"
    elif error.validator == "enum":
        rule = f"must be one of {', '.join(map(str, error.validator_value))}"
    elif error.validator == "pattern":
        rule = f"must match {error.validator_value}"
    elif error.validator == "type":
        rule = f"must be of type {error.validator_value}"
    elif error.validator in ("minimum", "maximum", "minLength", "maxLength"):
        rule = f"breaks {error.validator} {error.validator_value}"
    else:
        rule = f"breaks the schema's {error.validator} rule"
    raise InvalidArguments(
        "Invalid arguments",
        f"{where}: {field_name} {rule}",
        "fix that argument (search_operations shows the input_schema) and call again",
    )


def _has(operation: Operation, name: str) -> bool:
    return any(p.name == name for p in operation.parameters)


def _request_plan(operation: Operation, arguments: dict[str, Any]) -> dict[str, Any]:
    path = operation.path
    query: dict[str, Any] = {}
    body: dict[str, Any] = {}
    for param in operation.parameters:
        if param.name not in arguments:
            continue
        if param.location == "path":
            path = path.replace("{" + param.name + "}", str(arguments[param.name]))
        elif param.location == "query":
            query[param.name] = arguments[param.name]
        else:
            body[param.name] = arguments[param.name]
    plan: dict[str, Any] = {"method": operation.method, "host": operation.host, "path": path}
    if query:
        plan["query"] = query
    if operation.body_type:
        plan["body"] = body
    return plan


def _amount(value: Any, name: str) -> Decimal:
    try:
        return parse_amount(value, name)
    except Exception:
        raise InvalidArguments(
            "Invalid arguments", f'{name} must be a non-negative amount, e.g. "20.00"', "fix it and call again"
        ) from None


def _json(content: bytes) -> Any:
    try:
        return json.loads(content) if content else None
    except ValueError:
        return None
