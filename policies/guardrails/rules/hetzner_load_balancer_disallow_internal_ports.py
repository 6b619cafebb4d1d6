from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ..support.ports import ADMIN_PORTS_SCHEMA, DATA_PORTS, DATA_PORTS_SCHEMA, admin_ports, config_ports
from ..support.properties import UNKNOWN, get

SERVICE = "hcloud:index/loadBalancerService:LoadBalancerService"
# A service listens on the load balancer's public addresses and forwards to its targets over the private network,
# where no cloud firewall filters; without ports it serves http or https on 80 and 443
# (hetznercloud/terraform-provider-hcloud@v1.68.0:docs/resources/load_balancer_service.md:88-89), neither internal.


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    # Coolify's own ports count where the stack installs it, as for the firewall: a stack policy.
    internal = {**admin_ports(config, args.resources), **config_ports(config, "dataPorts", DATA_PORTS)}
    for service in (resource for resource in args.resources if resource.resource_type == SERVICE):
        for key in ("listenPort", "destinationPort"):
            port = get(service.props, key)
            if port in (None, UNKNOWN) or int(port) not in internal:
                continue
            side = "listens on" if key == "listenPort" else "forwards the internet to"
            report(
                f"{key} {int(port)}: the load balancer {side} {internal[int(port)]}, from every address on the "
                "internet; serve only the apps' ports through it and reach the rest over SSH or a private network.",
                service.urn,
            )


POLICY = StackValidationPolicy(
    name="hetzner-load-balancer-disallow-internal-ports",
    description="A Hetzner load balancer is public: its services must not listen on, or forward to, a database, "
    "cache, broker, console or SSH port, nor Coolify's in a stack that installs it.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config_schema=PolicyConfigSchema(properties={**DATA_PORTS_SCHEMA.properties, **ADMIN_PORTS_SCHEMA.properties}),
    validate=validate,
)
