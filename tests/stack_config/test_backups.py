"""The `backups` section and its secrets: what is refused, in one line that names the key."""

from typing import Any

from tests.stack_config.conftest import bad_values, load, problems

ALLOWED_SCHEDULES = (
    "allowed: hourly, daily, weekly, monthly, quarterly, semiannually, yearly, or '[weekdays] [*-MM-DD] "
    "HH:MM[:SS] [time zone]' (systemd.time(7) calendar events; lists with ',', ranges with '..', repetitions with "
    "'/'; minutes and seconds single numbers), e.g. 'Mon..Fri *-*-* 02:30 UTC'"
)

BAD_VALUES: list[tuple[str, dict[str, Any], str]] = [
    ("staging", {"backups": {"ageRecipient": "age1notvalid"}},
     "hetzner-coolify:backups.ageRecipient: 'age1notvalid' is not an age recipient (age1... or ssh-ed25519): it "
     "has 8 characters after age1; an X25519 recipient has 58"),
    ("staging", {"backups": {"schedule": "daily; rm -rf /"}},
     "hetzner-coolify:backups.schedule: 'daily; rm -rf /' is not a schedule this stack supports (it has more "
     "parts than weekdays, a date and a time); " + ALLOWED_SCHEDULES),
    ("staging", {"backups": {"retention": {"daily": 0}}},
     "hetzner-coolify:backups.retention.daily: 0 is out of range; allowed: 1-366 (newest backup of each of the "
     "last N days)"),
    ("staging", {"backups": {"storage": {"accountId": "my-account"}}},
     "hetzner-coolify:backups.storage.accountId: 'my-account' is not a Cloudflare account id (32 hex digits)"),
    ("staging", {"backups": {"storage": {"accountId": None}}},
     "hetzner-coolify:backups.storage.accountId: is required (Cloudflare account id); allowed: 32 hex digits, the "
     '"Account ID" of the Cloudflare dashboard'),
    ("staging", {"backups": {"storage": {"kind": "gcs"}}},
     "hetzner-coolify:backups.storage.kind: 'gcs' is not a storage kind; allowed: r2, s3"),
    ("staging", {"backups": {"storage": {"kind": "s3", "accountId": None, "bucket": "team-backups"}}},
     "hetzner-coolify:backups.storage.endpoint: is required (S3 endpoint, e.g. https://fsn1.your-objectstorage.com); "
     "allowed: an https:// URL (printable ASCII, at most 2048 characters)"),
    ("staging", {"backups": {"storage": {"kind": "s3", "endpoint": "https://fsn1.your-objectstorage.com",
                                         "bucket": "team-backups"}}},
     "hetzner-coolify:backups.storage.accountId: is not a known key; allowed: kind, endpoint, bucket, region"),
    ("staging", {"backups": {"storage": {"kind": "s3", "accountId": None,
                                         "endpoint": "http://fsn1.your-objectstorage.com", "bucket": "b-1"}}},
     "hetzner-coolify:backups.storage.endpoint: 'http://fsn1.your-objectstorage.com' is not an https:// URL "
     "(printable ASCII, at most 2048 characters)"),
    ("staging", {"backupS3SecretAccessKey": "in-clear-in-the-stack-file"},
     "hetzner-coolify:backupS3SecretAccessKey: must be set with `pulumi config set --secret`, not in clear in the "
     "stack file"),
]  # fmt: skip


@bad_values(BAD_VALUES)
def test_bad_value_gives_one_line_naming_the_key(stack: str, changes: dict[str, Any], expected: str) -> None:
    assert problems(stack, changes) == [expected]


S3_STORAGE = {"kind": "s3", "accountId": None, "endpoint": "https://fsn1.your-objectstorage.com", "bucket": "b-1"}


def test_s3_storage_without_its_keys_names_both() -> None:
    assert problems("staging", {"backups": {"storage": S3_STORAGE}}) == [
        "hetzner-coolify:backupS3AccessKeyId: is required for s3 backup storage; set it with `pulumi config set "
        "--secret`",
        "hetzner-coolify:backupS3SecretAccessKey: is required for s3 backup storage; set it with `pulumi config set "
        "--secret`",
    ]


WITHOUT_BACKUPS = {"backups": {"enabled": False, "ageRecipient": None, "storage": None}}


def test_disabled_backups_need_neither_recipient_nor_storage_in_staging() -> None:
    config = load("staging", WITHOUT_BACKUPS)
    assert (config.backups.enabled, config.backups.age_recipient, config.backups.storage) == (False, None, None)


def test_production_refuses_to_run_without_backups() -> None:
    assert problems("production", WITHOUT_BACKUPS) == [
        "hetzner-coolify:backups.enabled: false is refused in production: its data must have off-site backups (the "
        "policy pack's postgres-container-enable-backups refuses it too); allowed in production: true"
    ]


def test_enabled_backups_need_a_recipient_and_a_storage() -> None:
    assert problems("staging", {"backups": {"ageRecipient": None, "storage": None}}) == [
        "hetzner-coolify:backups.ageRecipient: is required when backups.enabled is true (the default); allowed: an "
        "age recipient, age1... (make one with `age-keygen -o backup-key.txt` and keep that file off the server), or "
        "an ssh-ed25519 public key",
        "hetzner-coolify:backups.storage: is required when backups.enabled is true (the default); allowed: a "
        "mapping: kind r2 (the default) with accountId, or kind s3 with endpoint and bucket",
    ]
