"""The `postgres` and `redis` sections: what is refused, in one line that names the key."""

from typing import Any

from tests.stack_config.conftest import bad_values, problems

BAD_VALUES: list[tuple[str, dict[str, Any], str]] = [
    ("staging", {"postgres": {"image": "postgres:latest"}},
     "hetzner-coolify:postgres.image: 'postgres:latest' is not pinned; name a version tag (e.g. :17.6-bookworm) "
     "or a digest"),
    ("staging", {"postgres": {"image": "mysql:8.4"}},
     "hetzner-coolify:postgres.image: 'mysql:8.4' is not an image of pgvector, postgis, postgres, timescaledb, "
     "timescaledb-ha"),
    ("staging", {"postgres": {"database": "App-DB"}},
     "hetzner-coolify:postgres.database: 'App-DB' is not a plain SQL name; allowed: 1-63 of a-z, 0-9 and '_', "
     "starting with a letter"),
    ("staging", {"postgres": {"localPort": 80}},
     "hetzner-coolify:postgres.localPort: 80 is invalid; input should be greater than or equal to 1024"),
    ("staging", {"postgres": {"storage": "nfs"}},
     "hetzner-coolify:postgres.storage: 'nfs' is invalid; input should be 'docker-volume' or 'hetzner-volume'"),
    ("staging", {"redis": {"image": "redis"}},
     "hetzner-coolify:redis.image: 'redis' is not pinned; name a version tag (e.g. :17.6-bookworm) or a digest"),
]  # fmt: skip


@bad_values(BAD_VALUES)
def test_bad_value_gives_one_line_naming_the_key(stack: str, changes: dict[str, Any], expected: str) -> None:
    assert problems(stack, changes) == [expected]
