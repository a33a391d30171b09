"""One call of every operation through the generated client, with arguments the spec accepts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vonage_account_client import AuthenticatedClient
from vonage_account_client.api.balance import get_balance, top_up
from vonage_account_client.api.configuration import register_sender, update_settings
from vonage_account_client.api.pricing import get_country_pricing, get_full_pricing, get_prefix_pricing
from vonage_account_client.api.secret_management import create_secret, get_secret, list_secrets, revoke_secret
from vonage_account_client.models import CreateSecretRequest, RegisterSenderRequest, SettingsRequest, TopUpRequest
from vonage_account_client.types import Response

KEY = "abcd1234"
SECRET_ID = "ad6dc56f-07b5-46e1-a527-85530e625800"

CALLS: dict[str, Callable[[AuthenticatedClient], Response[Any]]] = {
    "get_balance": lambda c: get_balance.sync_detailed(client=c),
    "top_up": lambda c: top_up.sync_detailed(client=c, body=TopUpRequest(trx="8ef2447e69604f642ae59363aa5f781b")),
    "update_settings": lambda c: update_settings.sync_detailed(
        client=c, body=SettingsRequest(mo_call_back_url="https://example.com/in")
    ),
    "register_sender": lambda c: register_sender.sync_detailed(
        client=c, body=RegisterSenderRequest(provider="email", value="bob@example.com")
    ),
    "get_country_pricing": lambda c: get_country_pricing.sync_detailed("sms", client=c, country="GB"),
    "get_full_pricing": lambda c: get_full_pricing.sync_detailed("voice", client=c),
    "get_prefix_pricing": lambda c: get_prefix_pricing.sync_detailed("sms", client=c, prefix="44"),
    "list_secrets": lambda c: list_secrets.sync_detailed(KEY, client=c),
    "create_secret": lambda c: create_secret.sync_detailed(KEY, client=c, body=CreateSecretRequest("Example1secret")),
    "get_secret": lambda c: get_secret.sync_detailed(KEY, SECRET_ID, client=c),
    "revoke_secret": lambda c: revoke_secret.sync_detailed(KEY, SECRET_ID, client=c),
}
"""Every operationId, with a call of it."""
