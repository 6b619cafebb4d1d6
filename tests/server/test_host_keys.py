"""Host keys on a booted Debian machine: first contact records the machine's own key, and once the machine offers
another one, every connection `pulumi up` makes refuses it: wait-for-ssh, the remote steps, the Docker provider."""

import contextlib
import subprocess
from collections.abc import Iterator

from components.service_containers import docker_ssh_options
from tests.server.conftest import Deployment
from tests.server.machine import Machine

HOST_KEY = "/etc/ssh/ssh_host_ed25519_key"


def recorded_host_key(deployment: Deployment) -> str:
    return deployment.rehearsal.runs["host-wait-for-ssh"].stdout.removesuffix("\n")


def docker_ssh(deployment: Deployment) -> subprocess.CompletedProcess[str]:
    """ssh as the Docker provider runs it, with the options the stack gives it."""
    options = docker_ssh_options(str(deployment.deploy_key.private_file), recorded_host_key(deployment))
    return subprocess.run(
        ["ssh", "-p", str(deployment.machine.port), "-o", "BatchMode=yes", *options,
         "root@127.0.0.1", "docker", "version"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


@contextlib.contextmanager
def another_host_key(machine: Machine) -> Iterator[None]:
    """The machine answers with a new ed25519 host key, as an impostor at its address would; then its own again."""
    machine.inside(f"mkdir -p /root/host-key && cp -a {HOST_KEY} {HOST_KEY}.pub /root/host-key/")
    try:
        machine.inside(f"rm -f {HOST_KEY} {HOST_KEY}.pub && ssh-keygen -q -t ed25519 -N '' -f {HOST_KEY}")
        machine.inside("systemctl restart ssh")
        yield
    finally:
        machine.inside("cp -a /root/host-key/. /etc/ssh/ && rm -rf /root/host-key && systemctl restart ssh")


def test_first_contact_recorded_the_machines_own_host_key(deployment: Deployment) -> None:
    own = deployment.machine.inside(f"cut -d' ' -f1,2 {HOST_KEY}.pub").stdout.strip()
    assert recorded_host_key(deployment) == own
    docker = docker_ssh(deployment)
    assert docker.returncode == 0, docker.stderr


def test_a_changed_host_key_is_refused_by_every_connection(deployment: Deployment) -> None:
    rehearsal, recording = deployment.rehearsal, deployment.recording
    with another_host_key(deployment.machine):
        waited = rehearsal.update(recording.named("host-wait-for-ssh"))
        assert waited.returncode == 1
        assert "offers another host key than the one recorded at first contact" in waited.stderr
        assert waited.stdout == ""
        hardened = rehearsal.update(recording.named("host-harden-host"))
        assert hardened.returncode == 255
        assert "Host key verification failed." in hardened.stderr
        docker = docker_ssh(deployment)
        assert docker.returncode == 255
        assert "Host key verification failed." in docker.stderr
    again = rehearsal.update(recording.named("host-wait-for-ssh"))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == recorded_host_key(deployment)
