"""A Postgres container is backed up by a scheduled job that names it and writes to a bucket: a stack policy. A
schedule somewhere in the stack, or a bucket nothing writes to, is not a backup of this database."""

from typing import Any

import pytest

from tests.policies.conftest import Check, Resource

POLICY = "postgres-container-enable-backups"
CONTAINER = "docker:index/container:Container"
POSTGRES = Resource(CONTAINER, {"image": "postgres:16.4", "name": "app-postgres"}, name="postgres")
BUCKET = Resource("cloudflare:index/r2Bucket:R2Bucket", {"name": "team-backups"}, name="bucket")
SCHEDULE = "[Timer]\nOnCalendar=*-*-* 02:00:00 UTC\nPersistent=true\n"


def job(
    script: str = "docker exec app-postgres pg_dumpall | rclone rcat r2:team-backups/db.sql", **props: Any
) -> Resource:
    return Resource(
        "command:remote:Command", {"create": "install-backup-timer", "stdin": SCHEDULE + script, **props}, name="backup"
    )


NO_JOB = (
    "postgres runs PostgreSQL but no backup job of the stack names it: add the backups component (a systemd timer "
    "with OnCalendar= whose job dumps the container 'app-postgres'; in this repository's program, "
    "`hetzner-coolify:backups.enabled: true`, the default)."
)
NO_BUCKET = (
    "postgres's backup job writes to no bucket: create the bucket in the stack and name it in the job, or name an "
    "external one with BACKUP_S3_BUCKET."
)


def test_a_job_naming_the_container_and_the_bucket_passes(check_stack: Check) -> None:
    assert check_stack(POLICY, POSTGRES, BUCKET, job()) == []


def test_a_job_built_from_the_container_and_the_bucket_passes(check_stack: Check) -> None:
    built = job("backup.sh")
    built.property_dependencies = {"triggers": (POSTGRES.urn,), "environment": (BUCKET.urn,)}
    assert check_stack(POLICY, POSTGRES, BUCKET, built) == []


def test_a_stack_without_postgres_needs_no_backups(check_stack: Check) -> None:
    assert check_stack(POLICY, Resource(CONTAINER, {"image": "redis:7.4.1"})) == []


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ((POSTGRES,), NO_JOB),
        ((POSTGRES, BUCKET), NO_JOB),
        ((POSTGRES, BUCKET, job("certbot renew")), NO_JOB),
        ((POSTGRES, BUCKET, job("docker exec app-postgres-old pg_dumpall | rclone rcat r2:team-backups/x")), NO_JOB),
        ((POSTGRES, BUCKET, job("docker exec app-postgres pg_dumpall > /root/db.sql")), NO_BUCKET),
        ((POSTGRES, job()), NO_BUCKET),
    ],
    ids=["nothing", "bucket-only", "an-unrelated-schedule", "a-job-for-another-container", "a-job-to-local-disk",
         "a-bucket-outside-the-stack"],
)  # fmt: skip
def test_missing_parts_are_named(check_stack: Check, resources: tuple[Resource, ...], expected: str) -> None:
    assert check_stack(POLICY, *resources) == [expected]


def test_an_unrelated_bucket_does_not_count(check_stack: Check) -> None:
    assets = Resource("cloudflare:index/r2Bucket:R2Bucket", {"name": "team"}, name="assets")
    assert check_stack(POLICY, POSTGRES, assets, job()) == [NO_BUCKET]


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
    external = job("docker exec app-postgres pg_dumpall | backup-upload", environment=environment)
    assert check_stack(POLICY, POSTGRES, external) == []


def test_an_empty_bucket_setting_does_not_count(check_stack: Check) -> None:
    external = job("docker exec app-postgres pg_dumpall | upload", environment={"BACKUP_ENV": 'BACKUP_S3_BUCKET=""\n'})
    assert check_stack(POLICY, POSTGRES, external) == [NO_BUCKET]


def test_bucket_types_are_configurable(check_stack: Check) -> None:
    minio = Resource("minio:index/s3Bucket:S3Bucket", {"bucket": "team-backups"}, name="minio")
    assert check_stack(POLICY, POSTGRES, minio, job()) == [NO_BUCKET]
    configured = {"bucketTypes": ["minio:index/s3Bucket:S3Bucket"]}
    assert check_stack(POLICY, POSTGRES, minio, job(), config=configured) == []


def test_postgres_run_by_image_id_is_known(check_stack: Check) -> None:
    pulled = Resource("docker:index/remoteImage:RemoteImage", {"name": "postgres:17.6"}, name="postgres-image")
    database = Resource(CONTAINER, {"image": "sha256:" + "9" * 64, "name": "app-postgres"}, name="postgres")
    database.property_dependencies = {"image": (pulled.urn,)}
    assert check_stack(POLICY, pulled, database) == [NO_JOB]
    assert check_stack(POLICY, pulled, database, BUCKET, job()) == []
