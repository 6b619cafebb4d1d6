"""Reading Hetzner Cloud Firewall rules, shared by the firewall policies."""

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation

from .properties import UNKNOWN, get, items, port_range

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


def report_openings(
    props: Mapping[str, Any],
    ports: Mapping[int, str],
    sources_to_refuse: Callable[[Any], list[str]],
    audience: str,
    report: ReportViolation,
) -> None:
    """Report every inbound rule that lets one of `ports` in from sources `sources_to_refuse` picks out."""
    for index, rule in inbound_rules(props):
        exposed = exposed_ports(rule, ports)
        refused = sources_to_refuse(get(rule, "sourceIps")) if exposed else []
        if refused:
            report(f"{describe(index, rule, exposed, ports)} to {audience} ({', '.join(refused)}).", None)
