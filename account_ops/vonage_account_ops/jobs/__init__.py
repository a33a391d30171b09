"""The jobs, and every decision in them: the CLI, the MCP tools and library users only parse and format.

The four jobs teams use the Account API for — pre-flight balance check (`preflight`), zero-downtime rotation
(`rotate`), default webhooks (`set_webhooks`), top-up below a floor (`top_up_below_floor`) — and around them the
rules they share: which secret is in use (`secret_in_use`), the audit (`audit`), revoking (`revoke`), prices and the
price of a message in an estimate (`pricing`, `CountryPrices.estimate_price`). One module per job.
"""

from vonage_account_ops.errors import JobBusy, JobRefused, SecretInUse, SecretInUseUnknown
from vonage_account_ops.jobs.preflight import Preflight, preflight
from vonage_account_ops.jobs.pricing import SERVICES, CountryPrices, Network, estimate, pricing
from vonage_account_ops.jobs.rotation import (
    Rotation,
    RotationBlocked,
    RotationInProgress,
    StoreCommandFailed,
    generate_secret,
    rotate,
    rotation_plan,
    store_command,
)
from vonage_account_ops.jobs.secrets import (
    SECRET_ID_VARIABLE,
    Audit,
    SecretAge,
    audit,
    audit_secrets,
    revoke,
    secret_in_use,
)
from vonage_account_ops.jobs.top_up import TOP_UP_WAIT, StateFileError, TopUp, top_up, top_up_below_floor
from vonage_account_ops.jobs.webhooks import InvalidWebhook, check_forward_method, check_https, set_webhooks

__all__ = [
    "SECRET_ID_VARIABLE",
    "SERVICES",
    "TOP_UP_WAIT",
    "Audit",
    "CountryPrices",
    "InvalidWebhook",
    "JobBusy",
    "JobRefused",
    "Network",
    "Preflight",
    "Rotation",
    "RotationBlocked",
    "RotationInProgress",
    "SecretAge",
    "SecretInUse",
    "SecretInUseUnknown",
    "StateFileError",
    "StoreCommandFailed",
    "TopUp",
    "audit",
    "audit_secrets",
    "check_forward_method",
    "check_https",
    "estimate",
    "generate_secret",
    "preflight",
    "pricing",
    "revoke",
    "rotate",
    "rotation_plan",
    "secret_in_use",
    "set_webhooks",
    "store_command",
    "top_up",
    "top_up_below_floor",
]
