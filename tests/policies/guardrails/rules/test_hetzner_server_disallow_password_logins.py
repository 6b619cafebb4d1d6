"""hetzner-server-disallow-password-logins, through the pack: a server's user data, cloud-config or a shell script,
must neither set a password nor let SSH accept one; a compliant cloud-config passes, then one change per case."""

from typing import Any

import pytest

from preview.values import UNKNOWN, Secret
from tests.policies.conftest import Check, Resource

POLICY = "hetzner-server-disallow-password-logins"
SERVER = "hcloud:index/server:Server"

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKc6W6eSxBv0P9E0dqIhWnsFQ6aVr8f1nJxQXfGkXJ3u deploy@laptop"
# Keys only: the user's password stays locked and SSH refuses passwords.
COMPLIANT = f"""#cloud-config
ssh_pwauth: false
users:
  - default
  - name: deploy
    groups: [sudo]
    shell: /bin/bash
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    lock_passwd: true
    ssh_authorized_keys:
      - {KEY}
packages:
  - fail2ban
  - unattended-upgrades
"""


def server(user_data: Any = COMPLIANT) -> Resource:
    props: dict[str, Any] = {"serverType": "cx22", "image": "debian-12", "location": "fsn1"}
    if user_data is not None:
        props["userData"] = user_data
    return Resource(SERVER, props, name="web")


def refused(problem: str) -> str:
    return (
        f"userData {problem}: Hetzner keeps user data readable through its API and the server's metadata service, "
        "and a password login is one guess away; use SSH keys only."
    )


def with_user(*lines: str) -> str:
    """COMPLIANT with `lines` added to the deploy user."""
    return COMPLIANT.replace("    lock_passwd: true\n", "".join(f"    {line}\n" for line in lines))


@pytest.mark.parametrize(
    "user_data",
    [
        COMPLIANT,
        COMPLIANT.replace("ssh_pwauth: false", 'ssh_pwauth: "no"'),
        COMPLIANT.replace("ssh_pwauth: false", "ssh_pwauth: unchanged"),
        # cloud-init locks a user's password unless told otherwise.
        COMPLIANT.replace("    lock_passwd: true\n", ""),
        # Expiry alone sets no password.
        COMPLIANT + "chpasswd:\n  expire: false\n",
        "#cloud-config\n",
        "#!/bin/bash\nset -eu\napt-get update\napt-get install -y fail2ban\n",
        # Hardening scripts name the setting to turn it off, or quote it in a comment.
        "#!/bin/bash\n"
        "sed -i 's/^#\\?PasswordAuthentication .*/PasswordAuthentication no/' /etc/ssh/sshd_config\n"
        "cat > /etc/ssh/sshd_config.d/10-keys-only.conf <<'EOF'\n"
        "PasswordAuthentication no\n"
        "# PasswordAuthentication yes\n"
        "EOF\n",
        None,
        UNKNOWN,
    ],
    ids=["keys-only", "pwauth-no-string", "pwauth-unchanged", "lock-by-default", "chpasswd-expire-only",
         "empty-cloud-config", "shell-script", "shell-turns-passwords-off", "no-user-data", "unknown-user-data"],
)  # fmt: skip
def test_keys_only_passes(check: Check, user_data: Any) -> None:
    assert check(POLICY, server(user_data)) == []


@pytest.mark.parametrize(
    ("user_data", "problems"),
    [
        (COMPLIANT.replace("ssh_pwauth: false", "ssh_pwauth: true"), ["ssh_pwauth: true lets SSH accept passwords"]),
        # YAML 1.1 reads yes as true; cloud-init takes the string "yes" too.
        (COMPLIANT.replace("ssh_pwauth: false", "ssh_pwauth: yes"), ["ssh_pwauth: true lets SSH accept passwords"]),
        (COMPLIANT.replace("ssh_pwauth: false", 'ssh_pwauth: "yes"'), ["ssh_pwauth: true lets SSH accept passwords"]),
        (COMPLIANT + "password: hunter2-but-longer\n", ["password: sets the default user's password"]),
        (COMPLIANT + "chpasswd:\n  list: |\n    root:hunter2\n  expire: false\n", ["chpasswd sets passwords"]),
        (
            COMPLIANT + "chpasswd:\n  users:\n    - name: root\n      password: hunter2\n      type: text\n",
            ["chpasswd sets passwords"],
        ),
        (with_user("lock_passwd: true", 'passwd: "$6$rounds=4096$salt$hash"'),
         ["users[deploy].passwd sets a password"]),
        (with_user("plain_text_passwd: hunter2"), ["users[deploy].plain_text_passwd sets a password"]),
        (with_user('hashed_passwd: "$6$rounds=4096$salt$hash"'), ["users[deploy].hashed_passwd sets a password"]),
        (with_user("lock_passwd: false"), ["users[deploy].lock_passwd: false unlocks password login"]),
        (
            with_user("lock_passwd: false", "plain_text_passwd: hunter2"),
            ["users[deploy].plain_text_passwd sets a password",
             "users[deploy].lock_passwd: false unlocks password login"],
        ),
        (
            COMPLIANT.replace("ssh_pwauth: false", "ssh_pwauth: true")
            + "password: hunter2-but-longer\nchpasswd:\n  expire: false\n  list: [root:hunter2]\n",
            ["ssh_pwauth: true lets SSH accept passwords", "password: sets the default user's password",
             "chpasswd sets passwords"],
        ),
    ],
    ids=["pwauth-true", "pwauth-yes", "pwauth-yes-string", "default-user-password", "chpasswd-list", "chpasswd-users",
         "user-passwd", "user-plain-text-passwd", "user-hashed-passwd", "unlocked-user", "unlocked-user-with-password",
         "all-at-once"],
)  # fmt: skip
def test_cloud_config_passwords_are_refused(check: Check, user_data: str, problems: list[str]) -> None:
    assert check(POLICY, server(user_data)) == [refused(problem) for problem in problems]


