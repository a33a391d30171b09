"""`make bench`: the mock against Prism, WireMock, Mockoon and a bare Starlette app, in one run, on loopback, with the
same load tool.

Fair to every target: all run side by side, each is warmed up with discarded runs per scenario until its throughput
stops rising (a JIT runtime is slow in its first seconds, the JVM for longest: WireMock gets at least three runs of
5 s), runs are interleaved target by target in a rotating order, the servers are pinned to one core and wrk to another
(when there are two or more), and every target gets the same connections and threads. Each ratio is given with its
spread over the runs (min / median / max of the per-run ratio). Cold starts are measured apart, on fresh processes,
interleaved the same way. Every pairs run has fresh keys, and a run answered with other statuses than its scenario
measures stops the bench rather than being reported. WireMock and Mockoon serve a stub of get-balance only (a
WireMock mapping and a Mockoon environment under bench/peers/, matching the bench key's Basic credentials, else 401):
they keep no state, so they have no create+revoke pairs.

Writes docs/bench/latest.json (with the machine, the versions, each target's command and the warm-up it had),
docs/bench/latest.md (the tables docs/explanation/benchmarks.md quotes) and docs/bench/throughput.png.
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.inprocess import measure as measure_in_process
from bench.targets import PEERS, PEERS_MISSING, ROOT, SCENARIOS, STATE_DIR, TARGETS, WarmUp, wiremock_jar

OUT = ROOT / "docs" / "bench"
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = 16
THREADS = 2
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
    command = TARGETS[target].command(port)
    if PINNED:
        command = ["taskset", "-c", SERVER_CORES, *command]
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{url}/account/get-balance", timeout=60)
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


def _npm_version(package: Path) -> str:
    try:
        found: str = json.loads((package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "missing"
    return found


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
        "java": version(["java", "-version"]),
        "wiremock": _npm_version(PEERS / "node_modules" / "wiremock"),
        "mockoon": _npm_version(PEERS / "node_modules" / "@mockoon" / "cli"),
        "wrk": version(["wrk", "--version"]),
        "uvicorn": version([sys.executable, "-c", "import uvicorn; print(uvicorn.__version__)"]),
    }


def _rotated(order: list[str], by: int) -> list[str]:
    return order[by % len(order) :] + order[: by % len(order)]


def _warm_up(url: str, scenario: str, policy: WarmUp) -> list[float]:
    """Discarded runs until the policy is satisfied; their req/s, for the record."""
    rps: list[float] = []
    while not policy.done(rps):
        rps.append(_scenario(url, scenario, seconds=policy.seconds)["rps"])
    return rps


def _ratio(mine: list[dict[str, float]], theirs: list[dict[str, float]]) -> dict[str, float]:
    return _spread([m["rps"] / o["rps"] for m, o in zip(mine, theirs, strict=True)])


SELECTED = [name for name in os.environ.get("BENCH_TARGETS", "").split(",") if name]
"""BENCH_TARGETS=mock,mock_state measures only those (the mock first); all of them by default."""


def measure() -> dict[str, Any]:
    """Every figure of the run."""
    targets = ["mock", *(name for name in SELECTED if name != "mock")] if SELECTED else list(TARGETS)
    results: dict[str, Any] = {
        "machine": _machine(),
        "runs": RUNS,
        "seconds_per_run": SECONDS,
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
    # Throughput: all side by side, each warmed up, then interleaved run by run.
    per_run: dict[str, dict[str, list[dict[str, float]]]] = {t: {s: [] for s in TARGETS[t].scenarios} for t in targets}
    warm_ups: dict[str, dict[str, list[float]]] = {target: {} for target in targets}
    with contextlib.ExitStack() as stack:
        urls = {target: stack.enter_context(serving(target)).url for target in targets}
        for target in targets:
            for scenario in TARGETS[target].scenarios:
                warm_ups[target][scenario] = _warm_up(urls[target], scenario, TARGETS[target].warm_up)
        for run in range(RUNS):
            for scenario in SCENARIOS:
                for target in _rotated(targets, run):
                    if scenario in TARGETS[target].scenarios:
                        per_run[target][scenario].append(_scenario(urls[target], scenario))
            print(f"run {run + 1}/{RUNS} done", file=sys.stderr)
    for target in targets:
        policy = TARGETS[target].warm_up
        results["targets"][target] = {
            "command": _shown_command(target),
            "warm_up": {
                "seconds_per_run": policy.seconds,
                "min_runs": policy.min_runs,
                "max_runs": policy.max_runs,
                "settle_runs": policy.settle,
                "until_rise_below": policy.rise,
                "rps_per_run": warm_ups[target],
            },
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
            f"mock/{other}": _ratio(per_run["mock"][scenario], per_run[other][scenario])
            for other in targets[1:]
            if scenario in TARGETS[other].scenarios
        }
        for scenario in SCENARIOS
    }
    results["in_process"] = measure_in_process()
    return results


def _shown_command(target: str) -> list[str]:
    """The target's command as it ran, with PORT for its port and paths relative to the repository."""
    placeholder = 65535  # no free port _free_port hands out is shown: the command is the same on every port
    shown = []
    for part in TARGETS[target].command(placeholder):
        if part == str(placeholder):
            part = "PORT"
        elif part.startswith(str(STATE_DIR)):
            part = "STATE_FILE"
        elif part.startswith(str(ROOT)):
            part = os.path.relpath(part, ROOT)
        elif part == sys.executable:
            part = "python"
        shown.append(part)
    return shown


