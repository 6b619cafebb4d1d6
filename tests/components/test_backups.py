"""The backups component with the server and database it backs up: a bucket and a scoped token per stack,
secret credentials, the job."""

import functools
import hashlib
import json
from typing import Any

import pulumi
import pytest

from components.backups import BackupArgs, Backups, signing_key
from preview.changes import changes
from preview.engine import RecordedStack
from preview.mocks import ApplyMocks
from preview.values import Secret
from stack_config import StackConfig
from tests.components.conftest import data_services, naming, observe, record_components, running_coolify
from tests.conftest import STACKS

ACCOUNT = "0123456789abcdef0123456789abcdef"
HETZNER_STORAGE = {
    "backups": {"storage": {"kind": "s3", "accountId": None, "endpoint": "https://fsn1.your-objectstorage.com",
                            "bucket": "team-backups", "region": "fsn1"}},
    "backupS3AccessKeyId": "HETZNERKEYID0001",
    "backupS3SecretAccessKey": "v3ry-l0ng-s3cret-access-key-from-the-hetzner-console",
}  # fmt: skip
HETZNER_SECRETS = frozenset({"backupS3AccessKeyId", "backupS3SecretAccessKey"})
LOCK = "cloudflare:index/r2BucketLock:R2BucketLock"
SIGNING_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBackupSigningKeyOnlyForTestsxxxxxxxxxxxxxxx hetzner-coolify-backup"


