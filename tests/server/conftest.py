"""The real-server tier: the production stack deployed step by step on a booted Debian machine.

`make real-server` runs it (Debian 13; `DEBIAN=12` for bookworm). It needs root, debootstrap,
systemd-nspawn and slirp4netns (.ci/install-system-packages installs them). Where they are missing the
tier is skipped with the reason, except with REAL_SERVER=required (CI), where that is a failure.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from preview.engine import RecordedStack
from preview.mocks import ApplyMocks
from preview.values import reveal
from tests.conftest import record
from tests.real.servers import AgeKeys, age_keys
from tests.server.machine import (
    CLIENT_ADDRESS,
    RELEASES,
    DebianRelease,
    Machine,
    Seed,
    booted,
    missing_host_tools,
)
from tests.server.rehearsal import Client, Rehearsal
from tests.server.standins import S3, Images, Root, endpoint_host, stand_ins, volume_image

STACK = "production"
# The first test of a session also builds the images and deploys: minutes, not seconds.
SESSION_TIMEOUT = 1500
# The deploy key before any rotation (components/host.py): the session's deploy key.
FIRST_DEPLOY_KEY = "host-deploy-key"


def release() -> DebianRelease:
    version = os.environ.get("REAL_SERVER_DEBIAN", "13")
    if not version.isdigit() or int(version) not in RELEASES:
        raise pytest.UsageError(f"REAL_SERVER_DEBIAN={version}: allowed {', '.join(map(str, RELEASES))}")
    return RELEASES[int(version)]


def why_not_here() -> str | None:
    if os.geteuid() != 0:
        return "needs root (network namespaces, systemd-nspawn, loop devices)"
    missing = missing_host_tools()
    if missing:
        return f"needs {', '.join(missing)} (.ci/install-system-packages installs them)"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    reason = why_not_here()
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.server)
            item.add_marker(pytest.mark.timeout(SESSION_TIMEOUT))
            if reason and os.environ.get("REAL_SERVER") != "required":
                item.add_marker(pytest.mark.skip(reason=f"real-server tier {reason}"))


@dataclass(frozen=True)
class KeyPair:
    private_file: Path
    public_key: str


def key_pair(directory: Path, name: str) -> KeyPair:
    private = directory / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(private)], check=True)
    return KeyPair(private, (directory / f"{name}.pub").read_text().strip())


class RehearsalMocks(ApplyMocks):
    """ApplyMocks with real keys, as the TLS provider hands them back (with a trailing newline): the session's deploy
    key for the first deploy key, and a key of its own for every other (a rotated deploy key), the same one in every
    recording of the session."""

    def __init__(self, deploy_key: KeyPair) -> None:
        super().__init__()
        self.deploy_key = deploy_key

    def key_named(self, name: str) -> KeyPair:
        if name == FIRST_DEPLOY_KEY:
            return self.deploy_key
        directory, file_name = self.deploy_key.private_file.parent, f"{self.deploy_key.private_file.name}-{name}"
        if not (directory / file_name).exists():
            return key_pair(directory, file_name)
        return KeyPair(directory / file_name, (directory / f"{file_name}.pub").read_text().strip())

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        if args.typ == "tls:index/privateKey:PrivateKey":
            key = self.key_named(args.name)
            private = key.private_file.read_text()
            state.update(publicKeyOpenssh=key.public_key + "\n", privateKeyOpenssh=private)
            self.generated[args.name] = private
        return resource_id, state


@dataclass
class Deployment:
    recording: RecordedStack
    machine: Machine
    client: Client
    rehearsal: Rehearsal
    root: Root
    """Commands as root over SSH with the deploy key, as the program's steps run."""
    deploy_key: KeyPair
    admin_key: KeyPair
    age: AgeKeys
    """The backups' key pair; the restore test plays the operator, who holds the identity."""
    s3: S3
    ban_after_hardening: str
    """What ban_blocks said right after the hardening step, before anything else was installed."""

    def output(self, name: str) -> Any:
        return reveal(self.recording.outputs[name])

    def step_input(self, step: str, name: str) -> str:
        """A non-secret input of a step, as its command line sends it."""
        assignment = next(part for part in str(reveal(self.recording.named(step).inputs)["create"]).split()
                          if part.startswith(f"{name}="))  # fmt: skip
        return assignment.split("=", 1)[1]


