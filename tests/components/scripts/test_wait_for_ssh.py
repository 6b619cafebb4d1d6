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


def rotated(server: SshServer, tmp_path: Path) -> dict[str, str]:
    """The client after a rotation of the deploy key: a new key of its own, the server's key as the previous one,
    and the handover aimed at the file this sshd reads."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "new")], check=True)
    return client_env(
        server,
        READY_COMMAND="true",
        PULUMI_COMMAND_STDOUT=host_key_of(server),
        SSH_PRIVATE_KEY=(tmp_path / "new").read_text(),
        SSH_PREVIOUS_PRIVATE_KEY=server.private_key,
        AUTHORIZED_KEYS_FILE=str(server.directory / "authorized_keys"),
    )


def logs_in(server: SshServer, private_key: Path) -> bool:
    return (
        subprocess.run(
            ["ssh", "-n", "-i", str(private_key), "-p", str(server.port), "-o", "BatchMode=yes",
             "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
             "-o", "LogLevel=ERROR", f"{server.user}@127.0.0.1", "true"],
            check=False,
        ).returncode
        == 0
    )  # fmt: skip


def test_after_a_rotation_the_previous_key_hands_the_new_one_over(ssh_server: SshServer, tmp_path: Path) -> None:
    ssh_server.start()
    env = rotated(ssh_server, tmp_path)
    assert not logs_in(ssh_server, tmp_path / "new")
    result = run_script("wait-for-ssh.sh", env)
    assert result.returncode == 0, result.stderr
    assert "refused the deploy key and accepted the previous one: the deploy key is authorized now" in result.stderr
    assert result.stdout == f"{host_key_of(ssh_server)}\n"
    new_public = " ".join((tmp_path / "new.pub").read_text().split()[:2])
    assert (ssh_server.directory / "authorized_keys").read_text().splitlines()[-1] == new_public
    assert logs_in(ssh_server, tmp_path / "new")
    # The previous key is not taken away: the hardening decides what stays.
    assert logs_in(ssh_server, ssh_server.directory / "client_key")
    again = run_script("wait-for-ssh.sh", env)
    assert again.returncode == 0, again.stderr
    assert "accepted the previous one" not in again.stderr
    assert (ssh_server.directory / "authorized_keys").read_text().count(new_public) == 1


def test_no_handover_when_the_new_key_already_logs_in(ssh_server: SshServer, tmp_path: Path) -> None:
    ssh_server.start()
    env = rotated(ssh_server, tmp_path)
    # A server created after the rotation: Hetzner gave it the new key.
    (ssh_server.directory / "authorized_keys").write_text((tmp_path / "new.pub").read_text())
    before = (ssh_server.directory / "authorized_keys").read_text()
    result = run_script("wait-for-ssh.sh", env)
    assert result.returncode == 0, result.stderr
    assert "previous" not in result.stderr
    assert (ssh_server.directory / "authorized_keys").read_text() == before


def test_a_server_refusing_both_keys_fails_at_once_naming_the_rotation(ssh_server: SshServer, tmp_path: Path) -> None:
    ssh_server.start()
    env = rotated(ssh_server, tmp_path)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "older")], check=True)
    env |= {"SSH_PREVIOUS_PRIVATE_KEY": (tmp_path / "older").read_text(), "DELAY": "5"}
    before = (ssh_server.directory / "authorized_keys").read_text()
    started = time.monotonic()
    result = run_script("wait-for-ssh.sh", env)
    # A server met before: no retries, each of which would lengthen sshd's penalty for this address.
    assert time.monotonic() - started < 5
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == (
        f"[wait-for-ssh] error: {ssh_server.user}@127.0.0.1:{ssh_server.port} refuses both the deploy key and the "
        "previous one: rotation.deployKey goes up by one per `pulumi up`, and that up must have finished before the "
        "next raise; or the server's root keys were changed outside this stack"
    )
    assert (ssh_server.directory / "authorized_keys").read_text() == before


def test_the_handover_never_leaves_a_key_behind(ssh_server: SshServer, tmp_path: Path) -> None:
    ssh_server.start()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = rotated(ssh_server, tmp_path) | {"TMPDIR": str(scratch)}
    result = run_script("wait-for-ssh.sh", env)
    assert result.returncode == 0, result.stderr
    assert list(scratch.iterdir()) == []
    assert env["SSH_PRIVATE_KEY"] not in result.stderr + result.stdout
    assert ssh_server.private_key not in result.stderr + result.stdout


def test_a_new_server_refusing_both_keys_is_retried_then_fails_naming_the_rotation(
    ssh_server: SshServer, tmp_path: Path
) -> None:
    """First contact (no recorded host key): the server may still be booting."""
    ssh_server.start()
    env = rotated(ssh_server, tmp_path)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "older")], check=True)
    del env["PULUMI_COMMAND_STDOUT"]
    env |= {"SSH_PREVIOUS_PRIVATE_KEY": (tmp_path / "older").read_text(), "ATTEMPTS": "2", "DELAY": "0.1"}
    result = run_script("wait-for-ssh.sh", env)
    assert result.returncode == 1
    assert "not ready (attempt 1 of 2)" in result.stderr
    assert "refuses both the deploy key and the previous one" in result.stderr.strip().splitlines()[-1]
