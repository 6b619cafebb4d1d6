from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs, StackValidationPolicy

from ..support.addresses import broad_sources
from ..support.firewalls import FIREWALL, report_openings
from ..support.ports import ADMIN_PORTS_SCHEMA, admin_ports


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    ports = admin_ports(args.get_config(), args.resources)
    for firewall in (resource for resource in args.resources if resource.resource_type == FIREWALL):
        report_openings(
            firewall.props,
            ports,
            broad_sources,
            "the whole internet or a large part of it",
            "open it to the admin networks only",
            report,
            firewall.urn,
        )


POLICY = StackValidationPolicy(
    name="hetzner-firewall-disallow-public-admin-ports",
    description="SSH, control planes and consoles (Kubernetes, Vault, broker and storage consoles) and, in stacks "
    "that install Coolify, its direct ports must be reachable from the admin networks only.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=ADMIN_PORTS_SCHEMA,
    validate=validate,
)
