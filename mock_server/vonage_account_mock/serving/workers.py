"""`serve --workers N`: N forked processes serving one pre-bound socket, all on one state file.

The parent binds the socket, brings the state file to its seeded state, then forks; each worker builds its own app
(its own SQLite connection: none is carried across a fork) and serves the inherited socket, the kernel handing each
connection to one of them. The parent writes `--url-file` once every worker answers, starts a new worker in place of
one that died, and on Ctrl-C or SIGTERM stops them all. A worker dies with its parent (a `kill -9` of the parent
leaves no worker behind holding the port and the file).
"""

from __future__ import annotations

import ctypes
import logging
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from vonage_account_mock.serving.protocol import ConnectionLimits
from vonage_account_mock.serving.server import serve_forever
from vonage_account_mock.serving.tls import TlsFiles
from vonage_account_mock.state.store import ChangeSignal

log = logging.getLogger("vonage_account_mock")
_PR_SET_PDEATHSIG = 1
START_TIMEOUT = 60.0


class WorkerFailed(Exception):
    """A worker could not start: the message is its one-line reason."""


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux: the parent's SIGTERM still stops workers
        pass


def _worker(
    build_app: Callable[[], Any],
    sock: socket.socket,
    ready: int,
    *,
    tls: TlsFiles | None,
    log_level: str,
    limits: ConnectionLimits,
) -> None:
    """The body of a forked worker: never returns."""
    code = 0
    try:
        _die_with_parent()
        app = build_app()
        app.warm_up(after_first_answer=True)

        def answered() -> None:
            os.write(ready, b".")

        serve_forever(app, sock, tls=tls, log_level=log_level, limits=limits, on_ready=answered)
    except KeyboardInterrupt:
        pass
    except Exception as error:
        print(f"error: a worker could not start: {error}", file=sys.stderr, flush=True)
        code = 3
    finally:
        sys.stdout.flush()
        os._exit(code)


def serve_workers(
    build_app: Callable[[], Any],
    sock: socket.socket,
    workers: int,
    *,
    tls: TlsFiles | None,
    log_level: str,
    limits: ConnectionLimits,
    on_ready: Callable[[], None] | None = None,
    signal_: ChangeSignal | None = None,
) -> None:
    """Serve with `workers` processes until interrupted (KeyboardInterrupt, as the single-process server).

    `signal_` is the state file's shared memory: each worker learns its number in it, and one that dies holds back
    no journal read.
    """
    read_end, write_end = os.pipe()

    def fork(index: int) -> int:
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            if signal_ is not None:
                signal_.worker = index
            _worker(build_app, sock, write_end, tls=tls, log_level=log_level, limits=limits)
        return pid

    children = {fork(index): index for index in range(workers)}
    try:
        _wait_ready(read_end, workers, set(children))
        if on_ready is not None:
            on_ready()
        while True:
            pid, status = os.wait()
            if pid in children:
                index = children.pop(pid)
                if signal_ is not None:
                    signal_.forget_worker(index)
                log.warning("worker %d stopped (status %d): starting another", pid, status)
                time.sleep(0.2)  # a worker that dies at once must not make the parent spin
                children[fork(index)] = index
    finally:
        _stop(set(children))
        os.close(read_end)
        os.close(write_end)


def _wait_ready(read_end: int, workers: int, children: set[int]) -> None:
    answered = 0
    deadline = time.monotonic() + START_TIMEOUT
    while answered < workers:
        for pid in list(children):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                raise WorkerFailed(f"worker {pid} stopped while starting (exit {os.waitstatus_to_exitcode(status)})")
        if time.monotonic() > deadline:
            raise WorkerFailed(f"the workers did not all start within {START_TIMEOUT:g} s")
        readable, _, _ = select.select([read_end], [], [], 0.1)
        if readable:
            answered += len(os.read(read_end, workers))


def _stop(children: set[int]) -> None:
    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    for pid in children:
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break
            if done:
                break
            time.sleep(0.05)
        else:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
