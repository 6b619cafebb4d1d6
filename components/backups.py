"""Scheduled, encrypted, signed, verified backups of the app database and of Coolify, off the server.

Children: with R2 storage, an `R2Bucket` for the environment, an `R2BucketLock` that keeps every object
of this stack's prefix from deletion and overwrite for `retention.daily` days (even with the server's
token, which can change no bucket configuration), and an `AccountToken` scoped to that bucket alone,
whose id and hashed value are the S3 credentials; with any other S3-compatible storage, nothing at the
provider (Hetzner Object Storage has no API for buckets or keys: its Object Lock is the operator's to
set, see the README). Then a `remote.Command` that installs the backup job on the server:
`scripts/backup.sh`, its settings and credentials, a signing key made on the server (its public half,
printed by the step, is `signing_key`), a systemd timer, and one backup that must succeed. Restores run
elsewhere, with the age identity and the signing key's public half: `restore-backup.sh`.
"""

import hashlib
import re
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
# What install-backup.sh prints on stdout: the signing key's public half, "ssh-ed25519 <base64> <comment>". The
# base64 is always 68 characters: string "ssh-ed25519" then a string of 32 bytes (RFC 8709 section 4), 51 bytes.
SIGNING_KEY_LINE = re.compile(r"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}( [^\x00-\x1f\x7f]*)?")
DAY_SECONDS = 86_400


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
    token_rotation: int = 0
    """How many times the r2 token was rotated (`rotation.backupToken`; 0: never)."""


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


def lock_days(settings: BackupSettings) -> int:
    """How long the bucket refuses to delete or overwrite a backup's objects: the daily window, the days in which
    every backup is kept by the retention rules anyway (R2 storage; 0 where this program sets no lock).

    Bucket lock rules refuse overwrites and deletes, lifecycle deletions included, until an object is that old
    (https://developers.cloudflare.com/r2/buckets/bucket-locks/, "Notes"); changing them needs a token that
    may edit bucket configuration, which the server's object read and write token may not
    (https://developers.cloudflare.com/r2/api/tokens/#permissions). backup.sh holds back a set the rules would
    drop until it is a day older than this, so the nightly prune never asks for a refused delete.
    """
    return settings.retention.daily if isinstance(settings.storage, R2StorageSettings) else 0


def signing_key(stdout: str) -> str:
    """The signing key's public half in the install step's output; empty while it is unknown (a mock)."""
    keys = [line.strip() for line in stdout.splitlines() if SIGNING_KEY_LINE.fullmatch(line.strip())]
    return keys[-1] if keys else ""


def job_settings(settings: BackupSettings, prefix: str, bucket: Bucket, dump: DatabaseDump | None) -> dict[str, str]:
    # The configuration requires a recipient of enabled backups (stack_config.backups): its absence is a bug here.
    recipient = settings.age_recipient
    if recipient is None:
        raise ValueError("backups are enabled without backups.ageRecipient, which the configuration requires")
    values = {
        "BACKUP_S3_ENDPOINT": bucket.endpoint,
        "BACKUP_S3_BUCKET": bucket.name,
        "BACKUP_S3_REGION": bucket.region,
        "BACKUP_S3_PROVIDER": bucket.provider,
        "BACKUP_PREFIX": prefix,
        "BACKUP_AGE_RECIPIENT": recipient,
        "BACKUP_KEEP_DAILY": str(settings.retention.daily),
        "BACKUP_KEEP_WEEKLY": str(settings.retention.weekly),
        "BACKUP_KEEP_MONTHLY": str(settings.retention.monthly),
        "BACKUP_LOCK_DAYS": str(lock_days(settings)),
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
        "BACKUP_SCHEDULE": schedule,
    }


class Backups(pulumi.ComponentResource):
    endpoint: str
    bucket: pulumi.Output[str]
    prefix: str
    access_key_id: pulumi.Output[str]
    secret_access_key: pulumi.Output[str]
    signing_key: pulumi.Output[str]
    """Public half of the key the server signs every backup set with: restores verify against it."""

    def __init__(self, name: str, args: BackupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("hetzner-coolify:backups:Backups", name, None, opts)
        self._name = name
        self.prefix = args.naming.prefix
        self._locks: list[pulumi.Resource] = []
        storage = args.settings.storage
        if storage is None:
            raise ValueError("backups are enabled without backups.storage, which the configuration requires")
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
        # After the lock: the first backup, made at install, is already kept from deletion.
        install = remote_step(
            f"{name}-install-job",
            args.host.access,
            "install-backup.sh",
            inputs,
            parent=self,
            after=[*args.after, *([postgres.ready] if postgres else []), *self._locks],
            secrets={
                "BACKUP_S3_ACCESS_KEY_ID": self.access_key_id,
                "BACKUP_S3_SECRET_ACCESS_KEY": self.secret_access_key,
            },
        )
        self.signing_key = install.stdout.apply(signing_key)
        self.register_outputs(
            {"endpoint": self.endpoint, "bucket": self.bucket, "prefix": self.prefix, "signingKey": self.signing_key}
        )

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
        # Protected like the bucket. Deleting it changes nothing at Cloudflare: the provider's delete is empty
        # (cloudflare/terraform-provider-cloudflare@v5.22.0:internal/services/r2_bucket_lock/resource.go:189-191).
        lock = cloudflare.R2BucketLock(
            f"{self._name}-lock",
            account_id=storage.account_id,
            bucket_name=bucket.name,
            jurisdiction=storage.jurisdiction,
            rules=[
                cloudflare.R2BucketLockRuleArgs(
                    id="backup-sets",
                    enabled=True,
                    prefix=f"{args.naming.prefix}/",
                    condition=cloudflare.R2BucketLockRuleConditionArgs(
                        type="Age", max_age_seconds=lock_days(args.settings) * DAY_SECONDS
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, protect=protect, retain_on_delete=protect),
        )
        self._locks.append(lock)
        # Object read and write on this one bucket: the server can neither see nor touch anything else, nor change
        # the bucket's configuration, its lock included (https://developers.cloudflare.com/r2/api/tokens/#permissions).
        # A rotation is a token of its own, under a new name: the install step installs it and proves it with a
        # backup, and only then is the previous one, gone from the program, deleted. The engine deletes what a
        # program no longer registers after every other step has succeeded, and not at all when one failed
        # (pulumi/pulumi@v3.259.0:pkg/resource/deploy/deployment_executor.go:262-270,328-333,486).
        rotation = f"-{args.token_rotation}" if args.token_rotation else ""
        token = cloudflare.AccountToken(
            f"{self._name}-token{rotation}",
            account_id=storage.account_id,
            name=f"{args.naming.prefix}-backups{rotation}",
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
