from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .hetzner_firewall import FIREWALL, describe, exposed_ports, inbound_rules
from .props import DATA_PORTS, DATA_PORTS_SCHEMA, config_ports, get, public_sources


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != FIREWALL:
        return
    ports = config_ports(args.get_config(), "dataPorts", DATA_PORTS)
    for index, rule in inbound_rules(args.props):
        exposed = exposed_ports(rule, ports)
        public = public_sources(get(rule, "sourceIps")) if exposed else []
        if public:
            report(f"{describe(index, rule, exposed, ports)} to public networks ({', '.join(public)}).", None)


POLICY = ResourceValidationPolicy(
    name="hetzner-firewall-disallow-broad-data-port-sources",
    description="A Hetzner Cloud Firewall should not open a database, cache or Docker API port to public networks "
    "at all; prefer an SSH tunnel or a private network.",
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    config_schema=DATA_PORTS_SCHEMA,
    validate=validate,
)
