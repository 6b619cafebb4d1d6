"""hetzner-load-balancer-disallow-internal-ports, through the pack: a load balancer service serves the internet, so
neither the port it listens on nor the port it forwards to may be a data or admin port (Coolify's too, in a stack that
installs it: a stack policy); both lists are configurable."""

from typing import Any

import pytest

from preview.values import UNKNOWN
from tests.policies.conftest import Check, Resource

POLICY = "hetzner-load-balancer-disallow-internal-ports"
SERVICE = "hcloud:index/loadBalancerService:LoadBalancerService"


def lb_service(**changes: Any) -> Resource:
    """An https service in front of an app on 3000; `None` drops a property."""
    props: dict[str, Any] = {"loadBalancerId": "1", "protocol": "https", "listenPort": 443, "destinationPort": 3000}
    props.update(changes)
    return Resource(SERVICE, {key: value for key, value in props.items() if value is not None}, name="web")


def internal(key: str, port: int, service: str) -> str:
    side = "listens on" if key == "listenPort" else "forwards the internet to"
    return (
        f"{key} {port}: the load balancer {side} {service}, from every address on the internet; serve only the apps' "
        "ports through it and reach the rest over SSH or a private network."
    )


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"protocol": "http", "listenPort": 80, "destinationPort": 8080},
        {"protocol": "http", "listenPort": None, "destinationPort": None},
        {"protocol": "tcp", "listenPort": 8443, "destinationPort": 443},
        {"destinationPort": UNKNOWN},
        {"listenPort": UNKNOWN, "destinationPort": UNKNOWN},
    ],
    ids=["https-to-app", "http-to-app", "protocol-defaults", "tcp-app-port", "unknown-destination", "unknown-ports"],
)
def test_app_ports_pass(check_stack: Check, changes: dict[str, Any]) -> None:
    assert check_stack(POLICY, lb_service(**changes)) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"protocol": "tcp", "listenPort": 5432}, internal("listenPort", 5432, "PostgreSQL")),
        ({"protocol": "tcp", "listenPort": 443, "destinationPort": 6379}, internal("destinationPort", 6379, "Redis")),
        ({"protocol": "tcp", "listenPort": 22, "destinationPort": 2222}, internal("listenPort", 22, "SSH")),
        ({"protocol": "tcp", "listenPort": 2222, "destinationPort": 22}, internal("destinationPort", 22, "SSH")),
        ({"protocol": "http", "listenPort": 15672}, internal("listenPort", 15672, "RabbitMQ management")),
        ({"protocol": "tcp", "listenPort": 2375}, internal("listenPort", 2375, "Docker API")),
        # The engine sends numbers as floats; 27017.0 is MongoDB's port all the same.
        ({"protocol": "tcp", "listenPort": 27017.0}, internal("listenPort", 27017, "MongoDB")),
    ],
    ids=["listen-postgres", "forward-redis", "listen-ssh", "forward-ssh", "rabbitmq-console", "docker-api",
         "float-port"],
)  # fmt: skip
def test_an_internal_port_on_either_side_is_refused(check_stack: Check, changes: dict[str, Any], expected: str) -> None:
    assert check_stack(POLICY, lb_service(**changes)) == [expected]


def test_internal_ports_on_both_sides_are_each_named(check_stack: Check) -> None:
    assert check_stack(POLICY, lb_service(protocol="tcp", listenPort=5432, destinationPort=3306)) == [
        internal("listenPort", 5432, "PostgreSQL"),
        internal("destinationPort", 3306, "MySQL"),
    ]


def test_data_ports_are_configurable(check_stack: Check) -> None:
    # The configured list replaces the default one: 5433 becomes a data port and 5432 stops being one.
    config = {"dataPorts": [5433]}
    assert check_stack(POLICY, lb_service(protocol="tcp", listenPort=5433), config=config) == [
        internal("listenPort", 5433, "port 5433")
    ]
    assert check_stack(POLICY, lb_service(protocol="tcp", listenPort=5432), config=config) == []
    # The admin ports keep their default list.
    assert check_stack(POLICY, lb_service(protocol="tcp", listenPort=22), config=config) == [
        internal("listenPort", 22, "SSH")
    ]


def test_admin_ports_are_configurable(check_stack: Check) -> None:
    config = {"adminPorts": [2222]}
    assert check_stack(POLICY, lb_service(protocol="tcp", listenPort=2222, destinationPort=22), config=config) == [
        internal("listenPort", 2222, "port 2222")
    ]


def test_configured_ports_keep_their_service_names(check_stack: Check) -> None:
    # A known port in a custom list is still named by its service, not by its number.
    assert check_stack(POLICY, lb_service(protocol="tcp", listenPort=6379), config={"dataPorts": [6379, 5433]}) == [
        internal("listenPort", 6379, "Redis")
    ]


def test_other_resources_are_not_load_balancer_services(check_stack: Check) -> None:
    # Only a service forwards ports; the same property names elsewhere are not read.
    other = Resource("hcloud:index/loadBalancerTarget:LoadBalancerTarget", {"listenPort": 5432}, name="target")
    assert check_stack(POLICY, other) == []


def test_coolify_ports_are_internal_where_coolify_is_installed(check_stack: Check) -> None:
    dashboard = lb_service(protocol="tcp", listenPort=8000, destinationPort=8000)
    assert check_stack(POLICY, dashboard) == []
    install = Resource("command:remote:Command", {"create": "bash install-coolify.sh"}, name="install-coolify")
    assert check_stack(POLICY, dashboard, install) == [
        internal("listenPort", 8000, "Coolify dashboard"),
        internal("destinationPort", 8000, "Coolify dashboard"),
    ]
