"""The named value types of the configuration: each says what it accepts and, when it refuses, what is allowed.

A refusal is a ValueError whose text follows the value in the loader's one-line message, e.g.
`hetzner-coolify:dns.dashboard: '-coolify' is not a DNS label; allowed: ...`.
"""

import ipaddress
import re
from collections.abc import Iterable
from typing import Annotated

from pydantic import AfterValidator

from stack_config import catalog
from stack_config.ssh_keys import validate_public_key


def _matching(pattern: str, refusal: str) -> AfterValidator:
    """Accepts a string the whole of which `pattern` matches; refuses anything else with `refusal`."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(refusal)
        return value

    return AfterValidator(check)


def _one_of(names: Iterable[str], refusal: str) -> AfterValidator:
    allowed = tuple(names)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"{refusal}; allowed: {', '.join(allowed)}")
        return value

    return AfterValidator(check)


_DNS_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_DNS_LABEL_REFUSAL = "is not a DNS label; allowed: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'"

DnsLabel = Annotated[str, _matching(_DNS_LABEL, _DNS_LABEL_REFUSAL)]
RecordLabel = Annotated[
    str,
    _matching(rf"@|{_DNS_LABEL}", "is not a record label; allowed: '@' (the environment's own name) or a DNS label"),
]
DnsNamespace = Annotated[str, _matching(rf"({_DNS_LABEL}(\.{_DNS_LABEL})*)?", _DNS_LABEL_REFUSAL)]


def _domain(value: str) -> str:
    name = value.strip().rstrip(".").lower()
    labels = name.split(".")
    if len(labels) < 2 or len(name) > 253 or not all(re.fullmatch(_DNS_LABEL, label) for label in labels):
        raise ValueError("is not a domain name; expected the Cloudflare zone's name, e.g. example.com")
    return name


Domain = Annotated[str, AfterValidator(_domain)]


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"is not an IPv4 or IPv6 network in CIDR notation ({error})") from None
    return network.with_prefixlen


Cidr = Annotated[str, AfterValidator(_cidr)]
HttpsUrl = Annotated[str, _matching(r"https://[A-Za-z0-9.-]+(:[0-9]+)?(/\S*)?", "is not an https:// URL")]
# Coolify's installer writes its first admin unquoted into an .env file with sed (coollabsio/coolify@v4.3.10:
# scripts/install.sh:827-857): `|`, `&`, `\\`, `$`, `#`, quotes and white space break it or change the value.
Email = Annotated[
    str,
    _matching(
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+",
        "is not an email address Coolify's installer can carry; allowed: letters, digits and . _ % + - before "
        "the @, a domain name after it",
    ),
]

ResourceName = Annotated[
    str,
    _matching(
        r"[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?",
        "is not a name; allowed: 1-32 of a-z, 0-9 and '-', not starting or ending with '-'",
    ),
]
# Accounts a Debian/Ubuntu host or Docker already has; the admin user must be a new one.
_SYSTEM_USERS = frozenset(
    {"root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy", "www-data",
     "backup", "list", "irc", "gnats", "nobody", "systemd-network", "systemd-resolve", "messagebus", "sshd",
     "syslog", "_apt", "ubuntu", "debian", "docker", "postgres", "redis"}
)  # fmt: skip


def _not_a_system_user(value: str) -> str:
    if value in _SYSTEM_USERS:
        raise ValueError("is a system account; choose a new name for the admin login")
    return value


AdminUser = Annotated[
    str,
    _matching(
        r"[a-z_][a-z0-9_-]{0,31}",
        "is not a Linux user name; allowed: a-z, 0-9, '_' and '-', starting with a letter or '_'",
    ),
    AfterValidator(_not_a_system_user),
]
SqlIdentifier = Annotated[
    str,
    _matching(
        r"[a-z][a-z0-9_]{0,62}", "is not a plain SQL name; allowed: 1-63 of a-z, 0-9 and '_', starting with a letter"
    ),
]
CoolifyUserName = Annotated[
    str,
    _matching(
        r"[A-Za-z0-9_-]{3,64}",
        "is not a Coolify user name its installer can carry; allowed: 3-64 of letters, digits, '_' and '-'",
    ),
]
CoolifyVersion = Annotated[
    str,
    _matching(
        r"\d+\.\d+\.\d+(-[0-9A-Za-z]+(\.[0-9A-Za-z]+)*)?",
        "is not a pinned release; expected e.g. 4.7.7 or 4.0.0-beta.474",
    ),
]
# systemd OnCalendar expressions: dates, times, weekdays, ranges, lists, a time zone.
Calendar = Annotated[str, _matching(r"[A-Za-z0-9*:,./~ _+-]{1,100}", "is not a systemd calendar expression")]
AgeRecipient = Annotated[
    str,
    _matching(
        r"age1[02-9ac-hj-np-z]{58}|ssh-ed25519 [A-Za-z0-9+/=]+( .*)?",
        "is not an age recipient (age1... or ssh-ed25519)",
    ),
]
CloudflareAccountId = Annotated[str, _matching(r"[0-9a-f]{32}", "is not a Cloudflare account id (32 hex digits)")]
BucketName = Annotated[
    str, _matching(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "is not a bucket name (3-63 of a-z, 0-9, '.', '-')")
]
R2_LOCATIONS = ("apac", "eeur", "enam", "oc", "weur", "wnam")
R2Location = Annotated[str, _one_of(R2_LOCATIONS, "is not an R2 location")]
OpenSshPublicKey = Annotated[str, AfterValidator(validate_public_key)]


def _pinned_image(families: frozenset[str]) -> AfterValidator:
    def check(value: str) -> str:
        path = value.split("@", 1)[0]
        name, _, tag = path.rsplit("/", 1)[-1].partition(":")
        if name not in families:
            raise ValueError(f"is not an image of {', '.join(sorted(families))}")
        if "@sha256:" not in value and (not tag or tag in ("latest", "stable", "edge")):
            raise ValueError("is not pinned; name a version tag (e.g. :17.6-bookworm) or a digest")
        return value

    return AfterValidator(check)


POSTGRES_IMAGE_FAMILIES = frozenset({"postgres", "timescaledb", "timescaledb-ha", "postgis", "pgvector"})
REDIS_IMAGE_FAMILIES = frozenset({"redis", "valkey"})
PostgresImage = Annotated[str, _pinned_image(POSTGRES_IMAGE_FAMILIES)]
RedisImage = Annotated[str, _pinned_image(REDIS_IMAGE_FAMILIES)]


def _orderable_server_type(value: str) -> str:
    if value in catalog.RETIRED_SERVER_TYPES:
        raise ValueError(
            "was retired by Hetzner on 2025-10-16 and can no longer be ordered; "
            f"its successor is {catalog.RETIRED_SERVER_TYPES[value]!r}"
        )
    if value not in catalog.SERVER_TYPES:
        raise ValueError(f"is not a Hetzner server type; allowed: {', '.join(catalog.SERVER_TYPES)}")
    return value


ServerTypeName = Annotated[str, AfterValidator(_orderable_server_type)]
LocationName = Annotated[str, _one_of(catalog.LOCATIONS, "is not a Hetzner location")]
LoadBalancerTypeName = Annotated[str, _one_of(catalog.LOAD_BALANCER_TYPES, "is not a Hetzner load balancer type")]
ServerImage = Annotated[str, _one_of(catalog.SUPPORTED_IMAGES, "is not supported")]
