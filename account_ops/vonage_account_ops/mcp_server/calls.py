"""call_operation's plumbing: the generated client's function for each operation, bound to checked arguments."""

from __future__ import annotations

import importlib
import inspect
import json
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


def bind(function: Callable[..., Any], operation: Operation, arguments: dict[str, Any]) -> Callable[[Any], Any]:
    """The call of `function` (an operation's `sync_detailed`) with `arguments`, to be made with a client."""
    signature = inspect.signature(function)
    kwargs: dict[str, Any] = {}
    body: dict[str, Any] = {}
    for param in operation.parameters:
        if param.name not in arguments:
            continue
        if param.location == "body":
            body[param.name] = arguments[param.name]
        else:
            python_name = param.name if param.name in signature.parameters else f"{param.name}_"
            kwargs[python_name] = arguments[param.name]
    if operation.body_type is not None:
        hints = typing.get_type_hints(function)
        model = next(t for t in typing.get_args(hints["body"]) or (hints["body"],) if hasattr(t, "from_dict"))
        kwargs["body"] = model.from_dict(body)
    return lambda client: function(client=client, **kwargs)


def has_parameter(operation: Operation, name: str) -> bool:
    return any(p.name == name for p in operation.parameters)


def request_plan(operation: Operation, arguments: dict[str, Any]) -> dict[str, Any]:
    path = operation.path
    query: dict[str, Any] = {}
    body: dict[str, Any] = {}
    for param in operation.parameters:
        if param.name not in arguments:
            continue
        if param.location == "path":
            path = path.replace("{" + param.name + "}", str(arguments[param.name]))
        elif param.location == "query":
            query[param.name] = arguments[param.name]
        else:
            body[param.name] = arguments[param.name]
    plan: dict[str, Any] = {"method": operation.method, "host": operation.host, "path": path}
    if query:
        plan["query"] = query
    if operation.body_type:
        plan["body"] = body
    return plan


def json_body(content: bytes) -> Any:
    try:
        return json.loads(content) if content else None
    except ValueError:
        return None
