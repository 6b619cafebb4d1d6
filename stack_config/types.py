"""The named value types of the configuration: each says what it accepts and, when it refuses, what is allowed.

A refusal is a ValueError whose text follows the value in the loader's one-line message, e.g.
`hetzner-coolify:dns.dashboard: '-coolify' is not a DNS label; allowed: ...`. A refusal never quotes the value
itself: the loader decides whether the value may be shown (not when it is, or looks like, a secret).

Each type also carries a Form: what it allows, in words, for the loader to say when a value is not even of the
type's kind (a list where text belongs), is empty, or is missing.

Every pattern is matched as a whole (`fullmatch`: `$` would accept a trailing newline) in ASCII mode (`\\d` would
accept other scripts' digits), and every text has a length bound stated in its refusal.
"""

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator

from stack_config import catalog
from stack_config.age import recipient_problem
from stack_config.calendar import ALLOWED_FORMS, parse_schedule
from stack_config.ssh_keys import validate_public_key


@dataclass(frozen=True)
class Form:
    """What a type allows, in words: the loader says it when a value is not even of the type's kind (a list where
    text belongs, a key left empty) and when a key it requires is missing."""

    text: str


def _matching(pattern: str, refusal: str, max_length: int | None = None) -> AfterValidator:
    """Accepts a string the whole of which `pattern` matches; refuses anything else with `refusal`.

    Patterns here are linear (no nested or overlapping quantifiers); `max_length` bounds what they are run on."""
    compiled = re.compile(pattern, re.ASCII)

    def check(value: str) -> str:
        if (max_length is not None and len(value) > max_length) or not compiled.fullmatch(value):
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


def _first_non_ascii(value: str) -> str:
    """' (non-ASCII U+0435 at character 1: a look-alike? ...)' for a value with a non-ASCII character, else ''."""
    for index, char in enumerate(value):
        if not char.isascii():
            return (
                f" (character {index + 1} is U+{ord(char):04X}, not ASCII: a look-alike of a Latin letter? "
                "write an internationalized name in its xn-- form)"
            )
    return ""


# RFC 1035, 2.3.4 (https://www.rfc-editor.org/rfc/rfc1035#section-2.3.4): labels of at most 63 octets, names of
# at most 255 octets on the wire, which is 253 characters written out without the final dot.
MAX_LABEL = 63
MAX_DOMAIN = 253
_DNS_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_DNS_LABEL_FORM = "1-63 of a-z, 0-9 and '-', not starting or ending with '-'"
_DNS_LABEL_REFUSAL = f"is not a DNS label; allowed: {_DNS_LABEL_FORM}"
_RECORD_LABEL_FORM = "'@' (the environment's own name) or a DNS label"
_DNS_NAMESPACE_FORM = (
    "'' or labels of 1-63 of a-z, 0-9 and '-' (not starting or ending with '-') joined by dots, at most "
    f"{MAX_DOMAIN} characters"
)
_DOMAIN_FORM = (
    f"the Cloudflare zone's name, e.g. example.com (labels of 1-63 of a-z, 0-9 and '-', at most {MAX_DOMAIN} "
    "characters)"
)

DnsLabel = Annotated[str, _matching(_DNS_LABEL, _DNS_LABEL_REFUSAL), Form(f"a DNS label: {_DNS_LABEL_FORM}")]
RecordLabel = Annotated[
    str,
    _matching(rf"@|{_DNS_LABEL}", f"is not a record label; allowed: {_RECORD_LABEL_FORM}"),
    Form(_RECORD_LABEL_FORM),
]
DnsNamespace = Annotated[
    str,
    _matching(
        rf"({_DNS_LABEL}(\.{_DNS_LABEL})*)?", f"is not a DNS name space; allowed: {_DNS_NAMESPACE_FORM}", MAX_DOMAIN
    ),
    Form(_DNS_NAMESPACE_FORM),
]
_DOMAIN_REFUSAL = f"is not a domain name; expected {_DOMAIN_FORM}"


def _domain(value: str) -> str:
    if len(value) > MAX_DOMAIN + 1:
        raise ValueError(_DOMAIN_REFUSAL)
    if not value.isascii():
        raise ValueError(_DOMAIN_REFUSAL + _first_non_ascii(value))
    name = value.removesuffix(".").lower()
    labels = name.split(".")
    if len(labels) < 2 or len(name) > MAX_DOMAIN or not all(re.fullmatch(_DNS_LABEL, label) for label in labels):
        raise ValueError(_DOMAIN_REFUSAL)
    return name


