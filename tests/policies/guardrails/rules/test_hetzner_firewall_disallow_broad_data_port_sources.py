"""hetzner-firewall-disallow-broad-data-port-sources, through the pack."""

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
    assert found.detail == "inbound rule 6 (tcp 5432) opens 5432 (PostgreSQL) to public networks (8.8.8.0/24)."


@pytest.mark.parametrize("sources", [["10.0.0.0/8"], ["0.0.0.0/0"], ["203.0.113.7/32"]])
def test_broad_sources_rule_leaves_private_world_and_documentation_ranges_to_others(
    check: Check, sources: list[str]
) -> None:
    assert check(POLICY, firewall(rule("5432", sources))) == []
