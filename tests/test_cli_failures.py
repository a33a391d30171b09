"""Every failure of `vonage-account`, run through its console script: one line saying what to do, the documented
exit code, never a traceback; with --json, the same as a JSON document on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from vonage_account_mock import AccountSeed, AutoReload
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_ops.credentials import Credentials

SCRIPT = str(Path(sys.executable).with_name("vonage-account"))
KEY, SECRET, SPARE = "fail0001", "Fail1secretX", "Fail2secretX"
NO_RELOAD = "fail0002"


@pytest.fixture
def server(threaded_server: ThreadedMockServer) -> ThreadedMockServer:
    threaded_server.app.control.reset(deterministic_seed=None)
    threaded_server.app.backend.seed(
        AccountSeed(api_key=KEY, secrets=(SECRET,), auto_reload=AutoReload(enabled=True, trx="t", amount=Decimal(1)))
    )
    threaded_server.app.backend.seed(AccountSeed(api_key=NO_RELOAD, secrets=(SECRET,)))
    return threaded_server


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def vonage_account(server: ThreadedMockServer, *args: str, env: dict[str, str] | None = None, cwd: Path) -> Run:
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(cwd),
        "VONAGE_REST_URL": server.url,
        "VONAGE_API_URL": server.url,
        "VONAGE_API_KEY": KEY,
        "VONAGE_API_SECRET": SECRET,
        **(env or {}),
    }
    done = subprocess.run(
        [SCRIPT, *args], env=environment, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    return Run(done.returncode, done.stdout, done.stderr)


def assert_one_line_failure(run: Run, code: int, *words: str) -> None:
    assert run.code == code, run
    assert "Traceback" not in run.stdout + run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    for secret in (SECRET, SPARE):
        assert secret not in run.stdout + run.stderr


# (arguments, extra environment, exit code, words the line must hold: what went wrong and what to do)
CASES: dict[str, tuple[list[str], dict[str, str], int, tuple[str, ...]]] = {
    "a floor that is not a number": (["preflight", "--floor", "abc"], {}, 2, ("'abc' is not an amount", "50 or 0.10")),
    "a margin that is not a number": (["preflight", "--floor", "1", "--margin", "x"], {}, 2, ("--margin", "--help")),
    "a negative floor": (["top-up", "--trx", "t", "--floor", "-5"], {}, 2, ("non-negative",)),
    "a floor beyond any balance": (["preflight", "--floor", "1e999999"], {}, 2, ("out of range",)),
    "an unknown secret id": (["secrets", "revoke", "nosuchid"], {}, 4, ("secrets list",)),
    "messages without a country": (["preflight", "--floor", "1", "--messages", "10"], {}, 2, ("needs --country",)),
    "an unknown command": (["balanse"], {}, 2, ("balanse", "--help")),
    "no credentials at all": (["balance"], {"VONAGE_API_KEY": "", "VONAGE_API_SECRET": ""}, 2, ("VONAGE_API_KEY",)),
    "a credentials file that is not there": (["--credentials", "nowhere", "balance"], {}, 2, ("nowhere",)),
    "a wrong secret": (
        ["balance"],
        {"VONAGE_API_SECRET": "Wrong1secretX"},
        3,
        ("Authentication failed", "--credentials FILE", "rotated"),
    ),
    "nothing listening": (
        ["balance"],
        {"VONAGE_REST_URL": "http://127.0.0.1:9"},
        5,
        ("Network failure", "VONAGE_REST_URL"),
    ),
    "top-up without auto-reload": (
        ["top-up", "--trx", "t"],
        {"VONAGE_API_KEY": NO_RELOAD},
        4,
        ("Auto-reload not enabled", "auto_reload"),
    ),
    "top-up state in a missing folder": (
        ["top-up", "--trx", "t", "--floor", "100", "--state", "no/such/folder/top-up.json"],
        {},
        2,
        ("no/such/folder", "does not exist"),
    ),
    "an http webhook": (["settings", "--mo", "http://example.com/in"], {}, 2, ("https",)),
    "the secret in use revoked": (["secrets", "revoke", "{only}"], {}, 4, ("Secret in use", "secrets rotate")),
    "an unknown country": (["pricing", "ZZ"], {}, 4, ()),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_failure_is_one_line_with_its_exit_code(server: ThreadedMockServer, tmp_path: Path, case: str) -> None:
    args, env, code, words = CASES[case]
    only = server.app.backend.account(KEY).secrets[0].id
    run = vonage_account(server, *(a.replace("{only}", only) for a in args), env=env, cwd=tmp_path)
    assert_one_line_failure(run, code, *words)


@pytest.mark.parametrize("case", ["a floor that is not a number", "a wrong secret", "top-up without auto-reload"])
def test_with_json_a_failure_is_a_json_document_on_stdout(
    server: ThreadedMockServer, tmp_path: Path, case: str
) -> None:
    args, env, code, words = CASES[case]
    run = vonage_account(server, "--json", *args, env=env, cwd=tmp_path)
    assert run.code == code and run.stderr == ""
    document = json.loads(run.stdout)
    assert document["exit_code"] == code
    assert set(document["error"]) == {"type", "title", "detail"}
    assert all(word in f"{document['error']['title']}: {document['error']['detail']}" for word in words)


def test_a_corrupt_top_up_state_file_says_to_remove_it(server: ThreadedMockServer, tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("[1, 2")
    run = vonage_account(server, "top-up", "--trx", "t", "--floor", "100", "--state", "state.json", cwd=tmp_path)
    assert_one_line_failure(run, 2, "state.json", "remove it")


def test_a_failing_store_command_exits_6_and_running_again_finishes(server: ThreadedMockServer, tmp_path: Path) -> None:
    store = tmp_path / "creds"
    Credentials(KEY, SECRET).write(store)
    failed = vonage_account(
        server, "secrets", "rotate", "--store", str(store), "--grace", "0", "--store-command", "exit 7", cwd=tmp_path
    )
    assert_one_line_failure(failed, 6, "--store-command", "status 7", "secrets rotate")
    promoted = Credentials.from_file(store)
    assert promoted.api_secret != SECRET and promoted.previous_secret_id is not None
    assert len(server.app.backend.account(KEY).secrets) == 2, "the old secret stays until the rotation finishes"

    kept = tmp_path / "vault"
    finished = vonage_account(
        server, "secrets", "rotate", "--store", str(store), "--store-command", f"cat > {kept}", cwd=tmp_path
    )
    assert finished.code == 0, finished
    assert kept.read_text() == promoted.api_secret, "the resumed rotation runs the store command again"
    assert [s.id for s in server.app.backend.account(KEY).secrets] == [promoted.api_secret_id]
    assert f"revoked {promoted.previous_secret_id}" in finished.stdout


def test_audit_revoke_with_two_secrets_and_no_record_of_the_current_one_revokes_nothing(
    server: ThreadedMockServer, tmp_path: Path
) -> None:
    server.app.backend.seed(AccountSeed(api_key=KEY, secrets=(SECRET, SPARE)))
    run = vonage_account(server, "secrets", "audit", "--max-age-days", "0", "--revoke", cwd=tmp_path)
    assert_one_line_failure(run, 2, "api_secret_id", "nothing was revoked")
    assert len(server.app.backend.account(KEY).secrets) == 2


def test_version_has_the_form_of_the_mocks(tmp_path: Path) -> None:
    from importlib.metadata import version

    done = subprocess.run([SCRIPT, "--version"], capture_output=True, text=True, timeout=30, check=False)
    mock = subprocess.run([f"{SCRIPT}-mock", "--version"], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0 and done.stdout == f"vonage-account {version('vonage-account-mock')}\n"
    assert mock.stdout == done.stdout.replace("vonage-account", "vonage-account-mock")


def test_json_errors_whatever_the_order_of_the_group_options(server: ThreadedMockServer, tmp_path: Path) -> None:
    # An option's value before --json once hid it: the error came out as plain text.
    run = vonage_account(server, "--rest-url", server.url, "--json", "preflight", "--floor", "abc", cwd=tmp_path)
    assert run.code == 2 and run.stderr == ""
    assert json.loads(run.stdout)["error"]["type"] == "usage-error"
