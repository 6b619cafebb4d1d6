"""The sshd drop-in under the real sshd, and every shell script under shellcheck and bash -n."""

import shutil
import subprocess
from pathlib import Path

import pytest

from components.templates import TEMPLATE_DIR
from tests.components.scripts.conftest import SCRIPTS_DIR, STUBS_DIR
from tests.conftest import PROJECT_DIR
from tests.sshd import SSHD, require_sshd

STOCK_SSHD_CONFIG = Path("/usr/share/openssh/sshd_config")
SHELL_SCRIPTS = sorted(
    [*SCRIPTS_DIR.glob("*.sh"), *(path for path in (PROJECT_DIR / ".ci").iterdir() if path.suffix != ".txt"),
     *(path for path in STUBS_DIR.iterdir() if path.name != "_record"),
     *(PROJECT_DIR / "tests" / "server").rglob("*.sh")]
)  # fmt: skip


@pytest.fixture
def sshd_config(tmp_path: Path) -> Path:
    """Debian's stock sshd_config, its drop-ins in tmp_path: ours and the cloud image's own."""
    require_sshd()
    drop_ins = tmp_path / "sshd_config.d"
    drop_ins.mkdir()
    shutil.copy(TEMPLATE_DIR / "sshd-hardening.conf", drop_ins / "10-hetzner-coolify.conf")
    # What Ubuntu cloud images ship: it must lose against ours.
    (drop_ins / "50-cloud-init.conf").write_text("PasswordAuthentication yes\n")
    stock = STOCK_SSHD_CONFIG.read_text().replace("/etc/ssh/sshd_config.d/", f"{drop_ins}/")
    assert f"Include {drop_ins}/*.conf" in stock
    config = tmp_path / "sshd_config"
    config.write_text(stock)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "host_key")], check=True)
    return config


def sshd(config: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    host_key = config.parent / "host_key"
    return subprocess.run(
        [SSHD, "-f", str(config), "-h", str(host_key), *arguments], capture_output=True, text=True, check=False
    )


def test_the_drop_in_validates_with_the_stock_config(sshd_config: Path) -> None:
    result = sshd(sshd_config, "-t")
    assert result.returncode == 0, result.stderr


def test_the_effective_settings_are_hardened(sshd_config: Path) -> None:
    result = sshd(sshd_config, "-T", "-C", "user=root,host=client.example.com,addr=198.51.100.7")
    assert result.returncode == 0, result.stderr
    effective = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert effective["passwordauthentication"] == "no"
    assert effective["kbdinteractiveauthentication"] == "no"
    assert effective["permitrootlogin"] == "without-password"
    assert effective["authenticationmethods"] == "publickey"
    assert effective["permitemptypasswords"] == "no"
    accepted = {line.split(" ", 1)[1] for line in result.stdout.splitlines() if line.startswith("acceptenv ")}
    assert accepted >= {"ROOT_USERNAME", "ROOT_USER_EMAIL", "ROOT_USER_PASSWORD"}


def test_a_broken_drop_in_is_caught_by_sshd(sshd_config: Path) -> None:
    (sshd_config.parent / "sshd_config.d" / "10-hetzner-coolify.conf").write_text("PermitRootLogin perhaps\n")
    assert sshd(sshd_config, "-t").returncode != 0


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda path: str(path.relative_to(PROJECT_DIR)))
def test_shell_scripts_pass_shellcheck_and_parse(script: Path) -> None:
    checked = subprocess.run(
        ["shellcheck", "-x", "-e", "SC1091", str(script)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    if script.parent == SCRIPTS_DIR:
        assert "set -euo pipefail" in script.read_text() or script.name == "lib.sh"
