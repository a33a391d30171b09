"""The Prism runner: a clear error when Prism cannot run, and no process left behind."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from vonage_account_mock.serving import prism


def test_a_missing_prism_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prism, "_REPOSITORY", tmp_path)
    monkeypatch.delenv(prism.PRISM_VARIABLE, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(prism.PrismUnavailable, match="npm ci"):
        prism.prism_command()


def _prism_processes(port: str) -> list[int]:
    """Processes whose command line runs Prism on `port` (`--` ends pgrep's options: the pattern starts with one)."""
    found = subprocess.run(["pgrep", "-f", "--", f"--port {port}"], capture_output=True, text=True)
    assert found.returncode in (0, 1), f"pgrep failed: {found.stderr}"  # 1 is "none found"; 2 and 3 are errors
    return [int(pid) for pid in found.stdout.split() if int(pid) != os.getpid()]


def test_prism_is_stopped_even_when_the_test_body_fails() -> None:
    with pytest.raises(ZeroDivisionError), prism.prism_mock() as url:
        port = url.rsplit(":", 1)[1]
        assert _prism_processes(port), "the check must see Prism while it runs"
        1 / 0  # noqa: B018 - the failure under test
    # The whole process group ended: nothing runs with that port, and nothing answers on it.
    assert _prism_processes(port) == []
    with pytest.raises(httpx.TransportError):
        httpx.get(url, timeout=2)
