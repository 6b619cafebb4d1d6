"""Scheduled, encrypted, verified backups of the app database and of Coolify, off the server.

Children: with R2 storage, an `R2Bucket` for the environment and an `AccountToken` scoped to that
bucket alone, whose id and hashed value are the S3 credentials; with any other S3-compatible
storage, nothing at the provider (Hetzner Object Storage has no API for buckets or keys). Then a
`remote.Command` that installs the backup job on the server: `scripts/backup.sh`, its settings and
credentials, and a systemd timer. Restores run elsewhere, with the age identity: `restore-backup.sh`.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare

from components.bootstrap import Target, remote_step
from components.server_scripts import server_script, template_text
from components.templates import render_template

# Cloudflare permission groups "Workers R2 Storage Bucket Item Write" and "... Item Read".
R2_OBJECT_WRITE = "2efd5506f9c8494dacb1fa10a3e7d5b6"
R2_OBJECT_READ = "6a018a9f2fc74eb6b293b0c548f38b39"


@dataclass(frozen=True)
class R2Storage:
    account_id: str
    jurisdiction: str
    location: str | None


@dataclass(frozen=True)
class S3Storage:
    endpoint: str
    bucket: str
    region: str
    access_key_id: pulumi.Input[str]
    secret_access_key: pulumi.Input[str]


@dataclass(frozen=True)
class PostgresSource:
    container: str
    user: str
    database: str


@dataclass(frozen=True)
class BackupArgs:
    name: str
    """Names the bucket (r2) and the object prefix of this environment's backups."""
    storage: R2Storage | S3Storage
    schedule: str
    age_recipient: str
    keep_daily: int
    keep_weekly: int
    keep_monthly: int
    ping_url: str | None
    postgres: PostgresSource | None
    server_id: pulumi.Input[str]
    host: pulumi.Input[str]
    private_key: pulumi.Input[str]
    after: Sequence[pulumi.Resource]
    """What must run before the job is installed (the database, Coolify)."""
    protect: bool


def r2_endpoint(account_id: str, jurisdiction: str) -> str:
    region = "eu." if jurisdiction == "eu" else ""
    return f"https://{account_id}.{region}r2.cloudflarestorage.com"


def environment_file(settings: dict[str, str]) -> str:
    """A systemd EnvironmentFile; values are validated upstream, and checked here once more."""
    for key, value in settings.items():
        if any(character in value for character in '"\\\n$`'):
            raise ValueError(f"{key} holds a character an environment file cannot carry: {value!r}")
    return "".join(f'{key}="{value}"\n' for key, value in settings.items())


def job_settings(args: BackupArgs, endpoint: str, bucket: str, provider: str, region: str) -> dict[str, str]:
    settings = {
        "BACKUP_S3_ENDPOINT": endpoint,
        "BACKUP_S3_BUCKET": bucket,
        "BACKUP_S3_REGION": region,
        "BACKUP_S3_PROVIDER": provider,
        "BACKUP_PREFIX": args.name,
        "BACKUP_AGE_RECIPIENT": args.age_recipient,
        "BACKUP_KEEP_DAILY": str(args.keep_daily),
        "BACKUP_KEEP_WEEKLY": str(args.keep_weekly),
        "BACKUP_KEEP_MONTHLY": str(args.keep_monthly),
        "BACKUP_PING_URL": args.ping_url or "",
    }
    if args.postgres:
        settings |= {
            "POSTGRES_CONTAINER": args.postgres.container,
            "POSTGRES_USER": args.postgres.user,
            "POSTGRES_DB": args.postgres.database,
        }
    return settings


def job_inputs(args: BackupArgs, settings: dict[str, str]) -> dict[str, str]:
    return {
        "BACKUP_SCRIPT": server_script("backup.sh").text,
        "BACKUP_ENV": environment_file(settings),
        "BACKUP_SERVICE": template_text("hetzner-coolify-backup.service"),
        "BACKUP_TIMER": render_template("hetzner-coolify-backup.timer", {"schedule": args.schedule}),
    }


class Backups(pulumi.ComponentResource):
    endpoint: str
    bucket: pulumi.Output[str]
    prefix: str
    access_key_id: pulumi.Output[str]
    secret_access_key: pulumi.Output[str]

    def __init__(self, name: str, args: BackupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("hetzner-coolify:backups:Backups", name, None, opts)
        self._name = name
        self.prefix = args.name
        if isinstance(args.storage, R2Storage):
            self._r2(args, args.storage)
            provider, region = "Cloudflare", "auto"
        else:
            self.endpoint = args.storage.endpoint
            self.bucket = pulumi.Output.from_input(args.storage.bucket)
            self.access_key_id = pulumi.Output.secret(args.storage.access_key_id)
            self.secret_access_key = pulumi.Output.secret(args.storage.secret_access_key)
            provider, region = "Other", args.storage.region

        inputs = self.bucket.apply(
            lambda bucket: job_inputs(args, job_settings(args, self.endpoint, bucket, provider, region))
        )
        remote_step(
            f"{name}-install-job",
            Target(self, args.server_id, args.host, args.private_key),
            "install-backup.sh",
            inputs,
            after=args.after,
            secrets={
                "BACKUP_S3_ACCESS_KEY_ID": self.access_key_id,
                "BACKUP_S3_SECRET_ACCESS_KEY": self.secret_access_key,
            },
        )
        self.register_outputs({"endpoint": self.endpoint, "bucket": self.bucket, "prefix": self.prefix})

    def _r2(self, args: BackupArgs, storage: R2Storage) -> None:
        bucket = cloudflare.R2Bucket(
            f"{self._name}-bucket",
            account_id=storage.account_id,
            name=f"{args.name}-backups",
            jurisdiction=storage.jurisdiction,
            location=storage.location,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
        )
        # Object read and write on this one bucket: the server can neither see nor touch anything else.
        token = cloudflare.AccountToken(
            f"{self._name}-token",
            account_id=storage.account_id,
            name=f"{args.name}-backups",
            policies=[
                cloudflare.AccountTokenPolicyArgs(
                    effect="allow",
                    permission_groups=[
                        cloudflare.AccountTokenPolicyPermissionGroupArgs(id=R2_OBJECT_WRITE),
                        cloudflare.AccountTokenPolicyPermissionGroupArgs(id=R2_OBJECT_READ),
                    ],
                    resources=bucket.name.apply(
                        lambda name: json.dumps(
                            {f"com.cloudflare.edge.r2.bucket.{storage.account_id}_{storage.jurisdiction}_{name}": "*"}
                        )
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["value"]),
        )
        self.endpoint = r2_endpoint(storage.account_id, storage.jurisdiction)
        self.bucket = bucket.name
        # R2's S3 credentials: the token's id, and the SHA-256 of its value.
        self.access_key_id = pulumi.Output.secret(token.id)
        self.secret_access_key = pulumi.Output.secret(
            token.value.apply(lambda value: hashlib.sha256(value.encode()).hexdigest())
        )
