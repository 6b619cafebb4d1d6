"""Containers must not publish data ports on public interfaces, through the pack: a compliant container, then one
change per case. A stack policy: a database run by image id is known through the RemoteImage it came from."""

from typing import Any

import pytest

from preview.values import UNKNOWN
from tests.policies.conftest import Check, Resource
from tests.policies.guardrails.rules.containers import CONTAINER

POLICY = "docker-container-disallow-published-data-ports"
ADVICE = "publish nothing (apps reach it over the Docker network) or bind it to 127.0.0.1 for SSH tunnels."
HOST_NETWORK = (
    "db runs postgres with network_mode 'host': it opens its ports on that network, the server's public addresses "
    "for 'host'; attach it to a Docker network of its own."
)


def container(*ports: dict[str, Any], image: str = "postgres:16.4", **changes: Any) -> Resource:
    props: dict[str, Any] = {"image": image, "name": "db", **changes}
    if ports:
        props["ports"] = list(ports)
    return Resource(CONTAINER, props, name="db")


@pytest.mark.parametrize(
    "ports",
    [
        (),
        ({"internal": 5432, "external": 5432, "ip": "127.0.0.1"},),
        ({"internal": 5432, "external": 15432, "ip": "::1"},),
        ({"internal": 5432, "ip": "127.0.0.2"},),
        ({"internal": 5432, "external": 5432, "ip": UNKNOWN},),
    ],
    ids=["nothing-published", "loopback-v4", "loopback-v6", "loopback-random-port", "unknown-ip"],
)
def test_compliant_containers_pass(check_stack: Check, ports: tuple[dict[str, Any], ...]) -> None:
    assert check_stack(POLICY, container(*ports)) == []


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        ({"internal": 5432, "external": 5432}, f"ports[0] publishes 5432 (PostgreSQL) on 0.0.0.0, 5432; {ADVICE}"),
        ({"internal": 5432}, f"ports[0] publishes 5432 (PostgreSQL) on 0.0.0.0, a random port; {ADVICE}"),
        ({"internal": 6379, "ip": "0.0.0.0"}, f"ports[0] publishes 6379 (Redis) on 0.0.0.0, a random port; {ADVICE}"),
        ({"internal": 6379, "external": 6379, "ip": "::"}, f"ports[0] publishes 6379 (Redis) on ::, 6379; {ADVICE}"),
        ({"internal": 80, "external": 3306}, f"ports[0] publishes 3306 (MySQL) on 0.0.0.0, 3306; {ADVICE}"),
        ({"internal": 5432, "external": 5432, "ip": "49.12.0.1"},
         f"ports[0] publishes 5432 (PostgreSQL) on 49.12.0.1, 5432; {ADVICE}"),
        ({"internal": 6000, "external": 6000}, f"ports[0] publishes 6000 (postgres) on 0.0.0.0, 6000; {ADVICE}"),
        ({"internal": 80, "external": 8080}, f"ports[0] publishes 80 (postgres) on 0.0.0.0, 8080; {ADVICE}"),
    ],
    ids=["default-ip", "missing-external", "any-ipv4", "any-ipv6", "external-data-port", "public-address",
         "database-on-another-port", "database-on-a-web-port"],
)  # fmt: skip
def test_published_data_ports_are_refused(check_stack: Check, port: dict[str, Any], expected: str) -> None:
    assert check_stack(POLICY, container(port)) == [f"db {expected}"]


@pytest.mark.parametrize(
    ("image", "port", "service"),
    [
        ("rabbitmq:3.13.7", 5672, "AMQP (RabbitMQ)"),
        ("bitnami/kafka:3.8.0", 9092, "Kafka"),
        ("minio/minio:RELEASE.2025-09-07T16-13-09Z", 9000, "MinIO S3 API (or ClickHouse native)"),
        ("opensearchproject/opensearch:2.17.1", 9200, "Elasticsearch / OpenSearch"),
        ("getmeili/meilisearch:v1.11.3", 7700, "Meilisearch"),
        ("qdrant/qdrant:v1.12.4", 6333, "Qdrant HTTP"),
        ("nats:2.10.22", 4222, "NATS"),
        ("bitnami/mongodb:8.0.3", 27017, "MongoDB"),
    ],
)
def test_the_catalog_covers_brokers_object_storage_search_and_vector_stores(
    check_stack: Check, image: str, port: int, service: str
) -> None:
    published = container({"internal": port, "external": port}, image=image)
    assert check_stack(POLICY, published) == [f"db ports[0] publishes {port} ({service}) on 0.0.0.0, {port}; {ADVICE}"]


def test_an_app_publishing_its_own_port_passes(check_stack: Check) -> None:
    assert check_stack(POLICY, container({"internal": 8080, "external": 80}, image="nginx:1.27.2")) == []


def test_a_database_on_the_host_network_is_refused(check_stack: Check) -> None:
    assert check_stack(POLICY, container(networkMode="host")) == [HOST_NETWORK]
    assert check_stack(POLICY, container(networkMode="bridge")) == []
    assert check_stack(POLICY, container(networkMode="container:sidecar")) == [
        HOST_NETWORK.replace("'host':", "'container:sidecar':")
    ]
    assert check_stack(POLICY, container(image="nginx:1.27.2", networkMode="host")) == []


def test_a_database_run_by_image_id_is_known(check_stack: Check) -> None:
    pulled = Resource("docker:index/remoteImage:RemoteImage", {"name": "postgres:17.6"}, name="postgres-image")
    database = container({"internal": 5432, "external": 15432}, image="sha256:" + "ef" * 32, networkMode="host")
    database.property_dependencies = {"image": (pulled.urn,)}
    assert check_stack(POLICY, pulled, database) == [
        HOST_NETWORK,
        f"db ports[0] publishes 5432 (PostgreSQL) on 0.0.0.0, 15432; {ADVICE}",
    ]


def test_the_data_ports_are_configurable(check_stack: Check) -> None:
    app = container({"internal": 7000, "external": 7000}, image="app:1.0")
    assert check_stack(POLICY, app) == []
    assert check_stack(POLICY, app, config={"dataPorts": [7000]}) == [
        f"db ports[0] publishes 7000 (port 7000) on 0.0.0.0, 7000; {ADVICE}"
    ]


def test_each_published_port_is_reported(check_stack: Check) -> None:
    found = check_stack(
        POLICY, container({"internal": 8080}, {"internal": 5432}, {"internal": 6379, "ip": "127.0.0.1"}, image="x:1")
    )
    assert [line.split(" publishes")[0] for line in found] == ["db ports[1]"]
