"""The Coolify component under mocks: order of steps, where the password goes, what triggers a re-run."""

import itertools
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from components import server_scripts
from preview.engine import RecordedResource, RecordedStack
from preview.mocks import ApplyMocks
from preview.values import Secret, walk
from tests.conftest import STACKS, record

Recorded = Callable[[str, str], RecordedStack]
STEPS = ["coolify-wait-for-ssh", "coolify-harden-host", "coolify-install-coolify", "coolify-wait-for-coolify",
         "coolify-direct-ports"]  # fmt: skip


def step(recording: RecordedStack, name: str) -> RecordedResource:
    return recording.named(name)


@pytest.mark.parametrize("stack", STACKS)
def test_each_step_waits_for_the_one_before(recorded: Recorded, stack: str) -> None:
    recording = recorded(stack, "apply")
    for before, after in itertools.pairwise(STEPS):
        assert step(recording, before).urn in step(recording, after).dependencies, (before, after)
    assert step(recording, "coolify-wait-for-ssh").type == "command:local:Command"
    assert all(step(recording, name).type == "command:remote:Command" for name in STEPS[1:])


def test_the_admin_password_travels_only_as_secret_ssh_environment() -> None:
    mocks = ApplyMocks()
    recording = record("staging", mocks=mocks)
    password = recording.named("coolify-admin-password")
    generated = mocks.generated["coolify-admin-password"]
    install = step(recording, "coolify-install-coolify")
    environment = install.inputs["environment"]
    assert isinstance(environment, Secret)
    assert environment.value["ROOT_USER_PASSWORD"] == generated
    assert "environment" in install.additional_secret_outputs
    holders = [
        (resource.name, path)
        for resource in recording.resources
        for path, value, _ in walk(resource.inputs)
        if isinstance(value, str) and generated in value
    ]
    assert holders == [("coolify-install-coolify", "environment.ROOT_USER_PASSWORD")]
    assert recording.outputs["coolifyAdminPassword"] == Secret(generated)
    assert password.inputs["overrideSpecial"] == "-_.~"
    assert generated not in install.inputs["create"]


@pytest.mark.parametrize("stack", STACKS)
def test_commands_connect_as_root_with_the_deploy_key_as_a_secret(recorded: Recorded, stack: str) -> None:
    recording = recorded(stack, "apply")
    for name in STEPS[1:]:
        connection = step(recording, name).inputs["connection"]
        assert isinstance(connection, Secret)
        assert connection.value["user"] == "root"
        assert connection.value["privateKey"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    local = step(recording, "coolify-wait-for-ssh")
    assert isinstance(local.inputs["environment"], Secret)
    assert "environment" in local.additional_secret_outputs


@pytest.mark.parametrize("stack", STACKS)
def test_direct_ports_listen_on_loopback_by_default(recorded: Recorded, stack: str) -> None:
    create = step(recorded(stack, "apply"), "coolify-direct-ports").inputs["create"]
    assert create.startswith("DIRECT_PORTS=loopback ")


def test_opening_the_direct_ports_publishes_them() -> None:
    create = step(record("staging", {"coolify": {"closeDirectPorts": False}}), "coolify-direct-ports").inputs["create"]
    assert create.startswith("DIRECT_PORTS=public ")


def test_every_trigger_includes_the_server_so_a_new_server_is_bootstrapped_again(recorded: Recorded) -> None:
    recording = recorded("production", "apply")
    server_id = recording.outputs["serverId"]
    for name in STEPS:
        assert step(recording, name).inputs["triggers"][0] == server_id


def triggers(recording: RecordedStack) -> dict[str, str]:
    return {name: step(recording, name).inputs["triggers"][1] for name in STEPS}


def test_an_unchanged_stack_has_unchanged_triggers() -> None:
    assert triggers(record("staging")) == triggers(record("staging"))


def test_a_changed_script_triggers_its_step_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    before = triggers(record("staging"))
    scripts = tmp_path / "scripts"
    shutil.copytree(server_scripts.SCRIPTS_DIR, scripts)
    with (scripts / "harden-host.sh").open("a") as script:
        script.write("# changed\n")
    monkeypatch.setattr(server_scripts, "SCRIPTS_DIR", scripts)
    after = triggers(record("staging"))
    assert {name for name in STEPS if before[name] != after[name]} == {"coolify-harden-host"}
    with (scripts / "lib.sh").open("a") as library:
        library.write("# changed\n")
    everything = triggers(record("staging"))
    assert {name for name in STEPS if everything[name] != after[name]} == set(STEPS)


def test_a_version_bump_reinstalls_without_hardening_again() -> None:
    before = triggers(record("staging"))
    after = triggers(record("staging", {"coolify": {"version": "4.3.20"}}))
    changed = {name for name in STEPS if before[name] != after[name]}
    assert changed == {"coolify-install-coolify", "coolify-wait-for-coolify", "coolify-direct-ports"}


def test_an_admin_key_change_rehardens_only() -> None:
    before = triggers(record("staging"))
    bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIO4Nfmou0qSZck/EI1bcb3SVzR9h4TQDDcPmUwSwSBh bob@example.com"
    alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2FAAB9YEE4rEw/DUJHbOGWax1rVeqX1KJVEd60ESW7 alice@example.com"
    keys = [{"name": "alice", "publicKey": alice}, {"name": "bob", "publicKey": bob}]
    after = triggers(record("staging", {"adminSshKeys": keys}))
    assert {name for name in STEPS if before[name] != after[name]} == {"coolify-harden-host"}


def test_outputs_tell_how_to_reach_the_dashboard(recorded: Recorded) -> None:
    outputs = recorded("production", "apply").outputs
    assert outputs["coolifyDashboardUrl"] == "https://coolify.example.com"
    assert outputs["coolifyTunnelCommand"] == f"ssh -N -L 8000:127.0.0.1:8000 ops@{outputs['ipv4Address']}"
    assert outputs["coolifyAdminEmail"] == "ops@example.com"
    assert isinstance(outputs["coolifyAdminPassword"], Secret)


def test_nothing_destructive_runs_on_delete(recorded: Recorded) -> None:
    recording = recorded("staging", "apply")
    assert all("delete" not in step(recording, name).inputs for name in STEPS)
