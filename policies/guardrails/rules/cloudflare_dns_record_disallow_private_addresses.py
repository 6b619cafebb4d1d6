import ipaddress

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ..support.addresses import embedded_ipv4, is_public
from ..support.properties import UNKNOWN, get

RECORD_TYPES = ("cloudflare:index/dnsRecord:DnsRecord", "cloudflare:index/record:Record")


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in RECORD_TYPES or get(args.props, "type") not in ("A", "AAAA"):
        return
    content = get(args.props, "content")
    if content in (None, UNKNOWN):
        return
    try:
        address = ipaddress.ip_address(str(content).strip())
    except ValueError:
        report(
            f"{get(args.props, 'name')} {get(args.props, 'type')} record content '{content}' is not an address.", None
        )
        return
    if not is_public(address):
        inner = embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
        spelled = f" (the IPv4 address {inner} in an IPv6 spelling)" if inner is not None else ""
        report(
            f"{get(args.props, 'name')} points at {str(content).strip()}{spelled}, which is not reachable from the "
            "internet (private, loopback, link-local, shared or documentation range).",
            None,
        )


POLICY = ResourceValidationPolicy(
    name="cloudflare-dns-record-disallow-private-addresses",
    description="Public DNS records must point at public addresses; a private address leaks the internal network "
    "layout and breaks certificate issuance.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    validate=validate,
)
