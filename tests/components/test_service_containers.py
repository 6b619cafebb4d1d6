"""The Docker provider's ssh options against a real sshd on 127.0.0.1: the recorded host key and no other."""

import subprocess
from pathlib import Path

from components.service_containers import docker_ssh_options
from tests.sshd import SshServer


def connect(server: SshServer, host_key: str, home: Path) -> subprocess.CompletedProcess[str]:
    """ssh as the Docker provider runs it: its options, then the destination and a command."""
    key_file = home / "client_key"
    key_file.write_text(server.private_key)
    key_file.chmod(0o600)
    return subprocess.run(
        ["ssh", "-p", str(server.port), "-o", "BatchMode=yes", *docker_ssh_options(str(key_file), host_key),
         f"{server.user}@127.0.0.1", "echo", "reached"],
        capture_output=True, text=True, check=False, timeout=30,
        # A known_hosts of the user's that trusts anything must not matter.
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def key_line(public_key_file: Path) -> str:
    return " ".join(public_key_file.read_text().split()[:2])


def test_the_recorded_host_key_is_accepted(ssh_server: SshServer, tmp_path: Path) -> None:
    ssh_server.start()
    result = connect(ssh_server, key_line(ssh_server.directory / "host_key.pub"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "reached\n"


def test_a_server_with_another_host_key_is_refused_whatever_known_hosts_says(
    ssh_server: SshServer, tmp_path: Path
) -> None:
    ssh_server.start()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "recorded")], check=True)
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "known_hosts").write_text(
        f"[127.0.0.1]:{ssh_server.port} {key_line(ssh_server.directory / 'host_key.pub')}\n"
    )
    result = connect(ssh_server, key_line(tmp_path / "recorded.pub"), tmp_path)
    assert result.returncode == 255
    assert "Host key verification failed." in result.stderr
    assert "reached" not in result.stdout
