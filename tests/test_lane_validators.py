"""The express lane's compiled validators never accept what the full path's validators refuse.

The express lane answers a request only when its own (Rust) validators accept every parameter and the body; the full
path checks with Python's jsonschema and the mock's ECMAScript pattern rules. Accepting more would let a bad request
past, so every schema of the spec is probed with values near and far from valid, odd Unicode included.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vonage_account_mock.full_path.speedups import compiled
from vonage_account_mock.full_path.validation import ParameterSchemaValidator, RequestSchemaValidator
from vonage_account_mock.layers.express import accepts, build_operations
from vonage_account_mock.layers.handlers import AccountApiHandlers
from vonage_account_mock.state.models import AccountBackend
from vonage_account_spec import load_spec, operations, resolve_refs, spec_path

SPEC = load_spec(spec_path())
OPERATIONS = build_operations(SPEC, AccountApiHandlers(AccountBackend()))


def _definitions() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(path item, operation) of every operation, $refs resolved."""
    return [(resolve_refs(item, SPEC), resolve_refs(operation, SPEC)) for _, _, item, operation in operations(SPEC)]


def _parameters() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (definition["operationId"], param["name"], param["schema"])
        for item, definition in _definitions()
        for param in item.get("parameters", []) + definition.get("parameters", [])
    ]


def _bodies() -> list[tuple[str, dict[str, Any]]]:
    bodies = []
    for _, definition in _definitions():
        if "requestBody" in definition:
            content = definition["requestBody"]["content"]
            bodies.append((definition["operationId"], content[next(iter(content))]["schema"]))
    return bodies


def _parameter_id(value: Any) -> str:
    return "" if isinstance(value, dict) else str(value)


def _body_id(value: Any) -> str:
    return "body" if isinstance(value, dict) else str(value)


# Every code point, lone surrogates and line breaks too: the two regex engines differ most at the edges
# (Arabic-Indic and full-width digits and letters, accents).
ANY_CHARACTER = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, categories=None)
EDGES = st.sampled_from(["\n", "\r", "\u2028", " ", "\x00", "\ud800", "\u0661", "\uff21", "\u00e9", "@", ":", "/", "%"])


def _strings(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    near: list[st.SearchStrategy[str]] = [st.text(ANY_CHARACTER, max_size=30)]
    if "example" in schema:
        near.append(st.just(str(schema["example"])))
    if "enum" in schema:
        near.append(st.sampled_from([str(value) for value in schema["enum"]]))
    if "pattern" in schema:
        near.append(st.from_regex(schema["pattern"].removesuffix("$") + r"\Z"))
    valid_ish = st.one_of(near)
    # Valid-looking values with an edge character slipped in, at either end or inside.
    mutated = st.tuples(valid_ish, EDGES, st.integers(min_value=0, max_value=40)).map(
        lambda parts: parts[0][: parts[2]] + parts[1] + parts[0][parts[2] :]
    )
    return st.one_of(valid_ish, mutated)


def _values(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        _strings(schema), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(), st.lists(st.text())
    )


def _documents(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    properties = schema.get("properties", {})
    known = st.fixed_dictionaries({}, optional={name: _values(sub) for name, sub in properties.items()})
    extra = st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=2)
    return st.one_of(known, st.tuples(known, extra).map(lambda parts: {**parts[1], **parts[0]}), st.lists(st.text()))


@pytest.mark.parametrize(("operation_id", "name", "schema"), _parameters(), ids=_parameter_id)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_parameters(operation_id: str, name: str, schema: dict[str, Any], data: st.DataObject) -> None:
    express = next(p for p in OPERATIONS[operation_id].query + OPERATIONS[operation_id].path if p.name == name)
    full = compiled(schema, ParameterSchemaValidator)
    value = data.draw(_strings(schema))
    if accepts(express.validator, value):
        assert full.is_valid(value), f"{operation_id} {name}: the express lane accepts {value!r}"


@pytest.mark.parametrize(("operation_id", "schema"), _bodies(), ids=_body_id)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_bodies(operation_id: str, schema: dict[str, Any], data: st.DataObject) -> None:
    express = OPERATIONS[operation_id].body_validator
    full = compiled(schema, RequestSchemaValidator)
    document = data.draw(_documents(schema))
    if accepts(express, document):
        assert full.is_valid(document), f"{operation_id}: the express lane accepts {document!r}"


@pytest.mark.parametrize(("operation_id", "name", "schema"), _parameters(), ids=_parameter_id)
def test_the_express_lane_accepts_the_spec_examples(operation_id: str, name: str, schema: dict[str, Any]) -> None:
    # Without this, a lane that refused everything would pass the tests above.
    express = next(p for p in OPERATIONS[operation_id].query + OPERATIONS[operation_id].path if p.name == name)
    assert accepts(express.validator, str(schema["example"]))
