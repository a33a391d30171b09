"""The spec itself: every example validates against its own schema, and the shape the project relies on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from vonage_account_mock.layers.routing import OperationRouter
from vonage_account_spec import control_spec_path, resolve_refs, spec_path

SPEC: dict[str, Any] = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
CONTROL_SPEC: dict[str, Any] = yaml.safe_load(control_spec_path().read_text(encoding="utf-8"))
METHODS = {"get", "post", "put", "delete", "patch"}


def _examples(spec: dict[str, Any], name: str) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every example attached to a schema or a media type."""

    def walk(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any], Any]]:
        if isinstance(node, dict):
            if "schema" in node and ("example" in node or "examples" in node):
                schema = resolve_refs(node["schema"], spec)
                if "example" in node:
                    yield where, schema, node["example"]
                for label, example in (node.get("examples") or {}).items():
                    yield f"{where}/{label}", schema, resolve_refs(example, spec)["value"]
            if isinstance(node.get("type"), str) and "example" in node:
                bare = {k: v for k, v in node.items() if k != "example"}
                yield f"{where}/example", resolve_refs(bare, spec), node["example"]
            for key, value in node.items():
                yield from walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{where}/{index}")

    yield from walk(spec, f"{name}#")


EXAMPLES = [*_examples(SPEC, "account.yaml"), *_examples(CONTROL_SPEC, "mock-control.yaml")]


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_spec_is_openapi_3_0_3() -> None:
    assert SPEC["openapi"] == "3.0.3"


def test_there_are_many_examples() -> None:
    # Guards the walker: a change that stopped it finding examples would otherwise pass silently.
    assert len(EXAMPLES) > 100


@pytest.mark.parametrize(("where", "schema", "example"), EXAMPLES, ids=[where for where, _, _ in EXAMPLES])
def test_every_example_validates_against_its_schema(where: str, schema: dict[str, Any], example: Any) -> None:
    OAS30Validator(schema).validate(example)


def test_every_operation_is_there_with_a_plain_operation_id() -> None:
    operations = {operation["operationId"]: (method, path) for path, method, operation in _operations()}
    assert operations == {
        "get_balance": ("get", "/account/get-balance"),
        "top_up": ("post", "/account/top-up"),
        "update_settings": ("post", "/account/settings"),
        "register_sender": ("post", "/account/register-sender"),
        "get_country_pricing": ("get", "/account/get-pricing/outbound/{type}"),
        "get_full_pricing": ("get", "/account/get-full-pricing/outbound/{type}"),
        "get_prefix_pricing": ("get", "/account/get-prefix-pricing/outbound/{type}"),
        "list_secrets": ("get", "/accounts/{api_key}/secrets"),
        "create_secret": ("post", "/accounts/{api_key}/secrets"),
        "get_secret": ("get", "/accounts/{api_key}/secrets/{secret_id}"),
        "revoke_secret": ("delete", "/accounts/{api_key}/secrets/{secret_id}"),
    }
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", operation_id) for operation_id in operations)


def test_each_path_names_the_host_that_serves_it() -> None:
    for path, item in SPEC["paths"].items():
        expected = "https://api.nexmo.com" if path.startswith("/accounts/") else "https://rest.nexmo.com"
        assert [server["url"] for server in item["servers"]] == [expected], path


def test_rest_operations_take_basic_or_the_query_pair_and_secrets_only_basic() -> None:
    for path, _, operation in _operations():
        schemes = [sorted(requirement) for requirement in operation["security"]]
        if path.startswith("/accounts/"):
            assert schemes == [["basicAuth"]], path
        else:
            assert schemes == [["basicAuth"], ["apiKeyQuery", "apiSecretQuery"]], path


def test_every_operation_declares_its_401_429_and_500() -> None:
    for path, method, operation in _operations():
        assert {"401", "429", "500"} <= set(operation["responses"]), f"{method} {path}"


def test_create_secret_links_to_get_and_revoke() -> None:
    links = SPEC["paths"]["/accounts/{api_key}/secrets"]["post"]["responses"]["201"]["links"]
    assert {link["operationId"] for link in links.values()} == {"get_secret", "revoke_secret"}
    for link in links.values():
        assert link["parameters"] == {"api_key": "$request.path.api_key", "secret_id": "$response.body#/id"}


def test_secret_complexity_pattern_matches_the_rules() -> None:
    rule = SPEC["components"]["schemas"]["CreateSecretRequest"]["properties"]["secret"]
    validator = OAS30Validator(rule)
    for good in ["example-4PI-secret", "Abcdefg1", "1aB45678", "Zz9" + "x" * 22]:
        assert validator.is_valid(good), good
    for bad in ["Abcdef1", "abcdefg1", "ABCDEFG1", "Abcdefgh", "Zz9" + "x" * 23]:
        assert not validator.is_valid(bad), bad


def test_a_path_starting_with_a_parameter_is_refused_by_the_router_not_left_unmatched() -> None:
    # The router files paths by their first segment; a template starting with a parameter would never match.
    paths = {"/{tenant}/balance": {"get": {"operationId": "tenant_balance", "responses": {"200": {"description": ""}}}}}
    with pytest.raises(ValueError, match="first segment is a parameter"):
        OperationRouter({"paths": paths})
