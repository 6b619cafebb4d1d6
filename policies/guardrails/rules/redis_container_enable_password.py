from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ..support.containers import CONTAINER, image_family
from ..support.properties import UNKNOWN, env_pairs, get, items
from ..support.secret_inputs import env_reference, requirepass_values

# Images that take the password from this variable themselves (the official ones do not).
PASSWORD_VARIABLE_IMAGES = ("bitnami/",)


def has_password(props: Mapping[str, Any]) -> bool:
    envs = {name: value for _, name, value in env_pairs(get(props, "envs"))}
    # An entry generated at deploy time is unknown in a preview: it may be the one referred to.
    unknown_entries = get(props, "envs") is UNKNOWN or any(entry is UNKNOWN for _, entry in items(get(props, "envs")))
    for _, _, value in requirepass_values(props):
        reference = env_reference(value)
        if reference is None or envs.get(reference) or (reference not in envs and unknown_entries):
            return True
    image = str(get(props, "image") or "")
    return image.startswith(PASSWORD_VARIABLE_IMAGES) and bool(envs.get("REDIS_PASSWORD"))


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER or image_family(args.props) != "redis":
        return
    if not has_password(args.props):
        report(
            f"{args.name} runs Redis without a password; the official image turns protected mode off, so start it "
            "with --requirepass from a generated secret.",
            None,
        )


POLICY = ResourceValidationPolicy(
    name="redis-container-enable-password",
    description="Redis must require a password: its official image disables protected mode, so any client that "
    "reaches it could read and overwrite every key.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    validate=validate,
)
