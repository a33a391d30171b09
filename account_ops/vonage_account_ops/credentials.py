"""Credentials: from the environment, a file or a command; the secret is never shown, logged or put in a message."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from vonage_account_ops.files import write_private

KEY_VARIABLE = "VONAGE_API_KEY"
SECRET_VARIABLE = "VONAGE_API_SECRET"
FILE_VARIABLE = "VONAGE_CREDENTIALS_FILE"
COMMAND_VARIABLE = "VONAGE_CREDENTIALS_COMMAND"


class CredentialsMissing(Exception):
    """No usable credentials were given (the message says how to give them, never a value)."""


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
        return cls.parse(path.read_text(encoding="utf-8"), source=str(path))

    @classmethod
    def parse(cls, text: str, *, source: str) -> Credentials:
        """From `KEY=value` lines, or a JSON object with the same names; `source` names it in errors."""
        values: dict[str, str] = {}
        stripped = text.strip()
        if stripped.startswith("{"):
            try:
                document = json.loads(stripped)
            except ValueError:
                raise CredentialsMissing(f"{source} is not a JSON object of api_key and api_secret") from None
            if isinstance(document, dict):
                values = {str(k).lower(): str(v) for k, v in document.items() if isinstance(v, str | int)}
        else:
            for line in text.splitlines():
                line = line.strip()
                if line and not line.startswith("#") and "=" in line:
                    name, value = line.split("=", 1)
                    values[name.strip().lower()] = value.strip()
        key = values.get("api_key") or values.get(KEY_VARIABLE.lower())
        secret = values.get("api_secret") or values.get(SECRET_VARIABLE.lower())
        if not key or not secret:
            raise CredentialsMissing(f"{source} needs api_key and api_secret lines")
        return cls(
            key,
            secret,
            pending_secret=values.get("pending_secret") or None,
            api_secret_id=values.get("api_secret_id") or None,
            previous_secret_id=values.get("previous_secret_id") or None,
        )

    def write(self, path: Path) -> None:
        """Write atomically, readable by the owner only (0600); a symbolic link is written through to its target."""
        lines = [f"api_key={self.api_key}", f"api_secret={self.api_secret}"]
        for name in ("pending_secret", "api_secret_id", "previous_secret_id"):
            value = getattr(self, name)
            if value:
                lines.append(f"{name}={value}")
        write_private(path, "\n".join(lines) + "\n")


class CredentialSource:
    """Where credentials come from, read each time they are needed (so a rotated or re-issued secret is picked up)."""

    description = "credentials"
    store: Path | None = None
    """A file that a rotation may rewrite, when the source is one."""

    def load(self) -> Credentials:
        """The credentials as they are now."""
        raise NotImplementedError


class EnvironmentSource(CredentialSource):
    """$VONAGE_API_KEY and $VONAGE_API_SECRET."""

    description = f"${KEY_VARIABLE} / ${SECRET_VARIABLE}"

    def load(self) -> Credentials:
        return Credentials.from_env()


class FileSource(CredentialSource):
    """A credentials file of `KEY=value` lines (rotation rewrites it)."""

    def __init__(self, path: Path) -> None:
        self.store = path
        self.description = f"the credentials file {path}"

    def load(self) -> Credentials:
        assert self.store is not None
        try:
            return Credentials.from_file(self.store)
        except FileNotFoundError:
            raise CredentialsMissing(f"{self.store} does not exist: give a credentials file that does") from None


class CommandSource(CredentialSource):
    """A command (a vault CLI, say) printing `KEY=value` lines or a JSON object, run each time credentials are read."""

    def __init__(self, command: str, *, timeout: float = 30.0) -> None:
        self.command = command
        self.timeout = timeout
        self.description = "the credentials command"

    def load(self) -> Credentials:
        try:
            # Through a shell, like --store-command (vault commands are often pipelines); set by the operator only.
            done = subprocess.run(
                self.command, shell=True, capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except (OSError, ValueError) as error:
            raise CredentialsMissing(f"the credentials command cannot run ({type(error).__name__}): check it") from None
        except subprocess.TimeoutExpired:
            raise CredentialsMissing(f"the credentials command ran over {self.timeout:g} s: check it") from None
        if done.returncode != 0:
            # Neither output is shown: either may hold the secret.
            raise CredentialsMissing(
                f"the credentials command exited with status {done.returncode}: run it yourself to see why"
            )
        return Credentials.parse(done.stdout, source="the credentials command's output")


def credential_source(*, file: Path | None = None, command: str | None = None) -> CredentialSource:
    """The source the options name: a command, a file, or else the environment (at most one of the first two)."""
    if file is not None and command:
        raise CredentialsMissing("give either a credentials file or a credentials command, not both")
    if command:
        return CommandSource(command)
    if file is not None:
        return FileSource(file)
    return EnvironmentSource()
