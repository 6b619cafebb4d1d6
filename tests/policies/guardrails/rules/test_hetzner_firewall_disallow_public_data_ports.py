"""hetzner-firewall-disallow-public-data-ports, through the pack: one compliant firewall, then one change per case.
The internet is reached without spelling /0 too: by halves, by most of it, by everything but its private ranges."""

from typing import Any

import pytest

from preview.values import UNKNOWN, Secret
from tests.policies.conftest import Check
from tests.policies.guardrails.rules.hetzner_firewalls import WORLD, firewall, rule

POLICY = "hetzner-firewall-disallow-public-data-ports"
FIX = "apps reach it over the Docker network, operators through an SSH tunnel."


def opened(rule_text: str, ports: str, sources: str) -> str:
    return f"rules[6] (in, {rule_text}) opens {ports} to the whole internet or a large part of it ({sources}); {FIX}"


FIRST_SIX = (
    "2375 (Docker API), 2376 (Docker API (TLS)), 3306 (MySQL), 4222 (NATS), 5432 (PostgreSQL), 5671 (AMQP over TLS)"
)


def test_the_compliant_firewall_passes(check: Check) -> None:
    assert check(POLICY, firewall()) == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (rule("5432", ["0.0.0.0/0"]), opened("tcp 5432", "5432 (PostgreSQL)", "0.0.0.0/0")),
        (rule("5432", ["::/0"]), opened("tcp 5432", "5432 (PostgreSQL)", "::/0")),
        (rule("5432", ["0:0:0:0:0:0:0:0/0"]), opened("tcp 5432", "5432 (PostgreSQL)", "::/0")),
        (rule("6300-6400", WORLD),
         opened("tcp 6300-6400", "6333 (Qdrant HTTP), 6334 (Qdrant gRPC), 6379 (Redis)", "0.0.0.0/0, ::/0")),
        (rule("any", ["0.0.0.0/0"]), opened("tcp any", f"{FIRST_SIX} and 21 more", "0.0.0.0/0")),
        (rule(None, ["0.0.0.0/0"], protocol="udp"), opened("udp any", f"{FIRST_SIX} and 21 more", "0.0.0.0/0")),
        (rule("11211", ["::/0"], protocol="udp"), opened("udp 11211", "11211 (memcached)", "::/0")),
        (rule("6379", ["10.0.0.0/8", "0.0.0.0/0"]), opened("tcp 6379", "6379 (Redis)", "0.0.0.0/0")),
        (rule("6379", ["0.0.0.0/1", "128.0.0.0/1"]),
         opened("tcp 6379", "6379 (Redis)", "0.0.0.0/1, 128.0.0.0/1: 100.0% of 0.0.0.0/0")),
        (rule("5672", ["1.0.0.0/8", "2.0.0.0/7", "4.0.0.0/6", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4",
                       "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/3", "160.0.0.0/5", "168.0.0.0/6", "172.0.0.0/12",
                       "172.32.0.0/11", "172.64.0.0/10", "172.128.0.0/9", "173.0.0.0/8", "174.0.0.0/7",
                       "176.0.0.0/4", "192.0.0.0/9", "192.128.0.0/11", "192.160.0.0/13", "192.169.0.0/16",
                       "192.170.0.0/15", "192.172.0.0/14", "192.176.0.0/12", "192.192.0.0/10", "193.0.0.0/8",
                       "194.0.0.0/7", "196.0.0.0/6", "200.0.0.0/5", "208.0.0.0/4"]),
         opened("tcp 5672", "5672 (AMQP (RabbitMQ))", "32 ranges: 86.7% of 0.0.0.0/0")),
        (rule("9200", ["2000::/3"]),
         opened("tcp 9200", "9200 (Elasticsearch / OpenSearch)", "2000::/3: 12.5% of ::/0")),
        (rule("2375", None), opened("tcp 2375", "2375 (Docker API)", "no source list, so everywhere")),
        (rule("27017", Secret(["0.0.0.0/0"])), opened("tcp 27017", "27017 (MongoDB)", "0.0.0.0/0")),
    ],
    ids=["any-ipv4", "any-ipv6", "any-ipv6-long", "range", "any-port", "udp-no-port", "udp", "mixed-sources",
         "two-halves", "all-public-ipv4", "global-unicast-ipv6", "no-sources", "secret-sources"],
)  # fmt: skip
def test_public_data_ports_are_refused(check: Check, extra: dict[str, Any], expected: str) -> None:
    assert check(POLICY, firewall(extra)) == [expected]


@pytest.mark.parametrize(
    "extra",
    [
        rule("5432", ["10.0.0.0/8"]),
        rule("5432", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"]),
        rule("5432", ["8.0.0.0/9"]),
        rule("5432", ["0.0.0.0/0"], direction="out"),
        rule(None, WORLD, protocol="icmp"),
        rule("5433-5670", WORLD),
        rule("5432", [UNKNOWN]),
        rule("5432", UNKNOWN),
    ],
    ids=["private-source", "every-private-range", "a-provider-sized-range", "outbound", "icmp",
         "range-between-data-ports", "unknown-source", "unknown-source-list"],
)  # fmt: skip
def test_what_is_not_a_public_data_port(check: Check, extra: dict[str, Any]) -> None:
    assert check(POLICY, firewall(extra)) == []


def test_unknown_values_are_not_judged_and_make_no_noise(diagnose: Any) -> None:
    assert diagnose(POLICY, firewall(rule(UNKNOWN, UNKNOWN))) == []


def test_data_ports_are_configurable(check: Check) -> None:
    assert check(POLICY, firewall(rule("8080", WORLD)), config={"dataPorts": [8080]}) == [
        opened("tcp 8080", "8080 (port 8080)", "0.0.0.0/0, ::/0")
    ]
    assert check(POLICY, firewall(rule("5432", WORLD)), config={"dataPorts": [8080]}) == []


def test_violations_are_mandatory_and_filed_under_the_firewall(diagnose: Any) -> None:
    (found,) = diagnose(POLICY, firewall(rule("5432", WORLD)))
    assert found.level == "mandatory"
    assert found.resource == "hcloud:index/firewall:Firewall: host-firewall"
    assert found.message.startswith("A Hetzner Cloud Firewall must never open a database")