Domain = Annotated[str, AfterValidator(_domain), Form(_DOMAIN_FORM)]
# Hetzner Cloud firewalls accept at most 100 CIDR blocks per rule (API reference, POST /firewalls/{id}/actions/
# set_rules, source_ips: "You can specify 100 CIDR blocks at most", https://docs.hetzner.cloud/reference/cloud,
# read in its mirror https://simworkflow.com/integration-operation/hetzner-firewalls-id-actions-set_rules-post-927),
# and the workers' SSH rule adds the Coolify host's two addresses to the admin networks.
MAX_ADMIN_CIDRS = 98
_MAX_CIDR = len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128")
_CIDR_FORM = "an IPv4 or IPv6 network in CIDR notation, e.g. 203.0.113.0/24 or 2001:db8::/48"


def _cidr(value: str) -> str:
    refusal = f"is not {_CIDR_FORM}"
    if len(value) > _MAX_CIDR or not value.isascii():
        raise ValueError(refusal)
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(refusal) from None
        raise ValueError(f"has host bits set; the network is {loose.with_prefixlen}") from None
    return network.with_prefixlen


Cidr = Annotated[str, AfterValidator(_cidr), Form(_CIDR_FORM)]
# Ping and endpoint URLs are short; 2048 characters is ample and keeps them far from command-line limits.
MAX_URL = 2048
_HTTPS_URL_FORM = f"an https:// URL (printable ASCII, at most {MAX_URL} characters)"
HTTPS_URL = r"https://[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?(/[!-~]*)?"
HttpsUrl = Annotated[
    str,
    _matching(HTTPS_URL, f"is not {_HTTPS_URL_FORM}", MAX_URL),
    Form(_HTTPS_URL_FORM),
]
# Coolify's installer writes its first admin unquoted into an .env file with sed (coollabsio/coolify@v4.3.10:
# scripts/install.sh:827-857): `|`, `&`, `\\`, `$`, `#`, quotes and white space break it or change the value.
# RFC 5321, 4.5.3.1.1 and 4.5.3.1.3: a local part of at most 64 octets, a path of at most 256 with its <>.
MAX_EMAIL = 254
_EMAIL_FORM = f"letters, digits and . _ % + - before the @, a domain name after it, at most {MAX_EMAIL} characters"
Email = Annotated[
    str,
    _matching(
        r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+",
        f"is not an email address Coolify's installer can carry; allowed: {_EMAIL_FORM}",
        MAX_EMAIL,
    ),
    Form(f"an email address: {_EMAIL_FORM}"),
]

