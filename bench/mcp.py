"""What the MCP server costs an agent: the size of `tools/list`, the cold start, and one tool call's overhead.

- tools/list: the JSON a client receives, in characters and in tokens (characters / 4).
- Cold start: `vonage-account mcp` spawned over stdio until its first `tools/list` answer (median of RUNS).
- Overhead: `check_balance` through an in-memory MCP session minus the same call made directly with
  `AccountOps.balance()`, both against one threaded mock, interleaved call by call (medians of the per-call times).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from vonage_account_mock import create_app
from vonage_account_mock.serving import ThreadedMockServer
from vonage_account_ops.client import AccountOps
from vonage_account_ops.credentials import Credentials, EnvironmentSource
from vonage_account_ops.mcp_server.command import make_server
from vonage_account_ops.mcp_server.policy import Policy, RateLimit

RUNS = 5
CALLS = 300
OUT = Path(__file__).resolve().parent.parent / "docs" / "bench" / "mcp.json"
KEY, SECRET = "benchmcp", "Bench1secret"


async def _cold_start(url: str, state: str) -> float:
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": state,
        "VONAGE_REST_URL": url,
        "VONAGE_API_URL": url,
        "VONAGE_API_KEY": KEY,
        "VONAGE_API_SECRET": SECRET,
        "VONAGE_ACCOUNT_MCP_STATE": state,
    }
    params = StdioServerParameters(command=sys.executable, args=["-m", "vonage_account_ops", "mcp"], env=environment)
    started = time.perf_counter()
    async with Client(params) as client:
        await client.list_tools()
        return time.perf_counter() - started


def measure() -> dict[str, Any]:
    """The figures."""
    results: dict[str, Any] = {}
    with ThreadedMockServer(create_app()) as mock, tempfile.TemporaryDirectory() as state:
        mock.app.control.put_account(KEY, {"secrets": [SECRET], "balance": "100.00"})
        os.environ.update({"VONAGE_API_KEY": KEY, "VONAGE_API_SECRET": SECRET})
        generous = RateLimit(10**9, 1)
        server = make_server(
            EnvironmentSource(),
            Policy(state_dir=Path(state), read_limit=generous, write_limit=generous),
            rest_url=mock.url,
            api_url=mock.url,
            ca_bundle=None,
        )

        async def in_session() -> dict[str, float]:
            async with Client(server.server) as client:
                listing = await client.list_tools()
                text = json.dumps(
                    {"tools": [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in listing.tools]}
                )
                ops = AccountOps(Credentials(KEY, SECRET), rest_url=mock.url, api_url=mock.url)
                direct: list[float] = []
                through_mcp: list[float] = []
                for _ in range(20):  # warm both up
                    ops.balance()
                    await client.call_tool("check_balance", {})
                for _ in range(CALLS):
                    started = time.perf_counter()
                    ops.balance()
                    direct.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    await client.call_tool("check_balance", {})
                    through_mcp.append(time.perf_counter() - started)
                ops.close()
                return {
                    "tools_list_characters": len(text),
                    "tools_list_tokens_estimate": len(text) // 4,
                    "tools": len(listing.tools),
                    "direct_call_ms_median": statistics.median(direct) * 1000,
                    "mcp_tool_call_ms_median": statistics.median(through_mcp) * 1000,
                    "mcp_overhead_ms_median": (statistics.median(through_mcp) - statistics.median(direct)) * 1000,
                }

        results.update(anyio.run(in_session))
        starts = [anyio.run(_cold_start, mock.url, state) for _ in range(RUNS)]
        results["cold_start_to_first_tools_list_s"] = {
            "min": min(starts),
            "median": statistics.median(starts),
            "max": max(starts),
        }
    return results


def main() -> None:
    results = measure()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
