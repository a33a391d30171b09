"""The specs the mock serves: where they are, parsed once, and the small walks over them the layers share."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


def _spec_file(name: str) -> Path:
    repo_copy = Path(__file__).resolve().parent.parent / "openapi" / name
    if repo_copy.is_file():
        return repo_copy
    return Path(str(resources.files("mock_server").joinpath(f"openapi/{name}")))


def spec_path() -> Path:
    """The Account API spec: the repository's `openapi/account.yaml`, or the copy shipped in the package."""
    return _spec_file("account.yaml")


def control_spec_path() -> Path:
    """The control API spec, `openapi/mock-control.yaml`."""
    return _spec_file("mock-control.yaml")


@functools.cache
def load_spec(path: Path) -> dict[str, Any]:
    """The spec at `path`, parsed once (with libyaml when available). Treat it as read-only."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return document


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


def path_pattern(template: str) -> re.Pattern[str]:
    """A path template (`/accounts/{api_key}/secrets`) as a regex with one named group per segment parameter."""
    pattern = re.sub(r"\\\{([A-Za-z_][A-Za-z0-9_]*)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{pattern}$")
