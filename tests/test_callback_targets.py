"""Which callback URLs the mock calls, where exactly, and what it says when it will not: the target checks."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from vonage_account_mock.callbacks.targets import UNRESOLVED_ADVICE, AllowList, Target, TargetRefused, resolve_target

LOOPBACK_ONLY = (
    ": the mock calls loopback addresses only, unless started with --callback-allow-host NAME|ADDRESS|NETWORK"
)
UNUSABLE = (
    "the callback URL cannot be used ({}): set an http or https URL with a valid host name or address "
    "(and a port from 1 to 65535) with POST /account/settings"
)


def _resolve(url: str, answer: list[str] | OSError, allow: AllowList | None = None) -> tuple[Target, list[str]]:
    """The target of `url` when its host resolves to `answer`, and the names that were looked up."""
    asked: list[str] = []

    async def lookup(host: str) -> list[str]:
        asked.append(host)
        if isinstance(answer, OSError):
            raise answer
        return answer

    return asyncio.run(resolve_target(url, allow or AllowList(), lookup)), asked


def _refusal(url: str, answer: list[str] | OSError | None = None) -> str:
    with pytest.raises(TargetRefused) as refused:
        _resolve(url, ["127.0.0.1"] if answer is None else answer)
    return str(refused.value)


def test_the_name_looked_up_is_the_hosts_lower_case_without_its_final_dot() -> None:
    target, asked = _resolve("http://Hooks.LocalHost.:8123/dr", ["127.0.0.1"])
    assert asked == ["hooks.localhost"]
    assert target.url == httpx.URL("http://127.0.0.1:8123/dr") and target.host_header == "hooks.localhost.:8123"


def test_an_http_target_carries_no_tls_server_name_and_an_https_one_its_host_name() -> None:
    plain, _ = _resolve("http://localhost/dr", ["127.0.0.1"])
    secure, _ = _resolve("https://LOCALHOST:8443/dr", ["::1"])
    assert (plain.url, plain.sni_hostname) == (httpx.URL("http://127.0.0.1/dr"), None)
    assert (secure.url, secure.sni_hostname) == (httpx.URL("https://[::1]:8443/dr"), "localhost")


def test_the_host_header_never_carries_the_urls_credentials() -> None:
    target, _ = _resolve("http://hookuser:Hook1password@localhost:8123/dr", ["127.0.0.1"])
    assert target.host_header == "localhost:8123"


def test_a_link_local_address_is_called_without_its_zone() -> None:
    target, _ = _resolve("http://hooks.lan/dr", ["fe80::7%eth0"], AllowList.parse(["fe80::/10"]))
    assert target.url.host == "fe80::7"


def test_a_name_that_resolves_outside_loopback_is_refused_naming_each_address_once() -> None:
    detail = _refusal("http://hooks.example/dr", ["10.0.0.2", "127.0.0.1", "10.0.0.1", "10.0.0.2"])
    assert detail == "the callback host 'hooks.example' resolves to 10.0.0.1, 10.0.0.2" + LOOPBACK_ONLY


def test_a_name_that_resolves_to_nothing_or_not_at_all_is_refused() -> None:
    assert _refusal("http://hooks.example/dr", []) == "the callback host 'hooks.example' resolves to nothing" + (
        LOOPBACK_ONLY
    )
    failed = _refusal("http://hooks.example/dr", OSError("no such name"))
    assert failed == f"the callback host 'hooks.example' does not resolve: {UNRESOLVED_ADVICE}"


def test_an_address_in_the_url_is_checked_by_the_system_resolver_too() -> None:
    with pytest.raises(TargetRefused) as refused:
        asyncio.run(resolve_target("http://192.0.2.7:8080/dr", AllowList()))
    assert str(refused.value) == "the callback host '192.0.2.7' resolves to 192.0.2.7" + LOOPBACK_ONLY


@pytest.mark.parametrize("port", [1, 65535])
def test_every_port_from_1_to_65535_can_be_called(port: int) -> None:
    target, _ = _resolve(f"http://localhost:{port}/dr", ["127.0.0.1"])
    assert target.url.port == port


def test_port_65536_does_not_exist() -> None:
    assert _refusal("http://localhost:65536/dr") == UNUSABLE.format("port 65536 does not exist")


@pytest.mark.parametrize("url", ["ftp://localhost/dr", "http:///dr", "mailto:hooks@localhost"])
def test_a_url_that_is_not_http_or_https_with_a_host_is_refused(url: str) -> None:
    assert _refusal(url) == UNUSABLE.format("not an http or https URL with a host")


def test_a_url_the_parser_refuses_is_refused_with_the_parsers_reason() -> None:
    url = "http://[::1/dr"
    with pytest.raises(httpx.InvalidURL) as parser:
        httpx.URL(url)
    assert _refusal(url) == UNUSABLE.format(parser.value)


def test_allowed_names_are_kept_in_lower_case_without_their_final_dot() -> None:
    allow = AllowList.parse([" Hooks.Example.COM. ", "10.0.0.0/8", "192.0.2.7", "fe80::/10"])
    assert allow.names == {"hooks.example.com"}
    assert [str(network) for network in allow.networks] == ["10.0.0.0/8", "192.0.2.7/32", "fe80::/10"]
    target, asked = _resolve("http://HOOKS.example.com/dr", OSError("never asked"), allow)
    assert asked == [] and target.url == httpx.URL("http://HOOKS.example.com/dr")


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("10.0.0.1/8", "10.0.0.1/8 has host bits set"),
        ("10.0.0.0/33", "'10.0.0.0/33' does not appear to be an IPv4 or IPv6 network"),
        ("fe80::zz", "'fe80::zz' does not appear to be an IPv4 or IPv6 network"),
        ("1.2.3", "'1.2.3' does not appear to be an IPv4 or IPv6 network"),
        ("hooks example", "not a host name, address or network"),
        ("-hooks.example", "not a host name, address or network"),
    ],
)
def test_an_allow_list_entry_that_is_no_name_address_or_network_is_refused_saying_why(entry: str, reason: str) -> None:
    with pytest.raises(ValueError) as refused:
        AllowList.parse([entry])
    assert str(refused.value) == f"--callback-allow-host {entry!r}: {reason}"
