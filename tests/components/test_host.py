"""The host component alone: firewall, protection, addresses, keys and its first steps, per stack."""

import functools
from typing import Any

import pulumi
import pytest

from preview.changes import changes
from preview.engine import RecordedStack
from preview.mocks import FAKE_DEPLOY_PUBLIC_KEY, ApplyMocks
from preview.values import reveal
from tests.components.conftest import host, record_components
from tests.conftest import STACKS

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


@functools.cache
def shipped(stack: str) -> RecordedStack:
    return record_components(host, stack)


@pytest.mark.parametrize("stack", STACKS)
def test_firewall_keeps_coolify_ports_closed_by_default(stack: str) -> None:
    (firewall,) = shipped(stack).of_type("hcloud:index/firewall:Firewall")
    assert firewall.inputs["rules"] == ALWAYS_OPEN


def test_opening_the_direct_ports_admits_admin_networks_only() -> None:
    recording = record_components(host, "staging", {"coolify": {"closeDirectPorts": False}})
    (firewall,) = recording.of_type("hcloud:index/firewall:Firewall")
    assert firewall.inputs["rules"] == ALWAYS_OPEN + DIRECT_PORTS


@pytest.mark.parametrize("stack", STACKS)
def test_firewall_applies_to_the_server_from_its_first_boot(stack: str) -> None:
    recording = shipped(stack)
    (server,) = recording.of_type("hcloud:index/server:Server")
    assert server.property_dependencies["firewallIds"] == (recording.named("host-firewall").urn,)
    # The label attachment as deployed servers have it: they keep their firewall that way.
    (attachment,) = recording.of_type("hcloud:index/firewallAttachment:FirewallAttachment")
    assert attachment.inputs["labelSelectors"] == [f"firewall={server.inputs['name']}"]
    assert server.inputs["labels"]["firewall"] == server.inputs["name"]
    assert attachment.urn in server.dependencies


@pytest.mark.parametrize("stack", STACKS)
def test_only_production_protects_the_server_and_its_addresses(stack: str) -> None:
    recording = shipped(stack)
    production = stack == "production"
    assert {resource.name for resource in recording.resources if resource.protect} == (
        STATEFUL if production else set()
    )
    (server,) = recording.of_type("hcloud:index/server:Server")
    assert server.inputs["deleteProtection"] is production
    assert server.inputs["rebuildProtection"] is production
    assert server.inputs["backups"] is production
    for address in recording.of_type("hcloud:index/primaryIp:PrimaryIp"):
        assert address.inputs["deleteProtection"] is production
        assert address.inputs["autoDelete"] is False


@pytest.mark.parametrize("stack", STACKS)
def test_server_ignores_changes_that_would_replace_it(stack: str) -> None:
    (server,) = shipped(stack).of_type("hcloud:index/server:Server")
    assert server.ignore_changes == ("userData", "sshKeys", "image")


@pytest.mark.parametrize("stack", STACKS)
def test_server_uses_the_primary_ips_and_all_keys(stack: str) -> None:
    recording = shipped(stack)
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


def test_deploy_key_is_generated_and_its_private_half_stays_secret() -> None:
    recording = shipped("staging")
    (private_key,) = recording.of_type("tls:index/privateKey:PrivateKey")
    assert private_key.inputs == {"algorithm": "ED25519"}
    assert "privateKeyOpenssh" in private_key.additional_secret_outputs
    assert recording.named("host-ssh-key-deploy").inputs["publicKey"] == FAKE_DEPLOY_PUBLIC_KEY


@pytest.mark.parametrize("stack", STACKS)
def test_the_host_hardens_its_server_once_it_answers_ssh(stack: str) -> None:
    recording = shipped(stack)
    reachable, hardened = recording.named("host-wait-for-ssh"), recording.named("host-harden-host")
    assert reachable.type == "command:local:Command" and hardened.type == "command:remote:Command"
    assert reachable.urn in hardened.dependencies
    address = recording.named("host-ipv4").urn
    assert address in reachable.property_dependencies["environment"]
    assert address in hardened.property_dependencies["connection"]
    assert hardened.inputs["create"].startswith("ADMIN_USER=ops ")


def test_the_hardening_steps_keep_the_urns_they_had_under_the_coolify_component() -> None:
    recording = shipped("production")
    earlier = "urn:pulumi:production::hetzner-coolify::hetzner-coolify:coolify:Coolify${type}::coolify-{step}"
    for step, kind in (("wait-for-ssh", "command:local:Command"), ("harden-host", "command:remote:Command")):
        assert recording.named(f"host-{step}").aliases == (earlier.format(type=kind, step=step),)


