"""The operator's guardrails: which tools an agent may use, how often, how many top-ups a day, and with which `trx`.

A policy is a YAML (or JSON) file given with `--policy`, plus flags for the common cases. Set by the operator, never
by the agent: nothing here can be changed through a tool. The counts that must survive a restart (top-ups in the last
24 hours, the top-up made during the current dip) live in a state folder.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from vonage_account_ops.files import FileRefused, check_private_folder, write_private

TRX_VARIABLE = "VONAGE_TOP_UP_TRX"
STATE_VARIABLE = "VONAGE_ACCOUNT_MCP_STATE"
DAY = 86_400.0


class PolicyError(Exception):
    """A policy file or flag the server cannot use (the message names the file, the entry and the rule)."""


class GuardrailRefused(Exception):
    """A call the operator's policy refuses: what was refused, why, and what the agent can do."""

    def __init__(self, kind: str, detail: str, next_step: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.next_step = next_step


@dataclass(frozen=True)
class RateLimit:
    """At most `calls` calls in any `per_seconds` seconds."""

    calls: int
    per_seconds: float


DEFAULT_READ_LIMIT = RateLimit(60, 60)
DEFAULT_WRITE_LIMIT = RateLimit(10, 60)


def default_state_dir() -> Path:
    """`$VONAGE_ACCOUNT_MCP_STATE`, else `$XDG_STATE_HOME/vonage-account/mcp` (`~/.local/state/...`)."""
    if os.environ.get(STATE_VARIABLE):
        return Path(os.environ[STATE_VARIABLE])
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "vonage-account" / "mcp"


@dataclass(frozen=True)
class Policy:
    """What the operator allows. The defaults: reads allowed, writes allowed but rate-limited, one top-up a day."""

    read_only: bool = False
    allow: frozenset[str] = frozenset()
    """When not empty, only these tools."""
    deny: frozenset[str] = frozenset()
    read_limit: RateLimit = DEFAULT_READ_LIMIT
    write_limit: RateLimit = DEFAULT_WRITE_LIMIT
    limits: Mapping[str, RateLimit] = field(default_factory=dict)
    """Per-tool limits, over the read and write defaults."""
    top_ups_per_day: int = 1
    """Top-ups in any 24 hours."""
    trx: str | None = field(default=None, repr=False)
    """The auto-reload payment reference top-ups use (never shown)."""
    max_floor: Decimal | None = None
    """The highest floor an agent may ask a top-up for."""
    state_dir: Path = field(default_factory=default_state_dir)
    rotation_grace_seconds: float = 2.0

    def allows(self, tool: str, *, writes: bool) -> bool:
        """Whether the tool may be listed and called at all."""
        if self.read_only and writes:
            return False
        if self.allow and tool not in self.allow:
            return False
        return tool not in self.deny

    def limit_for(self, tool: str, *, writes: bool) -> RateLimit:
        """The rate limit of a tool."""
        return self.limits.get(tool) or (self.write_limit if writes else self.read_limit)


def _entry(where: str, rule: str) -> PolicyError:
    return PolicyError(f"{where}: {rule}")


def _rate_limit(value: Any, where: str) -> RateLimit:
    if not isinstance(value, Mapping) or set(value) - {"calls", "per_seconds"} or "calls" not in value:
        raise _entry(where, "expected {calls: N, per_seconds: S}")
    calls, per = value["calls"], value.get("per_seconds", 60)
    if not isinstance(calls, int) or isinstance(calls, bool) or calls < 0:
        raise _entry(where, "calls must be a whole number, 0 or more")
    if not isinstance(per, int | float) or isinstance(per, bool) or not math.isfinite(per) or per <= 0:
        raise _entry(where, "per_seconds must be a positive number")
    return RateLimit(calls, float(per))


def _names(value: Any, where: str, known: Iterable[str]) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _entry(where, "expected a list of tool names")
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise _entry(where, f"unknown tool(s) {', '.join(unknown)}; the tools are {', '.join(sorted(known))}")
    return frozenset(value)


def load_policy(path: Path, tools: Iterable[str]) -> Policy:
    """A policy file, checked against the tools the server has. Errors name the file, the entry and the rule."""
    tools = list(tools)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PolicyError(f"{path}: cannot read it ({error.strerror or type(error).__name__})") from None
    except yaml.YAMLError:
        raise PolicyError(f"{path}: not valid YAML or JSON") from None
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise PolicyError(f"{path}: expected a mapping at the top")
    known = {"read_only", "tools", "rate_limits", "top_up", "state_dir", "rotation"}
    unknown = sorted(set(document) - known)
    if unknown:
        raise PolicyError(f"{path}: unknown entry {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    policy = Policy()
    read_only = document.get("read_only", False)
    if not isinstance(read_only, bool):
        raise _entry(f"{path}: read_only", "expected true or false")
    policy = replace(policy, read_only=read_only)
    tool_rules = document.get("tools") or {}
    if not isinstance(tool_rules, Mapping) or set(tool_rules) - {"allow", "deny"}:
        raise _entry(f"{path}: tools", "expected {allow: [...], deny: [...]}")
    if "allow" in tool_rules:
        policy = replace(policy, allow=_names(tool_rules["allow"], f"{path}: tools.allow", tools))
    if "deny" in tool_rules:
        policy = replace(policy, deny=_names(tool_rules["deny"], f"{path}: tools.deny", tools))
    limits = document.get("rate_limits") or {}
    if not isinstance(limits, Mapping):
        raise _entry(f"{path}: rate_limits", "expected a mapping of tool (or reads, writes) to {calls, per_seconds}")
    per_tool: dict[str, RateLimit] = {}
    for name, value in limits.items():
        where = f"{path}: rate_limits.{name}"
        if name == "reads":
            policy = replace(policy, read_limit=_rate_limit(value, where))
        elif name == "writes":
            policy = replace(policy, write_limit=_rate_limit(value, where))
        elif name in tools:
            per_tool[name] = _rate_limit(value, where)
        else:
            raise _entry(where, f"unknown tool; the tools are {', '.join(sorted(tools))}")
    policy = replace(policy, limits=per_tool)
    top_up = document.get("top_up") or {}
    if not isinstance(top_up, Mapping) or set(top_up) - {"trx", "max_per_day", "max_floor"}:
        raise _entry(f"{path}: top_up", "expected {trx, max_per_day, max_floor}")
    if "trx" in top_up:
        if not isinstance(top_up["trx"], str) or not top_up["trx"].strip():
            raise _entry(f"{path}: top_up.trx", "expected the payment reference as a string")
        policy = replace(policy, trx=top_up["trx"].strip())
    if "max_per_day" in top_up:
        count = top_up["max_per_day"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise _entry(f"{path}: top_up.max_per_day", "expected a whole number, 0 or more")
        policy = replace(policy, top_ups_per_day=count)
    if "max_floor" in top_up:
        policy = replace(policy, max_floor=parse_amount(top_up["max_floor"], f"{path}: top_up.max_floor"))
    if "state_dir" in document:
        if not isinstance(document["state_dir"], str):
            raise _entry(f"{path}: state_dir", "expected a folder path")
        policy = replace(policy, state_dir=Path(document["state_dir"]).expanduser())
    rotation = document.get("rotation") or {}
    if not isinstance(rotation, Mapping) or set(rotation) - {"grace_seconds"}:
        raise _entry(f"{path}: rotation", "expected {grace_seconds: S}")
    if "grace_seconds" in rotation:
        grace = rotation["grace_seconds"]
        if not isinstance(grace, int | float) or isinstance(grace, bool) or not math.isfinite(grace) or grace < 0:
            raise _entry(f"{path}: rotation.grace_seconds", "expected a number of seconds, 0 or more")
        policy = replace(policy, rotation_grace_seconds=float(grace))
    return policy


def parse_amount(value: Any, where: str) -> Decimal:
    """A finite, non-negative EUR amount from a string or number."""
    try:
        amount = Decimal(str(value)) if isinstance(value, str | int | float) and not isinstance(value, bool) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise _entry(where, 'expected a non-negative amount in EUR, e.g. "20.00"')
    return amount


class Guard:
    """The policy applied: rate limits per tool (in memory) and top-up counts (in the state folder)."""

    def __init__(self, policy: Policy, *, clock: Callable[[], float] = time.time) -> None:
        self.policy = policy
        self._clock = clock
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = {}

    # -- rate limits ---------------------------------------------------------------------------------------------

    def admit(self, tool: str, *, writes: bool, held_to: str | None = None) -> None:
        """Count a call of `tool`, or refuse it when the tool is over its limit.

        With `held_to` (the curated tool an operation called through call_operation belongs to), both limits apply:
        the call is counted against both, or refused without counting against either.
        """
        now = self._clock()
        names = [tool] if held_to is None or held_to == tool else [tool, held_to]
        with self._lock:
            windows = []
            for name in names:
                limit = self.policy.limit_for(name, writes=writes)
                calls = self._calls.setdefault(name, deque())
                while calls and calls[0] <= now - limit.per_seconds:
                    calls.popleft()
                if len(calls) >= limit.calls:
                    wait = calls[0] + limit.per_seconds - now if calls else limit.per_seconds
                    raise GuardrailRefused(
                        "rate-limited",
                        f"{name} may be called {limit.calls} times in {limit.per_seconds:g} s, and that is used up",
                        f"wait {math.ceil(wait)} s before calling {tool} again; do not retry in a loop",
                    )
                windows.append(calls)
            for calls in windows:
                calls.append(now)

    # -- top-ups -------------------------------------------------------------------------------------------------

    @property
    def dip_state(self) -> Path:
        """The once-per-dip record that `jobs.top_up_below_floor` keeps."""
        return self._state_dir() / "top-up.json"

    def _state_dir(self) -> Path:
        directory = self.policy.state_dir
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            # Others who could write here could plant links or swap the records: refused, not repaired silently.
            check_private_folder(directory)
        except FileRefused as refused:
            raise GuardrailRefused(
                "state-folder-unsafe", str(refused), "the operator must fix the state folder; no top-up is made"
            ) from None
        return directory

    def _top_ups_file(self) -> Path:
        return self._state_dir() / "top-ups.json"

    def _recent_top_ups(self) -> list[float]:
        path = self._top_ups_file()
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            stamps = [float(t) for t in document.get("at", [])]
        except FileNotFoundError:
            stamps = []
        except (ValueError, TypeError, AttributeError):
            raise GuardrailRefused(
                "state-unreadable",
                f"the top-up record {path} cannot be read",
                "the operator must repair or remove it; no top-up is made meanwhile",
            ) from None
        now = self._clock()
        return [t for t in stamps if t > now - DAY]

    def check_top_up(self) -> int:
        """Refuse when the day's top-ups are used up; the number left otherwise."""
        with self._lock:
            recent = self._recent_top_ups()
        left = self.policy.top_ups_per_day - len(recent)
        if left <= 0:
            raise GuardrailRefused(
                "top-up-cap",
                f"the operator allows {self.policy.top_ups_per_day} top-up(s) in 24 hours, and that is used up",
                "do not retry: tell the user the balance is low, or ask the operator to raise top_up.max_per_day",
            )
        return left

    def record_top_up(self) -> None:
        """Remember a top-up (before it is sent: a crash must not allow a second one).

        Called under the top-up job's lock of the state folder, so processes sharing it count one at a time.
        """
        with self._lock:
            self._write_top_ups([*self._recent_top_ups(), self._clock()])

    def forget_top_up(self) -> None:
        """Undo the last record: only when the API refused the top-up, so that none was made."""
        with self._lock:
            self._write_top_ups(self._recent_top_ups()[:-1])

    def _write_top_ups(self, stamps: list[float]) -> None:
        write_private(self._top_ups_file(), json.dumps({"at": stamps}), through_links=False)
