"""The Coolify component on its host: order of steps, where the password goes, what triggers a re-run."""

import functools
import itertools
import shutil
from pathlib import Path
from typing import Any

import pytest

from components import server_scripts
from preview.engine import RecordedStack
from preview.mocks import ApplyMocks
from preview.values import Secret, reveal
from stack_config import StackConfig
from tests.components.conftest import observe, record_components, running_coolify
from tests.conftest import STACKS

HARDENING = ["host-wait-for-ssh", "host-harden-host"]
STEPS = ["coolify-install-coolify", "coolify-wait-for-coolify", "coolify-direct-ports"]


def build(config: StackConfig) -> None:
    main, installed = running_coolify(config)
    observe("host", main, "server_id", "ipv4_address")
    observe("coolify", installed, "tunnel_command", "admin_email", "admin_password")


def recording_of(stack: str = "staging", changes: dict[str, Any] | None = None) -> RecordedStack:
    return record_components(build, stack, changes)


@functools.cache
def shipped(stack: str) -> RecordedStack:
    return recording_of(stack)


@pytest.mark.parametrize("stack", STACKS)
def test_each_step_waits_for_the_one_before(stack: str) -> None:
    recording = shipped(stack)
    for before, after in itertools.pairwise(HARDENING + STEPS):
        assert recording.named(before).urn in recording.named(after).dependencies, (before, after)
    assert all(recording.named(name).type == "command:remote:Command" for name in STEPS)


def test_the_admin_password_travels_only_as_secret_ssh_environment() -> None:
    mocks = ApplyMocks()
    recording = record_components(build, "staging", mocks=mocks)
    password = recording.named("coolify-admin-password")
    generated = mocks.generated["coolify-admin-password"]
    assert recording.outputs["coolify.admin_password"] == Secret(generated)
    install = recording.named("coolify-install-coolify")
    environment = install.inputs["environment"]
    assert isinstance(environment, Secret)
    assert environment.value["ROOT_USER_PASSWORD"] == generated
    assert "environment" in install.additional_secret_outputs
    assert password.inputs["overrideSpecial"] == "-_.~"
    assert generated not in install.inputs["create"]


@pytest.mark.parametrize("stack", STACKS)
def test_commands_connect_as_root_with_the_deploy_key_as_a_secret(stack: str) -> None:
    recording = shipped(stack)
    for name in STEPS:
        connection = recording.named(name).inputs["connection"]
        assert isinstance(connection, Secret)
        assert connection.value["user"] == "root"
        assert connection.value["host"] == recording.outputs["host.ipv4_address"]
        assert connection.value["privateKey"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")


@pytest.mark.parametrize("stack", STACKS)
def test_direct_ports_listen_on_loopback_by_default(stack: str) -> None:
    create = shipped(stack).named("coolify-direct-ports").inputs["create"]
    assert create.startswith("CLOSE_DIRECT_PORTS=true ")


def test_opening_the_direct_ports_publishes_them() -> None:
    recording = recording_of("staging", {"coolify": {"closeDirectPorts": False}})
    assert recording.named("coolify-direct-ports").inputs["create"].startswith("CLOSE_DIRECT_PORTS=false ")


def test_every_trigger_includes_the_server_so_a_new_server_is_bootstrapped_again() -> None:
    recording = shipped("production")
    server_id = recording.outputs["host.server_id"]
    for name in HARDENING + STEPS:
        assert recording.named(name).inputs["triggers"][0] == server_id


def triggers(recording: RecordedStack) -> dict[str, str]:
    """What runs each step again: any change of its triggers replaces it, any change of its command line or script
    updates it, and pulumi-command runs the command again on an update (the server's id aside, which is the same)."""
    return {
        name: repr([reveal(recording.named(name).inputs).get(key) for key in ("triggers", "create", "stdin")])
        for name in HARDENING + STEPS
    }


def test_an_unchanged_stack_has_unchanged_triggers() -> None:
    assert triggers(recording_of()) == triggers(recording_of())


def test_a_changed_script_triggers_its_step_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    before = triggers(recording_of())
    scripts = tmp_path / "scripts"
    shutil.copytree(server_scripts.SCRIPTS_DIR, scripts)
    with (scripts / "harden-host.sh").open("a") as script:
        script.write("# changed\n")
    monkeypatch.setattr(server_scripts, "SCRIPTS_DIR", scripts)
    after = triggers(recording_of())
    assert {name for name in before if before[name] != after[name]} == {"host-harden-host"}
    with (scripts / "lib.sh").open("a") as library:
        library.write("# changed\n")
    everything = triggers(recording_of())
    assert {name for name in before if everything[name] != after[name]} == set(HARDENING + STEPS)


def test_a_version_bump_reinstalls_without_hardening_again() -> None:
    before = triggers(recording_of())
    after = triggers(recording_of("staging", {"coolify": {"version": "4.3.20"}}))
    assert {name for name in before if before[name] != after[name]} == set(STEPS)


def test_an_admin_key_change_rehardens_only() -> None:
    before = triggers(recording_of())
    bob = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIO4Nfmou0qSZck/EI1bcb3SVzR9h4TQDDcPmUwSwSBh bob@example.com"
    alice = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2FAAB9YEE4rEw/DUJHbOGWax1rVeqX1KJVEd60ESW7 alice@example.com"
    keys = [{"name": "alice", "publicKey": alice}, {"name": "bob", "publicKey": bob}]
    after = triggers(recording_of("staging", {"adminSshKeys": keys}))
    assert {name for name in before if before[name] != after[name]} == {"host-harden-host"}


def test_outputs_tell_how_to_log_in() -> None:
    outputs = shipped("production").outputs
    assert outputs["coolify.tunnel_command"] == (
        "ssh -N -L 8000:127.0.0.1:8000 -L 6001:127.0.0.1:6001 -L 6002:127.0.0.1:6002 "
        f"ops@{outputs['host.ipv4_address']}"
    )
    assert outputs["coolify.admin_email"] == "ops@example.com"
    assert isinstance(outputs["coolify.admin_password"], Secret)


def test_nothing_destructive_runs_on_delete() -> None:
    recording = shipped("staging")
    assert all("delete" not in recording.named(name).inputs for name in HARDENING + STEPS)
