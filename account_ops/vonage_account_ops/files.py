"""The files the jobs keep (credentials, top-up records): written atomically and privately, and locked while in use.

A credentials file may be a symbolic link (to a vault-managed file, say): it is written through to its target, so the
link and everything reading the target see the new secret. Temporary files get unpredictable names, are created
exclusively and never followed through a link, in the folder of the file they replace.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class FileRefused(OSError):
    """A file or folder the jobs will not use as it is (the message says why and what to do)."""


def target_of(path: Path) -> Path:
    """The file `path` names: itself, or the end of its chain of symbolic links (refusing a loop)."""
    try:
        return Path(os.path.realpath(path, strict=False))
    except OSError as error:  # pragma: no cover - realpath(strict=False) raises only on a loop in some versions
        raise FileRefused(error.errno, f"{path} is a loop of symbolic links: point it at a file") from None


def write_private(path: Path, text: str, *, through_links: bool = True) -> None:
    """Replace the file at `path` with `text`, atomically, mode 0600.

    A symbolic link is written through to its target (the link stays), or with `through_links=False` refused (for
    files the jobs name themselves, which no one should have linked anywhere). Written to a temporary file beside the
    target, flushed to disk, then renamed over it: a reader sees the old content or the new, never half of either,
    and a crash leaves the old one.
    """
    if not through_links and path.is_symlink():
        raise FileRefused(errno.ELOOP, f"{path} is a symbolic link, which is not followed here: remove it")
    target = target_of(path)
    if target.is_dir():
        raise FileRefused(errno.EISDIR, f"{path} is a folder: give a file")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def check_private_folder(folder: Path) -> None:
    """Refuse a folder that others may write to (they could swap the files in it), or that is not a folder."""
    try:
        info = os.stat(folder)
    except FileNotFoundError:
        raise FileRefused(errno.ENOENT, f"the folder {folder} does not exist: create it or choose another") from None
    if not stat.S_ISDIR(info.st_mode):
        raise FileRefused(errno.ENOTDIR, f"{folder} is not a folder: choose a folder")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or info.st_uid != os.geteuid():
        raise FileRefused(
            errno.EPERM,
            f"the folder {folder} may be written by other users: run `chmod go-w {folder}` (and own it), or choose "
            "another",
        )


class LockBusy(Exception):
    """Another run holds the lock (in this process or another)."""


_LOCAL: dict[str, threading.Lock] = {}
_LOCAL_GUARD = threading.Lock()


def _local_lock(key: str) -> threading.Lock:
    with _LOCAL_GUARD:
        return _LOCAL.setdefault(key, threading.Lock())


@contextmanager
def exclusive(path: Path, *, wait: float) -> Iterator[None]:
    """Hold the lock of the file `path` (a `.NAME.lock` beside its target) for the block, for one holder at a time.

    One holder across threads (a lock per file in this process) and across processes (an `fcntl` lock on the lock
    file, given back by the system when a holder dies). Waits up to `wait` seconds, then raises LockBusy.
    """
    target = target_of(path)
    lock_path = target.with_name(f".{target.name}.lock")
    deadline = time.monotonic() + wait
    local = _local_lock(str(lock_path))
    if not (local.acquire(timeout=wait) if wait > 0 else local.acquire(blocking=False)):
        raise LockBusy(str(path))
    try:
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            handle = os.open(lock_path, flags, 0o600)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise FileRefused(error.errno, f"{lock_path} is a symbolic link: remove it") from None
            raise
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockBusy(str(path)) from None
                    time.sleep(0.02)
            yield
        finally:
            os.close(handle)  # closing gives the fcntl lock back
    finally:
        local.release()
