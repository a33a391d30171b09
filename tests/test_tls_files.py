"""The local CA's files: stable across restarts, created safely, never used through a link or when open to others."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from vonage_account_mock.serving.cli import main
from vonage_account_mock.serving.tls import UnsafeTlsFiles, forget_tls_files, make_tls_files


def test_the_ca_is_made_once_then_reused_with_private_modes(tmp_path: Path) -> None:
    folder = tmp_path / "tls"
    first = make_tls_files(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {
        "ca.pem": 0o600,
        "ca.key": 0o600,
        "server.pem": 0o600,
        "server.key": 0o600,
    }
    bundle = first.ca_bundle.read_bytes()
    again = make_tls_files(folder)
    assert again == first and again.ca_bundle.read_bytes() == bundle  # a trusted CA stays valid across restarts


def test_a_link_planted_in_the_folder_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "tls"
    folder.mkdir(mode=0o700)
    target = tmp_path / "precious"
    target.write_text("keep me")
    (folder / "server.key").symlink_to(target)
    with pytest.raises(UnsafeTlsFiles, match="not a regular file"):
        make_tls_files(folder)
    assert target.read_text() == "keep me"


def test_files_open_to_others_or_a_shared_folder_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "tls"
    make_tls_files(folder)
    os.chmod(folder / "ca.key", 0o644)
    with pytest.raises(UnsafeTlsFiles, match="mode 0600"):
        make_tls_files(folder)
    os.chmod(folder / "ca.key", 0o600)
    os.chmod(folder, 0o755)
    with pytest.raises(UnsafeTlsFiles, match="open to other users"):
        make_tls_files(folder)


def test_a_half_made_folder_is_not_completed_silently(tmp_path: Path) -> None:
    folder = tmp_path / "tls"
    make_tls_files(folder)
    (folder / "server.pem").unlink()
    with pytest.raises(UnsafeTlsFiles, match="only some"):
        make_tls_files(folder)


def test_the_ca_command_shows_the_bundle_and_forgets_it(tmp_path: Path) -> None:
    folder = tmp_path / "tls"
    runner = CliRunner()
    assert "no CA yet" in runner.invoke(main, ["ca", "--tls-dir", str(folder)]).output
    make_tls_files(folder)
    assert runner.invoke(main, ["ca", "--tls-dir", str(folder)]).output.strip() == str(folder / "ca.pem")
    forgotten = runner.invoke(main, ["ca", "--tls-dir", str(folder), "--forget"])
    assert forgotten.exit_code == 0 and not folder.exists()
    (tmp_path / "other").mkdir(mode=0o700)
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(UnsafeTlsFiles, match="did not make"):
        forget_tls_files(tmp_path / "other")
