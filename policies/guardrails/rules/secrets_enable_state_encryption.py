from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ..support.secret_inputs import PROVIDER_PREFIX, secret_inputs
from ..support.secret_marks import is_secret


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    # Provider inputs come from stack configuration, whose secrets the engine encrypts on its own.
    if args.resource_type.startswith(PROVIDER_PREFIX):
        return
    for found in secret_inputs(args.resource_type, args.props):
        if found.on_command_line:
            report(
                f"{found.label} is a secret on the command line, which every process listing on the server shows; "
                "pass it in the command's environment or on stdin.",
                None,
            )
        elif not is_secret(found.path):
            report(
                f"{found.label} is a plain value, stored unencrypted in the state; pass a secret Output (a "
                "RandomPassword's result, pulumi.Output.secret(...) or a secret config value).",
                None,
            )


POLICY = ResourceValidationPolicy(
    name="secrets-enable-state-encryption",
    description="Inputs that carry passwords or tokens must be secrets, which the engine encrypts in the state (it "
    "marks them in what it sends the pack), and never literals on a command line.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    validate=validate,
)
