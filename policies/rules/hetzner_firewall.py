"""Reading Hetzner Cloud Firewall rules, shared by the firewall policies."""

from collections.abc import Iterator, Mapping
from typing import Any

from .props import UNKNOWN, get, items, port_range

FIREWALL = "hcloud:index/firewall:Firewall"
PORT_PROTOCOLS = ("tcp", "udp")


def inbound_rules(props: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(index, rule) for each known inbound rule."""
    for index, rule in items(get(props, "rules")):
        if rule is not UNKNOWN and get(rule, "direction") == "in":
            yield index, rule


def exposed_ports(rule: Mapping[str, Any], ports: Mapping[int, str]) -> list[int]:
    """Which of `ports` the rule lets in (tcp and udp rules only; 'any' or no port covers all)."""
    if get(rule, "protocol") not in PORT_PROTOCOLS:
        return []
    low, high = port_range(get(rule, "port"))
    return [port for port in sorted(ports) if low <= port <= high]


def describe(index: int, rule: Mapping[str, Any], ports: list[int], names: Mapping[int, str]) -> str:
    port = get(rule, "port") or "any"
    opened = ", ".join(f"{number} ({names[number]})" for number in ports)
    return f"inbound rule {index} ({get(rule, 'protocol')} {port}) opens {opened}"
