from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ..support.properties import UNKNOWN, get

# pulumi-docker's provider and docker-build's: both talk to a Docker daemon at `host`.
DOCKER_PROVIDERS = ("pulumi:providers:docker", "pulumi:providers:docker-build")


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in DOCKER_PROVIDERS:
        return
    host = get(args.props, "host")
    if host is UNKNOWN or str(host or "").lower().startswith("ssh://"):
        return
    target = f"host '{host}'" if host else "no host (the Docker daemon of whatever machine runs pulumi)"
    report(
        f"{target} is not reached over ssh://; use ssh://root@<server> so the Docker API never listens on a port.", None
    )


POLICY = ResourceValidationPolicy(
    name="docker-provider-disallow-plain-tcp",
    description="Docker providers (pulumi-docker, docker-build) must reach the server's daemon over SSH; a Docker "
    "API on a TCP port is root access for whoever reaches it.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    validate=validate,
)
