"""The `postgres`, `redis` and `docker` sections: the data services on the main server (components/data_services.py)."""

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from stack_config.base import ConfigModel
from stack_config.types import IdentityFile, PostgresImage, RedisImage, SqlIdentifier

# The image's bootstrap superuser, internal to the container (components/scripts/postgres-roles.sh): apps never log
# in as it.
POSTGRES_SUPERUSER = "postgres"


def _not_the_superuser(value: str) -> str:
    if value == POSTGRES_SUPERUSER:
        raise ValueError(
            "is the internal superuser; apps get a role of their own: allowed: any other plain SQL name, e.g. app"
        )
    return value


class PostgresSettings(ConfigModel):
    enabled: bool = Field(default=True, description="Run PostgreSQL on the server, on Coolify's network.")
    image: PostgresImage = Field(
        default="postgres:17.6-bookworm",
        description="Pinned image from Docker Hub: postgres, or timescale/timescaledb(-ha) (TimescaleDB), "
        "postgis/postgis, pgvector/pgvector; a release tag, optionally @sha256:<digest>.",
    )
    database: SqlIdentifier = Field(default="app", description="Database to create.")
    user: Annotated[SqlIdentifier, AfterValidator(_not_the_superuser)] = Field(
        default="app", description="Its owner, the role apps log in as (no superuser); password generated."
    )
    memory_mb: int = Field(default=1024, ge=256, le=262144, description="Memory limit of the container, MiB.")
    storage: Literal["docker-volume", "hetzner-volume"] = Field(
        default="docker-volume",
        description="Where the data lives: a named Docker volume on the server's disk, or a Hetzner Volume that "
        "survives the server.",
    )
    volume_size_gb: int = Field(default=20, ge=10, le=10240, description="Size of the Hetzner Volume, GB.")
    local_port: int | None = Field(
        default=None,
        ge=1024,
        le=65535,
        description="Publish on 127.0.0.1 of the server for SSH tunnels; off by default.",
    )


class RedisSettings(ConfigModel):
    enabled: bool = Field(default=True, description="Run Redis on the server, on Coolify's network.")
    image: RedisImage = Field(
        default="redis:7.4.6-bookworm", description="Pinned image from Docker Hub: redis or valkey/valkey."
    )
    memory_mb: int = Field(default=256, ge=64, le=65536, description="Memory limit of the container, MiB.")


class DockerSettings(ConfigModel):
    ssh_identity_file: IdentityFile | None = Field(
        default=None,
        description="Private key file the system ssh uses to reach the server's Docker; default: the SSH agent.",
    )
