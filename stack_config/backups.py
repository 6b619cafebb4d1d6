"""The `backups` section: what is backed up, when, to which storage, and for how long (components/backups.py)."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, SecretStr, Tag

from stack_config.base import ConfigModel, KeyedValueError
from stack_config.types import (
    R2_LOCATIONS,
    AgeRecipient,
    BucketName,
    Calendar,
    CloudflareAccountId,
    Form,
    HttpsUrl,
    R2Location,
    S3Region,
)

STORAGE_KINDS = ("r2", "s3")


class RetentionSettings(ConfigModel):
    daily: int = Field(default=7, ge=1, le=366, description="Newest backup of each of the last N days.")
    weekly: int = Field(default=4, ge=0, le=520, description="Then the newest of each of N more weeks.")
    monthly: int = Field(default=3, ge=0, le=240, description="Then the newest of each of N more months.")


class R2StorageSettings(ConfigModel):
    kind: Literal["r2"] = Field(
        default="r2",
        description="r2: a Cloudflare R2 bucket and a token scoped to it, created here. s3: an existing bucket on "
        "any S3-compatible endpoint (Hetzner Object Storage: create bucket and keys in its console).",
    )
    account_id: CloudflareAccountId = Field(description="Cloudflare account id.")
    jurisdiction: Literal["eu", "default"] = Field(
        default="eu", description="R2 jurisdiction: eu keeps data in the EU."
    )
    location: R2Location | None = Field(default=None, description=f"R2 location hint: {', '.join(R2_LOCATIONS)}.")


class S3StorageSettings(ConfigModel):
    kind: Literal["s3"] = Field(description="s3: an existing bucket on any S3-compatible endpoint.")
    endpoint: HttpsUrl = Field(description="S3 endpoint, e.g. https://fsn1.your-objectstorage.com.")
    bucket: BucketName = Field(description="Bucket name (r2 storage names its bucket after the stack).")
    region: S3Region = Field(default="auto", description="S3 region.")


def _storage_kind(value: Any) -> str | None:
    """Which storage a value describes; r2 when it says nothing, None (refused) when it names another kind."""
    kind = value.get("kind", "r2") if isinstance(value, dict) else getattr(value, "kind", None)
    return kind if kind in STORAGE_KINDS else None


BackupStorageSettings = Annotated[
    Annotated[R2StorageSettings, Tag("r2")] | Annotated[S3StorageSettings, Tag("s3")],
    Discriminator(
        _storage_kind,
        custom_error_type="unknown_kind",
        custom_error_message=f"is not a storage kind; allowed: {', '.join(STORAGE_KINDS)}",
    ),
    Form(
        "a mapping: kind r2 (the default) with accountId and optionally jurisdiction, location; or kind s3 with "
        "endpoint, bucket and optionally region"
    ),
]


@dataclass(frozen=True)
class S3Credentials:
    """The keys of an s3 bucket, set as secrets (top-level keys: `pulumi config set --secret` takes them plainly)."""

    access_key_id: SecretStr
    secret_access_key: SecretStr


class BackupSettings(ConfigModel):
    enabled: bool = Field(default=True, description="Nightly encrypted backups of Postgres and Coolify.")
    schedule: Calendar = Field(
        default="*-*-* 02:00:00 UTC", description="systemd OnCalendar expression; missed runs catch up at boot."
    )
    age_recipient: AgeRecipient | None = Field(
        default=None,
        description="age public key (age1...) the backups are encrypted to; keep its private key off the server. "
        "Required when backups are enabled.",
    )
    retention: RetentionSettings = Field(default=RetentionSettings(), description="Which backups to keep.")
    ping_url: HttpsUrl | None = Field(
        default=None, description="Pinged after each run (and at <url>/fail on failure), e.g. healthchecks.io."
    )
    storage: BackupStorageSettings | None = Field(
        default=None, description="Where backups go. Required when backups are enabled."
    )

    def problems(self) -> Iterator[KeyedValueError]:
        if not self.enabled:
            return
        if self.age_recipient is None:
            yield KeyedValueError(
                "ageRecipient",
                "is required when backups.enabled is true (the default); allowed: an age recipient, age1... (make "
                "one with `age-keygen -o backup-key.txt` and keep that file off the server), or an ssh-ed25519 "
                "public key",
            )
        if self.storage is None:
            yield KeyedValueError(
                "storage",
                "is required when backups.enabled is true (the default); allowed: a mapping: kind r2 (the default) "
                "with accountId, or kind s3 with endpoint and bucket",
            )
