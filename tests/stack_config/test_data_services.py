"""The `postgres` and `redis` sections: what is refused, in one line that names the key."""

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from policies.guardrails.rules.docker_image_disallow_unpinned_tags import FLOATING_TAGS, image_problem
from stack_config.types import FLOATING_WORDS, PostgresImage, RedisImage
from stack_config.types import POSTGRES_IMAGES as POSTGRES_REPOSITORIES
from tests.stack_config.conftest import bad_values, problems

POSTGRES_IMAGES = (
    "allowed: postgres, timescale/timescaledb, timescale/timescaledb-ha, postgis/postgis, pgvector/pgvector from "
    "Docker Hub with a release tag, e.g. postgres:17.6-bookworm, optionally followed by @sha256:<digest>"
)
REDIS_IMAGES = (
    "allowed: redis, valkey/valkey from Docker Hub with a release tag, e.g. redis:7.4.6-bookworm, optionally "
    "followed by @sha256:<digest>"
)

BAD_VALUES: list[tuple[str, dict[str, Any], str]] = [
    ("staging", {"postgres": {"image": "postgres:latest"}},
     "hetzner-coolify:postgres.image: 'postgres:latest' is not pinned: its tag names no release (major.minor at "
     "least); " + POSTGRES_IMAGES),
    ("staging", {"postgres": {"image": "mysql:8.4"}},
     "hetzner-coolify:postgres.image: 'mysql:8.4' is not an allowed image; " + POSTGRES_IMAGES),
    ("staging", {"postgres": {"database": "App-DB"}},
     "hetzner-coolify:postgres.database: 'App-DB' is not a plain SQL name; allowed: 1-63 of a-z, 0-9 and '_', "
     "starting with a letter"),
    ("staging", {"postgres": {"user": "postgres"}},
     "hetzner-coolify:postgres.user: 'postgres' is the internal superuser; apps get a role of their own: allowed: "
     "any other plain SQL name, e.g. app"),
    ("staging", {"postgres": {"localPort": 80}},
     "hetzner-coolify:postgres.localPort: 80 is out of range; allowed: 1024-65535 (publish on 127.0.0.1 of the "
     "server for SSH tunnels; off by default)"),
    ("staging", {"postgres": {"storage": "nfs"}},
     "hetzner-coolify:postgres.storage: 'nfs' is not one of the choices; allowed: docker-volume, hetzner-volume"),
    ("staging", {"redis": {"image": "redis"}},
     "hetzner-coolify:redis.image: 'redis' is not pinned: it names no release; " + REDIS_IMAGES),
]  # fmt: skip


@bad_values(BAD_VALUES)
def test_bad_value_gives_one_line_naming_the_key(stack: str, changes: dict[str, Any], expected: str) -> None:
    assert problems(stack, changes) == [expected]


TAGS = ["17.6-bookworm", "17.6", "17.6.1-alpine3.22", "2.17.2-pg17", "pg17.2-ts2.17.2", "17-3.5", "0.8.0-pg17",
        "7.4.6-bookworm", "8.0.2", "17", "17-bookworm", "pg18", "alpine", "latest", "17.6-latest", "lts-17.6",
        "v17", "alpine3.19", "edge-1.2"]  # fmt: skip


@pytest.mark.parametrize("tag", TAGS)
def test_no_image_this_configuration_accepts_is_refused_by_the_policy(tag: str) -> None:
    """The configuration is at least as strict as docker-image-disallow-unpinned-tags."""
    for name in ("postgres", "redis", "timescale/timescaledb", "valkey/valkey"):
        image = f"{name}:{tag}"
        adapter = TypeAdapter(PostgresImage if name in POSTGRES_REPOSITORIES else RedisImage)
        try:
            adapter.validate_python(image)
        except ValidationError:
            continue
        assert image_problem(image, FLOATING_TAGS) is None, image


@pytest.mark.parametrize(
    "image",
    ["postgres:17.6-bookworm", "docker.io/library/postgres:17.6", "library/postgres:17.6",
     "timescale/timescaledb-ha:pg17.2-ts2.17.2", "postgis/postgis:17-3.5", "pgvector/pgvector:0.8.0-pg17",
     f"postgres:17.6-bookworm@sha256:{'a' * 64}"],
)  # fmt: skip
def test_pinned_images_from_docker_hub_are_accepted(image: str) -> None:
    assert TypeAdapter(PostgresImage).validate_python(image) == image


@pytest.mark.parametrize(
    ("image", "problem"),
    [("registry.example/postgres:17.6", "is not an allowed image"),
     ("docker.io/evil/postgres:17.6", "is not an allowed image"),
     ("postgres@sha256:" + "a" * 64, "is not pinned: it names no release"),
     ("postgres:17.6@sha256:abc", "has a digest that is not sha256:<64 hex digits>"),
     ("postgres:17", "is not pinned: its tag names no release (major.minor at least)"),
     ("postgres:17.6-latest", "is not pinned: its tag names no release (major.minor at least)"),
     ("postgres:" + "1.2" * 50, "is not pinned: its tag names no release (major.minor at least)")],
    ids=["other-registry", "other-namespace", "digest-only", "short-digest", "major-only", "floating-word",
         "oversized-tag"],
)  # fmt: skip
def test_unpinned_or_foreign_images_are_refused(image: str, problem: str) -> None:
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(PostgresImage).validate_python(image)
    assert str(refused.value.errors()[0]["ctx"]["error"]).startswith(f"{problem}; allowed: postgres, ")


def test_the_floating_tags_are_the_policys() -> None:
    assert frozenset(FLOATING_TAGS) == FLOATING_WORDS
