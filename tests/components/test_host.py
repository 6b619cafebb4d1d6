"""The host component: firewall, protection, addresses and keys, per stack."""

from collections.abc import Callable

import pytest

from preview.engine import RecordedStack
from preview.mocks import FAKE_DEPLOY_PUBLIC_KEY
from preview.values import Secret
from tests.conftest import STACKS, record

Recorded = Callable[[str, str], RecordedStack]

ADMINS = ["203.0.113.0/24", "2001:db8:1234::/48"]
WORLD = ["0.0.0.0/0", "::/0"]
ALWAYS_OPEN = [
    {"direction": "in", "protocol": "tcp", "port": "22", "sourceIps": ADMINS, "description": "SSH from admin networks"},
    {
        "direction": "in",
        "protocol": "tcp",
        "port": "80",
        "sourceIps": WORLD,
        "description": "HTTP, redirected to HTTPS and used by Let's Encrypt",
    },
    {"direction": "in", "protocol": "tcp", "port": "443", "sourceIps": WORLD, "description": "HTTPS"},
    {"direction": "in", "protocol": "udp", "port": "443", "sourceIps": WORLD, "description": "HTTP/3"},
    {"direction": "in", "protocol": "icmp", "sourceIps": WORLD, "description": "ICMP (ping, path MTU discovery)"},
]
DIRECT_PORTS = [
    {
        "direction": "in",
        "protocol": "tcp",
        "port": "8000",
        "sourceIps": ADMINS,
        "description": "Coolify dashboard from admin networks",
    },
    {
        "direction": "in",
        "protocol": "tcp",
        "port": "6001",
        "sourceIps": ADMINS,
        "description": "Coolify realtime (websockets) from admin networks",
    },
    {
        "direction": "in",
        "protocol": "tcp",
        "port": "6002",
        "sourceIps": ADMINS,
        "description": "Coolify terminal from admin networks",
    },
]
STATEFUL = {"host-server", "host-ipv4", "host-ipv6"}
STATEFUL_DATA = {"data-postgres-volume", "data-redis-data", "backups-bucket"}


@pytest.mark.parametrize("stack", STACKS)
def test_firewall_keeps_coolify_ports_closed_by_default(recorded: Recorded, stack: str) -> None:
    (firewall,) = recorded(stack, "apply").of_type("hcloud:index/firewall:Firewall")
    assert firewall.inputs["rules"] == ALWAYS_OPEN


def test_opening_the_direct_ports_admits_admin_networks_only() -> None:
    recording = record("staging", {"coolify": {"closeDirectPorts": False}})
    (firewall,) = recording.of_type("hcloud:index/firewall:Firewall")
    assert firewall.inputs["rules"] == ALWAYS_OPEN + DIRECT_PORTS


@pytest.mark.parametrize("stack", STACKS)
def test_firewall_applies_to_the_server_from_its_first_boot(recorded: Recorded, stack: str) -> None:
    recording = recorded(stack, "apply")
    (attachment,) = recording.of_type("hcloud:index/firewallAttachment:FirewallAttachment")
    (server,) = recording.of_type("hcloud:index/server:Server")
    (selector,) = attachment.inputs["labelSelectors"]
    key, value = selector.split("=")
    assert server.inputs["labels"][key] == value
    assert attachment.urn in server.dependencies
    assert "serverIds" not in attachment.inputs


@pytest.mark.parametrize("stack", STACKS)
def test_only_production_protects_stateful_resources(recorded: Recorded, stack: str) -> None:
    recording = recorded(stack, "apply")
    production = stack == "production"
    protected = {resource.name for resource in recording.resources if resource.protect}
    assert protected == (STATEFUL | STATEFUL_DATA if production else set())
    (server,) = recording.of_type("hcloud:index/server:Server")
    assert server.inputs["deleteProtection"] is production
    assert server.inputs["rebuildProtection"] is production
    assert server.inputs["backups"] is production
    for address in recording.of_type("hcloud:index/primaryIp:PrimaryIp"):
        assert address.inputs["deleteProtection"] is production
        assert address.inputs["autoDelete"] is False


def test_production_can_be_unprotected_explicitly() -> None:
    recording = record("production", {"protection": {"protect": False, "deleteProtection": False}})
    assert not any(resource.protect for resource in recording.resources)


@pytest.mark.parametrize("stack", STACKS)
def test_server_ignores_changes_that_would_replace_it(recorded: Recorded, stack: str) -> None:
    (server,) = recorded(stack, "apply").of_type("hcloud:index/server:Server")
    assert server.ignore_changes == ("userData", "sshKeys", "image")


@pytest.mark.parametrize("stack", STACKS)
def test_server_uses_the_primary_ips_and_all_keys(recorded: Recorded, stack: str) -> None:
    recording = recorded(stack, "apply")
    (server,) = recording.of_type("hcloud:index/server:Server")
    ipv4, ipv6 = recording.named("host-ipv4"), recording.named("host-ipv6")
    assert (ipv4.inputs["type"], ipv6.inputs["type"]) == ("ipv4", "ipv6")
    (public_net,) = server.inputs["publicNets"]
    assert public_net["ipv4Enabled"] and public_net["ipv6Enabled"]
    assert {ipv4.urn, ipv6.urn} <= set(server.property_dependencies["publicNets"])
    keys = recording.of_type("hcloud:index/sshKey:SshKey")
    assert sorted(key.name for key in keys) == ["host-ssh-key-alice", "host-ssh-key-deploy"]
    assert set(server.property_dependencies["sshKeys"]) == {key.urn for key in keys}
    assert server.inputs["labels"]["environment"] == stack
    assert server.inputs["labels"]["managed-by"] == "pulumi"


def test_outputs_are_the_stable_addresses(recorded: Recorded) -> None:
    outputs = recorded("staging", "apply").outputs
    ipv4 = outputs["ipv4Address"]
    assert ipv4.startswith("49.12.0.")
    assert outputs["ipv6Address"].startswith("2a01:4f8:c0c:")
    assert outputs["ipv6Address"].endswith("::1")
    assert outputs["sshCommand"] == f"ssh ops@{ipv4}"
    assert outputs["serverId"].isdigit()


def test_deploy_key_is_generated_and_its_private_half_stays_secret(recorded: Recorded) -> None:
    recording = recorded("staging", "apply")
    (private_key,) = recording.of_type("tls:index/privateKey:PrivateKey")
    assert private_key.inputs == {"algorithm": "ED25519"}
    assert "privateKeyOpenssh" in private_key.additional_secret_outputs
    assert recording.named("host-ssh-key-deploy").inputs["publicKey"] == FAKE_DEPLOY_PUBLIC_KEY
    assert isinstance(recording.outputs["deployPrivateKey"], Secret)


@pytest.mark.parametrize("stack", STACKS)
def test_every_child_belongs_to_the_component(recorded: Recorded, stack: str) -> None:
    recording = recorded(stack, "apply")
    host = recording.named("host")
    children = [resource for resource in recording.resources if resource.name.startswith("host-")]
    assert len(children) == 8
    assert all(resource.parent == host.urn for resource in children)
