"""hetzner-firewall-disallow-public-data-ports, through the pack: one compliant firewall, then one change per case."""

from typing import Any

import pytest

from preview.values import UNKNOWN, Secret
from tests.policies.conftest import Check
from tests.policies.guardrails.rules.hetzner_firewalls import WORLD, firewall, rule

POLICY = "hetzner-firewall-disallow-public-data-ports"


def test_the_compliant_firewall_passes(check: Check) -> None:
    assert check(POLICY, firewall()) == []


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
    assert check(POLICY, firewall(extra)) == [expected]


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
    assert check(POLICY, firewall(extra)) == []


def test_unknown_values_are_not_judged_and_make_no_noise(diagnose: Any) -> None:
    assert diagnose(POLICY, firewall(rule(UNKNOWN, UNKNOWN))) == []


def test_data_ports_are_configurable(check: Check) -> None:
    assert check(POLICY, firewall(rule("8080", WORLD)), config={"dataPorts": [8080]}) == [
        "inbound rule 6 (tcp 8080) opens 8080 (port 8080) to the whole internet (0.0.0.0/0, ::/0)."
    ]
    assert check(POLICY, firewall(rule("5432", WORLD)), config={"dataPorts": [8080]}) == []


def test_violations_are_mandatory_and_filed_under_the_firewall(diagnose: Any) -> None:
    (found,) = diagnose(POLICY, firewall(rule("5432", WORLD)))
    assert found.level == "mandatory"
    assert found.resource == "hcloud:index/firewall:Firewall: host-firewall"
    assert found.message.startswith("A Hetzner Cloud Firewall must never open a database")
