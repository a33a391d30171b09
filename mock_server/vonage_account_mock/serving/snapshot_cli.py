"""`vonage-account-mock snapshot save FILE` / `load FILE`: a running mock's whole state to a file and back."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from vonage_account_mock.control.client import ControlClient, ControlUnreachable
from vonage_account_mock.control.operations import ControlError
from vonage_account_mock.serving.running_cli import running_mock

EXIT_REFUSED = 1
"""The mock refused (a snapshot it cannot use, a wrong token) or could not be reached."""
EXIT_FILE = 3
"""The snapshot file cannot be read or written."""


class SnapshotFailed(click.ClickException):
    """One line on stderr, exit 1: the mock refused or is not there."""

    exit_code = EXIT_REFUSED


class SnapshotFileError(click.ClickException):
    """One line on stderr, exit 3: the file cannot be used."""

    exit_code = EXIT_FILE


def _call(url: str, token: str | None, method: str, *args: Any) -> Any:
    try:
        with ControlClient(url, token, timeout=120) as control:
            return getattr(control, method)(*args)
    except ControlUnreachable as error:
        raise SnapshotFailed(f"{error} (--url)") from None
    except ControlError as error:
        raise SnapshotFailed(f"the mock refused ({error.status}): {error.detail}") from None


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, mode 0600: a temporary file beside it, then a rename over it (a link at
    `path` is replaced, never written through)."""
    folder = path.parent if str(path.parent) else Path(".")
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:  # mkstemp makes it 0600
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@click.group()
def snapshot() -> None:
    """Save a running mock's whole state to a file, or load one into it (no secret value, no trx in the file)."""


@snapshot.command("save")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@running_mock
def save(file: Path, url: str, control_token: str | None) -> None:
    """Write the mock's state to FILE (0600, atomically)."""
    document = _call(url, control_token, "snapshot")
    try:
        write_private(file, json.dumps(document, indent=1) + "\n")
    except OSError as error:
        raise SnapshotFileError(f"cannot write {file}: {error.strerror or error}; give a path you can write") from None
    click.echo(f"saved {len(document.get('accounts', []))} account(s) to {file}")


@snapshot.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@running_mock
def load(file: Path, url: str, control_token: str | None) -> None:
    """Replace the mock's state with FILE's."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise SnapshotFileError(f"cannot read {file}: {error.strerror or error}") from None
    except (ValueError, UnicodeDecodeError):
        raise SnapshotFileError(f"{file} is not a snapshot (not JSON): give a file `snapshot save` wrote") from None
    loaded = _call(url, control_token, "load_snapshot", document)
    click.echo(f"loaded {loaded['accounts']} account(s) from {file}")
