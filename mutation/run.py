"""`make mutate`: mutmut over the modules that hold the project's promises, one run per group, into docs/mutation.md.

mutmut names a mutant by the path of its file (`pkg/mod.py` -> `pkg.mod`) and switches it on by comparing that name
with the running function's `__module__`. Our folders hold import packages under other names (mock_server/ holds
vonage_account_mock), so each group runs in a staging directory, build/mutate/<group>/, whose top level holds the four
packages under their import names (symlinks to the folders' packages), the tests and the project's pyproject.toml with
a generated [tool.mutmut] section. mutmut copies all four packages into <group>/mutants/, mutates the group's files
there, puts that directory first on sys.path, and runs pytest in it; PYTHONPATH names it too (an absolute path), so
a test's subprocess (a CLI server) imports the mutated copy as well, never the editable install's folders.

Each group lists the tests that cover its files; mutmut runs them once to learn which test reaches which function,
then runs, for each mutant, only the tests that reach its function (`-x`: the first failure kills it), two at a time.
Where a group names functions, only their mutants are run and counted.

The measured part of docs/mutation.md (between its two markers) is rewritten: per file, killed / survived / timed
out, the share killed of the mutants not marked equivalent in mutation/equivalent.toml, and every survivor with its
diff and the reason it is equivalent (or "not explained": a gap the tests should close). A mark in equivalent.toml
names the function (the mutant's name without `__mutmut_N`: an edit renumbers a function's mutants), the mutated line
(`mutated`, as `mutmut show` prints it after its `+`) and the reason.

    python -m mutation.run                 # every group
    python -m mutation.run models journal  # some groups (the doc's other rows are kept as they were)
    python -m mutation.run --render        # no run: the doc again from the last results (after marking mutants)
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STAGING = ROOT / "build" / "mutate"
DOC = ROOT / "docs" / "mutation.md"
EQUIVALENT = Path(__file__).resolve().parent / "equivalent.toml"
RESULTS = STAGING / "results.json"
BEGIN, END = "<!-- measured: begin -->", "<!-- measured: end -->"

PACKAGES = {
    "vonage_account_mock": "mock_server",
    "vonage_account_ops": "account_ops",
    "vonage_account_spec": "openapi",
    "vonage_account_client": "generated_client",
}
WORKERS = int(os.environ.get("MUTATE_WORKERS", "2"))
"""Mutants tested at once: the machine's two cores are shared (MUTATE_WORKERS=1 while other work runs)."""


@dataclass(frozen=True)
class Group:
    """Files mutated in one mutmut run, the functions counted (all when empty) and the tests that cover them."""

    name: str
    files: tuple[str, ...]
    tests: tuple[str, ...]
    functions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per file, the functions (`name` or `Class.method`) whose mutants are run; a file not named: all of it."""


JOBS_TESTS = (
    "tests/test_account_ops.py",
    "tests/test_jobs_answers.py",
    "tests/test_no_second_effect.py",
    "tests/test_one_rule.py",
    "tests/test_account_cli.py",
    "tests/test_credential_files.py",
    "tests/test_cli_failures.py",
    "tests/test_mcp_tools.py",
)
"""The tests that reach the jobs: the library's, the CLI's and the MCP tools'."""

GROUPS = (
    Group(
        "models",
        ("vonage_account_mock/state/models.py", "vonage_account_mock/state/store.py"),
        (
            "tests/test_secrets.py",
            "tests/test_balance.py",
            "tests/test_seed_files.py",
            "tests/test_concurrency.py",
            "tests/test_account_rules.py",
            "tests/test_shared_state.py",
        ),
        # The store's Guard is where a rule checked in models.py comes to hold across the processes sharing a state
        # file (a write takes in what the others committed first, and commits before its answer).
        {"vonage_account_mock/state/store.py": ("Guard._enter", "Guard.exit_write", "Guard.exit_read")},
    ),
    Group(
        "lane",
        ("vonage_account_mock/layers/express.py", "vonage_account_mock/layers/limits.py"),
        (
            "tests/test_express_lane.py",
            "tests/test_lane_validators.py",
            "tests/test_hostile_input.py",
            "tests/test_limit_boundaries.py",
        ),
    ),
    Group(
        "journal",
        ("vonage_account_mock/layers/journal.py",),
        ("tests/test_control_api.py", "tests/test_hostile_input.py", "tests/test_journal_redaction.py"),
        {
            "vonage_account_mock/layers/journal.py": (
                "_short",
                "_short_or_none",
                "_redact_pairs",
                "_redact_document",
                "redact_body",
            )
        },
    ),
    Group(
        "callbacks",
        ("vonage_account_mock/callbacks/payloads.py", "vonage_account_mock/callbacks/targets.py"),
        ("tests/test_callback_payloads.py", "tests/test_callback_targets.py", "tests/test_callbacks.py"),
        {"vonage_account_mock/callbacks/payloads.py": ("signature_base", "sign", "signed")},
    ),
    Group(
        "mcp",
        (
            "vonage_account_ops/mcp_server/redaction.py",
            "vonage_account_ops/mcp_server/policy.py",
            "vonage_account_ops/mcp_server/tools.py",
        ),
        (
            "tests/test_mcp_redaction.py",
            "tests/test_mcp_policy.py",
            "tests/test_mcp_tool_edges.py",
            "tests/test_mcp_tools.py",
            "tests/test_mcp_guardrails.py",
            "tests/test_mcp_isolation.py",
            "tests/test_mcp_under_attack.py",
            "tests/test_mcp_agent.py",
        ),
    ),
    Group(
        "secrets",
        ("vonage_account_ops/jobs/rotation.py", "vonage_account_ops/jobs/secrets.py"),
        (*JOBS_TESTS, "tests/test_rotation_mutants.py"),
    ),
    Group(
        "jobs",
        (
            "vonage_account_ops/jobs/__init__.py",
            "vonage_account_ops/jobs/preflight.py",
            "vonage_account_ops/jobs/pricing.py",
            "vonage_account_ops/jobs/top_up.py",
            "vonage_account_ops/jobs/webhooks.py",
            "vonage_account_ops/client.py",
        ),
        (*JOBS_TESTS, "tests/test_jobs_edges.py"),
        {"vonage_account_ops/client.py": ("AccountOps.send", "AccountOps._backoff", "_retry_after")},
    ),
)

