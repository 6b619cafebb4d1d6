"""wait-for-ssh.sh over a real SSH connection to a real sshd on 127.0.0.1."""

import subprocess
import threading
import time
from pathlib import Path

from tests.components.scripts.conftest import run_script
from tests.sshd import SshServer


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
    # A temporary directory of this run's own, which nothing else running at the same time writes to.
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = run_script("wait-for-ssh.sh", client_env(ssh_server, READY_COMMAND="true", TMPDIR=str(scratch)))
    assert result.returncode == 0
    assert list(scratch.iterdir()) == []
    assert ssh_server.private_key not in result.stderr + result.stdout


def host_key_of(server: SshServer) -> str:
    """`ssh-ed25519 <key>` of the server, as pulumi-command's host_key takes it."""
    return " ".join((server.directory / "host_key.pub").read_text().split()[:2])


def test_first_contact_prints_the_servers_host_key_and_nothing_else(ssh_server: SshServer) -> None:
    ssh_server.start()
    result = run_script("wait-for-ssh.sh", client_env(ssh_server, READY_COMMAND="echo ready-output"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{host_key_of(ssh_server)}\n"
    assert "first contact: its host key is recorded from now on" in result.stderr
    # What the server says goes to the log, never into the recorded key.
    assert "ready-output" in result.stderr


def test_a_later_run_accepts_the_recorded_key(ssh_server: SshServer) -> None:
    ssh_server.start()
    recorded = host_key_of(ssh_server)
    result = run_script("wait-for-ssh.sh", client_env(ssh_server, READY_COMMAND="true", PULUMI_COMMAND_STDOUT=recorded))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{recorded}\n"
    assert "with the host key recorded at first contact" in result.stderr


def test_a_server_with_another_host_key_is_refused_at_once_and_sent_nothing(
    ssh_server: SshServer, tmp_path: Path
) -> None:
    """An impostor at the server's address (or a server rebuilt behind the stack's back): no retries, no
    READY_COMMAND, no key printed for later steps to pin."""
    ssh_server.start()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "recorded")], check=True)
    recorded = " ".join((tmp_path / "recorded.pub").read_text().split()[:2])
    marker = tmp_path / "ran"
    started = time.monotonic()
    result = run_script(
        "wait-for-ssh.sh",
        client_env(ssh_server, READY_COMMAND=f"touch {marker}", PULUMI_COMMAND_STDOUT=recorded, DELAY="5"),
    )
    assert result.returncode == 1
    assert time.monotonic() - started < 5
    assert not marker.exists()
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == (
        f"[wait-for-ssh] error: 127.0.0.1:{ssh_server.port} offers another host key than the one recorded at first "
        f"contact ({recorded}): refusing to send it anything. If the server was rebuilt on purpose, replace this "
        "step (pulumi up --replace <its URN>) to trust its new key"
    )


def test_a_recorded_value_that_is_not_a_host_key_is_refused(ssh_server: SshServer) -> None:
    ssh_server.start()
    result = run_script(
        "wait-for-ssh.sh", client_env(ssh_server, PULUMI_COMMAND_STDOUT=f"{host_key_of(ssh_server)}\nssh-rsa AAAA")
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "[wait-for-ssh] error: the host key recorded for 127.0.0.1 is not an ed25519 public key; replace this step "
        "to trust the server afresh"
    )
