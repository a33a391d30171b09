"""Which URLs the mock may call back: loopback ones by default, others only when explicitly allowed.

A shared mock must not become a way to make requests into a private network, so a host name is resolved and every
address it resolves to must be loopback (or allowed); a plain-http call then goes to the address that was checked,
so a name that resolves differently a moment later (DNS rebinding) cannot redirect it (https calls too: the
certificate is checked against the name, sent as the TLS server name).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import httpx

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_DOTTED = re.compile(r"[0-9.]+")
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")


UNRESOLVED_ADVICE = (
    "set the webhook (moCallBackUrl or drCallBackUrl) to a receiver this machine can reach, e.g. "
    "http://127.0.0.1:9000/, with POST /account/settings"
)
"""What to do about a callback host that does not resolve (in a test, often an example URL left in the settings)."""


class TargetRefused(Exception):
    """A callback URL the mock will not call (the message says why and what would allow it)."""


@dataclass(frozen=True)
class AllowList:
    """Host names and networks (`10.0.0.0/8`, `192.0.2.7`) the mock may call besides loopback addresses."""

    names: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """An allow-list from `--callback-allow-host` values: names, addresses or networks."""
        names: set[str] = set()
        networks: list[Network] = []
        for raw in entries:
            entry = raw.strip()
            try:
                # Strict: `10.0.0.1/8` (host bits set) is a typo for an address or a network, not a licence for both.
                networks.append(ipaddress.ip_network(entry, strict=True))
            except ValueError as error:
                if "/" in entry or ":" in entry or _DOTTED.fullmatch(entry):
                    # It looks like an address or a network: taking it as a host name would never match anything.
                    raise ValueError(f"--callback-allow-host {entry!r}: {error}") from None
                if not _HOST_NAME.fullmatch(entry):
                    raise ValueError(f"--callback-allow-host {entry!r}: not a host name, address or network") from None
                names.add(entry.lower().rstrip("."))
        return cls(frozenset(names), tuple(networks))

    def allows_address(self, address: str) -> bool:
        """Whether an address is loopback or inside an allowed network."""
        ip = ipaddress.ip_address(address)  # a link-local address's zone (`fe80::1%eth0`) is read with it
        return ip.is_loopback or any(ip in network for network in self.networks)


@dataclass(frozen=True)
class Target:
    """Where to send: the URL to request and the Host header it needs (when the URL names a checked address)."""

    url: httpx.URL
    host_header: str | None = None
    sni_hostname: str | None = None
    """For https to a checked address: the name the certificate is checked against (and the TLS server name)."""


def parse_callback_url(url: str) -> httpx.URL:
    """A callback URL parsed and checked for shape (http or https, a host, a port that exists), or TargetRefused."""
    try:
        parsed = httpx.URL(url)
        # httpx checks an xn-- label only when `.host` decodes it: asked here, one that is not Punycode, or decodes
        # to a code point IDNA 2008 forbids, is the URL's fault. The idna package's errors are ValueErrors.
        has_host = bool(parsed.host)
    except (httpx.InvalidURL, ValueError) as error:
        raise TargetRefused(_unusable(str(error) or type(error).__name__)) from None
    if parsed.scheme not in ("http", "https") or not has_host:
        raise TargetRefused(_unusable("not an http or https URL with a host"))
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise TargetRefused(_unusable(f"port {parsed.port} does not exist"))
    return parsed


def _unusable(reason: str) -> str:
    return (
        f"the callback URL cannot be used ({reason}): set an http or https URL with a valid host name or address "
        "(and a port from 1 to 65535) with POST /account/settings"
    )


def host_name(url: httpx.URL) -> str:
    """The URL's host as it is looked up and allowed: ASCII (an IDNA name in its xn-- form), lower case, no dot at
    the end."""
    return url.raw_host.decode("ascii").lower().rstrip(".")


Lookup = Callable[[str], Awaitable[list[str]]]
"""The addresses a host name resolves to; OSError when it does not."""


def addresses(host: str) -> list[str]:
    """The addresses the system resolver gives for `host` (blocking: run it on a thread)."""
    # No port: a name resolves to the same addresses whatever the port; the call takes the URL's own.
    return [str(info[4][0]) for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)]


async def _default_lookup(host: str) -> list[str]:
    return await asyncio.get_running_loop().run_in_executor(None, addresses, host)


async def resolve_target(url: str, allow: AllowList, lookup: Lookup = _default_lookup) -> Target:
    """The checked target of a callback URL, or TargetRefused; `lookup` resolves its host."""
    parsed = parse_callback_url(url)
    # Not `parsed.host`, which httpx decodes to Unicode: the allow-list holds ASCII names, and a Unicode name given
    # to getaddrinfo would be encoded again by Python's own IDNA 2003 codec (`ß` becomes `ss`, not `xn--zca`).
    host = host_name(parsed)
    if host in allow.names:
        return Target(parsed)
    try:
        found = await lookup(host)
    except (OSError, UnicodeError):
        raise TargetRefused(f"the callback host {host!r} does not resolve: {UNRESOLVED_ADVICE}") from None
    refused = sorted({a for a in found if not allow.allows_address(a)})
    if not found or refused:
        raise TargetRefused(
            f"the callback host {host!r} resolves to {', '.join(refused) or 'nothing'}: the mock calls loopback "
            "addresses only, unless started with --callback-allow-host NAME|ADDRESS|NETWORK"
        )
    host_header = parsed.netloc.decode("ascii")  # host and port: httpx keeps the userinfo out of it
    pinned = parsed.copy_with(host=found[0].split("%", 1)[0])
    # The call goes to the address checked, never to a second lookup a rebinding name could answer differently; an
    # https call still checks the certificate against the name, given as the TLS server name.
    return Target(pinned, host_header=host_header, sni_hostname=host if parsed.scheme == "https" else None)
