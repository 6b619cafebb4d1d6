"""The hardened host, as the production stack's own steps left it on a booted Debian machine."""

import subprocess

from tests.server.conftest import Deployment

# Files whose content, mode or owner the steps manage; units and the services' processes.
SNAPSHOT = r"""
find /etc /root /home /usr/local -xdev \( -type f -o -type l \) -printf '%p %m %u %g ' \
  -exec sha256sum {} \; 2>/dev/null | awk '{print $1, $2, $3, $4, $5}' | sort
echo '--- units'
systemctl list-units --all --no-legend --plain | awk '{print $1, $2, $3, $4}' | sort
echo '--- services'
ps -eo pid=,ppid=,comm= | awk '$2 == 1 {print $1, $3}' | sort
"""


def snapshot(deployment: Deployment) -> list[str]:
    return deployment.machine.inside(SNAPSHOT).stdout.splitlines()


def test_a_second_hardening_changes_no_file_unit_or_process(deployment: Deployment) -> None:
    before = snapshot(deployment)
    run = deployment.rehearsal.step(deployment.recording.named("host-harden-host"))
    after = snapshot(deployment)
    assert "host hardened (0 files changed)" in run.stderr
    assert [line for line in after if line not in before] == []
    assert [line for line in before if line not in after] == []


def test_sshd_runs_with_the_hardened_settings(deployment: Deployment) -> None:
    effective = dict(
        line.split(" ", 1) for line in deployment.machine.inside("sshd -T").stdout.splitlines() if " " in line
    )
    assert {key: effective[key] for key in (
        "pubkeyauthentication", "passwordauthentication", "kbdinteractiveauthentication", "permitemptypasswords",
        "authenticationmethods", "permitrootlogin", "maxauthtries", "x11forwarding",
    )} == {
        "pubkeyauthentication": "yes", "passwordauthentication": "no", "kbdinteractiveauthentication": "no",
        "permitemptypasswords": "no", "authenticationmethods": "publickey", "permitrootlogin": "without-password",
        "maxauthtries": "4", "x11forwarding": "no",
    }  # fmt: skip


def test_keys_log_in_and_nothing_else_is_offered(deployment: Deployment) -> None:
    client = deployment.client
    without_keys = subprocess.run(
        ["ssh", *client.options(deployment.admin_key.private_file), "-o", "PubkeyAuthentication=no",
         "root@127.0.0.1", "true"], capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    # The methods the server still offers, in its own words: only keys.
    assert "Permission denied (publickey)." in without_keys.stderr
    root = client.run("root", deployment.deploy_key.private_file, "id -un")
    assert (root.returncode, root.stdout) == (0, "root\n")
    admin_user = deployment.step_input("host-harden-host", "ADMIN_USER")
    admin = client.run(admin_user, deployment.admin_key.private_file, "id -un && sudo -n id -un")
    assert (admin.returncode, admin.stdout) == (0, f"{admin_user}\nroot\n")
    # The admin key is root's too; the deploy key is not the admin user's.
    assert client.run("root", deployment.admin_key.private_file, "true").returncode == 0
    assert client.run(admin_user, deployment.deploy_key.private_file, "true").returncode == 255


def test_the_nftables_service_stays_off(deployment: Deployment) -> None:
    # fail2ban needs only the nft tool; the service would load /etc/nftables.conf, whose `flush ruleset`
    # drops Docker's rules and the bans at every boot.
    assert deployment.machine.inside("systemctl is-enabled nftables || true").stdout.strip() == "disabled"


def test_unattended_upgrades_would_take_security_updates(deployment: Deployment) -> None:
    periodic = deployment.root("apt-config dump APT::Periodic")
    assert 'APT::Periodic::Unattended-Upgrade "1";' in periodic
    assert 'APT::Periodic::Update-Package-Lists "1";' in periodic
    dry_run = deployment.root("unattended-upgrade --dry-run --debug 2>&1 | grep -m1 'Allowed origins are'")
    assert "label=Debian-Security" in dry_run
    sources = deployment.root("apt-get indextargets --format '$(SITE) $(RELEASE)' | sort -u")
    assert f"{deployment.machine.release.codename}-security" in sources
