"""Starting the MCP server from `vonage-account mcp`: policy from file and flags, credentials, transport."""

from __future__ import annotations

import logging
import os
import ssl
import sys
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

from vonage_account_ops.client import AccountOps
from vonage_account_ops.credentials import Credentials, CredentialSource
from vonage_account_ops.mcp_server.policy import TRX_VARIABLE, Guard, Policy, PolicyError, load_policy
from vonage_account_ops.mcp_server.redaction import Redactor
from vonage_account_ops.mcp_server.server import AccountMcpServer, is_loopback
from vonage_account_ops.mcp_server.tools import AgentTools

TOKEN_VARIABLE = "VONAGE_ACCOUNT_MCP_TOKEN"


class StartupError(Exception):
    """The server cannot start as configured (the message says what to change)."""


def build_policy(
    *,
    policy_file: Path | None,
    tool_names: list[str],
    read_only: bool,
    allow: tuple[str, ...],
    deny: tuple[str, ...],
    top_ups_per_day: int | None,
    state_dir: Path | None,
) -> Policy:
    """The policy file (or the defaults), with the flags over it and the trx from the environment."""
    try:
        policy = load_policy(policy_file, tool_names) if policy_file else Policy()
    except PolicyError as error:
        raise StartupError(f"policy: {error}") from None
    unknown = sorted((set(allow) | set(deny)) - set(tool_names))
    if unknown:
        raise StartupError(f"unknown tool(s) {', '.join(unknown)}; the tools are {', '.join(sorted(tool_names))}")
    if read_only:
        policy = replace(policy, read_only=True)
    if allow:
        policy = replace(policy, allow=policy.allow | frozenset(allow))
    if deny:
        policy = replace(policy, deny=policy.deny | frozenset(deny))
    if top_ups_per_day is not None:
        policy = replace(policy, top_ups_per_day=top_ups_per_day)
    if state_dir is not None:
        policy = replace(policy, state_dir=state_dir)
    if os.environ.get(TRX_VARIABLE):
        policy = replace(policy, trx=os.environ[TRX_VARIABLE].strip())
    return policy


def http_token(token_file: Path | None, host: str) -> str | None:
    """The bearer token: from --token-file or $VONAGE_ACCOUNT_MCP_TOKEN; required off loopback."""
    token: str | None = None
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise StartupError(f"cannot read the token file {token_file} ({error.strerror})") from None
        if not token:
            raise StartupError(f"the token file {token_file} is empty")
        if token_file.stat().st_mode & 0o077:
            print(
                f"warning: the token file {token_file} is readable by other users: run `chmod 600 {token_file}`",
                file=sys.stderr,
            )
    elif os.environ.get(TOKEN_VARIABLE):
        token = os.environ[TOKEN_VARIABLE].strip()
    if token is None and not is_loopback(host):
        raise StartupError(
            f"listening on {host} needs a bearer token: set ${TOKEN_VARIABLE} or give --token-file "
            "(never on the command line)"
        )
    if token is not None and len(token) < 16:
        raise StartupError("the bearer token is too short: use at least 16 characters")
    return token


def make_server(
    source: CredentialSource,
    policy: Policy,
    *,
    rest_url: str | None,
    api_url: str | None,
    ca_bundle: str | None,
    **ops_args: Any,
) -> AccountMcpServer:
    """The server over a credential source and a policy, calling the hosts given (default: the real service)."""
    extra: dict[str, Any] = dict(ops_args)
    # One TLS context for every client made: building one loads the CA store, which costs more than a call.
    extra.setdefault(
        "verify", ssl.create_default_context(cafile=ca_bundle) if ca_bundle else httpx.create_ssl_context()
    )
    # 429s and transient failures are retried within a tight bound: an agent waits on every call.
    extra.setdefault("max_attempts", 3)
    extra.setdefault("max_wait", 10.0)

    def ops_for(credentials: Credentials) -> AccountOps:
        return AccountOps(credentials, rest_url=rest_url, api_url=api_url, **extra)

    # Every value the agent may not see, known before the first call: the payment reference among them.
    tools = AgentTools(source, Guard(policy), ops_for=ops_for, redactor=Redactor([policy.trx]))
    try:
        version = metadata.version("vonage-account-mock")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a checkout without installing
        version = ""
    return AccountMcpServer(tools, version=version)


def serve(
    server: AccountMcpServer,
    *,
    use_http: bool,
    host: str,
    port: int,
    token: str | None,
    allowed_hosts: tuple[str, ...],
    log_level: str,
) -> None:
    """Serve until interrupted: stdio (standard output is the protocol's), or Streamable HTTP at /mcp."""
    # Logs go to standard error: standard output belongs to the protocol on stdio.
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    for noisy in ("httpx", "httpx2", "mcp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not use_http:
        import anyio

        anyio.run(server.run_stdio)
        return
    import socket

    import uvicorn

    app = server.http_app(host=host, token=token, allowed_hosts=allowed_hosts)
    # Bound before serving, so that --port 0 prints the port it got.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        raise StartupError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.listen(128)
    shown = f"[{host}]" if ":" in host else host
    print(f"Vonage Account MCP server on http://{shown}:{sock.getsockname()[1]}/mcp", file=sys.stdout, flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=3)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
