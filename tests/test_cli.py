"""The `vonage-account-mock serve` command, run as a user runs it."""

from __future__ import annotations

import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from vonage_account_mock.serving.cli import main

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


def _version() -> str:
    from importlib import metadata

    return metadata.version("vonage-account-mock")


def test_version_prints_the_package_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"vonage-account-mock {_version()}\n"


def test_port_0_with_a_url_file_gives_a_script_the_url_of_a_ready_mock(tmp_path: Path) -> None:
    url_file = tmp_path / "mock.url"
    with serving("--url-file", str(url_file)) as (process, printed_url, _lines):
        deadline = time.monotonic() + 10
        while not url_file.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        url = url_file.read_text()
        assert url.endswith("\n") and url.strip() == printed_url
        assert not printed_url.endswith(":0")
        # Written once the mock answers: no retry loop needed.
        health = httpx.get(f"{url.strip()}/_mock/health")
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "version": _version()}
        # What a script's `kill` sends: a clean stop, like Ctrl-C.
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=10)
    assert process.returncode == 0 and stdout.endswith("Stopped.\n")
    assert not url_file.exists(), "a stopped mock leaves no URL file behind"


def test_health_answers_with_no_control_api_and_without_the_token() -> None:
    env = {**os.environ, "VONAGE_ACCOUNT_MOCK_CONTROL_TOKEN": "t0ken-from-env"}
    with serving(env=env) as (_, url, _lines), httpx.Client(base_url=url) as http:
        _wait_ready(url)
        assert http.get("/_mock/health").status_code == 200
    with serving("--no-control") as (_, url, _lines), httpx.Client(base_url=url) as http:
        _wait_ready(url)
        assert http.get("/_mock/accounts").status_code == 404
        assert http.get("/_mock/health").json()["status"] == "ok"


@pytest.fixture
def port_in_use() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def _failure_cases(tmp_path: Path, busy_port: int) -> list[tuple[list[str], int, str]]:
    bad_seed = tmp_path / "bad.yaml"
    bad_seed.write_text("accounts: [\n")
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("not a certificate\n")
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    open_folder = tmp_path / "open"
    open_folder.mkdir(mode=0o777)
    open_folder.chmod(0o777)
    no_accounts = tmp_path / "no-accounts.yaml"
    no_accounts.write_text("accounts: []\n")
    return [
        (["serve", "--bogus"], 2, "No such option '--bogus'"),
        (["serve", "--port", "70000"], 2, "'--port'"),
        (["serve", "--log-level", "loud"], 2, "'--log-level'"),
        (["serve", "--seed", str(tmp_path / "missing.yaml")], 2, "does not exist"),
        (["serve", "--strict"], 2, "give --seed FILE"),
        (["serve", "--certfile", str(not_pem)], 2, "--certfile and --keyfile go together"),
        (["serve", "--certfile", str(tmp_path / "none.pem"), "--keyfile", str(not_pem)], 2, "does not exist"),
        (["serve", "--url-file", str(tmp_path / "no-folder" / "url")], 2, "create it or give another path"),
        (["serve", "--url-file", str(a_file / "url")], 2, "create it or give another path"),
        (["serve", "--host", "0.0.0.0"], 2, "--control-token"),
        (["serve", "--seed", str(bad_seed)], 3, "not valid YAML"),
        (["serve", "--port", "0", "--certfile", str(not_pem), "--keyfile", str(not_pem)], 3, "not a matching"),
        (["serve", "--tls", "--tls-dir", str(a_file)], 2, "is a file"),
        (["serve", "--tls", "--tls-dir", str(open_folder)], 3, "open to other users: chmod 700 it"),
        (["serve", "--seed", str(no_accounts), "--strict"], 3, "--strict with no account in"),
        (["serve", "--port", str(busy_port)], 4, "pick another with --port or $VONAGE_ACCOUNT_MOCK_PORT (0: any free"),
        (["serve", "--host", "192.0.2.1", "--no-control", "--port", "0"], 4, "check --host"),
        (["nonsense"], 2, "No such command 'nonsense'"),
    ]


