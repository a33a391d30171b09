"""Intent search over the spec: phrasings people and agents use, and the operation each one means."""

from __future__ import annotations

import pytest

from vonage_account_ops.mcp_server.catalog import Catalog

PHRASINGS = [
    # The catalogue's seed phrasings and the jobs' own words.
    ("check my Vonage account balance", "get_balance"),
    ("check vonage account balance", "get_balance"),
    ("check the Vonage balance before the campaign", "get_balance"),
    ("top up my Vonage credit from the linked auto-reload account", "top_up"),
    ("rotate the API secret on my Vonage API key", "create_secret"),
    ("list all secrets attached to my Vonage account", "list_secrets"),
    # Paraphrases.
    ("how much credit is left on my Vonage account", "get_balance"),
    ("what are my remaining funds", "get_balance"),
    ("is auto-reload enabled", "get_balance"),
    ("do we have enough money for the campaign", "get_balance"),
    ("refill the account", "top_up"),
    ("recharge my balance", "top_up"),
    ("add funds using the auto reload payment", "top_up"),
    ("buy more credit", "top_up"),
    ("mint a new API secret", "create_secret"),
    ("create an api secret", "create_secret"),
    ("generate a new password for my key", "create_secret"),
    ("add a second credential to the key", "create_secret"),
    ("show my API secrets", "list_secrets"),
    ("which secrets does my key have", "list_secrets"),
    ("enumerate the credentials of a sub-account", "list_secrets"),
    ("get one API secret by id", "get_secret"),
    ("show details of secret ad6dc56f", "get_secret"),
    ("when was this secret created", "get_secret"),
    ("revoke an API secret", "revoke_secret"),
    ("delete the old secret", "revoke_secret"),
    ("remove a compromised credential", "revoke_secret"),
    ("invalidate the previous password", "revoke_secret"),
    ("point inbound SMS at my new handler", "update_settings"),
    ("set the delivery receipt webhook", "update_settings"),
    ("change the default webhooks", "update_settings"),
    ("configure the DLR callback URL", "update_settings"),
    ("update the inbound message callback", "update_settings"),
    ("use POST JSON to forward inbound messages", "update_settings"),
    ("register an email sender for Verify", "register_sender"),
    ("add an email address as a sender", "register_sender"),
    ("how much does an SMS to Germany cost", "get_country_pricing"),
    ("outbound sms price for GB", "get_country_pricing"),
    ("voice rates in one country", "get_country_pricing"),
    ("pricing for every country", "get_full_pricing"),
    ("download the full price list", "get_full_pricing"),
    ("sms prices worldwide", "get_full_pricing"),
    ("prices for dialling prefix 44", "get_prefix_pricing"),
    ("what do numbers starting with +1 cost", "get_prefix_pricing"),
    ("pricing by dialing code", "get_prefix_pricing"),
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog()


def test_at_least_40_phrasings_cover_every_operation(catalog: Catalog) -> None:
    assert len(PHRASINGS) >= 40
    assert {expected for _, expected in PHRASINGS} == set(catalog.operations)


def test_the_meant_operation_is_first_for_90_percent_and_in_the_top_3_for_all(catalog: Catalog) -> None:
    ranked = {query: [op.operation_id for op in catalog.search(query, limit=3)] for query, _ in PHRASINGS}
    first = [query for query, expected in PHRASINGS if ranked[query][:1] == [expected]]
    outside_top_3 = [(query, ranked[query]) for query, expected in PHRASINGS if expected not in ranked[query]]
    print(f"top-1: {len(first)}/{len(PHRASINGS)}; top-3: {len(PHRASINGS) - len(outside_top_3)}/{len(PHRASINGS)}")
    assert len(first) / len(PHRASINGS) >= 0.9
    assert outside_top_3 == []


def test_synonyms_are_what_finds_a_paraphrase(catalog: Catalog) -> None:
    # None of these words is in the spec: only the synonym table connects them to the operation.
    assert [op.operation_id for op in catalog.search("recharge", limit=1)] == ["top_up"]
    assert [op.operation_id for op in catalog.search("DLR", limit=1)] == ["update_settings"]
    assert [op.operation_id for op in catalog.search("funds", limit=1)] == ["get_balance"]


def test_the_limit_is_kept_and_nonsense_finds_nothing(catalog: Catalog) -> None:
    assert len(catalog.search("secret", limit=2)) == 2
    assert catalog.search("the a of", limit=5) == []
    assert catalog.search("xylophone", limit=5) == []