_RESOURCE_NAME_FORM = "1-32 of a-z, 0-9 and '-', not starting or ending with '-'"
ResourceName = Annotated[
    str,
    _matching(r"[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?", f"is not a name; allowed: {_RESOURCE_NAME_FORM}"),
    Form(_RESOURCE_NAME_FORM),
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


_ADMIN_USER_FORM = "1-32 of a-z, 0-9, '_' and '-', starting with a letter or '_'"
AdminUser = Annotated[
    str,
    _matching(r"[a-z_][a-z0-9_-]{0,31}", f"is not a Linux user name; allowed: {_ADMIN_USER_FORM}"),
    AfterValidator(_not_a_system_user),
    Form(f"a new Linux user name: {_ADMIN_USER_FORM}"),
]
_SQL_IDENTIFIER_FORM = "1-63 of a-z, 0-9 and '_', starting with a letter"
SqlIdentifier = Annotated[
    str,
    _matching(r"[a-z][a-z0-9_]{0,62}", f"is not a plain SQL name; allowed: {_SQL_IDENTIFIER_FORM}"),
    Form(f"a plain SQL name: {_SQL_IDENTIFIER_FORM}"),
]
_COOLIFY_USER_FORM = "3-64 of letters, digits, '_' and '-'"
CoolifyUserName = Annotated[
    str,
    _matching(
        r"[A-Za-z0-9_-]{3,64}", f"is not a Coolify user name its installer can carry; allowed: {_COOLIFY_USER_FORM}"
    ),
    Form(_COOLIFY_USER_FORM),
]
CoolifyVersion = Annotated[
    str,
    _matching(
        r"[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}(-[0-9A-Za-z]{1,20}(\.[0-9A-Za-z]{1,20}){0,4})?",
        "is not a pinned release; expected e.g. 4.7.7 or 4.0.0-beta.474",
    ),
    Form("a pinned release, e.g. 4.7.7 or 4.0.0-beta.474"),
]
# systemd OnCalendar expressions, the subset stack_config/calendar.py documents and checks.
Calendar = Annotated[str, AfterValidator(parse_schedule), Form(ALLOWED_FORMS.removeprefix("allowed: "))]


def _age_recipient(value: str) -> str:
    if value.startswith("ssh-ed25519 "):
        try:
            return validate_public_key(value)
        except ValueError as error:
            raise ValueError(f"is not an age recipient: the ssh-ed25519 key {error}") from None
    problem = recipient_problem(value)
    if problem:
        raise ValueError(f"is not an age recipient (age1... or ssh-ed25519): it {problem}")
    return value


AgeRecipient = Annotated[
    str,
    AfterValidator(_age_recipient),
    Form("an age recipient, age1... (the public key `age-keygen` prints), or an ssh-ed25519 public key"),
]
CloudflareAccountId = Annotated[
    str,
    _matching(r"[0-9a-f]{32}", "is not a Cloudflare account id (32 hex digits)"),
    Form('32 hex digits, the "Account ID" of the Cloudflare dashboard'),
]
CloudflareZoneId = Annotated[
    str,
    _matching(r"[0-9a-f]{32}", "is not a Cloudflare zone id (32 hex digits)"),
    Form('32 hex digits, the "Zone ID" of the Cloudflare dashboard'),
]
BucketName = Annotated[
    str,
    _matching(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "is not a bucket name (3-63 of a-z, 0-9, '.', '-')"),
    Form("a bucket name, 3-63 of a-z, 0-9, '.', '-'"),
]
_S3_REGION_FORM = "1-63 of a-z, 0-9 and '-', e.g. auto"
S3Region = Annotated[
    str,
    _matching(r"[a-z0-9]([a-z0-9-]{0,62})", f"is not an S3 region; allowed: {_S3_REGION_FORM}"),
    Form(_S3_REGION_FORM),
]
# include/uapi/linux/limits.h: PATH_MAX 4096 bytes with the final NUL
# (torvalds/linux@30c0923370175a01a806b23d797f1d9f2f3e4f40:include/uapi/linux/limits.h:13).
MAX_PATH = 4095
_PATH_FORM = f"printable ASCII, at most {MAX_PATH} characters (Linux's PATH_MAX)"
IdentityFile = Annotated[
    str,
    _matching(r"[!-~]([ -~]{0,4094})?", f"is not a file path; allowed: {_PATH_FORM}"),
    Form(f"a file path: {_PATH_FORM}"),
]
R2_LOCATIONS = ("apac", "eeur", "enam", "oc", "weur", "wnam")
R2Location = Annotated[str, _one_of(R2_LOCATIONS, "is not an R2 location"), Form(", ".join(R2_LOCATIONS))]
OpenSshPublicKey = Annotated[
    str,
    AfterValidator(validate_public_key),
    Form("one line of a .pub file, e.g. the output of `cat ~/.ssh/id_ed25519.pub`"),
]

# Images come from Docker Hub (docker.io): the official images (library/) and the projects' own repositories
# there. A name with another registry host (ghcr.io/..., a mirror, a typo-squat) is refused: the data services
# run as root in Coolify's network with the database's password.
_DOCKER_HUB_PREFIXES = ("docker.io/", "index.docker.io/")
POSTGRES_IMAGES = (
    "postgres",
    "timescale/timescaledb",
    "timescale/timescaledb-ha",
    "postgis/postgis",
    "pgvector/pgvector",
)
REDIS_IMAGES = ("redis", "valkey/valkey")
# The last part of each repository's name (what a container's image name ends with), for the preview and tests.
POSTGRES_IMAGE_FAMILIES = frozenset(repository.rsplit("/", 1)[-1] for repository in POSTGRES_IMAGES)
REDIS_IMAGE_FAMILIES = frozenset(repository.rsplit("/", 1)[-1] for repository in REDIS_IMAGES)
# Tags that move: the policy pack's list (policies/guardrails/rules/docker_image_disallow_unpinned_tags.py,
# FLOATING_TAGS); tests/stack_config/test_data_services.py checks that nothing accepted here is refused there.
FLOATING_WORDS = frozenset(
    {"latest", "stable", "edge", "main", "master", "nightly", "dev", "lts", "current", "mainline"}
)
# distribution/reference's grammar (https://github.com/distribution/reference/blob/main/reference.go, the
# comment at its top): tag `[\w][\w.-]{0,127}`, digest `sha256:` and 64 hex digits.
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", re.ASCII)
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}", re.ASCII)
# A release: a version with at least major.minor somewhere in the tag (17.6-bookworm, 2.17.2-pg17, 17-3.5).
_RELEASE = re.compile(r"(^|[^0-9.])[0-9]{1,4}\.[0-9]{1,4}", re.ASCII)
MAX_IMAGE = 255


