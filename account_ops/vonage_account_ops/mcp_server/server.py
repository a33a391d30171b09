"""The MCP server: the tools, resources and prompts over the official SDK's low-level server, and its transports.

The low-level server gives this module the raw arguments of every call, so each one is checked against the very
schema `tools/list` shows, the policy is applied before any API call, and every answer, error and notification is
scrubbed of secret values on its way out.
"""

from __future__ import annotations

import contextvars
import functools
import hmac
import ipaddress
import json
import logging
import time
from collections.abc import Callable
from typing import Any, ClassVar

import anyio
import mcp.types as types
from mcp.server.lowlevel import Server
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from vonage_account_ops.credentials import CredentialsMissing
from vonage_account_ops.errors import AccountError, JobRefused
from vonage_account_ops.mcp_server.catalog import Catalog
from vonage_account_ops.mcp_server.failures import ToolFailure, check_schema, failure_from
from vonage_account_ops.mcp_server.policy import Guard, GuardrailRefused
from vonage_account_ops.mcp_server.redaction import Redactor
from vonage_account_ops.mcp_server.tools import OPERATION_TOOLS, AgentTools
from vonage_account_spec import spec_path

log = logging.getLogger("vonage_account_ops.mcp")

SERVER_NAME = "vonage-account"
MAX_HTTP_SESSIONS = 32
HTTP_SESSION_IDLE_SECONDS = 600.0
SPEC_URI = "openapi://vonage-account"
SUMMARY_URI = "vonage-account://account/summary"
INSTRUCTIONS = (
    "Tools for the Vonage Account API: balance, pre-flight checks, top-up, webhooks, API secrets, pricing. "
    "Credentials are configured by the operator and never pass through you. For anything the named tools do not "
    "cover, find the operation with search_operations and call it with call_operation."
)

_progress: contextvars.ContextVar[Callable[[float, float, str], None] | None] = contextvars.ContextVar(
    "vonage_account_mcp_progress", default=None
)


def _error_result(failure: ToolFailure, redactor: Redactor) -> types.CallToolResult:
    document = redactor.document(failure.document())
    error = document["error"]
    text = f"{error['title']}: {error['detail']}. Next step: {error['next_step']}."
    if error.get("type"):
        text += f" (problem type {error['type']})"
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)], structured_content=document, is_error=True
    )


def _guardrail(refusal: GuardrailRefused) -> ToolFailure:
    kind = f"urn:vonage-account-mcp:guardrail:{refusal.kind}"
    return ToolFailure("Refused by the operator's policy", refusal.detail, refusal.next_step, type_=kind)


