"""The figure a consumer team feels: one 500-test suite written three ways — our pytest plugin, respx stubs and
pytest-httpserver — each run by pytest in a fresh process, wall time measured, the three interleaved.

Every test seeds an account, calls it three times with the generated client (its balance, a new secret, the list of
its secrets) and asserts on what was called. The `vonage_mock` suite keeps the account's state (the new secret is in
the list because the mock created it) and checks every request and answer against the spec; the respx and
pytest-httpserver suites answer what each test told them to and check neither. Each suite runs with only its own
pytest plugin loaded (plugin autoload off), as in a consumer's repository that has only that one.

Writes docs/bench/consumer.json and docs/bench/consumer.md (the table the benchmarks page quotes).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "bench"
TESTS = int(os.environ.get("BENCH_CONSUMER_TESTS", "500"))
RUNS = int(os.environ.get("BENCH_CONSUMER_RUNS", "3"))
PYTEST_ARGS = ("-q", "-p", "no:cacheprovider")


@dataclass(frozen=True)
class Suite:
    """One way of writing the suite: its pytest plugin, the module's head and one test, formatted per test."""

    label: str
    plugin: str
    distribution: str
    keeps_state: bool
    checks_spec: bool
    head: str
    test: str


_CLIENT_HEAD = '''
import base64

import httpx
from vonage_account_client import AuthenticatedClient
from vonage_account_client.api.balance import get_balance
from vonage_account_client.api.secret_management import create_secret, list_secrets
from vonage_account_client.models import CreateSecretRequest

SECRET = "Initial1secret"
FIRST_ID = "ad6dc56f-07b5-46e1-a527-85530e625800"
NEW_ID = "0e8b3e6a-2c7e-4d2f-9b1a-5f6c7d8e9f00"


TLS = httpx.create_ssl_context()  # built once, as the mock's handle does: loading the CA store costs ~100 ms


def client(api_key, base_url):
    """The generated client with the account's Basic credentials, as the code under test would build it."""
    return AuthenticatedClient(
        base_url=base_url,
        token="",
        prefix="",
        verify_ssl=TLS,
        raise_on_unexpected_status=True,
        httpx_args={"auth": httpx.BasicAuth(api_key, SECRET)},
    )


def auth(api_key):
    return "Basic " + base64.b64encode(f"{api_key}:{SECRET}".encode()).decode()


def secret(api_key, secret_id):
    return {
        "_links": {"self": {"href": f"/accounts/{api_key}/secrets/{secret_id}"}},
        "id": secret_id,
        "created_at": "2017-03-02T16:34:49Z",
    }


def secret_list(api_key, *ids):
    return {
        "_links": {"self": {"href": f"/accounts/{api_key}/secrets"}},
        "_embedded": {"secrets": [secret(api_key, secret_id) for secret_id in ids]},
    }
'''