def test_every_start_up_error_is_one_line_with_its_exit_code(tmp_path: Path, port_in_use: int) -> None:
    for args, code, message in _failure_cases(tmp_path, port_in_use):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == code, (args, result.output)
        # A clean exit with the code, not an exception the runner caught.
        assert isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.stdout == "", (args, result.stdout)
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_the_address_comes_from_the_variables_when_no_flag_gives_it(port_in_use: int) -> None:
    busy = CliRunner().invoke(main, ["serve"], env={"VONAGE_ACCOUNT_MOCK_PORT": str(port_in_use)})
    assert busy.exit_code == 4
    assert f"cannot listen on 127.0.0.1:{port_in_use}" in busy.stderr
    elsewhere = CliRunner().invoke(
        main, ["serve", "--no-control", "--port", "0"], env={"VONAGE_ACCOUNT_MOCK_HOST": "192.0.2.1"}
    )
    assert elsewhere.exit_code == 4
    assert "cannot listen on 192.0.2.1:0" in elsewhere.stderr and "$VONAGE_ACCOUNT_MOCK_HOST" in elsewhere.stderr
    shown = " ".join(CliRunner().invoke(main, ["serve", "--help"]).output.split())
    assert "env var: VONAGE_ACCOUNT_MOCK_PORT" in shown and "env var: VONAGE_ACCOUNT_MOCK_HOST" in shown


def test_a_start_up_error_from_the_installed_command_has_no_traceback(tmp_path: Path) -> None:
    # The certificate is loaded by the server too: a wrong one used to come out as uvicorn's traceback.
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("not a certificate\n")
    command = Path(sys.executable).with_name("vonage-account-mock")
    result = subprocess.run(
        [str(command), "serve", "--port", "0", "--certfile", str(not_pem), "--keyfile", str(not_pem)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 3
    assert result.stderr.startswith("error: cannot use --certfile") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_the_exit_codes_are_documented_in_the_help() -> None:
    for command in (["--help"], ["serve", "--help"]):
        shown = " ".join(CliRunner().invoke(main, command).output.split())
        for code in (
            "0 stopped cleanly",
            "2 usage",
            "3 a file that cannot be used",
            "4 the address cannot be listened",
        ):
            assert code in shown, command


def test_a_drop_fault_cuts_the_connection_without_an_error_line() -> None:
    with serving() as (process, url, _lines), httpx.Client(base_url=url) as http:
        _wait_ready(url)
        plan = {"operation_id": "get_balance", "drop": True, "times": 1}
        assert http.post("/_mock/faults", json=plan).status_code == 201
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/account/get-balance", auth=("cli12345", "Cli1secret"))
        assert http.get("/account/get-balance", auth=("cli12345", "Cli1secret")).status_code == 200
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    assert "GET /account/get-balance get_balance 200" in stderr
    assert "ASGI callable" not in stderr and "ERROR" not in stderr


def test_reset_clears_a_running_mock_or_one_account_of_it() -> None:
    from vonage_account_mock import create_app
    from vonage_account_mock.serving.server import ThreadedMockServer

    with ThreadedMockServer(create_app()) as server, httpx.Client(base_url=server.url) as http:
        for key in ("reset001", "reset002"):
            assert http.put(f"/_mock/accounts/{key}", json={"secrets": ["Reset1secret"]}).status_code == 200
        one = CliRunner().invoke(main, ["reset", "--api-key", "reset001"], env={"VONAGE_ACCOUNT_MOCK_URL": server.url})
        assert one.exit_code == 0 and one.stdout == f"reset account reset001 on {server.url}\n", one.output
        assert http.get("/_mock/accounts").json() == {"accounts": ["reset002"]}
        whole = CliRunner().invoke(main, ["reset", "--url", server.url, "--deterministic", "42"])
        assert whole.exit_code == 0 and whole.stdout == f"reset every account on {server.url}\n"
        assert http.get("/_mock/accounts").json() == {"accounts": []}


def test_reset_failures_are_one_line_saying_what_to_do() -> None:
    from vonage_account_mock import create_app
    from vonage_account_mock.serving.server import ThreadedMockServer

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}"
    with ThreadedMockServer(create_app(control_token="Control1token")) as guarded:
        cases = [
            (["reset", "--url", nowhere], 1, "is it running? (--url or $VONAGE_ACCOUNT_MOCK_URL)"),
            (["reset", "--url", guarded.url], 1, "give --control-token or $VONAGE_ACCOUNT_MOCK_CONTROL_TOKEN"),
            (["reset", "--url", "http://[::1"], 1, "is not a URL"),
            (["reset", "--api-key", "k", "--deterministic", "1"], 2, "leave out --api-key"),
        ]
        for args, code, words in cases:
            result = CliRunner().invoke(main, args)
            assert result.exit_code == code and isinstance(result.exception, SystemExit), (args, result.output)
            assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, (args, result.stderr)
            assert words in result.stderr, (args, result.stderr)
        token = CliRunner().invoke(main, ["reset", "--url", guarded.url, "--control-token", "Control1token"])
        assert token.exit_code == 0 and "Control1token" not in token.output
