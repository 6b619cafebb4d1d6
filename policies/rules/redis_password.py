from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from .docker_containers import CONTAINER, image_family
from .secret_inputs import secret_inputs


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER or image_family(args.props) != "redis":
        return
    passwords = [
        found for found in secret_inputs(args.resource_type, args.props) if found.property in ("command", "envs")
    ]
    if not passwords:
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
