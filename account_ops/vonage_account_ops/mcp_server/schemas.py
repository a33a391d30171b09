"""The building blocks of the tools' JSON schemas, kept small: every tool's schemas are in every tools/list."""

from __future__ import annotations

from typing import Any

from vonage_account_ops.jobs import SERVICES

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
MONEY = {"type": ["string", "number"], "description": "EUR"}
NULL_STR = {"type": ["string", "null"]}
DRY_RUN = {"type": "boolean", "description": "Say what would happen; change nothing."}
SERVICE = {"type": "string", "enum": list(SERVICES)}
COUNTRY = {"type": "string", "pattern": "^[A-Za-z]{2}$"}
ANY_OBJECT = {"type": "object"}


def open_object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object with these properties (others allowed: an output may grow)."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def closed_object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object with these properties and no others (every input)."""
    return {**open_object(properties, required), "additionalProperties": False}


WEBHOOKS = open_object({"mo_callback_url": NULL_STR, "dr_callback_url": NULL_STR, "max_calls_per_second": INT})
SECRET_ROW = open_object({"id": STR, "created_at": STR, "in_use": {"type": ["boolean", "null"]}})
