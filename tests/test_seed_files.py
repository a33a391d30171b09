"""Seed files, checked before anything is served: aliases, types, duplicates; errors name place and rule only."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from vonage_account_mock.state.seed import SeedError, load_seed_file

BOMB = """
a: &a [x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
accounts: [*g]
"""


def _load(tmp_path: Path, text: str) -> str:
    path = tmp_path / "accounts.yaml"
    path.write_text(text)
    with pytest.raises(SeedError) as raised:
        load_seed_file(path)
    message = str(raised.value)
    assert message.startswith(str(path))
    return message


def test_an_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    started = time.perf_counter()
    assert "anchors and aliases are not accepted" in _load(tmp_path, BOMB)
    # Expanded, the bomb would take minutes and gigabytes; refused, it takes milliseconds (a generous bound).
    assert time.perf_counter() - started < 10


def test_a_self_referencing_anchor_is_a_clear_error(tmp_path: Path) -> None:
    assert "anchors and aliases" in _load(tmp_path, "accounts: &x\n  - api_key: k\n    secrets: *x\n")


def test_a_syntax_error_names_the_place_never_the_line(tmp_path: Path) -> None:
    message = _load(tmp_path, "accounts:\n  - api_key: k\n    secrets: [Leak1secretX\n  bad: : :\n")
    assert "not valid YAML" in message and "line " in message
    assert "Leak1secretX" not in message


@pytest.mark.parametrize(
    ("entry", "rule"),
    [
        ("balance: .nan", "balance: expected a finite amount"),
        ("balance: true", "balance: expected an amount"),
        ('auto_reload: {enabled: "no"}', "auto_reload.enabled: expected true or false"),
        ('settings: {max_calls_per_second: "lots"}', "settings.max_calls_per_second: expected a whole number"),
        ("settings: {http_forward_method: SMOKE_SIGNALS}", "settings.http_forward_method: expected one of"),
        ('auto_reload: {amount: "-5"}', "auto_reload.amount: expected a finite amount, 0 or more"),
    ],
)
def test_types_are_real_and_the_error_names_entry_and_rule(tmp_path: Path, entry: str, rule: str) -> None:
    message = _load(tmp_path, f"accounts:\n  - api_key: k1234567\n    secrets: [Seed1secretX]\n    {entry}\n")
    assert f"accounts[0].{rule}" in message


def test_a_duplicate_api_key_is_refused(tmp_path: Path) -> None:
    text = (
        "accounts:\n  - api_key: dup00001\n    secrets: [One1secretX]\n"
        "  - api_key: other001\n    secrets: [Two2secretX]\n    subaccounts:\n"
        "      - api_key: dup00001\n        secrets: [Three3secret]\n"
    )
    assert "accounts[1].subaccounts[0] (dup00001): this api_key is seeded twice" in _load(tmp_path, text)


def test_old_secrets_are_accepted_but_never_shown_when_wrong(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text("accounts:\n  - api_key: aaa012\n    secrets: [abc123456789]\n")
    (seed,) = load_seed_file(path)
    assert seed.secrets == ("abc123456789",)  # the service's own documentation shows such a secret
    message = _load(tmp_path, 'accounts:\n  - api_key: aaa012\n    secrets: ["Leaky\\there1"]\n')
    assert "secrets[0]: expected 1 to 256 printable ASCII characters" in message and "Leaky" not in message
