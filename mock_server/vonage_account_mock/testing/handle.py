"""A test's handle on a mock: seed accounts, read the journal, plan faults, make callbacks — no HTTP written by the
test.

The same handle works on a mock in this process (direct calls, no HTTP at all) and on a mock running
elsewhere (through its control API), so the pytest fixtures built on it behave the same either way.
"""

from __future__ import annotations

import functools
import itertools
import os
import ssl
import warnings
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, Unpack

import httpx
from vonage_account_client import AuthenticatedClient

from vonage_account_mock.control.client import ControlClient
from vonage_account_mock.control.operations import ControlError, MockControl
from vonage_account_mock.layers.journal import JournalFilters
from vonage_account_mock.testing.clients import IN_PROCESS_URL, account_client, in_process_client, in_process_http
from vonage_account_spec import unknown_operation, unknown_status
from vonage_account_spec.operation_ids import OperationId

DEFAULT_API_KEY = "abcd1234"
DEFAULT_API_SECRET = "Initial1secret"


class ControlPort(Protocol):
    """What a handle needs from a mock, whichever side of a socket it is on: `MockControl` in this process,
    `ControlClient` over HTTP. Both offer the same methods, answering the control spec's documents."""

    def reset(self, *, deterministic_seed: int | bool | None = False) -> None: ...
    def reset_account(self, api_key: str) -> None: ...
    def list_accounts(self) -> list[str]: ...
    def account_details(self, *, limit: int | None = None) -> dict[str, Any]: ...
    def set_balance(self, api_key: str, balance: str) -> str: ...
    def operations(self) -> list[dict[str, Any]]: ...
    def snapshot(self) -> dict[str, Any]: ...
    def load_snapshot(self, document: Any) -> dict[str, Any]: ...
    def put_account(self, api_key: str, spec: dict[str, Any]) -> dict[str, Any]: ...
    def get_account(self, api_key: str) -> dict[str, Any]: ...
    def spend(self, api_key: str, amount: str) -> str: ...
    def journal(self, **filters: Unpack[JournalFilters]) -> list[dict[str, Any]]: ...
    def clear_journal(self, account: str | None = None) -> None: ...
    def add_fault(self, spec: dict[str, Any]) -> dict[str, Any]: ...
    def list_faults(self) -> list[dict[str, Any]]: ...
    def remove_fault(self, plan_id: str) -> None: ...
    def clear_faults(self, account: str | None = None) -> None: ...
    def send_callback(
        self, api_key: str, kind: str, fields: dict[str, Any], retries: int | None = None
    ) -> dict[str, Any]: ...
    def deliveries(self, *, account: str | None = None, kind: str | None = None) -> list[dict[str, Any]]: ...
    def clear_deliveries(self, account: str | None = None) -> None: ...
    def advance_deliveries(self, seconds: float) -> dict[str, Any]: ...


@dataclass(frozen=True)
class SeededAccount:
    """An account a test created, with the secret it can authenticate with."""

    api_key: str
    api_secret: str


_tenant_counter = itertools.count(1)


