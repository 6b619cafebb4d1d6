"""Reading pulumi-docker containers, shared by the container policies."""

from collections.abc import Mapping
from typing import Any

from .properties import get, image_name

CONTAINER = "docker:index/container:Container"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"

POSTGRES_IMAGES = frozenset({"postgres", "postgis", "timescaledb", "timescaledb-ha", "pgvector", "postgresql"})
REDIS_IMAGES = frozenset({"redis", "valkey", "keydb", "redis-stack-server", "redis-stack"})


def image_family(props: Mapping[str, Any]) -> str:
    """'postgres', 'redis' or '' for a container's image."""
    name = image_name(get(props, "image"))
    if name in POSTGRES_IMAGES:
        return "postgres"
    if name in REDIS_IMAGES:
        return "redis"
    return ""
