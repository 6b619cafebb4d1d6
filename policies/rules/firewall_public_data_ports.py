from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .hetzner_firewall import FIREWALL, describe, exposed_ports, inbound_rules
from .props import DATA_PORTS, DATA_PORTS_SCHEMA, config_ports, get, world_sources


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != FIREWALL:
        return
    ports = config_ports(args.get_config(), "dataPorts", DATA_PORTS)
    for index, rule in inbound_rules(args.props):
        exposed = exposed_ports(rule, ports)
        world = world_sources(get(rule, "sourceIps")) if exposed else []
        if world:
            report(f"{describe(index, rule, exposed, ports)} to the whole internet ({', '.join(world)}).", None)


POLICY = ResourceValidationPolicy(
    name="hetzner-firewall-disallow-public-data-ports",
    description="A Hetzner Cloud Firewall must never open a database, cache or Docker API port to the whole "
    "internet; apps reach them over Coolify's Docker network, operators through an SSH tunnel.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config_schema=DATA_PORTS_SCHEMA,
    validate=validate,
)
