"""Tool errors an agent can act on: what happened, the problem type and the next step; never a value it gave."""

from __future__ import annotations

from typing import Any

from vonage_account_ops.errors import AccountError, JobRefused, next_step


class ToolFailure(Exception):
    """A tool error an agent can act on: what happened, the problem type, and the next step."""

    def __init__(self, title: str, detail: str, next_step: str, *, type_: str = "", status: int | None = None) -> None:
        super().__init__(f"{title}: {detail}")
        self.title = title
        self.detail = detail
        self.next_step = next_step
        self.type = type_
        self.status = status

    def document(self) -> dict[str, Any]:
        """The error as structured content."""
        error: dict[str, Any] = {"title": self.title, "detail": self.detail, "next_step": self.next_step}
        if self.type:
            # A problem document's type is a URI; the rest host's documents carry an error code instead.
            error["type" if ":" in self.type else "error_code"] = self.type
        if self.status is not None:
            error["status"] = self.status
        return {"error": error}


# The agent's words for the tools the advice of `errors.next_step` names.
_NAMES = {
    "list_secrets": "list_secrets",
    "revoke_secret": "revoke_secret",
    "rotate_secret": "rotate_secret",
    "check_balance": "check_balance",
    "pricing": "get_pricing",
    "trx": "the operator's configured trx",
    "hosts": "the operator's VONAGE_REST_URL / VONAGE_API_URL",
    "longer_timeout": "",
    "credentials": "the operator's, not a tool argument",
}


def failure_from(error: AccountError | JobRefused) -> ToolFailure:
    """An API failure, or a job's refusal, as a tool error with a next step."""
    step = next_step(error, _NAMES)
    if isinstance(error, JobRefused):
        return ToolFailure(error.title, error.detail, step, type_=f"urn:vonage-account-mcp:job:{error.kind}")
    return ToolFailure(error.title, error.detail or error.title, step, type_=error.type, status=error.status)


class InvalidArguments(ToolFailure):
    """Arguments that do not match an input schema (the field is named, its value never shown)."""


def check_schema(schema: dict[str, Any], arguments: Any, where: str) -> None:
    """Check a document against a JSON schema; the error names the field and the rule, never the value."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(arguments), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if not errors:
        return
    error = errors[0]
    field_name = ".".join(str(p) for p in error.absolute_path) or "arguments"
    if error.validator == "additionalProperties":
        extra = sorted(set(arguments if isinstance(arguments, dict) else {}) - set(schema.get("properties", {})))
        field_name, rule = ", ".join(extra) or field_name, "is not an argument of this tool or operation"
    elif error.validator == "required":
        missing = [m for m in schema.get("required", []) if isinstance(arguments, dict) and m not in arguments]
        field_name, rule = ", ".join(missing) or field_name, "is required"
    elif error.validator == "enum":
        rule = f"must be one of {', '.join(map(str, error.validator_value))}"
    elif error.validator == "pattern":
        rule = f"must match {error.validator_value}"
    elif error.validator == "type":
        rule = f"must be of type {error.validator_value}"
    elif error.validator in ("minimum", "maximum", "minLength", "maxLength"):
        rule = f"breaks {error.validator} {error.validator_value}"
    else:
        rule = f"breaks the schema's {error.validator} rule"
    raise InvalidArguments(
        "Invalid arguments",
        f"{where}: {field_name} {rule}",
        "fix that argument (search_operations shows the input_schema) and call again",
    )