@dataclass
class VonageMock:
    """A test's handle on a mock.

    `shared` is true for a mock running outside this test session: then the handle only ever touches the
    accounts, journal entries and fault plans it created, so parallel suites do not collide.
    """

    port: ControlPort
    url: str
    """The mock's base URL, as `ThreadedMockServer.url` and the CLI's --url-file give it."""
    app: Any = None
    ca_bundle: str | None = None
    shared: bool = False
    default_api_key: str = DEFAULT_API_KEY
    _accounts: list[str] = field(default_factory=list)
    _plans: list[str] = field(default_factory=list)
    _clients: list[Any] = field(default_factory=list)
    _routes: list[str] = field(default_factory=list)

    @classmethod
    def shared_tenant(cls, port: ControlPort, url: str, **kwargs: Any) -> VonageMock:
        """A handle on a shared mock, with an api_key no other worker or suite uses."""
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
        key = f"t{os.getpid() % 100000}{worker}{next(_tenant_counter)}"
        return cls(port=port, url=url, shared=True, default_api_key=key, **kwargs)

    @property
    def base_url(self) -> str:
        """Deprecated: `url`, the name the server uses too."""
        warnings.warn("VonageMock.base_url is deprecated: use VonageMock.url", DeprecationWarning, stacklevel=2)
        return self.url

    # -- state --------------------------------------------------------------------------------

    def start_test(self) -> None:
        """Fresh state for a test: everything on a mock of our own, our tenant's accounts on a shared one."""
        if self.shared:
            self.port.reset_account(self.default_api_key)
        else:
            self.port.reset()

    def end_test(self) -> None:
        """Undo what the test did to a shared mock, and close the clients it handed out."""
        for client in self._clients:
            if isinstance(client, httpx.Client):
                client.close()
            else:
                client.get_httpx_client().close()
        self._clients.clear()
        if isinstance(self.port, MockControl):
            for base_url in self._routes:
                self.port.remove_route(base_url)
        self._routes.clear()
        if self.shared:
            for plan_id in self._plans:
                try:
                    self.port.remove_fault(plan_id)
                except ControlError:
                    pass
            for api_key in self._accounts:
                self.port.reset_account(api_key)
        self._accounts.clear()
        self._plans.clear()

    def seed_account(
        self,
        api_key: str | None = None,
        *,
        secrets: tuple[str, ...] | list[str] = (DEFAULT_API_SECRET,),
        balance: Decimal | str | float = "10.00",
        auto_reload: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
        primary: str | None = None,
        signature: dict[str, str] | None = None,
    ) -> SeededAccount:
        """Create (or replace) an account with known secrets; returns its key and first secret.

        `signature` (`{"secret": ..., "method": "sha256"}`) makes the account's callbacks signed.
        """
        key = api_key or self.default_api_key
        spec: dict[str, Any] = {"secrets": list(secrets), "balance": str(Decimal(str(balance)))}
        if auto_reload is not None:
            reload = dict(auto_reload)
            if "amount" in reload:
                reload["amount"] = str(Decimal(str(reload["amount"])))
            spec["auto_reload"] = reload
        if settings is not None:
            spec["settings"] = settings
        if primary is not None:
            spec["primary"] = primary
        if signature is not None:
            spec["signature"] = signature
        self.port.put_account(key, spec)
        if key not in self._accounts:
            self._accounts.append(key)
        return SeededAccount(key, spec["secrets"][0])

    def account(self, api_key: str | None = None) -> dict[str, Any]:
        """An account's state as the mock keeps it (secret ids, never values)."""
        return self.port.get_account(api_key or self.default_api_key)

    def balance(self, api_key: str | None = None) -> Decimal:
        """An account's exact balance."""
        return Decimal(self.account(api_key)["balance"])

    def spend(self, amount: Decimal | str | float, api_key: str | None = None) -> Decimal:
        """Lower a balance, as traffic would; the new balance."""
        return Decimal(self.port.spend(api_key or self.default_api_key, str(Decimal(str(amount)))))

    # -- journal ------------------------------------------------------------------------------

    def calls(
        self, operation_id: OperationId | None = None, *, account: str | None = None, status: int | None = None
    ) -> list[dict[str, Any]]:
        """Requests that reached the Account API, oldest first (on a shared mock: this test's accounts only).

        An operation id the spec does not have, a status it never answers, or an account the mock does not know is
        refused (with the closest names): a filter that can match nothing would make any assertion on it pass.
        """
        self._check_names(operation_id, status)
        if account is not None:
            self._check_account(account)
        entries = self.port.journal(operation_id=operation_id, account=account, status=status)
        if self.shared and account is None:
            mine = {*self._accounts, self.default_api_key}
            entries = [entry for entry in entries if entry.get("account") in mine]
        return entries

    def assert_called(
        self,
        operation_id: OperationId,
        times: int | None = None,
        *,
        account: str | None = None,
        status: int | None = None,
    ) -> list[dict[str, Any]]:
        """Fail unless the operation was called (exactly `times` times, when given); returns the calls."""
        calls = self.calls(operation_id, account=account, status=status)
        if times is None:
            assert calls, f"{operation_id} was never called"
        else:
            assert len(calls) == times, f"{operation_id} was called {len(calls)} times, not {times}: {calls}"
        return calls

    def assert_not_called(
        self, operation_id: OperationId, *, account: str | None = None, status: int | None = None
    ) -> None:
        """Fail if the operation was called (by `account`, answered with `status`, when given)."""
        self.assert_called(operation_id, 0, account=account, status=status)

    @staticmethod
    def _check_names(operation_id: str | None, status: int | None = None) -> None:
        refusal = (operation_id is not None and unknown_operation(operation_id)) or (
            status is not None and unknown_status(status, operation_id)
        )
        if refusal:
            raise ValueError(refusal)

    def _check_account(self, api_key: str) -> None:
        if api_key == self.default_api_key or api_key in self._accounts:
            return
        try:
            self.port.get_account(api_key)
        except ControlError:
            known = ", ".join(sorted({self.default_api_key, *self._accounts}))
            raise ValueError(
                f"no account {api_key!r} on the mock: check the key (this test's accounts: {known})"
            ) from None

    # -- faults -------------------------------------------------------------------------------

    def fault(
        self,
        operation_id: OperationId,
        *,
        status: int | None = None,
        delay_ms: int = 0,
        drop: bool = False,
        account: str | None = None,
        times: int | None = 1,
    ) -> dict[str, Any]:
        """Plan a fault (a status the spec declares for the operation, a delay, or a dropped connection)."""
        self._check_names(operation_id, status)
        spec: dict[str, Any] = {"operation_id": operation_id, "delay_ms": delay_ms, "drop": drop}
        for name, value in (("status", status), ("account", account), ("times", times)):
            if value is not None:
                spec[name] = value
        plan = self.port.add_fault(spec)
        self._plans.append(plan["id"])
        return plan

    def faults(self) -> list[dict[str, Any]]:
        """The fault plans, each with how often it fired."""
        return self.port.list_faults()

    def unfired_faults(self) -> list[dict[str, Any]]:
        """Plans that never fired: usually a sign the code under test took another path."""
        return [plan for plan in self.faults() if plan["fired"] == 0]

    # -- callbacks ----------------------------------------------------------------------------

    def send_inbound_sms(
        self,
        text: str | None = None,
        *,
        from_: str = "447700900001",
        to: str = "447700900000",
        api_key: str | None = None,
        retries: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Send the inbound SMS the service would send to the account's `moCallBackUrl`; what happened (each part's
        request and first attempt). Other fields (`type`, `message_id`, `keyword`, ...) go as given."""
        body: dict[str, Any] = {"from": from_, "to": to, **fields}
        if text is not None:
            body["text"] = text
        return self.port.send_callback(api_key or self.default_api_key, "inbound-sms", body, retries)

    def send_delivery_receipt(
        self, *, api_key: str | None = None, retries: int | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Send the delivery receipt the service would send to the account's `drCallBackUrl` (fields such as
        `message_id`, `status`, `err_code`, `client_ref`); what happened."""
        return self.port.send_callback(api_key or self.default_api_key, "delivery-receipt", fields, retries)

    def deliveries(self, kind: str | None = None, *, account: str | None = None) -> list[dict[str, Any]]:
        """Callbacks sent, oldest first, each with its request and attempts (on a shared mock: this test's only)."""
        found = self.port.deliveries(account=account, kind=kind)
        if self.shared and account is None:
            mine = {*self._accounts, self.default_api_key}
            found = [delivery for delivery in found if delivery["account"] in mine]
        return found

    def advance_deliveries(self, seconds: float) -> int:
        """Step the callbacks' clock forward by `seconds` of the service's time (retries due meanwhile are made, in
        order, before this returns); how many attempts were made."""
        return int(self.port.advance_deliveries(seconds)["attempts"])

    def deliver_to_app(self, app: Any, base_url: str = "http://webhooks.invalid") -> str:
        """Send callbacks for `base_url` straight into `app` (ASGI or WSGI) in this process, with no port; returns
        `base_url`, to build the webhook URLs from. Only for a mock in this process (a remote one needs a URL)."""
        if not isinstance(self.port, MockControl) or self.shared:
            raise RuntimeError("deliver_to_app needs a mock in this process; give a remote mock a real URL")
        self.port.route_to_app(base_url, app)
        self._routes.append(base_url)
        return base_url.rstrip("/")

    # -- clients ------------------------------------------------------------------------------

    def client(self, api_key: str | None = None, api_secret: str = DEFAULT_API_SECRET) -> AuthenticatedClient:
        """A generated client with these credentials, bound to the mock."""
        key = api_key or self.default_api_key
        if self.app is not None and self.url == IN_PROCESS_URL:
            client = in_process_client(self.app, key, api_secret)
        else:
            client = account_client(self.url, key, api_secret, verify=tls_context(self.ca_bundle))
        self._clients.append(client)
        return client

    def http(self, **kwargs: Any) -> httpx.Client:
        """A plain httpx client bound to the mock, for requests no generated client would send."""
        if self.app is not None and self.url == IN_PROCESS_URL:
            http = in_process_http(self.app, **kwargs)
        else:
            http = httpx.Client(base_url=self.url, **{"verify": tls_context(self.ca_bundle), **kwargs})
        self._clients.append(http)
        return http


def tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """The TLS context clients of the mock verify with: made once per CA file (as it is now), not per client.

    Building one loads the CA store, about 60 ms here: more than most tests spend on their calls.
    """
    if ca_bundle is None:
        return _context(None, 0.0)
    return _context(ca_bundle, os.stat(ca_bundle).st_mtime)


@functools.cache
def _context(ca_bundle: str | None, _mtime: float) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_bundle) if ca_bundle else httpx.create_ssl_context()


def remote_handle(url: str, token: str | None = None) -> VonageMock:
    """A handle on a mock running elsewhere, as one tenant among others."""
    return VonageMock.shared_tenant(ControlClient(url, token), url.rstrip("/"))