class DistinctKeyMocks(ApplyMocks):
    """Every generated key its own: keys of different rotations must not look alike."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        if args.typ == "tls:index/privateKey:PrivateKey":
            marker = args.name.replace("-", "")
            state.update(publicKeyOpenssh=f"ssh-ed25519 AAAA{marker}\n", privateKeyOpenssh=f"PRIVATE {marker}")
        return resource_id, state


@functools.cache
def after_rotations(counter: int) -> RecordedStack:
    return record_components(host, "production", {"rotation": {"deployKey": counter}}, mocks=DistinctKeyMocks())


def public(name: str) -> str:
    return f"ssh-ed25519 AAAA{name.replace('-', '')}"


def deploy_keys(recording: RecordedStack) -> list[str]:
    return sorted(key.name for key in recording.of_type("tls:index/privateKey:PrivateKey"))


def root_keys(recording: RecordedStack) -> list[str]:
    create = reveal(recording.named("host-harden-host").inputs["create"])
    return [line for line in create.split("ROOT_KEYS=")[1].split("'")[1].splitlines() if "AAAAhost" in line]


def test_before_any_rotation_one_deploy_key_and_nothing_of_a_previous_one() -> None:
    recording = after_rotations(0)
    assert deploy_keys(recording) == ["host-deploy-key"]
    assert root_keys(recording) == [public("host-deploy-key")]
    assert "SSH_PREVIOUS_PRIVATE_KEY" not in reveal(recording.named("host-wait-for-ssh").inputs["environment"])
    assert not recording.named("host-ssh-key-deploy").delete_before_replace


def test_a_rotation_keeps_the_previous_key_authorized_and_handed_to_the_first_step() -> None:
    recording = after_rotations(1)
    assert deploy_keys(recording) == ["host-deploy-key", "host-deploy-key-1"]
    assert root_keys(recording) == [public("host-deploy-key-1"), public("host-deploy-key")]
    environment = reveal(recording.named("host-wait-for-ssh").inputs["environment"])
    assert (environment["SSH_PRIVATE_KEY"], environment["SSH_PREVIOUS_PRIVATE_KEY"]) == (
        "PRIVATE hostdeploykey1",
        "PRIVATE hostdeploykey",
    )
    assert "environment" in recording.named("host-wait-for-ssh").additional_secret_outputs
    # Hetzner holds the new key only, for servers created from now on.
    assert recording.named("host-ssh-key-deploy").inputs["publicKey"] == public("host-deploy-key-1")
    assert reveal(recording.named("host-harden-host").inputs["connection"])["privateKey"] == "PRIVATE hostdeploykey1"


def test_the_next_rotation_drops_the_first_key() -> None:
    recording = after_rotations(2)
    assert deploy_keys(recording) == ["host-deploy-key-1", "host-deploy-key-2"]
    assert root_keys(recording) == [public("host-deploy-key-2"), public("host-deploy-key-1")]
    environment = reveal(recording.named("host-wait-for-ssh").inputs["environment"])
    assert environment["SSH_PREVIOUS_PRIVATE_KEY"] == "PRIVATE hostdeploykey1"


def test_every_step_on_the_server_waits_for_the_handover() -> None:
    recording = after_rotations(1)
    reachable = recording.named("host-wait-for-ssh")
    steps = recording.of_type("command:remote:Command")
    assert steps
    for step in steps:
        assert reachable.urn in step.property_dependencies["connection"], step.urn


def test_a_rotation_replaces_the_hetzner_key_first_and_no_server() -> None:
    found = {change.resource.name: change for change in changes(after_rotations(0), after_rotations(1))}
    registered = found["host-ssh-key-deploy"]
    assert (registered.action, registered.forced_by, registered.deleted_first) == ("replace", ("publicKey",), True)
    assert found["host-deploy-key-1"].action == "create"
    assert "host-deploy-key" not in found
    assert "host-server" not in found
    removed = {name for name, change in found.items() if change.action in ("replace", "delete")}
    assert {name for name in removed if not found[name].resource.type.startswith("command:")} == {"host-ssh-key-deploy"}
    assert not any(change.loses_data for change in found.values())
    # The handover runs again with its recorded host key (an update); the hardening, whose keys changed, anew.
    assert found["host-wait-for-ssh"].action == "update"
    assert found["host-harden-host"].action == "replace"
