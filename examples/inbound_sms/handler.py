"""A small inbound-SMS webhook handler: the code under test in the callbacks example.

It takes the service's inbound-SMS callback in any forward method, checks its signature when it has a signature
secret, puts concatenated parts back together, and keeps a list of senders who texted STOP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from vonage_http_client.auth import Auth


@dataclass
class Inbox:
    """What the handler has learnt: whole messages, opted-out senders, and the parts still waiting for the rest."""

    messages: list[tuple[str, str]] = field(default_factory=list)
    opted_out: set[str] = field(default_factory=set)
    parts: dict[tuple[str, str], dict[int, str]] = field(default_factory=dict)

    def take(self, fields: dict[str, str]) -> None:
        """File one callback: a whole message, or a part of one."""
        sender = fields["msisdn"]
        if fields.get("concat") == "true":
            key = (sender, fields["concat-ref"])
            parts = self.parts.setdefault(key, {})
            parts[int(fields["concat-part"])] = fields.get("text", "")
            if len(parts) < int(fields["concat-total"]):
                return
            text = "".join(parts[number] for number in sorted(parts))
            del self.parts[key]
        else:
            text = fields.get("text", "")
        self.messages.append((sender, text))
        if text.strip().upper() == "STOP":
            self.opted_out.add(sender)


def create_handler(inbox: Inbox, *, api_key: str = "", signature_secret: str | None = None, method: str = "md5") -> Any:
    """The webhook app; with a `signature_secret`, unsigned or wrongly signed callbacks are refused (401)."""
    checker = None
    if signature_secret:
        checker = Auth(api_key=api_key, signature_secret=signature_secret, signature_method=method)

    async def inbound_sms(request: Request) -> Response:
        if request.method == "GET":
            fields = dict(request.query_params)
        elif request.headers.get("content-type", "").startswith("application/json"):
            fields = await request.json()
        else:
            fields = {name: str(value) for name, value in (await request.form()).items()}
        if checker is not None and not checker.check_signature(dict(fields)):
            return Response(status_code=401)
        inbox.take(fields)
        # 204: the service counts anything but 200 or 204 as not received, and sends it again.
        return Response(status_code=204)

    return Starlette(routes=[Route("/webhooks/inbound-sms", inbound_sms, methods=["GET", "POST"])])
