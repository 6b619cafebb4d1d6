"""docker-data-containers-enable-volumes, through the pack: a compliant resource, then one change per case. The data
directory is where the image really keeps it: PGDATA when set, the Postgres 18 layout, TimescaleDB HA's own."""

import pytest

from preview.values import UNKNOWN
from tests.policies.conftest import Check, Resource
from tests.policies.guardrails.rules.containers import CONTAINER, STRONG, postgres, redis

POLICY = "docker-data-containers-enable-volumes"
LOST = "is not on a named volume or host path); replacing the container would lose it. Mount a volume there."


def volume(path: str) -> list[dict[str, str]]:
    return [{"volumeName": "data", "containerPath": path}]


def with_pgdata(pgdata: object, path: str = "/var/lib/postgresql/data") -> Resource:
    return postgres(envs=["POSTGRES_USER=app", f"POSTGRES_PASSWORD={STRONG}", pgdata], volumes=volume(path))


@pytest.mark.parametrize(
    "resource",
    [
        postgres(),
        postgres(volumes=[{"hostPath": "/mnt/data/pg", "containerPath": "/var/lib/postgresql/data/"}]),
        postgres(image="timescale/timescaledb-ha:pg16.4-ts2.17.2", volumes=volume("/home/postgres/pgdata")),
        postgres(image="postgres:18.1", volumes=volume("/var/lib/postgresql")),
        postgres(image="postgres:18.1-bookworm", volumes=volume("/var/lib/postgresql/18/docker")),
        with_pgdata("PGDATA=/var/lib/postgresql/data/pgdata"),
        with_pgdata(UNKNOWN),
        redis(),
        Resource(CONTAINER, {"image": "mongo:8.0.3", "volumes": volume("/data/db")}),
        Resource(CONTAINER, {"image": "mariadb:11.4.4", "volumes": volume("/var/lib/mysql")}),
        Resource(CONTAINER, {"image": "nginx:1.27.2"}),
        postgres(volumes=[UNKNOWN]),
    ],
    ids=["postgres-named-volume", "postgres-host-path", "timescale-ha", "postgres-18-parent", "postgres-18-layout",
         "pgdata-under-the-volume", "pgdata-unknown", "redis", "mongo", "mariadb", "stateless-app", "unknown"],
)  # fmt: skip
def test_data_on_volumes_passes(check_stack: Check, resource: Resource) -> None:
    assert check_stack(POLICY, resource) == []


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (postgres(volumes=None), f"postgres keeps its postgres data in the container (/var/lib/postgresql/data {LOST}"),
        (postgres(volumes=[{"containerPath": "/var/lib/postgresql/data"}]),
         f"postgres keeps its postgres data in the container (/var/lib/postgresql/data {LOST}"),
        (redis(volumes=volume("/srv")), f"redis keeps its redis data in the container (/data {LOST}"),
        (with_pgdata("PGDATA=/pgdata"), f"postgres keeps its postgres data in the container (PGDATA /pgdata {LOST}"),
        (postgres(image="postgres:18.1"),
         f"postgres keeps its postgres data in the container (/var/lib/postgresql/18/docker {LOST}"),
        (Resource(CONTAINER, {"image": "mongo:8.0.3"}, name="mongo"),
         f"mongo keeps its mongo data in the container (/data/db {LOST}"),
    ],
    ids=["no-volume", "anonymous-volume", "wrong-path", "pgdata-outside-the-volume",
         "postgres-18-volume-beside-its-data", "mongo"],
)  # fmt: skip
def test_data_in_the_container_is_refused(check_stack: Check, resource: Resource, expected: str) -> None:
    assert check_stack(POLICY, resource) == [expected]


def test_an_image_run_by_id_is_known_by_its_remote_image(check_stack: Check) -> None:
    pulled = Resource("docker:index/remoteImage:RemoteImage", {"name": "postgres:17.6"}, name="postgres-image")
    database = postgres(image="sha256:" + "12" * 32, volumes=None)
    database.property_dependencies = {"image": (pulled.urn,)}
    assert check_stack(POLICY, pulled, database) == [
        f"postgres keeps its postgres data in the container (/var/lib/postgresql/data {LOST}"
    ]


def test_mounts_count_like_volumes(check_stack: Check) -> None:
    mounted = postgres(volumes=None, mounts=[{"type": "volume", "source": "pg", "target": "/var/lib/postgresql/data"}])
    assert check_stack(POLICY, mounted) == []
    tmpfs = postgres(volumes=None, mounts=[{"type": "tmpfs", "target": "/var/lib/postgresql/data"}])
    assert check_stack(POLICY, tmpfs) == [
        f"postgres keeps its postgres data in the container (/var/lib/postgresql/data {LOST}"
    ]
