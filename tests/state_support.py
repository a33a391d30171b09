"""Helpers for the state-file tests: a `vonage-account-mock serve --state` subprocess, and Basic credentials."""

from __future__ import annotations

import base64
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

_RUNS = itertools.count(1)


def basic(key: str, secret: str) -> dict[str, str]:
    """The Authorization header of a key and secret."""
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()}


def start(state: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """Start `serve --state STATE` on a free port; return the process and its URL once it answers."""
    url_file = state.parent / f"mock-{os.getpid()}-{next(_RUNS)}.url"
    command = [sys.executable, "-m", "vonage_account_mock", "serve", "--port", "0", "--log-level", "warning"]
    command += ["--url-file", str(url_file), "--state", str(state), *args]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not url_file.exists() or not url_file.read_text().strip():
        if process.poll() is not None:
            raise AssertionError(
                f"the mock stopped ({process.returncode}): {process.stderr.read() if process.stderr else ''}"
            )
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the mock did not start in time")
        time.sleep(0.02)
    return process, url_file.read_text().strip()


def stop(process: subprocess.Popen[str], *, hard: bool = False) -> None:
    """Stop a mock: SIGKILL (`hard`: nothing of it runs after), else SIGTERM; wait for it."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
    process.communicate(timeout=20)


@contextmanager
def serving(state: Path, *args: str) -> Iterator[tuple[subprocess.Popen[str], httpx.Client]]:
    """A mock on STATE and a client of it, stopped (if still running) at the end."""
    process, url = start(state, *args)
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield process, client
    finally:
        if process.poll() is None:
            stop(process)
