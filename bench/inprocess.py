"""In-process costs a test suite feels: one call with no port, a fresh per-test state, one account's reset."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vonage_account_client.api.balance import get_balance

from vonage_account_mock import create_app
from vonage_account_mock.testing.clients import IN_PROCESS_URL, in_process_client
from vonage_account_mock.testing.handle import VonageMock

RUNS = 5


def _median_ms(action: Callable[[], Any], repeat: int) -> float:
    """Median over RUNS runs of the mean cost of `repeat` calls, in milliseconds."""
    for _ in range(min(repeat, 50)):
        action()
    runs = []
    for _ in range(RUNS):
        started = time.perf_counter()
        for _ in range(repeat):
            action()
        runs.append((time.perf_counter() - started) * 1000 / repeat)
    return statistics.median(runs)


def _import_ms() -> float:
    code = (
        "import time; t = time.perf_counter(); import vonage_account_mock.app; print((time.perf_counter() - t) * 1000)"
    )
    samples = [float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(RUNS)]
    return statistics.median(samples)


def measure() -> dict[str, float]:
    """The figures, in milliseconds."""
    app = create_app()
    handle = VonageMock(port=app.control, url=IN_PROCESS_URL, app=app)
    account = handle.seed_account()
    client = in_process_client(app, account.api_key, account.api_secret)

    def fresh_test_state() -> None:
        handle.start_test()
        handle.seed_account()
        handle.end_test()

    for index in range(1000):
        handle.seed_account(f"other{index:04d}")

    def reset_one_account() -> None:
        handle.port.reset_account(account.api_key)
        handle.seed_account()

    results = {
        "in_process_get_balance_ms": _median_ms(lambda: get_balance.sync(client=client), 300),
        "reset_one_account_among_1000_plus_reseed_ms": _median_ms(reset_one_account, 300),
        "per_test_fixture_reset_and_seed_ms": _median_ms(fresh_test_state, 300),
        "import_mock_server_app_ms": _import_ms(),
    }
    return {name: round(value, 3) for name, value in results.items()}


def main() -> None:
    results = measure()
    width = max(map(len, results))
    for name, value in results.items():
        print(f"{name:<{width}}  {value:>9.3f} ms")
    out = Path("docs/bench/inprocess.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
