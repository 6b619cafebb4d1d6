from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ..support.properties import UNKNOWN, get

DOCKER_PROVIDER = "pulumi:providers:docker"


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != DOCKER_PROVIDER:
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
    description="The Docker provider must reach the server's daemon over SSH; a Docker API on a TCP port is root "
    "access for whoever reaches it.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    validate=validate,
)