SUITES: dict[str, Suite] = {
    "vonage_mock": Suite(
        label="`vonage_mock` (ours)",
        plugin="vonage_account_mock.testing.pytest_plugin",
        distribution="vonage-account-mock",
        keeps_state=True,
        checks_spec=True,
        head="""
from vonage_account_client.api.balance import get_balance
from vonage_account_client.api.secret_management import create_secret, list_secrets
from vonage_account_client.models import CreateSecretRequest
""",
        test="""

def test_account_{index:04d}(vonage_mock):
    account = vonage_mock.seed_account("{key}", balance="{balance}")
    client = vonage_mock.client(account.api_key, account.api_secret)
    assert get_balance.sync(client=client).value == {balance}
    created = create_secret.sync("{key}", client=client, body=CreateSecretRequest(secret="Second1secret"))
    listed = list_secrets.sync("{key}", client=client)
    assert listed.hal_embedded.secrets[-1].id == created.id
    vonage_mock.assert_called("get_balance", times=1)
    vonage_mock.assert_called("create_secret", times=1)
""",
    ),
    "respx": Suite(
        label="respx",
        plugin="respx.plugin",
        distribution="respx",
        keeps_state=False,
        checks_spec=False,
        head=_CLIENT_HEAD + '\nURL = "https://rest.nexmo.com"\n',
        test="""

def test_account_{index:04d}(respx_mock):
    balance = respx_mock.get(URL + "/account/get-balance", headers={{"Authorization": auth("{key}")}}).respond(
        json={{"value": {balance}, "autoReload": False}}
    )
    creation = respx_mock.post(URL + "/accounts/{key}/secrets").respond(201, json=secret("{key}", NEW_ID))
    respx_mock.get(URL + "/accounts/{key}/secrets").respond(json=secret_list("{key}", FIRST_ID, NEW_ID))
    with client("{key}", URL) as account:
        assert get_balance.sync(client=account).value == {balance}
        created = create_secret.sync("{key}", client=account, body=CreateSecretRequest(secret="Second1secret"))
        listed = list_secrets.sync("{key}", client=account)
    assert listed.hal_embedded.secrets[-1].id == created.id
    assert balance.call_count == 1
    assert creation.call_count == 1
""",
    ),
    "pytest_httpserver": Suite(
        label="pytest-httpserver",
        plugin="pytest_httpserver.pytest_plugin",
        distribution="pytest-httpserver",
        keeps_state=False,
        checks_spec=False,
        head=_CLIENT_HEAD
        + """

def calls(httpserver, method, path):
    return sum(1 for request, _ in httpserver.log if request.method == method and request.path == path)
""",
        test="""

def test_account_{index:04d}(httpserver):
    httpserver.expect_request(
        "/account/get-balance", method="GET", headers={{"Authorization": auth("{key}")}}
    ).respond_with_json({{"value": {balance}, "autoReload": False}})
    httpserver.expect_request("/accounts/{key}/secrets", method="POST").respond_with_json(
        secret("{key}", NEW_ID), status=201
    )
    httpserver.expect_request("/accounts/{key}/secrets", method="GET").respond_with_json(
        secret_list("{key}", FIRST_ID, NEW_ID)
    )
    with client("{key}", httpserver.url_for("/").rstrip("/")) as account:
        assert get_balance.sync(client=account).value == {balance}
        created = create_secret.sync("{key}", client=account, body=CreateSecretRequest(secret="Second1secret"))
        listed = list_secrets.sync("{key}", client=account)
    assert listed.hal_embedded.secrets[-1].id == created.id
    assert calls(httpserver, "GET", "/account/get-balance") == 1
    assert calls(httpserver, "POST", "/accounts/{key}/secrets") == 1
""",
    ),
}


def suite_source(name: str, tests: int = TESTS) -> str:
    """The test module of one suite: its head, then `tests` tests, each with an account of its own."""
    suite = SUITES[name]
    parts = [f'"""{tests} generated consumer tests: {suite.label}."""\n', suite.head]
    for index in range(tests):
        balance = f"{10 + index % 90}.{index % 100:02d}"
        parts.append(suite.test.format(index=index, key=f"acct{index:04d}", balance=balance))
    return "".join(parts)


def write_suites(folder: Path, tests: int = TESTS) -> dict[str, Path]:
    """Each suite's test file in `folder` (beside an empty pytest.ini, so no other configuration applies)."""
    (folder / "pytest.ini").write_text("[pytest]\n")
    paths = {}
    for name in SUITES:
        path = folder / f"test_{name}.py"
        path.write_text(suite_source(name, tests))
        paths[name] = path
    return paths


def _run(name: str, path: Path) -> float:
    """Seconds for a fresh pytest process to run one suite; every test must pass, or there is no figure."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("VONAGE_ACCOUNT_MOCK_")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    command = [sys.executable, "-m", "pytest", *PYTEST_ARGS, "-p", SUITES[name].plugin, path.name]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=path.parent, env=env, capture_output=True, text=True, timeout=900)
    elapsed = time.perf_counter() - started
    passed = re.search(r"(\d+) passed", done.stdout)
    if done.returncode != 0 or not passed or int(passed.group(1)) != TESTS:
        raise RuntimeError(f"the {name} suite did not pass whole:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return elapsed


_CLIENT_COST = """
import statistics, time
import httpx
from vonage_account_client import AuthenticatedClient
TLS = httpx.create_ssl_context()
samples = []
for _ in range(30):
    started = time.perf_counter()
    auth = httpx.BasicAuth("key", "secret")
    client = AuthenticatedClient(base_url="http://127.0.0.1:1", token="", verify_ssl=TLS, httpx_args={"auth": auth})
    client.get_httpx_client().close()
    samples.append((time.perf_counter() - started) * 1000)
