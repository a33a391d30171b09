"""`make soak`: the CLI mock under mixed valid and hostile traffic for a while, then checked.

Valid calls (balance, secret create/revoke, settings) run beside hostile ones (oversized and never-ending headers,
stalled bodies, deep JSON, long integers, thousands of query parameters and form fields, huge usernames, secrets
hidden at depth). Afterwards: no 5xx in the journal or in any answer, no secret value anywhere in the journal, the
valid traffic still answered, and the server's resident memory under a stated bound (SOAK_RSS_MB, default 150).

SOAK_SECONDS (default 60) sets the duration. Exit status 1 when a check fails.
"""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx

from bench.run import _free_port
from bench.targets import TARGETS

SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
RSS_BOUND_MB = float(os.environ.get("SOAK_RSS_MB", "150"))
KEY, SECRET = "soak0001", "Soak1secretX"
PLANTED = ("Planted1secretA", "Planted2secretB", "Planted3secretC")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _raw(port: int, data: bytes, *, then_wait: float = 0.0) -> None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
            sock.sendall(data)
            if then_wait:
                time.sleep(then_wait)
            sock.recv(65536)
    except OSError:
        pass


class _Traffic:
    """The soak's clients: two sending valid calls, two hostile ones, until the deadline; the statuses answered."""

    def __init__(self, port: int, seconds: float) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.deadline = time.monotonic() + seconds
        self.statuses: dict[int, int] = {}
        self._lock = threading.Lock()
        self._basic = {"Authorization": "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()}

    def note(self, status: int) -> None:
        with self._lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def valid(self) -> None:
        with httpx.Client(base_url=self.url, auth=(KEY, SECRET), timeout=15) as http:
            while time.monotonic() < self.deadline:
                self.note(http.get("/account/get-balance").status_code)
                created = http.post(f"/accounts/{KEY}/secrets", json={"secret": "Second2secretX"})
                self.note(created.status_code)
                if created.status_code == 201:
                    self.note(http.delete(f"/accounts/{KEY}/secrets/{created.json()['id']}").status_code)
                self.note(http.post("/account/settings", data={"moCallBackUrl": "https://example.com/in"}).status_code)

    def hostile(self) -> None:
        rng = random.Random(7)
        with httpx.Client(base_url=self.url, timeout=15) as http:
            while time.monotonic() < self.deadline:
                self._probe(http, rng.randrange(9))

    def _post(self, http: httpx.Client, path: str, content: bytes | str, media_type: str) -> None:
        self.note(http.post(path, content=content, headers={**self._basic, "content-type": media_type}).status_code)

    def _probe(self, http: httpx.Client, probe: int) -> None:
        port = self.port
        if probe == 0:
            _raw(port, b"GET /account/get-balance HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 200_000)
        elif probe == 1:
            _raw(port, b"GET /account/get-balance HTTP/1.1\r\nHost: x\r\n", then_wait=0.5)
        elif probe == 2:
            request = b"POST /account/top-up HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\ntrx=1"
            _raw(port, request, then_wait=0.5)
        elif probe == 3:
            self._post(http, f"/accounts/{KEY}/secrets", b"[" * 5000 + b"]" * 5000, "application/json")
        elif probe == 4:
            self._post(http, f"/accounts/{KEY}/secrets", b'{"secret": ' + b"9" * 5000 + b"}", "application/json")
        elif probe == 5:
            query = "&".join(f"p{i}=x" for i in range(8000))
            self.note(http.get(f"/account/get-balance?{query}", headers=self._basic).status_code)
        elif probe == 6:
            form = "&".join(f"f{i}=x" for i in range(1001))
            self._post(http, "/account/settings", form, "application/x-www-form-urlencoded")
        elif probe == 7:
            self.note(http.get("/account/get-balance", auth=("u" * 500_000, "x")).status_code)
        else:
            document = {
                "provider": "email",
                "value": "a@example.com",
                "x": {"secret": PLANTED[0]},
                "l": [{"api_secret": PLANTED[1]}],
            }
            self.note(http.post("/account/register-sender", json=document, headers=self._basic).status_code)
            self._post(http, "/account/settings", f"secret={PLANTED[2]}", "text/plain")


def _failures(url: str, statuses: dict[int, int], settled_mb: float) -> list[str]:
    """What the soak found wrong: secrets in the journal, 5xx answers, no valid answer, memory over the bound."""
    failures: list[str] = []
    journal = httpx.get(f"{url}/_mock/journal", timeout=30)
    if journal.status_code != 200:
        failures.append(f"the journal answered {journal.status_code}")
    kept = journal.text
    for value in (SECRET, *PLANTED):
        if value in kept:
            failures.append(f"a secret value is in the journal ({value[:3]}...)")
    server_errors = [e for e in journal.json().get("entries", []) if e["status"] >= 500]
    if server_errors or any(status >= 500 for status in statuses):
        failures.append(f"5xx answers: {sorted(s for s in statuses if s >= 500)}, {len(server_errors)} in journal")
    if not statuses.get(200):
        failures.append("the valid traffic was never answered 200")
    if settled_mb > RSS_BOUND_MB:
        failures.append(f"resident memory {settled_mb:.0f} MB is over the bound {RSS_BOUND_MB:.0f} MB")
    return failures


def main() -> int:
    port = _free_port()
    process = subprocess.Popen(
        # The server `make bench` measures, with short deadlines so the slow-client traffic is cut off within the soak.
        [*TARGETS["mock"].command(port), "--header-timeout", "2", "--body-timeout", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    failures = ["the soak did not finish"]
    try:
        for _ in range(100):
            try:
                httpx.put(f"{url}/_mock/accounts/{KEY}", json={"secrets": [SECRET]}, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        traffic = _Traffic(port, SECONDS)
        clients = [threading.Thread(target=traffic.valid) for _ in range(2)]
        clients += [threading.Thread(target=traffic.hostile) for _ in range(2)]
        for client in clients:
            client.start()
        peak = 0.0
        while any(client.is_alive() for client in clients):
            peak = max(peak, _rss_mb(process.pid))
            time.sleep(0.5)
        time.sleep(3)  # the deadlines close what the hostile clients left open
        settled = _rss_mb(process.pid)
        failures = _failures(url, traffic.statuses, settled)
        summary = {
            "seconds": SECONDS,
            "answers": dict(sorted(traffic.statuses.items())),
            "peak_rss_mb": round(peak, 1),
            "settled_rss_mb": round(settled, 1),
            "rss_bound_mb": RSS_BOUND_MB,
            "failures": failures,
        }
        print(json.dumps(summary, indent=2))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
