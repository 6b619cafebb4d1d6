"""harden-host.sh in a sandbox: what it writes, that a second run changes nothing, that it never locks out."""

from pathlib import Path

from components.server import harden_inputs
from tests.components.scripts.conftest import Sandbox

ALICE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2FAAB9YEE4rEw/DUJHbOGWax1rVeqX1KJVEd60ESW7 alice@example.com"
BOB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIO4Nfmou0qSZck/EI1bcb3SVzR9h4TQDDcPmUwSwSBh bob@example.com"
DEPLOY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKmLz3kqz8r5mQeF1hC0Tq9mT0dX6uYv8sJ2wN4pR7bY deploy"
TRUSTED = ["172.20.0.0/14"]
COOLIFY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPq2Tz6vW8xY0aB4cD6eF8gH0iJ2kL4mN6oP8qR0sT2u coolify"
HARDENING_PACKAGES = ("fail2ban", "python3-systemd", "nftables", "unattended-upgrades")
STATE_CHANGING = (
    "apt-get",
    "systemctl enable",
    "systemctl reload",
    "systemctl restart",
    "systemctl try-reload",
    "useradd",
    "chown",
)


def state_changes(calls: list[str]) -> list[str]:
    return [call for call in calls if call.startswith(STATE_CHANGING)]


def test_first_run_hardens_the_host(sandbox: Sandbox) -> None:
    result = sandbox.run("harden-host.sh", harden_inputs("ops", [ALICE], DEPLOY, TRUSTED))
    assert result.returncode == 0, result.stderr
    root = sandbox.root
    assert (root / "etc/ssh/sshd_config.d/10-hetzner-coolify.conf").read_text().count("PasswordAuthentication no") == 1
    jail = (root / "etc/fail2ban/jail.d/sshd.local").read_text()
    assert "backend = systemd" in jail and "\nignoreip = 127.0.0.1/8 ::1 172.20.0.0/14\n" in jail
    assert 'APT::Periodic::Unattended-Upgrade "1";' in (root / "etc/apt/apt.conf.d/20auto-upgrades").read_text()
    keys = root / "home/ops/.ssh/authorized_keys"
    assert keys.read_text() == f"{ALICE}\n"
    assert oct(keys.stat().st_mode & 0o777) == "0o600"
    assert (root / "etc/sudoers.d/90-ops").read_text() == "ops ALL=(ALL) NOPASSWD:ALL\n"
    assert oct((root / "etc/sudoers.d/90-ops").stat().st_mode & 0o777) == "0o440"
    calls = sandbox.calls()
    assert any(
        call.startswith("apt-get") and " install " in call and all(name in call for name in HARDENING_PACKAGES)
        for call in calls
    )
    assert "sshd -t" in calls
    assert "systemctl try-reload-or-restart ssh.service" in calls
    assert "systemctl enable --now fail2ban" in calls
    assert "systemctl restart fail2ban" in calls
    assert "useradd --create-home --shell /bin/bash ops" in calls


def test_second_run_changes_nothing(sandbox: Sandbox) -> None:
    inputs = harden_inputs("ops", [ALICE, BOB], DEPLOY, TRUSTED)
    assert sandbox.run("harden-host.sh", inputs).returncode == 0
    after_first = sandbox.tree()
    second = sandbox.run("harden-host.sh", inputs)
    assert second.returncode == 0, second.stderr
    assert sandbox.tree() == after_first
    assert state_changes(sandbox.calls()) == []
    assert "host hardened (0 files changed)" in second.stderr


def test_a_new_admin_key_changes_only_the_keys(sandbox: Sandbox) -> None:
    assert sandbox.run("harden-host.sh", harden_inputs("ops", [ALICE], DEPLOY, TRUSTED)).returncode == 0
    before = sandbox.tree()
    result = sandbox.run("harden-host.sh", harden_inputs("ops", [ALICE, BOB], DEPLOY, TRUSTED))
    assert result.returncode == 0
    changed = {path for path in sandbox.tree() if sandbox.tree()[path] != before.get(path)}
    assert changed == {"home/ops/.ssh/authorized_keys", "root/.ssh/authorized_keys"}
    assert state_changes(sandbox.calls()) == ["chown -R ops:ops " + str(sandbox.root / "home/ops/.ssh")]