class AccountMcpServer:
    """The agent surface: one low-level MCP server over `AgentTools`, the operator's policy and a redactor."""

    def __init__(self, tools: AgentTools, *, version: str = "") -> None:
        self.tools = tools
        self.guard: Guard = tools.guard
        self.redactor: Redactor = tools.redactor
        self.catalog: Catalog = tools.catalog
        self.server: Server[Any] = Server(
            SERVER_NAME,
            version=version,
            title="Vonage Account API",
            instructions=INSTRUCTIONS,
            on_list_tools=self._list_tools,
            on_call_tool=self._call_tool,
            on_list_resources=self._list_resources,
            on_read_resource=self._read_resource,
            on_list_prompts=self._list_prompts,
            on_get_prompt=self._get_prompt,
        )
        # Progress goes to the client of the call under way (a context variable: calls run concurrently).
        tools.progress = self._report_progress

    # -- tools ---------------------------------------------------------------------------------------------------

    def listed_tools(self) -> list[types.Tool]:
        """The tools the policy allows, as `tools/list` shows them."""
        policy = self.guard.policy
        return [
            types.Tool(
                name=bound.name,
                description=bound.spec.description,
                input_schema=bound.input_schema,
                output_schema=bound.spec.output_schema,
                annotations=types.ToolAnnotations(
                    read_only_hint=bound.spec.read_only,
                    destructive_hint=bound.spec.destructive,
                    idempotent_hint=bound.spec.idempotent,
                    open_world_hint=bound.spec.open_world,
                ),
            )
            for bound in self.tools.specs.values()
            if policy.allows(bound.name, writes=bound.writes)
            # call_operation is listed in read-only mode too: it still calls the read operations.
            or (bound.name == "call_operation" and policy.allows(bound.name, writes=False))
        ]

    async def _list_tools(self, ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=self.listed_tools())

    async def _call_tool(self, ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        started = time.perf_counter()
        name = params.name
        outcome = "error"
        try:
            result = await self._run_tool(ctx, name, dict(params.arguments or {}))
            outcome = "error" if result.is_error else "ok"
            return result
        finally:
            # Never the arguments or the answer: only which tool, how it went and how long it took.
            log.info("tool=%s outcome=%s ms=%.1f", name, outcome, (time.perf_counter() - started) * 1000)

    async def _run_tool(self, ctx: Any, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        spec = self.tools.specs.get(name)
        if spec is None:
            failure = ToolFailure("Unknown tool", f"there is no tool {name!r}", "call tools/list for the tools")
            return _error_result(failure, self.redactor)
        try:
            self._admit(spec.name, spec.writes, arguments)
            check_schema(spec.input_schema, arguments, name)
            reporter = self._progress_reporter(ctx)
            token = _progress.set(reporter)
            try:
                document = await anyio.to_thread.run_sync(functools.partial(spec.run, **arguments))
            finally:
                _progress.reset(token)
        except GuardrailRefused as refusal:
            return _error_result(_guardrail(refusal), self.redactor)
        except ToolFailure as failure:
            return _error_result(failure, self.redactor)
        except (AccountError, JobRefused) as error:
            return _error_result(failure_from(error), self.redactor)
        except CredentialsMissing as error:
            missing = ToolFailure(
                "Credentials unavailable", str(error), "the operator must fix the configured credentials"
            )
            return _error_result(missing, self.redactor)
        except Exception as error:  # a bug of ours: said plainly, details in the server's log only
            log.error("tool=%s failed: %s", name, self.redactor.text(f"{type(error).__name__}: {error}"))
            internal = ToolFailure(
                "Internal error", f"{name} failed unexpectedly", "try again once; the operator can read the server log"
            )
            return _error_result(internal, self.redactor)
        structured = self.redactor.document(document)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=json.dumps(structured))], structured_content=structured
        )

    def _admit(self, name: str, writes: bool, arguments: dict[str, Any]) -> None:
        """Apply the policy: listed tools only, the operation's own rules for call_operation, then rate limits."""
        policy = self.guard.policy
        if name == "call_operation":
            operation = self.catalog.operations.get(str(arguments.get("operation_id")))
            if operation is not None:
                writes = operation.writes
                held_to = OPERATION_TOOLS[operation.operation_id]
                if not (policy.allows(name, writes=writes) and policy.allows(held_to, writes=writes)):
                    raise GuardrailRefused(
                        "not-allowed",
                        f"the operator's policy does not allow {operation.operation_id}"
                        + (" (read-only: no writes)" if policy.read_only and writes else ""),
                        "tell the user this needs the operator's permission; do not look for another way",
                    )
                # Both limits: call_operation's own (rate_limits.call_operation) and its operation's tool's.
                self.guard.admit(name, writes=writes, held_to=held_to)
                return
        if not policy.allows(name, writes=writes) and not (
            name == "call_operation" and policy.allows(name, writes=False)
        ):
            raise GuardrailRefused(
                "not-allowed",
                f"the operator's policy does not allow {name}",
                "tell the user this needs the operator's permission; do not look for another way",
            )
        self.guard.admit(name, writes=writes)

    def _progress_reporter(self, ctx: Any) -> Callable[[float, float, str], None] | None:
        session = getattr(ctx, "session", None)
        if session is None:
            return None

        def report(done: float, total: float, message: str) -> None:
            try:
                anyio.from_thread.run(session.report_progress, done, total, self.redactor.text(message))
            except Exception:  # progress is a courtesy: never fail a tool over it
                log.debug("progress notification not delivered")

        return report

    def _report_progress(self, done: float, total: float, message: str) -> None:
        reporter = _progress.get()
        if reporter is not None:
            reporter(done, total, message)

    # -- resources -----------------------------------------------------------------------------------------------

    async def _list_resources(self, ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListResourcesResult:
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    uri=SPEC_URI,
                    name="vonage-account-openapi",
                    title="The Vonage Account API's OpenAPI spec",
                    mime_type="application/yaml",
                ),
                types.Resource(
                    uri=SUMMARY_URI,
                    name="vonage-account-summary",
                    title="Balance, webhooks and secret ids of the configured account (never secret values)",
                    mime_type="application/json",
                ),
            ]
        )

    async def _read_resource(self, ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        uri = str(params.uri)
        if uri == SPEC_URI:
            text = spec_path().read_text(encoding="utf-8")
            mime = "application/yaml"
        elif uri == SUMMARY_URI:
            text = json.dumps(await anyio.to_thread.run_sync(self._summary))
            mime = "application/json"
        else:
            from mcp import MCPError

            raise MCPError(code=-32602, message=f"Unknown resource: {uri} (see resources/list)")
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type=mime, text=self.redactor.text(text))]
        )

    def _summary(self) -> dict[str, Any]:
        summary: dict[str, Any] = {"credentials": self.tools.source.description}
        parts: list[tuple[str, str, Callable[[], dict[str, Any]]]] = [
            ("balance", "check_balance", self.tools.check_balance),
            ("webhooks", "get_webhooks", self.tools.get_webhooks),
            ("secrets", "list_secrets", self.tools.list_secrets),
        ]
        for key, tool, read in parts:
            try:
                self._admit(tool, False, {})
                summary[key] = read()
            except GuardrailRefused as refusal:
                summary[key] = {"unavailable": refusal.detail}
            except (AccountError, CredentialsMissing, ToolFailure) as error:
                summary[key] = {"unavailable": str(error)}
        summary["api_key"] = self.tools.credentials().api_key if "unavailable" not in summary["balance"] else None
        return self.redactor.document(summary)  # type: ignore[no-any-return]

    # -- prompts -------------------------------------------------------------------------------------------------

    _PROMPTS: ClassVar[dict[str, tuple[str, list[tuple[str, str, bool]], str]]] = {
        "preflight_before_send": (
            "Check the balance covers a bulk send before it starts.",
            [
                ("floor", "Minimum balance in EUR", True),
                ("country", "Destination (ISO code)", False),
                ("messages", "How many messages", False),
            ],
            "Before the bulk send, call preflight_check with floor={floor}, country={country} and "
            "messages={messages}. If go is false, stop and tell me the reason and the estimated cost; do not top up "
            "unless I ask.",
        ),
        "rotate_api_secret": (
            "Rotate the API secret without downtime.",
            [],
            "Call list_secrets to see the secrets and which one is in use, then rotate_secret with dry_run=true and "
            "show me the plan. Once I agree, call rotate_secret, and report the new secret's id (never a value).",
        ),
        "point_webhooks": (
            "Point the default inbound-SMS and delivery-receipt webhooks at new handlers.",
            [
                ("mo_callback_url", "Inbound-SMS handler (https)", False),
                ("dr_callback_url", "Delivery-receipt handler (https)", False),
            ],
            "Call get_webhooks, then set_webhooks with mo_callback_url={mo_callback_url} and "
            "dr_callback_url={dr_callback_url} (leave out any that is empty), and show me before and after.",
        ),
        "top_up_below_floor": (
            "Top up the balance when it is under a floor.",
            [("floor", "Floor in EUR", True)],
            "Call check_balance. If the balance is under {floor} EUR, call top_up_if_below_floor with floor={floor} "
            "(dry_run first if I asked to be careful) and report the balance before and after.",
        ),
    }

    async def _list_prompts(self, ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListPromptsResult:
        return types.ListPromptsResult(
            prompts=[
                types.Prompt(
                    name=name,
                    description=description,
                    arguments=[types.PromptArgument(name=a, description=d, required=r) for a, d, r in arguments],
                )
                for name, (description, arguments, _) in self._PROMPTS.items()
            ]
        )

    async def _get_prompt(self, ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        from mcp import MCPError

        if params.name not in self._PROMPTS:
            raise MCPError(code=-32602, message=f"Unknown prompt: {params.name} (see prompts/list)")
        description, arguments, template = self._PROMPTS[params.name]
        given = dict(params.arguments or {})
        missing = [a for a, _, required in arguments if required and not given.get(a)]
        if missing:
            raise MCPError(code=-32602, message=f"The prompt {params.name} needs {', '.join(missing)}")
        values = {a: given.get(a) or "(not given)" for a, _, _ in arguments}
        return types.GetPromptResult(
            description=description,
            messages=[
                types.PromptMessage(role="user", content=types.TextContent(type="text", text=template.format(**values)))
            ],
        )

    # -- transports ----------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connections to the API."""
        self.tools.close()

    async def run_stdio(self) -> None:
        """Serve one client over standard input and output."""
        from mcp.server.stdio import stdio_server

        try:
            async with stdio_server() as (read, write):
                await self.server.run(read, write, self.server.create_initialization_options())
        finally:
            self.close()

    def http_app(self, *, host: str, token: str | None, allowed_hosts: tuple[str, ...] = ()) -> ASGIApp:
        """The Streamable HTTP app (path `/mcp`): Host and Origin checked against DNS rebinding, a bearer token.

        Sessions are bounded for one operator's agents (MAX_HTTP_SESSIONS, closed after HTTP_SESSION_IDLE_SECONDS
        without a request), not the SDK's defaults (10,000 sessions, 30 minutes).
        """
        self.redactor.remember(token)  # a credential too: never in anything an agent reads
        names = [*allowed_hosts]
        if not is_loopback(host) and host not in ("0.0.0.0", "::"):
            names.append(host)
        hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*", *(f"[{n}]:*" if ":" in n else f"{n}:*" for n in names)]
        origins = [f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")]
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
        )
        app = self.server.streamable_http_app(
            streamable_http_path="/mcp",
            transport_security=security,
            host=host,
            max_sessions=MAX_HTTP_SESSIONS,
            session_idle_timeout=HTTP_SESSION_IDLE_SECONDS,
        )
        return BearerGate(app, token) if token else app


class BearerGate:
    """Refuses HTTP requests without `Authorization: Bearer <token>` (compared in constant time)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            presented = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
            if not hmac.compare_digest(presented, self._expected):
                body = json.dumps(
                    {"error": "unauthorized", "detail": "send Authorization: Bearer <the server's token>"}
                ).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b'Bearer realm="vonage-account-mcp"'),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback name or address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
