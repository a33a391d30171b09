"""The agent's tools: discovery and a checked call over the spec, and the account jobs over `vonage_account_ops.jobs`.

Every tool is a method declared with `@tool` (name, schemas, hints, the operations it covers) returning a JSON
document; nothing here knows MCP, and no decision of a job is made here: the tools parse arguments and shape answers.
The server module lists them, checks arguments against their input schemas, applies the policy and turns failures
into tool errors. Credentials come from the configured source at each call, never from an argument.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal
from typing import Any

from vonage_account_ops import jobs
from vonage_account_ops.client import FORWARD_METHODS, AccountOps, WebhookSettings, json_body
from vonage_account_ops.credentials import Credentials, CredentialsMissing, CredentialSource
from vonage_account_ops.mcp_server.calls import (
    bind,
    check_arguments,
    client_functions,
    has_parameter,
    request_plan,
)
from vonage_account_ops.mcp_server.catalog import Catalog
from vonage_account_ops.mcp_server.failures import InvalidArguments, ToolFailure
from vonage_account_ops.mcp_server.policy import Guard, GuardrailRefused, parse_amount
from vonage_account_ops.mcp_server.redaction import Redactor
from vonage_account_ops.mcp_server.registry import DECLARED, BoundTool, tool
from vonage_account_ops.mcp_server.schemas import (
    ANY_OBJECT,
    BOOL,
    COUNTRY,
    DRY_RUN,
    INT,
    MONEY,
    NULL_STR,
    SECRET_ROW,
    SERVICE,
    STR,
    WEBHOOKS,
    closed_object,
    open_object,
)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _webhooks(settings: WebhookSettings) -> dict[str, Any]:
    return {
        "mo_callback_url": settings.mo_callback_url,
        "dr_callback_url": settings.dr_callback_url,
        "max_calls_per_second": settings.max_calls_per_second,
    }


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
    ) -> None:
        self.source = source
        self.guard = guard
        self._ops_for = ops_for
        self.redactor = redactor or Redactor()
        self.catalog = catalog or Catalog()
        self._functions = client_functions()
        self.progress: Callable[[float, float, str], None] | None = None
        """Where the tools report a long job's progress (the server points it at the client of the call under way)."""
        self._clients_lock = threading.Lock()
        self._client: tuple[tuple[str, str], AccountOps] | None = None
        self._retired: list[AccountOps] = []
        self.specs: dict[str, BoundTool] = {
            spec.name: spec.bound(self.catalog, getattr(self, spec.name)) for spec in DECLARED
        }
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

    @tool(
        "Find Account API operations by intent; each with the input_schema call_operation takes.",
        input_schema=closed_object(
            {"query": STR, "limit": {"type": "integer", "minimum": 1, "maximum": 11}}, ("query",)
        ),
        output_schema=open_object(
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
        open_world=False,
    )
    def search_operations(self, query: str, limit: int = 5) -> dict[str, Any]:
        return {"operations": [op.listing() for op in self.catalog.search(query, limit)]}

    @tool(
        "Call an operation found by search_operations with its input_schema's arguments. "
        "Credentials are injected; writes take dry_run.",
        input_schema=lambda catalog: closed_object(
            {"operation_id": {"type": "string", "enum": sorted(catalog.operations)}, "arguments": {"type": "object"}},
            ("operation_id",),
        ),
        output_schema=open_object({"status": INT, "body": {}, "dry_run": BOOL, "would_send": {"type": "object"}}),
        read_only=False,
        destructive=True,
        idempotent=False,
    )
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
        if has_parameter(operation, "api_key"):
            arguments.setdefault("api_key", creds.api_key)
        if dry_run:
            return {"dry_run": True, "would_send": request_plan(operation, arguments)}
        call = bind(self._functions[operation.operation_id], operation, arguments)
        with self._using(creds) as ops:
            client = ops.host_client(operation.host)
            response = ops.send(lambda: call(client), operation.operation_id)
        body = json_body(response.content)
        return {"status": int(response.status_code), "body": self.redactor.document(body)}

    # -- the jobs ------------------------------------------------------------------------------------------------

    @tool(
        "The account balance (EUR) and whether auto-reload is on.",
        input_schema=closed_object({}),
        output_schema=open_object({"balance": MONEY, "currency": STR, "auto_reload": BOOL}, ("balance", "auto_reload")),
        read_only=True,
        operations=("get_balance",),
    )
    def check_balance(self) -> dict[str, Any]:
        with self._ops() as ops:
            info = ops.balance()
        return {"balance": str(info.value), "currency": "EUR", "auto_reload": info.auto_reload}

    @tool(
        "Go/no-go before a bulk send: does the balance cover the floor and the send's estimated cost "
        "(dearest network, plus margin)?",
        input_schema=closed_object(
            {
                "floor": MONEY,
                "country": COUNTRY,
                "messages": {"type": "integer", "minimum": 0},
                "service": SERVICE,
                "margin": {"type": ["string", "number"], "description": "e.g. 0.10"},
            },
            ("floor",),
        ),
        output_schema=open_object(
            {
                "go": BOOL,
                "reason": STR,
                "balance": STR,
                "floor": STR,
                "estimated_cost": NULL_STR,
                "required": STR,
            },
            ("go", "reason", "balance"),
        ),
        read_only=True,
    )
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

    @tool(
        "Top up with the operator's auto-reload reference when the balance is under the floor; "
        "once per dip, capped per day.",
        input_schema=closed_object({"floor": MONEY, "dry_run": DRY_RUN}, ("floor",)),
        output_schema=open_object(
            {"action": STR, "balance_before": STR, "balance_after": STR, "dry_run": BOOL},
            ("action", "balance_before", "balance_after"),
        ),
        read_only=False,
        operations=("top_up",),
    )
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

    @tool(
        "The default inbound-SMS (mo) and delivery-receipt (dr) webhooks.",
        input_schema=closed_object({}),
        output_schema=WEBHOOKS,
        read_only=True,
    )
    def get_webhooks(self) -> dict[str, Any]:
        with self._ops() as ops:
            return _webhooks(ops.settings())

    @tool(
        "Set the default webhooks (https; empty string unsets) and forward method; shows before and after.",
        input_schema=closed_object(
            {
                "mo_callback_url": STR,
                "dr_callback_url": STR,
                "http_forward_method": {"type": "string", "enum": list(FORWARD_METHODS)},
                "dry_run": DRY_RUN,
            }
        ),
        output_schema=open_object(
            {"before": ANY_OBJECT, "after": ANY_OBJECT, "http_forward_method": STR, "dry_run": BOOL},
            ("before", "after"),
        ),
        read_only=False,
        destructive=True,
        operations=("update_settings",),
    )
    def set_webhooks(self, dry_run: bool = False, **change: str) -> dict[str, Any]:
        # `change`: mo_callback_url, dr_callback_url, http_forward_method, as the input schema has them checked.
        try:
            with self._ops() as ops:
                before, after = jobs.set_webhooks(ops, dry_run=dry_run, **change)
        except jobs.InvalidWebhook as error:
            raise ToolFailure(
                "Invalid webhook", str(error), "give absolute https URLs (an empty string unsets one)"
            ) from None
        document: dict[str, Any] = {"before": _webhooks(before), "after": _webhooks(after), "dry_run": dry_run}
        if "http_forward_method" in change:
            document["http_forward_method"] = change["http_forward_method"]
        return document

    @tool(
        "The key's API secrets: ids, creation times, which one is in use. Never values.",
        input_schema=closed_object({}),
        output_schema=open_object(
            {"secrets": {"type": "array", "items": SECRET_ROW}, "in_use_known": BOOL, "note": STR},
            ("secrets", "in_use_known"),
        ),
        read_only=True,
        operations=(
            "list_secrets",
            "get_secret",
        ),
    )
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

    @tool(
        "Replace the secret in use without downtime: new secret to the credentials store, old one revoked. "
        "Returns ids only.",
        input_schema=closed_object({"dry_run": DRY_RUN}),
        output_schema=open_object(
            {
                "new_secret_id": STR,
                "revoked": {"type": "array", "items": STR},
                "made_room_by_revoking": NULL_STR,
                "plan": {"type": "array", "items": STR},
                "dry_run": BOOL,
            },
            ("dry_run",),
        ),
        read_only=False,
        destructive=True,
        idempotent=False,
        operations=("create_secret",),
    )
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
        # The stored credentials hold the new secret as api_secret, no pending one: the rotation has promoted it.
        self.redactor.remember_basic(new.api_key, new.api_secret)
        self._report(2, 3, f"new secret {new.api_secret_id} stored and in use; revoking the old one after the grace")

    @tool(
        "Revoke a secret by id; never the one in use. api_key: a sub-account's, to manage its secrets.",
        input_schema=closed_object({"secret_id": STR, "api_key": STR, "dry_run": DRY_RUN}, ("secret_id",)),
        output_schema=open_object(
            {"revoked": NULL_STR, "would_revoke": STR, "api_key": STR, "dry_run": BOOL}, ("dry_run",)
        ),
        read_only=False,
        destructive=True,
        operations=("revoke_secret",),
    )
    def revoke_secret(self, secret_id: str, api_key: str | None = None, dry_run: bool = False) -> dict[str, Any]:
        creds = self.credentials()
        with self._using(creds) as ops:
            key = jobs.revoke(ops, creds, secret_id, api_key=api_key, dry_run=dry_run)
        if dry_run:
            return {"revoked": None, "would_revoke": secret_id, "api_key": key, "dry_run": True}
        return {"revoked": secret_id, "api_key": key, "dry_run": False}

    @tool(
        "Secrets with their age in days; flags those older than max_age_days, except the one in use.",
        input_schema=closed_object({"max_age_days": {"type": "number", "minimum": 0}}),
        output_schema=open_object(
            {
                "secrets": {"type": "array", "items": {"type": "object", "required": ["id", "flagged"]}},
                "flagged": INT,
                "in_use_known": BOOL,
            },
            ("secrets", "flagged"),
        ),
        read_only=True,
    )
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

    @tool(
        "Outbound prices per network of one country (ISO code) or of a dialling prefix.",
        input_schema=closed_object({"country": COUNTRY, "prefix": STR, "service": SERVICE}),
        output_schema=open_object(
            {"service": STR, "countries": {"type": "array", "items": {"type": "object"}}}, ("countries",)
        ),
        read_only=True,
        operations=(
            "get_country_pricing",
            "get_full_pricing",
            "get_prefix_pricing",
        ),
    )
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

    @tool(
        "Register an email address as a sender for Verify V2.",
        input_schema=closed_object({"email": STR, "name": STR, "dry_run": DRY_RUN}, ("email",)),
        output_schema=open_object({"provider": STR, "value": STR, "name": NULL_STR, "dry_run": BOOL}, ("value",)),
        read_only=False,
        operations=("register_sender",),
    )
    def register_sender(self, email: str, name: str | None = None, dry_run: bool = False) -> dict[str, Any]:
        if dry_run:
            return {"provider": "email", "value": email, "name": name, "dry_run": True}
        with self._ops() as ops:
            sender = ops.register_sender(email, name)
        document = sender.to_dict()
        return {"provider": "email", "value": str(document.get("value", email)), "name": name, "dry_run": False}


TOOL_NAMES = tuple(spec.name for spec in DECLARED)
"""Every tool, in the order tools/list shows them (known without building a server, for the policy's checks)."""

OPERATION_TOOLS = {operation: spec.name for spec in DECLARED for operation in spec.operations}
"""The curated tool whose policy an operation called through `call_operation` is held to."""


def _amount(value: Any, name: str) -> Decimal:
    try:
        return parse_amount(value, name)
    except Exception:
        raise InvalidArguments(
            "Invalid arguments", f'{name} must be a non-negative amount, e.g. "20.00"', "fix it and call again"
        ) from None
