"""Credentials: from the environment or a file; the secret is never shown, logged or put in a message."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

KEY_VARIABLE = "VONAGE_API_KEY"
SECRET_VARIABLE = "VONAGE_API_SECRET"


class CredentialsMissing(Exception):
    """No credentials were given."""


@dataclass(frozen=True)
class Credentials:
    """An API key and its secret (hidden from repr)."""

    api_key: str
    api_secret: str = field(repr=False)
    pending_secret: str | None = field(default=None, repr=False)
    """A secret being rotated in, written before it is created so that a crash loses nothing."""
    api_secret_id: str | None = None
    """The id of `api_secret` among the key's secrets, when known (rotation records it)."""
    previous_secret_id: str | None = None
    """A secret a rotation has replaced but not yet revoked."""

    @classmethod
    def from_env(cls) -> Credentials:
        """From VONAGE_API_KEY / VONAGE_API_SECRET."""
        key, secret = os.environ.get(KEY_VARIABLE), os.environ.get(SECRET_VARIABLE)
        if not key or not secret:
            raise CredentialsMissing(f"set {KEY_VARIABLE} and {SECRET_VARIABLE}, or give a credentials file")
        return cls(key, secret)

    @classmethod
    def from_file(cls, path: Path) -> Credentials:
        """From a `KEY=value` file: api_key, api_secret and, during a rotation, pending_secret."""
        values: dict[str, str] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                name, value = line.split("=", 1)
                values[name.strip().lower()] = value.strip()
        key = values.get("api_key") or values.get(KEY_VARIABLE.lower())
        secret = values.get("api_secret") or values.get(SECRET_VARIABLE.lower())
        if not key or not secret:
            raise CredentialsMissing(f"{path} needs api_key and api_secret lines")
        return cls(
            key,
            secret,
            pending_secret=values.get("pending_secret") or None,
            api_secret_id=values.get("api_secret_id") or None,
            previous_secret_id=values.get("previous_secret_id") or None,
        )

    def write(self, path: Path) -> None:
        """Write atomically, readable by the owner only (0600)."""
        lines = [f"api_key={self.api_key}", f"api_secret={self.api_secret}"]
        for name in ("pending_secret", "api_secret_id", "previous_secret_id"):
            value = getattr(self, name)
            if value:
                lines.append(f"{name}={value}")
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            os.fchmod(handle, 0o600)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write("\n".join(lines) + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
