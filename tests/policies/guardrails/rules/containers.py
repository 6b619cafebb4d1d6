"""A compliant Postgres and Redis container for the container policies' tests."""

from typing import Any

from tests.policies.conftest import Resource

STRONG = "K8vR2mQ9xL4pT7wZ3nB6yH1jF5dG0sCa"


CONTAINER = "docker:index/container:Container"


def postgres(**changes: Any) -> Resource:
    props: dict[str, Any] = {
        "image": "postgres:16.4",
        "envs": ["POSTGRES_USER=app", f"POSTGRES_PASSWORD={STRONG}"],
        "volumes": [{"volumeName": "pgdata", "containerPath": "/var/lib/postgresql/data"}],
    }
    props.update(changes)
    return Resource(CONTAINER, props, name="postgres", additional_secret_outputs=("envs",))


def redis(**changes: Any) -> Resource:
    props: dict[str, Any] = {
        "image": "redis:7.4.1",
        "command": ["redis-server", "--appendonly", "yes", "--requirepass", STRONG],
        "volumes": [{"volumeName": "redisdata", "containerPath": "/data"}],
    }
    props.update(changes)
    return Resource(CONTAINER, props, name="redis", additional_secret_outputs=("command",))
