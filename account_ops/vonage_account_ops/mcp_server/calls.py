"""call_operation's plumbing: the generated client's function for each operation, bound to checked arguments."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing
from collections.abc import Callable
from typing import Any

from vonage_account_ops.mcp_server.catalog import Operation
from vonage_account_ops.mcp_server.failures import check_schema


def check_arguments(operation: Operation, arguments: dict[str, Any]) -> None:
    """Check `arguments` against the operation's input schema; the error names the field and the rule."""
    check_schema(operation.input_schema, arguments, f"call_operation({operation.operation_id})")


def client_functions() -> dict[str, Callable[..., Any]]:
    """Each operationId's `sync_detailed` in the generated client (its modules are named after the operationIds)."""
    import vonage_account_client.api as api

    found: dict[str, Callable[..., Any]] = {}
    for group in pkgutil.iter_modules(api.__path__):
        package = importlib.import_module(f"{api.__name__}.{group.name}")
        for module in pkgutil.iter_modules(package.__path__):
            found[module.name] = importlib.import_module(f"{package.__name__}.{module.name}").sync_detailed
    return found


def _by_location(operation: Operation, arguments: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The arguments given, by where they go: `path`, `query` or `body`."""
    parts: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "body": {}}
    for param in operation.parameters:
        if param.name in arguments:
            parts[param.location][param.name] = arguments[param.name]
    return parts


def bind(function: Callable[..., Any], operation: Operation, arguments: dict[str, Any]) -> Callable[[Any], Any]:
    """The call of `function` (an operation's `sync_detailed`) with `arguments`, to be made with a client."""
    signature = inspect.signature(function)
    parts = _by_location(operation, arguments)
    kwargs = {
        name if name in signature.parameters else f"{name}_": value
        for name, value in {**parts["path"], **parts["query"]}.items()
    }
    if operation.body_type is not None:
        hints = typing.get_type_hints(function)
        model = next(t for t in typing.get_args(hints["body"]) or (hints["body"],) if hasattr(t, "from_dict"))
        kwargs["body"] = model.from_dict(parts["body"])
    return lambda client: function(client=client, **kwargs)


def has_parameter(operation: Operation, name: str) -> bool:
    """Whether the operation takes a parameter of that name."""
    return any(p.name == name for p in operation.parameters)


def request_plan(operation: Operation, arguments: dict[str, Any]) -> dict[str, Any]:
    """What a call with `arguments` would send: method, host, path, query and body (a dry run's answer)."""
    parts = _by_location(operation, arguments)
    path = operation.path
    for name, value in parts["path"].items():
        path = path.replace("{" + name + "}", str(value))
    plan: dict[str, Any] = {"method": operation.method, "host": operation.host, "path": path}
    if parts["query"]:
        plan["query"] = parts["query"]
    if operation.body_type:
        plan["body"] = parts["body"]
    return plan
