"""hetzner-firewall-disallow-public-admin-ports, through the pack."""

from typing import Any

import pytest

from tests.policies.conftest import Check
from tests.policies.guardrails.rules.hetzner_firewalls import WORLD, firewall, rule

POLICY = "hetzner-firewall-disallow-public-admin-ports"


def test_the_compliant_firewall_passes(check: Check) -> None:
    assert check(POLICY, firewall()) == []


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
    assert check(POLICY, firewall(extra)) == [expected]


def test_admin_ports_are_configurable(check: Check) -> None:
    assert check(POLICY, firewall(rule("2222", WORLD)), config={"adminPorts": [2222]}) == [
        "inbound rule 6 (tcp 2222) opens 2222 (port 2222) to the whole internet (0.0.0.0/0, ::/0)."
    ]
