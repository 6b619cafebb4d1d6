from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ..support.secret_inputs import PROVIDER_PREFIX, secret_inputs


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # Provider inputs come from stack configuration, whose secrets the engine encrypts on its own.
    if args.resource_type.startswith(PROVIDER_PREFIX):
        return
    encrypted = set(args.opts.additional_secret_outputs or ())
    unprotected: dict[str, list[str]] = {}
    for found in secret_inputs(args.resource_type, args.props):
        if found.property not in encrypted:
            unprotected.setdefault(found.property, []).append(found.label)
    for name, labels in unprotected.items():
        report(
            f"{name} carries secrets ({', '.join(labels)}) but is not encrypted in the state; "
            f"list '{name}' in the resource's additional_secret_outputs.",
            None,
        )


POLICY = ResourceValidationPolicy(
    name="secrets-enable-state-encryption",
    description="Inputs that carry passwords or tokens must be stored encrypted in the Pulumi state, which a "
    "policy can verify only through the resource's additional_secret_outputs.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    validate=validate,
)