@pytest.mark.parametrize(
    ("user_data", "problem"),
    [
        ("#!/bin/bash\necho 'root:hunter2' | chpasswd\n", "runs chpasswd"),
        ("#!/bin/sh\nuseradd -m deploy\necho hunter2 | passwd --stdin deploy\n", "sets a password with passwd --stdin"),
        (
            "#!/bin/bash\ncat > /etc/ssh/sshd_config.d/50-passwords.conf <<'EOF'\nPasswordAuthentication yes\nEOF\n"
            "systemctl reload ssh\n",
            "turns on PasswordAuthentication",
        ),
    ],
    ids=["chpasswd", "passwd-stdin", "sshd-config-drop-in"],
)
def test_shell_passwords_are_refused(check: Check, user_data: str, problem: str) -> None:
    assert check(POLICY, server(user_data)) == [refused(problem)]


def test_a_shell_script_doing_all_three_is_refused_three_times(check: Check) -> None:
    script = (
        "#!/bin/bash\necho 'root:hunter2' | chpasswd\necho hunter2 | passwd --stdin deploy\n"
        "printf '%s\\n' 'PasswordAuthentication no' > /etc/ssh/sshd_config.d/00.conf\n"
        "cat >> /etc/ssh/sshd_config <<'EOF'\n  PasswordAuthentication yes\nEOF\n"
    )
    assert check(POLICY, server(script)) == [
        refused("runs chpasswd"),
        refused("sets a password with passwd --stdin"),
        refused("turns on PasswordAuthentication"),
    ]


def test_cloud_config_that_does_not_parse_is_refused(check: Check) -> None:
    # What cloud-init cannot read, the policy cannot clear.
    assert check(POLICY, server("#cloud-config\nusers: [\n  - name: deploy\n")) == [
        refused("is cloud-config that does not parse")
    ]


def test_secret_user_data_is_judged_too(check: Check) -> None:
    # Programs mark user data secret to keep it out of logs; the pack sees it unwrapped.
    user_data = Secret(COMPLIANT.replace("ssh_pwauth: false", "ssh_pwauth: true"))
    assert check(POLICY, server(user_data)) == [refused("ssh_pwauth: true lets SSH accept passwords")]


@pytest.mark.parametrize(
    "line",
    [
        "echo 'PasswordAuthentication yes' >> /etc/ssh/sshd_config",
        "sed -i 's/^#\\?PasswordAuthentication .*/PasswordAuthentication yes/' /etc/ssh/sshd_config",
    ],
    ids=["echo", "sed"],
)
def test_a_script_writing_password_authentication_on_is_refused(check: Check, line: str) -> None:
    assert check(POLICY, server(f"#!/bin/bash\n{line}\nsystemctl reload ssh\n")) == [
        refused("turns on PasswordAuthentication")
    ]


@pytest.mark.parametrize(
    ("addition", "problem"),
    [
        ("runcmd:\n  - echo 'root:hunter2' | chpasswd\n", "runs chpasswd"),
        (
            "write_files:\n  - path: /etc/ssh/sshd_config.d/50-passwords.conf\n"
            "    content: |\n      PasswordAuthentication yes\n",
            "turns on PasswordAuthentication",
        ),
    ],
    ids=["runcmd-chpasswd", "write-files-sshd-config"],
)
def test_cloud_config_commands_and_files_are_searched_like_scripts(check: Check, addition: str, problem: str) -> None:
    assert check(POLICY, server(COMPLIANT + addition)) == [refused(problem)]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("echo 'KbdInteractiveAuthentication yes' >> /etc/ssh/sshd_config",
         "turns on keyboard-interactive (PAM password) logins"),
        ("echo 'PermitEmptyPasswords yes' >> /etc/ssh/sshd_config", "turns on PermitEmptyPasswords"),
        ("usermod -p \"$(openssl passwd -6 hunter2)\" deploy", "sets a password with usermod -p"),
        ("passwd -d deploy", "deletes a password with passwd -d"),
    ],
    ids=["keyboard-interactive", "empty-passwords", "usermod", "passwd-delete"],
)  # fmt: skip
def test_other_ways_to_log_in_by_password_are_refused(check: Check, line: str, problem: str) -> None:
    assert check(POLICY, server(f"#!/bin/bash\n{line}\n")) == [refused(problem)]


def test_a_jinja_template_header_does_not_hide_cloud_config(check: Check) -> None:
    templated = "## template: jinja\n" + COMPLIANT.replace("ssh_pwauth: false", "ssh_pwauth: true")
    assert check(POLICY, server(templated)) == [refused("ssh_pwauth: true lets SSH accept passwords")]
