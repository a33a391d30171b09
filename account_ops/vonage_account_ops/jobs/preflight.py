"""Job 1, the pre-flight check: does the balance cover a floor and the estimated cost of a bulk send?"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from vonage_account_ops.client import AccountOps
from vonage_account_ops.jobs.pricing import estimate, pricing


@dataclass(frozen=True)
class Preflight:
    """Whether a send may go ahead, and why."""

    ok: bool
    balance: Decimal
    floor: Decimal
    estimated_cost: Decimal | None
    required: Decimal
    reason: str


def preflight(
    ops: AccountOps,
    *,
    floor: Decimal,
    country: str | None = None,
    messages: int = 0,
    service: str = "sms",
    margin: Decimal = Decimal("0.10"),
) -> Preflight:
    """Check the balance covers the floor and, given a country and a count, the send's cost plus a margin.

    The cost is `messages` at the country's `estimate_price` (the dearest network: the worst case), plus the margin.
    """
    balance = ops.balance().value
    cost: Decimal | None = None
    unit: Decimal | None = None
    required = floor
    if country and messages:
        unit = pricing(ops, country=country, service=service)[0].estimate_price
        if unit is None:
            return Preflight(False, balance, floor, None, floor, f"{country} has no {service} pricing")
        cost = estimate(unit, messages, margin)
        required = max(floor, cost)
    send = f"{messages} {service} to {country} at {unit} EUR, with a {margin:%} margin" if cost is not None else ""
    if balance < floor:
        return Preflight(False, balance, floor, cost, required, f"balance {balance} EUR is below the floor {floor} EUR")
    if cost is not None and balance < cost:
        reason = f"balance {balance} EUR does not cover the estimated {cost} EUR ({send})"
        return Preflight(False, balance, floor, cost, required, reason)
    if cost is None:
        return Preflight(
            True, balance, floor, cost, required, f"balance {balance} EUR is at or above the floor {floor} EUR"
        )
    reason = f"balance {balance} EUR covers the floor {floor} EUR and the estimated {cost} EUR ({send})"
    return Preflight(True, balance, floor, cost, required, reason)
