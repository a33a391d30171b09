"""`serve --state PATH [--workers N]`: the state file's flags, its claim, and the backend each process builds on it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from vonage_account_mock.callbacks.shared_book import SqliteBook
from vonage_account_mock.state.models import AccountBackend, AccountSeed
from vonage_account_mock.state.store import SqliteStore, StateFile


@dataclass(frozen=True)
class StateOptions:
    """Where the state is kept (None: in memory), how hard each commit is flushed, and how many processes serve."""

    path: Path | None = None
    sync: str = "normal"
    workers: int = 1

    def claim(self) -> StateFile | None:
        """The state file, checked, migrated and claimed for this mock (StateFileError: one line); None in memory."""
        if self.path is None:
            return None
        return StateFile(self.path, synchronous=self.sync.upper())


def backend_on(state_file: StateFile | None, *, strict: bool, max_auto_accounts: int) -> AccountBackend:
    """The backend of one serving process: in memory, or on the state file (create_app seeds it, and a restored
    state stays as it was: the seeds are then only what resets return to)."""
    store = SqliteStore(state_file) if state_file is not None else None
    return AccountBackend(auto_provision=not strict, max_provisioned=max_auto_accounts, store=store)


def initialise(state_file: StateFile, *, strict: bool, max_auto_accounts: int, seeds: Iterable[AccountSeed]) -> None:
    """Bring a new state file to its seeded state before workers start, so that none of them seeds it twice."""
    backend = backend_on(state_file, strict=strict, max_auto_accounts=max_auto_accounts)
    try:
        backend.set_baseline(seeds, reset=not backend.restored)
    finally:
        backend.close()
    # The callbacks are the run's, as in memory: an earlier run's retries were due in a service time that is gone.
    SqliteBook.forget_all(state_file)


def state_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The flags of the state file, handed on to `command` as one `state` argument (a StateOptions)."""

    @functools.wraps(command)
    def with_state(state_path: Path | None, state_sync: str, workers: int, **kwargs: Any) -> Any:
        if workers > 1 and state_path is None:
            raise click.UsageError(
                "--workers needs --state PATH: the workers share their accounts through that file (without it each "
                "would hold its own)"
            )
        return command(state=StateOptions(state_path, state_sync, workers), **kwargs)

    with_state = click.option(
        "--workers",
        default=1,
        show_default=True,
        type=click.IntRange(1, 64),
        help="Processes serving the one port, sharing the --state file (needs --state).",
    )(with_state)
    with_state = click.option(
        "--state-sync",
        default="normal",
        show_default=True,
        type=click.Choice(["normal", "full"]),
        help="normal: every answered change survives the mock being killed; full: also a power loss (fsync per "
        "change, slower).",
    )(with_state)
    return click.option(
        "--state",
        "state_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Keep the accounts in this SQLite file (created 0600), across restarts: every change is written before "
        "it is answered. Without it, the state is in memory.",
    )(with_state)
