"""The stack configuration: every key, its default and its limits, in one place.

Keys are camelCase in the stack files (`hetzner-coolify:server` with `type`, `location`, ...).
Defaults that depend on the environment (protection, Hetzner backups, DNS name space) are in
ENVIRONMENT_DEFAULTS; a stack file only holds what differs from them.
"""

import ipaddress
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, model_validator
from pydantic.alias_generators import to_camel

from stack_config import hetzner_catalog as catalog
from stack_config.ssh_keys import validate_public_key

Environment = Literal["staging", "production"]
ENVIRONMENTS: tuple[Environment, ...] = ("staging", "production")

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


class KeyedValueError(ValueError):
    """A model-level validation error that belongs to one key of the section being validated."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_COOLIFY_VERSION = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z]+(\.[0-9A-Za-z]+)*)?$")
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
_LINUX_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
# Accounts a Debian/Ubuntu host or Docker already has; the admin user must be a new one.
_SYSTEM_USERS = frozenset(
    {"root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy", "www-data",
     "backup", "list", "irc", "gnats", "nobody", "systemd-network", "systemd-resolve", "messagebus", "sshd",
     "syslog", "_apt", "ubuntu", "debian", "docker", "postgres", "redis"}
)  # fmt: skip
_EMAIL = re.compile(r"^[^@\s]+@[a-z0-9-]+(\.[a-z0-9-]+)+$", re.IGNORECASE)
_COOLIFY_USERNAME = re.compile(r"^[A-Za-z0-9_ -]{3,64}$")
_SQL_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_AGE_RECIPIENT = re.compile(r"^(age1[02-9ac-hj-np-z]{58}|ssh-ed25519 [A-Za-z0-9+/=]+( .*)?)$")
_CLOUDFLARE_ACCOUNT = re.compile(r"^[0-9a-f]{32}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# systemd OnCalendar expressions: dates, times, weekdays, ranges, lists, a time zone.
_CALENDAR = re.compile(r"^[A-Za-z0-9*:,./~ _+-]{1,100}$")
R2_LOCATIONS = ("apac", "eeur", "enam", "oc", "weur", "wnam")
POSTGRES_IMAGES = frozenset({"postgres", "timescaledb", "timescaledb-ha", "postgis", "pgvector"})
REDIS_IMAGES = frozenset({"redis", "valkey"})


def _dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError("is not a DNS label; allowed: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'")
    return value


def _record_label(value: str) -> str:
    if value != "@" and not _DNS_LABEL.match(value):
        raise ValueError("is not a record label; allowed: '@' (the environment's own name) or a DNS label")
    return value


def _dns_namespace(value: str) -> str:
    for label in value.split(".") if value else []:
        _dns_label(label)
    return value


def _domain(value: str) -> str:
    name = value.strip().rstrip(".").lower()
    labels = name.split(".")
    if len(labels) < 2 or len(name) > 253 or not all(_DNS_LABEL.match(label) for label in labels):
        raise ValueError("is not a domain name; expected the Cloudflare zone's name, e.g. example.com")
    return name


def _resource_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError("is not a name; allowed: 1-32 of a-z, 0-9 and '-', not starting or ending with '-'")
    return value


def _admin_user(value: str) -> str:
    if not _LINUX_USER.match(value):
        raise ValueError("is not a Linux user name; allowed: a-z, 0-9, '_' and '-', starting with a letter or '_'")
    if value in _SYSTEM_USERS:
        raise ValueError("is a system account; choose a new name for the admin login")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("is not an email address")
    return value


def _coolify_username(value: str) -> str:
    if not _COOLIFY_USERNAME.match(value):
        raise ValueError("is not a Coolify user name; allowed: 3-64 of letters, digits, spaces, '_' and '-'")
    return value


def _sql_identifier(value: str) -> str:
    if not _SQL_IDENTIFIER.match(value):
        raise ValueError("is not a plain SQL name; allowed: 1-63 of a-z, 0-9 and '_', starting with a letter")
    return value


def _pinned_image(families: frozenset[str]) -> Callable[[str], str]:
    def check(value: str) -> str:
        path = value.split("@", 1)[0]
        name, _, tag = path.rsplit("/", 1)[-1].partition(":")
        if name not in families:
            raise ValueError(f"is not an image of {', '.join(sorted(families))}")
        if "@sha256:" not in value and (not tag or tag in ("latest", "stable", "edge")):
            raise ValueError("is not pinned; name a version tag (e.g. :17.6-bookworm) or a digest")
        return value

    return check


def _https_url(value: str) -> str:
    if not re.match(r"^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s]*)?$", value):
        raise ValueError("is not an https:// URL")
    return value


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"is not an IPv4 or IPv6 network in CIDR notation ({error})") from None
    return network.with_prefixlen


DnsLabel = Annotated[str, AfterValidator(_dns_label)]
RecordLabel = Annotated[str, AfterValidator(_record_label)]
Cidr = Annotated[str, AfterValidator(_cidr)]


class ConfigModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


def _key_owner(value: str) -> str:
    _resource_name(value)
    if value == "deploy":
        raise ValueError("is the generated deploy key's name; choose another")
    return value


class AdminSshKey(ConfigModel):
    name: Annotated[str, AfterValidator(_key_owner)] = Field(
        description="Short name of the key's owner; becomes the Hetzner SSH key's name."
    )
    public_key: Annotated[str, AfterValidator(validate_public_key)] = Field(
        description="OpenSSH public key line: ssh-ed25519, ecdsa-sha2-* or ssh-rsa of at least 3072 bits."
    )


class ServerSettings(ConfigModel):
    type: str = Field(default="cx33", description="Hetzner server type (see stack_config/hetzner_catalog.py).")
    location: str = Field(default="nbg1", description="Hetzner location: fsn1, nbg1, hel1, ash, hil or sin.")
    image: str = Field(default="ubuntu-24.04", description="System image the bootstrap scripts support.")
    backups: bool = Field(description="Hetzner's daily server backups (+20 % of the server price).")
    admin_user: Annotated[str, AfterValidator(_admin_user)] = Field(
        default="ops", description="Non-root login with sudo, for the admin keys; root stays key-only for Coolify."
    )

    @model_validator(mode="after")
    def _orderable(self) -> Self:
        if self.type in catalog.RETIRED_SERVER_TYPES:
            raise KeyedValueError(
                "type",
                f"{self.type!r} was retired by Hetzner on 2025-10-16 and can no longer be ordered; "
                f"its successor is {catalog.RETIRED_SERVER_TYPES[self.type]!r}",
            )
        server_type = catalog.SERVER_TYPES.get(self.type)
        if server_type is None:
            raise KeyedValueError(
                "type", f"{self.type!r} is not a Hetzner server type; allowed: {', '.join(catalog.SERVER_TYPES)}"
            )
        if server_type.vcpus < catalog.COOLIFY_MIN_VCPUS or server_type.memory_gb < catalog.COOLIFY_MIN_MEMORY_GB:
            raise KeyedValueError(
                "type",
                f"{self.type!r} has {server_type.vcpus} vCPU and {server_type.memory_gb} GB; Coolify needs at least "
                f"{catalog.COOLIFY_MIN_VCPUS} vCPU and {catalog.COOLIFY_MIN_MEMORY_GB} GB",
            )
        if self.location not in catalog.ALL_LOCATIONS:
            raise KeyedValueError(
                "location",
                f"{self.location!r} is not a Hetzner location; allowed: {', '.join(catalog.ALL_LOCATIONS)}",
            )
        if self.location not in server_type.locations:
            raise KeyedValueError(
                "location",
                f"{self.location!r} does not offer {self.type!r}; it is offered in {', '.join(server_type.locations)}",
            )
        if self.image not in catalog.SUPPORTED_IMAGES:
            raise KeyedValueError(
                "image", f"{self.image!r} is not supported; allowed: {', '.join(catalog.SUPPORTED_IMAGES)}"
            )
        return self


class DnsRecordSettings(ConfigModel):
    ttl: int = Field(default=1, description="TTL in seconds, 60-86400, or 1 for Cloudflare's automatic TTL (300 s).")
    proxied: bool = Field(
        default=False,
        description="Route through Cloudflare's proxy. Off by default: Coolify's proxy gets Let's Encrypt "
        "certificates itself, and proxied names deeper than one label below the zone get no edge certificate.",
    )

    @model_validator(mode="after")
    def _ttl(self) -> Self:
        if self.ttl != 1 and not 60 <= self.ttl <= 86400:
            raise KeyedValueError("ttl", f"{self.ttl} is out of range; allowed: 1 (automatic) or 60-86400")
        if self.proxied and self.ttl != 1:
            raise KeyedValueError(
                "ttl", f"{self.ttl} is not allowed on a proxied record; Cloudflare requires 1 (automatic)"
            )
        return self


class DnsSettings(ConfigModel):
    zone_id: str | None = Field(
        default=None, description="Cloudflare zone id; by default the zone is looked up by the domain's name."
    )
    namespace: Annotated[str, AfterValidator(_dns_namespace)] = Field(
        description="Labels between the records and the domain: 'staging' gives staging.example.com and "
        "*.staging.example.com. Default: '' in production, the environment's name elsewhere."
    )
    apex: bool = Field(default=True, description="A/AAAA records for the name space itself.")
    www: bool = Field(default=True, description="A/AAAA records for www.")
    dashboard: DnsLabel = Field(default="coolify", description="Label of the Coolify dashboard's name.")
    subdomains: list[DnsLabel] = Field(default=["api"], description="Further labels for apps, e.g. api.")
    wildcard: bool = Field(default=True, description="A/AAAA records for * so Coolify can give every app a name.")
    caa: bool = Field(default=True, description="CAA records that allow only Let's Encrypt to issue certificates.")
    defaults: DnsRecordSettings = Field(default=DnsRecordSettings(), description="TTL and proxied for every record.")
    overrides: dict[str, DnsRecordSettings] = Field(
        default={}, description="TTL and proxied per record, keyed by label: '@', 'www', '*', or a subdomain."
    )

    def labels(self) -> list[str]:
        """Record labels relative to the name space, '@' being the name space itself."""
        chosen = (["@"] if self.apex else []) + (["www"] if self.www else []) + [self.dashboard, *self.subdomains]
        return chosen + (["*"] if self.wildcard else [])

    def settings_for(self, label: str) -> DnsRecordSettings:
        return self.overrides.get(label, self.defaults)

    def records(self) -> dict[str, DnsRecordSettings]:
        return {label: self.settings_for(label) for label in self.labels()}

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        labels = self.labels()
        duplicates = sorted({label for label in labels if labels.count(label) > 1})
        if duplicates:
            raise KeyedValueError("subdomains", f"{duplicates} appear more than once (www and the dashboard count too)")
        unknown = sorted(set(self.overrides) - set(labels))
        if unknown:
            raise KeyedValueError("overrides", f"{unknown} are not records of this stack; allowed: {', '.join(labels)}")
        namespace_depth = len(self.namespace.split(".")) if self.namespace else 0
        too_deep = [
            label for label in labels if self.settings_for(label).proxied and namespace_depth + (label != "@") > 1
        ]
        if too_deep:
            raise KeyedValueError(
                "defaults" if self.defaults.proxied else "overrides",
                f"{too_deep} cannot be proxied: Cloudflare's universal certificate covers only names one label "
                f"below the zone, and the name space {self.namespace!r} puts them deeper; keep them DNS-only",
            )
        return self


class CoolifySettings(ConfigModel):
    # 4.3.19: the release named in Coolify's config/constants.php at its newest install.sh we could
    # read (checked 2026-11-25); bump it deliberately, staging first.
    version: str = Field(default="4.3.19", description="Coolify release to install; a pinned version, never 'latest'.")
    admin_email: Annotated[str, AfterValidator(_email)] = Field(
        description="Email of Coolify's first admin (its login); the password is generated."
    )
    admin_username: Annotated[str, AfterValidator(_coolify_username)] = Field(
        default="admin", description="Display name of Coolify's first admin."
    )
    close_direct_ports: bool = Field(
        default=True,
        description="Keep 8000/6001/6002 closed in the cloud firewall and on 127.0.0.1: the dashboard is reached "
        "through an SSH tunnel or on its domain over HTTPS. false opens them to adminCidrs, over plain HTTP.",
    )

    @model_validator(mode="after")
    def _pinned(self) -> Self:
        if not _COOLIFY_VERSION.match(self.version):
            raise KeyedValueError(
                "version", f"{self.version!r} is not a pinned release; expected e.g. 4.3.19 or 4.0.0-beta.474"
            )
        return self


class PostgresSettings(ConfigModel):
    enabled: bool = Field(default=True, description="Run PostgreSQL on the server, on Coolify's network.")
    image: Annotated[str, AfterValidator(_pinned_image(POSTGRES_IMAGES))] = Field(
        default="postgres:17.6-bookworm",
        description="Pinned image: postgres, or timescale/timescaledb (TimescaleDB), postgis, pgvector.",
    )
    database: Annotated[str, AfterValidator(_sql_identifier)] = Field(default="app", description="Database to create.")
    user: Annotated[str, AfterValidator(_sql_identifier)] = Field(
        default="app", description="Its owner; password generated."
    )
    memory_mb: int = Field(default=1024, ge=256, le=262144, description="Memory limit of the container, MiB.")
    storage: Literal["docker-volume", "hetzner-volume"] = Field(
        default="docker-volume",
        description="Where the data lives: a named Docker volume on the server's disk, or a Hetzner Volume that "
        "survives the server.",
    )
    volume_size_gb: int = Field(default=20, ge=10, le=10240, description="Size of the Hetzner Volume, GB.")
    local_port: int | None = Field(
        default=None,
        ge=1024,
        le=65535,
        description="Publish on 127.0.0.1 of the server for SSH tunnels; off by default.",
    )


class RedisSettings(ConfigModel):
    enabled: bool = Field(default=True, description="Run Redis on the server, on Coolify's network.")
    image: Annotated[str, AfterValidator(_pinned_image(REDIS_IMAGES))] = Field(
        default="redis:7.4.6-bookworm", description="Pinned image: redis or valkey/valkey."
    )
    memory_mb: int = Field(default=256, ge=64, le=65536, description="Memory limit of the container, MiB.")


class RetentionSettings(ConfigModel):
    daily: int = Field(default=7, ge=1, le=366, description="Newest backup of each of the last N days.")
    weekly: int = Field(default=4, ge=0, le=520, description="Then the newest of each of N more weeks.")
    monthly: int = Field(default=3, ge=0, le=240, description="Then the newest of each of N more months.")


class BackupStorageSettings(ConfigModel):
    kind: Literal["r2", "s3"] = Field(
        default="r2",
        description="r2: a Cloudflare R2 bucket and a token scoped to it, created here. s3: an existing bucket on "
        "any S3-compatible endpoint (Hetzner Object Storage: create bucket and keys in its console).",
    )
    account_id: str | None = Field(default=None, description="Cloudflare account id (r2).")
    jurisdiction: Literal["eu", "default"] = Field(
        default="eu", description="R2 jurisdiction: eu keeps data in the EU."
    )
    location: str | None = Field(default=None, description=f"R2 location hint: {', '.join(R2_LOCATIONS)} (r2).")
    endpoint: Annotated[str, AfterValidator(_https_url)] | None = Field(
        default=None, description="S3 endpoint, e.g. https://fsn1.your-objectstorage.com (s3)."
    )
    bucket: str | None = Field(default=None, description="Bucket name (s3; r2 names its bucket after the stack).")
    region: str = Field(default="auto", description="S3 region (s3).")

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.kind == "r2":
            if not self.account_id or not _CLOUDFLARE_ACCOUNT.match(self.account_id):
                raise KeyedValueError(
                    "accountId", f"{self.account_id!r} is not a Cloudflare account id (32 hex digits)"
                )
            if self.location is not None and self.location not in R2_LOCATIONS:
                raise KeyedValueError(
                    "location", f"{self.location!r} is not an R2 location; allowed: {', '.join(R2_LOCATIONS)}"
                )
        else:
            if self.endpoint is None:
                raise KeyedValueError("endpoint", "is required for s3 storage")
            if not self.bucket or not _BUCKET.match(self.bucket):
                raise KeyedValueError("bucket", f"{self.bucket!r} is not a bucket name (3-63 of a-z, 0-9, '.', '-')")
        return self


class BackupSettings(ConfigModel):
    enabled: bool = Field(default=True, description="Nightly encrypted backups of Postgres and Coolify.")
    schedule: str = Field(
        default="*-*-* 02:00:00 UTC", description="systemd OnCalendar expression; missed runs catch up at boot."
    )
    age_recipient: str = Field(
        description="age public key (age1...) the backups are encrypted to; keep its private key off the server."
    )
    retention: RetentionSettings = Field(default=RetentionSettings(), description="Which backups to keep.")
    ping_url: Annotated[str, AfterValidator(_https_url)] | None = Field(
        default=None, description="Pinged after each run (and at <url>/fail on failure), e.g. healthchecks.io."
    )
    storage: BackupStorageSettings = Field(description="Where backups go.")

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if not _CALENDAR.match(self.schedule):
            raise KeyedValueError("schedule", f"{self.schedule!r} is not a systemd calendar expression")
        if not _AGE_RECIPIENT.match(self.age_recipient):
            raise KeyedValueError(
                "ageRecipient", f"{self.age_recipient!r} is not an age recipient (age1... or ssh-ed25519)"
            )
        return self


class LoadBalancerSettings(ConfigModel):
    type: Literal["lb11", "lb21", "lb31"] = Field(default="lb11", description="Hetzner load balancer type.")
    dns: bool = Field(default=True, description="Point the app names (all but the dashboard's) at the load balancer.")
    health_check_label: RecordLabel = Field(
        default="api",
        description="App record whose name the load balancer's HTTP health check asks for on each worker; "
        "a worker is healthy when Coolify's proxy answers for that app.",
    )


class WorkerSettings(ConfigModel):
    count: int = Field(
        default=0, ge=0, le=100, description="Worker servers for Coolify's apps; 0 runs apps on the main server."
    )
    type: str = Field(default="cx33", description="Hetzner server type of the workers.")
    load_balancer: LoadBalancerSettings = Field(
        default=LoadBalancerSettings(), description="The load balancer in front of the workers."
    )

    @model_validator(mode="after")
    def _fits(self) -> Self:
        if self.type not in catalog.SERVER_TYPES:
            raise KeyedValueError(
                "type", f"{self.type!r} is not a Hetzner server type; allowed: {', '.join(catalog.SERVER_TYPES)}"
            )
        limit = catalog.LOAD_BALANCER_TARGETS[self.load_balancer.type]
        if self.count > limit:
            bigger = [name for name, targets in catalog.LOAD_BALANCER_TARGETS.items() if targets >= self.count]
            raise KeyedValueError(
                "count",
                f"{self.count} workers exceed the {limit} targets of a {self.load_balancer.type}; "
                f"use workers.loadBalancer.type {' or '.join(bigger)}",
            )
        return self


class DockerSettings(ConfigModel):
    ssh_identity_file: str | None = Field(
        default=None,
        description="Private key file the system ssh uses to reach the server's Docker; default: the SSH agent.",
    )


class ProtectionSettings(ConfigModel):
    protect: bool = Field(
        description="Pulumi `protect` on the server and its addresses: `pulumi destroy` refuses to delete them."
    )
    delete_protection: bool = Field(
        description="Hetzner delete and rebuild protection on the server and its addresses."
    )


class StackConfig(ConfigModel):
    environment: Environment = Field(description="staging or production; defaults to the stack's name.")
    domain: Annotated[str, AfterValidator(_domain)] | None = Field(
        default=None, description="Cloudflare zone to create records in; without one, names are <ip>.sslip.io."
    )
    dns: DnsSettings = Field(description="Which records to create, and how.")
    server: ServerSettings = Field(description="The Hetzner server that runs Coolify.")
    admin_ssh_keys: list[AdminSshKey] = Field(min_length=1, description="Public keys that may log in as root.")
    admin_cidrs: list[Cidr] = Field(
        min_length=1, description="Networks allowed to reach SSH and, while open, Coolify's direct ports."
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

    def backup_s3_credentials(self) -> tuple[str, str]:
        """Access key id and secret of s3 backup storage (validated present when that storage is chosen)."""
        if self.backup_s3_access_key_id is None or self.backup_s3_secret_access_key is None:
            raise ValueError("backupS3AccessKeyId and backupS3SecretAccessKey are not set")
        return self.backup_s3_access_key_id.get_secret_value(), self.backup_s3_secret_access_key.get_secret_value()

    @model_validator(mode="after")
    def _secrets_are_secret(self, info: ValidationInfo) -> Self:
        secret_keys = (info.context or {}).get("secret_keys", set())
        s3_storage = self.backups.enabled and self.backups.storage.kind == "s3"
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

    def hostname(self, label: str) -> str:
        """The full name of a record label ('@' being the environment's own name); needs a domain."""
        base = ".".join(part for part in (self.dns.namespace, self.domain) if part)
        return base if label == "@" else f"{label}.{base}"

    @model_validator(mode="after")
    def _workers_need_names(self) -> Self:
        if not self.workers.count:
            return self
        if self.domain is None:
            raise KeyedValueError(
                "workers.count", "workers need a domain: apps reach them through the load balancer by name"
            )
        label = self.workers.load_balancer.health_check_label
        candidates = [name for name in self.dns.labels() if name not in ("*", self.dns.dashboard)]
        if label not in candidates:
            raise KeyedValueError(
                "workers.loadBalancer.healthCheckLabel",
                f"{label!r} is not an app record of this stack; allowed: {', '.join(candidates)}",
            )
        return self

    @model_validator(mode="after")
    def _workers_in_location(self) -> Self:
        offered = catalog.SERVER_TYPES[self.workers.type].locations if self.workers.type in catalog.SERVER_TYPES else ()
        if self.workers.count and self.server.location not in offered:
            raise KeyedValueError(
                "workers",
                f"type {self.workers.type!r} is not offered in {self.server.location!r}, where the workers run; "
                f"it is offered in {', '.join(offered)}",
            )
        return self

    @model_validator(mode="after")
    def _production_rules(self) -> Self:
        if self.environment == "production":
            world = [cidr for cidr in self.admin_cidrs if ipaddress.ip_network(cidr).prefixlen == 0]
            if world:
                raise KeyedValueError(
                    "adminCidrs", f"{world} opens SSH to the whole internet, which production refuses"
                )
        names = [key.name for key in self.admin_ssh_keys]
        if len(set(names)) != len(names):
            raise KeyedValueError("adminSshKeys", f"names {names} must be unique")
        return self
