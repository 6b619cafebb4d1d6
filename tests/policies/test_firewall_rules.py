"""The three firewall policies, through the pack: one compliant firewall, then one change per case."""

from typing import Any

import pytest

from policies.rules.props import port_range, public_sources, world_sources
from preview.values import UNKNOWN, Secret
from tests.policies.conftest import Check, Resource

FIREWALL = "hcloud:index/firewall:Firewall"
ADMINS = ["203.0.113.0/24", "2001:db8:1234::/48"]
WORLD = ["0.0.0.0/0", "::/0"]
PUBLIC_DATA = "hetzner-firewall-disallow-public-data-ports"
BROAD_DATA = "hetzner-firewall-disallow-broad-data-port-sources"
PUBLIC_ADMIN = "hetzner-firewall-disallow-public-admin-ports"


def compliant_rules() -> list[dict[str, Any]]:
    return [
        {"direction": "in", "protocol": "tcp", "port": "22", "sourceIps": ADMINS},
        {"direction": "in", "protocol": "tcp", "port": "80", "sourceIps": WORLD},
        {"direction": "in", "protocol": "tcp", "port": "443", "sourceIps": WORLD},
        {"direction": "in", "protocol": "udp", "port": "443", "sourceIps": WORLD},
        {"direction": "in", "protocol": "icmp", "sourceIps": WORLD},
        {"direction": "in", "protocol": "tcp", "port": "8000", "sourceIps": ADMINS},
    ]


def firewall(*extra: dict[str, Any]) -> Resource:
    return Resource(FIREWALL, {"name": "fw", "rules": [*compliant_rules(), *extra]}, name="host-firewall")


def rule(port: Any, sources: Any, protocol: str = "tcp", direction: str = "in") -> dict[str, Any]:
    entry: dict[str, Any] = {"direction": direction, "protocol": protocol}
    if port is not None:
        entry["port"] = port
    if sources is not None:
        entry["sourceIps"] = sources
    return entry


@pytest.mark.parametrize("policy", [PUBLIC_DATA, BROAD_DATA, PUBLIC_ADMIN])
def test_the_compliant_firewall_passes(check: Check, policy: str) -> None:
    assert check(policy, firewall()) == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            rule("5432", ["0.0.0.0/0"]),
            "inbound rule 6 (tcp 5432) opens 5432 (PostgreSQL) to the whole internet (0.0.0.0/0).",
        ),
        (rule("5432", ["::/0"]), "inbound rule 6 (tcp 5432) opens 5432 (PostgreSQL) to the whole internet (::/0)."),
        (
            rule("5432", ["0:0:0:0:0:0:0:0/0"]),
            "inbound rule 6 (tcp 5432) opens 5432 (PostgreSQL) to the whole internet (::/0).",
        ),
        (
            rule("5000-6500", WORLD),
            "inbound rule 6 (tcp 5000-6500) opens 5432 (PostgreSQL), 6379 (Redis) to the whole internet "
            "(0.0.0.0/0, ::/0).",
        ),
        (
            rule("any", ["0.0.0.0/0"]),
            "inbound rule 6 (tcp any) opens 2375 (Docker API), 2376 (Docker API (TLS)), 3306 (MySQL), 5432 "
            "(PostgreSQL), 6379 (Redis), 9200 (Elasticsearch), 11211 (memcached), 27017 (MongoDB) to the whole "
            "internet (0.0.0.0/0).",
        ),
        (
            rule(None, ["0.0.0.0/0"], protocol="udp"),
            "inbound rule 6 (udp any) opens 2375 (Docker API), 2376 (Docker API (TLS)), 3306 (MySQL), 5432 "
            "(PostgreSQL), 6379 (Redis), 9200 (Elasticsearch), 11211 (memcached), 27017 (MongoDB) to the whole "
            "internet (0.0.0.0/0).",
        ),
        (
            rule("11211", ["::/0"], protocol="udp"),
            "inbound rule 6 (udp 11211) opens 11211 (memcached) to the whole internet (::/0).",
        ),
        (
            rule("6379", ["10.0.0.0/8", "0.0.0.0/0"]),
            "inbound rule 6 (tcp 6379) opens 6379 (Redis) to the whole internet (0.0.0.0/0).",
        ),
        (
            rule("6379", ["0.0.0.0/1", "128.0.0.0/1"]),
            "inbound rule 6 (tcp 6379) opens 6379 (Redis) to the whole internet (0.0.0.0/1, 128.0.0.0/1).",
        ),
        (
            rule("6379", ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"]),
            "inbound rule 6 (tcp 6379) opens 6379 (Redis) to the whole internet (4 ranges covering 0.0.0.0/0).",
        ),
        (
            rule("2375", None),
            "inbound rule 6 (tcp 2375) opens 2375 (Docker API) to the whole internet (no source list, so everywhere).",
        ),
        (
            rule("27017", Secret(["0.0.0.0/0"])),
            "inbound rule 6 (tcp 27017) opens 27017 (MongoDB) to the whole internet (0.0.0.0/0).",
        ),
    ],
)
def test_public_data_ports_are_refused(check: Check, extra: dict[str, Any], expected: str) -> None:
    assert check(PUBLIC_DATA, firewall(extra)) == [expected]


