"""Inbound rules of the Hetzner Cloud Firewall, as plain data so they can be read, tested and reused.

Everything not listed here is dropped: a Hetzner firewall with inbound rules denies all other
inbound traffic. Outbound traffic is left open (no outbound rules) for apt, Docker pulls and backups.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi

ANYWHERE = ("0.0.0.0/0", "::/0")

# Coolify publishes these for access by IP; once the dashboard is served on its domain (or reached
# through an SSH tunnel) they need not be reachable from outside at all.
COOLIFY_DIRECT_PORTS = (
    ("8000", "Coolify dashboard"),
    ("6001", "Coolify realtime (websockets)"),
    ("6002", "Coolify terminal"),
)


@dataclass(frozen=True)
class FirewallRule:
    protocol: Literal["tcp", "udp", "icmp"]
    port: str | None
    source_ips: tuple[pulumi.Input[str], ...]
    """CIDRs; addresses known only at deploy time (another server's) may be Outputs."""
    description: str


def main_server_rules(admin_cidrs: Sequence[str], close_direct_ports: bool) -> list[FirewallRule]:
    """The Coolify host: SSH for admins, HTTP(S) for everyone, Coolify's own ports for admins while open."""
    admins = tuple(admin_cidrs)
    rules = [
        FirewallRule("tcp", "22", admins, "SSH from admin networks"),
        FirewallRule("tcp", "80", ANYWHERE, "HTTP, redirected to HTTPS and used by Let's Encrypt"),
        FirewallRule("tcp", "443", ANYWHERE, "HTTPS"),
        # Coolify's Traefik proxy serves HTTP/3 (QUIC) on 443/udp.
        FirewallRule("udp", "443", ANYWHERE, "HTTP/3"),
        # ICMP carries path-MTU discovery; blocking it breaks large transfers over IPv6.
        FirewallRule("icmp", None, ANYWHERE, "ICMP (ping, path MTU discovery)"),
    ]
    if not close_direct_ports:
        rules += [
            FirewallRule("tcp", port, admins, f"{purpose} from admin networks")
            for port, purpose in COOLIFY_DIRECT_PORTS
        ]
    return rules


def worker_rules(
    admin_cidrs: Sequence[str],
    coolify_sources: Sequence[pulumi.Input[str]],
    balancer_sources: Sequence[pulumi.Input[str]],
) -> list[FirewallRule]:
    """A worker: SSH for admins and Coolify's host, HTTP(S) only from the load balancer.

    Coolify and the load balancer reach workers over the private network, which Hetzner's firewall
    does not filter; these rules cover their public addresses, so that nothing else gets in.
    """
    ssh_sources = (*admin_cidrs, *coolify_sources)
    return [
        FirewallRule("tcp", "22", ssh_sources, "SSH from admin networks and the Coolify host"),
        FirewallRule("tcp", "80", tuple(balancer_sources), "HTTP from the load balancer"),
        FirewallRule("tcp", "443", tuple(balancer_sources), "HTTPS from the load balancer"),
        FirewallRule("icmp", None, ANYWHERE, "ICMP (ping, path MTU discovery)"),
    ]
