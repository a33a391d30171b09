"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against a threaded mock.

One browser for the module and one page reused by the tests of the open mock (each test resets the mock; the page
follows by itself, as it polls); a fresh context (no cookies) for each sign-in test.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from vonage_account_client.api.balance import get_balance
from vonage_account_client.models import Balance

from tests.browser import chromium, webhook
from vonage_account_mock import create_app
from vonage_account_mock.control.dashboard import SESSION_COOKIE
from vonage_account_mock.serving.server import ThreadedMockServer
from vonage_account_mock.testing.clients import account_client

KEY = "brow0001"
SECRET = "Browser1secret"
TOKEN = "browser-t0ken-0123456789abcdef"
MARKUP = '<img src=x onerror="window.__pwned = 1"><script>window.__pwned = 2</script>'
WAIT_MS = 10_000  # a bound under load (CI runs the contract tests beside): expect() returns as soon as it holds

# Every securitypolicyviolation the page reports, so a test can tell that nothing was even attempted.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture(scope="module")
def webhook_url() -> Iterator[str]:
    with webhook() as base:
        yield f"{base}/inbound"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def open_server() -> Iterator[ThreadedMockServer]:
    with ThreadedMockServer(create_app()) as server:
        yield server


@pytest.fixture(scope="module")
def token_server() -> Iterator[ThreadedMockServer]:
    with ThreadedMockServer(create_app(control_token=TOKEN)) as server:
        yield server


@pytest.fixture(scope="module")
def dashboard(browser: Browser, open_server: ThreadedMockServer) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto(f"{open_server.url}/_mock/dashboard/?poll=200")
    yield page
    context.close()


@pytest.fixture
def page(dashboard: Page, open_server: ThreadedMockServer) -> Page:
    """The dashboard, over a mock reset for this test."""
    open_server.app.control.reset(deterministic_seed=None)
    expect(dashboard.locator("#accounts td.empty")).to_be_visible(timeout=WAIT_MS)
    return dashboard


def _seed(server: ThreadedMockServer, **extra: object) -> None:
    with httpx.Client(base_url=server.url) as http:
        answer = http.put(f"/_mock/accounts/{KEY}", json={"secrets": [SECRET], "balance": "12.34", **extra})
        assert answer.status_code == 200, answer.text


def _balance(server: ThreadedMockServer) -> Decimal:
    with account_client(server.url, KEY, SECRET) as client:
        balance = get_balance.sync(client=client)
    assert isinstance(balance, Balance)
    return Decimal(str(balance.value))


def test_the_page_lists_a_seeded_account(page: Page, open_server: ThreadedMockServer) -> None:
    _seed(open_server, auto_reload={"enabled": True, "trx": "8ef2447e69604f642ae59363aa5f781b", "amount": "5.00"})
    row = page.locator(f'#accounts tr[data-account="{KEY}"]')
    expect(row.locator("td.balance")).to_have_text("12.34", timeout=WAIT_MS)
    expect(row).to_contain_text("on, 5.00")
    expect(row).to_contain_text("trx set")
    secret_id = open_server.app.control.get_account(KEY)["secrets"][0]["id"]
    expect(row).to_contain_text(secret_id)


def test_a_request_appears_in_the_journal_without_a_reload(page: Page, open_server: ThreadedMockServer) -> None:
    _seed(open_server)
    page.evaluate("window.__still_the_same_page = true")
    assert _balance(open_server) == Decimal("12.34")
    first = page.locator("#journal tbody tr").first
    expect(first).to_contain_text("get_balance", timeout=WAIT_MS)
    expect(first.locator("td.status")).to_have_text("200")
    expect(first).to_contain_text(KEY)
    expect(first).to_contain_text("basic")
    assert page.evaluate("window.__still_the_same_page") is True


def test_the_journal_filters_by_status(page: Page, open_server: ThreadedMockServer) -> None:
    _seed(open_server)
    _balance(open_server)
    with httpx.Client(base_url=open_server.url) as http:
        assert http.get("/account/get-balance", auth=(KEY, "Wrong1secret")).status_code == 401
    expect(page.locator("#journal tbody tr")).to_have_count(2, timeout=WAIT_MS)
    page.select_option("#journal-filters select[name=status]", "401")
    expect(page.locator("#journal tbody tr")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator("#journal tbody tr td.status")).to_have_text("401")
    page.select_option("#journal-filters select[name=status]", "")


