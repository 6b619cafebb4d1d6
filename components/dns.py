"""Cloudflare DNS for the stack: A and AAAA per name, a wildcard for Coolify's apps, and CAA.

Children: for each label one A and one AAAA `DnsRecord`; two CAA records (issue, issuewild) that
allow only Let's Encrypt, which is where Coolify's proxy gets its certificates. Without a domain
there are no children: names fall back to `<ipv4>.sslip.io`, which resolves to the address itself.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import pulumi
import pulumi_cloudflare as cloudflare

LETS_ENCRYPT_CAA = "letsencrypt.org"
SSLIP_SUFFIX = "sslip.io"
APEX = "@"


class RecordOptions(Protocol):
    @property
    def ttl(self) -> int: ...

    @property
    def proxied(self) -> bool: ...


@dataclass(frozen=True)
class DnsArgs:
    domain: str | None
    """The Cloudflare zone's name; None falls back to sslip.io names and creates nothing."""
    zone_id: str | None
    """Known zone id; None looks the zone up by name."""
    namespace: str
    """Labels between every record and the domain ('' for the zone apex, e.g. 'staging')."""
    records: Mapping[str, RecordOptions]
    """Label ('@' for the name space itself, '*' for the wildcard) -> TTL and proxied."""
    dashboard_label: str
    caa: bool
    ipv4_address: pulumi.Input[str]
    ipv6_address: pulumi.Input[str]
    comment: str
    app_ipv4_address: pulumi.Input[str] | None = None
    """Where app names point instead (a load balancer in front of workers); the dashboard stays on the host."""
    app_ipv6_address: pulumi.Input[str] | None = None


def record_name(label: str, base: str) -> str:
    return base if label == APEX else f"{label}.{base}"


def _slug(label: str) -> str:
    return {"@": "apex", "*": "wildcard"}.get(label, label)


class Dns(pulumi.ComponentResource):
    base_name: pulumi.Output[str]
    hostnames: pulumi.Output[dict[str, str]]
    dashboard_hostname: pulumi.Output[str]
    dashboard_url: pulumi.Output[str]

    def __init__(self, name: str, args: DnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("hetzner-coolify:dns:Dns", name, None, opts)
        if args.domain is None:
            base: pulumi.Output[str] = pulumi.Output.from_input(args.ipv4_address).apply(
                lambda address: f"{address}.{SSLIP_SUFFIX}"
            )
        else:
            base = pulumi.Output.from_input(".".join(part for part in (args.namespace, args.domain) if part))
            self._create_records(name, args, args.domain)

        self.base_name = base
        self.hostnames = base.apply(lambda value: {label: record_name(label, value) for label in args.records})
        self.dashboard_hostname = base.apply(lambda value: record_name(args.dashboard_label, value))
        self.dashboard_url = pulumi.Output.concat("https://", self.dashboard_hostname)
        self.register_outputs({"hostnames": self.hostnames, "dashboardHostname": self.dashboard_hostname})

    def _create_records(self, name: str, args: DnsArgs, domain: str) -> None:
        child = pulumi.ResourceOptions(parent=self)
        zone_id: pulumi.Input[str] = (
            args.zone_id
            or cloudflare.get_zone_output(
                filter=cloudflare.GetZoneFilterArgs(name=domain, match="all"),
                opts=pulumi.InvokeOutputOptions(parent=self),
            ).zone_id
        )
        base = ".".join(part for part in (args.namespace, domain) if part)
        for label, options in args.records.items():
            on_host = label == args.dashboard_label or args.app_ipv4_address is None
            ipv4 = args.ipv4_address if on_host else args.app_ipv4_address
            ipv6 = args.ipv6_address if on_host else args.app_ipv6_address
            for record_type, address in (("A", ipv4), ("AAAA", ipv6)):
                cloudflare.DnsRecord(
                    f"{name}-{_slug(label)}-{record_type.lower()}",
                    zone_id=zone_id,
                    name=record_name(label, base),
                    type=record_type,
                    content=address,
                    ttl=options.ttl,
                    proxied=options.proxied,
                    comment=args.comment,
                    opts=child,
                )
        if args.caa:
            for tag in ("issue", "issuewild"):
                cloudflare.DnsRecord(
                    f"{name}-caa-{tag}",
                    zone_id=zone_id,
                    name=base,
                    type="CAA",
                    data=cloudflare.DnsRecordDataArgs(flags=0, tag=tag, value=LETS_ENCRYPT_CAA),
                    ttl=1,
                    comment=args.comment,
                    opts=child,
                )
