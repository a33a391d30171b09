"""Takes docs/dashboard.png: the dashboard over a mock with some traffic, in the browser the tests use.

Run from the repository's root: `python -m tests.dashboard_screenshot [PATH]`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

from tests.browser import chromium, webhook
from vonage_account_mock import create_app
from vonage_account_mock.serving.server import ThreadedMockServer

OUT = Path(__file__).resolve().parent.parent / "docs" / "dashboard.png"


def _traffic(url: str, webhook: str) -> None:
    with httpx.Client(base_url=url) as http:
        http.put(
            "/_mock/accounts/abcd1234",
            json={
                "secrets": ["Initial1secret", "Second22secret"],
                "balance": "25.50",
                "auto_reload": {"enabled": True, "trx": "8ef2447e69604f642ae59363aa5f781b", "amount": "10.00"},
                "settings": {
                    "mo_callback_url": f"{webhook}/inbound",
                    "dr_callback_url": f"{webhook}/receipts",
                    "http_forward_method": "POST_JSON",
                },
            },
        ).raise_for_status()
        http.put("/_mock/accounts/sub00001", json={"secrets": ["Sub0001secret"], "primary": "abcd1234"})
        http.put("/_mock/accounts/qa000042", json={"secrets": ["Qa00042secret"], "balance": "3.20"})
        basic = ("abcd1234", "Initial1secret")
        http.get("/account/get-balance", auth=basic)
        http.post("/account/top-up", data={"trx": "8ef2447e69604f642ae59363aa5f781b"}, auth=basic)
        http.get("/accounts/abcd1234/secrets", auth=basic)
        http.get("/account/get-pricing/outbound/sms", params={"country": "GB"}, auth=basic)
        http.get("/account/get-balance", auth=("abcd1234", "Wrong1secret"))
        http.post("/account/settings", data={"moCallBackUrl": "not a url"}, auth=basic)
        http.post("/_mock/faults", json={"operation_id": "top_up", "status": 500, "times": 2})
        http.post("/_mock/faults", json={"operation_id": "get_balance", "delay_ms": 1500, "account": "qa000042"})
        http.post(
            "/_mock/accounts/abcd1234/inbound-sms", json={"from": "447700900001", "to": "447700900000", "text": "STOP"}
        )
        http.post("/_mock/accounts/abcd1234/delivery-receipts?retries=3", json={"client_ref": "order-42"})


def main(out: Path = OUT) -> None:
    """Serve a mock, make some traffic, and take the page's picture into `out`."""
    # The receipts' webhook fails, so the picture shows retries.
    with (
        webhook(lambda path: 200 if "inbound" in path else 500) as receiver,
        ThreadedMockServer(create_app()) as server,
        chromium() as browser,
    ):
        _traffic(server.url, receiver)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{server.url}/_mock/dashboard/")
        page.wait_for_selector("#journal tbody tr td.status")
        page.wait_for_selector("#deliveries tbody tr[data-delivery]")
        page.screenshot(path=str(out), full_page=True)
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