class PrintingInstall(ApplyMocks):
    """ApplyMocks whose backup install step prints what install-backup.sh prints: systemd's chatter on stdout
    (`systemctl enable` may write there), then the signing key's public half."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        if args.name == "backups-install-job":
            state["stdout"] = f"Created symlink /etc/systemd/system/timers.target.wants/x.timer.\n{SIGNING_KEY}"
        return resource_id, state


def build(config: StackConfig) -> None:
    main, installed = running_coolify(config)
    data = data_services(config, main, installed)
    args = BackupArgs(
        config.backups, config.backup_s3_credentials(), data.postgres, main, config.protection, naming(config),
        [installed.ready], config.rotation.backup_token,
    )  # fmt: skip
    backups = Backups("backups", args)
    observe("host", main, "server_id")
    observe("backups", backups, "endpoint", "bucket", "prefix", "access_key_id", "secret_access_key", "signing_key")


record = functools.partial(record_components, build)


@functools.cache
def recorded(stack: str) -> RecordedStack:
    return record(stack)


@pytest.mark.parametrize("stack", STACKS)
def test_an_r2_bucket_per_environment_in_the_eu(stack: str) -> None:
    bucket = recorded(stack).named("backups-bucket")
    assert bucket.inputs == {"accountId": ACCOUNT, "name": f"hetzner-coolify-{stack}-backups", "jurisdiction": "eu"}
    assert (bucket.protect, bucket.retain_on_delete) == ((True, True) if stack == "production" else (False, False))


def test_the_token_reaches_this_bucket_only() -> None:
    token = recorded("production").named("backups-token")
    (policy,) = token.inputs["policies"]
    assert policy["effect"] == "allow"
    assert {group["id"] for group in policy["permissionGroups"]} == {
        "2efd5506f9c8494dacb1fa10a3e7d5b6",
        "6a018a9f2fc74eb6b293b0c548f38b39",
    }
    assert json.loads(policy["resources"]) == {
        f"com.cloudflare.edge.r2.bucket.{ACCOUNT}_eu_hetzner-coolify-production-backups": "*"
    }
    assert "value" in token.additional_secret_outputs


def test_s3_credentials_are_the_token_id_and_the_hash_of_its_value() -> None:
    mocks = ApplyMocks()
    recording = record("staging", mocks=mocks)
    value = mocks.generated["backups-token"]
    outputs = recording.outputs
    assert outputs["backups.secret_access_key"] == Secret(hashlib.sha256(value.encode()).hexdigest())
    assert isinstance(outputs["backups.access_key_id"], Secret)
    assert outputs["backups.endpoint"] == f"https://{ACCOUNT}.eu.r2.cloudflarestorage.com"
    assert (outputs["backups.bucket"], outputs["backups.prefix"]) == (
        "hetzner-coolify-staging-backups",
        "hetzner-coolify-staging",
    )
    job = recording.named("backups-install-job")
    environment = job.inputs["environment"]
    assert isinstance(environment, Secret)
    assert environment.value["BACKUP_S3_SECRET_ACCESS_KEY"] == hashlib.sha256(value.encode()).hexdigest()
    assert "environment" in job.additional_secret_outputs


@pytest.mark.parametrize("stack", STACKS)
def test_the_job_runs_on_the_configured_schedule_after_the_database(stack: str) -> None:
    recording = recorded(stack)
    job = recording.named("backups-install-job")
    create = job.inputs["create"]
    assert "OnCalendar=*-*-* 02:00:00 UTC" in create
    assert (
        'BACKUP_KEEP_DAILY="7"' in create and 'BACKUP_KEEP_WEEKLY="4"' in create and 'BACKUP_KEEP_MONTHLY="3"' in create
    )
    assert 'POSTGRES_CONTAINER="app-postgres"' in create
    # After the app's role exists: the job dumps as that role, and the first backup runs at install.
    assert recording.named("data-postgres-roles").urn in job.dependencies
    assert recording.named("coolify-direct-ports").urn in job.dependencies
    assert job.inputs["triggers"][0] == recording.outputs["host.server_id"]


def test_schedule_retention_and_monitoring_are_configurable() -> None:
    changes = {"backups": {"schedule": "Mon..Fri *-*-* 03:30:00 Europe/Berlin", "retention": {"daily": 14},
                           "pingUrl": "https://hc-ping.com/0f1e2d3c"}}  # fmt: skip
    create = record("staging", changes).named("backups-install-job").inputs["create"]
    assert "OnCalendar=Mon..Fri *-*-* 03:30:00 Europe/Berlin" in create
    assert 'BACKUP_KEEP_DAILY="14"' in create
    assert 'BACKUP_PING_URL="https://hc-ping.com/0f1e2d3c"' in create


def test_hetzner_object_storage_takes_bucket_and_keys_from_config() -> None:
    recording = record("staging", HETZNER_STORAGE, secret_keys=HETZNER_SECRETS)
    assert recording.of_type("cloudflare:index/r2Bucket:R2Bucket") == []
    assert recording.of_type("cloudflare:index/accountToken:AccountToken") == []
    job = recording.named("backups-install-job")
    assert 'BACKUP_S3_ENDPOINT="https://fsn1.your-objectstorage.com"' in job.inputs["create"]
    assert 'BACKUP_S3_BUCKET="team-backups"' in job.inputs["create"]
    environment = job.inputs["environment"]
    assert isinstance(environment, Secret)
    assert environment.value["BACKUP_S3_ACCESS_KEY_ID"] == "HETZNERKEYID0001"
    assert recording.outputs["backups.secret_access_key"] == Secret(HETZNER_STORAGE["backupS3SecretAccessKey"])


def test_without_postgres_the_job_still_backs_up_coolify() -> None:
    create = record("staging", {"postgres": {"enabled": False}}).named("backups-install-job").inputs["create"]
    assert 'POSTGRES_DB="' not in create
    assert 'BACKUP_S3_BUCKET="hetzner-coolify-staging-backups"' in create


@pytest.mark.parametrize("stack", STACKS)
def test_an_r2_lock_keeps_this_stacks_sets_for_the_daily_window_protected_like_the_bucket(stack: str) -> None:
    recording = recorded(stack)
    lock = recording.named("backups-lock")
    assert lock.type == LOCK
    assert lock.inputs == {
        "accountId": ACCOUNT,
        "bucketName": f"hetzner-coolify-{stack}-backups",
        "jurisdiction": "eu",
        "rules": [
            {
                "id": "backup-sets",
                "enabled": True,
                "prefix": f"hetzner-coolify-{stack}/",
                "condition": {"type": "Age", "maxAgeSeconds": 7 * 86_400},
            }
        ],
    }
    bucket = recording.named("backups-bucket")
    assert (lock.protect, lock.retain_on_delete) == (bucket.protect, bucket.retain_on_delete)
    assert recording.named("backups-bucket").urn in lock.dependencies
    job = recording.named("backups-install-job")
    # The first backup, made at install, is locked already; and the job's prune knows how long.
    assert lock.urn in job.dependencies
    assert 'BACKUP_LOCK_DAYS="7"' in job.inputs["create"]


def test_the_lock_follows_the_daily_retention() -> None:
    recording = record("staging", {"backups": {"retention": {"daily": 14}}})
    (rule,) = recording.named("backups-lock").inputs["rules"]
    assert rule["condition"] == {"type": "Age", "maxAgeSeconds": 14 * 86_400}
    assert 'BACKUP_LOCK_DAYS="14"' in recording.named("backups-install-job").inputs["create"]


def test_s3_storage_gets_no_lock_from_this_program_and_prunes_without_one() -> None:
    recording = record("staging", HETZNER_STORAGE, secret_keys=HETZNER_SECRETS)
    assert recording.of_type(LOCK) == []
    assert 'BACKUP_LOCK_DAYS="0"' in recording.named("backups-install-job").inputs["create"]


def test_the_signing_key_is_what_the_install_step_printed() -> None:
    recording = record("staging", mocks=PrintingInstall())
    assert recording.outputs["backups.signing_key"] == SIGNING_KEY
    # Not a secret: the public half, for restores.
    assert not isinstance(recording.outputs["backups.signing_key"], Secret)


@pytest.mark.parametrize(
    ("stdout", "found"),
    [
        (f"{SIGNING_KEY}\n", SIGNING_KEY),
        (f"apt noise\n{SIGNING_KEY}", SIGNING_KEY),
        ("", ""),
        (f"warning: {SIGNING_KEY}", ""),
        ("ssh-ed25519 not base64!", ""),
        ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC", ""),
    ],
    ids=["alone", "after-other-output", "nothing", "inside-a-line", "not-a-key", "another-type"],
)
def test_only_a_whole_ed25519_line_is_taken_for_the_signing_key(stdout: str, found: str) -> None:
    assert signing_key(stdout) == found


def test_the_step_checks_the_schedule_it_installs() -> None:
    changes = {"backups": {"schedule": "Mon..Fri *-*-* 03:30:00 Europe/Berlin"}}
    create = record("staging", changes).named("backups-install-job").inputs["create"]
    assert "BACKUP_SCHEDULE='Mon..Fri *-*-* 03:30:00 Europe/Berlin'" in create


def test_a_token_rotation_installs_and_proves_the_new_token_before_the_old_one_is_deleted() -> None:
    """The plan of `pulumi up` with rotation.backupToken raised from 0 to 1: a new token, the install step run again
    with it (its backup proves it), and the old token deleted last, once everything else succeeded."""
    before, mocks = recorded("production"), ApplyMocks()
    after = record("production", {"rotation": {"backupToken": 1}}, mocks=mocks)
    plan = [(change.action, change.resource.name) for change in changes(before, after)]
    assert plan == [("create", "backups-token-1"), ("update", "backups-install-job"), ("delete", "backups-token")]
    token, install = after.named("backups-token-1"), after.named("backups-install-job")
    assert token.inputs["name"] == "hetzner-coolify-production-backups-1"
    assert token.inputs["policies"] == before.named("backups-token").inputs["policies"]
    assert token.urn in install.property_dependencies["environment"]
    assert (
        install.inputs["environment"].value["BACKUP_S3_SECRET_ACCESS_KEY"]
        == hashlib.sha256(mocks.generated["backups-token-1"].encode()).hexdigest()
    )


def test_the_next_token_rotation_replaces_the_rotated_token() -> None:
    once, twice = (record("production", {"rotation": {"backupToken": count}}) for count in (1, 2))
    plan = [(change.action, change.resource.name) for change in changes(once, twice)]
    assert plan == [("create", "backups-token-2"), ("update", "backups-install-job"), ("delete", "backups-token-1")]