def _repository(name: str) -> str:
    for prefix in _DOCKER_HUB_PREFIXES:
        name = name.removeprefix(prefix)
    return name.removeprefix("library/")


def _image_form(repositories: tuple[str, ...]) -> str:
    return (
        f"{', '.join(repositories)} from Docker Hub with a release tag, e.g. {repositories[0]}:"
        f"{'17.6-bookworm' if repositories[0] == 'postgres' else '7.4.6-bookworm'}, optionally followed by "
        "@sha256:<digest>"
    )


def _pinned_image(repositories: tuple[str, ...]) -> AfterValidator:
    allowed = f"allowed: {_image_form(repositories)}"

    def check(value: str) -> str:
        if len(value) > MAX_IMAGE or not value.isascii():
            raise ValueError(f"is not an image reference; {allowed}")
        reference, at, digest = value.partition("@")
        name, colon, tag = reference.rpartition(":") if ":" in reference.rsplit("/", 1)[-1] else (reference, "", "")
        if _repository(name) not in repositories:
            raise ValueError(f"is not an allowed image; {allowed}")
        if at and not _DIGEST.fullmatch(digest):
            raise ValueError(f"has a digest that is not sha256:<64 hex digits>; {allowed}")
        if not colon:
            raise ValueError(f"is not pinned: it names no release; {allowed}")
        words = set(re.split(r"[-_.]", tag.lower()))
        if not _TAG.fullmatch(tag) or words & FLOATING_WORDS or not _RELEASE.search(tag):
            raise ValueError(f"is not pinned: its tag names no release (major.minor at least); {allowed}")
        return value

    return AfterValidator(check)


PostgresImage = Annotated[str, _pinned_image(POSTGRES_IMAGES), Form(_image_form(POSTGRES_IMAGES))]
RedisImage = Annotated[str, _pinned_image(REDIS_IMAGES), Form(_image_form(REDIS_IMAGES))]


def _orderable_server_type(value: str) -> str:
    if value in catalog.RETIRED_SERVER_TYPES:
        raise ValueError(
            "was retired by Hetzner on 2025-10-16 and can no longer be ordered; "
            f"its successor is {catalog.RETIRED_SERVER_TYPES[value]!r}"
        )
    if value not in catalog.SERVER_TYPES:
        raise ValueError(f"is not a Hetzner server type; allowed: {', '.join(catalog.SERVER_TYPES)}")
    return value


ServerTypeName = Annotated[
    str, AfterValidator(_orderable_server_type), Form(f"a Hetzner server type: {', '.join(catalog.SERVER_TYPES)}")
]
LocationName = Annotated[
    str, _one_of(catalog.LOCATIONS, "is not a Hetzner location"), Form(", ".join(catalog.LOCATIONS))
]
LoadBalancerTypeName = Annotated[
    str,
    _one_of(catalog.LOAD_BALANCER_TYPES, "is not a Hetzner load balancer type"),
    Form(", ".join(catalog.LOAD_BALANCER_TYPES)),
]
ServerImage = Annotated[
    str, _one_of(catalog.SUPPORTED_IMAGES, "is not supported"), Form(", ".join(catalog.SUPPORTED_IMAGES))
]

# Cloudflare's record TTLs (https://developers.cloudflare.com/dns/manage-dns-records/reference/ttl/): 1 means
# automatic (300 s), otherwise 60 s to a day.
_TTL_FORM = "1 (automatic) or 60-86400"


def _ttl(value: int) -> int:
    if value != 1 and not 60 <= value <= 86400:
        raise ValueError(f"is out of range; allowed: {_TTL_FORM}")
    return value


Ttl = Annotated[int, AfterValidator(_ttl), Form(_TTL_FORM)]
