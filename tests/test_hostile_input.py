"""Input built to be expensive or to make the mock leak: a clear 4xx, never a 500, and nothing secret kept."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vonage_account_mock import AccountBackend, AccountSeed, create_app
from vonage_account_mock.layers.limits import (
    MAX_INTEGER_DIGITS,
    MAX_JSON_DEPTH,
    ShapeLimits,
    json_depth,
    nested_deeper_than,
)
from vonage_account_mock.testing.clients import in_process_http

KEY, SECRET = "hostile1", "Hostile1secret"


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    app = create_app()
    app.backend.seed(AccountSeed(KEY, (SECRET,)))
    with in_process_http(app) as client:
        yield client


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_thousands_of_query_parameters_are_refused_before_any_is_read(http: httpx.Client) -> None:
    query = "&".join("p" for _ in range(30_000))  # 60 kB: the longest URL httpx sends
    started = time.perf_counter()
    answer = http.get(f"/account/get-balance?{query}", auth=(KEY, SECRET))
    # One count of the separators: tens of milliseconds. Any pass quadratic in the parameters would take minutes at
    # this size, so a bound generous enough for a shared machine still tells the two apart.
    assert time.perf_counter() - started < 5
    assert answer.status_code == 400
    assert answer.json()["invalid_parameters"] == {"query": "more than 64 query parameters"}
    assert http.get("/account/get-balance?a=1&b=2", auth=(KEY, SECRET)).status_code == 400  # unknown, but read


def test_a_form_of_a_thousand_fields_is_refused(http: httpx.Client) -> None:
    form = "&".join(f"f{i}=x" for i in range(1001))
    answer = http.post(
        "/account/settings",
        content=form.encode(),
        auth=(KEY, SECRET),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 400
    assert answer.json()["invalid_parameters"] == {"body": "more than 64 form fields"}


@pytest.mark.parametrize(
    "path",
    [f"/accounts/{KEY}/secrets", "/account/top-up", "/account/register-sender", f"/_mock/accounts/{KEY}"],
)
def test_json_nested_thousands_deep_is_a_400_not_a_500(http: httpx.Client, path: str) -> None:
    method = "PUT" if path.startswith("/_mock") else "POST"
    answer = http.request(
        method, path, content=_nested(5000), auth=(KEY, SECRET), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert f"nested deeper than {MAX_JSON_DEPTH} levels" in answer.text


def test_a_five_thousand_digit_secret_is_a_400(http: httpx.Client) -> None:
    body = b'{"secret": ' + b"7" * 5000 + b"}"
    answer = http.post(
        f"/accounts/{KEY}/secrets", content=body, auth=(KEY, SECRET), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["invalid_parameters"] == [
        {"name": "body", "reason": f"an integer longer than {MAX_INTEGER_DIGITS} digits"}
    ]


@pytest.mark.parametrize("depth", [500, 2000])
def test_a_deeply_nested_body_cannot_break_or_skip_the_journal(http: httpx.Client, depth: int) -> None:
    # Unauthenticated, 1 KB at depth 500: once this made GET /_mock/journal answer 500 until it was cleared.
    http.post("/account/register-sender", content=_nested(depth), headers={"content-type": "application/json"})
    journal = http.get("/_mock/journal")
    assert journal.status_code == 200
    (entry,) = journal.json()["entries"]
    assert entry["status"] == 400 and "not kept" in entry["body"]


def test_secrets_are_redacted_at_any_depth_and_other_bodies_are_not_parsed(http: httpx.Client) -> None:
    nested = {
        "provider": "email",
        "value": "a@example.com",
        "x": {"secret": "Deep1secretX"},
        "list": [{"api_secret": "Listed1secret"}],
    }
    http.post("/account/register-sender", json=nested, auth=(KEY, SECRET))
    http.post(
        "/account/settings",
        content=b"note=1&secret=Plain1secretX",
        auth=(KEY, SECRET),
        headers={"content-type": "text/plain"},
    )
    http.post("/account/top-up", data={"trx": "Trx1secretref"}, auth=(KEY, SECRET))
    kept = json.dumps(http.get("/_mock/journal").json())
    for value in ("Deep1secretX", "Listed1secret", "Plain1secretX", "Trx1secretref"):
        assert value not in kept


def test_a_huge_username_is_kept_cut_in_the_journal(http: httpx.Client) -> None:
    http.get("/account/get-balance", auth=("u" * 1_000_000, "whatever1A"))
    (entry,) = http.get("/_mock/journal").json()["entries"]
    assert entry["status"] == 401
    assert entry["account"] is None or len(entry["account"]) < 400
    assert len(json.dumps(entry)) < 4000


def test_accounts_made_on_first_use_are_bounded_least_recently_used_first() -> None:
    backend = AccountBackend(max_provisioned=3)
    backend.seed(AccountSeed("seeded01", ("Seeded1secret",)))
    for key in ("first001", "second01", "third001"):
        backend.authenticate(key, "Some1secretX")
    backend.authenticate("first001", "Some1secretX")  # used again: now the most recent
    backend.authenticate("fourth01", "Some1secretX")
    assert backend.api_keys() == ["first001", "fourth01", "seeded01", "third001"]


def test_a_json_body_that_is_no_form_is_refused_without_echoing_it(http: httpx.Client) -> None:
    answer = http.post(
        "/account/settings", json={"moCallBackUrl": {"a": 1}, "secret": "Leak1secretX"}, auth=(KEY, SECRET)
    )
    assert answer.status_code == 400
    assert answer.json()["invalid_parameters"] == {"body": "a JSON body here must be an object of strings and numbers"}
    assert "Leak1secretX" not in json.dumps(http.get("/_mock/journal").json())


def test_no_secret_can_be_matched_by_undecodable_query_bytes(http: httpx.Client) -> None:
    refused = http.put("/_mock/accounts/fffd0001", json={"secrets": ["\ufffd\ufffdsecret"]})
    # The control spec states the rule (printable ASCII), so the refusal names the field that breaks it.
    assert refused.status_code == 400
    assert refused.json()["invalid_parameters"] == [
        {"name": "secrets.0", "reason": "Does not match the required format."}
    ]
    for raw in ("%FF", "%FE"):
        assert http.get(f"/account/get-balance?api_key={KEY}&api_secret={raw}").status_code == 401


def test_the_bounds_are_the_operators_to_set() -> None:
    app = create_app(shape_limits=ShapeLimits(max_query_parameters=2, max_json_depth=2))
    with in_process_http(app) as http:
        many = http.get("/account/get-balance?a=1&b=2&c=3", auth=(KEY, SECRET))
        assert many.json()["invalid_parameters"] == {"query": "more than 2 query parameters"}
        deep = http.post(
            f"/accounts/{KEY}/secrets",
            content=b'{"a": [[1]]}',
            auth=(KEY, SECRET),
            headers={"content-type": "application/json"},
        )
        assert "nested deeper than 2 levels" in deep.text


@given(
    st.recursive(
        st.none() | st.integers() | st.text('[]{}"\\x'),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text('[]{}"', max_size=3), inner, max_size=3),
    ),
    st.integers(0, 6),
)
@settings(max_examples=300, deadline=None)
def test_the_depth_shortcut_agrees_with_the_walk(document: object, limit: int) -> None:
    # Counting brackets (strings may hold some) bounds the depth from above: the shortcut only skips the walk.
    body = json.dumps(document).encode()
    assert nested_deeper_than(body, limit) == (json_depth(body) > limit)
    assert json_depth(body) == _depth(document)


def _depth(document: object) -> int:
    """How deep arrays and objects nest in a parsed document: what the scan of its text must find."""
    if isinstance(document, dict):
        return 1 + max(map(_depth, document.values()), default=0)
    if isinstance(document, list):
        return 1 + max(map(_depth, document), default=0)
    return 0


@pytest.mark.parametrize(
    "text",
    [
        "1",
        '"[[{{"',
        "[]",
        "{}",
        "[[],[[]]]",
        "[[[],[[]]]]",
        '{"a": {}, "b": {"c": {}}}',
        '{"a": {"b": {}}, "c": {}, "d": {"e": {"f": {}}}}',
        '["]]", [[]]]',
        '["\\"]", [[1]]]',
        '["\\\\", [[1]]]',
        '{"x\\"{{": [{"y": "\\\\"}, []]}',
    ],
)
def test_the_depth_walk_counts_brackets_outside_strings_only(text: str) -> None:
    assert json_depth(text.encode()) == _depth(json.loads(text))
