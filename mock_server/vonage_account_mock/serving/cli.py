"""The `vonage-account-mock` command: serve the stateful mock over HTTP or HTTPS."""

from __future__ import annotations

import errno
import functools
import ipaddress
import logging
import os
import signal
import socket
import ssl
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import click

from vonage_account_mock.app import AccountMockApp, create_app
from vonage_account_mock.callbacks.delivery import DeliveryPolicy
from vonage_account_mock.layers.limits import ShapeLimits
from vonage_account_mock.serving.options import (
    CALLBACK_OPTIONS,
    CONNECTION_OPTIONS,
    DELIVERY_EXTRA,
    SHAPE_OPTIONS,
    delivery_policy,
    grouped,
)
from vonage_account_mock.serving.persistence import StateOptions, backend_on, initialise, state_options
from vonage_account_mock.serving.protocol import ConnectionLimits
from vonage_account_mock.serving.running_cli import reset, send
from vonage_account_mock.serving.server import bind, serve_forever
from vonage_account_mock.serving.snapshot_cli import snapshot
from vonage_account_mock.serving.tls import TlsFiles, UnsafeTlsFiles, default_tls_dir, forget_tls_files, make_tls_files
from vonage_account_mock.serving.workers import WorkerFailed, serve_workers
from vonage_account_mock.state.models import MAX_PROVISIONED, AccountSeed
from vonage_account_mock.state.seed import SeedError, load_seed_file
from vonage_account_mock.state.store import StateFile, StateFileError


def _tls_files(tls: bool, certfile: Path | None, keyfile: Path | None, tls_dir: Path | None) -> TlsFiles | None:
    """The certificate to serve: the one given, a local CA's (--tls), or none."""
    if certfile and keyfile:
        _check_certificate(certfile, keyfile)
        return TlsFiles(ca_bundle=certfile, certfile=certfile, keyfile=keyfile)
    if not tls:
        return None
    folder = tls_dir or default_tls_dir()
    try:
        return make_tls_files(folder)
    except UnsafeTlsFiles as error:
        raise BadFile(f"cannot use the TLS folder: {error}") from None
    except OSError as error:
        raise BadFile(
            f"cannot use the TLS folder {folder}: {error.strerror or error}; give another --tls-dir"
        ) from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


HOST_VARIABLE = "VONAGE_ACCOUNT_MOCK_HOST"
PORT_VARIABLE = "VONAGE_ACCOUNT_MOCK_PORT"

EXIT_USAGE = 2
"""A flag or its value is wrong, or a file a flag names is missing or cannot be written."""
EXIT_BAD_FILE = 3
"""A file's content cannot be used: the seed file, the certificate or key, the TLS folder."""
EXIT_CANNOT_LISTEN = 4
"""The address cannot be listened on (port in use, address not available, no permission)."""


class BadFile(click.ClickException):
    """A file's content cannot be used."""

    exit_code = EXIT_BAD_FILE


class CannotListen(click.ClickException):
    """The address cannot be listened on."""

    exit_code = EXIT_CANNOT_LISTEN


class CannotWriteUrlFile(click.ClickException):
    """The --url-file cannot be written (found once the server is up: the folder was checked before)."""

    exit_code = EXIT_USAGE


# click 8.2 and later raise it for a bare `vonage-account-mock`: the help is the answer there, not an error line.
_NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())


