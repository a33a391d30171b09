"""The README runs as written: its shell and Python blocks, top to bottom, in one terminal, against mocks started here.

A block the README marks `<!-- readme-test: skip: REASON -->` is counted, not run (servers that block, `make test`
itself, a vault); `<!-- readme-test: file NAME -->` writes a data block to NAME for later blocks; `<!-- readme-test:
pytest -->` saves a Python block as a test file and runs pytest on it. Everything else runs. The blocks run in a
scratch folder that links to the checkout's files, with a clean HOME and without the virtual environment on PATH, so
the README's own activation line has to work; twice against the same mocks (a README that only works on a fresh mock
fails the second run), and the checkout must look the same afterwards (the README's blocks write into a scratch
folder of their own).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from vonage_account_mock.state.seed import load_seed_file
from vonage_account_ops.mcp_server.policy import load_policy
from vonage_account_ops.mcp_server.tools import TOOL_NAMES

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
VENV_BIN = Path(sys.executable).parent
MARKER = re.compile(r"<!-- readme-test: (skip: (?P<reason>.+?)|file (?P<file>\S+)|(?P<pytest>pytest)) -->")
FENCE = re.compile(r"^```(?P<lang>\w*)\s*$")
# The ports the README's blocks name: the mocks the README starts in another terminal, and a webhook receiver.
PLAIN_PORT, TLS_PORT, RECEIVER_PORT = "8080", "8443", "9000"


@dataclass
class Block:
    line: int
    lang: str
    text: str
    skip: str | None = None
    file: str | None = None
    pytest: bool = False


def readme_blocks(text: str) -> list[Block]:
    """Every fenced block of the README with the marker on the line before it, if any."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        block = Block(index + 1, opening["lang"], "\n".join(lines[index + 1 : end]) + "\n")
        marker = MARKER.search(lines[index - 1]) if index > 0 else None
        if marker is not None:
            block.skip, block.file, block.pytest = marker["reason"], marker["file"], bool(marker["pytest"])
        blocks.append(block)
        index = end + 1
    return blocks


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_mock(home: Path, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    """`vonage-account-mock serve` on a free port in its own process, once it is ready (as a CI script would)."""
    url_file = home / f"mock-{len(list(home.glob('mock-*.url')))}.url"
    command = [str(VENV_BIN / "vonage-account-mock"), "serve", "--port", "0", "--url-file", str(url_file), *args]
    process = subprocess.Popen(
        [*command, "--log-level", "warning"], env={**os.environ, "HOME": str(home)}, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while not url_file.exists():
        assert process.poll() is None, "the mock exited during start-up"
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the mock did not write its URL within 30 s")
        time.sleep(0.05)
    url = url_file.read_text().strip()
    # Readiness only: the certificate is checked by the README's own blocks.
    assert httpx.get(f"{url}/_mock/health", verify=False, timeout=5).json()["status"] == "ok"
    return process, int(url.rsplit(":", 1)[1])


@pytest.fixture
def mocks(tmp_path: Path) -> Iterator[dict[str, int]]:
    """The two mocks the README starts in other terminals: plain HTTP, and TLS (its CA under the scratch HOME)."""
    home = tmp_path / "home"
    home.mkdir()
    plain, plain_port = start_mock(home)
    tls, tls_port = start_mock(home, "--tls")
    try:
        yield {PLAIN_PORT: plain_port, TLS_PORT: tls_port, RECEIVER_PORT: free_port()}
    finally:
        for process in (plain, tls):
            process.terminate()
            process.wait(timeout=10)


def scratch_checkout(folder: Path) -> Path:
    """A folder that looks like the checkout (links to its files) but keeps what the blocks write to itself."""
    folder.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in {".git", ".pytest_cache", ".mypy_cache", ".ruff_cache"}:
            (folder / entry.name).symlink_to(entry)
    return folder


def script_of(blocks: list[Block], ports: dict[str, int]) -> str:
    """One bash script running the blocks in order, as one terminal would, each announced on stderr."""
    parts = ["set -eo pipefail"]
    for number, block in enumerate(blocks):
        text = block.text
        for written, actual in ports.items():
            text = text.replace(f"127.0.0.1:{written}", f"127.0.0.1:{actual}")
            text = text.replace(f"http.server {written} ", f"http.server {actual} ")
        parts.append(f"echo {shlex.quote(f'=== README line {block.line} ({block.lang})')} >&2")
        delimiter = f"README_BLOCK_{number}"
        if block.file:
            parts.append(f"cat > {shlex.quote(block.file)} <<'{delimiter}'\n{text}{delimiter}")
        elif block.pytest:
            name = f"test_readme_block_{number}.py"
            parts.append(f"cat > {name} <<'{delimiter}'\n{text}{delimiter}")
            parts.append(f"python -m pytest -q -p no:cacheprovider {name}")
        elif block.lang == "python":
            parts.append(f"python - <<'{delimiter}'\n{text}{delimiter}")
        else:
            parts.append(text)
    return "\n".join(parts) + "\n"


def _checkout_state(work: Path) -> tuple[list[str], str]:
    """The scratch checkout's own entries and the real checkout's `git status`: what a block could have written."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return sorted(entry.name for entry in work.iterdir()), status.stdout


def _run_readme(
    blocks: list[Block], ports: dict[str, int], work: Path, home: Path, folder: Path
) -> subprocess.CompletedProcess[str]:
    """The blocks in one fresh terminal in the checkout: the system's PATH, not the virtual environment's (the README's
    first block activates it), the mocks' HOME (their CA), and a TMPDIR of this run's own in `folder`."""
    (folder / "tmp").mkdir(parents=True)
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if Path(p).resolve() != VENV_BIN.resolve())
    environment = {"PATH": path, "HOME": str(home), "LANG": "C.UTF-8", "TERM": "dumb", "TMPDIR": str(folder / "tmp")}
    # Its own session, output to files: a block's background process (a receiver, a mock) left behind by a failure
    # must neither hold the test's pipes open nor outlive it.
    out, err = folder / "stdout", folder / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        shell = subprocess.Popen(
            ["bash", "-c", script_of(blocks, ports)],
            cwd=work,
            env=environment,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            returncode = shell.wait(timeout=240)
        except subprocess.TimeoutExpired:
            returncode = -1
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(shell.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(shell.args, returncode, out.read_text(), err.read_text())


def test_every_block_of_the_readme_runs_as_written(mocks: dict[str, int], tmp_path: Path) -> None:
    blocks = readme_blocks(README.read_text(encoding="utf-8"))
    commands = [b for b in blocks if b.lang in {"sh", "python"}]
    skipped = [b for b in commands if b.skip]
    files = [b for b in blocks if b.file]
    to_run = [b for b in blocks if (b.lang in {"sh", "python"} and not b.skip) or b.file]
    unmarked_data = [b.line for b in blocks if b.lang not in {"sh", "python"} and not b.file]
    assert not unmarked_data, f"blocks in other languages must be files the README test writes: lines {unmarked_data}"
    assert all(b.lang in {"sh", "python", "yaml", "json"} for b in blocks)
    # The counts are the README's contract: a new block either runs or says, in the README, why it cannot.
    assert len(commands) - len(skipped) >= 10, "the README test found too few blocks to run: is the parser broken?"
    assert len(skipped) <= 8 and all(len(b.skip or "") > 20 for b in skipped), [(b.line, b.skip) for b in skipped]

    work = scratch_checkout(tmp_path / "checkout")
    untouched = _checkout_state(work)
    # Twice against the same mocks, in a fresh terminal each time: the second run meets what the first left.
    home = tmp_path / "home"
    first = _run_readme(to_run, mocks, work, home, tmp_path / "first")
    done = _run_readme(to_run, mocks, work, home, tmp_path / "second")
    for run in (first, done):
        where = [line for line in run.stderr.splitlines() if line.startswith("=== README line")]
        assert run.returncode == 0, (
            f"{'second' if run is done else 'first'} run: "
            f"{where[-1] if where else 'before the first block'} failed with exit {run.returncode}:\n"
            f"--- stdout ---\n{run.stdout[-3000:]}\n--- stderr ---\n{run.stderr[-3000:]}"
        )
        assert len(where) == len(to_run)
        assert "Traceback" not in run.stdout + run.stderr
    if os.environ.get("README_TEST_SHOW"):
        print(done.stdout, done.stderr)
    assert _checkout_state(work) == untouched, "the README's blocks wrote into the checkout"
    (scratch,) = (tmp_path / "second" / "tmp").iterdir()  # the README's `cd "$(mktemp -d)"`

    # What the blocks printed is what the README says they print.
    assert "get_balance" in done.stdout, "the MCP search found the balance operation"
    assert re.search(r"^OK: balance 120\.00 EUR covers", done.stdout, re.M), "pre-flight passes on the seeded credit"
    assert "topped up: 120.00 -> 145.00 EUR" in done.stdout, "top-up works on the account the README seeds"
    assert re.search(r"dlv-\d+ GET http://127\.0\.0\.1:\d+/ -> 200 \(delivered\)$", done.stdout, re.M), "callbacks"
    # The data blocks are what their readers accept.
    assert [seed.api_key for seed in load_seed_file(scratch / "accounts.yaml")] == ["abcd1234", "sub00001"]
    assert load_policy(scratch / "mcp-policy.yaml", TOOL_NAMES).deny == frozenset({"register_sender"})
    assert "vonage-account" in json.loads((scratch / "mcp-client.json").read_text())["mcpServers"]
    assert {b.file for b in files} == {"accounts.yaml", "mcp-policy.yaml", "mcp-client.json"}
