"""Keeping secret values out of everything an agent sees: results, errors, resources, logs and notifications.

Two nets: any value under a secret-bearing key is replaced wherever it sits in a document, and every secret value
the server has ever known (the configured one, a pending or rotated-in one, one seen in an answer) is cut out of
any text, however it got there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"
SECRET_KEYS = frozenset({"secret", "api_secret", "pending_secret", "new_secret", "password", "trx", "authorization"})
"""Keys whose values are never shown (compared case-insensitively)."""
_SHORTEST = 4
"""Shorter values are not cut out of text: they would mangle ordinary words and prove nothing."""


class Redactor:
    """Remembers every secret value it is told of, and removes them from what goes out."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self.remember(*secrets)

    def remember(self, *values: str | None) -> None:
        """Treat these values as secrets from now on."""
        with self._lock:
            self._values.update(v for v in values if v and len(v) >= _SHORTEST)

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
