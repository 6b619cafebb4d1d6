"""wait-for-ssh.sh over a real SSH connection to a real sshd on 127.0.0.1."""

import subprocess
import threading
import time
from pathlib import Path

from tests.components.scripts.conftest import SshServer, run_script


def client_env(server: SshServer, **extra: str) -> dict[str, str]:
    return {
        "SSH_HOST": "127.0.0.1",
        "SSH_PORT": str(server.port),
        "SSH_USER": server.user,
        "SSH_PRIVATE_KEY": server.private_key,
        **extra,
    }


def test_connects_and_runs_the_ready_command(ssh_server: SshServer, tmp_path: Path) -> None:
    ssh_server.start()
    marker = tmp_path / "ran"
    result = run_script("wait-for-ssh.sh", client_env(ssh_server, READY_COMMAND=f"touch {marker}"))
    assert result.returncode == 0, result.stderr
    assert marker.exists()
    assert "[wait-for-ssh] SSH answers on 127.0.0.1" in result.stderr
    assert "not ready" not in result.stderr


def test_retries_until_the_daemon_comes_up(ssh_server: SshServer) -> None:
    starter = threading.Timer(2.0, ssh_server.start)
    starter.start()
    started = time.monotonic()
    result = run_script("wait-for-ssh.sh", client_env(ssh_server, ATTEMPTS="40", DELAY="0.25", READY_COMMAND="true"))
    starter.join()
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started >= 2.0
    assert "not ready (attempt 1 of 40); retrying in 0.25s" in result.stderr
    assert "[wait-for-ssh] server ready" in result.stderr


def test_gives_up_after_the_bounded_attempts(ssh_server: SshServer) -> None:
    result = run_script("wait-for-ssh.sh", client_env(ssh_server, ATTEMPTS="3", DELAY="0.1"))
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"[wait-for-ssh] error: SSH on 127.0.0.1:{ssh_server.port} did not answer after 3 attempts:")
    assert "Connection refused" in last


def test_a_wrong_key_is_refused_not_waited_for_forever(ssh_server: SshServer, tmp_path: Path) -> None:
    ssh_server.start()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True)
    env = client_env(ssh_server, ATTEMPTS="2", DELAY="0.1")
    env["SSH_PRIVATE_KEY"] = (tmp_path / "other").read_text()
    result = run_script("wait-for-ssh.sh", env)
    assert result.returncode == 1
    assert "Permission denied" in result.stderr


def test_a_failing_ready_command_fails_the_step(ssh_server: SshServer) -> None:
    ssh_server.start()
    result = run_script("wait-for-ssh.sh", client_env(ssh_server, READY_COMMAND="exit 3"))
    assert result.returncode == 1
    assert result.stderr.strip().endswith("error: the server did not become ready: exit 3 failed")


def test_the_key_never_outlives_the_run(ssh_server: SshServer, tmp_path: Path) -> None:
    ssh_server.start()
    before = set(Path("/tmp").iterdir())
    result = run_script("wait-for-ssh.sh", client_env(ssh_server, READY_COMMAND="true"))
    assert result.returncode == 0
    leftovers = [path for path in set(Path("/tmp").iterdir()) - before if (path / "key").exists()]
    assert leftovers == []
    assert ssh_server.private_key not in result.stderr + result.stdout
