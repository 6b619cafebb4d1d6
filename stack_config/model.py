"""The stack configuration: its sections, the defaults each environment changes, and the rules across sections.

Keys are camelCase in the stack files (`hetzner-coolify:server` with `type`, `location`, ...). Each
section lives in the module named after the component it feeds; its value types in types.py; what
the providers offer in catalog.py. A stack file only holds what differs from the defaults, and
ENVIRONMENT_DEFAULTS holds the defaults that depend on the environment.
"""

import ipaddress
import math
from collections.abc import Sequence
from typing import Any, Literal, Self

from pydantic import Field, SecretStr, ValidationInfo, model_validator

from stack_config import catalog
from stack_config.backups import BackupSettings, S3Credentials, S3StorageSettings
from stack_config.base import ConfigModel, KeyedValueError
from stack_config.coolify import CoolifySettings
from stack_config.data_services import DockerSettings, PostgresSettings, RedisSettings
from stack_config.dns import DnsSettings, record_name
from stack_config.protection import ProtectionSettings
from stack_config.server import AdminSshKey, ServerSettings
from stack_config.types import MAX_ADMIN_CIDRS, MAX_DOMAIN, Cidr, Domain
from stack_config.workers import WorkerSettings

Environment = Literal["staging", "production"]
ENVIRONMENTS: tuple[Environment, ...] = ("staging", "production")

# Domains reserved for examples and tests (RFC 2606, RFC 6761): nothing real is ever there.
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_TOP_LEVEL_DOMAINS = ("example", "test", "invalid", "localhost")

# How much of the internet production lets reach SSH, in total over all admin sources of one address family
# (their union, so that many small ranges cannot add up to the internet). Admin networks are offices, VPN exits
# and CI runners: a handful of addresses, or a few prefixes of the smallest size the internet routes, a /24 of
# IPv4 and a /48 of IPv6 (RFC 7454, 6.1.3: https://www.rfc-editor.org/rfc/rfc7454#section-6.1.3; a /48 is
# also one site's assignment, RIPE-690). The bound allows 256 of those in each family: a /16 of IPv4 (65,536
# addresses) and a /40 of IPv6. A provider-sized range (a /8, 2000::/3) is far beyond it.
ADMIN_SOURCE_PREFIX = {4: 16, 6: 40}
# The admin keys travel together on the hardening step's command line (twice: as logins and as root's keys),
# which Linux caps at 128 KiB per argument (MAX_ARG_STRLEN, see stack_config/screening.py); 32 KiB of keys leave
# room for the rest of that command line. 32 keys are a large team's admins.
MAX_ADMIN_KEYS = 32
MAX_ADMIN_KEY_BYTES = 32 * 1024

ENVIRONMENT_DEFAULTS: dict[Environment, dict[str, dict[str, Any]]] = {
    "staging": {
        "protection": {"protect": False, "deleteProtection": False},
        "server": {"backups": False},
        "dns": {"namespace": "staging"},
    },
    "production": {
        "protection": {"protect": True, "deleteProtection": True},
        "server": {"backups": True},
        "dns": {"namespace": ""},
    },
}


