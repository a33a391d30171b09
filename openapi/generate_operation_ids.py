"""Writes `vonage_account_spec/operation_ids.py` from the spec: the operation ids, and the statuses each declares.

Run by `make generate`; `make check-generated` runs it into a temporary file and fails when the committed module
differs, so a consumer's typo in an operation id is caught by mypy and by the handle alike, and never drifts from
the spec. Usage: python openapi/generate_operation_ids.py [OUTPUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SPEC = HERE / "vonage_account_spec" / "account.yaml"
OUTPUT = HERE / "vonage_account_spec" / "operation_ids.py"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def render(spec: dict[str, object]) -> str:
    """The module's text."""
    statuses: dict[str, list[int]] = {}
    paths = spec["paths"]
    assert isinstance(paths, dict)
    for item in paths.values():
        for method in METHODS:
            if method in item:
                operation = item[method]
                statuses[operation["operationId"]] = sorted(int(code) for code in operation["responses"])
    ids = sorted(statuses)
    lines = [
        '"""The Account API\'s operation ids and the statuses each declares.',
        "",
        "Generated from account.yaml by openapi/generate_operation_ids.py: do not edit (`make generate` rewrites it,",
        '`make check-generated` checks it)."""',
        "",
        "from typing import Literal, get_args",
        "",
        "OperationId = Literal[",
        *(f'    "{operation_id}",' for operation_id in ids),
        "]",
        '"""An operation id of the spec: a typo is a type error."""',
        "",
        "OPERATION_IDS: tuple[OperationId, ...] = get_args(OperationId)",
        "",
        "DECLARED_STATUSES: dict[str, tuple[int, ...]] = {",
        *(f'    "{operation_id}": ({", ".join(map(str, statuses[operation_id]))}),' for operation_id in ids),
        "}",
        '"""The statuses each operation declares."""',
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    output.write_text(render(yaml.safe_load(SPEC.read_text(encoding="utf-8"))), encoding="utf-8")


if __name__ == "__main__":
    main()
