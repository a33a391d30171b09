"""Local TLS for the mock: a throw-away CA and a server certificate for loopback, made with trustme."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TlsFiles:
    """PEM files: the CA bundle clients trust, and the server's certificate chain and key."""

    ca_bundle: Path
    certfile: Path
    keyfile: Path


def make_tls_files(directory: Path, hostnames: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")) -> TlsFiles:
    """Write a fresh CA and a certificate for `hostnames` into `directory`."""
    # Imported here: cryptography is heavy, and only --tls needs it.
    import trustme

    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="vonage-account-mock local CA")
    server_cert = ca.issue_cert(*hostnames)
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    ca.cert_pem.write_to_path(str(files.ca_bundle))
    server_cert.private_key_pem.write_to_path(str(files.keyfile))
    # The chain, leaf first, so clients can build the path to the CA.
    with files.certfile.open("wb") as chain:
        for blob in server_cert.cert_chain_pems:
            chain.write(blob.bytes())
    files.keyfile.chmod(0o600)
    return files
