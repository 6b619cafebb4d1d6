from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from ..support.properties import UNKNOWN, string_list
from ..support.secret_inputs import secret_inputs
from ..support.secret_strength import DEFAULT_MIN_ENTROPY, DEFAULT_MIN_LENGTH, weakness


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    for found in secret_inputs(args.resource_type, args.props):
        if found.value is UNKNOWN or found.value is None:
            continue  # generated at deploy time: judged by `pulumi up`, when it is known
        reason = weakness(
            str(found.value),
            user_names=found.user_names,
            min_length=int(config.get("minLength", DEFAULT_MIN_LENGTH)),
            min_entropy=float(config.get("minEntropyBitsPerChar", DEFAULT_MIN_ENTROPY)),
            extra_denylist=config.get("denylist", ()),
        )
        if reason:
            report(
                f"{found.label} {reason}; generate it (pulumi-random) or set it with `pulumi config set --secret`.",
                None,
            )


POLICY = ResourceValidationPolicy(
    name="secrets-disallow-default-values",
    description="Passwords, tokens and keys must not be defaults, placeholders, user names, patterns or short "
    "strings; generate them (pulumi-random) or set them with `pulumi config set --secret`.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config_schema=PolicyConfigSchema(
        properties={
            "minLength": {
                "type": "integer",
                "minimum": 8,
                "default": DEFAULT_MIN_LENGTH,
                "description": "Shortest acceptable secret, in characters.",
            },
            "minEntropyBitsPerChar": {
                "type": "number",
                "minimum": 0,
                "default": DEFAULT_MIN_ENTROPY,
                "description": "Least Shannon entropy per character of a secret.",
            },
            "denylist": string_list([], "Further words that must not be used as secrets (company or product names)."),
        }
    ),
    validate=validate,
)
