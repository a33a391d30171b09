"""Connexion security handlers that check credentials against the accounts, wired in at app creation."""

from __future__ import annotations

from typing import Any

from connexion.security import ApiKeySecurityHandler, BasicSecurityHandler

from vonage_account_mock.full_path.speedups import precomputed_generic_check
from vonage_account_mock.layers.context import CALLER, state_of
from vonage_account_mock.state.models import AccountBackend


def _authenticated(request: Any, api_key: str, scheme: str) -> dict[str, Any]:
    request.context[CALLER] = api_key  # connexion hands its context's entries to the handler as arguments
    state = state_of(request.scope)
    state.caller, state.auth_scheme = api_key, scheme
    return {"sub": api_key}


def security_map(backend: AccountBackend) -> dict[str, type]:
    """Security handler classes for connexion's `security_map`, checking against `backend`."""

    def check_basic(username: str, password: str, request: Any) -> dict[str, Any]:
        return _authenticated(request, backend.authenticate(username, password), "basic")

    def check_key_pair(api_key: str, request: Any) -> dict[str, Any]:
        # The pair is one AND requirement: the api_key scheme checks both halves, the api_secret scheme
        # only has to be present.
        secret = request.query_params.get("api_secret") or ""
        scheme = "form" if state_of(request.scope).form_credentials else "query"
        return _authenticated(request, backend.authenticate(api_key, secret), scheme)

    def secret_present(api_secret: str) -> dict[str, Any]:
        return {}

    class Basic(BasicSecurityHandler):  # type: ignore[misc]
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Any:
            return check_basic

        def _generic_check(self, func: Any, exception_msg: str) -> Any:
            return precomputed_generic_check(self, func, exception_msg)

    class QueryPair(ApiKeySecurityHandler):  # type: ignore[misc]
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Any:
            return check_key_pair if security_scheme["name"] == "api_key" else secret_present

        def _generic_check(self, func: Any, exception_msg: str) -> Any:
            return precomputed_generic_check(self, func, exception_msg)

    return {"basic": Basic, "apiKey": QueryPair}
