from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from ..support.properties import UNKNOWN, get, string_list

STATEFUL_TYPES = [
    "hcloud:index/server:Server",
    "hcloud:index/primaryIp:PrimaryIp",
    "hcloud:index/floatingIp:FloatingIp",
    "hcloud:index/volume:Volume",
    "docker:index/volume:Volume",
    "cloudflare:index/r2Bucket:R2Bucket",
    # Keeps a bucket's objects from deletion: unprotected, one `pulumi destroy` would let the history go.
    "cloudflare:index/r2BucketLock:R2BucketLock",
]
# Types with Hetzner's own delete protection, which guards against the console and the API too.
HETZNER_DELETE_PROTECTION = {
    "hcloud:index/server:Server",
    "hcloud:index/primaryIp:PrimaryIp",
    "hcloud:index/floatingIp:FloatingIp",
    "hcloud:index/volume:Volume",
}


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in args.get_config().get("resourceTypes", STATEFUL_TYPES):
        return
    missing = [] if args.opts.protect else ["Pulumi protect"]
    if args.resource_type in HETZNER_DELETE_PROTECTION and get(args.props, "deleteProtection") not in (True, UNKNOWN):
        missing.append("Hetzner delete protection")
    if missing:
        report(f"{args.name} holds data or an address and lacks {' and '.join(missing)}.", None)


POLICY = ResourceValidationPolicy(
    name="stateful-resources-enable-protection",
    description="Servers, addresses, volumes and buckets hold data or identity; in production they must be "
    "protected against `pulumi destroy` and against deletion in the provider's console.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={"resourceTypes": string_list(STATEFUL_TYPES, "Resource types that must be protected.")}
    ),
    validate=validate,
)
