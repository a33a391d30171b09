"""The `vonage-account-mock serve` command, run as a user runs it."""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

SEED = """
accounts:
  - api_key: seeded01
    secrets: [Seeded1secret]
    balance: "42.50"
    auto_reload: {enabled: true, trx: trx-001, amount: "10.00"}
    settings: {mo_callback_url: "https://example.com/in"}
    subaccounts:
      - api_key: subacc01
        secrets: [Subacc1secret]
"""


@contextmanager
def serving(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """Start the CLI server on a free port; yield the process, its URL and its first output lines."""
    command = [sys.executable, "-m", "vonage_account_mock", "serve", "--port", "0", *args]
    environment = {**(env if env is not None else os.environ), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 20
        url = None
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = re.search(r"mock on (\S+)", line)
            url = match.group(1) if match else None
        assert url, f"no URL printed: {lines}"
        for _ in range(1 if "--tls" in args else 0):
            lines.append(process.stdout.readline())
        yield process, url, lines
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - reported by the test
                process.kill()
                process.communicate()


def _wait_ready(url: str, **kwargs: object) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.get(f"{url}/ui/", **kwargs)  # type: ignore[arg-type]
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_serves_http_logs_operations_and_stops_cleanly_on_ctrl_c() -> None:
    with serving() as (process, url, _):
        _wait_ready(url)
        assert httpx.get(f"{url}/account/get-balance", auth=("cli12345", "Cli1secret")).status_code == 200
        assert (
            httpx.get(f"{url}/account/get-balance", params={"api_key": "cli12345", "api_secret": "Nope1"}).status_code
            == 401
        )
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert re.search(r"GET /account/get-balance get_balance 200", stderr)
    assert re.search(r"GET /account/get-balance get_balance 401", stderr)
    assert "Cli1secret" not in stderr and "Nope1" not in stderr
    assert "Traceback" not in stderr


def test_tls_prints_a_ca_bundle_that_verifies_the_server(tmp_path: Path) -> None:
    with serving("--tls", "--tls-dir", str(tmp_path)) as (_, url, lines):
        assert url.startswith("https://127.0.0.1:")
        bundle = next(re.search(r"CA bundle: (\S+)", line) for line in lines if "CA bundle" in line)
        assert bundle is not None
        assert Path(bundle.group(1)).is_file()
        ca = ssl.create_default_context(cafile=bundle.group(1))
        _wait_ready(url, verify=ca)
        response = httpx.get(f"{url}/account/get-balance", auth=("tls12345", "Tls1secret"), verify=ca)
        assert response.status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/account/get-balance", auth=("tls12345", "Tls1secret"))


def test_strict_mode_serves_only_seeded_accounts(tmp_path: Path) -> None:
    seed = tmp_path / "accounts.yaml"
    seed.write_text(SEED)
    with serving("--seed", str(seed), "--strict") as (_, url, _lines):
        _wait_ready(url)
        balance = httpx.get(f"{url}/account/get-balance", auth=("seeded01", "Seeded1secret"))
        assert balance.json() == {"value": 42.5, "autoReload": True}
        topped = httpx.post(f"{url}/account/top-up", auth=("seeded01", "Seeded1secret"), data={"trx": "trx-001"})
        assert topped.status_code == 200
        assert httpx.get(f"{url}/account/get-balance", auth=("seeded01", "Seeded1secret")).json()["value"] == 52.5
        sub = httpx.get(f"{url}/accounts/subacc01/secrets", auth=("seeded01", "Seeded1secret"))
        assert sub.status_code == 200 and len(sub.json()["_embedded"]["secrets"]) == 1
        assert httpx.get(f"{url}/account/get-balance", auth=("stranger", "Stranger1")).status_code == 401


def test_a_bad_seed_file_is_a_one_line_error(tmp_path: Path) -> None:
    seed = tmp_path / "accounts.yaml"
    seed.write_text("accounts:\n  - api_key: x\n    secrets: []\n")
    result = subprocess.run(
        [sys.executable, "-m", "vonage_account_mock", "serve", "--seed", str(seed)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "secrets must be a list of one or two strings" in result.stderr
    assert "Traceback" not in result.stderr


def test_strict_without_seed_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vonage_account_mock", "serve", "--strict"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "--strict needs --seed" in result.stderr


def test_listening_beyond_loopback_needs_a_control_token_or_no_control() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vonage_account_mock", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "--control-token" in result.stderr and "--no-control" in result.stderr


def test_the_control_token_comes_from_the_variable_the_plugin_uses() -> None:
    env = {**os.environ, "VONAGE_ACCOUNT_MOCK_CONTROL_TOKEN": "t0ken-from-env"}
    with serving(env=env) as (_, url, _lines), httpx.Client(base_url=url) as http:
        assert http.post("/_mock/reset").status_code == 401
        assert http.post("/_mock/reset", headers={"X-Mock-Control-Token": "t0ken-from-env"}).status_code == 204
