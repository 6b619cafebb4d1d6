"""Scheduled, encrypted, verified backups of the app database and of Coolify, off the server.

Children: with R2 storage, an `R2Bucket` for the environment and an `AccountToken` scoped to that
bucket alone, whose id and hashed value are the S3 credentials; with any other S3-compatible
storage, nothing at the provider (Hetzner Object Storage has no API for buckets or keys). Then a
`remote.Command` that installs the backup job on the server: `scripts/backup.sh`, its settings and
credentials, and a systemd timer. Restores run elsewhere, with the age identity: `restore-backup.sh`.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_cloudflare as cloudflare

from components.cloudflare_tokens import scoped_policy
from components.data_services import PostgresService
from components.host import Host
from components.naming import Naming
from components.remote_steps import remote_step
from components.server_scripts import server_script, template_text
from components.templates import environment_file, render_template
from stack_config.backups import BackupSettings, R2StorageSettings, S3Credentials
from stack_config.protection import ProtectionSettings

# Cloudflare permission groups "Workers R2 Storage Bucket Item Write" and "... Item Read".
R2_OBJECT_WRITE = "2efd5506f9c8494dacb1fa10a3e7d5b6"
R2_OBJECT_READ = "6a018a9f2fc74eb6b293b0c548f38b39"


@dataclass(frozen=True)
class BackupArgs:
    settings: BackupSettings
    s3_credentials: S3Credentials | None
    """The bucket's keys when the storage is s3 (the r2 storage makes its own)."""
    postgres: PostgresService | None
    """The database to dump, if the stack runs one; the job is installed once it runs."""
    host: Host
    """The server the job runs on."""
    protection: ProtectionSettings
    naming: Naming
    """Names the bucket (r2) and the object prefix of this stack's backups."""
    after: Sequence[pulumi.Resource]
    """What must run before the job is installed (Coolify, whose data it backs up too)."""


def r2_endpoint(account_id: str, jurisdiction: str) -> str:
    region = "eu." if jurisdiction == "eu" else ""
    return f"https://{account_id}.{region}r2.cloudflarestorage.com"


@dataclass(frozen=True)
class Bucket:
    """Where the job writes: an S3 endpoint and bucket, and how rclone should speak to it."""

    endpoint: str
    name: str
    provider: str
    """rclone's name for the S3 implementation: Cloudflare, or Other."""
    region: str


@dataclass(frozen=True)
class DatabaseDump:
    """Which database the job dumps: the container it runs in, its owner and its name."""

    container: str
    user: str
    database: str


def job_settings(settings: BackupSettings, prefix: str, bucket: Bucket, dump: DatabaseDump | None) -> dict[str, str]:
    values = {
        "BACKUP_S3_ENDPOINT": bucket.endpoint,
        "BACKUP_S3_BUCKET": bucket.name,
        "BACKUP_S3_REGION": bucket.region,
        "BACKUP_S3_PROVIDER": bucket.provider,
        "BACKUP_PREFIX": prefix,
        "BACKUP_AGE_RECIPIENT": settings.age_recipient,
        "BACKUP_KEEP_DAILY": str(settings.retention.daily),
        "BACKUP_KEEP_WEEKLY": str(settings.retention.weekly),
        "BACKUP_KEEP_MONTHLY": str(settings.retention.monthly),
        "BACKUP_PING_URL": settings.ping_url or "",
    }
    if dump:
        values |= {"POSTGRES_CONTAINER": dump.container, "POSTGRES_USER": dump.user, "POSTGRES_DB": dump.database}
    return values


def job_inputs(schedule: str, values: dict[str, str]) -> dict[str, str]:
    return {
        "BACKUP_SCRIPT": server_script("backup.sh").text,
        "BACKUP_ENV": environment_file(values),
        "BACKUP_SERVICE": template_text("hetzner-coolify-backup.service"),
        "BACKUP_TIMER": render_template("hetzner-coolify-backup.timer", {"schedule": schedule}),
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
        self.prefix = args.naming.prefix
        storage = args.settings.storage
        if isinstance(storage, R2StorageSettings):
            self._r2(args, storage)
            provider, region = "Cloudflare", "auto"
        else:
            if args.s3_credentials is None:
                raise ValueError("s3 backup storage needs its keys (backupS3AccessKeyId, backupS3SecretAccessKey)")
            self.endpoint = storage.endpoint
            self.bucket = pulumi.Output.from_input(storage.bucket)
            self.access_key_id = pulumi.Output.secret(args.s3_credentials.access_key_id.get_secret_value())
            self.secret_access_key = pulumi.Output.secret(args.s3_credentials.secret_access_key.get_secret_value())
            provider, region = "Other", storage.region

        postgres = args.postgres
        dump = DatabaseDump(postgres.container_name, postgres.user, postgres.database) if postgres else None
        inputs = self.bucket.apply(
            lambda name: job_inputs(
                args.settings.schedule,
                job_settings(args.settings, self.prefix, Bucket(self.endpoint, name, provider, region), dump),
            )
        )
        remote_step(
            f"{name}-install-job",
            args.host.access,
            "install-backup.sh",
            inputs,
            parent=self,
            after=[*args.after, *([postgres.ready] if postgres else [])],
            secrets={
                "BACKUP_S3_ACCESS_KEY_ID": self.access_key_id,
                "BACKUP_S3_SECRET_ACCESS_KEY": self.secret_access_key,
            },
        )
        self.register_outputs({"endpoint": self.endpoint, "bucket": self.bucket, "prefix": self.prefix})

    def _r2(self, args: BackupArgs, storage: R2StorageSettings) -> None:
        protect = args.protection.protect
        bucket = cloudflare.R2Bucket(
            f"{self._name}-bucket",
            account_id=storage.account_id,
            name=f"{args.naming.prefix}-backups",
            jurisdiction=storage.jurisdiction,
            location=storage.location,
            opts=pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect),
        )
        # Object read and write on this one bucket: the server can neither see nor touch anything else.
        token = cloudflare.AccountToken(
            f"{self._name}-token",
            account_id=storage.account_id,
            name=f"{args.naming.prefix}-backups",
            policies=[
                scoped_policy(
                    [R2_OBJECT_WRITE, R2_OBJECT_READ],
                    bucket.name.apply(
                        lambda name: f"com.cloudflare.edge.r2.bucket.{storage.account_id}_{storage.jurisdiction}_{name}"
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
