import re

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ..support.containers import REMOTE_IMAGE, containers
from ..support.properties import UNKNOWN, get, string_list

FLOATING_TAGS = ["latest", "stable", "edge", "main", "master", "nightly", "dev", "lts", "current", "mainline"]
# Tags that name no release of the software: a major version alone ('7', '16-bookworm', 'pg18') moves with
# every minor release, a variant alone ('alpine', 'slim', 'bookworm') with every release.
_MAJOR_ONLY = re.compile(r"(?:v|[a-z]+)?\d{1,3}(?:[-_][a-z][\w.-]*)?", re.IGNORECASE)


def image_problem(image: str, floating: list[str]) -> str | None:
    if image.startswith("sha256:") or "@sha256:" in image:
        return None  # pinned by digest
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag, which means latest"
    tag = last.rsplit(":", 1)[1]
    moving = [word for word in re.split(r"[-_]", tag.lower()) if word in floating]
    if tag.lower() in floating or moving:
        return f"uses the moving tag '{tag}'"
    if not any(character.isdigit() for character in tag):
        return f"uses the tag '{tag}', which names a variant but no release"
    if _MAJOR_ONLY.fullmatch(tag):
        return f"uses the tag '{tag}', a major version that moves with every minor release"
    return None


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    floating = [tag.lower() for tag in args.get_config().get("floatingTags", FLOATING_TAGS)]
    judged = [(resource, "name", str(get(resource.props, "name") or "")) for resource in args.resources
              if resource.resource_type == REMOTE_IMAGE and get(resource.props, "name") is not UNKNOWN]  # fmt: skip
    # An image this program builds is pinned by the build itself, whatever it is tagged; one that comes from a
    # RemoteImage is judged there.
    judged += [(container, "image", image.reference) for container, image in containers(args.resources)
               if not image.built_here and image.reference == get(container.props, "image")]  # fmt: skip
    for resource, key, reference in judged:
        problem = image_problem(reference, floating) if reference else None
        if problem:
            report(
                f"{resource.name} {key} '{reference}' {problem}; pin a release (postgres:17.6) or a digest.",
                resource.urn,
            )


POLICY = StackValidationPolicy(
    name="docker-image-disallow-unpinned-tags",
    description="Container images must be pinned to a release or digest, so that a redeploy never upgrades a "
    "database by surprise; images the program builds itself are exempt.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={"floatingTags": string_list(FLOATING_TAGS, "Tags that move to new releases.")}
    ),
    validate=validate,
)
