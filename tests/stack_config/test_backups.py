"""The `backups` section and its secrets: what is refused, in one line that names the key."""

from typing import Any

from tests.stack_config.conftest import bad_values, problems

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
     "hetzner-coolify:backups.retention.daily: 0 is invalid; input should be greater than or equal to 1"),
    ("staging", {"backups": {"storage": {"accountId": "my-account"}}},
     "hetzner-coolify:backups.storage.accountId: 'my-account' is not a Cloudflare account id (32 hex digits)"),
    ("staging", {"backups": {"storage": {"accountId": None}}},
     "hetzner-coolify:backups.storage.accountId: is required (Cloudflare account id)"),
    ("staging", {"backups": {"storage": {"kind": "gcs"}}},
     "hetzner-coolify:backups.storage.kind: 'gcs' is not a storage kind; allowed: r2, s3"),
    ("staging", {"backups": {"storage": {"kind": "s3", "accountId": None, "bucket": "team-backups"}}},
     "hetzner-coolify:backups.storage.endpoint: is required (S3 endpoint, e.g. https://fsn1.your-objectstorage.com)"),
    ("staging", {"backups": {"storage": {"kind": "s3", "endpoint": "https://fsn1.your-objectstorage.com",
                                         "bucket": "team-backups"}}},
     "hetzner-coolify:backups.storage.accountId: is not a known key; allowed: kind, endpoint, bucket, region"),
    ("staging", {"backups": {"storage": {"kind": "s3", "accountId": None,
                                         "endpoint": "http://fsn1.your-objectstorage.com", "bucket": "b-1"}}},
     "hetzner-coolify:backups.storage.endpoint: 'http://fsn1.your-objectstorage.com' is not an https:// URL "
     "(printable ASCII, at most 2048 characters)"),
    ("staging", {"backups": {"storage": {"kind": "s3", "accountId": None,
                                         "endpoint": "https://fsn1.your-objectstorage.com", "bucket": "team-backups"}}},
     "hetzner-coolify:backupS3AccessKeyId: is required for s3 backup storage; set it with `pulumi config set "
     "--secret`"),
    ("staging", {"backupS3SecretAccessKey": "in-clear-in-the-stack-file"},
     "hetzner-coolify:backupS3SecretAccessKey: must be set with `pulumi config set --secret`, not in clear in the "
     "stack file"),
]  # fmt: skip


@bad_values(BAD_VALUES)
def test_bad_value_gives_one_line_naming_the_key(stack: str, changes: dict[str, Any], expected: str) -> None:
    assert problems(stack, changes) == [expected]
