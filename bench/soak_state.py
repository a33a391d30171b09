"""`make soak`'s state-file run: traffic against `serve --state`, the mock killed (-9) and restarted twice meanwhile,
then every change that was answered is checked to be there.

Each client thread works on a key of its own: it rotates the key's secret (create, then revoke the old one), lowers
its balance (control API `spend`) and changes its webhook, keeping a ledger of what was answered. A request cut off by
a kill has an unknown outcome (it may have been committed before the answer): the ledger counts it as either. After
each restart and at the end, the mock must hold every answered change: answered secrets present, answered revokes
gone, the balance within what the answered and unknown spends allow, the webhook the last answered one or a later
unknown one. SOAK_STATE_SECONDS (default 30) sets the duration; SOAK_WORKERS=2 runs it with two workers. Exit status 1
when a check fails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from bench.run import _free_port

SECONDS = float(os.environ.get("SOAK_STATE_SECONDS", "30"))
WORKERS = int(os.environ.get("SOAK_WORKERS", "1"))
THREADS = 4
START_BALANCE, STEP = Decimal("1000.00"), Decimal("0.01")


class Unknown(Exception):
    """The request got no answer (the mock was killed meanwhile): it may or may not have been carried out."""


@dataclass
class Ledger:
    """What one key's client was answered, and what it sent without an answer."""

    key: str
    secret: str
    secret_id: str = ""
    present: set[str] = field(default_factory=set)
    revoked: set[str] = field(default_factory=set)
    spent: int = 0
    spent_unknown: int = 0
    webhook: str | None = None
    webhook_unknown: set[str] = field(default_factory=set)
    unsettled: bool = False
    """A request had no answer: the key is checked, and its rotation finished, before the next step."""


class Mock:
    """The mock under test: started, killed and restarted on one state file and one port."""

    def __init__(self, state: Path) -> None:
        self.state, self.port = state, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.up = threading.Event()

    def start(self) -> None:
        command = [sys.executable, "-m", "vonage_account_mock", "serve", "--port", str(self.port)]
        command += ["--log-level", "warning", "--state", str(self.state), "--workers", str(WORKERS)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/_mock/health", timeout=1).status_code == 200:
                    self.up.set()
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise SystemExit("the mock did not start again within 30 s")

    def kill(self) -> None:
        assert self.process is not None
        self.up.clear()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)


_CLIENTS = threading.local()
UNANSWERED = [0]


def _call(mock: Mock, method: str, path: str, **kwargs: Any) -> httpx.Response:
    mock.up.wait(60)
    client = getattr(_CLIENTS, "client", None)
    if client is None:
        client = _CLIENTS.client = httpx.Client(base_url=mock.url, timeout=10)
    try:
        return client.request(method, path, **kwargs)
    except httpx.TransportError:
        UNANSWERED[0] += 1
        raise Unknown() from None


def _step(mock: Mock, ledger: Ledger, n: int) -> None:
    auth = (ledger.key, ledger.secret)
    new = f"Rotate{n:06d}Xy"
    try:
        created = _call(mock, "POST", f"/accounts/{ledger.key}/secrets", json={"secret": new}, auth=auth)
    except Unknown:
        ledger.unsettled = True
        return
    if created.status_code != 201:
        raise AssertionError(f"{ledger.key}: create answered {created.status_code}")
    old, ledger.secret, ledger.secret_id = ledger.secret_id, new, created.json()["id"]
    ledger.present.add(ledger.secret_id)
    try:
        revoked = _call(mock, "DELETE", f"/accounts/{ledger.key}/secrets/{old}", auth=(ledger.key, new))
        if revoked.status_code != 204:
            raise AssertionError(f"{ledger.key}: revoke answered {revoked.status_code}")
        ledger.present.discard(old)
        ledger.revoked.add(old)
    except Unknown:
        ledger.present.discard(old)  # either way now; the check below tolerates both
        ledger.unsettled = True
    try:
        if _call(mock, "POST", f"/_mock/accounts/{ledger.key}/spend", json={"amount": str(STEP)}).status_code == 200:
            ledger.spent += 1
    except Unknown:
        ledger.spent_unknown += 1
        ledger.unsettled = True
    hook = f"https://example.com/hook/{n}"
    try:
        answer = _call(mock, "POST", "/account/settings", data={"moCallBackUrl": hook}, auth=(ledger.key, new))
        if answer.status_code == 200:
            ledger.webhook, ledger.webhook_unknown = hook, set()
    except Unknown:
        ledger.webhook_unknown.add(hook)
        ledger.unsettled = True


