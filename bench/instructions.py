"""`make bench-instructions`: CPU instructions the server spends on one request of a create+revoke pair.

Requests per second on a shared machine vary by 10 % from run to run, which hides a 3 % change. Instructions do not:
the CLI server runs under valgrind's cachegrind (instruction counting only), serves a number of sequential pairs, and
stops; a second run serves more pairs; the difference divided by the extra requests is the cost of one request, with
start-up, imports and connexion's build cancelled out. Two runs agree to about 0.3 %. The figure leaves out the
kernel (the socket calls) and the cache misses that make some instructions dearer than others: it is for comparing
two versions of the code, `make bench` for comparing with the peers.

    python -m bench.instructions [--pairs 1000] [--against PATH]

`--against PATH` measures a checkout of another version too (its `mock_server` and `openapi` folders come first on
the import path), for a before/after figure.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.run import _free_port
from bench.targets import ROOT, TARGETS

BASE_PAIRS = 100


def _pairs(port: int, count: int, key: str) -> None:
    """`count` sequential create+revoke pairs on one connection, each answer checked."""
    auth = _basic(key)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/account/get-balance", headers={"Authorization": auth})
    connection.getresponse().read()
    for _ in range(count):
        headers = {"Authorization": auth, "Content-Type": "application/json"}
        connection.request("POST", f"/accounts/{key}/secrets", body=b'{"secret": "Pair1secretX"}', headers=headers)
        created = connection.getresponse()
        body = created.read()
        if created.status != 201:
            raise RuntimeError(f"create answered {created.status}: {body[:200]!r}")
        connection.request("DELETE", f"/accounts/{key}/secrets/{json.loads(body)['id']}", headers=headers)
        revoked = connection.getresponse()
        revoked.read()
        if revoked.status != 204:
            raise RuntimeError(f"revoke answered {revoked.status}")
    connection.close()


def _instructions(pairs: int, python_path: str) -> int:
    """Instructions the whole server process ran while starting, serving `pairs` pairs and stopping."""
    port = _free_port()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "cachegrind.out"
        # The same server command `make bench` measures, under cachegrind.
        command = [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            f"--cachegrind-out-file={out}",
            *TARGETS["mock"].command(port),
        ]
        env = {**os.environ, "PYTHONPATH": python_path}
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for_health(port)
            _pairs(port, 10, "warmup")
            _wait_for_full_path(port)
            _pairs(port, pairs, "measured")
        finally:
            server.terminate()
            server.wait(timeout=120)
        found = re.search(r"^summary:\s+(\d+)", out.read_text(), re.MULTILINE)
        if found is None:
            raise RuntimeError("cachegrind wrote no summary")
        return int(found.group(1))


def _wait_for_full_path(port: int) -> None:
    """Return once connexion's full path is built (in the background after the first answer): a request only it
    answers (an invalid parameter) waits for the build, so none of it is counted in the measured pairs."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    connection.request("GET", "/account/get-pricing/outbound/sms?country=gb", headers={"Authorization": _basic()})
    status = connection.getresponse().status
    if status != 400:
        raise RuntimeError(f"expected the full path's 400 for an invalid country, got {status}")


def _basic(key: str = "warmup") -> str:
    return "Basic " + base64.b64encode(f"{key}:Bench1secret".encode()).decode()


def _wait_for_health(port: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/_mock/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    raise RuntimeError(f"the server under valgrind did not answer within {timeout}s")


def per_request(pairs: int, checkout: Path = ROOT) -> int:
    """Instructions per request (half a pair) of a checkout's mock, start-up cancelled out."""
    # The checkout's own packages first on the import path, whatever the virtual environment's install points at.
    python_path = os.pathsep.join(str(checkout / folder) for folder in ("mock_server", "openapi"))
    few, many = _instructions(BASE_PAIRS, python_path), _instructions(BASE_PAIRS + pairs, python_path)
    return (many - few) // (2 * pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=1000, help="extra pairs of the second run (default 1000)")
    parser.add_argument("--against", type=Path, help="a checkout of another version to measure too")
    options = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is missing: `make bench-instructions` installs it (apt-get install valgrind)")
    ours = per_request(options.pairs)
    print(f"this checkout: {ours:,} instructions per request")
    if options.against:
        root = options.against.resolve()
        theirs = per_request(options.pairs, root)
        print(f"{root}: {theirs:,} instructions per request ({(ours - theirs) / theirs:+.1%} here)")


if __name__ == "__main__":
    main()
