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
# Each check reads one line at a time and runs a bounded number of linear searches on it, so a huge line (a
# megabyte of "passwd passwd ...") costs linear time: a pattern like `\bpasswd\b[^\n]*--stdin` searched over the
# whole text would rescan the rest of the line from every "passwd" (tests/policies/test_hostile_inputs.py).
_CHPASSWD = re.compile(r"\bchpasswd\b")
_PASSWD = re.compile(r"\bpasswd\b")
_USERMOD = re.compile(r"\busermod\b")
_STDIN = re.compile(r"--stdin")
_SET_PASSWORD = re.compile(r"\s(-p|--password)\s")
_DELETE_PASSWORD = re.compile(r"\s(-d|--delete)\b")
_COMMENT = re.compile(r"\s*#")
# Set in a config file, by echo or by sed; not a comment.
_SSHD_SETTINGS = (
    (re.compile(r"\bPasswordAuthentication\s+yes\b", re.IGNORECASE), "turns on PasswordAuthentication"),
    (re.compile(r"\b(KbdInteractive|ChallengeResponse)Authentication\s+yes\b", re.IGNORECASE),
     "turns on keyboard-interactive (PAM password) logins"),
    (re.compile(r"\bPermitEmptyPasswords\s+yes\b", re.IGNORECASE), "turns on PermitEmptyPasswords"),
)  # fmt: skip
_AFTER_WORD = (
    (_PASSWD, _STDIN, "sets a password with passwd --stdin"),
    (_USERMOD, _SET_PASSWORD, "sets a password with usermod -p"),
    (_PASSWD, _DELETE_PASSWORD, "deletes a password with passwd -d"),
)
_ORDER = (
    "runs chpasswd",
    "sets a password with passwd --stdin",
    "turns on PasswordAuthentication",
    "turns on keyboard-interactive (PAM password) logins",
    "turns on PermitEmptyPasswords",
    "sets a password with usermod -p",
    "deletes a password with passwd -d",
)
# cloud-config keys whose text runs as shell commands or lands in files (cloud-init's runcmd, bootcmd and
# write_files modules): searched as a script is.
SCRIPT_KEYS = ("runcmd", "bootcmd")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Hetzner accepts at most 32 KiB of user data ("This field is limited to 32KiB": pulumi_hcloud 1.43.3,
# server.py:73); beyond that the server cannot be created anyway, and the text is judged as a script without
# parsing it as YAML.
MAX_USER_DATA = 32 * 1024
# Aliases let a few lines of YAML stand for an exponentially large value ("billion laughs"); cloud-config needs
# none of that size.
MAX_YAML_NODES = 100_000


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


def _line_problems(line: str) -> Iterator[str]:
    if _CHPASSWD.search(line):
        yield "runs chpasswd"
    for word, then, what in _AFTER_WORD:
        # The first occurrence of the word leaves the most of the line after it.
        first = word.search(line)
        if first and then.search(line, first.end()):
            yield what
    if not _COMMENT.match(line):
        yield from (what for pattern, what in _SSHD_SETTINGS if pattern.search(line))


def script_problems(script: str) -> list[str]:
    # Lines as the patterns' [^\n] saw them: split at newlines only.
    found = {what for line in script.split("\n") for what in _line_problems(line)}
    return [what for what in _ORDER if what in found]


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
    if body.startswith("#cloud-config") and len(user_data) <= MAX_USER_DATA:
        try:
            node = yaml.compose(user_data, Loader=_YAML_LOADER)
            if node is not None and _expanded_size(node) > MAX_YAML_NODES:
                return [f"is cloud-config whose aliases expand to over {MAX_YAML_NODES:,} values"]
            config = yaml.load(user_data, Loader=_YAML_LOADER)
        except (yaml.YAMLError, ValueError, RecursionError):
            return ["is cloud-config that does not parse"]
        return list(cloud_config_problems(config)) + script_problems(_scripts_in(config))
    return script_problems(user_data)


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document holds once every alias is expanded (more than MAX_YAML_NODES for a document
    that contains itself); each node is visited once."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    pending: list[tuple[yaml.Node, bool]] = [(root, False)]
    while pending:
        node, children_done = pending.pop()
        children = _children(node)
        if children_done:
            open_nodes.discard(id(node))
            sizes[id(node)] = min(MAX_YAML_NODES + 1, 1 + sum(sizes[id(child)] for child in children))
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_nodes:
            return MAX_YAML_NODES + 1  # an alias to a node that holds it: endless
        open_nodes.add(id(node))
        pending.append((node, True))
        pending.extend((child, False) for child in children)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


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
