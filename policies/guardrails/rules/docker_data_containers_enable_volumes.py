from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ..support.containers import CONTAINER, image_family
from ..support.properties import UNKNOWN, get, items

DATA_DIRECTORIES = {
    "postgres": ("/var/lib/postgresql/data", "/var/lib/postgresql", "/home/postgres/pgdata"),
    "redis": ("/data",),
}


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    family = image_family(args.props) if args.resource_type == CONTAINER else ""
    if not family:
        return
    wanted = DATA_DIRECTORIES[family]
    for _, volume in items(get(args.props, "volumes")):
        if volume is UNKNOWN:
            return  # not judged before it is known
        path = str(get(volume, "containerPath") or "").rstrip("/")
        source = get(volume, "volumeName") or get(volume, "hostPath")
        if path in wanted and source:
            return
    report(
        f"{args.name} keeps its {family} data in the container ({wanted[0]} is not on a named volume or host path); "
        "replacing the container would lose it.",
        None,
    )


POLICY = ResourceValidationPolicy(
    name="docker-data-containers-enable-volumes",
    description="PostgreSQL and Redis containers must keep their data on a named volume or host path that "
    "outlives the container.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    validate=validate,
)