def sshd_banner(port: int) -> bytes:
    """What a new connection to 127.0.0.1:`port` reads first; empty when nothing answers within 10 s."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.settimeout(10)
        try:
            return connection.recv(64)
        except (TimeoutError, ConnectionResetError):
            return b""


def ban_blocks(machine: Machine, client: Client, deploy_key: KeyPair, admin_key: KeyPair) -> str:
    """Fail to log in once more than the jail allows, then try the right key: "blocked" when the ban keeps that
    connection from even getting sshd's banner, otherwise what happened. Unbans at the end."""

    def connects() -> bool:
        return client.run("root", deploy_key.private_file, "true", timeout=30).returncode == 0

    if not connects():
        return "the deploy key could not log in before the test"
    attempts = int(machine.inside("fail2ban-client get sshd maxretry").stdout) + 1
    try:
        for attempt in range(attempts):
            # The last attempts may meet the ban already: the connection then hangs before sshd's banner.
            with contextlib.suppress(subprocess.TimeoutExpired):
                subprocess.run(["ssh", *client.options(admin_key.private_file), f"intruder{attempt}@127.0.0.1", "true"],
                               capture_output=True, check=False, timeout=20)  # fmt: skip
        deadline = time.monotonic() + 30
        while CLIENT_ADDRESS not in machine.inside("fail2ban-client status sshd").stdout:
            if time.monotonic() > deadline:
                return f"not banned after {attempts} failed logins"
            time.sleep(1)
        # fail2ban lists a ban before its actions run, and the first ban of a jail starts its action (creates
        # the nftables table) on demand: the block may follow the listing by a moment
        # (fail2ban/fail2ban@1.0.2:fail2ban/server/actions.py:501-513, action.py:512-540).
        deadline = time.monotonic() + 30
        while (banner := sshd_banner(machine.port)).startswith(b"SSH-") or connects():
            if time.monotonic() > deadline:
                return f"banned, yet sshd still answers 30 s later: {banner!r}"
            time.sleep(1)
        return "blocked"
    finally:
        machine.inside("fail2ban-client unban --all")
        if not connects():
            raise AssertionError("the deploy key cannot log in after the unban")


def seed(recording: RecordedStack) -> Seed:
    """The server's name, user data and the public keys of the stack's `SshKey`s, as Hetzner hands them over."""
    server = reveal(recording.named("host-server").inputs)
    keys = tuple(reveal(key.inputs)["publicKey"] for key in recording.of_type("hcloud:index/sshKey:SshKey"))
    return Seed(server["name"], server["userData"], keys)


def session_changes(admin_key: KeyPair, age: AgeKeys) -> dict[str, Any]:
    """What the session changes of the production stack: the rehearsal's admin key and the backups' recipient.
    A test recording the stack again with more changes starts from these."""
    return {"adminSshKeys": [{"name": "rehearsal", "publicKey": admin_key.public_key}],
            "backups": {"ageRecipient": age.recipient}}  # fmt: skip


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    directory = tmp_path_factory.mktemp("rehearsal")
    deploy_key, admin_key, age = key_pair(directory, "deploy"), key_pair(directory, "admin"), age_keys(directory)
    recording = record(STACK, session_changes(admin_key, age), mocks=RehearsalMocks(deploy_key))
    attachments = recording.of_type("hcloud:index/volumeAttachment:VolumeAttachment")
    images = [volume_image(attachment, directory) for attachment in attachments]
    with booted(release(), seed(recording), loop_images=images) as machine:
        client = Client(machine, str(recording.outputs["ipv4Address"]), directory)
        root = Root(client, deploy_key.private_file)
        rehearsal = Rehearsal(recording, client)
        s3 = S3(machine, sys.executable, directory, endpoint_host(str(recording.outputs["backupEndpoint"])))
        s3.start()
        try:
            devices = {str(reveal(attachment.inputs)["volumeId"]): device
                       for attachment, device in zip(attachments, machine.devices, strict=True)}  # fmt: skip
            stand_ins(rehearsal, root, Images(machine, root), s3, devices)
            bans: list[str] = []
            rehearsal.after_step["host-harden-host"] = lambda: bans.append(
                ban_blocks(machine, client, deploy_key, admin_key)
            )
            rehearsal.run_all()
            yield Deployment(recording, machine, client, rehearsal, root, deploy_key, admin_key, age, s3, bans[0])
        finally:
            s3.stop()
