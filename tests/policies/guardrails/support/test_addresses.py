"""Addresses: what the internet can reach, and which sources reach most of it."""

import ipaddress

import pytest

from policies.guardrails.support.addresses import broad_sources, embedded_ipv4, is_public, public_sources

ALL_IPV4_BUT_ZERO_SLASH_EIGHT = [
    "1.0.0.0/8", "2.0.0.0/7", "4.0.0.0/6", "8.0.0.0/5", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1",
]  # fmt: skip


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        (["0.0.0.0/0", "::/0"], ["0.0.0.0/0", "::/0"]),
        (["0.0.0.0/1", "128.0.0.0/1"], ["0.0.0.0/1, 128.0.0.0/1: 100.0% of 0.0.0.0/0"]),
        (ALL_IPV4_BUT_ZERO_SLASH_EIGHT, ["8 ranges: 99.6% of 0.0.0.0/0"]),
        (["2000::/3"], ["2000::/3: 12.5% of ::/0"]),
        (["5.0.0.0/8"], ["5.0.0.0/8: 0.4% of 0.0.0.0/0"]),
        (["2a01::/16"], ["2a01::/16: 0.0% of ::/0"]),
        (None, ["no source list, so everywhere"]),
    ],
    ids=["any", "two-halves", "all-but-0/8", "global-unicast", "a-slash-8", "a-slash-16-v6", "no-list"],
)
def test_sources_that_reach_most_of_the_internet(sources: list[str] | None, expected: list[str]) -> None:
    assert broad_sources(sources) == expected


@pytest.mark.parametrize(
    "sources",
    [["203.0.113.7/32", "2001:db8:1234::/48"], ["10.0.0.0/8", "172.16.0.0/12", "fc00::/7"], ["5.0.0.0/9"], []],
    ids=["admin-networks", "private-ranges", "half-a-slash-8", "empty"],
)
def test_narrow_or_private_sources_are_not_broad(sources: list[str]) -> None:
    assert broad_sources(sources) == []


def test_public_sources_leave_out_private_and_whole_internet_forms() -> None:
    assert public_sources(["8.8.8.0/24", "10.0.0.0/8", "0.0.0.0/0", "2a01:4f8::/32"]) == ["8.8.8.0/24", "2a01:4f8::/32"]


@pytest.mark.parametrize(
    ("address", "inner", "public"),
    [
        ("64:ff9b::a00:1", "10.0.0.1", False),
        ("64:ff9b:1::c0a8:101", "192.168.1.1", False),
        ("2002:a00:1::", "10.0.0.1", False),
        ("::ffff:10.0.0.1", "10.0.0.1", False),
        ("::10.0.0.1", "10.0.0.1", False),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "10.0.0.1", False),
        ("64:ff9b::808:808", "8.8.8.8", True),
        ("2a01:4f8:c0c::1", None, True),
    ],
    ids=["nat64", "nat64-local", "6to4", "mapped", "compatible", "teredo", "nat64-public", "plain"],
)
def test_ipv6_spellings_of_ipv4_addresses_are_judged_by_the_ipv4_address(
    address: str, inner: str | None, public: bool
) -> None:
    parsed = ipaddress.IPv6Address(address)
    found = embedded_ipv4(parsed)
    assert (str(found) if found else None) == inner
    assert is_public(parsed) is public
