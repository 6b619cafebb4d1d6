from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ..support.firewalls import FIREWALL, report_openings
from ..support.properties import DATA_PORTS, DATA_PORTS_SCHEMA, config_ports, world_sources


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == FIREWALL:
        ports = config_ports(args.get_config(), "dataPorts", DATA_PORTS)
        report_openings(args.props, ports, world_sources, "the whole internet", report)


POLICY = ResourceValidationPolicy(
    name="hetzner-firewall-disallow-public-data-ports",
    description="A Hetzner Cloud Firewall must never open a database, cache or Docker API port to the whole "
    "internet; apps reach them over Coolify's Docker network, operators through an SSH tunnel.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config_schema=DATA_PORTS_SCHEMA,
    validate=validate,
)
