import re
from collections.abc import Iterator
from typing import Any

import yaml
from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ..support.properties import UNKNOWN, get

SERVER = "hcloud:index/server:Server"
# cloud-init's keys that set a password or let one log in over SSH (cloud-init's cc_set_passwords and
# users-groups modules: https://cloudinit.readthedocs.io/en/latest/reference/modules.html).
USER_PASSWORD_KEYS = ("passwd", "plain_text_passwd", "hashed_passwd")
_SHELL_PASSWORDS = (
    (re.compile(r"\bchpasswd\b"), "runs chpasswd"),
    (re.compile(r"\bpasswd\b[^\n]*--stdin"), "sets a password with passwd --stdin"),
    # Set in a config file, by echo or by sed; not a comment.
    (re.compile(r"^(?!\s*#)[^\n]*\bPasswordAuthentication\s+yes\b", re.IGNORECASE | re.MULTILINE),
     "turns on PasswordAuthentication"),
    (re.compile(r"^(?!\s*#)[^\n]*\b(KbdInteractive|ChallengeResponse)Authentication\s+yes\b", re.I | re.M),
     "turns on keyboard-interactive (PAM password) logins"),
    (re.compile(r"^(?!\s*#)[^\n]*\bPermitEmptyPasswords\s+yes\b", re.IGNORECASE | re.MULTILINE),
     "turns on PermitEmptyPasswords"),
    (re.compile(r"\busermod\b[^\n]*\s(-p|--password)\s"), "sets a password with usermod -p"),
    (re.compile(r"\bpasswd\b[^\n]*\s(-d|--delete)\b"), "deletes a password with passwd -d"),
)  # fmt: skip
# cloud-config keys whose text runs as shell commands or lands in files (cloud-init's runcmd, bootcmd and
# write_files modules): searched as a script is.
SCRIPT_KEYS = ("runcmd", "bootcmd")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _is_true(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "yes", "on", "1")


def cloud_config_problems(config: Any) -> Iterator[str]:
    if not isinstance(config, dict):
        return
    if _is_true(config.get("ssh_pwauth")):
        yield "ssh_pwauth: true lets SSH accept passwords"
    if config.get("password"):
        yield "password: sets the default user's password"
    chpasswd = config.get("chpasswd")
    if isinstance(chpasswd, dict) and (chpasswd.get("list") or chpasswd.get("users")):
        yield "chpasswd sets passwords"
    for user in config.get("users") or []:
        if not isinstance(user, dict):
            continue
        name = user.get("name", "?")
        keys = [key for key in USER_PASSWORD_KEYS if user.get(key)]
        if keys:
            yield f"users[{name}].{keys[0]} sets a password"
        if "lock_passwd" in user and not _is_true(user["lock_passwd"]):
            yield f"users[{name}].lock_passwd: false unlocks password login"


def script_problems(script: str) -> list[str]:
    return [what for pattern, what in _SHELL_PASSWORDS if pattern.search(script)]


def _scripts_in(config: Any) -> str:
    """The shell commands and file contents of a cloud-config, one per line."""
    if not isinstance(config, dict):
        return ""
    lines = [
        " ".join(map(str, command)) if isinstance(command, list) else str(command)
        for key in SCRIPT_KEYS
        for command in config.get(key) or []
    ]
    lines += [str(item.get("content", "")) for item in config.get("write_files") or [] if isinstance(item, dict)]
    return "\n".join(lines)


def user_data_problems(user_data: str) -> list[str]:
    # cloud-init reads a template header (## template: jinja) before the cloud-config line.
    body = user_data.lstrip()
    if body.startswith("## template:"):
        body = body.partition("\n")[2].lstrip()
    if body.startswith("#cloud-config"):
        try:
            config = yaml.load(user_data, Loader=_YAML_LOADER)
        except yaml.YAMLError:
            return ["is cloud-config that does not parse"]
        return list(cloud_config_problems(config)) + script_problems(_scripts_in(config))
    return script_problems(user_data)


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != SERVER:
        return
    user_data = get(args.props, "userData")
    if user_data in (None, UNKNOWN):
        return
    for problem in user_data_problems(str(user_data)):
        report(
            f"userData {problem}: Hetzner keeps user data readable through its API and the server's metadata "
            "service, and a password login is one guess away; use SSH keys only.",
            None,
        )


POLICY = ResourceValidationPolicy(
    name="hetzner-server-disallow-password-logins",
    description="A server's user data must not set passwords or allow password logins (chpasswd, passwd, "
    "ssh_pwauth); servers are reached with SSH keys only.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    validate=validate,
)
