"""Tools declared where they are defined: the `@tool` decorator, and the list of tools it keeps in their order.

The names `tools/list` shows, the policy checks and `call_operation` holds operations to are all read from this
list; none is kept by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., dict[str, Any]])
Schema = dict[str, Any]


@dataclass(frozen=True)
class ToolSpec:
    """A tool: its name, what it does, its schemas and hints, the operations it covers, and the function behind it."""

    name: str
    description: str
    input_schema: Schema | Callable[[Any], Schema]
    """The schema, or a function of the catalog making it (call_operation's lists the operation ids)."""
    output_schema: Schema
    read_only: bool
    destructive: bool
    idempotent: bool
    open_world: bool
    operations: tuple[str, ...] = ()
    """The spec's operations this tool's policy governs when they are called through call_operation."""

    @property
    def writes(self) -> bool:
        """Whether the policy counts it as a write."""
        return not self.read_only

    def bound(self, catalog: Any, run: Callable[..., dict[str, Any]]) -> BoundTool:
        """The tool of one server: its input schema made for the catalog, and the method that runs it."""
        schema = self.input_schema if isinstance(self.input_schema, dict) else self.input_schema(catalog)
        return BoundTool(self, schema, run)


@dataclass(frozen=True)
class BoundTool:
    """A tool of one server, ready to list and to call."""

    spec: ToolSpec
    input_schema: Schema
    run: Callable[..., dict[str, Any]] = field(compare=False)

    @property
    def name(self) -> str:
        """The tool's name."""
        return self.spec.name

    @property
    def writes(self) -> bool:
        """Whether the policy counts it as a write."""
        return self.spec.writes


DECLARED: list[ToolSpec] = []
"""Every tool, in the order they are defined (and tools/list shows them)."""


def tool(
    description: str,
    *,
    input_schema: Schema | Callable[[Any], Schema],
    output_schema: Schema,
    read_only: bool,
    destructive: bool = False,
    idempotent: bool = True,
    open_world: bool = True,
    operations: tuple[str, ...] = (),
) -> Callable[[F], F]:
    """Declare the method below as a tool named after it."""

    def record(method: F) -> F:
        DECLARED.append(
            ToolSpec(
                method.__name__,
                description,
                input_schema,
                output_schema,
                read_only=read_only,
                destructive=destructive,
                idempotent=idempotent,
                open_world=open_world,
                operations=operations,
            )
        )
        return method

    return record
