"""Keeping secret values out of everything an agent sees: results, errors, resources, logs and notifications.

Two nets: any value under a secret-bearing key is replaced wherever it sits in a document, and every secret value
the server has ever known (the configured one, a pending or rotated-in one, one seen in an answer, the payment
reference, the HTTP token) is cut out of any text, however it got there: as it is, percent-encoded, JSON-escaped or
base64-encoded (a secret's Basic credentials too).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
SECRET_KEYS = frozenset({"secret", "api_secret", "pending_secret", "new_secret", "password", "trx", "authorization"})
"""Keys whose values are never shown (compared case-insensitively)."""
_SHORTEST = 4
"""Shorter values are not cut out of text: they would mangle ordinary words and prove nothing."""


def _forms(value: str) -> set[str]:
    """The value as it is, percent-encoded (both ways), JSON-escaped and base64-encoded."""
    raw = value.encode("utf-8")
    return {
        value,
        quote(value, safe=""),
        quote_plus(value, safe=""),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }


class Redactor:
    """Remembers every secret value it is told of, and removes them from what goes out."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self.remember(*secrets)

    def remember(self, *values: str | None) -> None:
        """Treat these values as secrets from now on, in every form an answer could carry them in."""
        forms = {form for value in values if value and len(value) >= _SHORTEST for form in _forms(value)}
        with self._lock:
            self._values.update(form for form in forms if len(form) >= _SHORTEST)

    def remember_basic(self, api_key: str, secret: str) -> None:
        """Treat a secret, and its Basic credentials (base64 of `key:secret`), as secrets from now on."""
        self.remember(secret)
        with self._lock:
            self._values.add(base64.b64encode(f"{api_key}:{secret}".encode()).decode())

    def text(self, value: str) -> str:
        """`value` with every known secret cut out (longest first, so one secret inside another goes whole)."""
        with self._lock:
            known = sorted(self._values, key=len, reverse=True)
        for secret in known:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def document(self, value: Any) -> Any:
        """A copy of a JSON-like document with secret-bearing keys blanked and known secrets cut out of text."""
        if isinstance(value, dict):
            cleaned: dict[Any, Any] = {}
            for key, item in value.items():
                if isinstance(key, str) and key.lower() in SECRET_KEYS:
                    if isinstance(item, str):
                        self.remember(item)
                    cleaned[key] = REDACTED
                else:
                    cleaned[self.text(key) if isinstance(key, str) else key] = self.document(item)
            return cleaned
        if isinstance(value, list | tuple):
            return [self.document(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value
