"""Reading Hetzner Cloud Firewall rules, shared by the firewall policies."""

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation

from .addresses import broad_sources
from .properties import UNKNOWN, get, items, port_range

FIREWALL = "hcloud:index/firewall:Firewall"
PORT_PROTOCOLS = ("tcp", "udp")
# A firewall that lets the internet reach more ports than this filters nothing worth the name: one that opens
# everything but a few listed ports passes every port check and still exposes whatever listens.
MOST_PORTS_OPEN = 1024


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


# How many of the ports a rule opens its message names; a rule opening every port would list the whole catalog.
PORTS_NAMED = 6


def describe(index: int, rule: Mapping[str, Any], ports: list[int], names: Mapping[int, str]) -> str:
    port = get(rule, "port") or "any"
    opened = ", ".join(f"{number} ({names[number]})" for number in ports[:PORTS_NAMED])
    if len(ports) > PORTS_NAMED:
        opened += f" and {len(ports) - PORTS_NAMED} more"
    return f"rules[{index}] (in, {get(rule, 'protocol')} {port}) opens {opened}"


def report_openings(  # noqa: PLR0917 - one call shape for every port policy
    props: Mapping[str, Any],
    ports: Mapping[int, str],
    sources_to_refuse: Callable[[Any], list[str]],
    audience: str,
    fix: str,
    report: ReportViolation,
    urn: str | None = None,
) -> None:
    """Report every inbound rule that lets one of `ports` in from sources `sources_to_refuse` picks out."""
    for index, rule in inbound_rules(props):
        exposed = exposed_ports(rule, ports)
        refused = sources_to_refuse(get(rule, "sourceIps")) if exposed else []
        if refused:
            report(f"{describe(index, rule, exposed, ports)} to {audience} ({', '.join(refused)}); {fix}.", urn)


def _covered(spans: list[tuple[int, int]]) -> int:
    count, reached = 0, 0
    for low, high in sorted(spans):
        start = max(low, reached + 1)
        if high >= start:
            count += high - start + 1
            reached = high
    return count


def ports_open_to_the_internet(firewalls: list[Mapping[str, Any]]) -> int:
    """How many tcp and udp ports the firewalls together let in from the internet or most of it."""
    opened: dict[str, list[tuple[int, int]]] = {protocol: [] for protocol in PORT_PROTOCOLS}
    for props in firewalls:
        for _, rule in inbound_rules(props):
            protocol = get(rule, "protocol")
            if protocol in opened and broad_sources(get(rule, "sourceIps")):
                opened[protocol].append(port_range(get(rule, "port")))
    return sum(_covered(spans) for spans in opened.values())
