"""Running a Markdown page's code blocks as written: the parser, the mocks they talk to, and the one-terminal script.

A page's ```bash and ```python blocks run in order in one bash script, as one terminal would; a ```console block
runs its `$ ` lines and its other lines are the output it must print (`...` in a line matches anything). The line
before a block may hold a marker, `<!-- docs-test: skip: REASON -->` (counted, not run: a server that blocks, an
install), `<!-- docs-test: file NAME -->` (a data block written to NAME for later blocks) or `<!-- docs-test: pytest
-->` (a Python block saved as a test file and run with pytest). The blocks talk to the ports the pages name — the
mock on 8080, the TLS mock on 8443, a webhook receiver on 9000 — which the script points at the mocks started here.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

VENV_BIN = Path(sys.executable).parent
MARKER = re.compile(r"<!-- docs-test: (skip: (?P<reason>.+?)|file (?P<file>\S+)|(?P<pytest>pytest)) -->")
FENCE = re.compile(r"^```(?P<lang>\w*)\s*$")
RUN = frozenset({"bash", "console", "python"})
# The ports the pages name: the mocks they assume are running in another terminal, and a webhook receiver.
PLAIN_PORT, TLS_PORT, RECEIVER_PORT = "8080", "8443", "9000"


@dataclass
class Block:
    """One fenced block of a page, with its marker."""

    line: int
    lang: str
    text: str
    skip: str | None = None
    file: str | None = None
    pytest: bool = False
    expected: list[str] = field(default_factory=list)
    """A console block's output lines."""

    @property
    def runs(self) -> bool:
        return (self.lang in RUN and not self.skip) or self.file is not None


def page_blocks(text: str) -> list[Block]:
    """Every fenced block of a page (a block's fence starts its line), with the marker on the line before it."""
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
        if block.lang == "console":
            block.text, block.expected = console_parts(lines[index + 1 : end])
        blocks.append(block)
        index = end + 1
    return blocks


def console_parts(lines: list[str]) -> tuple[str, list[str]]:
    """A console block's commands (`$ ` lines and their `\\` continuations) and the output it shows."""
    commands: list[str] = []
    expected: list[str] = []
    continued = False
    for line in lines:
        if continued or line.startswith("$ "):
            commands.append(line if continued else line[2:])
            continued = line.endswith("\\")
        elif line.strip():
            expected.append(line)
    return "\n".join(commands) + "\n", expected


def output_matches(expected: list[str], actual: str) -> bool:
    """Whether the expected lines appear in the actual output in order (`...` matching any text within a line)."""
    remaining = iter(actual.splitlines())
    for line in expected:
        pattern = re.compile(".*".join(re.escape(part) for part in line.strip().split("...")))
        if not any(pattern.fullmatch(candidate.strip()) for candidate in remaining):
            return False
    return True


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
    # Readiness only: the certificate is checked by the pages' own blocks.
    assert httpx.get(f"{url}/_mock/health", verify=False, timeout=5).json()["status"] == "ok"
    return process, int(url.rsplit(":", 1)[1])


@contextlib.contextmanager
def running_mocks(home: Path) -> Iterator[dict[str, int]]:
    """The two mocks the pages assume: plain HTTP and TLS (its CA under `home`), and a free port for a receiver."""
    plain, plain_port = start_mock(home)
    tls, tls_port = start_mock(home, "--tls")
    try:
        yield {PLAIN_PORT: plain_port, TLS_PORT: tls_port, RECEIVER_PORT: free_port()}
    finally:
        for process in (plain, tls):
            process.terminate()
            process.wait(timeout=10)


def with_ports(text: str, ports: dict[str, int]) -> str:
    """A block's text with the ports it names replaced by the ones actually in use."""
    for written, actual in ports.items():
        text = text.replace(f"127.0.0.1:{written}", f"127.0.0.1:{actual}")
        text = text.replace(f"http.server {written} ", f"http.server {actual} ")
    return text


def script_of(blocks: list[Block], ports: dict[str, int], label: str) -> str:
    """One bash script running the blocks in order, as one terminal would, each announced on stderr.

    A console block's output also goes to `.block-N.out` in the working folder, for `console_mismatches`.
    """
    # A console block's output goes to its file and, once it is done, to stdout; a failure shows what it printed.
    parts = ["set -eo pipefail", 'trap \'[ -n "$BLOCK_OUT" ] && cat "$BLOCK_OUT" >&4\' EXIT']
    for number, block in enumerate(blocks):
        text = with_ports(block.text, ports)
        parts.append(f"echo {shlex.quote(f'=== {label} line {block.line} ({block.lang})')} >&2")
        delimiter = f"DOC_BLOCK_{number}"
        if block.file:
            parts.append(f"cat > {shlex.quote(block.file)} <<'{delimiter}'\n{text}{delimiter}")
        elif block.pytest:
            name = f"test_doc_block_{number}.py"
            parts.append(f"cat > {name} <<'{delimiter}'\n{text}{delimiter}")
            parts.append(f"python -m pytest -q -p no:cacheprovider {name}")
        elif block.lang == "python":
            parts.append(f"python - <<'{delimiter}'\n{text}{delimiter}")
        elif block.lang == "console":
            out = f".block-{number}.out"
            parts.append(f"BLOCK_OUT={out}; exec 3>&1 4>&2 >{out} 2>&1\n{text}exec 1>&3 2>&4; BLOCK_OUT=; cat {out}")
        else:
            parts.append(text)
    return "\n".join(parts) + "\n"


def console_mismatches(blocks: list[Block], folder: Path, ports: dict[str, int]) -> list[str]:
    """The console blocks whose output is not what the page shows, each with what it printed."""
    wrong = []
    for number, block in enumerate(blocks):
        if block.lang != "console" or not block.expected:
            continue
        printed = (folder / f".block-{number}.out").read_text()
        for written, actual in ports.items():
            printed = printed.replace(f"127.0.0.1:{actual}", f"127.0.0.1:{written}")
        if not output_matches(block.expected, printed):
            wrong.append(f"line {block.line}: expected\n{chr(10).join(block.expected)}\n--- printed ---\n{printed}")
    return wrong


def run_script(script: str, cwd: Path, home: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run `script` in a fresh terminal: the virtual environment's commands on PATH, a clean HOME, `cwd`."""
    environment = {
        "PATH": os.pathsep.join([str(VENV_BIN), os.environ["PATH"]]),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        **{name: os.environ[name] for name in ("PYTHONPATH",) if name in os.environ},
    }
    # Its own session, output to files: a block's background process (a receiver, a mock) left behind by a failure
    # must neither hold the test's pipes open nor outlive it.
    out, err = cwd.parent / f"{cwd.name}.stdout", cwd.parent / f"{cwd.name}.stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        shell = subprocess.Popen(
            ["bash", "-c", script], cwd=cwd, env=environment, stdout=stdout, stderr=stderr, start_new_session=True
        )
        try:
            returncode = shell.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            returncode = -1
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(shell.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(shell.args, returncode, out.read_text(), err.read_text())