class StackConfig(ConfigModel):
    environment: Environment = Field(description="staging or production; defaults to the stack's name.")
    domain: Domain | None = Field(
        default=None, description="Cloudflare zone to create records in; without one, names are <ip>.sslip.io."
    )
    dns: DnsSettings = Field(description="Which records to create, and how.")
    server: ServerSettings = Field(description="The Hetzner server that runs Coolify.")
    admin_ssh_keys: list[AdminSshKey] = Field(
        min_length=1, max_length=MAX_ADMIN_KEYS, description="Public keys that may log in as root."
    )
    admin_cidrs: list[Cidr] = Field(
        min_length=1,
        max_length=MAX_ADMIN_CIDRS,
        description="Networks allowed to reach SSH and, while open, Coolify's direct ports.",
    )
    coolify: CoolifySettings = Field(description="The Coolify installation.")
    postgres: PostgresSettings = Field(default=PostgresSettings(), description="PostgreSQL for the apps.")
    redis: RedisSettings = Field(default=RedisSettings(), description="Redis for the apps.")
    docker: DockerSettings = Field(default=DockerSettings(), description="How pulumi reaches the server's Docker.")
    backups: BackupSettings = Field(description="Encrypted off-site backups.")
    workers: WorkerSettings = Field(default=WorkerSettings(), description="Worker servers behind a load balancer.")
    coolify_api_token: SecretStr | None = Field(
        default=None,
        description="A Coolify API token (root) to register workers; set with `pulumi config set --secret`.",
    )
    backup_s3_access_key_id: SecretStr | None = Field(
        default=None, description="Access key of the s3 backup storage; set with `pulumi config set --secret`."
    )
    backup_s3_secret_access_key: SecretStr | None = Field(
        default=None, description="Its secret key; set with `pulumi config set --secret`."
    )
    protection: ProtectionSettings = Field(description="Guards against deleting or replacing stateful resources.")

    @model_validator(mode="before")
    @classmethod
    def _environment_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("environment") not in ENVIRONMENTS:
            return data
        merged = dict(data)
        for section, defaults in ENVIRONMENT_DEFAULTS[data["environment"]].items():
            given = merged.get(section, {})
            merged[section] = {**defaults, **given} if isinstance(given, dict) else given
        return merged

    def example_values(self) -> list[tuple[str, str]]:
        """(key, why) for each value that is a placeholder, not the team's own: a preview shows them, and
        `pulumi up` refuses them."""
        found = []
        email = self.coolify.admin_email
        if _is_reserved(email.rsplit("@", 1)[1]):
            found.append((
                "coolify.adminEmail",
                f"{email!r} is on a domain reserved for examples: Coolify creates no admin for it (its check "
                "resolves the domain) and leaves registration open to the first visitor; use a mailbox you read",
            ))  # fmt: skip
        return found

    def backup_s3_credentials(self) -> S3Credentials | None:
        """The keys of s3 backup storage, when both are set (they are whenever that storage is chosen)."""
        if self.backup_s3_access_key_id is None or self.backup_s3_secret_access_key is None:
            return None
        return S3Credentials(self.backup_s3_access_key_id, self.backup_s3_secret_access_key)

    def hostname(self, label: str) -> str:
        """The full name of a record label ('@' being the environment's own name); needs a domain."""
        return record_name(label, self.dns.base_name(self.domain or ""))

    @model_validator(mode="after")
    def _secrets_are_secret(self, info: ValidationInfo) -> Self:
        secret_keys = (info.context or {}).get("secret_keys", set())
        s3_storage = self.backups.enabled and isinstance(self.backups.storage, S3StorageSettings)
        secrets = (
            ("backupS3AccessKeyId", self.backup_s3_access_key_id, s3_storage),
            ("backupS3SecretAccessKey", self.backup_s3_secret_access_key, s3_storage),
            ("coolifyApiToken", self.coolify_api_token, False),
        )
        for key, value, required in secrets:
            if required and value is None:
                raise KeyedValueError(
                    key, "is required for s3 backup storage; set it with `pulumi config set --secret`"
                )
            if value is not None and key not in secret_keys:
                raise KeyedValueError(
                    key, "must be set with `pulumi config set --secret`, not in clear in the stack file"
                )
        return self

    @model_validator(mode="after")
    def _workers_need_names(self) -> Self:
        if not self.workers.count:
            return self
        if self.domain is None:
            raise KeyedValueError(
                "workers.count", "workers need a domain: apps reach them through the load balancer by name"
            )
        label = self.workers.load_balancer.health_check_label
        candidates = self.dns.app_labels()
        if label not in candidates:
            raise KeyedValueError(
                "workers.loadBalancer.healthCheckLabel",
                "{label!r} is not an app record of this stack; allowed: {allowed}",
                label=label,
                allowed=", ".join(candidates),
            )
        return self

    @model_validator(mode="after")
    def _names_fit_dns(self) -> Self:
        if self.domain is None:
            return self
        longest = max((self.hostname(label) for label in self.dns.labels()), key=len)
        if len(longest) > MAX_DOMAIN:
            raise KeyedValueError(
                "dns",
                "the name {name!r} is {length} characters long; DNS allows at most {limit} (RFC 1035, 2.3.4): "
                "shorten the namespace or the labels",
                name=longest[:40] + "…",
                length=len(longest),
                limit=MAX_DOMAIN,
            )
        return self

    @model_validator(mode="after")
    def _workers_in_location(self) -> Self:
        offered = catalog.SERVER_TYPES[self.workers.type].locations
        if self.workers.count and self.server.location not in offered:
            raise KeyedValueError(
                "workers",
                "type {type!r} is not offered in {location!r}, where the workers run; it is offered in {offered}",
                type=self.workers.type,
                location=self.server.location,
                offered=", ".join(offered),
            )
        return self

    @model_validator(mode="after")
    def _production_rules(self) -> Self:
        if self.environment == "production":
            for version, covered in _admin_coverage(self.admin_cidrs).items():
                if covered > 2 ** (_BITS[version] - ADMIN_SOURCE_PREFIX[version]):
                    raise KeyedValueError(
                        "adminCidrs",
                        "the IPv{version} sources together cover {covered} addresses; production lets at most a "
                        "/{ipv4} of IPv4 (65,536 addresses) and a /{ipv6} of IPv6 (2^88) in total reach SSH: list "
                        "the admin networks themselves (offices, VPN exits, CI runners)",
                        version=version,
                        covered=_count(covered),
                        ipv4=ADMIN_SOURCE_PREFIX[4],
                        ipv6=ADMIN_SOURCE_PREFIX[6],
                    )
        names = [key.name for key in self.admin_ssh_keys]
        if len(set(names)) != len(names):
            raise KeyedValueError("adminSshKeys", "names {names} must be unique", names=names)
        total = sum(len(key.public_key.encode()) for key in self.admin_ssh_keys)
        if total > MAX_ADMIN_KEY_BYTES:
            raise KeyedValueError(
                "adminSshKeys",
                "the keys add up to {total:,} bytes; allowed: at most {limit:,} in all (they reach the server on "
                "one command line, which Linux caps at 128 KiB)",
                total=total,
                limit=MAX_ADMIN_KEY_BYTES,
            )
        return self


_BITS = {4: 32, 6: 128}


def _count(addresses: int) -> str:
    """65,537; 2^125; over 2^31."""
    if addresses < 2**40:
        return f"{addresses:,}"
    exponent = math.floor(math.log2(addresses))
    return f"2^{exponent}" if addresses == 2**exponent else f"over 2^{exponent}"


def _admin_coverage(cidrs: Sequence[str]) -> dict[int, int]:
    """Per address family, how many addresses the sources cover together (overlaps counted once)."""
    networks = [ipaddress.ip_network(cidr) for cidr in cidrs]
    covered: dict[int, int] = {}
    for version in (4, 6):
        family = [network for network in networks if network.version == version]
        merged = ipaddress.collapse_addresses(family)  # type: ignore[type-var]
        covered[version] = sum(int(network.num_addresses) for network in merged)
    return covered


def _is_reserved(domain: str) -> bool:
    name = domain.lower().rstrip(".")
    return name.rsplit(".", 1)[-1] in RESERVED_TOP_LEVEL_DOMAINS or any(
        name == reserved or name.endswith(f".{reserved}") for reserved in RESERVED_DOMAINS
    )
