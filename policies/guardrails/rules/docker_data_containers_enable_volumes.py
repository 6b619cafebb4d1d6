import re

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ..support.containers import Image, containers, env_map
from ..support.properties import UNKNOWN, get, items

# Where each image keeps its data unless told otherwise. From 18 on, the official Postgres image keeps it in
# /var/lib/postgresql/<major>/docker (docker-library/postgres 18/bookworm/Dockerfile:191-192).
DATA_DIRECTORIES = {
    "redis": "/data",
    "mongo": "/data/db",
    "mysql": "/var/lib/mysql",
}
POSTGRES_BEFORE_18 = "/var/lib/postgresql/data"
TIMESCALEDB_HA = "/home/postgres/pgdata/data"
_MAJOR = re.compile(r"^(?:pg)?(\d+)")


def postgres_data_directory(image: Image, envs: dict[str, object]) -> str | None:
    """Where Postgres keeps its data in this container; None when it cannot be known yet."""
    pgdata = envs.get("PGDATA")
    if pgdata is UNKNOWN:
        return None
    if pgdata:
        return str(pgdata).rstrip("/")
    if image.name == "timescaledb-ha":
        return TIMESCALEDB_HA
    tag = image.reference.split("@", 1)[0].rsplit("/", 1)[-1].partition(":")[2]
    major = _MAJOR.match(tag)
    if major is None:
        return None
    return POSTGRES_BEFORE_18 if int(major[1]) < 18 else f"/var/lib/postgresql/{major[1]}/docker"


def mounted_paths(container: PolicyResource) -> list[str] | None:
    """The container paths of its named volumes and host paths; None when a volume is not known yet."""
    paths = []
    for _, volume in items(get(container.props, "volumes")):
        if volume is UNKNOWN:
            return None
        source = get(volume, "volumeName") or get(volume, "hostPath")
        if source:
            paths.append(str(get(volume, "containerPath") or "").rstrip("/") or "/")
    # `mounts` says the same with type volume or bind, source and target.
    for _, mount in items(get(container.props, "mounts")):
        if mount is UNKNOWN:
            return None
        if get(mount, "type") in ("volume", "bind") and get(mount, "source"):
            paths.append(str(get(mount, "target") or "").rstrip("/") or "/")
    return paths


def _under(directory: str, mount: str) -> bool:
    return mount in ("/", directory) or directory.startswith(f"{mount}/")


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    for container, image in containers(args.resources):
        envs = env_map(container.props)
        if image.family == "postgres":
            directory = postgres_data_directory(image, envs)
            candidates = [directory] if directory else [POSTGRES_BEFORE_18, "/var/lib/postgresql"]
        elif image.family in DATA_DIRECTORIES:
            candidates = [DATA_DIRECTORIES[image.family]]
        else:
            continue
        mounts = mounted_paths(container)
        if mounts is None or any(_under(path, mount) for path in candidates for mount in mounts):
            continue
        where = f"PGDATA {candidates[0]}" if image.family == "postgres" and envs.get("PGDATA") else candidates[0]
        report(
            f"{container.name} keeps its {image.family} data in the container ({where} is not on a named volume or "
            "host path); replacing the container would lose it. Mount a volume there.",
            container.urn,
        )


POLICY = StackValidationPolicy(
    name="docker-data-containers-enable-volumes",
    description="PostgreSQL, Redis, MongoDB and MySQL containers must keep their data (PGDATA where it is set) on a "
    "named volume or host path that outlives the container.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    validate=validate,
)