def test_an_sshd_config_that_does_not_validate_is_rolled_back(sandbox: Sandbox) -> None:
    assert sandbox.run("harden-host.sh", harden_inputs("ops", [ALICE], DEPLOY, TRUSTED)).returncode == 0
    drop_in = sandbox.root / "etc/ssh/sshd_config.d/10-hetzner-coolify.conf"
    good = drop_in.read_text()
    broken = harden_inputs("ops", [ALICE], DEPLOY, TRUSTED)
    broken["SSHD_CONFIG"] = "NotAKeyword yes\n"
    result = sandbox.run("harden-host.sh", {**broken, "SSHD_CONFIG_VALID": "no"})
    assert result.returncode == 1
    assert "error: the new sshd configuration does not validate; the previous one is kept" in result.stderr
    assert drop_in.read_text() == good
    assert not any("reload" in call for call in sandbox.calls())


def test_bad_input_changes_nothing(sandbox: Sandbox) -> None:
    before = sandbox.tree()
    result = sandbox.run("harden-host.sh", harden_inputs("Not A User", [ALICE], DEPLOY, TRUSTED))
    assert result.returncode == 1
    assert "error: ADMIN_USER 'Not A User' is not a valid user name" in result.stderr
    assert sandbox.tree() == before
    missing = harden_inputs("ops", [ALICE], DEPLOY, TRUSTED)
    del missing["FAIL2BAN_JAIL"]
    assert "error: FAIL2BAN_JAIL is not set" in sandbox.run("harden-host.sh", missing).stderr


def test_no_admin_key_is_refused_before_anything_changes(sandbox: Sandbox) -> None:
    before = sandbox.tree()
    result = sandbox.run("harden-host.sh", harden_inputs("ops", [], DEPLOY, TRUSTED))
    assert result.returncode == 1
    assert "error: ADMIN_KEYS is not set" in result.stderr
    assert sandbox.tree() == before


def key_only(line: str) -> str:
    return " ".join(line.split()[:2])


def root_keys(sandbox: Sandbox) -> list[str]:
    return (sandbox.root / "root/.ssh/authorized_keys").read_text().splitlines()


def test_root_keeps_the_stacks_keys_in_a_block_and_coolifys_beside_it(sandbox: Sandbox) -> None:
    keys = sandbox.root / "root/.ssh/authorized_keys"
    keys.parent.mkdir(parents=True)
    # What Hetzner put there at creation, then Coolify's installer.
    keys.write_text(f"{ALICE}\n{DEPLOY}\n{COOLIFY}\n")
    assert sandbox.run("harden-host.sh", harden_inputs("ops", [ALICE], DEPLOY, TRUSTED)).returncode == 0
    assert root_keys(sandbox) == [
        COOLIFY,
        "# BEGIN root keys managed by Pulumi, edits here are overwritten",
        key_only(ALICE),
        key_only(DEPLOY),
        "# END root keys managed by Pulumi",
    ]
    assert oct(keys.stat().st_mode & 0o777) == "0o600"
    tree = sandbox.tree()
    assert sandbox.run("harden-host.sh", harden_inputs("ops", [ALICE], DEPLOY, TRUSTED)).returncode == 0
    assert sandbox.tree() == tree


def test_a_removed_admin_key_loses_root_and_a_new_one_gains_it(sandbox: Sandbox) -> None:
    keys = sandbox.root / "root/.ssh/authorized_keys"
    keys.parent.mkdir(parents=True)
    keys.write_text(f"{ALICE}\n{DEPLOY}\n{COOLIFY}\n")
    assert sandbox.run("harden-host.sh", harden_inputs("ops", [ALICE], DEPLOY, TRUSTED)).returncode == 0
    assert sandbox.run("harden-host.sh", harden_inputs("ops", [BOB], DEPLOY, TRUSTED)).returncode == 0
    lines = root_keys(sandbox)
    assert key_only(BOB) in lines and key_only(DEPLOY) in lines and COOLIFY in lines
    assert not any(line.startswith(" ".join(ALICE.split()[:2])) for line in lines)
    assert (sandbox.root / "home/ops/.ssh/authorized_keys").read_text() == f"{BOB}\n"