KILLED, SURVIVED, TIMEOUT = "killed", "survived", "timeout"


def _module(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def _pattern(path: str, function: str | None) -> str:
    """The mutant names of one function of a file (all of the file's when None), as mutmut spells them."""
    if function is None:
        return f"{_module(path)}.*"
    owner, _, name = function.rpartition(".")
    mangled = f"xǁ{owner}ǁ{name}" if owner else f"x_{name}"
    return f"{_module(path)}.{mangled}__mutmut_*"


def patterns(group: Group) -> list[str]:
    """Every mutant-name pattern a group runs."""
    found: list[str] = []
    for path in group.files:
        named = group.functions.get(path)
        found += [_pattern(path, function) for function in named] if named else [_pattern(path, None)]
    return found


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"


def stage(group: Group) -> Path:
    """A fresh staging directory for one group: the packages under their import names, the tests, the config."""
    where = STAGING / group.name
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    for package, folder in PACKAGES.items():
        (where / package).symlink_to(ROOT / folder / package, target_is_directory=True)
    (where / "tests").symlink_to(ROOT / "tests", target_is_directory=True)
    # Made before mutmut starts: a PYTHONPATH entry missing at start-up is cached as "no finder" for good, and the
    # packages would then come from the editable install.
    (where / "mutants").mkdir()
    config = "\n".join(
        (
            "",
            "[tool.mutmut]",
            f"source_paths = {_toml_list(list(PACKAGES))}",
            f"only_mutate = {_toml_list(list(group.files))}",
            f"pytest_add_cli_args_test_selection = {_toml_list([t for t in group.tests if (ROOT / t).exists()])}",
            'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:xdist"]',
            # Logging calls and their messages are no promise: a changed log line is no behaviour a user relies on.
            'do_not_mutate_patterns = ["log\\\\.(debug|info|warning|error|exception)\\\\("]',
            "use_git_change_detection = false",
            "",
        )
    )
    (where / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text() + config)
    return where


def run_group(group: Group) -> dict[str, Any]:
    """Run mutmut over one group; its mutants' statuses, survivors' diffs and the run's duration."""
    where = stage(group)
    env = dict(os.environ, PYTHONPATH=str(where / "mutants"))
    mutmut = [sys.executable, "-c", "from mutmut.__main__ import cli; cli()"]
    started = time.monotonic()
    log_path = STAGING / f"{group.name}.log"
    with log_path.open("w") as log:
        subprocess.run(
            [*mutmut, "run", "--max-children", str(WORKERS), *patterns(group)],
            cwd=where,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
        )
    duration = time.monotonic() - started
    listing = subprocess.run(
        [*mutmut, "results", "--all", "true"], cwd=where, env=env, capture_output=True, text=True, check=True
    ).stdout
    wanted = patterns(group)
    statuses: dict[str, str] = {}
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name and any(fnmatch.fnmatchcase(name, pattern) for pattern in wanted):
            statuses[name] = status
    diffs = {
        name: subprocess.run(
            [*mutmut, "show", name], cwd=where, env=env, capture_output=True, text=True, check=True
        ).stdout.partition("\n")[2]
        for name, status in statuses.items()
        if status != KILLED
    }
    return {"files": list(group.files), "duration": duration, "statuses": statuses, "diffs": diffs}


def _file_of(name: str, files: list[str]) -> str:
    return next(path for path in files if name.startswith(_module(path) + ".x"))


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def _added_lines(diff: str) -> list[str]:
    return [line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]


Marks = list[dict[str, str]]


def equivalence(name: str, diff: str, marks: Marks) -> str | None:
    """Why a survivor is equivalent, when a mark of mutation/equivalent.toml names its function and its change.

    mutmut numbers a function's mutants in order, so an edit to the function renumbers them: a mark names the
    function (the mutant's name without `__mutmut_N`) and the mutated line instead, and holds whatever number the
    mutant has now.
    """
    function = name.rpartition("__mutmut_")[0]
    added = _added_lines(diff)
    for mark in marks:
        if mark["function"] == function and mark["mutated"].strip() in added:
            return mark["reason"]
    return None


def render(results: dict[str, Any], equivalent: Marks) -> str:
    """The measured part of docs/mutation.md."""
    durations = {name: run["duration"] for name, run in results["groups"].items()}
    each = ", ".join(f"{name} {_minutes(seconds)}" for name, seconds in durations.items())
    lines = [
        f"Measured {results['date']} with mutmut {results['version']}, two mutants at a time, in "
        f"{_minutes(sum(durations.values()))} ({each}).",
        "",
        "| file | mutants | killed | survived | timed out | other | equivalent | killed of the non-equivalent |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    survivors: list[tuple[str, str, str]] = []
    for run in results["groups"].values():
        for path in run["files"]:
            mine = {n: s for n, s in run["statuses"].items() if _file_of(n, run["files"]) == path}
            counts = {status: sum(s == status for s in mine.values()) for status in (KILLED, SURVIVED, TIMEOUT)}
            other = len(mine) - sum(counts.values())
            alive = [n for n, s in mine.items() if s not in (KILLED, TIMEOUT)]
            equal = sum(equivalence(n, run["diffs"].get(n, ""), equivalent) is not None for n in alive)
            counted = len(mine) - equal
            share = f"{100 * (counts[KILLED] + counts[TIMEOUT]) / counted:.0f} %" if counted else "-"
            lines.append(
                f"| `{path}` | {len(mine)} | {counts[KILLED]} | {counts[SURVIVED]} | {counts[TIMEOUT]} | {other} "
                f"| {equal} | {share} |"
            )
            survivors += [(n, mine[n], run["diffs"].get(n, "")) for n in sorted(alive, key=_natural)]
    lines += [
        "",
        'A timed-out mutant counts as killed (its tests did not pass); "other" is mutmut\'s no tests / suspicious.',
        "",
        "### Surviving mutants",
        "",
    ]
    if not survivors:
        lines.append("None.")
    for name, status, diff in survivors:
        reason = equivalence(name, diff, equivalent) or "**not explained**: a gap the tests should close"
        lines += [f"- `{name}` ({status}): {reason}", "", "  ```diff", *("  " + d for d in diff.strip().splitlines())]
        lines += ["  ```", ""]
    return "\n".join(lines).rstrip() + "\n"


def _natural(name: str) -> tuple[str, int]:
    stem, _, number = name.rpartition("__mutmut_")
    return stem, int(number) if number.isdigit() else 0


def write_doc(results: dict[str, Any]) -> None:
    """Rewrite the measured part of docs/mutation.md."""
    equivalent: Marks = tomllib.loads(EQUIVALENT.read_text())["equivalent"] if EQUIVALENT.exists() else []
    text = DOC.read_text()
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    DOC.write_text(f"{head}{BEGIN}\n{render(results, equivalent)}{END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    names = [g.name for g in GROUPS]
    parser.add_argument("groups", nargs="*", metavar="GROUP", help=f"one of {', '.join(names)} (default: every one)")
    parser.add_argument(
        "--render", action="store_true", help="run nothing: rewrite docs/mutation.md from the last results"
    )
    arguments = parser.parse_args()
    chosen = [] if arguments.render else arguments.groups or names
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        parser.error(f"unknown groups {', '.join(unknown)}: the groups are {', '.join(names)}")

    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"groups": {}}
    for group in GROUPS:
        if group.name in chosen:
            print(f"==> {group.name}: mutmut over {', '.join(group.files)} (log: build/mutate/{group.name}.log)")
            results["groups"][group.name] = run_group(group)
            print(f"    {_minutes(results['groups'][group.name]['duration'])}")
    results["groups"] = {g.name: results["groups"][g.name] for g in GROUPS if g.name in results["groups"]}
    if chosen:
        results["date"] = datetime.now(UTC).strftime("%Y-%m-%d")
        results["version"] = version("mutmut")
        RESULTS.write_text(json.dumps(results, indent=1))
    write_doc(results)
    print(f"==> {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
