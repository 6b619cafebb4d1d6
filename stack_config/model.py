"""The stack configuration: its sections, the defaults the environment and the stack's name change, and the rules
across sections.

Keys are camelCase in the stack files (`hetzner-coolify:server` with `type`, `location`, ...). Each
section lives in the module named after the component it feeds; its value types in types.py; what
the providers offer in catalog.py. A stack file only holds what differs from the defaults;
ENVIRONMENT_DEFAULTS holds the defaults that depend on the environment, and stack_defaults adds the one that
depends on the stack's name (stack_config/stacks.py).

Fields are checked by pydantic; rules across fields are not pydantic validators but `problems()` of each section
and RULES below, run by rule_problems once the keys they read are valid: every problem is reported at once.
"""

import inspect
import ipaddress
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pydantic import Field, SecretStr

from stack_config import catalog, examples
from stack_config.backups import BackupSettings, S3Credentials, S3StorageSettings
from stack_config.base import ConfigModel, KeyedValueError
from stack_config.coolify import CoolifySettings
from stack_config.data_services import DockerSettings, PostgresSettings, RedisSettings
from stack_config.dns import DnsSettings, record_name
from stack_config.monitoring import MonitoringSettings
from stack_config.protection import ProtectionSettings
from stack_config.rotation import RotationSettings
from stack_config.server import AdminSshKey, ServerSettings
from stack_config.stacks import Environment, default_dns_namespace
from stack_config.types import HTTPS_URL, MAX_ADMIN_CIDRS, MAX_DOMAIN, MAX_URL, Cidr, Domain
from stack_config.workers import WorkerSettings

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
    },
    "production": {
        "protection": {"protect": True, "deleteProtection": True},
        "server": {"backups": True},
    },
}


def stack_defaults(environment: Environment, stack: str) -> dict[str, dict[str, Any]]:
    """The defaults of the stack's environment and of its name, by section."""
    return {**ENVIRONMENT_DEFAULTS[environment], "dns": {"namespace": default_dns_namespace(stack)}}


def with_defaults(values: Mapping[str, Any], environment: Environment, stack: str) -> dict[str, Any]:
    """The stack file's values, each section merged over its defaults (a section that is not a mapping stays as it
    is, for validation to refuse)."""
    merged = dict(values)
    for section, defaults in stack_defaults(environment, stack).items():
        given = merged.get(section, {})
        merged[section] = {**defaults, **given} if isinstance(given, dict) else given
    return merged


class StackConfig(ConfigModel):
    environment: Environment = Field(
        description="staging or production. Default: the stack's name for the stacks named staging and production, "
        "staging for any other stack, except that a stack whose name looks like production (prod, prd, production "
        "or live as a part of it, digits after it or not: prod-eu, eu-live, prod2) must set it."
    )
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
    monitoring: MonitoringSettings = Field(
        default=MonitoringSettings(), description="The monitor on every server: checks, thresholds and alerts."
    )
    monitoring_webhook_url: SecretStr | None = Field(
        default=None,
        description="https URL the monitor posts alerts to (a secret: whoever has it can post); set with "
        "`pulumi config set --secret`. Without it, alerts reach only the server's journal.",
    )
    monitoring_heartbeat_url: SecretStr | None = Field(
        default=None,
        description="https URL the monitor pings after every check, for a dead-man's switch such as healthchecks.io "
        "(a secret); set with `pulumi config set --secret`.",
    )
    rotation: RotationSettings = Field(
        default=RotationSettings(), description="Counters that rotate the generated secrets, one per secret."
    )
    protection: ProtectionSettings = Field(description="Guards against deleting or replacing stateful resources.")

    def example_values(self) -> list[tuple[str, str]]:
        """(key, why) for each value that is a placeholder, not the team's own (stack_config/examples.py): a preview
        shows them, and `pulumi up` refuses them."""
        return examples.example_values(self)

    def backup_s3_credentials(self) -> S3Credentials | None:
        """The keys of s3 backup storage, when both are set (they are whenever that storage is chosen)."""
        if self.backup_s3_access_key_id is None or self.backup_s3_secret_access_key is None:
            return None
        return S3Credentials(self.backup_s3_access_key_id, self.backup_s3_secret_access_key)

    def hostname(self, label: str) -> str:
        """The full name of a record label ('@' being the environment's own name); needs a domain."""
        return record_name(label, self.dns.base_name(self.domain or ""))


# Rules across sections. Each parameter is named after the field it reads (secret_keys: the keys set with
# `--secret`); rule_problems runs a rule once every field it reads is valid.


