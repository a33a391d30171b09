"""Keep generated data to what Python's and ECMAScript's regex dialects agree on."""

from __future__ import annotations

from typing import Any

from schemathesis.schemas import BaseSchema


def _no_final_newline(values: Any) -> bool:
    if not isinstance(values, dict):
        return True
    return not any(isinstance(value, str) and value.endswith("\n") for value in values.values())


def agree_on_regex_dialect(schema: BaseSchema) -> BaseSchema:
    """Drop generated values ending in a newline: hypothesis reads a pattern's `$` as Python does (a final newline
    may follow), while the spec's patterns are ECMAScript, where it may not — the mock and Prism both refuse them.
    """

    @schema.hook
    def filter_body(context: Any, body: Any) -> bool:
        return _no_final_newline(body)

    @schema.hook
    def filter_query(context: Any, query: Any) -> bool:
        return _no_final_newline(query)

    return schema
