from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from ..support.containers import CONTAINER, REMOTE_IMAGE
from ..support.properties import UNKNOWN, get, string_list

IMAGE_PROPERTY = {CONTAINER: "image", REMOTE_IMAGE: "name"}
FLOATING_TAGS = ["latest", "stable", "edge", "main", "master", "nightly", "dev"]


def image_problem(image: str, floating: list[str]) -> str | None:
    if image.startswith("sha256:") or "@sha256:" in image:
        return None  # pinned by digest
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag, which means latest"
    tag = last.rsplit(":", 1)[1]
    if tag.lower() in floating:
        return f"uses the moving tag '{tag}'"
    return None


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    key = IMAGE_PROPERTY.get(args.resource_type)
    image = get(args.props, key) if key else None
    if image in (None, UNKNOWN):
        return
    floating = [tag.lower() for tag in args.get_config().get("floatingTags", FLOATING_TAGS)]
    problem = image_problem(str(image), floating)
    if problem:
        report(f"{key} '{image}' {problem}; pin a version tag (postgres:16.4) or a digest.", None)


POLICY = ResourceValidationPolicy(
    name="docker-image-disallow-unpinned-tags",
    description="Container images must be pinned to a version or digest, so that a redeploy never upgrades a "
    "database by surprise.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={"floatingTags": string_list(FLOATING_TAGS, "Tags that move to new releases.")}
    ),
    validate=validate,
)