def coolify_installer_edits(keys: Path) -> None:
    """What Coolify's installer does to root's keys on its first run: every line containing "coolify" goes, then
    its own key is appended (coollabsio/coolify@v4.3.10:scripts/install.sh:905-908)."""
    kept = [line for line in keys.read_text().splitlines() if "coolify" not in line]
    keys.write_text("".join(f"{line}\n" for line in [*kept, COOLIFY]))


def test_coolifys_installer_leaves_the_managed_block_whole(sandbox: Sandbox) -> None:
    alice_at_coolify = ALICE.replace("alice@example.com", "alice@coolify-laptop")
    assert sandbox.run("harden-host.sh", harden_inputs("ops", [alice_at_coolify], DEPLOY, TRUSTED)).returncode == 0
    keys = sandbox.root / "root/.ssh/authorized_keys"
    coolify_installer_edits(keys)
    tree = sandbox.tree()
    second = sandbox.run("harden-host.sh", harden_inputs("ops", [alice_at_coolify], DEPLOY, TRUSTED))
    assert "host hardened (0 files changed)" in second.stderr
    assert sandbox.tree() == tree
    # A key removed from the stack after Coolify's install loses root.
    assert sandbox.run("harden-host.sh", harden_inputs("ops", [BOB], DEPLOY, TRUSTED)).returncode == 0
    assert key_only(ALICE) not in keys.read_text()
    assert COOLIFY in root_keys(sandbox)


def test_a_block_under_the_earlier_markers_is_replaced(sandbox: Sandbox) -> None:
    keys = sandbox.root / "root/.ssh/authorized_keys"
    keys.parent.mkdir(parents=True)
    earlier = ["# BEGIN keys managed by hetzner-coolify, edits here are overwritten", ALICE, DEPLOY,
               "# END keys managed by hetzner-coolify"]  # fmt: skip
    keys.write_text("".join(f"{line}\n" for line in [COOLIFY, *earlier]))
    assert sandbox.run("harden-host.sh", harden_inputs("ops", [BOB], DEPLOY, TRUSTED)).returncode == 0
    assert root_keys(sandbox) == [
        COOLIFY,
        "# BEGIN root keys managed by Pulumi, edits here are overwritten",
        key_only(BOB),
        key_only(DEPLOY),
        "# END root keys managed by Pulumi",
    ]


def root_key_lines(sandbox: Sandbox) -> list[str]:
    return [line for line in (sandbox.root / "root/.ssh/authorized_keys").read_text().splitlines() if line[:1] != "#"]


def test_a_rotated_deploy_key_joins_the_previous_one_which_the_next_rotation_drops(sandbox: Sandbox) -> None:
    """Rotation 1: the handover appended the new key outside the block; the hardening moves it into the block, next to
    the previous key. Rotation 2: the first key leaves root's keys."""
    alice, first, second, third = (" ".join(key.split()[:2]) for key in (ALICE, DEPLOY, COOLIFY, BOB))
    assert sandbox.run("harden-host.sh", harden_inputs("ops", [ALICE], DEPLOY, TRUSTED)).returncode == 0
    keys = sandbox.root / "root/.ssh/authorized_keys"
    keys.write_text(f"{keys.read_text()}{second}\n")
    assert sandbox.run("harden-host.sh", harden_inputs("ops", [ALICE], second, TRUSTED, first)).returncode == 0
    assert root_key_lines(sandbox) == [alice, second, first]
    keys.write_text(f"{keys.read_text()}{third}\n")
    assert sandbox.run("harden-host.sh", harden_inputs("ops", [ALICE], third, TRUSTED, second)).returncode == 0
    assert root_key_lines(sandbox) == [alice, third, second]
