"""hetzner-firewall-disallow-broad-data-port-sources, through the pack: advice against any public source on a data
port; the whole internet, and a large part of it, are hetzner-firewall-disallow-public-data-ports' to refuse."""

from typing import Any

import pytest

from tests.policies.conftest import Check
from tests.policies.guardrails.rules.hetzner_firewalls import firewall, rule

POLICY = "hetzner-firewall-disallow-broad-data-port-sources"


def test_the_compliant_firewall_passes(check: Check) -> None:
    assert check(POLICY, firewall()) == []


def test_other_public_sources_on_data_ports_are_advisory(diagnose: Any) -> None:
    (found,) = diagnose(POLICY, firewall(rule("5432", ["8.8.8.0/24", "10.0.0.0/8", "192.0.2.0/24"])))
    assert found.level == "advisory"
    assert found.detail == (
        "rules[6] (in, tcp 5432) opens 5432 (PostgreSQL) to public networks (8.8.8.0/24); reach it through an SSH "
        "tunnel or a private network."
    )


@pytest.mark.parametrize(
    "sources",
    [["10.0.0.0/8"], ["0.0.0.0/0"], ["::/0"], ["203.0.113.7/32"], ["fd00::/8"]],
    ids=["private", "world-ipv4", "world-ipv6", "documentation", "unique-local"],
)
def test_private_world_and_documentation_ranges_are_left_to_others(check: Check, sources: list[str]) -> None:
    assert check(POLICY, firewall(rule("5432", sources))) == []
