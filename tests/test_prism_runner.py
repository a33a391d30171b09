"""The Prism runner: a clear error when Prism cannot run, and no process left behind."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from vonage_account_mock.serving import prism


def test_a_missing_prism_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prism, "_REPOSITORY", tmp_path)
    monkeypatch.delenv(prism.PRISM_VARIABLE, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(prism.PrismUnavailable, match="npm ci"):
        prism.prism_command()


def test_prism_is_stopped_even_when_the_test_body_fails() -> None:
    with pytest.raises(ZeroDivisionError), prism.prism_mock() as url:
        port = url.rsplit(":", 1)[1]
        1 / 0  # noqa: B018 - the failure under test
    # No process is listening on the port any more (whole process group ended).
    left = subprocess.run(["pgrep", "-f", f"--port {port}"], capture_output=True, text=True).stdout.split()
    assert [pid for pid in left if int(pid) != os.getpid()] == []
