"""A throwaway sshd for the current user on 127.0.0.1: what connects to a server over SSH meets a real daemon."""

import getpass
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
# sshd refuses to run, even for -t and -T, without its privilege separation directory; the ssh service
# creates it when it starts (RuntimeDirectory=sshd), so a machine whose sshd never ran lacks it.
PRIVILEGE_SEPARATION_DIR = Path("/run/sshd")


def require_sshd() -> None:
    if not Path(SSHD).exists():
        pytest.fail("sshd is missing: install openssh-server (.ci/install-system-packages does)")
    PRIVILEGE_SEPARATION_DIR.mkdir(mode=0o755, exist_ok=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SshServer:
    """An sshd for the current user, on a loopback port; start() may come later than the client."""

    directory: Path
    port: int
    user: str
    private_key: str
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with (self.directory / "sshd.log").open("wb") as log:
            self.process = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(self.directory / "sshd_config")], stdout=subprocess.DEVNULL, stderr=log
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"sshd did not start: {(self.directory / 'sshd.log').read_text()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


@pytest.fixture
def ssh_server(tmp_path: Path) -> Iterator[SshServer]:
    require_sshd()
    _keygen(tmp_path / "host_key")
    _keygen(tmp_path / "client_key")
    (tmp_path / "authorized_keys").write_text((tmp_path / "client_key.pub").read_text())
    (tmp_path / "authorized_keys").chmod(0o600)
    port = free_port()
    (tmp_path / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {tmp_path}/host_key\nPidFile {tmp_path}/sshd.pid\n"
        f"AuthorizedKeysFile {tmp_path}/authorized_keys\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
    )
    server = SshServer(tmp_path, port, getpass.getuser(), (tmp_path / "client_key").read_text())
    yield server
    server.stop()
