"""A managed server alone: its cloud-init user data (checked by cloud-init's own schema validator), what a
change may never do to it, and its first steps."""

import functools
import json
import subprocess
from pathlib import Path

import pulumi
import pytest
import yaml

from components.firewall_rules import FirewallRule
from components.server import Logins, ServerSpec, cloud_firewall, managed_server
from preview.engine import RecordedStack
from preview.mocks import FAKE_HOST_KEY, PlanMocks
from preview.values import Secret
from tests.components.conftest import record_components
from tests.conftest import STACKS

CLOUD_INIT_SCHEMA = Path("/usr/lib/python3/dist-packages/cloudinit/config/schemas/schema-cloud-config-v1.json")
ALICE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2FAAB9YEE4rEw/DUJHbOGWax1rVeqX1KJVEd60ESW7 alice@example.com"
DEPLOY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeDeployKeyOnlyForTestsxxxxxxxxxxxxxxxxx deploy"


def build(environment: str) -> None:
    owner = pulumi.ComponentResource("test:index:Owner", "owner")
    firewall = cloud_firewall(
        "owner-firewall",
        physical_name="owner",
        rules=[FirewallRule("tcp", "22", ("203.0.113.0/24",), "SSH")],
        labels={},
        parent=owner,
    )
    spec = ServerSpec(
        name=f"hetzner-coolify-{environment}", server_type="cx33", location="nbg1", image="ubuntu-24.04",
        backups=False, labels={"role": "main"}, protect=False, delete_protection=False,
    )  # fmt: skip
    managed_server(
        "owner-server",
        spec,
        parent=owner,
        ssh_key_ids=["1001"],
        firewall=firewall,
        logins=Logins("ops", [ALICE], DEPLOY),
        private_key=pulumi.Output.secret("fake key"),
        step_prefix="owner",
    )


@functools.cache
def recorded(stack: str, mode: str = "apply") -> RecordedStack:
    return record_components(
        lambda config: build(config.environment), stack, mocks=PlanMocks() if mode == "plan" else None
    )


def user_data(recording: RecordedStack) -> str:
    (server,) = recording.of_type("hcloud:index/server:Server")
    text: str = server.inputs["userData"]
    return text


def cloud_init_schema_check(text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "user-data.yaml"
    path.write_text(text)
    return subprocess.run(
        ["cloud-init", "schema", "--config-file", str(path)], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("stack", STACKS)
def test_user_data_passes_the_cloud_init_schema(stack: str, tmp_path: Path) -> None:
    result = cloud_init_schema_check(user_data(recorded(stack, "plan")), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid cloud-config" in result.stdout


def test_the_validator_is_really_checking(tmp_path: Path) -> None:
    broken = user_data(recorded("staging", "plan")).replace("package_update: true", "package_update: [yes]")
    result = cloud_init_schema_check(broken, tmp_path)
    assert result.returncode != 0
    assert "package_update" in result.stdout + result.stderr


def test_every_key_is_a_cloud_init_key() -> None:
    """cloud-init ignores unknown top-level keys silently; a typo would go unnoticed."""
    schema = json.loads(CLOUD_INIT_SCHEMA.read_text())
    known = {key for definition in schema["$defs"].values() for key in definition.get("properties", {})}
    config = yaml.safe_load(user_data(recorded("staging", "plan")))
    assert set(config) <= known, set(config) - known


@pytest.mark.parametrize("stack", STACKS)
def test_user_data_is_minimal_and_holds_nothing_secret(stack: str) -> None:
    text = user_data(recorded(stack, "apply"))
    config = yaml.safe_load(text)
    assert config["hostname"] == f"hetzner-coolify-{stack}"
    assert config["ssh_pwauth"] is False
    assert not {"users", "chpasswd", "write_files", "runcmd"} & set(config)
    lowered = text.lower()
    assert "password" not in lowered and "private key" not in lowered and "token" not in lowered


def test_changes_that_would_replace_the_server_are_ignored() -> None:
    (server,) = recorded("staging").of_type("hcloud:index/server:Server")
    assert server.ignore_changes == ("userData", "sshKeys", "image")


def test_the_firewall_is_in_the_servers_create_request_and_attached_by_its_label() -> None:
    """Only firewall_ids on the server filters it from its first boot; a FirewallAttachment does not
    (hetznercloud/terraform-provider-hcloud@v1.68.0:docs/resources/firewall_attachment.md:59-66). The label
    attachment stays for servers deployed before, and ignores the servers a refresh finds applied directly."""
    recording = recorded("staging")
    (server,) = recording.of_type("hcloud:index/server:Server")
    firewall = recording.named("owner-firewall")
    assert server.property_dependencies["firewallIds"] == (firewall.urn,)
    assert len(server.inputs["firewallIds"]) == 1 and server.inputs["firewallIds"][0] > 0
    attachment = recording.named("owner-firewall-attachment")
    assert attachment.inputs["labelSelectors"] == ["firewall=owner"]
    assert attachment.property_dependencies["firewallId"] == (firewall.urn,)
    assert attachment.ignore_changes == ("serverIds",)
    assert server.inputs["labels"] == {"role": "main", "firewall": "owner"}
    assert attachment.urn in server.dependencies


def test_steps_reach_the_server_at_its_own_address_once_it_answers_ssh() -> None:
    recording = recorded("staging")
    server = recording.named("owner-server")
    reachable, hardened = recording.named("owner-wait-for-ssh"), recording.named("owner-harden-host")
    assert reachable.urn in hardened.dependencies
    assert hardened.inputs["connection"].value["host"] == "49.12.0.250"
    assert server.urn in hardened.property_dependencies["connection"]
    # A replaced server (a new id) gets its first steps again.
    assert server.urn in hardened.property_dependencies["triggers"]
    assert server.urn in reachable.property_dependencies["triggers"]
    assert hardened.inputs["triggers"][0] == reachable.inputs["triggers"][0]
    assert hardened.inputs["triggers"][0].isdigit()
    assert hardened.aliases == () and reachable.aliases == ()


def test_first_contact_is_made_again_for_a_new_server_only_and_every_step_pins_what_it_recorded() -> None:
    """The server is wait-for-ssh's only trigger: a changed script updates the step, which then runs with the key it
    recorded (PULUMI_COMMAND_STDOUT) instead of meeting the server afresh."""
    recording = recorded("staging")
    reachable, hardened = recording.named("owner-wait-for-ssh"), recording.named("owner-harden-host")
    assert reachable.inputs["triggers"] == [hardened.inputs["triggers"][0]]
    assert hardened.inputs["connection"].value["hostKey"] == FAKE_HOST_KEY
    assert reachable.urn in hardened.property_dependencies["connection"]


def test_the_first_steps_carry_the_deploy_key_as_a_secret() -> None:
    recording = recorded("production")
    connection = recording.named("owner-harden-host").inputs["connection"]
    assert isinstance(connection, Secret)
    assert connection.value["user"] == "root"
    assert connection.value["privateKey"] == "fake key"
    reachable = recording.named("owner-wait-for-ssh")
    assert isinstance(reachable.inputs["environment"], Secret)
    assert reachable.inputs["environment"].value["SSH_PRIVATE_KEY"] == "fake key"
    assert "environment" in reachable.additional_secret_outputs
