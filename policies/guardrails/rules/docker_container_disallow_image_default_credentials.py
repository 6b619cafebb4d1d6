from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, Severity, StackValidationArgs, StackValidationPolicy

from ..support.containers import containers, env_map, has_unknown_envs
from ..support.properties import UNKNOWN, get, items


@dataclass(frozen=True)
class Default:
    """What an image does with its credentials when the program says nothing, and where it says so."""

    problem: Callable[[Mapping[str, Any], list[str]], str | None]
    source: str


def _unset(*names: str, then: str) -> Callable[[Mapping[str, Any], list[str]], str | None]:
    def problem(envs: Mapping[str, Any], _: list[str]) -> str | None:
        return None if any(envs.get(name) for name in names) else f"sets no {names[0]}, so {then}"

    return problem


def _equals(name: str, value: str, then: str) -> Callable[[Mapping[str, Any], list[str]], str | None]:
    def problem(envs: Mapping[str, Any], _: list[str]) -> str | None:
        return f"sets {name}={envs[name]}, so {then}" if str(envs.get(name) or "").strip().lower() == value else None

    return problem


def _empty_root(allow: str, *passwords: str) -> Callable[[Mapping[str, Any], list[str]], str | None]:
    """The image accepts any value of `allow`, but reads it only to start without a password: a given root password
    is set all the same (docker-library/mysql@06118821c80d79b251254736b06670828b63b6aa:8.4/docker-entrypoint.sh,
    docker_verify_minimum_env and docker_setup_db)."""

    def problem(envs: Mapping[str, Any], _: list[str]) -> str | None:
        given = any(envs.get(name) or envs.get(f"{name}_FILE") for name in passwords)
        return (
            None if given or not envs.get(allow) else f"sets {allow}={envs[allow]}, so root logs in without a password"
        )

    return problem


def _mongo(envs: Mapping[str, Any], command: list[str]) -> str | None:
    if envs.get("MONGO_INITDB_ROOT_PASSWORD") or envs.get("MONGO_INITDB_ROOT_PASSWORD_FILE") or "--auth" in command:
        return None
    return "sets no MONGO_INITDB_ROOT_PASSWORD, so mongod starts without authentication: any client is admin"


DEFAULTS: dict[str, list[Default]] = {
    "rabbitmq": [Default(_unset("RABBITMQ_DEFAULT_PASS", "RABBITMQ_DEFAULT_PASS_FILE",
                                then="the image's user guest/guest logs in from anywhere"),
                         "https://hub.docker.com/_/rabbitmq (Setting default user and password)")],
    "minio": [Default(_unset("MINIO_ROOT_PASSWORD", "MINIO_ROOT_PASSWORD_FILE", "MINIO_SECRET_KEY",
                             then="the root login is minioadmin/minioadmin"),
                      "https://min.io/docs/minio/linux/reference/minio-server/settings/root-credentials.html")],
    "grafana": [Default(_unset("GF_SECURITY_ADMIN_PASSWORD", "GF_SECURITY_ADMIN_PASSWORD__FILE",
                               then="the admin login is admin/admin"),
                        "https://grafana.com/docs/grafana/latest/setup-grafana/configure-grafana/#admin_password")],
    "mongo": [Default(_mongo, "https://hub.docker.com/_/mongo (MONGO_INITDB_ROOT_PASSWORD)")],
    "mysql": [Default(_empty_root("MYSQL_ALLOW_EMPTY_PASSWORD", "MYSQL_ROOT_PASSWORD", "MYSQL_RANDOM_ROOT_PASSWORD"),
                      "https://hub.docker.com/_/mysql (MYSQL_ALLOW_EMPTY_PASSWORD)"),
              Default(_empty_root("MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", "MARIADB_ROOT_PASSWORD",
                                  "MARIADB_RANDOM_ROOT_PASSWORD", "MYSQL_ROOT_PASSWORD"),
                      "https://hub.docker.com/_/mariadb (MARIADB_ALLOW_EMPTY_ROOT_PASSWORD)")],
    "postgres": [Default(_equals("POSTGRES_HOST_AUTH_METHOD", "trust", "password authentication is off"),
                         "https://hub.docker.com/_/postgres (POSTGRES_HOST_AUTH_METHOD)")],
}  # fmt: skip


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    for container, image in containers(args.resources):
        # A variable generated at deploy time is unknown in a preview: it may be the one that is missing.
        if image.family not in DEFAULTS or has_unknown_envs(container.props):
            continue
        envs = env_map(container.props)
        command = [str(item) for _, item in items(get(container.props, "command")) if item is not UNKNOWN]
        for default in DEFAULTS[image.family]:
            problem = default.problem(envs, command)
            if problem:
                report(
                    f"{container.name} ({image.reference}) {problem} ({default.source}); set a generated secret.",
                    container.urn,
                )


POLICY = StackValidationPolicy(
    name="docker-container-disallow-image-default-credentials",
    description="Containers must not run with the credentials their image falls back on (RabbitMQ's guest/guest, "
    "MinIO's minioadmin, Grafana's admin/admin) or with authentication off (MongoDB without a root user, MySQL's "
    "empty root password, Postgres' trust).",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    validate=validate,
)
