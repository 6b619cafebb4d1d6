import re

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ..support.containers import containers
from ..support.properties import UNKNOWN, get, string_list, strings

BUCKET_TYPES = ["cloudflare:index/r2Bucket:R2Bucket", "aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket"]
# A backup job that writes to a bucket this stack does not create (Hetzner Object Storage, whose
# buckets no API can create) names it in this setting.
EXTERNAL_BUCKET_SETTING = "BACKUP_S3_BUCKET"
SCHEDULE_MARKER = "OnCalendar="
# The stack setting of this repository's program that adds the backups component: a violation names it, so that
# whoever reads the report knows which key to change.
BACKUPS_SETTING = "hetzner-coolify:backups.enabled"


def _texts(resource: PolicyResource) -> list[tuple[str, str]]:
    return list(strings(resource.props))


def _names(word: str, texts: list[tuple[str, str]]) -> bool:
    """Whether a text names `word` as a whole name: 'app-postgres' is not named by 'app-postgres-old'."""
    pattern = re.compile(rf"(?<![\w.-]){re.escape(word)}(?![\w-])")
    return bool(word) and any(pattern.search(text) for _, text in texts)


def _external_bucket(texts: list[tuple[str, str]]) -> bool:
    """A setting BACKUP_S3_BUCKET with a value, as an input of its own or a line of a settings file."""
    for key, text in texts:
        if key == EXTERNAL_BUCKET_SETTING and text:
            return True
        for line in text.splitlines():
            name, _, value = line.partition("=")
            if name.strip() == EXTERNAL_BUCKET_SETTING and value.strip().strip("\"'"):
                return True
    return False


def _bucket_names(resources: list[PolicyResource], bucket_types: list[str]) -> list[str]:
    names = [get(resource.props, key) for resource in resources if resource.resource_type in bucket_types
             for key in ("name", "bucket")]  # fmt: skip
    return [str(name) for name in names if name not in (None, UNKNOWN)]


def _depends_on(job: PolicyResource, resource: PolicyResource) -> bool:
    return any(resource in sources for sources in job.property_dependencies.values())


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = list(args.resources)
    bucket_types = args.get_config().get("bucketTypes", BUCKET_TYPES)
    buckets = [resource for resource in resources if resource.resource_type in bucket_types]
    bucket_names = _bucket_names(resources, bucket_types)
    scheduled = [(resource, texts) for resource, texts in ((resource, _texts(resource)) for resource in resources)
                 if any(SCHEDULE_MARKER in text for _, text in texts)]  # fmt: skip
    for database, image in containers(resources):
        if image.family != "postgres":
            continue
        name = get(database.props, "name")
        name = "" if name in (None, UNKNOWN) else str(name)
        # The job that backs this database up: scheduled, and naming the container (or built from it).
        jobs = [(job, texts) for job, texts in scheduled
                if _names(name, texts) or _depends_on(job, database)]  # fmt: skip
        if not jobs:
            report(
                f"{database.name} runs PostgreSQL but no backup job of the stack names it: add the backups component "
                f"(a systemd timer with {SCHEDULE_MARKER} whose job dumps the container '{name or database.name}'; "
                f"in this repository's program, `{BACKUPS_SETTING}: true`, the default).",
                database.urn,
            )
            continue
        if not any(
            any(_depends_on(job, bucket) for bucket in buckets)
            or any(_names(bucket, texts) for bucket in bucket_names)
            or _external_bucket(texts)
            for job, texts in jobs
        ):
            report(
                f"{database.name}'s backup job writes to no bucket: create the bucket in the stack and name it in the "
                f"job, or name an external one with {EXTERNAL_BUCKET_SETTING}.",
                database.urn,
            )


POLICY = StackValidationPolicy(
    name="postgres-container-enable-backups",
    description="Every PostgreSQL container must be backed up by a scheduled job that names it and writes to a "
    "bucket the stack creates (or names).",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={"bucketTypes": string_list(BUCKET_TYPES, "Resource types that create a backup bucket.")}
    ),
    validate=validate,
)