def _resync(mock: Mock, ledger: Ledger) -> list[str]:
    """After a cut-off request: check the key against its ledger, then finish the rotation it was in (the secret
    in use always works: the old one is revoked only once the new one was answered)."""
    failures = check(mock, ledger)
    auth = (ledger.key, ledger.secret)
    listed = _call(mock, "GET", f"/accounts/{ledger.key}/secrets", auth=auth)
    if listed.status_code != 200:
        return [*failures, f"{ledger.key}: the secret in use no longer authenticates ({listed.status_code})"]
    for other in [s["id"] for s in listed.json()["_embedded"]["secrets"] if s["id"] != ledger.secret_id]:
        if _call(mock, "DELETE", f"/accounts/{ledger.key}/secrets/{other}", auth=auth).status_code == 204:
            ledger.revoked.add(other)
    ledger.present, ledger.unsettled = {ledger.secret_id}, False
    return failures


def check(mock: Mock, ledger: Ledger) -> list[str]:
    """What of the key's answered changes the mock does not hold."""
    state = _call(mock, "GET", f"/_mock/accounts/{ledger.key}").json()
    ids = {s["id"] for s in state["secrets"]}
    failures = []
    if not ledger.present <= ids:
        failures.append(f"{ledger.key}: answered secrets {sorted(ledger.present - ids)} are gone")
    if ledger.revoked & ids:
        failures.append(f"{ledger.key}: revoked secrets {sorted(ledger.revoked & ids)} are back")
    balance = Decimal(state["balance"])
    low, high = START_BALANCE - STEP * (ledger.spent + ledger.spent_unknown), START_BALANCE - STEP * ledger.spent
    if not low <= balance <= high:
        failures.append(f"{ledger.key}: balance {balance} outside [{low}, {high}]")
    hook = state["settings"]["mo_callback_url"]
    if ledger.webhook is not None and hook != ledger.webhook and hook not in ledger.webhook_unknown:
        failures.append(f"{ledger.key}: webhook {hook!r}, answered {ledger.webhook!r}")
    return failures


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="vonage-soak-state-"))
    mock = Mock(folder / "mock.db")
    mock.start()
    failures: list[str] = []
    ledgers = []
    for n in range(THREADS):
        key = f"soakstate{n}"
        secret = "Start0secretXy"
        _call(mock, "PUT", f"/_mock/accounts/{key}", json={"secrets": [secret], "balance": str(START_BALANCE)})
        first = _call(mock, "GET", f"/accounts/{key}/secrets", auth=(key, secret)).json()["_embedded"]["secrets"][0]
        ledgers.append(Ledger(key, secret, first["id"], {first["id"]}))
    deadline = time.monotonic() + SECONDS
    answered = [0] * THREADS

    def traffic(index: int) -> None:
        ledger, n = ledgers[index], 0
        while time.monotonic() < deadline:
            n += 1
            try:
                _step(mock, ledger, index * 1_000_000 + n)
            except Unknown:
                pass
            except AssertionError as error:
                failures.append(str(error))
                return
            while ledger.unsettled:
                try:
                    failures.extend(_resync(mock, ledger))
                except Unknown:
                    pass  # killed again meanwhile: check once it is back
            answered[index] += 1

    threads = [threading.Thread(target=traffic, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    kills = 0
    try:
        for fraction in (0.33, 0.66):
            time.sleep(max(0.0, deadline - SECONDS * (1 - fraction) - time.monotonic()))
            mock.kill()
            kills += 1
            mock.start()
        for thread in threads:
            thread.join()
        for ledger in ledgers:
            failures.extend(check(mock, ledger))
    finally:
        mock.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(
        json.dumps(
            {
                "seconds": SECONDS,
                "workers": WORKERS,
                "kills": kills,
                "steps": answered,
                "unanswered_requests": UNANSWERED[0],
                "failures": failures,
            },
            indent=2,
        )
    )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
