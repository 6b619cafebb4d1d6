"""harden-host.sh in a sandbox: what it writes, that a second run changes nothing, that it never locks out."""

from components.coolify import harden_inputs
from tests.components.scripts.conftest import Sandbox

ALICE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2FAAB9YEE4rEw/DUJHbOGWax1rVeqX1KJVEd60ESW7 alice@example.com"
BOB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIO4Nfmou0qSZck/EI1bcb3SVzR9h4TQDDcPmUwSwSBh bob@example.com"
STATE_CHANGING = ("apt-get", "systemctl enable", "systemctl reload", "systemctl try-reload", "useradd", "chown")


def state_changes(calls: list[str]) -> list[str]:
    return [call for call in calls if call.startswith(STATE_CHANGING)]


def test_first_run_hardens_the_host(sandbox: Sandbox) -> None:
    result = sandbox.run("harden-host.sh", harden_inputs("ops", [ALICE]))
    assert result.returncode == 0, result.stderr
    root = sandbox.root
    assert (root / "etc/ssh/sshd_config.d/10-hetzner-coolify.conf").read_text().count("PasswordAuthentication no") == 1
    assert "backend = systemd" in (root / "etc/fail2ban/jail.d/sshd.local").read_text()
    assert 'APT::Periodic::Unattended-Upgrade "1";' in (root / "etc/apt/apt.conf.d/20auto-upgrades").read_text()
    keys = root / "home/ops/.ssh/authorized_keys"
    assert keys.read_text() == f"{ALICE}\n"
    assert oct(keys.stat().st_mode & 0o777) == "0o600"
    assert (root / "etc/sudoers.d/90-ops").read_text() == "ops ALL=(ALL) NOPASSWD:ALL\n"
    assert oct((root / "etc/sudoers.d/90-ops").stat().st_mode & 0o777) == "0o440"
    calls = sandbox.calls()
    assert any(call.startswith("apt-get") and "fail2ban" in call and "unattended-upgrades" in call for call in calls)
    assert "sshd -t" in calls
    assert "systemctl try-reload-or-restart ssh.service" in calls
    assert "systemctl enable --now fail2ban" in calls
    assert "useradd --create-home --shell /bin/bash ops" in calls


def test_second_run_changes_nothing(sandbox: Sandbox) -> None:
    inputs = harden_inputs("ops", [ALICE, BOB])
    assert sandbox.run("harden-host.sh", inputs).returncode == 0
    after_first = sandbox.tree()
    second = sandbox.run("harden-host.sh", inputs)
    assert second.returncode == 0, second.stderr
    assert sandbox.tree() == after_first
    assert state_changes(sandbox.calls()) == []
    assert "host hardened (0 files changed)" in second.stderr


def test_a_new_admin_key_changes_only_the_keys(sandbox: Sandbox) -> None:
    assert sandbox.run("harden-host.sh", harden_inputs("ops", [ALICE])).returncode == 0
    before = sandbox.tree()
    result = sandbox.run("harden-host.sh", harden_inputs("ops", [ALICE, BOB]))
    assert result.returncode == 0
    changed = {path for path in sandbox.tree() if sandbox.tree()[path] != before.get(path)}
    assert changed == {"home/ops/.ssh/authorized_keys"}
    assert state_changes(sandbox.calls()) == ["chown -R ops:ops " + str(sandbox.root / "home/ops/.ssh")]


def test_an_sshd_config_that_does_not_validate_is_rolled_back(sandbox: Sandbox) -> None:
    assert sandbox.run("harden-host.sh", harden_inputs("ops", [ALICE])).returncode == 0
    drop_in = sandbox.root / "etc/ssh/sshd_config.d/10-hetzner-coolify.conf"
    good = drop_in.read_text()
    broken = harden_inputs("ops", [ALICE])
    broken["SSHD_CONFIG"] = "NotAKeyword yes\n"
    result = sandbox.run("harden-host.sh", {**broken, "SSHD_CONFIG_VALID": "no"})
    assert result.returncode == 1
    assert "error: the new sshd configuration does not validate; the previous one is kept" in result.stderr
    assert drop_in.read_text() == good
    assert not any("reload" in call for call in sandbox.calls())


def test_bad_input_changes_nothing(sandbox: Sandbox) -> None:
    before = sandbox.tree()
    result = sandbox.run("harden-host.sh", harden_inputs("Not A User", [ALICE]))
    assert result.returncode == 1
    assert "error: ADMIN_USER 'Not A User' is not a valid user name" in result.stderr
    assert sandbox.tree() == before
    missing = harden_inputs("ops", [ALICE])
    del missing["FAIL2BAN_JAIL"]
    assert "error: FAIL2BAN_JAIL is not set" in sandbox.run("harden-host.sh", missing).stderr


def test_no_admin_key_is_refused_before_anything_changes(sandbox: Sandbox) -> None:
    before = sandbox.tree()
    result = sandbox.run("harden-host.sh", harden_inputs("ops", []))
    assert result.returncode == 1
    assert "error: ADMIN_KEYS is not set" in result.stderr
    assert sandbox.tree() == before