STATELESS_CELL = "n/a (stateless)"


def _shown_ratio(ratio: dict[str, float] | None) -> str:
    if ratio is None:
        return STATELESS_CELL
    return f"{ratio['median']:.2f}x ({ratio['min']:.2f} to {ratio['max']:.2f})"


def table(results: dict[str, Any]) -> str:
    """The Markdown tables the benchmarks page quotes: req/s and cold starts per target, then the mock's ratios."""
    targets = results["targets"]
    names = list(targets)
    mock = targets["mock"]
    header = "| " + " | ".join(TARGETS[name].label for name in names) + " |"
    rule = "|---" * (len(names) + 1) + "|"
    lines = ["| scenario (median of runs) " + header, rule]
    for scenario in SCENARIOS:
        p50, p99 = mock[scenario].get("p50_ms", 0), mock[scenario].get("p99_ms", 0)
        cells = [f"{targets[n][scenario]['rps']:,.0f}" if scenario in targets[n] else STATELESS_CELL for n in names]
        lines.append(f"| {scenario} req/s (mock p50 / p99 ms: {p50:.2f} / {p99:.2f}) | " + " | ".join(cells) + " |")
    lines.append(
        "| cold start to first 200 (s) | " + " | ".join(f"{targets[n]['cold_start_s']:.2f}" for n in names) + " |"
    )
    refusals = [targets[n]["first_refusal_s"] for n in names]
    lines.append(
        "| cold start to first refusal of invalid input (s) | "
        + " | ".join("(checks nothing)" if r is None else f"{r:.2f}" for r in refusals)
        + " |"
    )
    warm = [targets[n]["warm_up"] for n in names]
    lines.append(
        "| warm-up per scenario (discarded runs x s) | "
        + " | ".join(
            "/".join(str(len(rps)) for rps in w["rps_per_run"].values()) + f" x {w['seconds_per_run']}" for w in warm
        )
        + " |"
    )
    others = names[1:]
    lines += [
        "",
        "| mock / other, median (min to max) | " + " | ".join(TARGETS[name].label for name in others) + " |",
        "|---" * (len(others) + 1) + "|",
    ]
    for scenario in SCENARIOS:
        ratios = results["ratios"][scenario]
        cells = [_shown_ratio(ratios.get(f"mock/{n}")) for n in others]
        lines.append(f"| {scenario} req/s | " + " | ".join(cells) + " |")
    lines.append(
        "| cold start to first 200 | "
        + " | ".join(f"{mock['cold_start_s'] / targets[n]['cold_start_s']:.2f}x" for n in others)
        + " |"
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
    """A bar chart of throughput per scenario and target (none for a scenario a target cannot serve)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scenarios = list(SCENARIOS)
    targets = list(results["targets"])
    figure, axes = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(targets)
    for index, target in enumerate(targets):
        served = [i for i, s in enumerate(scenarios) if s in results["targets"][target]]
        values = [results["targets"][target][scenarios[i]]["rps"] for i in served]
        label = TARGETS[target].label.replace("`", "")
        axes.bar([i + index * width for i in served], values, width, label=label)
        for i in sorted(set(range(len(scenarios))) - set(served)):
            axes.text(i + index * width, 0, " n/a (stateless)", rotation=90, ha="center", va="bottom", fontsize=7)
    axes.set_xticks([i + width * (len(targets) - 1) / 2 for i in range(len(scenarios))], scenarios)
    axes.set_ylabel("requests / second")
    axes.set_title("Throughput on loopback (wrk, median of runs; WireMock and Mockoon keep no state: no pairs)")
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make bench` installs it (apt-get install wrk)")
    peers = not SELECTED or {"wiremock", "mockoon", "prism"} & set(SELECTED)
    if peers and shutil.which("java") is None:
        raise SystemExit("java is missing: `make bench` installs it (apt-get install openjdk-17-jre-headless)")
    if peers and not (PEERS / "node_modules" / ".bin" / "mockoon-cli").exists():
        raise SystemExit(PEERS_MISSING)
    if peers:
        wiremock_jar()
    try:
        results = measure()
    finally:
        shutil.rmtree(STATE_DIR, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    # A run of some targets (BENCH_TARGETS) goes to files of its own name, leaving the full run's alone.
    name = os.environ.get("BENCH_NAME", "latest" if not SELECTED else "selected")
    (OUT / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    (OUT / f"{name}.md").write_text(table(results))
    try:
        chart(results, OUT / ("throughput.png" if name == "latest" else f"{name}.png"))
    except ImportError:  # matplotlib comes with the bench extra (`make bench`); a subset run may go without
        print("matplotlib is missing: no chart", file=sys.stderr)
    print(table(results))


if __name__ == "__main__":
    main()
