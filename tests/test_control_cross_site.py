"""The control API refuses what a web page can send it: a foreign Origin, a cross-site fetch, a simple form."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import KEY, SECRET, Mock
from vonage_account_mock import create_app
from vonage_account_mock.testing.clients import in_process_http

PROJECT = "https://github.com/vonage-account-mock/vonage-account-mock"
EVIL = "https://evil.example"


def _seeded(http: httpx.Client) -> None:
    assert http.put(f"/_mock/accounts/{KEY}", json={"secrets": [SECRET]}).status_code == 200


def _assert_forbidden(response: httpx.Response, *phrases: str) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    document = response.json()
    assert document["type"] == f"{PROJECT}#forbidden" and document["title"] == "Forbidden"
    for phrase in phrases:
        assert phrase in document["detail"]


def _assert_not_json(response: httpx.Response) -> None:
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == "application/problem+json"
    document = response.json()
    assert document["type"] == f"{PROJECT}#unsupported-media-type"
    assert "application/json" in document["detail"]


def test_a_reset_from_another_origin_is_refused_and_changes_nothing(mock: Mock) -> None:
    with mock.http() as http:
        _seeded(http)
        refused = http.post("/_mock/reset", headers={"Origin": EVIL})
        _assert_forbidden(refused, "Origin", "web page")
        assert http.get("/_mock/accounts").json() == {"accounts": [KEY]}


def test_an_opaque_origin_is_refused(mock: Mock) -> None:
    with mock.http() as http:
        _seeded(http)
        _assert_forbidden(http.delete(f"/_mock/accounts/{KEY}", headers={"Origin": "null"}), "Origin")
        assert http.get("/_mock/accounts").json() == {"accounts": [KEY]}


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_fetch_from_another_site_is_refused(mock: Mock, site: str) -> None:
    with mock.http() as http:
        _seeded(http)
        _assert_forbidden(http.post("/_mock/reset", headers={"Sec-Fetch-Site": site}), "Sec-Fetch-Site")
        _assert_forbidden(http.get("/_mock/journal", headers={"Sec-Fetch-Site": site}), "Sec-Fetch-Site")
        assert http.get("/_mock/accounts").json() == {"accounts": [KEY]}


def test_a_token_does_not_let_a_web_page_in() -> None:
    with in_process_http(create_app(control_token="t0ken")) as http:
        token = {"X-Mock-Control-Token": "t0ken"}
        _assert_forbidden(http.post("/_mock/reset", headers={**token, "Origin": EVIL}), "Origin")
        _assert_forbidden(http.post("/_mock/reset", headers={**token, "Sec-Fetch-Site": "cross-site"}))
        assert http.post("/_mock/reset", headers=token).status_code == 204


def test_a_text_plain_body_is_refused(mock: Mock) -> None:
    with mock.http() as http:
        plan = b'{"operation_id": "get_balance", "status": 500}'
        _assert_not_json(http.post("/_mock/faults", content=plan, headers={"Content-Type": "text/plain"}))
        assert http.get("/_mock/faults").json() == {"plans": []}


@pytest.mark.parametrize("media_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_a_form_body_is_refused(mock: Mock, media_type: str) -> None:
    with mock.http() as http:
        _assert_not_json(
            http.post("/_mock/reset", content=b"deterministic_seed=1", headers={"Content-Type": media_type})
        )


def test_a_bodiless_post_with_a_form_content_type_is_refused(mock: Mock) -> None:
    # What `<form method="post">` with no fields sends: an empty body, typed as a form.
    with mock.http() as http:
        _seeded(http)
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        _assert_not_json(http.post("/_mock/reset", headers=form))
        assert http.get("/_mock/accounts").json() == {"accounts": [KEY]}


def test_the_mocks_own_origin_and_tools_without_one_are_answered(mock: Mock) -> None:
    with mock.http() as http:
        own = mock.base_url.rstrip("/")
        assert http.post("/_mock/reset", headers={"Origin": own}).status_code == 204
        assert http.post("/_mock/reset", headers={"Origin": own.upper()}).status_code == 204
        assert http.post("/_mock/reset", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 204
        assert http.get("/_mock/accounts", headers={"Sec-Fetch-Site": "none"}).status_code == 200
        assert http.post("/_mock/reset").status_code == 204  # curl -X POST, no body, no Content-Type
        json_body = {"Content-Type": "application/json; charset=utf-8", "Origin": own}
        assert http.post("/_mock/reset", content=b'{"deterministic_seed": 7}', headers=json_body).status_code == 204


def test_a_json_body_must_say_application_json(mock: Mock) -> None:
    with mock.http() as http:
        merge = {"Content-Type": "application/merge-patch+json"}
        _assert_not_json(http.put(f"/_mock/accounts/{KEY}", content=b'{"secrets": ["X"]}', headers=merge))
        assert http.get("/_mock/accounts").json() == {"accounts": []}


def test_health_and_the_account_api_answer_any_origin(mock: Mock) -> None:
    with mock.http() as http:
        headers = {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}
        assert http.get("/_mock/health", headers=headers).status_code == 200
        assert http.get("/account/get-balance", auth=(KEY, SECRET), headers=headers).status_code == 200
