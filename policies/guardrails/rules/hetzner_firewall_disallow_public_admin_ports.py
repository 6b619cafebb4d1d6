from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from ..support.firewalls import FIREWALL, report_openings
from ..support.properties import config_ports, port_list, world_sources

ADMIN_PORTS = {22: "SSH", 8000: "Coolify dashboard", 6001: "Coolify realtime", 6002: "Coolify terminal"}


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == FIREWALL:
        ports = config_ports(args.get_config(), "adminPorts", ADMIN_PORTS)
        report_openings(args.props, ports, world_sources, "the whole internet", report)


POLICY = ResourceValidationPolicy(
    name="hetzner-firewall-disallow-public-admin-ports",
    description="SSH and Coolify's direct ports (dashboard, realtime, terminal) should be reachable from the admin "
    "networks only, never from the whole internet.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={"adminPorts": port_list(ADMIN_PORTS, "Ports only administrators need.")}
    ),
    validate=validate,
)
