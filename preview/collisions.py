"""Stacks of one project that would write the same DNS names.

Hetzner and R2 refuse a second server, address or bucket of a name already taken, so a clash of physical names
fails loudly at `pulumi up`. Cloudflare does not: two stacks that create an A record of the same name leave two
records, and the name answers with either server at random. Each stack's names derive from its own name
(stack_config: the DNS namespace defaults to the stack's name), so only a namespace set by hand can clash; the
preview compares the stack it shows with every other stack file of the project, whose configuration it validates
the way the program does (a file that does not validate is its own preview's problem, and is skipped here).
"""

from pathlib import Path

from preview.stack_files import available_stacks, read_stack
from preview.strict_yaml import StackFileError
from stack_config.loader import ConfigError, load_stack_config
from stack_config.model import StackConfig

# How many clashing names a message lists before it says how many more there are.
SHOWN_NAMES = 3


def dns_names(config: StackConfig) -> set[str]:
    """The names the stack's DNS records are written under; none without a domain (names are <ip>.sslip.io)."""
    if config.domain is None:
        return set()
    return {config.hostname(label) for label in config.dns.labels()}


def _config(project_dir: Path, stack: str) -> StackConfig | None:
    try:
        settings = read_stack(project_dir, stack)
        return load_stack_config(settings.project, stack, settings.config, settings.secret_keys)
    except (StackFileError, ConfigError):
        return None


def dns_clashes(project_dir: Path, stack: str, config: StackConfig) -> list[str]:
    """One line per other stack of the project that writes any of the DNS names `config` writes."""
    own = dns_names(config)
    problems = []
    for other in available_stacks(project_dir):
        other_config = _config(project_dir, other) if other != stack and own else None
        shared = sorted(own & dns_names(other_config)) if other_config else []
        if shared:
            shown = ", ".join(shared[:SHOWN_NAMES]) + (
                f" and {len(shared) - SHOWN_NAMES} more" if len(shared) > SHOWN_NAMES else ""
            )
            problems.append(
                f"Pulumi.{stack}.yaml: writes the DNS names {shown}, which the stack {other!r} writes too; "
                f"give one of them its own `hetzner-coolify:dns.namespace` (by default each stack's is its name)"
            )
    return problems
