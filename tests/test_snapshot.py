"""Snapshots: the whole state out of one mock and into another (memory or state file), with no secret or trx in it."""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.state_support import basic, serving, stop
from vonage_account_mock import create_app
from vonage_account_mock.control.client import ControlClient
from vonage_account_mock.serving import ThreadedMockServer

KEY, SUB, FIRST, SECOND, SUB_SECRET = "snap0001", "snapsub1", "First1secret", "Second2secret", "Subsecret9"
TRX, SIGNING = "8ef2447e69604f642ae59363aa5f781b", "Signing-secret-42"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vonage_account_mock", *args], capture_output=True, text=True, timeout=60
    )


def _populate(http: httpx.Client) -> None:
    account = {
        "secrets": [FIRST],
        "balance": "12.34",
        "auto_reload": {"enabled": True, "trx": TRX, "amount": "5.00"},
        "settings": {"mo_callback_url": "https://example.com/in"},
        "signature": {"secret": SIGNING, "method": "sha256"},
    }
    assert http.put(f"/_mock/accounts/{KEY}", json=account).status_code == 200
    assert http.put(f"/_mock/accounts/{SUB}", json={"secrets": [SUB_SECRET], "primary": KEY}).status_code == 200
    assert http.post(f"/accounts/{KEY}/secrets", json={"secret": SECOND}, headers=basic(KEY, FIRST)).status_code == 201
    sender = {"provider": "email", "value": "ops@example.com", "name": "Ops"}
    assert http.post("/account/register-sender", json=sender, headers=basic(KEY, FIRST)).status_code == 200
    assert http.get("/account/get-balance", headers=basic("snapauto", "Auto1secret")).status_code == 200


def _views(http: httpx.Client) -> dict[str, Any]:
    """What a user sees of the state: the accounts as the control API shows them (but the callback signature, whose
    secret a snapshot never holds: a loaded account has none)."""
    keys = http.get("/_mock/accounts").json()["accounts"]
    return {key: {**http.get(f"/_mock/accounts/{key}").json(), "signature": None} for key in keys}


def _authenticates(http: httpx.Client) -> None:
    for key, secret in ((KEY, FIRST), (KEY, SECOND), (SUB, SUB_SECRET), ("snapauto", "Auto1secret")):
        assert http.get("/account/get-balance", headers=basic(key, secret)).status_code == 200, key
    assert http.get("/account/get-balance", headers=basic(KEY, "Wrong1secret")).status_code == 401
    assert http.post("/account/top-up", data={"trx": TRX}, headers=basic(KEY, SECOND)).status_code == 200


def test_a_snapshot_goes_from_memory_to_a_state_file_and_back(tmp_path: Path) -> None:
    with ThreadedMockServer(create_app()) as memory, httpx.Client(base_url=memory.url) as http:
        _populate(http)
        before = _views(http)
        saved = _cli("snapshot", "save", str(tmp_path / "snap.json"), "--url", memory.url)
        assert saved.returncode == 0, saved.stderr
    state = tmp_path / "mock.db"
    with serving(state) as (process, http):
        loaded = _cli("snapshot", "load", str(tmp_path / "snap.json"), "--url", str(http.base_url).rstrip("/"))
        assert loaded.returncode == 0 and "loaded 3 account(s)" in loaded.stdout, loaded.stderr
        stop(process, hard=True)  # the load was answered: it is on the file
    with serving(state) as (_, http):
        assert _views(http) == before
        assert http.get(f"/_mock/accounts/{KEY}").json()["signature"] is None
        _authenticates(http)
        from_file = http.get("/_mock/snapshot").json()
    with ThreadedMockServer(create_app()) as memory, httpx.Client(base_url=memory.url) as http:
        with ControlClient(memory.url) as control:
            assert control.load_snapshot(from_file) == {"accounts": 3}
        after = _views(http)
        assert {key: {**view, "balance": None} for key, view in after.items()} == {
            key: {**view, "balance": None} for key, view in before.items()
        }
        assert after[KEY]["balance"] == "17.34"  # the top-up made on the file's mock
        _authenticates(http)


def test_a_snapshot_holds_no_secret_and_no_trx_in_any_encoding(tmp_path: Path) -> None:
    with ThreadedMockServer(create_app()) as memory, httpx.Client(base_url=memory.url) as http:
        _populate(http)
        saved = _cli("snapshot", "save", str(tmp_path / "snap.json"), "--url", memory.url)
        assert saved.returncode == 0, saved.stderr
    text = (tmp_path / "snap.json").read_text()
    assert stat.S_IMODE((tmp_path / "snap.json").stat().st_mode) == 0o600
    for value in (FIRST, SECOND, SUB_SECRET, "Auto1secret", TRX, SIGNING):
        for form in (value, base64.b64encode(value.encode()).decode(), quote(value, safe=""), value.encode().hex()):
            assert form not in text, f"{value!r} is in the snapshot"
    document = json.loads(text)
    account = next(a for a in document["accounts"] if a["api_key"] == KEY)
    assert account["signature"] == {"method": "sha256"} and "trx" not in account["auto_reload"]


def test_a_snapshot_that_does_not_check_out_changes_nothing(tmp_path: Path) -> None:
    with ThreadedMockServer(create_app()) as memory, httpx.Client(base_url=memory.url) as http:
        _populate(http)
        good = http.get("/_mock/snapshot").json()
        before = _views(http)
        broken = json.loads(json.dumps(good))
        broken["accounts"][-1]["secrets"][0]["digest"] = "not-hex"
        orphan = json.loads(json.dumps(good))
        orphan["accounts"] = [a for a in orphan["accounts"] if a["api_key"] != KEY]
        for document in (broken, orphan, {**good, "version": 2}, [1, 2], {"format": "x"}):
            answer = http.put("/_mock/snapshot", json=document)
            assert answer.status_code == 400, (answer.status_code, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
        assert _views(http) == before
        (tmp_path / "bad.json").write_text("{not json")
        done = _cli("snapshot", "load", str(tmp_path / "bad.json"), "--url", memory.url)
        assert done.returncode == 3 and done.stderr.count("\n") == 1 and "not JSON" in done.stderr


def test_the_snapshot_endpoints_are_behind_the_control_gate() -> None:
    app = create_app(control_token="Token-for-the-test")
    with ThreadedMockServer(app) as server, httpx.Client(base_url=server.url) as http:
        assert http.get("/_mock/snapshot").status_code == 401
        token = {"X-Mock-Control-Token": "Token-for-the-test"}
        snapshot = http.get("/_mock/snapshot", headers=token)
        assert snapshot.status_code == 200
        cross_site = {**token, "Origin": "https://evil.example", "Content-Type": "application/json"}
        assert http.put("/_mock/snapshot", content=snapshot.content, headers=cross_site).status_code == 403
        as_form = {**token, "Content-Type": "application/x-www-form-urlencoded"}
        assert http.put("/_mock/snapshot", content=snapshot.content, headers=as_form).status_code == 415


@pytest.mark.parametrize("command", ["save", "load"])
def test_snapshot_commands_say_in_one_line_when_no_mock_answers(tmp_path: Path, command: str) -> None:
    (tmp_path / "snap.json").write_text("{}")
    done = _cli("snapshot", command, str(tmp_path / "snap.json"), "--url", "http://127.0.0.1:9")
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "is it running?" in done.stderr
