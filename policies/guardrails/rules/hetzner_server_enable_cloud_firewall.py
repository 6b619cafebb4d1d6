import re
from collections.abc import Mapping

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ..support.firewalls import FIREWALL
from ..support.properties import UNKNOWN, entries, get, items

SERVER = "hcloud:index/server:Server"
ATTACHMENT = "hcloud:index/firewallAttachment:FirewallAttachment"
_REQUIREMENT = re.compile(r"^\s*(!?)\s*([\w./-]+)\s*(?:(==|=|!=)\s*([\w./-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$")


def selector_matches(selector: str, labels: Mapping[str, str]) -> bool:
    """Hetzner label selectors: 'k=v', 'k==v', 'k!=v', 'k', '!k', 'k in (a,b)', 'k notin (a,b)', ANDed by commas."""
    for requirement in re.split(r",(?![^()]*\))", selector):
        match = _REQUIREMENT.match(requirement)
        if match is None:
            return False
        negated, key, operator, value, set_operator, members = match.groups()
        present = key in labels
        if operator in ("=", "=="):
            ok = labels.get(key) == value
        elif operator == "!=":
            ok = labels.get(key) != value
        elif set_operator:
            chosen = {member.strip() for member in members.split(",")}
            ok = present and labels[key] in chosen if set_operator == "in" else labels.get(key) not in chosen
        else:
            ok = present != bool(negated)
        if not ok:
            return False
    return True


def _firewalled(server: PolicyResource, attachments: list[PolicyResource]) -> bool:
    if any(True for _ in items(get(server.props, "firewallIds"))):
        return True
    labels = {key: str(value) for key, value in entries(get(server.props, "labels", {})) if value is not UNKNOWN}
    for attachment in attachments:
        if not any(
            dependency.resource_type == FIREWALL
            for dependency in attachment.property_dependencies.get("firewallId", [])
        ):
            continue
        if server in attachment.property_dependencies.get("serverIds", []):
            return True
        selectors = [
            selector for _, selector in items(get(attachment.props, "labelSelectors")) if selector is not UNKNOWN
        ]
        if any(selector_matches(str(selector), labels) for selector in selectors):
            return True
    return False


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    attachments = [resource for resource in args.resources if resource.resource_type == ATTACHMENT]
    for server in (resource for resource in args.resources if resource.resource_type == SERVER):
        if not _firewalled(server, attachments):
            report(
                f"server {server.name} has no cloud firewall; attach one with a FirewallAttachment (server ids or "
                "a label selector matching its labels) or set firewall_ids.",
                server.urn,
            )


POLICY = StackValidationPolicy(
    name="hetzner-server-enable-cloud-firewall",
    description="Every Hetzner server must be covered by a Hetzner Cloud Firewall of this stack; Docker-published "
    "ports bypass the host's own firewall.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    validate=validate,
)
