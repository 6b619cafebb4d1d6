"""hetzner-firewall-disallow-public-admin-ports, through the pack: a compliant firewall, then one change per case.
A stack policy: Coolify's direct ports are admin ports only in a stack that installs Coolify."""

from typing import Any

import pytest

from tests.policies.conftest import Check, Resource
from tests.policies.guardrails.rules.hetzner_firewalls import WORLD, firewall, rule

POLICY = "hetzner-firewall-disallow-public-admin-ports"
INSTALL_COOLIFY = Resource(
    "command:remote:Command", {"create": "bash /opt/hetzner-coolify/install-coolify.sh"}, name="install-coolify"
)


def opened(rule_text: str, ports: str, sources: str) -> str:
    return (
        f"rules[6] (in, {rule_text}) opens {ports} to sources broader than admin networks, over a /16 of IPv4 or a "
        f"/40 of IPv6 in all ({sources}); open it to the admin networks only."
    )


def test_the_compliant_firewall_passes(check_stack: Check) -> None:
    assert check_stack(POLICY, firewall(), INSTALL_COOLIFY) == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (rule("22", WORLD), opened("tcp 22", "22 (SSH)", "0.0.0.0/0, ::/0")),
        (rule("22", ["0.0.0.0/1", "128.0.0.0/1"]), opened("tcp 22", "22 (SSH)", "0.0.0.0/1, 128.0.0.0/1: more than "
                                                          "a /16")),
        (rule("22", ["2000::/3"]), opened("tcp 22", "22 (SSH)", "2000::/3: more than a /40")),
        (rule("22", ["8.0.0.0/9"]), opened("tcp 22", "22 (SSH)", "8.0.0.0/9: more than a /16")),
        # Small ranges adding up: three /17s are more than a /16.
        (rule("22", ["8.8.0.0/17", "8.8.128.0/17", "9.9.0.0/17"]),
         opened("tcp 22", "22 (SSH)", "8.8.0.0/17, 8.8.128.0/17, 9.9.0.0/17: more than a /16")),
        (rule("22", [f"2a01:4f8:{index:x}00::/40" for index in range(5)]),
         opened("tcp 22", "22 (SSH)", "5 ranges: more than a /40")),
        (rule("8000", ["0.0.0.0/0"]), opened("tcp 8000", "8000 (Coolify dashboard)", "0.0.0.0/0")),
        (rule("6000-6100", ["::/0"]),
         opened("tcp 6000-6100", "6001 (Coolify realtime), 6002 (Coolify terminal)", "::/0")),
        (rule("6443", WORLD), opened("tcp 6443", "6443 (Kubernetes API)", "0.0.0.0/0, ::/0")),
        (rule("8200", WORLD), opened("tcp 8200", "8200 (Vault)", "0.0.0.0/0, ::/0")),
        (rule("15672", WORLD), opened("tcp 15672", "15672 (RabbitMQ management)", "0.0.0.0/0, ::/0")),
        (rule("9001", WORLD), opened("tcp 9001", "9001 (MinIO console)", "0.0.0.0/0, ::/0")),
        (rule("3389", None), opened("tcp 3389", "3389 (RDP)", "no source list, so everywhere")),
    ],
    ids=["ssh", "ssh-by-halves", "ssh-global-unicast-ipv6", "ssh-slash-9", "ssh-three-slash-17s",
         "ssh-five-ipv6-slash-40s", "coolify-dashboard", "coolify-realtime-terminal",
         "kubernetes-api", "vault", "rabbitmq-console", "minio-console", "rdp-no-sources"],
)  # fmt: skip
def test_public_admin_ports_are_refused(check_stack: Check, extra: dict[str, Any], expected: str) -> None:
    assert check_stack(POLICY, firewall(extra), INSTALL_COOLIFY) == [expected]


@pytest.mark.parametrize(
    "sources",
    [
        ["203.0.113.0/24"],
        ["198.51.100.7/32", "2001:db8::/48"],
        ["8.8.0.0/16", "2a01:4f8::/40"],
        [f"8.8.{index}.0/24" for index in range(256)],
        ["10.0.0.0/8", "172.16.0.0/12"],
    ],
    ids=["office", "vpn", "a-slash-16-and-a-slash-40", "256-offices", "private-networks"],
)
def test_admin_networks_pass(check_stack: Check, sources: list[str]) -> None:
    assert check_stack(POLICY, firewall(rule("22", sources)), INSTALL_COOLIFY) == []


def test_port_8000_is_an_app_port_where_coolify_is_not_installed(check_stack: Check) -> None:
    app_port = firewall(rule("8000", WORLD))
    assert check_stack(POLICY, app_port) == []
    assert check_stack(POLICY, app_port, INSTALL_COOLIFY) == [
        opened("tcp 8000", "8000 (Coolify dashboard)", "0.0.0.0/0, ::/0")
    ]


def test_coolify_installed_by_user_data_counts(check_stack: Check) -> None:
    server = Resource(
        "hcloud:index/server:Server",
        {"userData": "#cloud-config\nruncmd:\n  - bash /root/install-coolify.sh\n"},
        name="host",
    )
    assert check_stack(POLICY, firewall(rule("8000", WORLD)), server) == [
        opened("tcp 8000", "8000 (Coolify dashboard)", "0.0.0.0/0, ::/0")
    ]


def test_admin_ports_are_configurable(check_stack: Check) -> None:
    assert check_stack(POLICY, firewall(rule("2222", WORLD)), config={"adminPorts": [2222]}) == [
        opened("tcp 2222", "2222 (port 2222)", "0.0.0.0/0, ::/0")
    ]
