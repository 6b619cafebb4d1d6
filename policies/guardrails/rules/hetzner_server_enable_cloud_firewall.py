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

from ..support.firewalls import FIREWALL, MOST_PORTS_OPEN, ports_open_to_the_internet
from ..support.properties import UNKNOWN, entries, get, items

SERVER = "hcloud:index/server:Server"
ATTACHMENT = "hcloud:index/firewallAttachment:FirewallAttachment"
# One requirement, white space around it stripped first: no two white-space runs are adjacent in the pattern, so
# it matches in linear time (tests/policies/test_hostile_inputs.py).
_REQUIREMENT = re.compile(r"(!?)\s*([\w./-]+)(?:\s*(==|=|!=)\s*([\w./-]*)|\s+(in|notin)\s*\(([^)]*)\))?")


def _requirements(selector: str) -> list[str]:
    """The selector split at the commas outside parentheses, in one pass."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(selector):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            parts.append(selector[start:index])
            start = index + 1
    parts.append(selector[start:])
    return parts


def selector_matches(selector: str, labels: Mapping[str, str]) -> bool:
    """Hetzner label selectors: 'k=v', 'k==v', 'k!=v', 'k', '!k', 'k in (a,b)', 'k notin (a,b)', ANDed by commas."""
    for requirement in _requirements(selector):
        match = _REQUIREMENT.fullmatch(requirement.strip())
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


def _named_firewalls(server: PolicyResource) -> list[PolicyResource]:
    """The firewalls of this stack in the server's firewall_ids."""
    return [
        source for source in server.property_dependencies.get("firewallIds", []) if source.resource_type == FIREWALL
    ]


def _applied_to(firewall: PolicyResource, server: PolicyResource, labels: Mapping[str, str]) -> bool:
    """Whether the firewall's own apply_to names the server, by id or by a label selector."""
    if server in firewall.property_dependencies.get("applyTos", []):
        return True
    selectors = [get(target, "labelSelector") for _, target in items(get(firewall.props, "applyTos"))]
    return any(isinstance(selector, str) and selector_matches(selector, labels) for selector in selectors)


def _covering_firewalls(
    server: PolicyResource, firewalls: list[PolicyResource], attachments: list[PolicyResource]
) -> list[PolicyResource]:
    """The firewalls of this stack that apply to the server: named in firewall_ids, applied to it or attached."""
    labels = {key: str(value) for key, value in entries(get(server.props, "labels", {})) if value is not UNKNOWN}
    covering = _named_firewalls(server) + [firewall for firewall in firewalls if _applied_to(firewall, server, labels)]
    for attachment in attachments:
        attached = [
            dependency
            for dependency in attachment.property_dependencies.get("firewallId", [])
            if dependency.resource_type == FIREWALL
        ]
        selectors = [
            selector for _, selector in items(get(attachment.props, "labelSelectors")) if selector is not UNKNOWN
        ]
        if server in attachment.property_dependencies.get("serverIds", []) or any(
            selector_matches(str(selector), labels) for selector in selectors
        ):
            covering += attached
    return covering


def validate(args: StackValidationArgs, report: ReportViolation) -> None:
    attachments = [resource for resource in args.resources if resource.resource_type == ATTACHMENT]
    firewalls = [resource for resource in args.resources if resource.resource_type == FIREWALL]
    for server in (resource for resource in args.resources if resource.resource_type == SERVER):
        named = sum(1 for _ in items(get(server.props, "firewallIds")))
        from_stack = _named_firewalls(server)
        if named > len(from_stack):
            report(
                f"server {server.name} firewall_ids names {named - len(from_stack)} firewall(s) that this stack does "
                "not create, whose rules no policy can judge; name the stack's own Firewall resources.",
                server.urn,
            )
        covering = list(dict.fromkeys(_covering_firewalls(server, firewalls, attachments)))
        if not covering:
            report(
                f"server {server.name} has no cloud firewall; set firewall_ids to a Firewall of the stack (or attach "
                "one with a FirewallAttachment by server id or a label selector matching its labels).",
                server.urn,
            )
            continue
        opened = ports_open_to_the_internet([firewall.props for firewall in covering])
        if opened > MOST_PORTS_OPEN:
            report(
                f"server {server.name}'s firewalls ({', '.join(sorted({f.name for f in covering}))}) let the internet "
                f"reach {opened} tcp and udp ports: a firewall that opens nearly everything filters nothing; open "
                "only the ports the server serves.",
                server.urn,
            )


POLICY = StackValidationPolicy(
    name="hetzner-server-enable-cloud-firewall",
    description="Every Hetzner server must be covered by a Hetzner Cloud Firewall of this stack that opens only what "
    "the server serves; Docker-published ports bypass the host's own firewall.",
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    validate=validate,
)
