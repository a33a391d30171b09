"""The servers `make bench` measures: how each starts on a port, what it serves, and how it is warmed up."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vonage_account_spec import spec_path

ROOT = Path(__file__).resolve().parent.parent
SPEC = spec_path()
WARM_UP_SECONDS = int(os.environ.get("BENCH_WARM_UP_SECONDS", "2"))
SCENARIOS = ("get_balance", "create_revoke_pair", "rejected_401")
PEERS = ROOT / "bench" / "peers"
PEERS_MISSING = "the peers are missing: `make bench` installs them (npm ci --prefix bench/peers)"


def wiremock_jar() -> Path:
    jars = sorted((PEERS / "node_modules" / "wiremock" / "build").glob("wiremock-standalone-*.jar"))
    if not jars:
        raise SystemExit(PEERS_MISSING)
    return jars[-1]


@dataclass(frozen=True)
class WarmUp:
    """Discarded runs before a target is measured: at least `min_runs` of `seconds`, then more (up to `max_runs`)
    until its throughput stops rising: none of the last `settle` runs more than `rise` above the best before them."""

    seconds: int
    min_runs: int = 1
    max_runs: int = 1
    settle: int = 1
    rise: float = 0.03

    def done(self, rps: list[float]) -> bool:
        """Whether the runs so far (their req/s, oldest first) are warm-up enough."""
        if len(rps) >= self.max_runs:
            return True
        if len(rps) < max(self.min_runs, self.settle + 1):
            return False
        best_before = max(rps[: -self.settle])
        return all(value <= best_before * (1 + self.rise) for value in rps[-self.settle :])


@dataclass(frozen=True)
class Target:
    """A server `make bench` measures: how to start it on a port, what it can serve and how it is warmed up."""

    label: str
    command: Callable[[int], list[str]]
    scenarios: tuple[str, ...] = SCENARIOS
    warm_up: WarmUp = WarmUp(WARM_UP_SECONDS)


# No JIT in CPython: one discarded run is enough. V8 (Prism, Mockoon): until a run is no faster than the best before.
# The JVM's tiered compilers take longest: at least three runs of 5 s, then on until two runs in a row are no faster.
NODE_WARM_UP = WarmUp(WARM_UP_SECONDS, min_runs=2, max_runs=4)
JVM_WARM_UP = WarmUp(max(WARM_UP_SECONDS, 5), min_runs=3, max_runs=10, settle=2)
STATELESS = ("get_balance", "rejected_401")

STATE_DIR = Path(tempfile.gettempdir()) / f"vonage-account-mock-bench-{os.getpid()}"
"""Where the state-file targets keep their files: a fresh file for every start (removed at the end of the run)."""


def _mock(port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "vonage_account_mock", "serve", "--port", str(port), "--log-level", "warning", *extra]


def _state_file(port: int) -> str:
    STATE_DIR.mkdir(mode=0o700, exist_ok=True)
    path = STATE_DIR / f"{port}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return str(path)


TARGETS: dict[str, Target] = {
    "mock": Target("mock", _mock),
    # The same mock keeping its state in a SQLite file (every change committed before it is answered), with one
    # process and with two sharing the file (both pinned to the server's core, as every target is).
    "mock_state": Target("mock --state", lambda port: _mock(port, "--state", _state_file(port))),
    "mock_workers": Target(
        "mock --workers 2 --state", lambda port: _mock(port, "--state", _state_file(port), "--workers", "2")
    ),
    "prism": Target(
        "Prism (`-v silent`)",
        lambda port: [
            str(ROOT / "node_modules" / ".bin" / "prism"),
            "mock",
            str(SPEC),
            "-p",
            str(port),
            "-v",
            "silent",
        ],
        warm_up=NODE_WARM_UP,
    ),
    # WireMock's own flags for load: no request journal (it grows without bound), no request logging to the notifier,
    # no banner. Not --async-response-enabled: WireMock answers asynchronously only a stub with a delay, and these have
    # none. Jetty's container threads stay at WireMock's default (25), above the 16 connections.
    "wiremock": Target(
        "WireMock",
        lambda port: [
            "java",
            "-jar",
            str(wiremock_jar()),
            "--port",
            str(port),
            "--bind-address",
            "127.0.0.1",
            "--root-dir",
            str(PEERS / "wiremock"),
            "--no-request-journal",
            "--disable-request-logging",
            "--disable-banner",
        ],
        scenarios=STATELESS,
        warm_up=JVM_WARM_UP,
    ),
    # Mockoon logs every transaction to stdout and has no flag to stop it (stdout goes to /dev/null here); its least
    # logging: no log file, no transactions kept for the admin API, which is off.
    "mockoon": Target(
        "Mockoon",
        lambda port: [
            str(PEERS / "node_modules" / ".bin" / "mockoon-cli"),
            "start",
            "--data",
            str(PEERS / "mockoon-environment.json"),
            "--port",
            str(port),
            "--hostname",
            "127.0.0.1",
            "--disable-log-to-file",
            "--max-transaction-logs",
            "0",
            "--disable-admin-api",
        ],
        scenarios=STATELESS,
        warm_up=NODE_WARM_UP,
    ),
    "starlette": Target(
        "bare Starlette",
        lambda port: [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bare_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
    ),
}
