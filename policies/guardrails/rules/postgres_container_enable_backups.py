from collections.abc import Iterator
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ..support.containers import CONTAINER, image_family
from ..support.properties import UNKNOWN, entries, items, string_list

BUCKET_TYPES = ["cloudflare:index/r2Bucket:R2Bucket", "aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket"]
# A backup job that writes to a bucket this stack does not create (Hetzner Object Storage, whose
# buckets no API can create) names it in this setting.
EXTERNAL_BUCKET_SETTING = "BACKUP_S3_BUCKET"
SCHEDULE_MARKER = "OnCalendar="


def _strings(value: Any) -> Iterator[tuple[str, str]]:
    """(key, text) for every known string in the inputs; key is the innermost property name."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        key, current = stack.pop()
        if isinstance(current, str):
            yield key, current
        elif hasattr(current, "keys"):
            stack += [(name, item) for name, item in entries(current) if item is not UNKNOWN]
        elif hasattr(current, "__len__"):
            stack += [(key, item) for _, item in items(current) if item is not UNKNOWN]


def _has_schedule(resource: PolicyResource) -> bool:
    return any(SCHEDULE_MARKER in text for _, text in _strings(resource.props))


def _names_external_bucket(resource: PolicyResource) -> bool:
    """A setting BACKUP_S3_BUCKET with a value, as an input of its own or a line of a settings file."""
    for key, text in _strings(resource.props):
        if key == EXTERNAL_BUCKET_SETTING and text:
            return True
        for line in text.splitlines():
            name, _, value = line.partition("=")
            if name.strip() == EXTERNAL_BUCKET_SETTING and value.strip().strip("\"'"):
                return True
    return False


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    databases = [
        resource
        for resource in args.resources
        if resource.resource_type == CONTAINER and image_family(resource.props) == "postgres"
    ]
    if not databases:
        return
    bucket_types = args.get_config().get("bucketTypes", BUCKET_TYPES)
    has_bucket = any(resource.resource_type in bucket_types for resource in args.resources) or any(
        _names_external_bucket(resource) for resource in args.resources
    )
    has_schedule = any(_has_schedule(resource) for resource in args.resources)
    missing = [what for what, present in (("backup schedule", has_schedule), ("bucket", has_bucket)) if not present]
    if missing:
        for database in databases:
            report(
                f"{database.name} runs PostgreSQL but the stack has no {' and no '.join(missing)}; add the backups "
                f"component (a systemd timer with {SCHEDULE_MARKER}, writing to a bucket).",
                database.urn,
            )


POLICY = StackValidationPolicy(
    name="postgres-container-enable-backups",
    description="A stack that runs PostgreSQL must also schedule its backups and create (or name) the bucket "
    "they go to.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={"bucketTypes": string_list(BUCKET_TYPES, "Resource types that create a backup bucket.")}
    ),
    validate=validate,
)
