from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from .hetzner_firewall import FIREWALL, describe, exposed_ports, inbound_rules
from .props import config_ports, get, world_sources

ADMIN_PORTS = {22: "SSH", 8000: "Coolify dashboard", 6001: "Coolify realtime", 6002: "Coolify terminal"}


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != FIREWALL:
        return
    ports = config_ports(args.get_config(), "adminPorts", ADMIN_PORTS)
    names = {port: ADMIN_PORTS.get(port, name) for port, name in ports.items()}
    for index, rule in inbound_rules(args.props):
        exposed = exposed_ports(rule, names)
        world = world_sources(get(rule, "sourceIps")) if exposed else []
        if world:
            report(f"{describe(index, rule, exposed, names)} to the whole internet ({', '.join(world)}).", None)


POLICY = ResourceValidationPolicy(
    name="hetzner-firewall-disallow-public-admin-ports",
    description="SSH and Coolify's direct ports (dashboard, realtime, terminal) should be reachable from the admin "
    "networks only, never from the whole internet.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "adminPorts": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 65535},
                "default": sorted(ADMIN_PORTS),
                "description": "Ports only administrators need.",
            }
        }
    ),
    validate=validate,
)
