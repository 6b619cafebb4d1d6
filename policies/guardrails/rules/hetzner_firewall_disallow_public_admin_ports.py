from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs, StackValidationPolicy

from ..support.addresses import ADMIN_PREFIX, beyond_admin_networks
from ..support.firewalls import FIREWALL, report_openings
from ..support.ports import ADMIN_PORTS_SCHEMA, admin_ports


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    ports = admin_ports(args.get_config(), args.resources)
    for firewall in (resource for resource in args.resources if resource.resource_type == FIREWALL):
        report_openings(
            firewall.props,
            ports,
            beyond_admin_networks,
            f"sources broader than admin networks, over a /{ADMIN_PREFIX[4]} of IPv4 or a /{ADMIN_PREFIX[6]} of "
            "IPv6 in all",
            "open it to the admin networks only",
            report,
            firewall.urn,
        )


POLICY = StackValidationPolicy(
    name="hetzner-firewall-disallow-public-admin-ports",
    description="SSH, control planes and consoles (Kubernetes, Vault, broker and storage consoles) and, in stacks "
    "that install Coolify, its direct ports must be reachable from the admin networks only: public sources of at "
    "most a /16 of IPv4 and a /40 of IPv6 in all.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=ADMIN_PORTS_SCHEMA,
    validate=validate,
)
