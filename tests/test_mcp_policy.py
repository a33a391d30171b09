"""The operator's policy file, word for word, and the guard's windows at their edges (a clock the test turns)."""

from __future__ import annotations

import contextlib
import json
import locale
import os
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from vonage_account_ops.mcp_server.policy import (
    DAY,
    Guard,
    GuardrailRefused,
    Policy,
    PolicyError,
    RateLimit,
    default_state_dir,
    load_policy,
)

TOOLS = ("check_balance", "get_webhooks", "set_webhooks", "top_up_if_below_floor")
LISTED = "check_balance, get_webhooks, set_webhooks, top_up_if_below_floor"


def _load(tmp_path: Path, text: str) -> Policy:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return load_policy(path, TOOLS)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "expected a mapping at the top"),
        (
            "{budget: 5, alpha: 1}",
            "unknown entry alpha, budget (known: rate_limits, read_only, rotation, state_dir, tools, top_up)",
        ),
        ("read_only: 1", "read_only: expected true or false"),
        ("tools: [check_balance]", "tools: expected {allow: [...], deny: [...]}"),
        ("tools: {allow: [check_balance], only: [x]}", "tools: expected {allow: [...], deny: [...]}"),
        ("tools: {allow: check_balance}", "tools.allow: expected a list of tool names"),
        ("tools: {deny: [1]}", "tools.deny: expected a list of tool names"),
        ("tools: {deny: [zz, drop]}", f"tools.deny: unknown tool(s) drop, zz; the tools are {LISTED}"),
        ("rate_limits: [1]", "rate_limits: expected a mapping of tool (or reads, writes) to {calls, per_seconds}"),
        ("rate_limits: {reads: 5}", "rate_limits.reads: expected {calls: N, per_seconds: S}"),
        ("rate_limits: {reads: {per_seconds: 5}}", "rate_limits.reads: expected {calls: N, per_seconds: S}"),
        ("rate_limits: {writes: {calls: 1, every: 5}}", "rate_limits.writes: expected {calls: N, per_seconds: S}"),
        ("rate_limits: {writes: {calls: -1}}", "rate_limits.writes: calls must be a whole number, 0 or more"),
        ("rate_limits: {writes: {calls: true}}", "rate_limits.writes: calls must be a whole number, 0 or more"),
        ("rate_limits: {writes: {calls: 1.5}}", "rate_limits.writes: calls must be a whole number, 0 or more"),
        (
            "rate_limits: {reads: {calls: 1, per_seconds: 0}}",
            "rate_limits.reads: per_seconds must be a positive number",
        ),
        (
            "rate_limits: {reads: {calls: 1, per_seconds: .inf}}",
            "rate_limits.reads: per_seconds must be a positive number",
        ),
        (
            "rate_limits: {reads: {calls: 1, per_seconds: true}}",
            "rate_limits.reads: per_seconds must be a positive number",
        ),
        (
            "rate_limits: {reads: {calls: 1, per_seconds: '5'}}",
            "rate_limits.reads: per_seconds must be a positive number",
        ),
        ("rate_limits: {drop: {calls: 1}}", f"rate_limits.drop: unknown tool; the tools are {LISTED}"),
        ("top_up: [trx]", "top_up: expected {trx, max_per_day, max_floor}"),
        ("top_up: {trx: abc, budget: 5}", "top_up: expected {trx, max_per_day, max_floor}"),
        ("top_up: {trx: '  '}", "top_up.trx: expected the payment reference as a string"),
        ("top_up: {trx: 42}", "top_up.trx: expected the payment reference as a string"),
        ("top_up: {max_per_day: true}", "top_up.max_per_day: expected a whole number, 0 or more"),
        ("top_up: {max_per_day: 1.0}", "top_up.max_per_day: expected a whole number, 0 or more"),
        ("top_up: {max_per_day: -1}", "top_up.max_per_day: expected a whole number, 0 or more"),
        ("top_up: {max_floor: '-0.01'}", 'top_up.max_floor: expected a non-negative amount in EUR, e.g. "20.00"'),
        ("top_up: {max_floor: lots}", 'top_up.max_floor: expected a non-negative amount in EUR, e.g. "20.00"'),
        ("top_up: {max_floor: true}", 'top_up.max_floor: expected a non-negative amount in EUR, e.g. "20.00"'),
        ("top_up: {max_floor: .inf}", 'top_up.max_floor: expected a non-negative amount in EUR, e.g. "20.00"'),
        ("state_dir: 5", "state_dir: expected a folder path"),
        ("rotation: [1]", "rotation: expected {grace_seconds: S}"),
        ("rotation: {grace: 1}", "rotation: expected {grace_seconds: S}"),
        ("rotation: {grace_seconds: -0.5}", "rotation.grace_seconds: expected a number of seconds, 0 or more"),
        ("rotation: {grace_seconds: .nan}", "rotation.grace_seconds: expected a number of seconds, 0 or more"),
        ("rotation: {grace_seconds: false}", "rotation.grace_seconds: expected a number of seconds, 0 or more"),
        ("rotation: {grace_seconds: soon}", "rotation.grace_seconds: expected a number of seconds, 0 or more"),
    ],
)
def test_a_bad_policy_file_is_refused_in_these_words(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PolicyError) as raised:
        _load(tmp_path, text)
    assert str(raised.value) == f"{tmp_path / 'policy.yaml'}: {message}"


