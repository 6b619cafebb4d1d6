from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ..support.addresses import public_sources
from ..support.firewalls import FIREWALL, report_openings
from ..support.ports import DATA_PORTS, DATA_PORTS_SCHEMA, config_ports


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == FIREWALL:
        ports = config_ports(args.get_config(), "dataPorts", DATA_PORTS)
        report_openings(
            args.props,
            ports,
            public_sources,
            "public networks",
            "reach it through an SSH tunnel or a private network",
            report,
        )


POLICY = ResourceValidationPolicy(
    name="hetzner-firewall-disallow-broad-data-port-sources",
    description="A Hetzner Cloud Firewall should not open a database, cache, broker or Docker API port to public "
    "networks at all; prefer an SSH tunnel or a private network.",
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    config_schema=DATA_PORTS_SCHEMA,
    validate=validate,
)
