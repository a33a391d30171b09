"""The one HTTP client of a mock's control API: the test handle's remote port and the mock CLI's commands use it.

The paths hang off CONTROL_PREFIX and the token goes in TOKEN_HEADER, both named once in `operations`; a refusal
comes back as the same ControlError the operations raise in process, so a caller cannot tell which side it is on.
"""

from __future__ import annotations

from typing import Any, Unpack
from urllib.parse import quote

import httpx

from vonage_account_mock.control.operations import CONTROL_PREFIX, TOKEN_HEADER, ControlError
from vonage_account_mock.layers.journal import JournalFilters


class ControlUnreachable(Exception):
    """No control API answered at the URL (nothing listening, not a URL, or not a vonage-account-mock)."""


class NotAUrl(ControlUnreachable):
    """The mock's URL given is not a URL."""


_NOT_A_URL = "{url!r} is not a URL: give the mock's, e.g. http://127.0.0.1:8080"


def _segment(value: str) -> str:
    return quote(value, safe="")


_CALLBACK_PATHS = {"inbound-sms": "inbound-sms", "delivery-receipt": "delivery-receipts"}


def _present(**params: str | None) -> dict[str, str]:
    return {name: value for name, value in params.items() if value is not None}


class ControlClient:
    """Calls a mock's control API over HTTP, one method per operation of the control spec."""

    def __init__(
        self, url: str, token: str | None = None, *, timeout: float = 30.0, http: httpx.Client | None = None
    ) -> None:
        self.url = url.rstrip("/")
        headers = {TOKEN_HEADER: token} if token else {}
        try:
            # No proxies from the environment: a control API is on loopback or inside the CI network.
            self._http = http or httpx.Client(base_url=self.url, headers=headers, timeout=timeout, trust_env=False)
        except httpx.InvalidURL:
            raise NotAUrl(_NOT_A_URL.format(url=url)) from None

    def __repr__(self) -> str:
        return f"ControlClient({self.url!r})"  # never the token

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON answer of one control call (None when bodiless); ControlError on a refusal."""
        try:
            response = self._http.request(method, CONTROL_PREFIX + path, **kwargs)
        except httpx.InvalidURL:
            raise ControlUnreachable(
                f"{self.url!r} is not a URL: give the mock's, e.g. http://127.0.0.1:8080"
            ) from None
        except httpx.HTTPError as error:
            reason = str(error) or type(error).__name__
            raise ControlUnreachable(f"cannot reach the mock at {self.url} ({reason}): is it running?") from None
        try:
            document = response.json() if response.content else None
        except ValueError:
            raise ControlUnreachable(f"{self.url} did not answer as a vonage-account-mock does: is it one?") from None
        if response.status_code >= 400:
            problem = document if isinstance(document, dict) else {}
            detail = str(problem.get("detail") or response.reason_phrase)
            invalid = problem.get("invalid_parameters")
            if isinstance(invalid, list) and invalid:
                # What failed, not only that something did: the spec's check names each field and why.
                reasons = (f"{item.get('name')}: {item.get('reason')}" for item in invalid if isinstance(item, dict))
                detail = f"{detail} ({'; '.join(reasons)})"
            raise ControlError(response.status_code, detail, problem=problem)
        return document

    # -- the control spec's operations ----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """The mock's status and version."""
        document: dict[str, Any] = self._call("GET", "/health")
        return document

    def reset(self, *, deterministic_seed: int | bool | None = False) -> None:
        """Back to the seeded state (every account, the journal, the fault plans, the callbacks).

        `deterministic_seed`: an int makes ids and timestamps reproducible, None makes them real again, and False
        (the default) leaves the mode as it is.
        """
        body = {} if deterministic_seed is False else {"json": {"deterministic_seed": deterministic_seed}}
        self._call("POST", "/reset", **body)

    def list_accounts(self) -> list[str]:
        """Every known api_key."""
        accounts: list[str] = self._call("GET", "/accounts")["accounts"]
        return accounts

    def account_details(self, *, limit: int | None = None) -> dict[str, Any]:
        """Every account as `get_account` shows it (the first `limit`), and the time now to tell secret ages by."""
        params = {} if limit is None else {"limit": limit}
        document: dict[str, Any] = self._call("GET", "/account-details", params=params)
        return document

    def set_balance(self, api_key: str, balance: str) -> str:
        """Make an account's balance exactly `balance`; the new balance."""
        answer = self._call("PUT", f"/accounts/{_segment(api_key)}/balance", json={"balance": balance})
        return str(answer["balance"])

    def operations(self) -> list[dict[str, Any]]:
        """The Account API's operations and the statuses each declares: what a fault plan may name."""
        found: list[dict[str, Any]] = self._call("GET", "/operations")["operations"]
        return found

    def reset_account(self, api_key: str) -> None:
        """One account (and its sub-accounts) back to its seed."""
        self._call("DELETE", f"/accounts/{_segment(api_key)}")

    def put_account(self, api_key: str, spec: dict[str, Any]) -> dict[str, Any]:
        """Create or replace an account."""
        document: dict[str, Any] = self._call("PUT", f"/accounts/{_segment(api_key)}", json=spec)
        return document

    def get_account(self, api_key: str) -> dict[str, Any]:
        """An account as the control API shows it (never a secret value)."""
        document: dict[str, Any] = self._call("GET", f"/accounts/{_segment(api_key)}")
        return document

    def spend(self, api_key: str, amount: str) -> str:
        """Lower a balance; the new one."""
        return str(self._call("POST", f"/accounts/{_segment(api_key)}/spend", json={"amount": amount})["balance"])

    def snapshot(self) -> dict[str, Any]:
        """The whole Account API state as one document (no secret value, no `trx`)."""
        document: dict[str, Any] = self._call("GET", "/snapshot")
        return document

    def load_snapshot(self, document: Any) -> dict[str, Any]:
        """Replace the mock's Account API state with a snapshot's: `{"accounts": how many it now holds}`."""
        loaded: dict[str, Any] = self._call("PUT", "/snapshot", json=document)
        return loaded

    def journal(self, **filters: Unpack[JournalFilters]) -> list[dict[str, Any]]:
        """Journal entries matching the filters (operation_id, account, status, limit)."""
        params = {name: value for name, value in filters.items() if value is not None}
        entries: list[dict[str, Any]] = self._call("GET", "/journal", params=params)["entries"]
        return entries

    def clear_journal(self, account: str | None = None) -> None:
        """Forget journal entries (all, or one account's)."""
        self._call("DELETE", "/journal", params=_present(account=account))

    def add_fault(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Plan a fault."""
        document: dict[str, Any] = self._call("POST", "/faults", json=spec)
        return document

    def list_faults(self) -> list[dict[str, Any]]:
        """The fault plans, each with how often it fired."""
        plans: list[dict[str, Any]] = self._call("GET", "/faults")["plans"]
        return plans

    def remove_fault(self, plan_id: str) -> None:
        """Remove one plan."""
        self._call("DELETE", f"/faults/{_segment(plan_id)}")

    def clear_faults(self, account: str | None = None) -> None:
        """Remove every plan (or one account's)."""
        self._call("DELETE", "/faults", params=_present(account=account))

    def send_callback(
        self, api_key: str, kind: str, fields: dict[str, Any], retries: int | None = None
    ) -> dict[str, Any]:
        """Trigger an inbound SMS (`inbound-sms`) or a delivery receipt (`delivery-receipt`) to the account's URL."""
        path = _CALLBACK_PATHS.get(kind)
        if path is None:
            raise ControlError(400, f"no callback kind {kind!r}: one of {', '.join(_CALLBACK_PATHS)}")
        params = {} if retries is None else {"retries": retries}
        document: dict[str, Any] = self._call(
            "POST", f"/accounts/{_segment(api_key)}/{path}", json=fields, params=params
        )
        return document

    def deliveries(self, *, account: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        """The callbacks sent, with their attempts (of one account, of one kind), oldest first."""
        found: list[dict[str, Any]] = self._call("GET", "/deliveries", params=_present(account=account, kind=kind))[
            "deliveries"
        ]
        return found

    def clear_deliveries(self, account: str | None = None) -> None:
        """Forget callbacks (all, or one account's) and stop their retries."""
        self._call("DELETE", "/deliveries", params=_present(account=account))

    def advance_deliveries(self, seconds: float) -> dict[str, Any]:
        """Make every retry due within `seconds` of service time happen now."""
        document: dict[str, Any] = self._call("POST", "/deliveries/advance", json={"seconds": seconds})
        return document
