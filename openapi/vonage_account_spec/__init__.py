"""The OpenAPI specs of this project, shipped as package data, and the small walks over them every part shares.

`account.yaml` is the Account API (the single source of truth: the client is generated from it, the mock serves it,
the ops layer and its MCP server read it); `mock-control.yaml` is the mock's control API; `callbacks.yaml` the
callbacks the mock sends, as the receiver sees them. This package imports nothing of ours, so the mock, the ops
layer and the tests can all depend on it without depending on each other.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "OPERATION_METHODS",
    "callbacks_spec_path",
    "control_spec_path",
    "load_spec",
    "operations",
    "resolve_refs",
    "spec_path",
    "unknown_operation",
    "unknown_status",
]


def _spec_file(name: str) -> Path:
    # Package data: the files sit beside this module in a checkout and in an installed wheel alike.
    return Path(str(resources.files(__name__).joinpath(name)))


def spec_path() -> Path:
    """The Account API spec, `account.yaml`."""
    return _spec_file("account.yaml")


def control_spec_path() -> Path:
    """The mock's control API spec, `mock-control.yaml`."""
    return _spec_file("mock-control.yaml")


def callbacks_spec_path() -> Path:
    """The callbacks the mock sends (inbound SMS, delivery receipts), as the receiver sees them: `callbacks.yaml`."""
    return _spec_file("callbacks.yaml")


@functools.cache
def load_spec(path: Path) -> dict[str, Any]:
    """The spec at `path`, parsed once (with libyaml when available). Treat it as read-only."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return document


def unknown_operation(operation_id: str) -> str | None:
    """Why `operation_id` is not one of the Account API's (with the closest ones, or the list), or None if it is."""
    import difflib

    from vonage_account_spec.operation_ids import OPERATION_IDS

    if operation_id in OPERATION_IDS:
        return None
    # An id inside the typo or the typo inside an id ("top_up_balance", "revoke") first, then the most alike.
    close: Sequence[str] = [known for known in OPERATION_IDS if operation_id in known or known in operation_id][:2]
    if not close:
        close = difflib.get_close_matches(operation_id, OPERATION_IDS, n=2, cutoff=0.5)
    if close:
        return f"no operation {operation_id!r} in the spec: did you mean {' or '.join(map(repr, close))}?"
    return f"no operation {operation_id!r} in the spec; the operations are {', '.join(OPERATION_IDS)}"


def unknown_status(status: int, operation_id: str | None = None) -> str | None:
    """Why no answer can have `status` (of `operation_id`, or of any operation), or None if one can."""
    from vonage_account_spec.operation_ids import DECLARED_STATUSES

    if operation_id is not None and operation_id in DECLARED_STATUSES:
        declared = DECLARED_STATUSES[operation_id]
        if status not in declared:
            return f"{operation_id} does not declare status {status} (it declares {', '.join(map(str, declared))})"
        return None
    if not any(status in declared for declared in DECLARED_STATUSES.values()):
        return f"no operation of the spec answers {status}"
    return None


OPERATION_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
"""The keys of an OpenAPI path item that hold operations."""


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """Every operation of `spec` as (path template, method, path item, operation), $refs left as they are."""
    for template, item in spec.get("paths", {}).items():
        for method in OPERATION_METHODS:
            if method in item:
                yield template, method, item, item[method]


def resolve_refs(node: Any, root: dict[str, Any]) -> Any:
    """A copy of `node` with every local $ref inlined (the specs have no recursive schemas)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = root
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve_refs(target, root)
        return {key: resolve_refs(value, root) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve_refs(item, root) for item in node]
    return node
