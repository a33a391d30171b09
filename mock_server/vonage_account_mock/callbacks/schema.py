"""Every callback the mock sends is checked against `callbacks.yaml`, the receiver's side of the contract."""

from __future__ import annotations

import functools
from typing import Any

import jsonschema_rs

from vonage_account_spec import callbacks_spec_path, load_spec, resolve_refs

SCHEMAS = {"inbound-sms": "InboundSms", "delivery-receipt": "DeliveryReceipt"}


@functools.cache
def _validator(kind: str) -> Any:
    spec = load_spec(callbacks_spec_path())
    schema = resolve_refs(spec["components"]["schemas"][SCHEMAS[kind]], spec)
    return jsonschema_rs.validator_for(schema)


def payload_problems(kind: str, payload: dict[str, str]) -> list[str]:
    """Why `payload` is not a callback of `kind` as the spec describes it (empty when it is one)."""
    problems = []
    for error in _validator(kind).iter_errors(payload):
        where = "/".join(str(part) for part in error.instance_path) or "payload"
        problems.append(f"{where}: {error.message}")
    return problems
