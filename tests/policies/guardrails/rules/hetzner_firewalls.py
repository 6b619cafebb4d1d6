"""A compliant Hetzner firewall for the firewall policies' tests, and rules to add to it one by one."""

from typing import Any

from tests.policies.conftest import Resource

FIREWALL = "hcloud:index/firewall:Firewall"


ADMINS = ["203.0.113.0/24", "2001:db8:1234::/48"]


WORLD = ["0.0.0.0/0", "::/0"]


def compliant_rules() -> list[dict[str, Any]]:
    return [
        {"direction": "in", "protocol": "tcp", "port": "22", "sourceIps": ADMINS},
        {"direction": "in", "protocol": "tcp", "port": "80", "sourceIps": WORLD},
        {"direction": "in", "protocol": "tcp", "port": "443", "sourceIps": WORLD},
        {"direction": "in", "protocol": "udp", "port": "443", "sourceIps": WORLD},
        {"direction": "in", "protocol": "icmp", "sourceIps": WORLD},
        {"direction": "in", "protocol": "tcp", "port": "8000", "sourceIps": ADMINS},
    ]


def firewall(*extra: dict[str, Any]) -> Resource:
    return Resource(FIREWALL, {"name": "fw", "rules": [*compliant_rules(), *extra]}, name="host-firewall")


def rule(port: Any, sources: Any, protocol: str = "tcp", direction: str = "in") -> dict[str, Any]:
    entry: dict[str, Any] = {"direction": direction, "protocol": protocol}
    if port is not None:
        entry["port"] = port
    if sources is not None:
        entry["sourceIps"] = sources
    return entry