def test_a_policy_file_that_cannot_be_read_or_parsed_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(PolicyError) as raised:
        load_policy(missing, TOOLS)
    assert str(raised.value) == f"{missing}: cannot read it (No such file or directory)"
    with pytest.raises(PolicyError) as raised:
        _load(tmp_path, "read_only: [")
    assert str(raised.value) == f"{tmp_path / 'policy.yaml'}: not valid YAML or JSON"


@contextlib.contextmanager
def _ascii_locale() -> Iterator[None]:
    """The process under the C locale (ASCII), as a server started without a UTF-8 locale may run."""
    if sys.flags.utf8_mode:
        pytest.skip("in Python's UTF-8 mode every file is read as UTF-8 whatever the locale")
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        assert locale.getpreferredencoding(False) == "ANSI_X3.4-1968"
        yield
    finally:
        locale.setlocale(locale.LC_CTYPE, before)


def test_the_policy_file_and_the_top_up_record_are_read_as_utf8_whatever_the_locale(tmp_path: Path) -> None:
    # YAML and JSON are UTF-8: an operator's comment or note outside ASCII must not stop a server started under
    # an ASCII locale.
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "top-ups.json").write_text(
        json.dumps({"at": [time.time() - 60], "note": "remis à zéro — l'opérateur"}, ensure_ascii=False),
        encoding="utf-8",
    )
    path = tmp_path / "policy.yaml"
    path.write_text(
        f"# Politique de l'opérateur — lecture seule\nread_only: true\nstate_dir: '{state}'\n"
        "top_up: {trx: réf-0042, max_per_day: 2}\n",
        encoding="utf-8",
    )

    def read() -> tuple[bool, str | None, int]:
        policy = load_policy(path, ["check_balance"])
        return policy.read_only, policy.trx, Guard(policy).check_top_up()

    assert read() == (True, "réf-0042", 1)
    with _ascii_locale():
        assert read() == (True, "réf-0042", 1)


def test_an_empty_policy_file_is_the_default_policy(tmp_path: Path) -> None:
    assert _load(tmp_path, "") == Policy()
    assert _load(tmp_path, "tools: \nrate_limits: \ntop_up: \nrotation: \n") == Policy()


