"""`make bench`: the mock against Prism and a bare Starlette app, in one run, on loopback, with the same load tool.

Fair to every target: all three run side by side, each is warmed up with a discarded run per scenario (Prism's
JIT is slow in its first seconds), runs are interleaved target by target in a rotating order, the servers are pinned
to one core and wrk to another (when there are two or more), and every target gets the same connections and
threads. Each ratio is given with its spread over the runs (min / median / max of the per-run ratio). Cold starts
are measured apart, on fresh processes, interleaved the same way. Every pairs run has fresh keys, and a run answered
with other statuses than its scenario measures stops the bench rather than being reported.

Writes docs/bench/latest.json (with the machine, Python, Node and Prism versions), docs/bench/latest.md (the table
the README quotes) and docs/bench/throughput.png.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import platform
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
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
WARM_UP_SECONDS = int(os.environ.get("BENCH_WARM_UP_SECONDS", "2"))
CONNECTIONS = 16
THREADS = 2
SCENARIOS = ("get_balance", "create_revoke_pair", "rejected_401")
# Servers on core 0, wrk on core 1: the load generator never competes with the server it measures.
PINNED = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
SERVER_CORES, LOAD_CORES = "0", "1"
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
    command = TARGETS[target](port)
    if PINNED:
        command = ["taskset", "-c", SERVER_CORES, *command]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
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
    seconds: int = SECONDS,
) -> dict[str, float]:
    command = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    if PINNED:
        command = ["taskset", "-c", LOAD_CORES, *command]
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
    requests = float(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    return {"rps": rps, **latencies, "requests": requests, "non_2xx": float(errors.group(1)) if errors else 0.0}


_PAIR_RUNS = itertools.count(1)


def _provision_pair_keys(url: str) -> dict[str, str]:
    """Fresh keys for one pairs run (one per thread), each with its one secret; the variables pair.lua reads."""
    run = next(_PAIR_RUNS)
    keys = [f"benchpair{run}x{n}" for n in range(1, THREADS + 1)]
    env = {"BENCH_PAIR_KEYS": ",".join(keys)}
    for key in keys:  # the mock creates a key, with the secret it was first called with, on first use
        env[f"BENCH_PAIR_AUTH_{key}"] = _basic(key, SECRET)
        httpx.get(f"{url}/account/get-balance", headers={"Authorization": f"Basic {env[f'BENCH_PAIR_AUTH_{key}']}"})
    return env


class UnexpectedAnswers(RuntimeError):
    """A scenario was answered with statuses other than the ones it measures: its figure would be of something else."""


def _scenario(url: str, name: str, seconds: int = SECONDS) -> dict[str, float]:
    """One wrk run of a scenario, checked to have been answered as the scenario means."""
    figures = _run_scenario(url, name, seconds)
    # wrk counts the answers outside 2xx/3xx: the 401 scenario must have only those, the others none of them.
    wrong = figures["requests"] - figures["non_2xx"] if name == "rejected_401" else figures["non_2xx"]
    if wrong:
        raise UnexpectedAnswers(f"{url}: {wrong:.0f} of {figures['requests']:.0f} {name} answers were of another kind")
    return figures


def _run_scenario(url: str, name: str, seconds: int) -> dict[str, float]:
    """One wrk run of a scenario; the same connections and threads for every target."""
    if name == "get_balance":
        return _wrk(
            url,
            "/account/get-balance",
            connections=CONNECTIONS,
            threads=THREADS,
            headers={"Authorization": f"Basic {_basic(KEY, SECRET)}"},
            seconds=seconds,
        )
    if name == "rejected_401":
        return _wrk(url, "/account/get-balance", connections=CONNECTIONS, threads=THREADS, headers={}, seconds=seconds)
    # Sequential pairs: one connection per thread, each creating then revoking a secret of its own key.
    return _wrk(
        url,
        "/",
        connections=THREADS,
        threads=THREADS,
        headers={},
        script=str(ROOT / "bench" / "lua" / "pair.lua"),
        env=_provision_pair_keys(url),
        seconds=seconds,
    )


def _spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def _machine() -> dict[str, Any]:
    def version(command: list[str]) -> str:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=30, cwd=ROOT)
        except OSError:
            return "missing"
        return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else "unknown"

    cpu = "unknown"
    with contextlib.suppress(OSError):
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "unknown",
        )
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "pinned": PINNED,
        "python": platform.python_version(),
        "node": version(["node", "--version"]),
        "prism": version([str(ROOT / "node_modules" / ".bin" / "prism"), "--version"]),
        "wrk": version(["wrk", "--version"]),
        "uvicorn": version([sys.executable, "-c", "import uvicorn; print(uvicorn.__version__)"]),
    }


def _rotated(order: list[str], by: int) -> list[str]:
    return order[by % len(order) :] + order[: by % len(order)]


def measure() -> dict[str, Any]:
    """Every figure of the run."""
    targets = list(TARGETS)
    results: dict[str, Any] = {
        "machine": _machine(),
        "runs": RUNS,
        "seconds_per_run": SECONDS,
        "warm_up_seconds": WARM_UP_SECONDS,
        "connections": CONNECTIONS,
        "threads": THREADS,
        "targets": {},
    }
    # Cold starts: fresh processes, interleaved.
    cold: dict[str, list[float]] = {target: [] for target in targets}
    refusals: dict[str, list[float]] = {target: [] for target in targets}
    for run in range(RUNS):
        for target in _rotated(targets, run):
            with serving(target) as started:
                cold[target].append(started.cold_start_s)
                if started.first_refusal_s is not None:
                    refusals[target].append(started.first_refusal_s)
    # Throughput: the three side by side, warmed up, then interleaved run by run.
    per_run: dict[str, dict[str, list[dict[str, float]]]] = {t: {s: [] for s in SCENARIOS} for t in targets}
    with contextlib.ExitStack() as stack:
        urls = {target: stack.enter_context(serving(target)).url for target in targets}
        for target in targets:
            for scenario in SCENARIOS:
                _scenario(urls[target], scenario, seconds=WARM_UP_SECONDS)
        for run in range(RUNS):
            for scenario in SCENARIOS:
                for target in _rotated(targets, run):
                    per_run[target][scenario].append(_scenario(urls[target], scenario))
            print(f"run {run + 1}/{RUNS} done", file=sys.stderr)
    for target in targets:
        results["targets"][target] = {
            "cold_start_s": statistics.median(cold[target]),
            "cold_start_spread_s": _spread(cold[target]),
            "first_refusal_s": statistics.median(refusals[target]) if refusals[target] else None,
            **{
                scenario: {metric: statistics.median(r[metric] for r in runs) for metric in runs[0]}
                | {"rps_per_run": [r["rps"] for r in runs]}
                for scenario, runs in per_run[target].items()
            },
        }
    results["ratios"] = {
        scenario: {
            f"mock/{other}": _spread(
                [m["rps"] / o["rps"] for m, o in zip(per_run["mock"][scenario], per_run[other][scenario], strict=True)]
            )
            for other in ("prism", "starlette")
        }
        for scenario in SCENARIOS
    }
    results["in_process"] = measure_in_process()
    return results


def table(results: dict[str, Any]) -> str:
    """The Markdown table the README quotes."""
    targets = results["targets"]
    mock, prism, bare = targets["mock"], targets["prism"], targets["starlette"]
    lines = [
        "| scenario (median of runs) | mock | Prism (`-v silent`) | bare Starlette | mock / Prism (min-max) | "
        "mock / Starlette (min-max) |",
        "|---|---|---|---|---|---|",
    ]
    for scenario in SCENARIOS:
        m, p, b = mock[scenario]["rps"], prism[scenario]["rps"], bare[scenario]["rps"]
        p50, p99 = mock[scenario].get("p50_ms", 0), mock[scenario].get("p99_ms", 0)
        label = f"{scenario} req/s (mock p50 / p99 ms: {p50:.2f} / {p99:.2f})"
        ratios = results["ratios"][scenario]
        shown = [
            f"{r['median']:.2f}x ({r['min']:.2f} to {r['max']:.2f})"
            for r in (ratios["mock/prism"], ratios["mock/starlette"])
        ]
        lines.append(f"| {label} | {m:,.0f} | {p:,.0f} | {b:,.0f} | {shown[0]} | {shown[1]} |")
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

    scenarios = list(SCENARIOS)
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