def test_setting_a_balance_from_the_page_changes_what_get_balance_answers(
    page: Page, open_server: ThreadedMockServer
) -> None:
    _seed(open_server)
    expect(page.locator(f'#accounts tr[data-account="{KEY}"]')).to_be_visible(timeout=WAIT_MS)
    form = page.locator("#set-balance")
    form.locator("input[name=account]").fill(KEY)
    form.locator("input[name=balance]").fill("42.00")
    form.locator("button[type=submit]").click()
    expect(page.locator("#action-result")).to_have_text(f"Balance of {KEY} is 42.00", timeout=WAIT_MS)
    assert _balance(open_server) == Decimal("42.00")
    expect(page.locator(f'#accounts tr[data-account="{KEY}"] td.balance')).to_have_text("42.00", timeout=WAIT_MS)


def test_a_fault_planned_from_the_page_fires(page: Page, open_server: ThreadedMockServer) -> None:
    _seed(open_server)
    form = page.locator("#plan-fault")
    form.locator("select[name=operation_id]").select_option("get_balance")
    form.locator("select[name=status]").select_option("429")
    form.locator("button[type=submit]").click()
    expect(page.locator("#faults tbody tr")).to_contain_text("get_balance", timeout=WAIT_MS)
    with httpx.Client(base_url=open_server.url) as http:
        assert http.get("/account/get-balance", auth=(KEY, SECRET)).status_code == 429


def test_an_sms_text_holding_markup_is_shown_as_text(
    page: Page, open_server: ThreadedMockServer, webhook_url: str
) -> None:
    # The settings may hold markup too: a callback URL is whatever the account's owner set.
    _seed(open_server, settings={"mo_callback_url": webhook_url, "dr_callback_url": f"{webhook_url}?{MARKUP}"})
    expect(page.locator(f'#accounts tr[data-account="{KEY}"]')).to_contain_text(MARKUP, timeout=WAIT_MS)
    form = page.locator("#inbound-sms")
    form.locator("input[name=account]").fill(KEY)
    form.locator("textarea[name=text]").fill(MARKUP)
    form.locator("button[type=submit]").click()
    expect(page.locator("#action-result")).to_contain_text("delivered", timeout=WAIT_MS)
    text = page.locator("#deliveries td.fields dd", has_text="onerror")
    expect(text).to_have_text(MARKUP, timeout=WAIT_MS)
    assert page.locator("main img, main script").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.__violations") == []


def test_resetting_an_account_from_the_page(page: Page, open_server: ThreadedMockServer) -> None:
    _seed(open_server)
    row = page.locator(f'#accounts tr[data-account="{KEY}"]')
    row.locator("button.reset-account").click()
    expect(row).to_have_count(0, timeout=WAIT_MS)
    assert KEY not in open_server.app.control.list_accounts()


# -- with a control token ----------------------------------------------------------------------------------------


def _fresh_page(browser: Browser, server: ThreadedMockServer) -> Page:
    page = browser.new_context().new_page()
    page.goto(f"{server.url}/_mock/dashboard/?poll=200")
    return page


def _sign_in(page: Page, token: str) -> None:
    page.fill("#token", token)
    page.click("#sign-in button[type=submit]")


def test_without_the_cookie_the_page_is_the_sign_in_form(browser: Browser, token_server: ThreadedMockServer) -> None:
    page = _fresh_page(browser, token_server)
    expect(page.locator("#sign-in")).to_be_visible()
    assert page.locator("#accounts").count() == 0
    page.context.close()


def test_a_wrong_token_is_refused(browser: Browser, token_server: ThreadedMockServer) -> None:
    page = _fresh_page(browser, token_server)
    _sign_in(page, "not-the-token")
    expect(page.locator("p.error")).to_have_text("That is not this mock's control token.")
    expect(page.locator("#sign-in")).to_be_visible()
    assert page.context.cookies() == []
    page.context.close()


def test_the_right_token_signs_in_with_a_strict_http_only_cookie(
    browser: Browser, token_server: ThreadedMockServer
) -> None:
    token_server.app.control.reset(deterministic_seed=None)
    token_server.app.control.put_account(KEY, {"secrets": [SECRET]})  # its HTTP needs the token
    page = _fresh_page(browser, token_server)
    _sign_in(page, TOKEN)
    expect(page.locator(f'#accounts tr[data-account="{KEY}"]')).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#sign-out")).to_be_visible()
    (cookie,) = page.context.cookies()
    assert cookie["name"] == SESSION_COOKIE and cookie["value"] != TOKEN and TOKEN not in cookie["value"]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/_mock"
    assert page.evaluate("document.cookie") == ""  # the page's own script cannot read it
    assert TOKEN not in page.url
    page.click("#sign-out button")
    expect(page.locator("#sign-in")).to_be_visible(timeout=WAIT_MS)
    page.context.close()
