"""`vonage-account mcp`: the Account API for AI agents, over the official MCP SDK (the `mcp` extra).

`catalog` turns the spec into operations an agent can search by intent and call with a schema; `tools` holds the
tools over the jobs of `vonage_account_ops` (no second implementation); `policy` the operator's guardrails;
`redaction` keeps secret values out of everything the agent sees; `server` wires them into an MCP server with its
stdio and Streamable HTTP transports; `command` is the CLI entry. Only this package imports `mcp`, and nothing of it
imports the mock.
"""