def _secrets_are_secret(
    *,
    coolify_api_token: SecretStr | None,
    backup_s3_access_key_id: SecretStr | None,
    backup_s3_secret_access_key: SecretStr | None,
    monitoring_webhook_url: SecretStr | None,
    monitoring_heartbeat_url: SecretStr | None,
    secret_keys: frozenset[str],
) -> Iterator[KeyedValueError]:
    secrets = (
        ("coolifyApiToken", coolify_api_token),
        ("backupS3AccessKeyId", backup_s3_access_key_id),
        ("backupS3SecretAccessKey", backup_s3_secret_access_key),
        ("monitoringWebhookUrl", monitoring_webhook_url),
        ("monitoringHeartbeatUrl", monitoring_heartbeat_url),
    )
    for key, value in secrets:
        if value is not None and key not in secret_keys:
            yield KeyedValueError(key, "must be set with `pulumi config set --secret`, not in clear in the stack file")


def _s3_storage_has_its_keys(
    backups: BackupSettings,
    backup_s3_access_key_id: SecretStr | None,
    backup_s3_secret_access_key: SecretStr | None,
) -> Iterator[KeyedValueError]:
    if not (backups.enabled and isinstance(backups.storage, S3StorageSettings)):
        return
    for key, value in (
        ("backupS3AccessKeyId", backup_s3_access_key_id),
        ("backupS3SecretAccessKey", backup_s3_secret_access_key),
    ):
        if value is None:
            yield KeyedValueError(key, "is required for s3 backup storage; set it with `pulumi config set --secret`")


def _monitoring_urls_are_https(
    monitoring_webhook_url: SecretStr | None, monitoring_heartbeat_url: SecretStr | None
) -> Iterator[KeyedValueError]:
    # The value is a secret: the message never quotes it.
    for key, value in (
        ("monitoringWebhookUrl", monitoring_webhook_url),
        ("monitoringHeartbeatUrl", monitoring_heartbeat_url),
    ):
        url = None if value is None else value.get_secret_value()
        if url is not None and (len(url) > MAX_URL or not re.fullmatch(HTTPS_URL, url)):
            # The bound is written in, not passed as a value: a secret key's message masks every value it quotes.
            yield KeyedValueError(
                key, f"is not an https URL; allowed: https://host[:port][/path], at most {MAX_URL} characters"
            )


def _backup_token_rotates_on_r2(rotation: RotationSettings, backups: BackupSettings) -> Iterator[KeyedValueError]:
    if rotation.backup_token and isinstance(backups.storage, S3StorageSettings):
        yield KeyedValueError(
            "rotation.backupToken",
            "rotates the token of r2 storage, which this stack does not use; for s3 storage, make new keys in the "
            "storage's console and set them with `pulumi config set --secret backupS3AccessKeyId` and "
            "backupS3SecretAccessKey; allowed here: 0",
        )


# ACL users, which give Redis the two passwords of a rotation, came with Redis 6.0
# (https://redis.io/docs/latest/operate/oss_and_stack/management/security/acl/); valkey forked from 7.2.
REDIS_ACL_MAJOR = 6


def _redis_rotation_needs_acl(rotation: RotationSettings, redis: RedisSettings) -> Iterator[KeyedValueError]:
    if not (rotation.redis and redis.enabled):
        return
    repository, _, tag = redis.image.split("@", 1)[0].rpartition(":")
    major = re.match(r"[0-9]+", tag)
    if repository.rsplit("/", 1)[-1] == "redis" and major and int(major.group()) < REDIS_ACL_MAJOR:
        yield KeyedValueError(
            "rotation.redis",
            "needs Redis {acl} or later, whose ACL users accept two passwords; redis.image is {image!r}: "
            "upgrade it first; allowed with this image: 0",
            acl=REDIS_ACL_MAJOR,
            image=redis.image,
        )


def _workers_need_names(workers: WorkerSettings, domain: str | None, dns: DnsSettings) -> Iterator[KeyedValueError]:
    if not workers.count:
        return
    if domain is None:
        yield KeyedValueError(
            "workers.count", "workers need a domain: apps reach them through the load balancer by name"
        )
        return
    label = workers.load_balancer.health_check_label
    candidates = dns.app_labels()
    if label not in candidates:
        yield KeyedValueError(
            "workers.loadBalancer.healthCheckLabel",
            "{label!r} is not an app record of this stack; allowed: {allowed}",
            label=label,
            allowed=", ".join(candidates),
        )