class OneLineErrors(click.Group):
    """A group whose errors are one line on stderr, `error: what went wrong; what to do`, never a traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("standalone_mode", True):
            return super().main(*args, **kwargs)
        try:
            result = super().main(*args, **{**kwargs, "standalone_mode": False})
        except _NO_ARGS_IS_HELP as error:
            error.show()
            sys.exit(error.exit_code)
        except click.UsageError as error:
            command = error.ctx.command_path if error.ctx else self.name
            click.echo(f"error: {error.format_message()} (see '{command} --help')", err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            if getattr(error, "as_json", False):
                error.show()  # the command's --json asked for the error as a JSON document on stdout
            else:
                click.echo(f"error: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


EXIT_CODES_HELP = """\b
Exit codes of serve: 0 stopped cleanly (Ctrl-C or SIGTERM), 1 interrupted while starting,
2 usage (a flag or its value, a missing file or an unwritable --url-file folder),
3 a file that cannot be used (seed file, certificate or key, TLS folder, --state file),
4 the address cannot be listened on (port in use, no permission)."""


@click.group(cls=OneLineErrors, name="vonage-account-mock", epilog=EXIT_CODES_HELP)
@click.version_option(package_name="vonage-account-mock", message="%(prog)s %(version)s")
def main() -> None:
    """A stateful local mock of the Vonage Account API."""


@main.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar=HOST_VARIABLE,
    show_envvar=True,
    help="Address to bind (loopback by default).",
)
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    envvar=PORT_VARIABLE,
    show_envvar=True,
    help="Port (0: any free).",
)
@click.option(
    "--url-file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the URL (e.g. http://127.0.0.1:54321) to this file, atomically, once the mock answers; "
    "removed when it stops. For scripts started with --port 0.",
)
@click.option("--tls", is_flag=True, help="Serve HTTPS with a local CA, kept across restarts (its path is printed).")
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Own certificate.")
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Own private key.")
@click.option(
    "--tls-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where --tls keeps its CA and server certificate (default: ~/.local/state/vonage-account-mock/tls, "
    "or $VONAGE_ACCOUNT_MOCK_TLS_DIR; `vonage-account-mock ca --forget` throws it away).",
)
@click.option(
    "--seed", "seed_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Accounts (YAML)."
)
@click.option("--strict", is_flag=True, help="Accept only seeded accounts (no provisioning on first use).")
@click.option(
    "--control-token",
    envvar="VONAGE_ACCOUNT_MOCK_CONTROL_TOKEN",
    help="Token the control API (/_mock) requires. Prefer $VONAGE_ACCOUNT_MOCK_CONTROL_TOKEN: it stays out of `ps`.",
)
@click.option("--no-control", is_flag=True, help="Switch the control API (/_mock) off.")
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="A Host name the control API answers without a token, besides loopback names (repeatable).",
)
@click.option("--deterministic", type=click.IntRange(0), metavar="SEED", help="Reproducible secret ids and timestamps.")
@click.option("--log-level", default="info", show_default=True, type=click.Choice(["debug", "info", "warning"]))
@grouped("limits", ConnectionLimits, CONNECTION_OPTIONS)
@grouped("shape", ShapeLimits, SHAPE_OPTIONS)
@click.option(
    "--max-auto-accounts",
    default=MAX_PROVISIONED,
    show_default=True,
    type=click.IntRange(1),
    help="Accounts made on first use that are kept (the least recently used goes first).",
)
@grouped("callback_policy", DeliveryPolicy, CALLBACK_OPTIONS, build=delivery_policy, extra=DELIVERY_EXTRA)
@state_options
def serve(
    host: str,
    port: int,
    url_file: Path | None,
    tls: bool,
    certfile: Path | None,
    keyfile: Path | None,
    tls_dir: Path | None,
    seed_file: Path | None,
    strict: bool,
    control_token: str | None,
    no_control: bool,
    allowed_hosts: tuple[str, ...],
    deterministic: int | None,
    log_level: str,
    limits: ConnectionLimits,
    shape: ShapeLimits,
    max_auto_accounts: int,
    callback_policy: DeliveryPolicy,
    state: StateOptions,
) -> None:
    """Serve the mock until Ctrl-C (or SIGTERM).

    The first line printed is `Vonage Account API mock on URL  (Swagger UI: /ui/)`, with the real port when
    --port is 0; --url-file writes the URL alone. GET /_mock/health answers 200 once the mock is ready.
    One log line per Account API request; secrets are never logged.
    """
    if (certfile is None) != (keyfile is None):
        raise click.UsageError("--certfile and --keyfile go together: give both, or --tls for a local CA")
    if strict and seed_file is None:
        raise click.UsageError(
            "--strict needs --seed: with no seeded account every request would be refused; give --seed FILE"
        )
    if not _is_loopback(host) and not no_control and not control_token:
        raise click.UsageError(f"listening on {host}: give the control API a --control-token, or use --no-control")
    if deterministic is not None and state.workers > 1:
        raise click.UsageError("--deterministic and --workers do not go together: each worker would repeat the ids")
    if url_file is not None:
        _check_url_file_folder(url_file)
    options: dict[str, Any] = {
        "strict": strict,
        "control": not no_control,
        "control_token": control_token,
        "allowed_hosts": allowed_hosts,
        "shape_limits": shape,
        "max_auto_accounts": max_auto_accounts,
        "deterministic_seed": deterministic,
        "callback_policy": callback_policy,
    }
    state_file, seeds, app, build_app = _start(state, seed_file, options)
    if strict and not seeds:
        raise BadFile(
            f"--strict with no account in {seed_file}: every request would be refused; add accounts to the seed file"
        )

    tls_files = _tls_files(tls, certfile, keyfile, tls_dir)

    try:
        sock = bind(host, port)
    except OSError as error:
        raise CannotListen(
            f"cannot listen on {host}:{port}: {error.strerror or error}; {_listen_hint(error, port)}"
        ) from None
    port = sock.getsockname()[1]
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    scheme = "https" if tls_files else "http"
    shown_host = f"[{host}]" if ":" in host else host
    url = f"{scheme}://{shown_host}:{port}"
    seeded = f"{len(seeds)} account(s){' (strict)' if strict else ''}" if seeds else ""
    _announce(url, host, tls_files if tls else None, seeded)
    on_ready: Callable[[], None] | None = None
    if url_file is not None:
        target = url_file

        def on_ready() -> None:
            _write_url_file(target, url)

    # uvicorn shuts down gracefully on SIGTERM, then raises it again for the handler it found: ours makes that a clean
    # stop like Ctrl-C (the URL file removed, exit 0) instead of the default, dying with 143.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if app is None:
            _serve_workers(
                build_app, sock, state, state_file, tls=tls_files, log_level=log_level, limits=limits, on_ready=on_ready
            )
        else:
            # The express lane answers from the start; connexion's full path is built right after the first answer.
            app.warm_up(after_first_answer=True)
            serve_forever(app, sock, tls=tls_files, log_level=log_level, limits=limits, on_ready=on_ready)
    except KeyboardInterrupt:
        # uvicorn re-raises Ctrl-C after its clean shutdown; stopping is what the user asked for.
        pass
    finally:
        if url_file is not None:
            # A script waiting for the file must not find a stale one from this run.
            url_file.unlink(missing_ok=True)
    click.echo("Stopped.")


def _start(
    state: StateOptions, seed_file: Path | None, options: dict[str, Any]
) -> tuple[StateFile | None, list[AccountSeed], AccountMockApp | None, Callable[[], AccountMockApp]]:
    """Claim the state file, read the seeds, and build the app (or, for --workers, bring the file to its seeded
    state, the workers building their own apps after the fork): the file, the seeds, the app, how to build one."""
    try:
        state_file = state.claim()
        seeds = load_seed_file(seed_file) if seed_file else []
        build_app = functools.partial(_build_app, state_file, seeds, state.workers > 1, options)
        if state_file is not None and state.workers > 1:
            state_file.share()
            initialise(
                state_file, strict=options["strict"], max_auto_accounts=options["max_auto_accounts"], seeds=seeds
            )
            return state_file, seeds, None, build_app
        return state_file, seeds, build_app(), build_app
    except StateFileError as error:
        raise BadFile(str(error)) from None
    except (SeedError, ValueError) as error:
        raise BadFile(f"cannot seed accounts: {error}; fix the seed file and start again") from None


def _build_app(
    state_file: StateFile | None, seeds: list[AccountSeed], shared: bool, options: dict[str, Any]
) -> AccountMockApp:
    """The app of one serving process (each worker builds its own, after the fork)."""
    backend = backend_on(state_file, strict=options["strict"], max_auto_accounts=options["max_auto_accounts"])
    return create_app(backend, seeds=seeds, shared_state=state_file if shared else None, **options)


def _announce(url: str, host: str, local_ca: TlsFiles | None, seeded: str) -> None:
    """The start-up lines: the URL first (scripts read it), then the CA to trust, a warning, what was seeded."""
    click.echo(f"Vonage Account API mock on {url}  (Swagger UI: /ui/)")
    if local_ca is not None:
        click.echo(f"CA bundle: {local_ca.ca_bundle}  (e.g. export REQUESTS_CA_BUNDLE={local_ca.ca_bundle})")
    if not _is_loopback(host):
        click.echo(f"warning: listening on {host}, reachable beyond this machine", err=True)
    if seeded:
        click.echo(f"Seeded {seeded}")


def _serve_workers(
    build_app: Callable[[], AccountMockApp],
    sock: socket.socket,
    state: StateOptions,
    state_file: StateFile | None,
    **serving: Any,
) -> None:
    """Serve with the workers of --workers, sharing the state file, until interrupted."""
    click.echo(f"{state.workers} workers on {state.path}")
    try:
        serve_workers(build_app, sock, state.workers, signal_=state_file.signal if state_file else None, **serving)
    except WorkerFailed as error:
        raise BadFile(f"{error}; see the worker's error above") from None


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _check_url_file_folder(path: Path) -> None:
    folder = path.parent
    if not folder.is_dir():
        raise click.BadParameter(f"no folder {folder}; create it or give another path", param_hint="'--url-file'")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise click.BadParameter(
            f"cannot write in {folder}; give a path in a folder you can write", param_hint="'--url-file'"
        )


def _write_url_file(path: Path, url: str) -> None:
    """Write the URL so that a reader never sees a half-written file: a temporary file, then a rename."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(url + "\n", encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise CannotWriteUrlFile(
            f"cannot write --url-file {path}: {error.strerror or error}; give a path in a folder you can write"
        ) from None


