"""The reference text the site makes from the code and the specs, so a page cannot drift from what it describes.

Each generator returns Markdown for one `<!-- generated: NAME -->` line of a page (hooks.py puts it there). Where the
prose lives in the code (the exit codes' docstrings and help), the generator also checks it against the values the
code uses, and a disagreement fails the build.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any


def _cell(text: object) -> str:
    """One table cell: on one line, with pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def attribute_docstrings(module: ModuleType, owner: str | None = None) -> dict[str, str]:
    """The docstrings written under a module's (or one of its classes') assignments, by name: what runtime loses."""
    tree = ast.parse(Path(inspect.getfile(module)).read_text(encoding="utf-8"))
    body: list[ast.stmt] = tree.body
    if owner is not None:
        body = next(n.body for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner)
    found: dict[str, str] = {}
    for statement, following in itertools.pairwise(body):
        target: ast.expr | None = statement.target if isinstance(statement, ast.AnnAssign) else None
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
        if (
            isinstance(target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[target.id] = inspect.cleandoc(following.value.value)
    return found


# -- the control API, from mock-control.yaml ----------------------------------------------------------------------


def _type_of(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    kinds = schema.get("type") or ("one of" if "oneOf" in schema or "anyOf" in schema else "any")
    if kinds == "array":
        return f"array of {_type_of(schema.get('items') or {})}"
    shown = str(kinds)
    if "format" in schema:
        shown += f" ({schema['format']})"
    if schema.get("nullable"):
        shown += ", or null"
    return shown


def _fields(schema: dict[str, Any], prefix: str = "") -> list[tuple[str, str, str, str]]:
    """(name, type, required, description) of an object schema's properties, nested objects one level down."""
    rows: list[tuple[str, str, str, str]] = []
    required = set(schema.get("required", ()))
    for name, prop in (schema.get("properties") or {}).items():
        rows.append(
            (f"`{prefix}{name}`", _type_of(prop), "yes" if name in required else "", prop.get("description", ""))
        )
        if not prefix and prop.get("type") == "object" and prop.get("properties"):
            rows += _fields(prop, f"{name}.")
    return rows


def control_api() -> str:
    """Every operation of the control API: its path, what it does, its parameters and body, its answers."""
    from vonage_account_spec import control_spec_path, load_spec
    from vonage_account_spec.model import operation_model

    spec = load_spec(control_spec_path())
    prefix = spec["servers"][0]["url"]
    by_tag: dict[str, list[Any]] = {tag["name"]: [] for tag in spec.get("tags", [])}
    for operation in operation_model(spec).values():
        by_tag.setdefault(operation.tags[0] if operation.tags else "Other", []).append(operation)
    parts: list[str] = []
    for tag in spec.get("tags", []):
        parts.append(f"## {tag['name']}\n\n{tag.get('description', '')}\n")
        for op in by_tag[tag["name"]]:
            parts.append(f"### `{op.method} {prefix}{op.template}` {{ #{op.operation_id} }}\n")
            parts.append(f"**{op.summary}** (operation id `{op.operation_id}`)\n")
            if op.description:
                parts.append(op.description.strip() + "\n")
            if op.parameters:
                rows = [
                    (f"`{p.name}`", p.location, "yes" if p.required else "", _type_of(p.schema), p.description)
                    for p in op.parameters
                ]
                parts.append(_table(["parameter", "in", "required", "type", "description"], rows))
            if op.body is not None:
                for media in op.body.content:
                    fields = _fields(media.schema)
                    parts.append(f"Body (`{media.media_type}`{', required' if op.body.required else ''}):\n")
                    if fields:
                        parts.append(_table(["field", "type", "required", "description"], fields))
            answers = [(f"{r.status}", r.description) for r in op.responses.values()]
            parts.append(_table(["answer", "when"], answers))
    return "\n".join(parts)


# -- the Account API's operation ids -------------------------------------------------------------------------------


def operation_ids() -> str:
    """The Account API's operations by id, with their method, path and declared statuses."""
    from vonage_account_spec import load_spec, spec_path
    from vonage_account_spec.model import operation_model
    from vonage_account_spec.operation_ids import DECLARED_STATUSES, OPERATION_IDS

    model = operation_model(load_spec(spec_path()))
    if sorted(model) != sorted(OPERATION_IDS):
        raise ValueError("operation_ids.py is not the spec's: run `make generate`")
    rows = [
        (f"`{op.operation_id}`", f"`{op.method} {op.template}`", op.summary, ", ".join(map(str, statuses)))
        for op in sorted(model.values(), key=lambda op: op.operation_id)
        for statuses in [DECLARED_STATUSES[op.operation_id]]
    ]
    return _table(["operation id", "request", "what it does", "statuses it declares"], rows)


# -- exit codes, from where the code defines them ------------------------------------------------------------------

_CODE = re.compile(r"(?:^|[,;:]\s+)(\d) ")


def _codes_in(prose: str) -> list[tuple[int, str]]:
    """`0 done; 1 a check failed; ...` as (code, meaning) pairs."""
    prose = prose.strip()
    starts = list(_CODE.finditer(prose))
    pairs = []
    for match, following in zip(starts, [*starts[1:], None], strict=True):
        meaning = prose[match.end() : following.start() if following else len(prose)]
        pairs.append((int(match.group(1)), meaning.strip(" ,;.\n")))
    return pairs


def exit_codes_mock() -> str:
    """`vonage-account-mock`'s exit codes: serve's from its --help epilog, send's from its help, checked against
    the constants the commands exit with."""
    from vonage_account_mock.serving import cli, running_cli

    serve = _codes_in(cli.EXIT_CODES_HELP.replace("\b", "").split(":", 1)[1])
    used = {cli.EXIT_USAGE, cli.EXIT_BAD_FILE, cli.EXIT_CANNOT_LISTEN}
    if not used <= {code for code, _ in serve}:
        raise ValueError(f"EXIT_CODES_HELP does not name every code serve exits with: {sorted(used)}")
    send_help = inspect.getdoc(running_cli.send.callback) or ""
    send = _codes_in(send_help[send_help.index("(exit") + len("(exit") : send_help.rindex(")")])
    if running_cli.NOT_DELIVERED not in {code for code, _ in send}:
        raise ValueError("send's help does not name NOT_DELIVERED")
    rows = [("`serve`", code, meaning) for code, meaning in serve]
    rows += [("`send ...`", code, meaning) for code, meaning in send]
    return _table(["command", "exit", "meaning"], rows)


def exit_codes_account() -> str:
    """`vonage-account`'s exit codes: the meanings from the CLI's docstring, then each error class that exits with
    each, checked against the codes the classes and the CLI's constants use."""
    import vonage_account_ops.cli as account_cli
    from vonage_account_ops import errors
    from vonage_account_ops.cli import framework
    from vonage_account_ops.jobs import rotation, top_up, webhooks

    doc = inspect.getdoc(account_cli) or ""
    meanings = dict(_codes_in(doc[doc.index("Exit codes:") + len("Exit codes:") :]))
    classes: dict[int, list[str]] = {}
    for module in (errors, rotation, top_up, webhooks):
        for name, value in vars(module).items():
            code = getattr(value, "exit_code", None)
            if inspect.isclass(value) and isinstance(code, int) and value.__module__ == module.__name__:
                first = (inspect.getdoc(value) or "").splitlines()
                classes.setdefault(code, []).append(f"`{name}`: {first[0] if first else ''}")
    constants = {value for name, value in vars(framework).items() if name.startswith("EXIT_")}
    missing = (set(classes) | constants) - set(meanings)
    if missing:
        raise ValueError(f"the vonage_account_ops.cli docstring does not say what exit {sorted(missing)} means")
    rows = [(code, meanings[code], "<br>".join(sorted(classes.get(code, [])))) for code in sorted(meanings)]
    return _table(["exit", "meaning", "raised as (library)"], rows)


# -- limits, from the constants and the config objects' defaults ---------------------------------------------------


def _option_rows(config: Any, table: Iterable[tuple[str, str, Any, str]]) -> list[tuple[str, str, str]]:
    defaults = {f.name: f.default for f in dataclasses.fields(config)}
    return [(f"`{flag}`", f"{defaults[field]:,}", text) for flag, field, _, text in table]


def limits_flags() -> str:
    """The bounds `serve` takes as flags: each flag, its default (the config object's own) and its help."""
    from vonage_account_mock.callbacks.delivery import DeliveryPolicy
    from vonage_account_mock.layers.limits import ShapeLimits
    from vonage_account_mock.serving import options
    from vonage_account_mock.serving.protocol import ConnectionLimits

    rows = _option_rows(ConnectionLimits, options.CONNECTION_OPTIONS)
    rows += _option_rows(ShapeLimits, options.SHAPE_OPTIONS)
    rows += _option_rows(DeliveryPolicy, options.CALLBACK_OPTIONS)
    return _table(["serve flag", "default", "what it bounds"], rows)


_FIXED: tuple[tuple[str, str, str], ...] = (
    ("vonage_account_mock.state.models", "MAX_SECRETS", "Active secrets per api_key (the API's rule: a third is 403)."),
    ("vonage_account_mock.state.models", "SECRET_MIN_LENGTH", "Characters of a new secret, at least."),
    ("vonage_account_mock.state.models", "SECRET_MAX_LENGTH", "Characters of a new secret, at most."),
    ("vonage_account_mock.state.models", "MAX_API_KEY_LENGTH", ""),
    ("vonage_account_mock.state.records", "STORED_SECRET_MAX_LENGTH", ""),
    ("vonage_account_mock.state.models", "MAX_PROVISIONED", ""),
    ("vonage_account_mock.state.models", "MAX_SENDERS", ""),
    ("vonage_account_mock.layers.wire", "MAX_BODY_BYTES", "Bytes of a request body (413 beyond)."),
    ("vonage_account_mock.layers.journal", "MAX_ENTRIES", "Requests the journal keeps, the oldest dropped first."),
    ("vonage_account_mock.layers.journal", "MAX_STRING", "Characters of a string the journal keeps; longer ones cut."),
    ("vonage_account_mock.callbacks.delivery", "LOOKUPS_PER_ACCOUNT", ""),
    ("vonage_account_ops.mcp_server.server", "MAX_HTTP_SESSIONS", "MCP sessions open at once over HTTP (503 beyond)."),
    (
        "vonage_account_ops.mcp_server.server",
        "HTTP_SESSION_IDLE_SECONDS",
        "Seconds an MCP HTTP session stays open without a request.",
    ),
)
"""(module, constant, what it bounds): empty where the constant's own docstring says it."""


def limits_fixed() -> str:
    """The bounds that are constants of the code: each value, and what it bounds (its docstring where it has one)."""
    import importlib

    from vonage_account_mock.callbacks.delivery import DeliveryPolicy

    rows: list[tuple[str, str, str]] = []
    for module_name, name, text in _FIXED:
        module = importlib.import_module(module_name)
        value = getattr(module, name)
        what = text or attribute_docstrings(module).get(name, "")
        if not what:
            raise ValueError(f"say what {module_name}.{name} bounds (a docstring under it, or in _FIXED)")
        rows.append((f"`{name}`", f"{value:,}", what))
    policy, documented = DeliveryPolicy(), attribute_docstrings(importlib.import_module(DeliveryPolicy.__module__))
    documented |= attribute_docstrings(importlib.import_module(DeliveryPolicy.__module__), "DeliveryPolicy")
    for field in ("max_concurrent", "max_in_flight", "max_records"):
        rows.append((f"`DeliveryPolicy.{field}`", f"{getattr(policy, field):,}", documented[field]))
    rows.append(("`DeliveryPolicy.account_pending`", f"{policy.account_pending:,}", "Callbacks pending per account."))
    return _table(["constant", "value", "what it bounds"], rows)


GENERATORS: dict[str, Callable[[], str]] = {
    "control-api": control_api,
    "operation-ids": operation_ids,
    "exit-codes-mock": exit_codes_mock,
    "exit-codes-account": exit_codes_account,
    "limits-flags": limits_flags,
    "limits-fixed": limits_fixed,
}


def mcp_tools() -> str:
    """The MCP server's tools as `@tool` declares them: what each does, its hints, the operations it governs."""
    from vonage_account_ops.mcp_server.registry import DECLARED
    from vonage_account_ops.mcp_server.tools import TOOL_NAMES

    if [spec.name for spec in DECLARED] != list(TOOL_NAMES):
        raise ValueError("the declared tools are not TOOL_NAMES")
    rows = []
    for spec in DECLARED:
        hints = [
            name
            for name, on in (
                ("read-only", spec.read_only),
                ("destructive", spec.destructive),
                ("idempotent", spec.idempotent and not spec.read_only),
            )
            if on
        ]
        governs = ", ".join(f"`{operation}`" for operation in spec.operations)
        rows.append((f"`{spec.name}`", spec.description, ", ".join(hints), governs))
    return _table(["tool", "what it does", "hints", "holds `call_operation` of"], rows)


GENERATORS["mcp-tools"] = mcp_tools


def import_contracts() -> str:
    """The layering rules `lint-imports` checks, by the names pyproject.toml gives them."""
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    contracts = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    return "\n".join(f"- {contract['name']}." for contract in contracts) + "\n"


GENERATORS["import-contracts"] = import_contracts


def bench_run() -> str:
    """How the latest bench run was made, from the figures' own file (docs/bench/latest.json)."""
    import json

    latest = json.loads((Path(__file__).resolve().parents[1] / "bench" / "latest.json").read_text(encoding="utf-8"))
    machine = latest["machine"]
    pinned = ", the servers pinned to one core and wrk to another" if machine.get("pinned") else ""
    return (
        f"This run: {latest['runs']} runs of {latest['seconds_per_run']} s per target and scenario, "
        f"{latest['connections']} connections and {latest['threads']} threads, on {machine['cores']} cores "
        f"({machine['cpu']}){pinned}; Python {machine['python']}, Node {machine['node']}, uvicorn "
        f"{machine['uvicorn']}.\n"
    )


GENERATORS["bench-run"] = bench_run


def bench_mcp() -> str:
    """The MCP server's figures, from docs/bench/mcp.json."""
    import json

    mcp = json.loads((Path(__file__).resolve().parents[1] / "bench" / "mcp.json").read_text(encoding="utf-8"))
    rows = [
        (
            "`tools/list` answer",
            f"{mcp['tools_list_characters']:,} characters (about {mcp['tools_list_tokens_estimate']:,} "
            f"tokens) for {mcp['tools']} tools",
        ),
        ("cold start to the first `tools/list` answer", f"{mcp['cold_start_to_first_tools_list_s']['median']:.2f} s"),
        ("a tool call over the same call made directly", f"+{mcp['mcp_overhead_ms_median']:.2f} ms"),
    ]
    return _table(["MCP server (median)", "measured"], rows)


GENERATORS["bench-mcp"] = bench_mcp
