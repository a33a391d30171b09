"""The dashboard over plain HTTP: its headers, the gate in front of it, its sign-in cookie, and what it never shows."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from vonage_account_mock import create_app
from vonage_account_mock.control.dashboard import CONTENT_SECURITY_POLICY, SESSION_COOKIE, session_value
from vonage_account_mock.testing.clients import IN_PROCESS_URL, in_process_http
from vonage_account_mock.testing.transport import InProcessTransport

TOKEN = "dashboard-t0ken-0123456789abcdef"
EVIL = "https://evil.example"
STATIC = Path(__file__).resolve().parent.parent / "mock_server/vonage_account_mock/control/static"
DASHBOARD_FILES = ["/_mock/dashboard/", "/_mock/dashboard/dashboard.js", "/_mock/dashboard/dashboard.css"]
PROJECT = "https://github.com/vonage-account-mock/vonage-account-mock"


@pytest.fixture
def open_mock() -> Iterator[httpx.Client]:
    """A mock without a control token, over the in-process transport (a loopback-like `.invalid` Host)."""
    with in_process_http(create_app()) as http:
        yield http


@pytest.fixture
def token_mock() -> Iterator[httpx.Client]:
    """A mock with a control token; the client keeps the cookies it is given, as a browser would."""
    with in_process_http(create_app(control_token=TOKEN)) as http:
        yield http


def _signed_in(http: httpx.Client) -> str:
    answer = http.post("/_mock/dashboard/sign-in", data={"token": TOKEN})
    assert answer.status_code == 303, answer.text
    return http.cookies[SESSION_COOKIE]


def _assert_problem(answer: httpx.Response, status: int, phrase: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert phrase in answer.json()["detail"]


# -- headers ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*DASHBOARD_FILES, "/_mock/dashboard/favicon.svg", "/_mock/dashboard/nothing-here"])
def test_every_dashboard_answer_has_the_strict_policy_and_nosniff(open_mock: httpx.Client, path: str) -> None:
    answer = open_mock.get(path)
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "same-origin"


def test_the_policy_is_the_strict_one() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives == {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self'",
        "connect-src": "'self'",
        "img-src": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
    }


def test_the_sign_in_form_and_the_control_apis_answers_have_them_too(token_mock: httpx.Client) -> None:
    for answer in (token_mock.get("/_mock/dashboard/"), token_mock.get("/_mock/journal")):
        assert answer.status_code == 401
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert answer.headers["x-content-type-options"] == "nosniff"
    _signed_in(token_mock)
    assert token_mock.get("/_mock/journal").headers["x-content-type-options"] == "nosniff"


def test_the_files_are_served_with_their_types(open_mock: httpx.Client) -> None:
    types = {path: open_mock.get(path).headers["content-type"] for path in DASHBOARD_FILES}
    assert types == {
        "/_mock/dashboard/": "text/html; charset=utf-8",
        "/_mock/dashboard/dashboard.js": "text/javascript; charset=utf-8",
        "/_mock/dashboard/dashboard.css": "text/css; charset=utf-8",
    }
    assert open_mock.get("/_mock/dashboard").status_code == 308
    _assert_problem(open_mock.post("/_mock/dashboard/", json={}), 405, "GET and HEAD")


def test_the_script_never_parses_data_as_html() -> None:
    script = (STATIC / "dashboard.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, sink
    for page in ("index.html", "sign-in.html"):
        html = (STATIC / page).read_text()
        # No inline script or style, no handler attribute: the policy would refuse them anyway.
        assert not re.search(r"<script(?![^>]*\bsrc=)|<style|\son[a-z]+=|style=", html), page
        assert "http://" not in html and "https://" not in html, page


# -- the gate, without a token ---------------------------------------------------------------------------------


def test_without_a_token_a_foreign_host_is_refused() -> None:
    with in_process_http(create_app()) as http:
        answer = http.get("/_mock/dashboard/", headers={"Host": "rebound.example.com"})
    _assert_problem(answer, 403, "loopback Host names only")


@pytest.mark.parametrize(
    "headers",
    [{"Origin": EVIL}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}],
)
def test_a_web_page_cannot_load_the_dashboard(open_mock: httpx.Client, headers: dict[str, str]) -> None:
    answer = open_mock.get("/_mock/dashboard/", headers=headers)
    _assert_problem(answer, 403, "web pages")


def test_the_dashboards_own_requests_pass(open_mock: httpx.Client) -> None:
    own = {"Origin": IN_PROCESS_URL, "Sec-Fetch-Site": "same-origin"}
    assert open_mock.get("/_mock/dashboard/", headers={"Sec-Fetch-Site": "none"}).status_code == 200
    assert open_mock.get("/_mock/account-details", headers=own).status_code == 200
    assert open_mock.post("/_mock/reset", headers=own).status_code == 204


def test_no_control_means_no_dashboard() -> None:
    with in_process_http(create_app(control=False)) as http:
        _assert_problem(http.get("/_mock/dashboard/"), 404, "--no-control")


def test_without_a_token_there_is_nothing_to_sign_in_to(open_mock: httpx.Client) -> None:
    _assert_problem(open_mock.post("/_mock/dashboard/sign-in", data={"token": "x"}), 404, "no control token")
    assert SESSION_COOKIE not in open_mock.cookies


# -- the gate, with a token: the sign-in and its cookie --------------------------------------------------------


def test_the_page_without_a_session_is_the_sign_in_form(token_mock: httpx.Client) -> None:
    answer = token_mock.get("/_mock/dashboard/")
    assert answer.status_code == 401
    assert '<form method="post" action="sign-in"' in answer.text
    assert 'type="password"' in answer.text
    assert "dashboard.js" not in answer.text


def test_a_wrong_token_is_refused_and_sets_no_cookie(token_mock: httpx.Client) -> None:
    for wrong in ("", "nope", TOKEN[:-1], TOKEN + "x"):
        answer = token_mock.post("/_mock/dashboard/sign-in", data={"token": wrong})
        assert answer.status_code == 401
        assert "not this mock's control token" in answer.text
        assert "set-cookie" not in answer.headers
    assert token_mock.get("/_mock/journal").status_code == 401


def test_the_right_token_sets_a_strict_http_only_cookie_that_is_not_the_token(token_mock: httpx.Client) -> None:
    answer = token_mock.post("/_mock/dashboard/sign-in", data={"token": TOKEN})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/_mock/dashboard/"
    cookie = answer.headers["set-cookie"]
    attributes = [part.strip() for part in cookie.split(";")]
    assert {"HttpOnly", "SameSite=Strict", "Path=/_mock"} <= set(attributes)
    value = attributes[0].split("=", 1)[1]
    assert TOKEN not in value and quote(TOKEN) not in value and base64.b64encode(TOKEN.encode()).decode() not in value
    assert "Secure" not in attributes  # plain http: a Secure cookie would never come back


def test_the_cookie_opens_the_dashboard_and_the_control_api(token_mock: httpx.Client) -> None:
    _signed_in(token_mock)
    page = token_mock.get("/_mock/dashboard/")
    assert page.status_code == 200 and 'data-token="set"' in page.text
    assert token_mock.get("/_mock/account-details").status_code == 200
    assert token_mock.post("/_mock/reset").status_code == 204


def test_the_token_is_never_taken_from_a_url(token_mock: httpx.Client) -> None:
    answer = token_mock.get("/_mock/dashboard/sign-in", params={"token": TOKEN})
    _assert_problem(answer, 405, "POST")
    assert SESSION_COOKIE not in token_mock.cookies
    assert token_mock.get("/_mock/dashboard/", params={"token": TOKEN}).status_code == 401
    assert token_mock.get("/_mock/journal", params={"token": TOKEN}).status_code == 401


def test_a_forged_or_expired_cookie_is_refused(token_mock: httpx.Client) -> None:
    now = int(time.time())
    forged = [
        f"{now}.{'0' * 64}",
        session_value(b"another-token", now),
        session_value(TOKEN.encode(), now - 13 * 3600),  # past the 12 hours
        session_value(TOKEN.encode(), now + 3600),  # from the future
        TOKEN,
        "",
    ]
    for value in forged:
        headers = {"Cookie": f"{SESSION_COOKIE}={value}"}
        assert token_mock.get("/_mock/journal", headers=headers).status_code == 401, value
        assert token_mock.get("/_mock/dashboard/", headers=headers).status_code == 401, value
    good = {"Cookie": f"{SESSION_COOKIE}={session_value(TOKEN.encode(), now - 60)}"}
    assert token_mock.get("/_mock/journal", headers=good).status_code == 200


def test_a_cross_site_request_with_the_cookie_is_refused(token_mock: httpx.Client) -> None:
    _signed_in(token_mock)
    token_mock.put("/_mock/accounts/abcd1234", json={"secrets": ["Initial1secret"]})
    for headers in ({"Origin": EVIL}, {"Origin": "http://localhost:3000"}, {"Sec-Fetch-Site": "same-site"}):
        _assert_problem(token_mock.post("/_mock/reset", headers=headers), 403, "web pages")
        _assert_problem(token_mock.get("/_mock/account-details", headers=headers), 403, "web pages")
    # A form post the browser would make without asking: 415, cookie or not.
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    _assert_problem(token_mock.delete("/_mock/accounts/abcd1234", headers=form), 415, "form")
    assert token_mock.get("/_mock/accounts").json() == {"accounts": ["abcd1234"]}


def test_another_sites_form_cannot_sign_in(token_mock: httpx.Client) -> None:
    answer = token_mock.post("/_mock/dashboard/sign-in", data={"token": TOKEN}, headers={"Origin": EVIL})
    _assert_problem(answer, 403, "web pages")
    assert SESSION_COOKIE not in token_mock.cookies


def test_signing_out_clears_the_cookie(token_mock: httpx.Client) -> None:
    _signed_in(token_mock)
    answer = token_mock.post("/_mock/dashboard/sign-out")
    assert answer.status_code == 303
    assert "Max-Age=0" in answer.headers["set-cookie"]
    assert token_mock.get("/_mock/journal").status_code == 401


def test_over_https_the_cookie_is_secure() -> None:
    app = create_app(control_token=TOKEN)
    https = IN_PROCESS_URL.replace("http://", "https://")
    with httpx.Client(base_url=https, transport=InProcessTransport(app)) as http:
        answer = http.post("/_mock/dashboard/sign-in", data={"token": TOKEN})
    assert answer.status_code == 303
    assert "; Secure" in answer.headers["set-cookie"]
