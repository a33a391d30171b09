"""Stoplight Prism, run as a subprocess: a stateless mock of the spec, or a validating proxy in front of a server."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from vonage_account_spec import spec_path

PRISM_VARIABLE = "PRISM_BIN"
# The repository checkout this package sits in (mock_server/vonage_account_mock/serving/), for its node_modules.
_REPOSITORY = Path(__file__).resolve().parents[3]


class PrismUnavailable(RuntimeError):
    """Node or the @stoplight/prism-cli package is missing."""


class PrismFailed(RuntimeError):
    """Prism did not start, or stopped on its own."""


def prism_command() -> list[str]:
    """The command that runs Prism: $PRISM_BIN, the project's node_modules, or `prism` on the PATH."""
    if os.environ.get(PRISM_VARIABLE):
        return [os.environ[PRISM_VARIABLE]]
    local = _REPOSITORY / "node_modules" / ".bin" / "prism"
    if local.exists():
        if shutil.which("node") is None:
            raise PrismUnavailable("Prism needs Node.js, and `node` is not on the PATH (install Node 20 or newer)")
        return [str(local)]
    on_path = shutil.which("prism")
    if on_path:
        return [on_path]
    raise PrismUnavailable(
        "Prism is not installed: run `npm ci` in the repository (it is pinned in package.json), "
        f"or point ${PRISM_VARIABLE} at a prism executable"
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    # Prism runs in its own process group; end the whole group so no node child is orphaned.
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PrismFailed(f"Prism exited with {process.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            # Any HTTP answer (even a 404 or 401) means Prism is serving.
            httpx.get(f"{url}/account/get-balance", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise PrismFailed(f"Prism did not answer within {timeout}s: {log.read_text(errors='replace')[-2000:]}")


@contextmanager
def _run(arguments: Sequence[str], *, port: int, timeout: float) -> Iterator[str]:
    command = [*prism_command(), *arguments, "--host", "127.0.0.1", "--port", str(port)]
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"prism-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(url, process, timeout, log)
        yield url
    finally:
        _stop(process)
        log.unlink(missing_ok=True)


@contextmanager
def prism_mock(
    spec: Path | None = None,
    *,
    dynamic: bool = False,
    seed: int | None = None,
    verbose: bool = False,
    port: int | None = None,
    timeout: float = 30.0,
) -> Iterator[str]:
    """Serve Prism's stateless mock of the spec; yields its URL and always stops it."""
    arguments = ["mock", str(spec or spec_path())]
    if dynamic:
        arguments.append("--dynamic")
    if seed is not None:
        arguments += ["--seed", str(seed)]
    if not verbose:
        arguments += ["-v", "silent"]
    with _run(arguments, port=port or free_port(), timeout=timeout) as url:
        yield url


@contextmanager
def prism_proxy(
    upstream: str,
    spec: Path | None = None,
    *,
    verbose: bool = False,
    port: int | None = None,
    timeout: float = 30.0,
) -> Iterator[str]:
    """Serve Prism as a validating proxy to `upstream`, answering errors on any violation; yields its URL."""
    arguments = ["proxy", str(spec or spec_path()), upstream, "--errors"]
    if not verbose:
        arguments += ["-v", "silent"]
    with _run(arguments, port=port or free_port(), timeout=timeout) as url:
        yield url
