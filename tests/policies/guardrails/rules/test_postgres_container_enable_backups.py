"""A Postgres container implies a backup schedule and a bucket: a stack policy."""

from typing import Any

import pytest

from tests.policies.conftest import Check, Resource

POLICY = "postgres-container-enable-backups"
POSTGRES = Resource("docker:index/container:Container", {"image": "postgres:16.4"}, name="postgres")
BUCKET = Resource("cloudflare:index/r2Bucket:R2Bucket", {"name": "backups"}, name="bucket")
TIMER = Resource(
    "command:remote:Command",
    {"create": "install-backup-timer", "stdin": "[Timer]\nOnCalendar=*-*-* 02:00:00 UTC\nPersistent=true\n"},
    name="backup-timer",
)


def expected(missing: str) -> str:
    return (
        f"postgres runs PostgreSQL but the stack has no {missing}; add the backups component (a systemd timer with "
        "OnCalendar=, writing to a bucket)."
    )


def test_postgres_with_schedule_and_bucket_passes(check_stack: Check) -> None:
    assert check_stack(POLICY, POSTGRES, BUCKET, TIMER) == []


def test_a_stack_without_postgres_needs_no_backups(check_stack: Check) -> None:
    assert check_stack(POLICY, Resource("docker:index/container:Container", {"image": "redis:7.4.1"})) == []


@pytest.mark.parametrize(
    ("resources", "missing"),
    [
        ((POSTGRES,), "backup schedule and no bucket"),
        ((POSTGRES, BUCKET), "backup schedule"),
        ((POSTGRES, TIMER), "bucket"),
    ],
)
def test_missing_parts_are_named(check_stack: Check, resources: tuple[Resource, ...], missing: str) -> None:
    assert check_stack(POLICY, *resources) == [expected(missing)]


@pytest.mark.parametrize(
    "environment",
    [
        {"BACKUP_S3_BUCKET": "team-backups"},
        {"SETTINGS": "BACKUP_S3_BUCKET=team-backups"},
        {"BACKUP_ENV": 'BACKUP_S3_ENDPOINT="https://fsn1.your-objectstorage.com"\nBACKUP_S3_BUCKET="team-backups"\n'},
    ],
    ids=["setting", "assignment", "settings-file"],
)
def test_an_external_bucket_named_by_the_backup_job_counts(check_stack: Check, environment: dict[str, Any]) -> None:
    timer = Resource(TIMER.type, {**TIMER.props, "environment": environment}, name="backup-timer")
    assert check_stack(POLICY, POSTGRES, timer) == []


def test_bucket_types_are_configurable(check_stack: Check) -> None:
    minio = Resource("minio:index/s3Bucket:S3Bucket", {"bucket": "b"}, name="minio")
    assert check_stack(POLICY, POSTGRES, minio, TIMER) == [expected("bucket")]
    assert check_stack(POLICY, POSTGRES, minio, TIMER, config={"bucketTypes": ["minio:index/s3Bucket:S3Bucket"]}) == []


def test_an_empty_bucket_setting_does_not_count(check_stack: Check) -> None:
    timer = Resource(TIMER.type, {**TIMER.props, "environment": {"BACKUP_ENV": 'BACKUP_S3_BUCKET=""\n'}}, name="t")
    assert check_stack(POLICY, POSTGRES, timer) == [expected("bucket")]
