"""The smoke check's SSH leg against a real sshd on 127.0.0.1: the host key from the stack's outputs, no other."""

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR
from tests.sshd import SshServer


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Path]:
    """An ssh-agent, which is how the deploy job hands the smoke check its key."""
    socket_path = tmp_path / "agent.sock"
    process = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket_path)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not socket_path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield socket_path
    process.terminate()
    process.wait(timeout=10)


def smoke_over_ssh(server: SshServer, host_key: str | None, agent: Path) -> subprocess.CompletedProcess[str]:
    """Coolify's health as the server would answer it: the forced command stands in for curl."""
    public = (server.directory / "client_key.pub").read_text().split()
    (server.directory / "authorized_keys").write_text(f'restrict,command="true" {public[0]} {public[1]}\n')
    environment = {"PATH": os.environ["PATH"], "SSH_AUTH_SOCK": str(agent), "ATTEMPTS": "2", "DELAY": "0.1",
                   "SSH_TARGET": f"{server.user}@127.0.0.1", "SSH_PORT": str(server.port)}  # fmt: skip
    subprocess.run(["ssh-add", "-q", str(server.directory / "client_key")], env=environment, check=True)
    if host_key is not None:
        environment["SSH_HOST_KEY"] = host_key
    return subprocess.run(
        [str(PROJECT_DIR / ".ci" / "smoke-check")], env=environment, capture_output=True, text=True, check=False
    )


def test_coolify_is_checked_on_the_server_with_the_recorded_host_key(ssh_server: SshServer, agent: Path) -> None:
    ssh_server.start()
    host_key = " ".join((ssh_server.directory / "host_key.pub").read_text().split()[:2])
    result = smoke_over_ssh(ssh_server, host_key, agent)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "smoke-check: coolify is healthy\n"


def test_a_server_with_another_host_key_is_never_trusted(ssh_server: SshServer, agent: Path, tmp_path: Path) -> None:
    ssh_server.start()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True)
    result = smoke_over_ssh(ssh_server, " ".join((tmp_path / "other.pub").read_text().split()[:2]), agent)
    assert result.returncode == 1
    assert result.stderr == "smoke-check: coolify did not answer with 2xx after 2 attempts\n"


def test_without_the_host_key_nothing_is_tried(ssh_server: SshServer, agent: Path) -> None:
    result = smoke_over_ssh(ssh_server, None, agent)
    assert result.returncode == 2
    assert result.stderr == (
        "smoke-check: SSH_HOST_KEY must be the server's host key (pulumi stack output serverHostKey)\n"
    )
