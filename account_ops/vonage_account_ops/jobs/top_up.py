"""Job 4, top-up below a floor: once per dip, however often it runs and however many runs share its state file."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from vonage_account_ops import files
from vonage_account_ops.client import AccountOps
from vonage_account_ops.errors import AccountError, JobBusy, OutcomeUnknown


@dataclass(frozen=True)
class TopUp:
    """What a top-up run did: `topped_up`, `not_needed`, or `already_topped_up` (for this dip)."""

    action: str
    balance_before: Decimal
    balance_after: Decimal


def top_up(ops: AccountOps, *, trx: str) -> TopUp:
    """Top up now with the auto-reload reference, whatever the balance; the balance before and after."""
    before = ops.balance().value
    ops.top_up(trx)
    return TopUp("topped_up", before, ops.balance().value)


TOP_UP_WAIT = 60.0
"""Seconds a top-up run waits for another run of the same state file to finish."""


def top_up_below_floor(
    ops: AccountOps,
    *,
    floor: Decimal,
    trx: str,
    state: Path,
    before_top_up: Callable[[], None] | None = None,
    after_refusal: Callable[[], None] | None = None,
    dry_run: bool = False,
    wait: float = TOP_UP_WAIT,
) -> TopUp:
    """Top up once per dip under the floor, however often it runs, and however many runs share the state file.

    A dip starts when the balance is seen under the floor and ends when it is seen at or above it again; the
    state file remembers a top-up made during the current dip (the real balance may take minutes to show it). One
    run at a time holds the state file, from reading the record to recording the API's answer, across threads and
    processes (JobBusy after `wait` seconds). `before_top_up` runs just before a top-up is sent, and may refuse it by
    raising; `after_refusal` runs when the API refused it (so none was made). A top-up whose outcome is unknown (no
    answer saying what happened) stays recorded: it may have been a payment. With `dry_run`, nothing is written or
    sent, and a top-up that would be made is reported as `would_top_up`.
    """
    if not state.parent.is_dir():
        raise StateFileError(f"the folder of the state file {state} does not exist: create it or choose another path")
    if state.is_symlink():
        # Written by this job alone: a link there is someone else's doing, and would be written through.
        raise StateFileError(f"the state file {state} is a symbolic link: remove it, or choose another path")
    # A dry run writes nothing, so it needs no turn; a real run holds the file from the read to the API's answer.
    turn = contextlib.nullcontext() if dry_run else files.exclusive(state, wait=wait)
    try:
        with turn:
            recorded = _read_state(state)
            balance = ops.balance().value
            if balance >= floor:
                if recorded.get("dip_topped_up") and not dry_run:
                    _write_state(state, {"dip_topped_up": False})
                return TopUp("not_needed", balance, balance)
            if recorded.get("dip_topped_up"):
                return TopUp("already_topped_up", balance, balance)
            if dry_run:
                return TopUp("would_top_up", balance, balance)
            if before_top_up is not None:
                before_top_up()
            # Recorded before the call: a crash after it must not lead to a second top-up for this dip.
            moment = datetime.now(UTC).isoformat()
            _write_state(state, {"dip_topped_up": True, "at": moment, "balance_before": str(balance)})
            try:
                ops.top_up(trx)
            except OutcomeUnknown:
                raise  # it may have been made: the record stays, and so does any count the caller keeps
            except AccountError:
                _write_state(state, recorded)
                if after_refusal is not None:
                    after_refusal()
                raise
            return TopUp("topped_up", balance, ops.balance().value)
    except files.LockBusy:
        raise JobBusy("Top-up in progress", f"another top-up run of {state} has held it for over {wait:g} s") from None


class StateFileError(ValueError):
    """The top-up state file cannot be used (its folder is missing, or it is not this job's JSON)."""


def _read_state(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        document = None
    if not isinstance(document, dict):
        raise StateFileError(f"{path} is not a top-up state file: remove it, or choose another path")
    return document


def _write_state(path: Path, document: dict[str, object]) -> None:
    files.write_private(path, json.dumps(document), through_links=False)
