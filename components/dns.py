"""Cloudflare DNS for the stack: A and AAAA per name, a wildcard for Coolify's apps, and CAA.

Children: for each label one A and one AAAA `DnsRecord`; two CAA records (issue, issuewild) that
allow only Let's Encrypt, which is where Coolify's proxy gets its certificates. Without a domain
there are no children: names fall back to `<ipv4>.sslip.io`, which resolves to the address itself.
"""

from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare

from components.naming import Naming
from components.server import PublicAddresses
from stack_config.dns import APEX, WILDCARD, DnsSettings, record_name

LETS_ENCRYPT_CAA = "letsencrypt.org"
SSLIP_SUFFIX = "sslip.io"


@dataclass(frozen=True)
class DnsArgs:
    settings: DnsSettings
    domain: str | None
    """The Cloudflare zone's name; None falls back to sslip.io names and creates nothing."""
    host: PublicAddresses
    """The main server: the dashboard's name, and every name when `apps` is None."""
    apps: PublicAddresses | None
    """Where app names point instead (a load balancer in front of workers)."""
    naming: Naming


def _slug(label: str) -> str:
    return {APEX: "apex", WILDCARD: "wildcard"}.get(label, label)


class Dns(pulumi.ComponentResource):
    base_name: pulumi.Output[str]
    hostnames: pulumi.Output[dict[str, str]]
    dashboard_hostname: pulumi.Output[str]
    dashboard_url: pulumi.Output[str]

    def __init__(self, name: str, args: DnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("hetzner-coolify:dns:Dns", name, None, opts)
        settings = args.settings
        if args.domain is None:
            base: pulumi.Output[str] = pulumi.Output.from_input(args.host.ipv4).apply(
                lambda address: f"{address}.{SSLIP_SUFFIX}"
            )
        else:
            base = pulumi.Output.from_input(settings.base_name(args.domain))
            self._create_records(name, args, args.domain)

        self.base_name = base
        labels = settings.labels()
        self.hostnames = base.apply(lambda value: {label: record_name(label, value) for label in labels})
        self.dashboard_hostname = base.apply(lambda value: record_name(settings.dashboard, value))
        self.dashboard_url = pulumi.Output.concat("https://", self.dashboard_hostname)
        self.register_outputs({"hostnames": self.hostnames, "dashboardHostname": self.dashboard_hostname})

    def _create_records(self, name: str, args: DnsArgs, domain: str) -> None:
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        zone_id: pulumi.Input[str] = (
            settings.zone_id
            or cloudflare.get_zone_output(
                filter=cloudflare.GetZoneFilterArgs(name=domain, match="all"),
                opts=pulumi.InvokeOutputOptions(parent=self),
            ).zone_id
        )
        base = settings.base_name(domain)
        for label, options in settings.records().items():
            target = args.host if label == settings.dashboard or args.apps is None else args.apps
            for record_type, address in (("A", target.ipv4), ("AAAA", target.ipv6)):
                cloudflare.DnsRecord(
                    f"{name}-{_slug(label)}-{record_type.lower()}",
                    zone_id=zone_id,
                    name=record_name(label, base),
                    type=record_type,
                    content=address,
                    ttl=options.ttl,
                    proxied=options.proxied,
                    comment=args.naming.comment,
                    opts=child,
                )
        if settings.caa:
            for tag in ("issue", "issuewild"):
                cloudflare.DnsRecord(
                    f"{name}-caa-{tag}",
                    zone_id=zone_id,
                    name=base,
                    type="CAA",
                    data=cloudflare.DnsRecordDataArgs(flags=0, tag=tag, value=LETS_ENCRYPT_CAA),
                    ttl=1,
                    comment=args.naming.comment,
                    opts=child,
                )