print(statistics.median(samples))
"""


def _client_ms() -> float:
    """Milliseconds to build and close one generated client with a shared TLS context: every test of all three suites
    pays it once."""
    done = subprocess.run([sys.executable, "-c", _CLIENT_COST], capture_output=True, text=True, check=True)
    return float(done.stdout)


def _spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "missing"


def measure() -> dict[str, Any]:
    """Wall times of the three suites, RUNS each, interleaved in an order that rotates from run to run."""
    names = list(SUITES)
    walls: dict[str, list[float]] = {name: [] for name in names}
    client_ms: list[float] = []
    with tempfile.TemporaryDirectory(prefix="consumer-suites-") as scratch:
        paths = write_suites(Path(scratch))
        for run in range(RUNS):
            for name in names[run % len(names) :] + names[: run % len(names)]:
                walls[name].append(_run(name, paths[name]))
            client_ms.append(_client_ms())
            print(f"consumer suites: run {run + 1}/{RUNS} done", file=sys.stderr)
    return {
        "tests_per_suite": TESTS,
        "runs": RUNS,
        "command": f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 pytest {' '.join(PYTEST_ARGS)} -p PLUGIN test_SUITE.py",
        "versions": {
            "python": sys.version.split()[0],
            "pytest": _version("pytest"),
            **{SUITES[name].distribution: _version(SUITES[name].distribution) for name in names},
        },
        "client_build_ms": statistics.median(client_ms),
        "suites": {
            name: {
                "plugin": SUITES[name].plugin,
                "keeps_state": SUITES[name].keeps_state,
                "checks_spec": SUITES[name].checks_spec,
                "wall_s": statistics.median(walls[name]),
                "wall_spread_s": _spread(walls[name]),
                "wall_s_per_run": walls[name],
                "per_test_ms": statistics.median(walls[name]) * 1000 / TESTS,
            }
            for name in names
        },
        "ratios": {
            f"vonage_mock/{other}": _spread(
                [mine / theirs for mine, theirs in zip(walls["vonage_mock"], walls[other], strict=True)]
            )
            for other in names[1:]
        },
    }


def table(results: dict[str, Any]) -> str:
    """The Markdown table the benchmarks page quotes."""
    runs, tests = results["runs"], results["tests_per_suite"]
    lines = [
        f"| {tests} tests, one pytest process (median of {runs}) | wall s (min to max) | ms per test | "
        "ours / it (min to max) | keeps state | checks requests and answers against the spec |",
        "|---|---|---|---|---|---|",
    ]
    for name, suite in results["suites"].items():
        spread = suite["wall_spread_s"]
        ratio = results["ratios"].get(f"vonage_mock/{name}")
        shown = f"{ratio['median']:.2f}x ({ratio['min']:.2f} to {ratio['max']:.2f})" if ratio else ""
        lines.append(
            f"| {SUITES[name].label} | {suite['wall_s']:.2f} ({spread['min']:.2f} to {spread['max']:.2f}) | "
            f"{suite['per_test_ms']:.1f} | {shown} | {'yes' if suite['keeps_state'] else 'no'} | "
            f"{'yes' if suite['checks_spec'] else 'no'} |"
        )
    lines.append(
        f"\nEvery test builds its own generated client, all three with one shared TLS context (building a context"
        f"\nloads the CA store, ~100 ms): {results['client_build_ms']:.1f} ms of each test's time."
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    results = measure()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "consumer.json").write_text(json.dumps(results, indent=2) + "\n")
    (OUT / "consumer.md").write_text(table(results))
    print(table(results))


if __name__ == "__main__":
    main()
