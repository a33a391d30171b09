"""A spec parsed once into an operation model: each operation with its parameters, body, responses and security.

The parts that need a spec's operations — the mock's routers, express lane and fault catalog, the MCP server's
catalog — build from this model, so the walk over the document and the merge of path-level with operation-level
parameters are written once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

_NO_EXAMPLE: Any = object()


@dataclass(frozen=True)
class Parameter:
    """A path, query, header or cookie parameter, its schema resolved."""

    name: str
    location: str
    required: bool
    schema: dict[str, Any]
    description: str = ""


@dataclass(frozen=True)
class MediaType:
    """A body or an answer of one media type: its schema and its example, when the spec gives one."""

    media_type: str
    schema: dict[str, Any]
    example: Any = _NO_EXAMPLE

    @property
    def has_example(self) -> bool:
        """Whether the spec gives an example (`example`, or the first of `examples`)."""
        return self.example is not _NO_EXAMPLE


@dataclass(frozen=True)
class RequestBody:
    """What an operation takes as its body, by media type in the spec's order."""

    required: bool
    content: tuple[MediaType, ...]


@dataclass(frozen=True)
class Response:
    """A declared answer: its status and its bodies by media type (none for a bodiless answer)."""

    status: int
    description: str
    content: tuple[MediaType, ...]


@dataclass(frozen=True)
class Operation:
    """One operation of the spec."""

    operation_id: str
    method: str
    """Upper case: GET, POST, ..."""
    template: str
    summary: str
    description: str
    tags: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    """Path-level parameters first, then the operation's own; one of its own replaces a path-level one of the same
    name and location, as OpenAPI says."""
    body: RequestBody | None
    responses: dict[int, Response]
    security: tuple[dict[str, list[str]], ...]
    servers: tuple[str, ...]
    """The server URLs that apply: the operation's own, else its path's, else the spec's."""
    definition: dict[str, Any] = field(repr=False, compare=False)
    """The operation's object, every $ref inlined, for what the model does not name."""

    def parameters_in(self, location: str) -> tuple[Parameter, ...]:
        """The parameters of one location (`path`, `query`, ...)."""
        return tuple(p for p in self.parameters if p.location == location)


METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _media(content: dict[str, Any]) -> tuple[MediaType, ...]:
    types = []
    for media_type, entry in content.items():
        example = entry.get("example", _NO_EXAMPLE)
        if example is _NO_EXAMPLE and entry.get("examples"):
            example = next(iter(entry["examples"].values())).get("value")
        types.append(MediaType(media_type, entry.get("schema") or {}, example))
    return tuple(types)


def _parameters(shared: list[dict[str, Any]], own: list[dict[str, Any]]) -> tuple[Parameter, ...]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for param in [*shared, *own]:
        merged[(param["name"], param["in"])] = param
    return tuple(
        Parameter(p["name"], p["in"], bool(p.get("required")), p.get("schema") or {}, p.get("description", ""))
        for p in merged.values()
    )


def build_model(spec: dict[str, Any]) -> dict[str, Operation]:
    """Every operation of `spec` by its operationId, in the spec's order."""
    from vonage_account_spec import resolve_refs

    root_servers = tuple(s["url"] for s in spec.get("servers", []))
    model: dict[str, Operation] = {}
    for template, item in spec.get("paths", {}).items():
        shared = [resolve_refs(p, spec) for p in item.get("parameters", [])]
        item_servers = tuple(s["url"] for s in item.get("servers", [])) or root_servers
        for method in METHODS:
            if method not in item:
                continue
            definition = resolve_refs(item[method], spec)
            body = definition.get("requestBody")
            operation = Operation(
                operation_id=definition["operationId"],
                method=method.upper(),
                template=template,
                summary=definition.get("summary", ""),
                description=definition.get("description", ""),
                tags=tuple(definition.get("tags", ())),
                parameters=_parameters(shared, definition.get("parameters", [])),
                body=RequestBody(bool(body.get("required")), _media(body.get("content", {}))) if body else None,
                responses={
                    int(status): Response(
                        int(status), answer.get("description", ""), _media(answer.get("content") or {})
                    )
                    for status, answer in definition.get("responses", {}).items()
                },
                security=tuple(definition.get("security", spec.get("security", []))),
                servers=tuple(s["url"] for s in definition.get("servers", [])) or item_servers,
                definition=definition,
            )
            model[operation.operation_id] = operation
    return model


_BUILT: dict[int, tuple[dict[str, Any], dict[str, Operation]]] = {}
_LOCK = threading.Lock()


def operation_model(spec: dict[str, Any]) -> dict[str, Operation]:
    """The model of `spec`, built once per spec object (the loaded specs are read-only and cached)."""
    with _LOCK:
        built = _BUILT.get(id(spec))
        if built is None or built[0] is not spec:
            built = _BUILT[id(spec)] = (spec, build_model(spec))
        return built[1]
