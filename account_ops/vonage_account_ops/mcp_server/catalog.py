"""The spec's operations as an agent sees them: input schemas without credentials, and search by intent.

Ranking is plain lexical scoring (no model to download): the query's words, stemmed and widened by a small table of
synonyms, are looked up in each operation's id, summary, tags, description and parameter names, weighted by field
and by how rare the word is among the operations.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from vonage_account_spec import load_spec, spec_path
from vonage_account_spec.model import Operation as SpecOperation
from vonage_account_spec.model import operation_model

# Arguments an agent never gives: a secret value and a payment reference come from the operator's configuration.
HIDDEN_FIELDS = {"create_secret": ("secret",), "top_up": ("trx",)}
USE_INSTEAD = {
    "create_secret": "rotate_secret",
    "top_up": "top_up_if_below_floor",
}
CREDENTIAL_PARAMETERS = {"api_secret"}
"""Query credentials of the older specs; never part of an input schema."""

_OPENAPI_ONLY = {"example", "examples", "xml", "externalDocs", "deprecated", "discriminator", "readOnly", "writeOnly"}


@dataclass(frozen=True)
class Parameter:
    """One argument of an operation: where it goes on the wire and its schema."""

    name: str
    location: str  # path, query or body
    required: bool
    schema: dict[str, Any]


@dataclass(frozen=True)
class Operation:
    """An operation of the Account API, described for agents."""

    operation_id: str
    method: str
    path: str
    summary: str
    description: str
    tags: tuple[str, ...]
    host: str  # rest or api
    body_type: str | None
    parameters: tuple[Parameter, ...]
    hidden: tuple[str, ...] = ()
    use_instead: str | None = None
    input_schema: dict[str, Any] = field(default_factory=dict)

    @property
    def writes(self) -> bool:
        """Whether the operation changes anything (every method but GET)."""
        return self.method != "GET"

    def listing(self) -> dict[str, Any]:
        """What `search_operations` shows of it."""
        shown: dict[str, Any] = {
            "operation_id": self.operation_id,
            "method": self.method,
            "path": self.path,
            "summary": self.summary,
            "input_schema": self.input_schema,
        }
        if self.use_instead:
            shown["use_instead"] = self.use_instead
        return shown


def json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3.0 schema as JSON Schema: `nullable` becomes a type list, OpenAPI-only keywords go."""
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _OPENAPI_ONLY or key == "nullable":
            continue
        if key == "properties":
            converted[key] = {
                name: json_schema(prop) for name, prop in value.items() if prop.get("readOnly") is not True
            }
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            converted[key] = json_schema(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            converted[key] = [json_schema(part) for part in value]
        else:
            converted[key] = value
    if schema.get("nullable") and "type" in converted:
        converted["type"] = [converted["type"], "null"]
    return converted


def _host(operation: SpecOperation) -> str:
    url = operation.servers[0] if operation.servers else ""
    return "api" if "://api." in url else "rest"


def _operation(spec_operation: SpecOperation) -> Operation:
    operation_id = spec_operation.operation_id
    hidden = HIDDEN_FIELDS.get(operation_id, ())
    parameters: list[Parameter] = []
    for declared in spec_operation.parameters:
        if declared.name in CREDENTIAL_PARAMETERS or declared.location not in ("path", "query"):
            continue
        schema = json_schema({**declared.schema, "description": declared.description})
        parameters.append(Parameter(declared.name, declared.location, declared.required, schema))
    body_type = None
    if spec_operation.body is not None and spec_operation.body.content:
        media = spec_operation.body.content[0]
        body_type = media.media_type
        required = set(media.schema.get("required", []))
        for name, prop in media.schema.get("properties", {}).items():
            if prop.get("readOnly") is True:
                continue
            parameters.append(Parameter(name, "body", name in required, json_schema(prop)))
    properties: dict[str, Any] = {}
    required_names: list[str] = []
    for param in parameters:
        if param.name in hidden:
            continue
        schema = dict(param.schema)
        if param.name == "api_key" and param.location == "path":
            # Filled in from the configured credentials; another key only for a sub-account that key manages.
            schema["description"] = "Defaults to the configured key; another key only for a sub-account it manages."
        elif param.required:
            required_names.append(param.name)
        properties[param.name] = {k: v for k, v in schema.items() if v != ""}
    if spec_operation.method != "GET":
        properties["dry_run"] = {"type": "boolean", "description": "Say what would be sent, send nothing."}
    input_schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required_names:
        input_schema["required"] = required_names
    return Operation(
        operation_id=operation_id,
        method=spec_operation.method,
        path=spec_operation.template,
        summary=spec_operation.summary,
        description=" ".join(spec_operation.description.split()),
        tags=spec_operation.tags,
        host=_host(spec_operation),
        body_type=body_type,
        parameters=tuple(parameters),
        hidden=hidden,
        use_instead=USE_INSTEAD.get(operation_id),
        input_schema=input_schema,
    )


# -- search ----------------------------------------------------------------------------------------------------------

# Words agents and people use for the API's own terms; each maps to words the spec uses.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "credit": ("balance",),
    "funds": ("balance",),
    "fund": ("balance",),
    "money": ("balance",),
    "remaining": ("balance",),
    "left": ("balance",),
    "afford": ("balance",),
    "enough": ("balance",),
    "enabled": ("balance",),
    "cash": ("balance",),
    "wallet": ("balance",),
    "key": ("secret",),
    "keys": ("secret",),
    "password": ("secret",),
    "credential": ("secret",),
    "token": ("secret",),
    "rotate": ("secret", "create"),
    "rotation": ("secret", "create"),
    "mint": ("create",),
    "generate": ("create",),
    "new": ("create",),
    "add": ("create",),
    "issue": ("create",),
    "make": ("create",),
    "delete": ("revoke",),
    "remove": ("revoke",),
    "disable": ("revoke",),
    "retire": ("revoke",),
    "invalidate": ("revoke",),
    "kill": ("revoke",),
    "drop": ("revoke",),
    "destroy": ("revoke",),
    "cancel": ("revoke",),
    "old": ("revoke",),
    "show": ("list", "get"),
    "see": ("list", "get"),
    "all": ("list", "full", "every"),
    "every": ("list", "full"),
    "enumerate": ("list",),
    "which": ("list",),
    "inspect": ("get",),
    "details": ("get",),
    "when": ("get", "time"),
    "starting": ("prefix",),
    "begin": ("prefix",),
    "detail": ("get",),
    "webhook": ("webhooks", "settings", "callback"),
    "callback": ("webhooks", "settings"),
    "url": ("webhooks", "settings"),
    "endpoint": ("webhooks", "settings"),
    "dlr": ("delivery", "receipt", "webhooks"),
    "receipts": ("receipt",),
    "inbound": ("inbound", "webhooks"),
    "incoming": ("inbound", "webhooks"),
    "mo": ("inbound", "webhooks"),
    "handler": ("webhooks", "settings"),
    "point": ("settings", "webhooks"),
    "configure": ("settings", "change"),
    "config": ("settings",),
    "set": ("change", "settings"),
    "update": ("change",),
    "forward": ("webhooks", "settings"),
    "refill": ("top", "up"),
    "recharge": ("top", "up"),
    "reload": ("top", "up"),
    "topup": ("top", "up"),
    "replenish": ("top", "up"),
    "charge": ("top", "up"),
    "buy": ("top", "up"),
    "purchase": ("top", "up"),
    "pay": ("top", "up"),
    "payment": ("top", "up"),
    "price": ("pricing",),
    "prices": ("pricing",),
    "cost": ("pricing",),
    "costs": ("pricing",),
    "rate": ("pricing",),
    "rates": ("pricing",),
    "tariff": ("pricing",),
    "tariffs": ("pricing",),
    "expensive": ("pricing",),
    "country": ("country",),
    "countries": ("every", "country", "full"),
    "worldwide": ("every", "full"),
    "global": ("every", "full"),
    "dialling": ("prefix",),
    "dialing": ("prefix",),
    "code": ("prefix",),
    "number": ("prefix",),
    "sender": ("sender", "email"),
    "mail": ("email",),
    "verify": ("email", "sender"),
    "register": ("register",),
    "signup": ("register",),
    "allow": ("register",),
}

