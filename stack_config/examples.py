"""Example values: what the shipped stack files hold in place of a team's own, and how any example is recognised.

The shipped files (Pulumi.staging.yaml, Pulumi.production.yaml) preview as they are, and hold the EXAMPLE_ values
below (tests/stack_config/test_examples.py checks that each of their values is either flagged here or a real
setting). A preview warns about every example value; `pulumi up` refuses them all at once
(stack_config/loader.py, load_from_pulumi). Each message names the key and says how to get the real value.
"""

import ipaddress
from typing import TYPE_CHECKING

from stack_config.backups import R2StorageSettings

if TYPE_CHECKING:
    from stack_config.model import StackConfig

# The shipped files' values, as they hold them. The key, the recipient and the account id are recognised as
# themselves; the domain, networks and email by the rules below, which these document (and the tests use).
EXAMPLE_DOMAIN = "example.com"
EXAMPLE_ADMIN_CIDRS = ("203.0.113.0/24", "2001:db8:1234::/48")
EXAMPLE_SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2FAAB9YEE4rEw/DUJHbOGWax1rVeqX1KJVEd60ESW7 alice@example.com"
EXAMPLE_ADMIN_EMAIL = "ops@example.com"
EXAMPLE_AGE_RECIPIENT = "age1e0n8hx68j4g0ts6z78gx0ee0f30a3309f7gydjy4lkzdmy6wxepqurfhtx"
EXAMPLE_ACCOUNT_ID = "0123456789abcdef0123456789abcdef"

# Domains reserved for examples and tests (RFC 2606; RFC 6761 for the top-level names): nothing real is there.
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_TOP_LEVEL_DOMAINS = ("example", "test", "invalid", "localhost")
# Address ranges reserved for documentation: nobody connects from them.
DOCUMENTATION_NETWORKS = {
    ipaddress.ip_network("192.0.2.0/24"): "RFC 5737",
    ipaddress.ip_network("198.51.100.0/24"): "RFC 5737",
    ipaddress.ip_network("203.0.113.0/24"): "RFC 5737",
    ipaddress.ip_network("2001:db8::/32"): "RFC 3849",
    ipaddress.ip_network("3fff::/20"): "RFC 9637",
}
# A hex digit sequence that is a placeholder when repeated to an account id's 32 digits.
_HEX_SEQUENCE = "0123456789abcdef"

HOW_DOMAIN = "use the name of a zone in your Cloudflare account"
HOW_ADMIN_CIDR = (
    "use your public address (`curl -s https://api.ipify.org` and append /32; for IPv6 `curl -s "
    "https://api64.ipify.org` with /128), or your office/VPN range"
)
HOW_SSH_KEY = "use your own public key: `cat ~/.ssh/id_ed25519.pub` (or make one with `ssh-keygen -t ed25519`)"
HOW_AGE_RECIPIENT = (
    "make your own with `age-keygen -o backup-key.txt` (install age: `apt install age` / `brew install age`) and "
    "use its `Public key:` line, keeping backup-key.txt off the server"
)
HOW_ACCOUNT_ID = (
    'copy yours from the Cloudflare dashboard, the account\'s Overview page, "Account ID" (or `wrangler whoami`)'
)
HOW_ADMIN_EMAIL = "use a mailbox you read"


def is_reserved_domain(domain: str) -> bool:
    """Whether `domain` is, or is under, a name reserved for examples and tests."""
    name = domain.lower().rstrip(".")
    return name.rsplit(".", 1)[-1] in RESERVED_TOP_LEVEL_DOMAINS or any(
        name == reserved or name.endswith(f".{reserved}") for reserved in RESERVED_DOMAINS
    )


def documentation_range(cidr: str) -> tuple[str, str] | None:
    """(range, RFC) of the documentation range `cidr` lies in, or None."""
    network = ipaddress.ip_network(cidr, strict=False)
    for reserved, rfc in DOCUMENTATION_NETWORKS.items():
        if network.version == reserved.version and network.subnet_of(reserved):  # type: ignore[arg-type]
            return str(reserved), rfc
    return None


def is_placeholder_account_id(account_id: str) -> bool:
    """The shipped example, one character repeated, or 0123456789abcdef repeated."""
    return len(set(account_id)) == 1 or account_id == _HEX_SEQUENCE * (len(account_id) // len(_HEX_SEQUENCE))


def ssh_key_problem(public_key: str) -> str | None:
    """Why an admin key is an example: it is the shipped key. Only the key itself says so: a comment means nothing
    to ssh, and a team's own key may well carry `you@example.com` (GitHub's instructions suggest it)."""
    if public_key.split()[:2] == EXAMPLE_SSH_KEY.split()[:2]:
        return f"is the example key shipped with this repository, whose private key is not yours; {HOW_SSH_KEY}"
    return None


def example_values(config: "StackConfig") -> list[tuple[str, str]]:
    """(key, why and how to get the real value) for each example value of `config`, in the order of the keys in
    the shipped stack files."""
    found: list[tuple[str, str]] = []
    if config.domain is not None and is_reserved_domain(config.domain):
        found.append(
            ("domain", f"{config.domain!r} is a domain reserved for examples (RFC 2606, RFC 6761); {HOW_DOMAIN}")
        )
    for index, key in enumerate(config.admin_ssh_keys):
        problem = ssh_key_problem(key.public_key)
        if problem:
            found.append((f"adminSshKeys[{index}].publicKey", problem))
    for index, cidr in enumerate(config.admin_cidrs):
        reserved = documentation_range(cidr)
        if reserved:
            found.append((
                f"adminCidrs[{index}]",
                f"{cidr!r} is in {reserved[0]}, a range reserved for documentation ({reserved[1]}) that nobody "
                f"connects from; {HOW_ADMIN_CIDR}",
            ))  # fmt: skip
    email = config.coolify.admin_email
    if is_reserved_domain(email.rsplit("@", 1)[1]):
        found.append((
            "coolify.adminEmail",
            f"{email!r} is on a domain reserved for examples: Coolify creates no admin for it (its check resolves "
            f"the domain) and leaves registration open to the first visitor; {HOW_ADMIN_EMAIL}",
        ))  # fmt: skip
    backups = config.backups
    if backups.age_recipient == EXAMPLE_AGE_RECIPIENT:
        found.append((
            "backups.ageRecipient",
            "is the example recipient shipped with this repository, whose identity (private key) is not yours, so "
            f"no backup could be restored; {HOW_AGE_RECIPIENT}",
        ))  # fmt: skip
    storage = backups.storage
    if isinstance(storage, R2StorageSettings) and is_placeholder_account_id(storage.account_id):
        found.append((
            "backups.storage.accountId",
            f"{storage.account_id!r} is a placeholder, not an account's id; {HOW_ACCOUNT_ID}",
        ))  # fmt: skip
    return found
