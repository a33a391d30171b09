"""What a test can do to a mock (reset, accounts, journal, faults, callbacks): one implementation for every way in."""

from __future__ import annotations

import random
from concurrent.futures import Future
from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from typing import Any, Unpack

from vonage_account_mock.callbacks.delivery import CallbackDispatcher
from vonage_account_mock.callbacks.payloads import PayloadError, delivery_receipt, inbound_sms, signed
from vonage_account_mock.callbacks.records import DeliveryQueueFull
from vonage_account_mock.callbacks.schema import payload_problems
from vonage_account_mock.callbacks.targets import TargetRefused
from vonage_account_mock.layers.faults import FaultBook, InvalidFaultPlan
from vonage_account_mock.layers.journal import Journal, JournalFilters, UnknownFilter
from vonage_account_mock.state.codec import BadDocument
from vonage_account_mock.state.exceptions import new_instance_id
from vonage_account_mock.state.models import (
    Account,
    AccountBackend,
    AccountSeed,
    AutoReload,
    Settings,
    Signature,
    format_timestamp,
    utc_now,
)
from vonage_account_mock.state.snapshot import load_snapshot, take_snapshot

CONTROL_PREFIX = "/_mock"
TOKEN_HEADER = "x-mock-control-token"
_DOCS = "https://github.com/vonage-account-mock/vonage-account-mock"
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    503: "Service Unavailable",
}


