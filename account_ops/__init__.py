"""Account workflows over the generated client: pre-flight balance check, secret rotation, webhooks, top-up."""

from account_ops.client import AccountOps
from account_ops.credentials import Credentials
from account_ops.errors import (
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
