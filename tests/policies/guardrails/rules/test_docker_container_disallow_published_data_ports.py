"""Containers must not publish data ports on public interfaces."""

from typing import Any

import pytest

from preview.values import UNKNOWN
from tests.policies.conftest import Check, Resource

POLICY = "docker-container-disallow-published-data-ports"


def container(*ports: dict[str, Any]) -> Resource:
    props: dict[str, Any] = {"image": "postgres:16.4", "name": "db"}
    if ports:
        props["ports"] = list(ports)
    return Resource("docker:index/container:Container", props, name="db")


@pytest.mark.parametrize(
    "ports",
    [
        (),
        ({"internal": 5432, "external": 5432, "ip": "127.0.0.1"},),
        ({"internal": 5432, "external": 15432, "ip": "::1"},),
        ({"internal": 5432, "ip": "127.0.0.2"},),
        ({"internal": 8080, "external": 80},),
        ({"internal": 5432, "external": 5432, "ip": UNKNOWN},),
    ],
    ids=["nothing-published", "loopback-v4", "loopback-v6", "loopback-random-port", "not-a-data-port", "unknown-ip"],
)
def test_compliant_containers_pass(check: Check, ports: tuple[dict[str, Any], ...]) -> None:
    assert check(POLICY, container(*ports)) == []


ADVICE = "publish nothing (apps reach it over the Docker network) or bind it to 127.0.0.1 for SSH tunnels."


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        ({"internal": 5432, "external": 5432}, f"ports[0] publishes 5432 (PostgreSQL) on 0.0.0.0, 5432; {ADVICE}"),
        ({"internal": 5432}, f"ports[0] publishes 5432 (PostgreSQL) on 0.0.0.0, a random port; {ADVICE}"),
        ({"internal": 6379, "ip": "0.0.0.0"}, f"ports[0] publishes 6379 (Redis) on 0.0.0.0, a random port; {ADVICE}"),
        ({"internal": 6379, "external": 6379, "ip": "::"}, f"ports[0] publishes 6379 (Redis) on ::, 6379; {ADVICE}"),
        ({"internal": 80, "external": 3306}, f"ports[0] publishes 3306 (MySQL) on 0.0.0.0, 3306; {ADVICE}"),
        (
            {"internal": 5432, "external": 5432, "ip": "49.12.0.1"},
            f"ports[0] publishes 5432 (PostgreSQL) on 49.12.0.1, 5432; {ADVICE}",
        ),
    ],
    ids=["default-ip", "missing-external", "any-ipv4", "any-ipv6", "external-data-port", "public-address"],
)
def test_published_data_ports_are_refused(check: Check, port: dict[str, Any], expected: str) -> None:
    assert check(POLICY, container(port)) == [expected]


def test_each_published_port_is_reported(check: Check) -> None:
    found = check(POLICY, container({"internal": 8080}, {"internal": 5432}, {"internal": 6379, "ip": "127.0.0.1"}))
    assert [line.split(" publishes")[0] for line in found] == ["ports[1]"]
