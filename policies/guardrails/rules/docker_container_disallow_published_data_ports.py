from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ..support.containers import CONTAINER
from ..support.properties import DATA_PORTS, DATA_PORTS_SCHEMA, UNKNOWN, config_ports, get, is_loopback, items


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    data_ports = config_ports(args.get_config(), "dataPorts", DATA_PORTS)
    for index, port in items(get(args.props, "ports")):
        if port is UNKNOWN:
            continue
        internal, external = get(port, "internal"), get(port, "external")
        numbers = [int(number) for number in (internal, external) if number not in (None, UNKNOWN)]
        hit = next((number for number in numbers if number in data_ports), None)
        if hit is None:
            continue
        # Provider defaults: no ip publishes on every interface, no external on a random host port.
        ip = get(port, "ip") or "0.0.0.0"
        if ip is UNKNOWN or is_loopback(ip):
            continue
        host_port = "a random port" if external is None else str(int(external))
        report(
            f"ports[{index}] publishes {hit} ({data_ports[hit]}) on {ip}, {host_port}; publish nothing (apps reach it "
            "over the Docker network) or bind it to 127.0.0.1 for SSH tunnels.",
            None,
        )


POLICY = ResourceValidationPolicy(
    name="docker-container-disallow-published-data-ports",
    description="A container must not publish a database, cache or Docker API port on a public interface; "
    "Docker-published ports bypass the host firewall.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config_schema=DATA_PORTS_SCHEMA,
    validate=validate,
)
