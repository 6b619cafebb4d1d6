"""Addresses and source ranges: whether an address is reachable from the internet, whether sources reach most of it."""

import ipaddress
from collections.abc import Iterator
from typing import Any

from .properties import UNKNOWN, items

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv6 prefixes that carry an IPv4 address in their last 32 bits: NAT64's well-known and local-use prefixes
# (RFC 6052, RFC 8215) and IPv4-compatible addresses (RFC 4291 2.5.5.1). 6to4 (RFC 3056) keeps it in bits
# 16-47, Teredo (RFC 4380) obfuscated in the last 32: Python decodes both.
_LAST_32_BITS = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
    ipaddress.IPv6Network("::/96"),
)
# Sources that can never be the internet's: Hetzner Cloud Firewalls filter the public interface only.
_NOT_INTERNET = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
        "224.0.0.0/3", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "2001:db8::/32",
    )
)  # fmt: skip
# Sources broader than this reach a large part of the internet: a /8 of IPv4 is 16.7 million addresses (several
# providers' worth), a /32 of IPv6 a whole provider's allocation. An admin network is an office or a VPN.
BROAD_ADDRESS_COUNT = {4: 2**24, 6: 2**96}
# How many of the ranges that together reach that far a message names.
RANGES_NAMED = 4
# What admin networks (offices, VPN exits, CI runners) add up to at most, per address family: 256 of the smallest
# prefixes the internet routes, /24 of IPv4 and /48 of IPv6 (RFC 7454, 6.1.3), so a /16 and a /40. The stack's
# own configuration refuses broader admin sources in production with the same bound
# (stack_config/model.py, ADMIN_SOURCE_PREFIX).
ADMIN_PREFIX = {4: 16, 6: 40}
_BITS = {4: 32, 6: 128}


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 spelling stands for (mapped, NAT64, 6to4, Teredo, compatible), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _LAST_32_BITS) and not (address.is_loopback or address.is_unspecified):
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Reachable from the internet: globally routed, and so is the IPv4 address an IPv6 spelling carries."""
    inner = embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
    return (inner or address).is_global


def source_networks(sources: Any) -> list[Network]:
    parsed: list[Network] = []
    for _, source in items(sources):
        if source is UNKNOWN:
            continue
        try:
            parsed.append(ipaddress.ip_network(str(source).strip(), strict=False))
        except ValueError:
            continue
    return parsed


def _internet_part(network: Network) -> bool:
    return not any(network.version == other.version and network.subnet_of(other) for other in _NOT_INTERNET)  # type: ignore[arg-type]


def _collapsed(networks: list[Network]) -> list[Network]:
    """The networks of one address family, merged where they touch or overlap."""
    return list(ipaddress.collapse_addresses(networks))  # type: ignore[type-var]


def _public_sources(sources: Any) -> Iterator[tuple[int, list[Network], int]]:
    """Per address family: the sources in the internet's part of it, and how many addresses they cover together."""
    for version in (4, 6):
        public = [
            network for network in source_networks(sources) if network.version == version and _internet_part(network)
        ]
        yield version, public, sum(network.num_addresses for network in _collapsed(public))


def _named(public: list[Network]) -> str:
    """The sources of one finding: /0 spelled out, a few ranges named, many counted."""
    return ", ".join(map(str, public)) if len(public) <= RANGES_NAMED else f"{len(public)} ranges"


def broad_sources(sources: Any) -> list[str]:
    """The sources that together reach the whole internet or a large part of it, per address family; no source
    list at all means everywhere."""
    if sources is None:
        return ["no source list, so everywhere"]
    if sources is UNKNOWN:
        return []
    found: list[str] = []
    for version, public, covered in _public_sources(sources):
        if covered >= BROAD_ADDRESS_COUNT[version]:
            everything = ipaddress.ip_network("0.0.0.0/0" if version == 4 else "::/0")
            spelled = [str(network) for network in public if network.prefixlen == 0]
            found += spelled or [f"{_named(public)}: {covered / everything.num_addresses:.1%} of {everything}"]
    return found


def beyond_admin_networks(sources: Any) -> list[str]:
    """The public sources, per address family, when together they cover more than ADMIN_PREFIX allows; no source
    list at all means everywhere."""
    if sources is None:
        return ["no source list, so everywhere"]
    if sources is UNKNOWN:
        return []
    found: list[str] = []
    for version, public, covered in _public_sources(sources):
        if covered > 2 ** (_BITS[version] - ADMIN_PREFIX[version]):
            spelled = [str(network) for network in public if network.prefixlen == 0]
            found += spelled or [f"{_named(public)}: more than a /{ADMIN_PREFIX[version]}"]
    return found


def public_sources(sources: Any) -> list[str]:
    """Sources reachable from the internet, the whole-internet forms aside."""
    return [str(network) for network in source_networks(sources) if _internet_part(network) and network.prefixlen > 0]
