"""`make bench`: the mock against Prism and a bare Starlette app, in one run, on loopback, with the same load tool.

Writes docs/bench/latest.json, docs/bench/latest.md (the table the README quotes) and docs/bench/throughput.png.
Every figure is the median of several runs: these machines are noisy.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.inprocess import measure as measure_in_process
from vonage_account_spec import spec_path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "bench"
SPEC = spec_path()
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = 16
KEY, SECRET = "bench001", "Bench1secret"


def _basic(key: str, secret: str) -> str:
    return base64.b64encode(f"{key}:{secret}".encode()).decode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(url: str, timeout: float = 30) -> float:
    """Seconds until an authenticated get-balance answers 200."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            if httpx.get(url, headers={"Authorization": f"Basic {_basic(KEY, SECRET)}"}, timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.01)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


TARGETS: dict[str, Callable[[int], list[str]]] = {
    "mock": lambda port: [
        sys.executable,
        "-m",
        "vonage_account_mock",
        "serve",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ],
    "prism": lambda port: [
        str(ROOT / "node_modules" / ".bin" / "prism"),
        "mock",
        str(SPEC),
        "-p",
        str(port),
        "-v",
        "silent",
    ],
    "starlette": lambda port: [
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
}


@dataclass
class Started:
    """A target just started: its URL, and seconds from launch to its first 200 and to its first refusal."""

    url: str
    cold_start_s: float
    first_refusal_s: float | None


def _refused(url: str) -> bool:
    """Whether an authenticated call with an invalid parameter is refused (the mock's full path, Prism's validator)."""
    response = httpx.get(
        f"{url}/account/get-pricing/outbound/sms",
        params={"country": "gb"},
        headers={"Authorization": f"Basic {_basic(KEY, SECRET)}"},
        timeout=30,
    )
    # 400 from the mock, 400 or 422 from Prism; a 404 (the bare app has no such route) is no refusal of input.
    return response.status_code in (400, 422)


@contextmanager
def serving(target: str) -> Iterator[Started]:
    """Start a target on a free port; yield it with its cold-start figures."""
    port = _free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        TARGETS[target](port), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{url}/account/get-balance")
        cold_start = time.perf_counter() - started
        # Straight after the first 200: the mock builds its full path (connexion) only after its first answer.
        first_refusal = time.perf_counter() - started if _refused(url) else None
        yield Started(url, cold_start, first_refusal)
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=10)


