"""`vonage-account mcp` as desktop clients and shared deployments run it: over stdio, and over Streamable HTTP."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from tests.mcp_support import KEY, SECRET, run
from vonage_account_mock.testing import VonageMock

TOKEN = "test-token-0123456789abcdef"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
"""A client's first message, as raw JSON-RPC."""
INITIALIZE_HEADERS = {"Accept": "application/json, text/event-stream", "Authorization": f"Bearer {TOKEN}"}


def _environment(mock: VonageMock, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "VONAGE_REST_URL": mock.url,
        "VONAGE_API_URL": mock.url,
        "VONAGE_API_KEY": KEY,
        "VONAGE_API_SECRET": SECRET,
        "VONAGE_ACCOUNT_MCP_STATE": str(tmp_path / "state"),
        **extra,
    }


def test_stdio_serves_a_desktop_client(vonage_mock: VonageMock, tmp_path: Path) -> None:
    vonage_mock.seed_account(KEY, secrets=[SECRET], balance="42.00")
    server_log = tmp_path / "stderr.log"
    params = StdioServerParameters(
        command=sys.executable,
        args=["-W", "error", "-m", "vonage_account_ops", "mcp"],
        env=_environment(vonage_mock, tmp_path),
    )

    async def session() -> tuple[list[str], dict[str, Any] | None]:
        with server_log.open("w") as errlog:
            async with Client(stdio_client(params, errlog=errlog)) as client:
                tools = [tool.name for tool in (await client.list_tools()).tools]
                result = await client.call_tool("check_balance", {})
                return tools, result.structured_content

    tools, balance = run(session)
    assert len(tools) == 13 and balance == {"balance": "42.00", "currency": "EUR", "auto_reload": False}
    log = server_log.read_text()
    assert log.startswith(f"vonage-account mcp: stdio, key {KEY} from $VONAGE_API_KEY / $VONAGE_API_SECRET, 13 tools\n")
    assert "tool=check_balance outcome=ok" in log and SECRET not in log
    vonage_mock.assert_called("get_balance", times=1, account=KEY)


@pytest.fixture
def http_server(vonage_mock: VonageMock, tmp_path: Path) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-W", "error", "-m", "vonage_account_ops", "mcp", "--http", "--port", "0"],
        env=_environment(vonage_mock, tmp_path, VONAGE_ACCOUNT_MCP_TOKEN=TOKEN, PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"(http://\S+/mcp)", line)
        assert match, line
        yield match.group(1)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
        assert SECRET not in stderr and TOKEN not in stderr


def test_streamable_http_serves_a_client_holding_the_token(vonage_mock: VonageMock, http_server: str) -> None:
    async def session() -> dict[str, Any] | None:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
            async with Client(streamable_http_client(http_server, http_client=http)) as client:
                assert len((await client.list_tools()).tools) == 13
                webhooks: dict[str, Any] | None = (await client.call_tool("get_webhooks", {})).structured_content
                return webhooks

    assert run(session) == {"mo_callback_url": None, "dr_callback_url": None, "max_calls_per_second": 30}


def test_streamable_http_refuses_no_token_a_foreign_host_and_a_foreign_origin(http_server: str) -> None:
    initialize, headers = INITIALIZE, INITIALIZE_HEADERS
    port = http_server.rsplit(":", 1)[1].split("/")[0]
    with httpx.Client(timeout=10) as http:
        anonymous = http.post(http_server, json=initialize, headers={"Accept": headers["Accept"]})
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
        wrong = http.post(http_server, json=initialize, headers={**headers, "Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        rebound = http.post(http_server, json=initialize, headers={**headers, "Host": f"evil.example:{port}"})
        assert rebound.status_code == 421
        foreign = http.post(http_server, json=initialize, headers={**headers, "Origin": "https://evil.example"})
        assert foreign.status_code == 403
        welcome = http.post(http_server, json=initialize, headers={**headers, "Origin": f"http://localhost:{port}"})
        assert welcome.status_code == 200


def test_listening_beyond_loopback_needs_a_token_never_a_flag(vonage_mock: VonageMock, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vonage_account_ops", "mcp", "--http", "--host", "0.0.0.0", "--port", "0"],
        env=_environment(vonage_mock, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: listening on 0.0.0.0 needs a bearer token: set $VONAGE_ACCOUNT_MCP_TOKEN or give --token-file "
        "(never on the command line)"
    ]
    help_text = subprocess.run(
        [sys.executable, "-m", "vonage_account_ops", "mcp", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    assert "--token " not in help_text and "--token-file" in help_text


def test_http_sessions_are_bounded_for_one_operator(http_server: str) -> None:
    from vonage_account_ops.mcp_server.server import MAX_HTTP_SESSIONS

    initialize, headers = INITIALIZE, INITIALIZE_HEADERS
    with httpx.Client(timeout=10) as http:
        opened = [http.post(http_server, json=initialize, headers=headers) for _ in range(MAX_HTTP_SESSIONS)]
        assert [answer.status_code for answer in opened] == [200] * MAX_HTTP_SESSIONS
        # The SDK's default would open 10,000 sessions of about 35 kB each before refusing one.
        refused = http.post(http_server, json=initialize, headers=headers)
        assert refused.status_code == 503 and "Too many open sessions" in refused.text


def test_a_token_file_others_can_read_is_warned_of(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from vonage_account_ops.mcp_server.command import http_token

    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    assert http_token(token_file, "127.0.0.1") == TOKEN
    assert capsys.readouterr().err == ""
    token_file.chmod(0o644)
    assert http_token(token_file, "127.0.0.1") == TOKEN
    warning = capsys.readouterr().err
    assert f"the token file {token_file} is readable by other users" in warning and "chmod 600" in warning
    assert TOKEN not in warning


def test_without_credentials_the_server_does_not_start(vonage_mock: VonageMock, tmp_path: Path) -> None:
    environment = {k: v for k, v in _environment(vonage_mock, tmp_path).items() if not k.startswith("VONAGE_API_")}
    done = subprocess.run(
        [sys.executable, "-m", "vonage_account_ops", "mcp"],
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == ["error: set VONAGE_API_KEY and VONAGE_API_SECRET, or give a credentials file"]