_STOP = set(
    "a an the my our your of to for on in at is it be me i we do does can what how please with from by this that "
    "vonage nexmo api account accounts".split()
)
_FIELD_WEIGHTS = {"id": 3.0, "summary": 3.0, "tags": 2.0, "parameters": 1.5, "description": 1.0}


def stem(word: str) -> str:
    """A crude English stem: enough to match "secrets" with "secret" and "revoking" with "revoke"."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + keep
            break
    return word.rstrip("e")


def words(text: str) -> list[str]:
    """Lower-case words of a text, split on anything that is not a letter or digit, and on camelCase."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def _shape_synonyms(word: str) -> tuple[str, ...]:
    # A bare number is a dialling prefix ("44"); letters and digits mixed, an id ("ad6dc56f").
    if word.isdigit():
        return ("prefix",)
    if len(word) >= 6 and any(c.isdigit() for c in word) and any(c.isalpha() for c in word):
        return ("id", "get")
    return ()


class Catalog:
    """Every operation of the spec, with search by intent."""

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        self.spec = spec if spec is not None else load_spec(spec_path())
        self.operations = {op_id: _operation(op) for op_id, op in operation_model(self.spec).items()}
        self._fields = {op_id: self._index(op) for op_id, op in self.operations.items()}
        document_frequency: Counter[str] = Counter()
        for fields in self._fields.values():
            document_frequency.update(set().union(*fields.values()))
        total = len(self.operations)
        self._idf = {term: math.log(1 + total / count) for term, count in document_frequency.items()}

    @staticmethod
    def _index(op: Operation) -> dict[str, set[str]]:
        def terms(text: str) -> set[str]:
            return {stem(w) for w in words(text) if w not in _STOP}

        return {
            "id": terms(op.operation_id),
            "summary": terms(op.summary),
            "tags": terms(" ".join(op.tags)),
            "parameters": terms(" ".join(p.name for p in op.parameters if p.name not in op.hidden)),
            "description": terms(op.description),
        }

    def query_terms(self, query: str) -> dict[str, float]:
        """The query's stemmed terms with their weights: its own words 1.0, synonyms 0.8."""
        weighted: dict[str, float] = {}
        for word in words(query):
            if word not in _STOP:
                weighted[stem(word)] = max(weighted.get(stem(word), 0.0), 1.0)
            for synonym in SYNONYMS.get(word, ()) + _shape_synonyms(word):
                weighted[stem(synonym)] = max(weighted.get(stem(synonym), 0.0), 0.8)
        return weighted

    def score(self, operation_id: str, terms: dict[str, float]) -> float:
        """How well an operation matches the weighted terms."""
        fields = self._fields[operation_id]
        total = 0.0
        for term, weight in terms.items():
            best = max((w for name, w in _FIELD_WEIGHTS.items() if term in fields[name]), default=0.0)
            total += weight * best * self._idf.get(term, 0.0)
        return total

    def search(self, query: str, limit: int = 5) -> list[Operation]:
        """The operations best matching `query`, best first (ties in the spec's order); none when nothing matches."""
        terms = self.query_terms(query)
        order = list(self.operations)
        scored = [(self.score(op_id, terms), -order.index(op_id), op_id) for op_id in order]
        ranked = sorted((s for s in scored if s[0] > 0), reverse=True)
        return [self.operations[op_id] for _, _, op_id in ranked[: max(0, limit)]]
