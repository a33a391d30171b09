"""Account workflows over the generated client: pre-flight balance check, secret rotation, webhooks, top-up."""

from vonage_account_ops.client import AccountOps
from vonage_account_ops.credentials import Credentials
from vonage_account_ops.errors import (
    AccountError,
    AuthenticationFailed,
    AutoReloadNotEnabled,
    InvalidSecret,
    LastSecret,
    NotFound,
    RateLimited,
    SecretLimitReached,
    TopUpFailed,
    TransientFailure,
)

__all__ = [
    "AccountError",
    "AccountOps",
    "AuthenticationFailed",
    "AutoReloadNotEnabled",
    "Credentials",
    "InvalidSecret",
    "LastSecret",
    "NotFound",
    "RateLimited",
    "SecretLimitReached",
    "TopUpFailed",
    "TransientFailure",
]
