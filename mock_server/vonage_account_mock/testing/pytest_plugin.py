"""pytest fixtures for testing code that talks to the Vonage Account API against the stateful mock.

Registered through the `pytest11` entry point. Set `VONAGE_ACCOUNT_MOCK_URL` (and, if it has one,
`VONAGE_ACCOUNT_MOCK_CONTROL_TOKEN`) to use a mock started outside pytest instead of one per session; it is checked
once, at the session's start.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from vonage_account_client import AuthenticatedClient

    from vonage_account_mock.serving.server import ThreadedMockServer
    from vonage_account_mock.testing.handle import VonageMock

URL_VARIABLE = "VONAGE_ACCOUNT_MOCK_URL"
TOKEN_VARIABLE = "VONAGE_ACCOUNT_MOCK_CONTROL_TOKEN"


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Once per run, before any test (and before pytest-xdist starts its workers): a shared mock at
    $VONAGE_ACCOUNT_MOCK_URL that does not answer stops the session with one line, not one error per test."""
    url = os.environ.get(URL_VARIABLE)
    if not url or hasattr(session.config, "workerinput"):
        return
    from vonage_account_mock.control.client import ControlClient, ControlUnreachable
    from vonage_account_mock.control.operations import ControlError

    try:
        with ControlClient(url, timeout=10) as control:
            control.health()
    except (ControlUnreachable, ControlError) as error:
        reason = str(error) if isinstance(error, ControlUnreachable) else f"{url} is not a vonage-account-mock."
        # pytest prints a usage error as one line, `ERROR: ...`, and exits 4.
        raise pytest.UsageError(
            f"${URL_VARIABLE}: {reason} Start the mock there, correct the variable, or unset it to have a mock per "
            "session"
        ) from None


def _handle_for(server: ThreadedMockServer) -> VonageMock:
    from vonage_account_mock.testing.handle import VonageMock

    ca_bundle = str(server.tls.ca_bundle) if server.tls else None
    return VonageMock(port=server.app.control, url=server.url, app=server.app, ca_bundle=ca_bundle)


@pytest.fixture(scope="session")
def vonage_mock_server() -> Iterator[VonageMock]:
    """A running mock for the whole session: a threaded server, or the one at $VONAGE_ACCOUNT_MOCK_URL."""
    from vonage_account_mock.testing.handle import remote_handle

    url = os.environ.get(URL_VARIABLE)
    if url:
        yield remote_handle(url, os.environ.get(TOKEN_VARIABLE))
        return
    from vonage_account_mock.app import create_app
    from vonage_account_mock.serving.server import ThreadedMockServer

    with ThreadedMockServer(create_app()) as server:
        yield _handle_for(server)


@pytest.fixture(scope="session")
def vonage_mock_tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VonageMock]:
    """A running HTTPS mock for the whole session; its `ca_bundle` is the CA file to trust (REQUESTS_CA_BUNDLE)."""
    from vonage_account_mock.app import create_app
    from vonage_account_mock.serving.server import ThreadedMockServer
    from vonage_account_mock.serving.tls import make_tls_files

    with ThreadedMockServer(create_app(), tls=make_tls_files(tmp_path_factory.mktemp("vonage-mock-tls"))) as server:
        yield _handle_for(server)


def _per_test(handle: VonageMock) -> Iterator[VonageMock]:
    handle.start_test()
    try:
        yield handle
    finally:
        handle.end_test()


@pytest.fixture
def vonage_mock(vonage_mock_server: VonageMock) -> Iterator[VonageMock]:
    """The session's mock, with fresh state for this test (only this test's accounts, on a shared mock)."""
    yield from _per_test(vonage_mock_server)


@pytest.fixture
def vonage_mock_tls(vonage_mock_tls_server: VonageMock) -> Iterator[VonageMock]:
    """The session's HTTPS mock, with fresh state for this test."""
    yield from _per_test(vonage_mock_tls_server)


@pytest.fixture(scope="session")
def _vonage_mock_in_process_app() -> Any:
    from vonage_account_mock.app import create_app

    return create_app()


@pytest.fixture
def vonage_mock_in_process(_vonage_mock_in_process_app: Any) -> Iterator[VonageMock]:
    """A mock in this process with fresh state: no port, no thread; its clients call the app directly."""
    from vonage_account_mock.testing.clients import IN_PROCESS_URL
    from vonage_account_mock.testing.handle import VonageMock

    app = _vonage_mock_in_process_app
    yield from _per_test(VonageMock(port=app.control, url=IN_PROCESS_URL, app=app))


@pytest.fixture
def vonage_client(vonage_mock: VonageMock) -> AuthenticatedClient:
    """A generated client bound to `vonage_mock`, authenticated as a freshly seeded default account."""
    account = vonage_mock.seed_account()
    return vonage_mock.client(account.api_key, account.api_secret)
