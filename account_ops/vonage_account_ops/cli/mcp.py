"""`vonage-account mcp`: the MCP server's options, handed to `mcp_server.command` (imported only when it runs)."""

from __future__ import annotations

from pathlib import Path

import click

from vonage_account_ops.cli.commands import main
from vonage_account_ops.cli.framework import EXIT_USAGE, Context, fail
from vonage_account_ops.credentials import (
    CredentialsMissing,
)


@main.command("mcp")
@click.option("--http", "use_http", is_flag=True, help="Serve Streamable HTTP at /mcp instead of stdio.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address for --http (loopback by default).")
@click.option(
    "--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="Port for --http (0: any)."
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file holding the bearer token --http requires (else $VONAGE_ACCOUNT_MCP_TOKEN; needed off loopback).",
)
@click.option(
    "--allowed-host", multiple=True, metavar="NAME", help="A Host name clients may use (DNS rebinding guard)."
)
@click.option(
    "--policy", "policy_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Policy file."
)
@click.option("--read-only", is_flag=True, help="List and allow only tools that change nothing.")
@click.option("--allow", multiple=True, metavar="TOOL", help="Allow only these tools (repeatable).")
@click.option("--deny", multiple=True, metavar="TOOL", help="Never allow this tool (repeatable).")
@click.option("--max-top-ups-per-day", type=click.IntRange(0), help="Top-ups in any 24 hours (default 1).")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the top-up counts survive restarts (default ~/.local/state/vonage-account/mcp).",
)
@click.option("--log-level", default="info", show_default=True, type=click.Choice(["debug", "info", "warning"]))
@click.pass_obj
def mcp_command(
    ctx: Context,
    use_http: bool,
    host: str,
    port: int,
    token_file: Path | None,
    allowed_host: tuple[str, ...],
    policy_file: Path | None,
    read_only: bool,
    allow: tuple[str, ...],
    deny: tuple[str, ...],
    max_top_ups_per_day: int | None,
    state_dir: Path | None,
    log_level: str,
) -> None:
    """Serve the Account API to AI agents over MCP (stdio by default), with the credentials kept out of their reach.

    The trx reference for top-ups comes from $VONAGE_TOP_UP_TRX or the policy file, never from the agent.
    """
    try:
        from vonage_account_ops.mcp_server import command
        from vonage_account_ops.mcp_server.tools import TOOL_NAMES
    except ImportError as error:
        fail(
            f"the MCP server needs the mcp extra ({error.name} is missing): pip install 'vonage-account-mock[mcp]'",
            EXIT_USAGE,
        )
    try:
        policy = command.build_policy(
            policy_file=policy_file,
            tool_names=list(TOOL_NAMES),
            read_only=read_only,
            allow=allow,
            deny=deny,
            top_ups_per_day=max_top_ups_per_day,
            state_dir=state_dir,
        )
        token = command.http_token(token_file, host) if use_http else None
        source = ctx.source()
        # Checked now, not at the agent's first call: a server without usable credentials should not start.
        api_key = source.load().api_key
        transport = "Streamable HTTP" if use_http else "stdio"
        click.echo(
            f"vonage-account mcp: {transport}, key {api_key} from {source.description}, {len(TOOL_NAMES)} tools"
            + (" (read-only)" if policy.read_only else ""),
            err=True,
        )
        server = command.make_server(
            source, policy, rest_url=ctx.rest_url, api_url=ctx.api_url, ca_bundle=ctx.ca_bundle, timeout=ctx.timeout
        )
        command.serve(
            server,
            use_http=use_http,
            host=host,
            port=port,
            token=token,
            allowed_hosts=allowed_host,
            log_level=log_level,
        )
    except (command.StartupError, CredentialsMissing) as error:
        fail(str(error), EXIT_USAGE)
