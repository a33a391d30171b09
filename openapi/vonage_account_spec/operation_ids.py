"""The Account API's operation ids and the statuses each declares.

Generated from account.yaml by openapi/generate_operation_ids.py: do not edit (`make generate` rewrites it,
`make check-generated` checks it)."""

from typing import Literal, get_args

OperationId = Literal[
    "create_secret",
    "get_balance",
    "get_country_pricing",
    "get_full_pricing",
    "get_prefix_pricing",
    "get_secret",
    "list_secrets",
    "register_sender",
    "revoke_secret",
    "top_up",
    "update_settings",
]
"""An operation id of the spec: a typo is a type error."""

OPERATION_IDS: tuple[OperationId, ...] = get_args(OperationId)

DECLARED_STATUSES: dict[str, tuple[int, ...]] = {
    "create_secret": (201, 400, 401, 403, 404, 413, 415, 429, 431, 500),
    "get_balance": (200, 400, 401, 429, 431, 500),
    "get_country_pricing": (200, 400, 401, 404, 429, 431, 500),
    "get_full_pricing": (200, 400, 401, 404, 429, 431, 500),
    "get_prefix_pricing": (200, 400, 401, 404, 429, 431, 500),
    "get_secret": (200, 400, 401, 404, 429, 431, 500),
    "list_secrets": (200, 400, 401, 404, 429, 431, 500),
    "register_sender": (200, 400, 401, 413, 415, 429, 431, 500),
    "revoke_secret": (204, 400, 401, 403, 404, 429, 431, 500),
    "top_up": (200, 400, 401, 413, 429, 431, 500),
    "update_settings": (200, 400, 401, 413, 429, 431, 500),
}
"""The statuses each operation declares."""