class ControlError(Exception):
    """A control request that cannot be carried out (a 4xx, or 503)."""

    def __init__(self, status: int, detail: str, *, problem: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.problem = problem or {}
        """The problem document, when the error came over HTTP (its `invalid_parameters` among it)."""

    def document(self) -> dict[str, Any]:
        """The problem document of the error."""
        title = _TITLES.get(self.status, "Error")
        fragment = title.lower().replace(" ", "-")
        return {"type": f"{_DOCS}#{fragment}", "title": title, "detail": self.detail, "instance": new_instance_id()}


def _callback_rng(seed: int | None) -> random.Random | None:
    """The callbacks' own random source in deterministic mode (apart from the ids', so adding one leaves the other)."""
    return None if seed is None else random.Random(f"callbacks:{seed}")


def describe_account(account: Account, subaccounts: list[str]) -> dict[str, Any]:
    """An account as the control API shows it: everything but secret values."""
    return {
        "api_key": account.api_key,
        "primary": account.primary,
        "secrets": [{"id": s.id, "created_at": s.created_at} for s in account.secrets],
        "balance": str(account.balance),
        "auto_reload": {
            "enabled": account.auto_reload.enabled,
            # Checked like a credential by top-up, so never shown: only whether one is set.
            "trx": None if account.auto_reload.trx_digest is None else "[redacted]",
            "amount": str(account.auto_reload.amount),
        },
        "settings": asdict(account.settings),
        "senders": [
            {"provider": s.provider, "value": s.value, "name": s.name, "application_ids": list(s.application_ids)}
            for s in account.senders.values()
        ],
        "subaccounts": subaccounts,
        # A credential: only its method, and that one is set.
        "signature": None
        if account.signature is None
        else {"method": account.signature.method, "secret": "[redacted]"},
    }


def _decimal(text: str, field: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ControlError(400, f"{field} is not a decimal amount") from None


def account_seed(api_key: str, spec: dict[str, Any]) -> AccountSeed:
    """An AccountSeed from a control-API account description."""
    reload_doc = spec.get("auto_reload") or {}
    return AccountSeed(
        api_key=api_key,
        secrets=tuple(spec["secrets"]),
        balance=_decimal(spec.get("balance", "10.00"), "balance"),
        auto_reload=AutoReload(
            enabled=bool(reload_doc.get("enabled", False)),
            trx=reload_doc.get("trx"),
            amount=_decimal(reload_doc.get("amount", "0"), "auto_reload.amount"),
        ),
        settings=Settings(**{k: v for k, v in (spec.get("settings") or {}).items() if v is not None}),
        primary=spec.get("primary"),
        signature=_signature(spec.get("signature")),
    )


def _signature(document: Any) -> Signature | None:
    if not document:
        return None
    if not isinstance(document, dict):
        raise ControlError(400, "signature is an object: {secret, method}")
    # Signature checks its own fields; its errors never hold the secret.
    return Signature(secret=document.get("secret", ""), method=document.get("method", "md5hash"))


CALLBACK_URL_SETTING = {"inbound-sms": "moCallBackUrl", "delivery-receipt": "drCallBackUrl"}


class MockControl:
    """What a test can do to a mock: the control API's operations, answering its documents.

    One implementation for every way in: the test handle calls it directly in this process, the control API's HTTP
    handlers translate to it, and `control.client.ControlClient` offers the same methods over HTTP, so a caller
    cannot tell which side of a socket it is on (`testing.handle.ControlPort` names them).
    """

    def __init__(
        self, backend: AccountBackend, journal: Journal, faults: FaultBook, callbacks: CallbackDispatcher | None = None
    ) -> None:
        self.backend = backend
        self._journal = journal
        self.faults = faults
        self._journal.make_deterministic(backend.deterministic_seed is not None)
        self.callbacks = callbacks or CallbackDispatcher()
        self._callback_rng = _callback_rng(backend.deterministic_seed)

    def reset(self, *, deterministic_seed: int | bool | None = False) -> None:
        """Back to the baseline, with an empty journal and no fault plans.

        `deterministic_seed`: an int makes ids and timestamps (the journal's too) reproducible, None makes them
        real again, and False (the default) leaves the mode as it is.
        """
        if deterministic_seed is not False:
            self.backend.make_deterministic(None if deterministic_seed is None else int(deterministic_seed))
            self._journal.make_deterministic(self.backend.deterministic_seed is not None)
        self._callback_rng = _callback_rng(self.backend.deterministic_seed)
        self.backend.reset()
        self._journal.clear()
        self.faults.clear()
        self.callbacks.clear()

    def reset_account(self, api_key: str) -> None:
        """One account (and its sub-accounts) back to the baseline, with its journal entries and plans."""
        self.backend.reset_account(api_key)
        self._journal.clear(api_key)
        self.faults.clear(api_key)
        self.callbacks.clear(api_key)

    def put_account(self, api_key: str, spec: dict[str, Any]) -> dict[str, Any]:
        """Create or replace an account."""
        try:
            self.backend.seed(account_seed(api_key, spec))
        except ValueError as error:
            raise ControlError(400, str(error)) from None
        return self.get_account(api_key)

    def get_account(self, api_key: str) -> dict[str, Any]:
        """An account's state (no secret values)."""
        with self.backend.locked():
            try:
                account = self.backend.account(api_key)
            except KeyError:
                raise ControlError(404, f"No account '{api_key}'") from None
            # Described under the lock: the document is a copy, so nothing escapes unguarded.
            return describe_account(account, self.backend.subaccounts(api_key))

    def list_accounts(self) -> list[str]:
        """Every known api_key."""
        return self.backend.api_keys()

    def account_details(self, *, limit: int | None = None) -> dict[str, Any]:
        """Every account as `get_account` shows it (the first `limit`), and the time now to tell secret ages by."""
        with self.backend.locked():
            keys = self.backend.api_keys()
            shown = keys if limit is None else keys[:limit]
            accounts = [describe_account(self.backend.account(key), self.backend.subaccounts(key)) for key in shown]
            # In deterministic mode there is no now to tell ages by: reading the synthetic clock would move it on.
            now = None if self.backend.deterministic_seed is not None else format_timestamp(utc_now())
        return {"now": now, "total": len(keys), "accounts": accounts}

    def set_balance(self, api_key: str, balance: str) -> str:
        """Make an account's balance exactly `balance`; the new balance."""
        value = _decimal(balance, "balance")
        try:
            return str(self.backend.set_balance(api_key, value))
        except KeyError:
            raise ControlError(404, f"No account '{api_key}'") from None

    def operations(self) -> list[dict[str, Any]]:
        """The Account API's operations and the statuses each declares: what a fault plan may name."""
        catalog = self.faults.catalog
        return [{"operation_id": op, "statuses": catalog.statuses(op)} for op in catalog.operations()]

    def spend(self, api_key: str, amount: str) -> str:
        """Lower a balance; the new balance."""
        value = _decimal(amount, "amount")
        if value < 0:
            raise ControlError(400, "amount must not be negative")
        try:
            return str(self.backend.spend(api_key, value))
        except KeyError:
            raise ControlError(404, f"No account '{api_key}'") from None

    def snapshot(self) -> dict[str, Any]:
        """The whole Account API state as one document (digests in place of secrets and `trx`)."""
        return take_snapshot(self.backend)

    def load_snapshot(self, document: Any) -> dict[str, Any]:
        """Replace the Account API state with a snapshot's (the journal, plans and callbacks stay)."""
        try:
            return {"accounts": load_snapshot(self.backend, document)}
        except BadDocument as error:
            raise ControlError(400, f"not a usable snapshot: {error}") from None

    def journal(self, **filters: Unpack[JournalFilters]) -> list[dict[str, Any]]:
        """Matching journal entries, oldest first (a filter that names what the spec does not have is a 400)."""
        try:
            return [entry.as_dict() for entry in self._journal.entries(**filters)]
        except UnknownFilter as refused:
            raise ControlError(400, str(refused)) from None

    def clear_journal(self, account: str | None = None) -> None:
        """Forget journal entries (all, or one account's)."""
        self._journal.clear(account)

    def add_fault(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Add a fault plan checked against the spec; the plan."""
        try:
            plan = self.faults.add(
                spec["operation_id"],
                status=spec.get("status"),
                delay_ms=int(spec.get("delay_ms", 0)),
                drop=bool(spec.get("drop", False)),
                account=spec.get("account"),
                times=spec.get("times"),
            )
        except InvalidFaultPlan as error:
            raise ControlError(400, str(error)) from None
        return plan.as_dict()

    def list_faults(self) -> list[dict[str, Any]]:
        """Every plan with how often it fired."""
        return [plan.as_dict() for plan in self.faults.plans()]

    def remove_fault(self, plan_id: str) -> None:
        """Remove one plan."""
        if not self.faults.remove(plan_id):
            raise ControlError(404, f"No fault plan '{plan_id}'")

    def clear_faults(self, account: str | None = None) -> None:
        """Remove every plan (or one account's)."""
        self.faults.clear(account)

    # -- callbacks ----------------------------------------------------------------------------

    def send_callback(
        self, api_key: str, kind: str, fields: dict[str, Any], retries: int | None = None
    ) -> dict[str, Any]:
        """Deliver the callback of `kind` the service would send for `fields`: an inbound SMS (`inbound-sms`) to the
        account's `moCallBackUrl`, a delivery receipt (`delivery-receipt`) to its `drCallBackUrl`."""
        return self.callback_answer(self.start_callback(api_key, kind, fields, retries=retries))

    def route_to_app(self, base_url: str, app: Any) -> None:
        """Callbacks for `base_url` go straight into `app` (ASGI or WSGI): only a mock in this process can."""
        self.callbacks.route_to_app(base_url, app)

    def remove_route(self, base_url: str) -> None:
        """Callbacks for `base_url` go over the network again."""
        self.callbacks.remove_route(base_url)

    def start_callback(
        self, api_key: str, kind: str, fields: dict[str, Any], *, retries: int | None = None
    ) -> Future[list[dict[str, Any]]]:
        """Build the callback of `kind` for `fields` and start sending it: the deliveries to come, for
        `callback_answer` (a caller that must not hold a thread meanwhile waits for the future first)."""
        if kind not in CALLBACK_URL_SETTING:
            raise ControlError(400, f"no callback kind {kind!r}: one of {', '.join(CALLBACK_URL_SETTING)}")
        try:
            url, forward_method, signature = self.backend.callback_target(api_key, kind)
        except KeyError:
            raise ControlError(404, f"No account '{api_key}'") from None
        if not url:
            raise ControlError(
                409, f"Account '{api_key}' has no {CALLBACK_URL_SETTING[kind]}: set it with POST /account/settings"
            )
        # In deterministic mode the message ids, concatenation reference, nonces and timestamps follow the seed.
        rng = self._callback_rng
        now = self.backend.now()
        try:
            if kind == "inbound-sms":
                payloads = inbound_sms(fields, now=now, rng=rng)
            else:
                payloads = [delivery_receipt(fields, api_key=api_key, now=now, rng=rng)]
        except PayloadError as error:
            raise ControlError(400, str(error)) from None
        payloads = [signed(payload, signature, rng) for payload in payloads]
        for payload in payloads:
            problems = payload_problems(kind, payload)
            if problems:
                raise ControlError(400, f"the {kind} callback would not match callbacks.yaml: {'; '.join(problems)}")
        return self.callbacks.submit(
            account=api_key, kind=kind, url=url, forward_method=forward_method, payloads=payloads, retries=retries
        )

    def callback_answer(self, sending: Future[list[dict[str, Any]]], *, wait: bool = True) -> dict[str, Any]:
        """What a trigger answers once `sending` is done (waited for at most the dispatcher's bound, unless `wait` is
        false: a caller that waited already)."""
        try:
            deliveries = sending.result(self.callbacks.answer_within if wait else 0)
        except TargetRefused as error:
            raise ControlError(403, str(error)) from None
        except DeliveryQueueFull as error:
            raise ControlError(503, str(error)) from None
        except TimeoutError:
            raise ControlError(503, "the callback worker did not answer in time: nothing was sent") from None
        return {"delivered": all(d["state"] == "delivered" for d in deliveries), "deliveries": deliveries}

    def deliveries(self, *, account: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        """Every callback kept (of one account, of one kind), oldest first, with its attempts."""
        return self.callbacks.deliveries(account, kind)

    def clear_deliveries(self, account: str | None = None) -> None:
        """Forget callbacks (all, or one account's) and stop their retries."""
        self.callbacks.clear(account)

    def advance_deliveries(self, seconds: float) -> dict[str, Any]:
        """Step the callbacks' clock forward by `seconds` of the service's time; the retries made meanwhile."""
        if not 0 <= seconds <= 7 * 86400:
            raise ControlError(400, "seconds must be 0 to 604800")
        try:
            return {"attempts": self.callbacks.advance(seconds)}
        except TimeoutError:
            # The clock has moved; the attempts still due are being made (slow receivers each take the timeout).
            raise ControlError(503, "the retries due take longer than a minute to make; they go on meanwhile") from None
