"""docker-data-containers-enable-volumes, through the pack: a compliant resource, then one change per case."""

import pytest

from preview.values import UNKNOWN
from tests.policies.conftest import Check, Resource
from tests.policies.guardrails.rules.containers import CONTAINER, postgres, redis


class TestDataVolumes:
    POLICY = "docker-data-containers-enable-volumes"

    @pytest.mark.parametrize(
        "resource",
        [
            postgres(),
            postgres(volumes=[{"hostPath": "/mnt/data/pg", "containerPath": "/var/lib/postgresql/data/"}]),
            postgres(
                image="timescale/timescaledb-ha:pg16.4-ts2.17.2",
                volumes=[{"volumeName": "pg", "containerPath": "/home/postgres/pgdata"}],
            ),
            redis(),
            Resource(CONTAINER, {"image": "nginx:1.27.2"}),
            postgres(volumes=[UNKNOWN]),
        ],
        ids=["postgres-named-volume", "postgres-host-path", "timescale-ha", "redis", "stateless-app", "unknown"],
    )  # fmt: skip
    def test_data_on_volumes_passes(self, check: Check, resource: Resource) -> None:
        assert check(self.POLICY, resource) == []

    @pytest.mark.parametrize(
        ("resource", "expected"),
        [
            (postgres(volumes=None), "postgres keeps its postgres data in the container (/var/lib/postgresql/data is "
             "not on a named volume or host path); replacing the container would lose it."),
            (postgres(volumes=[{"containerPath": "/var/lib/postgresql/data"}]), "postgres keeps its postgres data in "
             "the container (/var/lib/postgresql/data is not on a named volume or host path); replacing the "
             "container would lose it."),
            (redis(volumes=[{"volumeName": "x", "containerPath": "/srv"}]), "redis keeps its redis data in the "
             "container (/data is not on a named volume or host path); replacing the container would lose it."),
        ],
        ids=["no-volume", "anonymous-volume", "wrong-path"],
    )  # fmt: skip
    def test_data_in_the_container_is_refused(self, check: Check, resource: Resource, expected: str) -> None:
        assert check(self.POLICY, resource) == [expected]
