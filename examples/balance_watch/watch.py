"""Decide whether an account's balance needs attention, retrying once when rate-limited."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Literal

from vonage_account_client import AuthenticatedClient
from vonage_account_client.api.balance import get_balance
from vonage_account_client.models import Balance


class BalanceUnavailable(Exception):
    """The balance could not be read."""


def balance_status(client: AuthenticatedClient, floor: Decimal, *, max_wait: float = 5.0) -> Literal["ok", "low"]:
    """`low` when the balance is under `floor`; one retry after a 429, waiting as Retry-After says."""
    for attempt in range(2):
        response = get_balance.sync_detailed(client=client)
        if isinstance(response.parsed, Balance):
            return "low" if Decimal(str(response.parsed.value)) < floor else "ok"
        if response.status_code == 429 and attempt == 0:
            time.sleep(min(float(response.headers.get("retry-after", "1")), max_wait))
            continue
        raise BalanceUnavailable(f"get-balance answered {int(response.status_code)}")
    raise BalanceUnavailable("still rate-limited")