def test_a_policy_files_values_are_taken_as_written(tmp_path: Path) -> None:
    policy = _load(
        tmp_path,
        "read_only: true\n"
        "rate_limits: {reads: {calls: 0}, set_webhooks: {calls: 3, per_seconds: 2.5}}\n"
        "top_up: {trx: '  ref9  ', max_per_day: 0, max_floor: 12.5}\n"
        "state_dir: ~/mcp-state\n"
        "rotation: {grace_seconds: 0}\n",
    )
    assert policy.read_only and policy.read_limit == RateLimit(0, 60.0)
    assert policy.limits == {"set_webhooks": RateLimit(3, 2.5)}
    assert (policy.trx, policy.top_ups_per_day, policy.max_floor) == ("ref9", 0, Decimal("12.5"))
    assert policy.state_dir == Path.home() / "mcp-state" and policy.rotation_grace_seconds == 0.0
    assert _load(tmp_path, "top_up: {max_floor: 0}").max_floor == Decimal(0)


def test_the_state_folder_defaults_follow_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VONAGE_ACCOUNT_MCP_STATE", str(tmp_path / "named"))
    assert default_state_dir() == tmp_path / "named"
    monkeypatch.delenv("VONAGE_ACCOUNT_MCP_STATE")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert default_state_dir() == tmp_path / "xdg" / "vonage-account" / "mcp"
    monkeypatch.setenv("XDG_STATE_HOME", "")
    assert default_state_dir() == Path.home() / ".local" / "state" / "vonage-account" / "mcp"


def test_allow_deny_and_read_only_decide_which_tools_exist() -> None:
    assert Policy().allows("set_webhooks", writes=True)
    assert not Policy(read_only=True).allows("set_webhooks", writes=True)
    assert Policy(read_only=True).allows("check_balance", writes=False)
    allow = Policy(allow=frozenset({"check_balance"}))
    assert allow.allows("check_balance", writes=False) and not allow.allows("get_webhooks", writes=False)
    assert not Policy(deny=frozenset({"check_balance"})).allows("check_balance", writes=False)


