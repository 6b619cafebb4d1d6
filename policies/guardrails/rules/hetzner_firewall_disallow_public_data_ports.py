from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ..support.addresses import broad_sources
from ..support.firewalls import FIREWALL, report_openings
from ..support.ports import DATA_PORTS, DATA_PORTS_SCHEMA, config_ports


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == FIREWALL:
        ports = config_ports(args.get_config(), "dataPorts", DATA_PORTS)
        report_openings(
            args.props,
            ports,
            broad_sources,
            "the whole internet or a large part of it",
            "apps reach it over the Docker network, operators through an SSH tunnel",
            report,
        )


POLICY = ResourceValidationPolicy(
    name="hetzner-firewall-disallow-public-data-ports",
    description="A Hetzner Cloud Firewall must never open a database, cache, broker or Docker API port to the "
    "internet; apps reach them over Coolify's Docker network, operators through an SSH tunnel.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config_schema=DATA_PORTS_SCHEMA,
    validate=validate,
)