@pytest.mark.parametrize(
    "extra",
    [
        rule("5432", ["10.0.0.0/8"]),
        rule("5432", ["0.0.0.0/0"], direction="out"),
        rule(None, WORLD, protocol="icmp"),
        rule("5433-6378", WORLD),
        rule("5432", [UNKNOWN]),
        rule("5432", UNKNOWN),
    ],
    ids=["private-source", "outbound", "icmp", "range-between-data-ports", "unknown-source", "unknown-source-list"],
)
def test_what_is_not_a_public_data_port(check: Check, extra: dict[str, Any]) -> None:
    assert check(PUBLIC_DATA, firewall(extra)) == []


def test_unknown_values_are_not_judged_and_make_no_noise(diagnose: Any) -> None:
    assert diagnose(PUBLIC_DATA, firewall(rule(UNKNOWN, UNKNOWN))) == []


def test_data_ports_are_configurable(check: Check) -> None:
    assert check(PUBLIC_DATA, firewall(rule("8080", WORLD)), config={"dataPorts": [8080]}) == [
        "inbound rule 6 (tcp 8080) opens 8080 (port 8080) to the whole internet (0.0.0.0/0, ::/0)."
    ]
    assert check(PUBLIC_DATA, firewall(rule("5432", WORLD)), config={"dataPorts": [8080]}) == []


def test_violations_are_mandatory_and_filed_under_the_firewall(diagnose: Any) -> None:
    (found,) = diagnose(PUBLIC_DATA, firewall(rule("5432", WORLD)))
    assert found.level == "mandatory"
    assert found.resource == "hcloud:index/firewall:Firewall: host-firewall"
    assert found.message.startswith("A Hetzner Cloud Firewall must never open a database")


def test_other_public_sources_on_data_ports_are_advisory(diagnose: Any) -> None:
    (found,) = diagnose(BROAD_DATA, firewall(rule("5432", ["8.8.8.0/24", "10.0.0.0/8", "192.0.2.0/24"])))
    assert found.level == "advisory"
    assert found.detail == "inbound rule 6 (tcp 5432) opens 5432 (PostgreSQL) to public networks (8.8.8.0/24)."


@pytest.mark.parametrize("sources", [["10.0.0.0/8"], ["0.0.0.0/0"], ["203.0.113.7/32"]])
def test_broad_sources_rule_leaves_private_world_and_documentation_ranges_to_others(
    check: Check, sources: list[str]
) -> None:
    assert check(BROAD_DATA, firewall(rule("5432", sources))) == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (rule("22", WORLD), "inbound rule 6 (tcp 22) opens 22 (SSH) to the whole internet (0.0.0.0/0, ::/0)."),
        (
            rule("8000", ["0.0.0.0/0"]),
            "inbound rule 6 (tcp 8000) opens 8000 (Coolify dashboard) to the whole internet (0.0.0.0/0).",
        ),
        (
            rule("6000-6100", ["::/0"]),
            "inbound rule 6 (tcp 6000-6100) opens 6001 (Coolify realtime), 6002 (Coolify terminal) to the whole "
            "internet (::/0).",
        ),
    ],
)
def test_public_admin_ports_are_refused(check: Check, extra: dict[str, Any], expected: str) -> None:
    assert check(PUBLIC_ADMIN, firewall(extra)) == [expected]


def test_admin_ports_are_configurable(check: Check) -> None:
    assert check(PUBLIC_ADMIN, firewall(rule("2222", WORLD)), config={"adminPorts": [2222]}) == [
        "inbound rule 6 (tcp 2222) opens 2222 (port 2222) to the whole internet (0.0.0.0/0, ::/0)."
    ]


@pytest.mark.parametrize(
    ("port", "expected"),
    [("22", (22, 22)), ("80-85", (80, 85)), ("any", (1, 65535)), (None, (1, 65535)), ("junk", (1, 65535))],
)
def test_port_ranges(port: str | None, expected: tuple[int, int]) -> None:
    assert port_range(port) == expected


def test_source_classification() -> None:
    assert world_sources(["10.0.0.0/8", "::/0"]) == ["::/0"]
    assert world_sources([]) == []
    assert public_sources(["8.8.8.0/24", "10.0.0.0/8", "0.0.0.0/0", "2a01:4f8::/32"]) == ["8.8.8.0/24", "2a01:4f8::/32"]