class Clock:
    """A clock the test turns."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_call_counts_for_exactly_its_window(tmp_path: Path) -> None:
    clock = Clock()
    guard = Guard(Policy(limits={"check_balance": RateLimit(2, 10)}, state_dir=tmp_path), clock=clock)
    guard.admit("check_balance", writes=False)
    clock.now += 4
    guard.admit("check_balance", writes=False)
    clock.now += 5.5  # 9.5 s after the first call: both still count
    with pytest.raises(GuardrailRefused) as refused:
        guard.admit("check_balance", writes=False)
    assert refused.value.kind == "rate-limited"
    assert refused.value.detail == "check_balance may be called 2 times in 10 s, and that is used up"
    assert refused.value.next_step == "wait 1 s before calling check_balance again; do not retry in a loop"
    clock.now += 0.5  # 10 s after the first call: it no longer counts, the refused one never did
    guard.admit("check_balance", writes=False)
    with pytest.raises(GuardrailRefused) as refused:
        guard.admit("check_balance", writes=False)
    assert refused.value.next_step == "wait 4 s before calling check_balance again; do not retry in a loop"


def test_a_tool_allowed_no_calls_says_to_wait_a_whole_window(tmp_path: Path) -> None:
    guard = Guard(Policy(limits={"set_webhooks": RateLimit(0, 30)}, state_dir=tmp_path), clock=Clock())
    with pytest.raises(GuardrailRefused) as refused:
        guard.admit("set_webhooks", writes=True)
    assert refused.value.detail == "set_webhooks may be called 0 times in 30 s, and that is used up"
    assert refused.value.next_step == "wait 30 s before calling set_webhooks again; do not retry in a loop"


def test_a_call_through_call_operation_counts_against_both_tools_or_neither(tmp_path: Path) -> None:
    clock = Clock()
    limits = {"call_operation": RateLimit(5, 60), "check_balance": RateLimit(1, 60)}
    guard = Guard(Policy(limits=limits, state_dir=tmp_path), clock=clock)
    guard.admit("call_operation", writes=False, held_to="check_balance")
    with pytest.raises(GuardrailRefused) as refused:
        guard.admit("call_operation", writes=False, held_to="check_balance")
    assert refused.value.detail == "check_balance may be called 1 times in 60 s, and that is used up"
    assert refused.value.next_step == "wait 60 s before calling call_operation again; do not retry in a loop"
    with pytest.raises(GuardrailRefused):
        guard.admit("check_balance", writes=False)
    for _ in range(4):  # the refused calls did not count against call_operation's own five
        guard.admit("call_operation", writes=False, held_to="call_operation")
    with pytest.raises(GuardrailRefused):
        guard.admit("call_operation", writes=False)


def test_top_ups_count_for_exactly_24_hours_and_survive_a_new_guard(tmp_path: Path) -> None:
    clock = Clock()
    policy = Policy(top_ups_per_day=2, state_dir=tmp_path / "state")
    guard = Guard(policy, clock=clock)
    assert guard.check_top_up() == 2
    guard.record_top_up()
    clock.now += 60
    guard.record_top_up()
    assert json.loads((tmp_path / "state" / "top-ups.json").read_text()) == {"at": [1_000_000.0, 1_000_060.0]}
    assert oct((tmp_path / "state").stat().st_mode & 0o777) == "0o700"
    assert guard.dip_state == tmp_path / "state" / "top-up.json"
    again = Guard(policy, clock=clock)
    with pytest.raises(GuardrailRefused) as refused:
        again.check_top_up()
    assert refused.value.kind == "top-up-cap"
    assert refused.value.detail == "the operator allows 2 top-up(s) in 24 hours, and that is used up"
    assert refused.value.next_step == (
        "do not retry: tell the user the balance is low, or ask the operator to raise top_up.max_per_day"
    )
    again.forget_top_up()  # the API refused the last one: as if it never was
    assert again.check_top_up() == 1
    again.record_top_up()
    clock.now = 1_000_000.0 + DAY  # the first is exactly a day old: it no longer counts
    assert again.check_top_up() == 1


def test_a_state_folder_is_made_with_its_parents_and_a_record_without_stamps_counts_none(tmp_path: Path) -> None:
    guard = Guard(Policy(state_dir=tmp_path / "a" / "b" / "state"), clock=Clock())
    assert guard.check_top_up() == 1
    (tmp_path / "a" / "b" / "state" / "top-ups.json").write_text("{}")
    assert guard.check_top_up() == 1


def test_a_top_up_record_replaced_by_a_link_is_not_written_through(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text('{"at": []}')
    (tmp_path / "state").mkdir(mode=0o700)
    (tmp_path / "state" / "top-ups.json").symlink_to(elsewhere)
    guard = Guard(Policy(state_dir=tmp_path / "state"), clock=Clock())
    with pytest.raises(OSError, match="is a symbolic link, which is not followed here: remove it"):
        guard.record_top_up()
    assert elsewhere.read_text() == '{"at": []}'


def test_an_unreadable_top_up_record_stops_top_ups(tmp_path: Path) -> None:
    guard = Guard(Policy(state_dir=tmp_path), clock=Clock())
    for broken in ("{", '{"at": ["soon"]}', "[1]", '{"at": 5}'):
        (tmp_path / "top-ups.json").write_text(broken)
        with pytest.raises(GuardrailRefused) as refused:
            guard.check_top_up()
        assert refused.value.kind == "state-unreadable"
        assert refused.value.detail == f"the top-up record {tmp_path / 'top-ups.json'} cannot be read"
        assert refused.value.next_step == "the operator must repair or remove it; no top-up is made meanwhile"


def test_a_state_folder_others_can_write_stops_top_ups(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o777)
    guard = Guard(Policy(state_dir=folder), clock=Clock())
    with pytest.raises(GuardrailRefused) as refused:
        guard.check_top_up()
    assert refused.value.kind == "state-folder-unsafe"
    assert refused.value.next_step == "the operator must fix the state folder; no top-up is made"
