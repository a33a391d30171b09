"""What the Makefile's targets run, read from `make -n` (nothing is run): `make mock` installs what serving needs and
no more, and passes PORT and HOST on to serve."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make")


def _planned(*args: str) -> str:
    # -B: as on a fresh clone, every file target out of date; -n: print the recipes, run none.
    done = subprocess.run(
        ["make", "-n", "-B", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.replace("\\\n", " ")  # one line per command, continuations joined


def test_make_mock_installs_the_runtime_packages_only() -> None:
    plan = _planned("mock")
    assert "pip install" in plan and "-e ." in plan
    assert "[dev" not in plan and "npm" not in plan, plan


def test_make_mock_passes_port_and_host_on_to_serve() -> None:
    plan = _planned("mock", "PORT=8099", "HOST=127.0.0.2")
    (serve,) = [line for line in plan.splitlines() if "vonage-account-mock serve" in line]
    assert "VONAGE_ACCOUNT_MOCK_PORT=8099" in serve and "VONAGE_ACCOUNT_MOCK_HOST=127.0.0.2" in serve, serve


def test_make_test_installs_everything() -> None:
    plan = _planned("test")
    assert "'.[dev,mcp,docs]'" in plan and "npm ci" in plan


def test_make_dist_builds_the_sdist_and_the_wheel() -> None:
    assert "python -m build --outdir dist ." in _planned("dist")
