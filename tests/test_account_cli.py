"""`vonage-account` against the threaded mock server: each job, its output, its exit codes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from vonage_account_mock import AccountSeed, AutoReload
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_ops.cli import main
from vonage_account_ops.credentials import Credentials

KEY, SECRET, TRX = "cli00001", "Cli1secretX", "trx-cli-1"


@pytest.fixture
def server(threaded_server: ThreadedMockServer) -> ThreadedMockServer:
    threaded_server.app.control.reset(deterministic_seed=None)
    threaded_server.app.backend.seed(
        AccountSeed(
            api_key=KEY,
            secrets=(SECRET,),
            balance=Decimal("60.00"),
            auto_reload=AutoReload(enabled=True, trx=TRX, amount=Decimal("25")),
        )
    )
    return threaded_server


def run(server: ThreadedMockServer, *args: str, secret: str = SECRET, env: dict[str, str] | None = None) -> Result:
    environment = {
        "VONAGE_REST_URL": server.url,
        "VONAGE_API_URL": server.url,
        "VONAGE_API_KEY": KEY,
        "VONAGE_API_SECRET": secret,
        **(env or {}),
    }
    result = CliRunner().invoke(main, list(args), env=environment)
    # CliRunner keeps an uncaught exception (what a user would see as a traceback) in `exception`, not the output.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert secret not in result.output, "a secret was printed"
    return result


def test_balance_in_both_formats(server: ThreadedMockServer) -> None:
    assert run(server, "balance").output.strip() == "60.00 EUR (auto-reload on)"
    assert json.loads(run(server, "--json", "balance").output) == {"value": "60.00", "auto_reload": True}


def test_preflight_exit_codes(server: ThreadedMockServer) -> None:
    ok = run(server, "preflight", "--floor", "50", "--country", "GB", "--messages", "100")
    assert ok.exit_code == 0 and ok.output.startswith("OK")
    low = run(server, "--json", "preflight", "--floor", "75")
    assert low.exit_code == 1 and json.loads(low.output)["ok"] is False
    costly = run(server, "preflight", "--floor", "10", "--country", "NL", "--messages", "1000")
    assert costly.exit_code == 1 and "does not cover" in costly.output


def test_bad_credentials_exit_3_with_one_line(server: ThreadedMockServer) -> None:
    result = run(server, "balance", secret="Wrong1secretX")
    assert result.exit_code == 3
    assert result.output.strip().count("\n") == 0 and result.output.startswith("error: ")


def test_missing_credentials_are_a_usage_error(server: ThreadedMockServer) -> None:
    result = CliRunner().invoke(main, ["balance"], env={"VONAGE_API_KEY": "", "VONAGE_API_SECRET": ""})
    assert result.exit_code == 2 and "VONAGE_API_KEY" in result.output


def test_top_up_below_a_floor_once_per_dip(server: ThreadedMockServer, tmp_path: Path) -> None:
    server.app.backend.spend(KEY, Decimal("55"))
    state = str(tmp_path / "state.json")
    first = run(server, "top-up", "--trx", TRX, "--floor", "40", "--state", state)
    assert first.exit_code == 0 and first.output.strip() == "topped up: 5.00 -> 30.00 EUR"
    again = run(server, "top-up", "--trx", TRX, "--floor", "40", "--state", state)
    assert again.output.startswith("already topped up")


def test_top_up_refusals_exit_4(server: ThreadedMockServer) -> None:
    result = run(server, "top-up", "--trx", "not-mine")
    assert result.exit_code == 4 and "topup failed" in result.output


def test_secrets_list_create_revoke(server: ThreadedMockServer) -> None:
    created = run(
        server, "--json", "secrets", "create", "--from-env", "NEW_SECRET", env={"NEW_SECRET": "Second2secret"}
    )
    assert created.exit_code == 0
    new_id = json.loads(created.output)["id"]
    listed = run(server, "secrets", "list")
    assert new_id in listed.output and listed.output.startswith("ID")
    limit = run(server, "secrets", "create", "--from-env", "NEW_SECRET", env={"NEW_SECRET": "Third3secret"})
    assert limit.exit_code == 4 and "Secret Addition Forbidden" in limit.output
    assert run(server, "secrets", "revoke", new_id).exit_code == 0
    only = server.app.backend.list_secrets(KEY, KEY)[0].id
    # The only secret is the one the credentials use: refused before anything is sent.
    last = run(server, "secrets", "revoke", only)
    assert last.exit_code == 4 and f"Secret in use: {only} is the secret the configured credentials use" in last.output
    assert len(server.app.control.journal(operation_id="revoke_secret")) == 1


def test_a_secret_is_never_a_command_line_value(server: ThreadedMockServer) -> None:
    result = run(server, "secrets", "create", "Inline1secret")
    assert result.exit_code == 2


def test_rotate_and_audit_through_the_cli(server: ThreadedMockServer, tmp_path: Path) -> None:
    store = tmp_path / "creds"
    Credentials(KEY, SECRET).write(store)
    rotated = run(server, "secrets", "rotate", "--store", str(store), "--grace", "0")
    assert rotated.exit_code == 0 and rotated.output.startswith("rotated")
    new = Credentials.from_file(store)
    assert new.api_secret != SECRET and new.api_secret not in rotated.output
    audit = run(server, "--credentials", str(store), "secrets", "audit", "--max-age-days", "30", secret=new.api_secret)
    assert audit.exit_code == 0 and "in use" in audit.output


def test_settings_show_the_change_and_refuse_http(server: ThreadedMockServer) -> None:
    changed = run(server, "settings", "--mo", "https://example.com/in")
    assert changed.exit_code == 0 and "- -> https://example.com/in" in changed.output
    refused = run(server, "settings", "--dr", "http://example.com/dr")
    assert refused.exit_code == 2 and "https" in refused.output


def test_senders_and_pricing(server: ThreadedMockServer) -> None:
    assert run(server, "senders", "register", "bob@example.com").output.strip() == "registered bob@example.com"
    gb = run(server, "pricing", "gb")
    assert "United Kingdom" in gb.output
    by_prefix = json.loads(run(server, "--json", "pricing", "--prefix", "1").output)
    assert sorted(c["countryCode"] for c in by_prefix) == ["CA", "US"]
    assert all(c["estimatePrice"] == max([n["price"] for n in c["networks"]], key=Decimal) for c in by_prefix)
    unknown = run(server, "pricing", "ZZ")
    assert unknown.exit_code == 4


def test_help_explains_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert "Exit codes" in result.output
    for command in ("balance", "preflight", "top-up", "secrets", "settings", "senders", "pricing"):
        assert command in result.output


def test_credentials_can_come_from_a_command_run_at_call_time(server: ThreadedMockServer, tmp_path: Path) -> None:
    vault = tmp_path / "vault.sh"
    vault.write_text(f'#!/bin/sh\necho \'{{"api_key": "{KEY}", "api_secret": "{SECRET}"}}\'\n')
    vault.chmod(0o700)
    result = run(server, "--credentials-command", str(vault), "balance", env={"VONAGE_API_SECRET": "Wrong1secretX"})
    assert result.exit_code == 0 and result.output.strip() == "60.00 EUR (auto-reload on)"
    lines = tmp_path / "lines.sh"
    lines.write_text(f"#!/bin/sh\nprintf 'api_key={KEY}\\napi_secret={SECRET}\\n'\n")
    lines.chmod(0o700)
    by_variable = run(server, "balance", env={"VONAGE_CREDENTIALS_COMMAND": f"{lines} | cat"})
    assert by_variable.exit_code == 0


def test_a_failing_credentials_command_says_so_without_its_output(server: ThreadedMockServer) -> None:
    result = run(server, "--credentials-command", f"echo api_secret={SECRET}; exit 3", "balance")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: No usable credentials: the credentials command exited with status 3: run it yourself to see why"
    )
    both = run(server, "--credentials-command", "true", "--credentials", __file__, "balance")
    assert both.exit_code == 2 and "not both" in both.output


def test_audit_works_from_a_plain_key_and_secret_file(server: ThreadedMockServer, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.write_text(f"api_key={KEY}\napi_secret={SECRET}\n")
    alone = run(server, "--credentials", str(plain), "secrets", "audit", "--max-age-days", "0")
    assert alone.exit_code == 0 and "in use" in alone.output, "the only active secret is the one in use"

    server.app.backend.create_secret(KEY, KEY, "Spare1secretX")
    unknown = run(server, "--json", "--credentials", str(plain), "secrets", "audit", "--max-age-days", "0")
    document = json.loads(unknown.output)
    assert unknown.exit_code == 1 and document["current"] is None and document["revoked"] == []
    assert [s["flagged"] for s in document["secrets"]] == [True, True]


def test_audit_revoke_says_what_it_revoked(server: ThreadedMockServer, tmp_path: Path) -> None:
    current = server.app.backend.account(KEY).secrets[0].id
    spare = server.app.backend.create_secret(KEY, KEY, "Spare1secretX").id
    store = tmp_path / "store"
    store.write_text(f"api_key={KEY}\napi_secret={SECRET}\napi_secret_id={current}\n")
    revoked = run(server, "--credentials", str(store), "secrets", "audit", "--max-age-days", "0", "--revoke")
    assert revoked.exit_code == 0
    assert f"revoked {spare}" in revoked.output and "REVOKED" in revoked.output
    assert [s.id for s in server.app.backend.account(KEY).secrets] == [current]


def test_the_group_options_work_after_the_command_too(server: ThreadedMockServer, tmp_path: Path) -> None:
    assert json.loads(run(server, "balance", "--json").output) == {"value": "60.00", "auto_reload": True}
    # A nested command, an option with a value, and the value winning over the variable.
    store = tmp_path / "cli.credentials"
    store.write_text(f"api_key={KEY}\napi_secret={SECRET}\n")
    listed = run(server, "secrets", "list", "--credentials", str(store), "--json", secret="Wrong1secretX")
    assert listed.exit_code == 0 and len(json.loads(listed.output)) == 1
    missing = run(server, "balance", "--json", "--credentials", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "nowhere" in json.loads(missing.output)["error"]["detail"]
    agent = run(server, "mcp", "--credentials", str(tmp_path / "nowhere"))
    assert agent.exit_code == 2 and "'--credentials'" in agent.stderr and "nowhere" in agent.stderr
    # A usage error of the command itself, with --json after it, is JSON too.
    refused = run(server, "preflight", "--floor", "abc", "--json")
    assert refused.exit_code == 2 and json.loads(refused.output)["error"]["type"] == "usage-error"
    shown = " ".join(CliRunner().invoke(main, ["--help"]).output.split())
    assert "`vonage-account balance --json`" in shown


def test_the_rest_and_api_url_options_name_their_variables() -> None:
    shown = " ".join(CliRunner().invoke(main, ["--help"]).output.split())
    assert "$VONAGE_REST_URL" in shown and "$VONAGE_API_URL" in shown
