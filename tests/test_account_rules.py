"""The account rules on the state core alone, at their edges: secrets' rules, seeds, provisioning, the clock."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from vonage_account_mock import create_app
from vonage_account_mock.state.exceptions import (
    AutoReloadNotEnabled,
    InvalidApiKey,
    InvalidCredentials,
    InvalidSecretId,
    LastSecretRevocation,
    SecretLimitReached,
    SecretValidationFailed,
    SenderLimitReached,
    TopUpFailed,
)
from vonage_account_mock.state.models import (
    MAX_SENDERS,
    AccountBackend,
    AccountSeed,
    AutoReload,
    EmailSender,
    Settings,
    SettingsChange,
    Signature,
    _WallClockText,
    format_timestamp,
    secret_problems,
    storable_secret,
    uuid4_text,
    wall_clock_text,
)

KEY, SECRET = "abcd1234", "Initial1secret"


@pytest.fixture
def elsewhere(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local zone set to UTC+05:30 (the tests otherwise run in UTC, which hides a local-time slip)."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _backend(*, auto_provision: bool = True, max_provisioned: int = 10_000) -> AccountBackend:
    backend = AccountBackend(auto_provision=auto_provision, max_provisioned=max_provisioned)
    backend.seed(AccountSeed(KEY, (SECRET,)))
    return backend


def _utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def test_timestamps_are_utc_whatever_the_local_zone(elsewhere: None) -> None:
    assert datetime(2024, 1, 1).astimezone().utcoffset() == timedelta(hours=5, minutes=30)
    assert format_timestamp(datetime(2024, 1, 1, tzinfo=UTC)) == "2024-01-01T00:00:00Z"
    assert format_timestamp(datetime(2024, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))) == "2024-01-01T00:00:00Z"
    before = datetime.now(UTC).replace(microsecond=0)
    created = _backend().create_secret(KEY, KEY, "Second2secret").created_at
    assert before <= _utc(created) <= datetime.now(UTC)
    assert before <= _utc(wall_clock_text()) <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("secret", "problems"),
    [
        ("Abcdefg1", []),
        ("Abcdefghijklmnopqrstuvwx1", []),
        ("Abcdef1", ["must be 8 to 25 characters long"]),
        ("Abcdefghijklmnopqrstuvwxy1", ["must be 8 to 25 characters long"]),
        ("ABCDEFG1", ["must contain a lower-case letter"]),
        ("abcdefg1", ["must contain an upper-case letter"]),
        ("Abcdefgh", ["must contain a digit"]),
        ("Abcdefg1\u00e9", ["must be printable ASCII"]),
        ("Abcdefg1\t", ["must be printable ASCII"]),
        (
            "\u00e9",
            [
                "must be 8 to 25 characters long",
                "must contain a lower-case letter",
                "must contain an upper-case letter",
                "must contain a digit",
                "must be printable ASCII",
            ],
        ),
    ],
)
def test_a_new_secret_is_checked_against_each_published_rule(secret: str, problems: list[str]) -> None:
    assert secret_problems(secret) == problems


def test_a_secret_the_rules_refuse_is_not_created_and_a_third_is_refused() -> None:
    backend = _backend()
    with pytest.raises(SecretValidationFailed) as refused:
        backend.create_secret(KEY, KEY, "Short1A")
    assert refused.value.body()["invalid_parameters"] == [
        {"name": "secret", "reason": "Does not meet complexity requirements"}
    ]
    backend.create_secret(KEY, KEY, "Second2secret")
    with pytest.raises(SecretLimitReached):
        backend.create_secret(KEY, KEY, "Third3secret")
    assert len(backend.list_secrets(KEY, KEY)) == 2


@pytest.mark.parametrize("bits", [0, (1 << 128) - 1, 0x0123456789ABCDEF0123456789ABCDEF])
def test_secret_ids_are_version_4_uuids(bits: int) -> None:
    assert uuid4_text(bits) == str(uuid.UUID(int=bits, version=4))


def test_a_held_secret_is_1_to_256_printable_ascii_characters() -> None:
    assert storable_secret("x") and storable_secret("~" * 256) and storable_secret("a b")
    assert not any(storable_secret(s) for s in ("", "x" * 257, "caf\u00e9", "tab\t", None, 12345678))


def test_a_signature_needs_a_known_method_and_a_holdable_secret() -> None:
    with pytest.raises(ValueError) as method:
        Signature("Sig1secret", "sha384")
    assert str(method.value) == "a signature method is one of md5hash, md5, sha1, sha256, sha512"
    with pytest.raises(ValueError) as secret:
        Signature("", "sha256")
    assert str(secret.value) == "a signature secret is 1 to 256 printable ASCII characters"


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        (AccountSeed("", (SECRET,)), "an api_key is 1 to 64 characters long"),
        (AccountSeed("k" * 65, (SECRET,)), "an api_key is 1 to 64 characters long"),
        (AccountSeed(KEY, ()), "account 'abcd1234' needs at least one secret"),
        (AccountSeed(KEY, ("One1secret", "Two2secret", "Three3secret")), "account 'abcd1234' has more than 2 secrets"),
        (AccountSeed(KEY, ("caf\u00e9",)), "account 'abcd1234': a secret is 1 to 256 printable ASCII characters"),
        (AccountSeed("sub00001", (SECRET,), primary="nobody"), "primary account 'nobody' of 'sub00001' is not seeded"),
    ],
)
def test_a_seed_the_rules_refuse_says_why(seed: AccountSeed, message: str) -> None:
    backend = AccountBackend()
    with pytest.raises(ValueError) as refused:
        backend.seed(seed)
    assert str(refused.value) == message
    assert backend.api_keys() == []


def test_a_64_character_key_with_two_secrets_can_be_seeded() -> None:
    backend = AccountBackend()
    backend.seed(AccountSeed("k" * 64, ("One1secret", "Two2secret")))
    assert backend.verifies("k" * 64, "One1secret") and backend.verifies("k" * 64, "Two2secret")


def test_seeds_go_in_primary_first_order_and_missing_primaries_are_named() -> None:
    backend = AccountBackend()
    backend.seed_all([AccountSeed("sub00001", (SECRET,), primary=KEY), AccountSeed(KEY, (SECRET,))])
    assert backend.subaccounts(KEY) == ["sub00001"]
    orphans = [AccountSeed("sub00002", (SECRET,), primary="b"), AccountSeed("sub00003", (SECRET,), primary="a")]
    with pytest.raises(ValueError) as refused:
        AccountBackend().seed_all(orphans)
    assert str(refused.value) == "unknown primary accounts: ['a', 'b']"


def test_first_use_keeps_at_most_the_bound_forgetting_the_least_recently_authenticated() -> None:
    backend = _backend(max_provisioned=2)
    backend.authenticate("first001", "First1secret")
    backend.authenticate("second01", "Second1secret")
    backend.authenticate("first001", "First1secret")  # first001 is now the more recent
    backend.authenticate("third001", "Third1secret")
    assert backend.api_keys() == [KEY, "first001", "third001"]  # a seeded account is never forgotten
    with pytest.raises(InvalidCredentials):
        backend.authenticate("first001", "Other1secret")


@pytest.mark.parametrize(("key", "secret"), [("", SECRET), (KEY, ""), ("k" * 65, SECRET), (KEY, "Wrong1secret")])
def test_credentials_that_cannot_be_an_accounts_are_refused(key: str, secret: str) -> None:
    backend = _backend()
    with pytest.raises(InvalidCredentials):
        backend.authenticate(key, secret)
    assert not backend.verifies(key, secret)
    assert backend.api_keys() == [KEY]


def test_without_auto_provisioning_an_unknown_key_is_refused_and_verifying_never_creates_one() -> None:
    backend = _backend(auto_provision=False)
    with pytest.raises(InvalidCredentials):
        backend.authenticate("new00001", SECRET)
    assert not backend.verifies("new00002", SECRET)
    assert backend.authenticate(KEY, SECRET) == KEY and backend.verifies(KEY, SECRET)
    assert backend.api_keys() == [KEY]


def test_deterministic_mode_repeats_ids_and_times_after_every_reset_until_undone() -> None:
    backend = AccountBackend()
    backend.make_deterministic(7)
    backend.set_baseline([AccountSeed(KEY, (SECRET,))])
    first = [*backend.list_secrets(KEY, KEY), backend.create_secret(KEY, KEY, "Second2secret")]
    assert [view.created_at for view in first] == ["2024-01-01T00:00:00Z", "2024-01-01T00:00:01Z"]
    assert backend.now() == datetime(2024, 1, 1, 0, 0, 2, tzinfo=UTC)
    backend.reset()
    assert [*backend.list_secrets(KEY, KEY), backend.create_secret(KEY, KEY, "Second2secret")] == first
    backend.make_deterministic(None)
    backend.reset()
    assert backend.list_secrets(KEY, KEY)[0] != first[0]
    assert abs(backend.now() - datetime.now(UTC)) < timedelta(minutes=1)


def test_resetting_one_account_restores_it_and_its_sub_accounts_only() -> None:
    backend = AccountBackend()
    baseline = [AccountSeed(KEY, (SECRET,)), AccountSeed("sub00001", (SECRET,), primary=KEY)]
    backend.set_baseline([*baseline, AccountSeed("other001", (SECRET,))])
    for key in (KEY, "sub00001", "other001"):
        backend.spend(key, Decimal("1.00"))
    backend.authenticate("new00001", SECRET)
    backend.reset_account(KEY)
    assert [backend.balance(key)[0] for key in (KEY, "sub00001", "other001")] == [
        Decimal("10.00"),
        Decimal("10.00"),
        Decimal("9.00"),
    ]
    assert backend.api_keys() == [KEY, "new00001", "other001", "sub00001"]


def test_a_primary_manages_its_sub_accounts_secrets_and_no_one_elses() -> None:
    backend = _backend()
    backend.seed(AccountSeed("sub00001", ("Sub0001secret",), primary=KEY))
    backend.seed(AccountSeed("other001", (SECRET,)))
    view = backend.create_secret(KEY, "sub00001", "Second2secret")
    assert backend.get_secret(KEY, "sub00001", view.id) == view
    for caller, key in (("sub00001", KEY), ("other001", "sub00001"), (KEY, "nobody01")):
        with pytest.raises(InvalidApiKey) as refused:
            backend.list_secrets(caller, key)
        assert refused.value.detail == f"API key '{key}' does not exist, or you do not have access"
    (own,) = backend.list_secrets(KEY, KEY)
    for caller, key, secret_id in (
        ("other001", KEY, own.id),
        ("sub00001", KEY, own.id),
        ("other001", "sub00001", view.id),
    ):
        with pytest.raises(InvalidApiKey):
            backend.revoke_secret(caller, key, secret_id)
    backend.revoke_secret(KEY, "sub00001", view.id)  # the primary revokes its sub-account's secret
    assert len(backend.list_secrets("sub00001", "sub00001")) == 1 and len(backend.list_secrets(KEY, KEY)) == 1


def test_the_last_secret_stays_and_an_unknown_id_is_refused() -> None:
    backend = _backend()
    (only,) = backend.list_secrets(KEY, KEY)
    with pytest.raises(LastSecretRevocation):
        backend.revoke_secret(KEY, KEY, only.id)
    with pytest.raises(InvalidSecretId):
        backend.revoke_secret(KEY, KEY, "ad6dc56f-07b5-46e1-a527-85530e625800")
    with pytest.raises(InvalidSecretId):
        backend.get_secret(KEY, KEY, "ad6dc56f-07b5-46e1-a527-85530e625800")
    second = backend.create_secret(KEY, KEY, "Second2secret")
    backend.revoke_secret(KEY, KEY, only.id)
    assert backend.list_secrets(KEY, KEY) == [second]
    assert not backend.verifies(KEY, SECRET) and backend.verifies(KEY, "Second2secret")


def test_a_top_up_needs_auto_reload_and_the_accounts_own_trx() -> None:
    backend = AccountBackend()
    backend.seed(AccountSeed(KEY, (SECRET,)))
    with pytest.raises(AutoReloadNotEnabled):
        backend.top_up(KEY, "anything")
    backend.seed(AccountSeed("nullref1", (SECRET,), auto_reload=AutoReload(enabled=True)))
    with pytest.raises(TopUpFailed):
        backend.top_up("nullref1", "")
    reload = AutoReload(enabled=True, trx="8ef2447e", amount=Decimal("5.25"))
    backend.seed(AccountSeed("reload01", (SECRET,), balance=Decimal("1.00"), auto_reload=reload))
    with pytest.raises(TopUpFailed):
        backend.top_up("reload01", "8ef2447f")
    assert backend.top_up("reload01", "8ef2447e") == Decimal("6.25")
    assert backend.balance("reload01") == (Decimal("6.25"), True)


def test_spending_lowers_the_balance_exactly_and_never_by_a_negative_amount() -> None:
    backend = _backend()
    assert backend.spend(KEY, Decimal("0")) == Decimal("10.00")
    assert backend.spend(KEY, Decimal("0.01")) == Decimal("9.99")
    with pytest.raises(ValueError) as refused:
        backend.spend(KEY, Decimal("-0.01"))
    assert str(refused.value) == "amount must not be negative"
    assert backend.balance(KEY) == (Decimal("9.99"), False)


def test_a_settings_change_leaves_what_it_does_not_name_and_an_empty_string_unsets() -> None:
    backend = _backend()
    set_both = SettingsChange("https://example.com/mo", "https://example.com/dr", "POST")
    applied = backend.update_settings(KEY, set_both)
    assert (applied.mo_callback_url, applied.dr_callback_url, applied.http_forward_method) == (
        "https://example.com/mo",
        "https://example.com/dr",
        "POST",
    )
    unnamed = backend.update_settings(KEY, SettingsChange())
    assert (unnamed.mo_callback_url, unnamed.http_forward_method) == ("https://example.com/mo", "POST")
    after = backend.update_settings(KEY, SettingsChange(mo_callback_url="", http_forward_method=""))
    assert (after.mo_callback_url, after.dr_callback_url, after.http_forward_method) == (
        None,
        "https://example.com/dr",
        None,
    )
    after.dr_callback_url = "https://elsewhere.example/dr"  # a copy: the account's settings are not touched
    assert backend.callback_target(KEY, "delivery-receipt") == ("https://example.com/dr", None, None)
    assert backend.callback_target(KEY, "inbound-sms") == (None, None, None)


def test_the_credentials_held_in_clear_are_the_trx_and_the_signature_secret() -> None:
    backend = _backend()
    assert backend.held_credentials(KEY) == () and backend.held_credentials("nobody01") == ()
    signature = Signature("Sig1secret", "sha256")
    reload = AutoReload(enabled=True, trx="8ef2447e")
    backend.seed(AccountSeed("signed01", (SECRET,), auto_reload=reload, signature=signature))
    assert backend.held_credentials("signed01") == ("8ef2447e", "Sig1secret")
    assert backend.callback_target("signed01", "inbound-sms") == (None, None, signature)


def test_an_account_keeps_at_most_100_senders_and_re_registering_one_always_works() -> None:
    backend = _backend()
    senders = [EmailSender("email", f"s{n}@example.com") for n in range(MAX_SENDERS)]
    for sender in senders:
        backend.register_sender(KEY, sender)
    renamed = EmailSender("email", "s0@example.com", name="Renamed")
    assert backend.register_sender(KEY, renamed) == renamed
    with pytest.raises(SenderLimitReached) as refused:
        backend.register_sender(KEY, EmailSender("email", "one-more@example.com"))
    assert refused.value.body()["invalid_parameters"] == {
        "value": "Is one sender too many: an account registers at most 100; re-registering one of them still works"
    }
    assert backend.account(KEY).senders["s0@example.com"] == renamed


def test_a_fresh_wall_clock_reads_the_current_second() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    assert before <= _utc(_WallClockText()()) <= datetime.now(UTC)


def test_without_a_seed_resets_keep_random_ids_and_the_wall_clock() -> None:
    made = []
    for _ in range(2):
        backend = AccountBackend()
        backend.set_baseline([AccountSeed(KEY, (SECRET,))])
        backend.reset()
        made.append(backend.create_secret(KEY, KEY, "Second2secret"))
    assert made[0].id != made[1].id
    assert abs(_utc(made[0].created_at) - datetime.now(UTC)) < timedelta(minutes=1)


def test_deterministic_ids_are_version_4_uuids_too() -> None:
    backend = AccountBackend()
    backend.make_deterministic(7)
    ids = []
    for n in range(12):
        backend.seed(AccountSeed(f"det{n:05d}", (SECRET,)))
        ids += [view.id for view in backend.list_secrets(f"det{n:05d}", f"det{n:05d}")]
    assert all(str(uuid.UUID(value)) == value and uuid.UUID(value).version == 4 for value in ids)


def test_an_app_on_a_new_backend_is_seeded_with_its_seeds() -> None:
    app = create_app(seeds=[AccountSeed(KEY, (SECRET,), balance=Decimal("7.50"))])
    assert app.backend.balance(KEY) == (Decimal("7.50"), False)


def test_a_64_character_key_authenticates_on_first_use_and_a_seeded_one_in_strict_mode() -> None:
    backend = _backend(auto_provision=True)
    assert backend.authenticate("k" * 64, SECRET) == "k" * 64
    strict = _backend(auto_provision=False)
    assert strict.authenticate(KEY, SECRET) == KEY
    with pytest.raises(InvalidCredentials):
        strict.authenticate(KEY, "Wrong1secret")


def test_a_seeded_accounts_settings_are_its_own_copy() -> None:
    backend = AccountBackend()
    settings = Settings(mo_callback_url="https://example.com/mo", http_forward_method="GET")
    backend.seed(AccountSeed(KEY, (SECRET,), settings=settings))
    assert backend.callback_target(KEY, "inbound-sms") == ("https://example.com/mo", "GET", None)
    backend.update_settings(KEY, SettingsChange(mo_callback_url="https://example.com/other"))
    assert settings.mo_callback_url == "https://example.com/mo"


def test_a_seed_of_a_key_made_on_first_use_is_never_forgotten_for_the_bound() -> None:
    backend = _backend(max_provisioned=1)
    backend.authenticate("made0001", SECRET)
    backend.seed(AccountSeed("made0001", ("Seeded1secret",)))
    backend.authenticate("made0002", SECRET)
    backend.authenticate("made0003", SECRET)
    assert backend.api_keys() == [KEY, "made0001", "made0003"]


def test_resetting_a_key_made_on_first_use_makes_it_anew_at_the_back_of_the_bound() -> None:
    backend = _backend(max_provisioned=2)
    backend.authenticate("made0001", SECRET)
    backend.authenticate("made0002", SECRET)
    backend.reset_account("made0001")
    assert backend.api_keys() == [KEY, "made0002"]
    backend.authenticate("made0001", "Other1secret")  # made again, now the most recent
    backend.authenticate("made0003", SECRET)
    assert backend.api_keys() == [KEY, "made0001", "made0003"]
    backend.reset_account("nobody01")  # nothing to reset: nothing changes
    assert backend.api_keys() == [KEY, "made0001", "made0003"]


def test_a_key_reset_and_made_again_does_not_push_another_out() -> None:
    backend = _backend(max_provisioned=3)
    for key in ("made0001", "made0002", "made0003"):
        backend.authenticate(key, SECRET)
    backend.reset_account("made0002")
    backend.authenticate("made0002", SECRET)
    assert backend.api_keys() == [KEY, "made0001", "made0002", "made0003"]
    backend.authenticate("made0004", SECRET)  # made again, made0002 is newer than made0003 now
    backend.authenticate("made0005", SECRET)
    assert backend.api_keys() == [KEY, "made0002", "made0004", "made0005"]


def test_resetting_an_account_forgets_sub_accounts_made_since() -> None:
    backend = AccountBackend()
    backend.set_baseline([AccountSeed(KEY, (SECRET,))])
    backend.seed(AccountSeed("sub00001", (SECRET,), primary=KEY))
    backend.reset_account(KEY)
    assert backend.api_keys() == [KEY]
