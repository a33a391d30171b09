"""Files holding credentials: written through a link to its target, never replacing it; 0600; one rotation at a time."""

from __future__ import annotations

import os
import stat
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from vonage_account_mock import AccountSeed, AutoReload
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_ops import files
from vonage_account_ops.cli import main
from vonage_account_ops.credentials import Credentials

KEY, SECRET, TRX = "files001", "Files1secret", "trx-files-1"


@pytest.fixture
def server(threaded_server: ThreadedMockServer) -> ThreadedMockServer:
    threaded_server.app.control.reset(deterministic_seed=None)
    threaded_server.app.backend.seed(
        AccountSeed(
            api_key=KEY,
            secrets=(SECRET,),
            balance=Decimal("3.00"),
            auto_reload=AutoReload(enabled=True, trx=TRX, amount=Decimal("25")),
        )
    )
    return threaded_server


def _cli(server: ThreadedMockServer, *args: str) -> Result:
    environment = {"VONAGE_REST_URL": server.url, "VONAGE_API_URL": server.url}
    result = CliRunner().invoke(main, list(args), env=environment)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def test_rotating_a_linked_store_writes_the_target_and_keeps_the_link(
    server: ThreadedMockServer, tmp_path: Path
) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    target = vault / "vonage.credentials"
    Credentials(KEY, SECRET).write(target)
    link = tmp_path / "link.credentials"
    link.symlink_to(target)

    rotated = _cli(server, "secrets", "rotate", "--store", str(link), "--grace", "0")
    assert rotated.exit_code == 0, rotated.output
    assert link.is_symlink() and link.resolve() == target
    stored = Credentials.from_file(target)
    assert stored.api_secret != SECRET
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    # What reads the real file authenticates: the old secret was revoked, the target holds the new one.
    balance = _cli(server, "--credentials", str(target), "balance")
    assert balance.exit_code == 0 and "3.00 EUR" in balance.output, balance.output
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".link.credentials")]


def test_a_rotation_under_way_refuses_a_second_one(server: ThreadedMockServer, tmp_path: Path) -> None:
    store = tmp_path / "vonage.credentials"
    Credentials(KEY, SECRET).write(store)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with files.exclusive(store, wait=0):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        refused = _cli(server, "secrets", "rotate", "--store", str(store), "--grace", "0")
    finally:
        release.set()
        holder.join()
    assert refused.exit_code == 5, refused.output
    assert "a rotation of" in refused.output and "is in progress" in refused.output
    assert Credentials.from_file(store).api_secret == SECRET
    assert server.app.control.journal(operation_id="create_secret") == []


def test_a_top_up_state_file_that_is_a_link_is_refused(server: ThreadedMockServer, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    state = tmp_path / "top-up.json"
    state.symlink_to(victim)
    store = tmp_path / "vonage.credentials"
    Credentials(KEY, SECRET).write(store)
    refused = _cli(server, "--credentials", str(store), "top-up", "--trx", TRX, "--floor", "10", "--state", str(state))
    assert refused.exit_code == 2, refused.output
    assert "symbolic link" in refused.output
    assert victim.read_text() == "precious\n"
    assert not server.app.control.journal(operation_id="top_up")


def test_private_writes_leave_no_temporary_file_and_are_0600(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    os.umask(0o022)
    files.write_private(path, "value\n")
    assert path.read_text() == "value\n" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.txt"]