def _check_certificate(certfile: Path, keyfile: Path) -> None:
    """Load the pair now, so a wrong file is one line here rather than a traceback from the server."""
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as error:
        reason = "not a matching certificate and key" if isinstance(error, ssl.SSLError) else error.strerror
        raise BadFile(
            f"cannot use --certfile {certfile} with --keyfile {keyfile} ({reason}); give a PEM certificate and its "
            "unencrypted private key, or use --tls for a local CA"
        ) from None


def _listen_hint(error: OSError, port: int) -> str:
    if isinstance(error, PermissionError):
        return "pick a --port above 1023, or 0 for any free port"
    if error.errno == errno.EADDRINUSE:
        return f"stop what uses port {port}, or pick another with --port or ${PORT_VARIABLE} (0: any free port)"
    return f"check --host or ${HOST_VARIABLE} (an address of this machine, e.g. 127.0.0.1) and --port"


main.add_command(snapshot)


@main.command()
@click.option("--tls-dir", type=click.Path(file_okay=False, path_type=Path), help="The folder, if not the default.")
@click.option("--forget", is_flag=True, help="Remove the CA and server certificate; the next --tls makes new ones.")
def ca(tls_dir: Path | None, forget: bool) -> None:
    """Where the local CA for --tls is (to trust it), or throw it away with --forget."""
    directory = tls_dir or default_tls_dir()
    if forget:
        try:
            removed = forget_tls_files(directory)
        except UnsafeTlsFiles as error:
            raise BadFile(f"{error}; remove the folder yourself, or give another --tls-dir") from None
        click.echo(f"removed {directory}" if removed else f"nothing to remove at {directory}")
        return
    bundle = directory / "ca.pem"
    if not bundle.exists():
        click.echo(f"no CA yet at {directory}: `vonage-account-mock serve --tls` makes one")
        return
    click.echo(str(bundle))


main.add_command(send)
main.add_command(reset)