def _wrk(
    url: str,
    path: str,
    *,
    connections: int,
    threads: int,
    headers: dict[str, str],
    script: str | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, float]:
    command = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{SECONDS}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    output = subprocess.run(
        [*command, url + path], capture_output=True, text=True, check=True, env={**os.environ, **(env or {})}
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    latencies: dict[str, float] = {}
    for percentile in ("50", "90", "99"):
        match = re.search(rf"\s{percentile}%\s+([\d.]+)(us|ms|s)", output)
        if match:
            amount, unit = float(match.group(1)), match.group(2)
            latencies[f"p{percentile}_ms"] = amount / 1000 if unit == "us" else amount * 1000 if unit == "s" else amount
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": rps, **latencies, "non_2xx": float(errors.group(1)) if errors else 0.0}


def _scenarios(url: str) -> dict[str, dict[str, float]]:
    pair_env = {f"BENCH_PAIR_AUTH_benchpair{n}": _basic(f"benchpair{n}", SECRET) for n in (1, 2)}
    for n in (1, 2):  # provision the pair keys (the mock creates them on first use)
        httpx.get(
            f"{url}/account/get-balance",
            headers={"Authorization": f"Basic {pair_env[f'BENCH_PAIR_AUTH_benchpair{n}']}"},
        )
    return {
        "get_balance": _wrk(
            url,
            "/account/get-balance",
            connections=CONNECTIONS,
            threads=2,
            headers={"Authorization": f"Basic {_basic(KEY, SECRET)}"},
        ),
        "rejected_401": _wrk(url, "/account/get-balance", connections=CONNECTIONS, threads=2, headers={}),
        "create_revoke_pair": _wrk(
            url,
            "/",
            connections=2,
            threads=2,
            headers={},
            script=str(ROOT / "bench" / "lua" / "pair.lua"),
            env=pair_env,
        ),
    }


def _median_runs(runs: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    return {
        scenario: {metric: statistics.median(run[scenario][metric] for run in runs) for metric in runs[0][scenario]}
        for scenario in runs[0]
    }


def measure() -> dict[str, Any]:
    """Every figure of the run."""
    results: dict[str, Any] = {"runs": RUNS, "seconds_per_run": SECONDS, "connections": CONNECTIONS, "targets": {}}
    for target in TARGETS:
        runs, cold, refusals = [], [], []
        for _ in range(RUNS):
            with serving(target) as started:
                cold.append(started.cold_start_s)
                if started.first_refusal_s is not None:
                    refusals.append(started.first_refusal_s)
                runs.append(_scenarios(started.url))
        results["targets"][target] = {
            "cold_start_s": statistics.median(cold),
            "first_refusal_s": statistics.median(refusals) if refusals else None,
            **_median_runs(runs),
        }
        print(f"measured {target}", file=sys.stderr)
    results["in_process"] = measure_in_process()
    return results


def table(results: dict[str, Any]) -> str:
    """The Markdown table the README quotes."""
    targets = results["targets"]
    mock, prism, bare = targets["mock"], targets["prism"], targets["starlette"]
    lines = [
        "| scenario | mock | Prism (`-v silent`) | bare Starlette | mock / Prism | mock / Starlette |",
        "|---|---|---|---|---|---|",
    ]
    for scenario in ("get_balance", "create_revoke_pair", "rejected_401"):
        m, p, b = mock[scenario]["rps"], prism[scenario]["rps"], bare[scenario]["rps"]
        p50, p99 = mock[scenario].get("p50_ms", 0), mock[scenario].get("p99_ms", 0)
        label = f"{scenario} req/s (mock p50 / p99 ms: {p50:.2f} / {p99:.2f})"
        lines.append(f"| {label} | {m:,.0f} | {p:,.0f} | {b:,.0f} | {m / p:.2f}x | {m / b:.2f}x |")
    lines.append(
        f"| cold start to first 200 (s) | {mock['cold_start_s']:.2f} | {prism['cold_start_s']:.2f} | "
        f"{bare['cold_start_s']:.2f} | {mock['cold_start_s'] / prism['cold_start_s']:.2f}x | "
        f"{mock['cold_start_s'] / bare['cold_start_s']:.2f}x |"
    )
    refusal, prism_refusal = mock["first_refusal_s"], prism["first_refusal_s"]
    lines.append(
        f"| cold start to first refusal of invalid input (s) | {refusal:.2f} | {prism_refusal:.2f} | "
        f"(checks nothing) | {refusal / prism_refusal:.2f}x | |"
    )
    in_process = results["in_process"]
    lines += [
        "",
        "| in-process (median) | ms |",
        "|---|---|",
        *(f"| {name.removesuffix('_ms').replace('_', ' ')} | {value:.3f} |" for name, value in in_process.items()),
    ]
    return "\n".join(lines) + "\n"


def chart(results: dict[str, Any], path: Path) -> None:
    """A bar chart of throughput per scenario and target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scenarios = ["get_balance", "create_revoke_pair", "rejected_401"]
    targets = list(results["targets"])
    figure, axes = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(targets)
    for index, target in enumerate(targets):
        values = [results["targets"][target][s]["rps"] for s in scenarios]
        axes.bar([i + index * width for i in range(len(scenarios))], values, width, label=target)
    axes.set_xticks([i + width for i in range(len(scenarios))], scenarios)
    axes.set_ylabel("requests / second")
    axes.set_title("Throughput on loopback (wrk, median of runs)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make bench` installs it (apt-get install wrk)")
    results = measure()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (OUT / "latest.md").write_text(table(results))
    chart(results, OUT / "throughput.png")
    print(table(results))


if __name__ == "__main__":
    main()
