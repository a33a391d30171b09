"""Start-up: the mock answers before connexion is imported, and builds connexion's full path once, on first need."""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import httpx
import pytest

from vonage_account_mock import create_app
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_mock.testing.clients import in_process_http

AUTH = ("start001", "Start1secret")

FRESH_PROCESS = textwrap.dedent(
    """
    import sys
    from vonage_account_mock import create_app
    from vonage_account_mock.testing.clients import in_process_http

    app = create_app()
    with in_process_http(app) as http:
        assert http.get("/account/get-balance", auth=("start001", "Start1secret")).status_code == 200
        assert http.get("/account/get-balance").status_code == 401
        print(sorted({"connexion", "jsonschema"} & set(sys.modules)), app.full_path.ready)
        weak = http.post("/accounts/start001/secrets", auth=("start001", "Start1secret"), json={"secret": "weak"})
        assert weak.status_code == 400, weak.text
        print(sorted({"connexion", "jsonschema"} & set(sys.modules)), app.full_path.ready)
    """
)


def test_well_formed_calls_and_401s_need_no_connexion_and_errors_build_it() -> None:
    # A fresh interpreter: this test process imported connexion long ago.
    result = subprocess.run([sys.executable, "-c", FRESH_PROCESS], capture_output=True, text=True, check=True)
    before, after = result.stdout.splitlines()
    assert before == "[] False"
    assert after == "['connexion', 'jsonschema'] True"


def test_warm_up_after_the_first_answer_builds_the_full_path_in_the_background() -> None:
    app = create_app()
    app.warm_up(after_first_answer=True)
    assert not app.full_path.ready
    with in_process_http(app) as http:
        assert http.get("/account/get-balance", auth=AUTH).status_code == 200
        deadline = time.monotonic() + 30
        while not app.full_path.ready and time.monotonic() < deadline:
            time.sleep(0.01)
        assert app.full_path.ready
        assert http.get("/_mock/accounts").status_code == 200


def test_one_full_path_serves_every_request_that_needs_it() -> None:
    app = create_app()
    with in_process_http(app) as http:
        assert http.get("/nowhere").status_code == 404
        built = app.full_path.get()
        assert http.post("/account/get-balance", auth=AUTH).status_code == 405
        assert app.full_path.get() is built


def test_the_express_lane_keeps_answering_while_the_full_path_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app()
    real_build = app.full_path._build
    building, release = threading.Event(), threading.Event()

    def held_build() -> Any:
        building.set()
        release.wait(30)
        return real_build()

    monkeypatch.setattr(app.full_path, "_build", held_build)
    with ThreadedMockServer(app) as server, httpx.Client(base_url=server.url, auth=AUTH, timeout=5) as http:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            refused = pool.submit(http.get, "/account/get-pricing/outbound/sms", params={"country": "gb"})
            assert building.wait(10)
            # A blocked event loop would time this out: the build cannot finish before `release`.
            assert http.get("/account/get-balance").status_code == 200
            assert not refused.done()
            release.set()
            assert refused.result().status_code == 400
