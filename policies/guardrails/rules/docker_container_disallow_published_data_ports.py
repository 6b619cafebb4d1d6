from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs, StackValidationPolicy

from ..support.containers import DATA_FAMILIES, containers
from ..support.ports import DATA_PORTS, DATA_PORTS_SCHEMA, config_ports
from ..support.properties import UNKNOWN, get, is_loopback, items


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    data_ports = config_ports(args.get_config(), "dataPorts", DATA_PORTS)
    for container, image in containers(args.resources):
        # A database answers on whatever port it is told to: every port of one is its data port.
        data_service = image.family in DATA_FAMILIES
        network_mode = str(get(container.props, "networkMode") or "")
        # 'container:<name>' shares that container's network, and with it whatever it publishes.
        if data_service and (network_mode == "host" or network_mode.startswith("container:")):
            report(
                f"{container.name} runs {image.family} with network_mode '{network_mode}': it opens its ports on "
                "that network, the server's public addresses for 'host'; attach it to a Docker network of its own.",
                container.urn,
            )
        for index, port in items(get(container.props, "ports")):
            if port is UNKNOWN:
                continue
            internal, external = get(port, "internal"), get(port, "external")
            numbers = [int(number) for number in (internal, external) if number not in (None, UNKNOWN)]
            hit = next((number for number in numbers if number in data_ports), None)
            if hit is None and not (data_service and numbers):
                continue
            # Provider defaults: no ip publishes on every interface, no external on a random host port.
            ip = get(port, "ip") or "0.0.0.0"
            if ip is UNKNOWN or is_loopback(ip):
                continue
            what = f"{hit} ({data_ports[hit]})" if hit is not None else f"{numbers[0]} ({image.family})"
            host_port = "a random port" if external is None else str(int(external))
            report(
                f"{container.name} ports[{index}] publishes {what} on {ip}, {host_port}; publish nothing (apps reach "
                "it over the Docker network) or bind it to 127.0.0.1 for SSH tunnels.",
                container.urn,
            )


POLICY = StackValidationPolicy(
    name="docker-container-disallow-published-data-ports",
    description="A container must not publish a database, cache, broker or Docker API port on a public interface "
    "(nor run a database on the host's network); Docker-published ports bypass the host firewall.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config_schema=DATA_PORTS_SCHEMA,
    validate=validate,
)
