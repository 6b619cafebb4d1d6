from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ..support.containers import CONTAINER, COOLIFY_NETWORK, COOLIFY_SERVICE_NAMES
from ..support.properties import UNKNOWN, get, items


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    # On a user-defined network a container answers to its name and to each of its aliases; network_mode naming
    # the network joins it as well.
    names: list[tuple[str, Any]] = []
    if get(args.props, "networkMode") == COOLIFY_NETWORK:
        names.append(("name", get(args.props, "name")))
    for index, network in items(get(args.props, "networksAdvanced")):
        if network is UNKNOWN or get(network, "name") != COOLIFY_NETWORK:
            continue
        names += [("name", get(args.props, "name"))]
        names += [(f"networks_advanced[{index}].aliases", alias) for _, alias in items(get(network, "aliases"))]
    for where, name in dict.fromkeys(names):
        if isinstance(name, str) and name.lower() in COOLIFY_SERVICE_NAMES:
            report(
                f"{where} '{name}' on Coolify's network is a name Coolify's own services answer to: apps asking for "
                "it reach either at random; choose another (app-postgres, app-redis).",
                None,
            )


POLICY = ResourceValidationPolicy(
    name="docker-container-disallow-coolify-service-names",
    description="A container on Coolify's network must not take a name Coolify's own services answer to (postgres, "
    "redis, coolify-db, ...), or apps connect to either at random.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    validate=validate,
)
