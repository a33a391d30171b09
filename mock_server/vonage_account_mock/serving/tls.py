"""Local TLS for the mock: a CA and a server certificate for loopback, made with trustme and kept safely.

The default folder is stable per user (`$XDG_STATE_HOME/vonage-account-mock/tls`, mode 0700), so a CA a developer
trusted once (`REQUESTS_CA_BUNDLE`) stays valid across restarts. Files already there are used only when they are
regular files owned by this user with mode 0600 (never through a symbolic link); new ones are created exclusively,
without following links, with mode 0600 from the first byte. Nothing goes to a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

TLS_DIR_VARIABLE = "VONAGE_ACCOUNT_MOCK_TLS_DIR"
_FILES = ("ca.pem", "ca.key", "server.pem", "server.key")


class UnsafeTlsFiles(Exception):
    """A TLS folder or file that is not safe to use (the message says which and why, and what to do)."""


@dataclass(frozen=True)
class TlsFiles:
    """PEM files: the CA bundle clients trust, and the server's certificate chain and key."""

    ca_bundle: Path
    certfile: Path
    keyfile: Path


def default_tls_dir() -> Path:
    """`$VONAGE_ACCOUNT_MOCK_TLS_DIR`, else `$XDG_STATE_HOME/vonage-account-mock/tls` (`~/.local/state/...`)."""
    if os.environ.get(TLS_DIR_VARIABLE):
        return Path(os.environ[TLS_DIR_VARIABLE])
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "vonage-account-mock" / "tls"


def _check_dir(directory: Path) -> None:
    if directory.is_symlink():
        raise UnsafeTlsFiles(f"{directory} is a symbolic link: give the real folder")
    info = directory.stat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise UnsafeTlsFiles(f"{directory} is not a folder of yours: give another --tls-dir")
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise UnsafeTlsFiles(f"{directory} is open to other users: chmod 700 it, or give another --tls-dir")


def _check_file(path: Path) -> None:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        raise UnsafeTlsFiles(f"{path} is not a regular file (a link?): remove it, and the mock makes a new one")
    if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) != 0o600:
        raise UnsafeTlsFiles(f"{path} must be yours with mode 0600: fix it, or remove the folder for a new CA")


def _write_new(path: Path, data: bytes) -> None:
    """Create `path` (it must not exist; links are not followed) with mode 0600, and write `data`."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)


def make_tls_files(directory: Path, hostnames: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")) -> TlsFiles:
    """The CA and server certificate in `directory`: reused when all are there and safe, else made anew.

    Raises UnsafeTlsFiles when the folder or a file in it cannot be trusted.
    """
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    _check_dir(directory)
    paths = [directory / name for name in _FILES]
    present = [path for path in paths if os.path.lexists(path)]
    for path in present:
        _check_file(path)
    files = TlsFiles(ca_bundle=paths[0], certfile=paths[2], keyfile=paths[3])
    if len(present) == len(paths):
        return files
    if present:
        raise UnsafeTlsFiles(
            f"{directory} holds only some of {', '.join(_FILES)}: remove the folder, and the mock makes a new CA"
        )
    # Imported here: cryptography is heavy, and only TLS needs it.
    import trustme

    ca = trustme.CA(organization_name="vonage-account-mock local CA")
    server_cert = ca.issue_cert(*hostnames)
    _write_new(paths[1], ca.private_key_pem.bytes())
    _write_new(paths[3], server_cert.private_key_pem.bytes())
    # The chain, leaf first, so clients can build the path to the CA.
    _write_new(paths[2], b"".join(blob.bytes() for blob in server_cert.cert_chain_pems))
    _write_new(paths[0], ca.cert_pem.bytes())
    return files


def forget_tls_files(directory: Path) -> bool:
    """Remove a TLS folder made by `make_tls_files` (the next --tls makes a new CA); whether there was one."""
    if not directory.exists():
        return False
    _check_dir(directory)
    unexpected = sorted(p.name for p in directory.iterdir() if p.name not in _FILES)
    if unexpected:
        raise UnsafeTlsFiles(f"{directory} holds files the mock did not make ({', '.join(unexpected)}): not removed")
    shutil.rmtree(directory)
    return True