def _names_fit_dns(domain: str | None, dns: DnsSettings) -> Iterator[KeyedValueError]:
    if domain is None:
        return
    longest = max((record_name(label, dns.base_name(domain)) for label in dns.labels()), key=len)
    if len(longest) > MAX_DOMAIN:
        yield KeyedValueError(
            "dns",
            "the name {name!r} is {length} characters long; DNS allows at most {limit} (RFC 1035, 2.3.4): "
            "shorten the namespace or the labels",
            name=longest[:40] + "…",
            length=len(longest),
            limit=MAX_DOMAIN,
        )


def _workers_in_location(workers: WorkerSettings, server: ServerSettings) -> Iterator[KeyedValueError]:
    offered = catalog.SERVER_TYPES[workers.type].locations
    if workers.count and server.location not in offered:
        yield KeyedValueError(
            "workers",
            "type {type!r} is not offered in {location!r}, where the workers run; it is offered in {offered}",
            type=workers.type,
            location=server.location,
            offered=", ".join(offered),
        )


def _production_bounds_admin_sources(environment: Environment, admin_cidrs: list[str]) -> Iterator[KeyedValueError]:
    if environment != "production":
        return
    for version, covered in _admin_coverage(admin_cidrs).items():
        if covered > 2 ** (_BITS[version] - ADMIN_SOURCE_PREFIX[version]):
            yield KeyedValueError(
                "adminCidrs",
                "the IPv{version} sources together cover {covered} addresses; production lets at most a "
                "/{ipv4} of IPv4 (65,536 addresses) and a /{ipv6} of IPv6 (2^88) in total reach SSH: list "
                "the admin networks themselves (offices, VPN exits, CI runners)",
                version=version,
                covered=_count(covered),
                ipv4=ADMIN_SOURCE_PREFIX[4],
                ipv6=ADMIN_SOURCE_PREFIX[6],
            )


def _production_keeps_backups(environment: Environment, backups: BackupSettings) -> Iterator[KeyedValueError]:
    if environment == "production" and not backups.enabled:
        yield KeyedValueError(
            "backups.enabled",
            "false is refused in production: its data must have off-site backups (the policy pack's "
            "postgres-container-enable-backups refuses it too); allowed in production: true",
        )


def _admin_keys_fit(admin_ssh_keys: list[AdminSshKey]) -> Iterator[KeyedValueError]:
    names = [key.name for key in admin_ssh_keys]
    if len(set(names)) != len(names):
        yield KeyedValueError("adminSshKeys", "names {names} must be unique", names=names)
    total = sum(len(key.public_key.encode()) for key in admin_ssh_keys)
    if total > MAX_ADMIN_KEY_BYTES:
        yield KeyedValueError(
            "adminSshKeys",
            "the keys add up to {total:,} bytes; allowed: at most {limit:,} in all (they reach the server on "
            "one command line, which Linux caps at 128 KiB)",
            total=total,
            limit=MAX_ADMIN_KEY_BYTES,
        )


RULES: tuple[Callable[..., Iterator[KeyedValueError]], ...] = (
    _secrets_are_secret,
    _monitoring_urls_are_https,
    _backup_token_rotates_on_r2,
    _redis_rotation_needs_acl,
    _s3_storage_has_its_keys,
    _workers_need_names,
    _names_fit_dns,
    _workers_in_location,
    _production_bounds_admin_sources,
    _production_keeps_backups,
    _admin_keys_fit,
)


def rule_problems(
    fields: Mapping[str, Any], secret_keys: frozenset[str]
) -> Iterator[tuple[tuple[str | int, ...], KeyedValueError]]:
    """(where, problem) for every rule whose fields are all valid: `fields` holds StackConfig's valid fields by
    name (an invalid or unchecked one is absent); `where` is the problem's key path in the stack file."""
    for name, value in fields.items():
        field = StackConfig.model_fields[name]
        yield from _section_problems(value, (field.alias or name,))
    given = {**fields, "secret_keys": secret_keys}
    for rule in RULES:
        needed = inspect.signature(rule).parameters
        if all(parameter in given for parameter in needed):
            for problem in rule(**{parameter: given[parameter] for parameter in needed}):
                yield tuple(problem.key.split(".")), problem


def _section_problems(
    value: Any, where: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], KeyedValueError]]:
    """The problems of every section's own rules in `value`, the sections inside it first."""
    if isinstance(value, ConfigModel):
        for name, field in type(value).model_fields.items():
            yield from _section_problems(getattr(value, name), (*where, field.alias or name))
        for problem in value.problems():
            yield (*where, *problem.key.split(".")), problem
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _section_problems(item, (*where, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _section_problems(item, (*where, key))


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
