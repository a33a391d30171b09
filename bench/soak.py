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

from bench.run import TARGETS, _free_port

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
    failures: list[str] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    try:
        for _ in range(100):
            try:
                httpx.put(f"{url}/_mock/accounts/{KEY}", json={"secrets": [SECRET]}, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        deadline = time.monotonic() + SECONDS
        auth = (KEY, SECRET)

        def note(status: int) -> None:
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

        def valid() -> None:
            with httpx.Client(base_url=url, auth=auth, timeout=15) as http:
                while time.monotonic() < deadline:
                    note(http.get("/account/get-balance").status_code)
                    created = http.post(f"/accounts/{KEY}/secrets", json={"secret": "Second2secretX"})
                    note(created.status_code)
                    if created.status_code == 201:
                        note(http.delete(f"/accounts/{KEY}/secrets/{created.json()['id']}").status_code)
                    note(http.post("/account/settings", data={"moCallBackUrl": "https://example.com/in"}).status_code)

        def hostile() -> None:
            rng = random.Random(7)
            with httpx.Client(base_url=url, timeout=15) as http:
                while time.monotonic() < deadline:
                    probe = rng.randrange(9)
                    basic = {"Authorization": "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()}
                    if probe == 0:
                        _raw(port, b"GET /account/get-balance HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 200_000)
                    elif probe == 1:
                        _raw(port, b"GET /account/get-balance HTTP/1.1\r\nHost: x\r\n", then_wait=0.5)
                    elif probe == 2:
                        _raw(
                            port,
                            b"POST /account/top-up HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\ntrx=1",
                            then_wait=0.5,
                        )
                    elif probe == 3:
                        body = b"[" * 5000 + b"]" * 5000
                        note(
                            http.post(
                                f"/accounts/{KEY}/secrets",
                                content=body,
                                headers={**basic, "content-type": "application/json"},
                            ).status_code
                        )
                    elif probe == 4:
                        note(
                            http.post(
                                f"/accounts/{KEY}/secrets",
                                content=b'{"secret": ' + b"9" * 5000 + b"}",
                                headers={**basic, "content-type": "application/json"},
                            ).status_code
                        )
                    elif probe == 5:
                        query = "&".join(f"p{i}=x" for i in range(8000))
                        note(http.get(f"/account/get-balance?{query}", headers=basic).status_code)
                    elif probe == 6:
                        form = "&".join(f"f{i}=x" for i in range(1001))
                        note(
                            http.post(
                                "/account/settings",
                                content=form,
                                headers={**basic, "content-type": "application/x-www-form-urlencoded"},
                            ).status_code
                        )
                    elif probe == 7:
                        note(http.get("/account/get-balance", auth=("u" * 500_000, "x")).status_code)
                    else:
                        document = {
                            "provider": "email",
                            "value": "a@example.com",
                            "x": {"secret": PLANTED[0]},
                            "l": [{"api_secret": PLANTED[1]}],
                        }
                        note(http.post("/account/register-sender", json=document, headers=basic).status_code)
                        note(
                            http.post(
                                "/account/settings",
                                content=f"secret={PLANTED[2]}",
                                headers={**basic, "content-type": "text/plain"},
                            ).status_code
                        )

        workers = [threading.Thread(target=valid) for _ in range(2)] + [
            threading.Thread(target=hostile) for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        peak = 0.0
        while any(worker.is_alive() for worker in workers):
            peak = max(peak, _rss_mb(process.pid))
            time.sleep(0.5)
        time.sleep(3)  # the deadlines close what the hostile clients left open
        settled = _rss_mb(process.pid)
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
        if settled > RSS_BOUND_MB:
            failures.append(f"resident memory {settled:.0f} MB is over the bound {RSS_BOUND_MB:.0f} MB")
        print(
            json.dumps(
                {
                    "seconds": SECONDS,
                    "answers": dict(sorted(statuses.items())),
                    "peak_rss_mb": round(peak, 1),
                    "settled_rss_mb": round(settled, 1),
                    "rss_bound_mb": RSS_BOUND_MB,
                    "failures": failures,
                },
                indent=2,
            )
        )
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
