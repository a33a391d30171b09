"""Small ASGI helpers shared by the middlewares: reading a request body, handing it on again, answering."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import Message, Receive, Scope, Send


def header(scope: Scope, name: bytes, default: bytes = b"") -> bytes:
    """The value of the first header called `name` (lower case), or `default`.

    A loop rather than `next()` over a generator: a generator left unfinished is closed by raising GeneratorExit in
    it, an exception made on every request that reads a header.
    """
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for key, value in headers:
        if key == name:
            return value
    return default


class BodyTooLarge(Exception):
    """The request body passed the limit."""


async def read_body(receive: Receive, limit: int | None = None) -> bytes:
    """The whole request body (BodyTooLarge past `limit` bytes)."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def replay(body: bytes) -> Receive:
    """A receive channel that delivers `body` once, as the app further in expects it."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def send_response(
    send: Send,
    status: int,
    payload: bytes = b"",
    media_type: str | None = None,
    extra_headers: Iterable[tuple[bytes, bytes]] = (),
) -> None:
    """Send a whole response at once, with its Content-Length (and Content-Type, when there is a body type)."""
    headers = [(b"content-length", str(len(payload)).encode())]
    if media_type is not None:
        headers.append((b"content-type", media_type.encode()))
    headers.extend(extra_headers)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
