"""Every server has a cloud firewall of the stack that filters: a stack policy that follows firewall_ids, attachments
and label selectors to the firewalls themselves and judges their rules together."""

from typing import Any

import pytest

from policies.guardrails.rules.hetzner_server_enable_cloud_firewall import selector_matches
from preview.analyzer import analyzer_resources
from tests.policies.conftest import Check, Resource, stack_of

POLICY = "hetzner-server-enable-cloud-firewall"
FIREWALL = Resource("hcloud:index/firewall:Firewall", {"rules": []}, name="fw")


def server(labels: dict[str, str] | None = None, **props: Any) -> Resource:
    return Resource("hcloud:index/server:Server", {"labels": labels or {"firewall": "main"}, **props}, name="web")


def attachment(
    *, selectors: list[str] | None = None, servers: list[Resource] | None = None, to_firewall: bool = True
) -> Resource:
    dependencies: dict[str, tuple[str, ...]] = {"firewallId": (FIREWALL.urn,) if to_firewall else ()}
    props: dict[str, Any] = {"firewallId": 1}
    if selectors is not None:
        props["labelSelectors"] = selectors
    if servers is not None:
        props["serverIds"] = [1]
        dependencies["serverIds"] = tuple(item.urn for item in servers)
    return Resource(
        "hcloud:index/firewallAttachment:FirewallAttachment", props, name="attach", property_dependencies=dependencies
    )


MISSING = (
    "server web has no cloud firewall; set firewall_ids to a Firewall of the stack (or attach one with a "
    "FirewallAttachment by server id or a label selector matching its labels)."
)


def named(*firewalls: Resource, ids: int | None = None) -> Resource:
    """A server whose firewall_ids names `firewalls` (and `ids` more that the stack does not create)."""
    web = server(firewallIds=list(range(len(firewalls) + (ids or 0))))
    web.property_dependencies = {"firewallIds": tuple(firewall.urn for firewall in firewalls)}
    return web


def firewall_opening(name: str, *ports: str) -> Resource:
    rules = [{"direction": "in", "protocol": "tcp", "port": port, "sourceIps": ["0.0.0.0/0", "::/0"]} for port in ports]
    return Resource("hcloud:index/firewall:Firewall", {"rules": rules}, name=name)


def test_a_label_selector_attachment_covers_the_server(check_stack: Check) -> None:
    assert check_stack(POLICY, FIREWALL, server(), attachment(selectors=["firewall=main"])) == []


def test_a_server_id_attachment_covers_the_server(check_stack: Check) -> None:
    web = server()
    assert check_stack(POLICY, FIREWALL, web, attachment(servers=[web])) == []


def test_firewall_ids_naming_a_firewall_of_the_stack_cover_it(check_stack: Check) -> None:
    assert check_stack(POLICY, FIREWALL, named(FIREWALL)) == []


def test_firewall_ids_naming_firewalls_outside_the_stack_are_refused(check_stack: Check) -> None:
    outside = (
        "server web firewall_ids names {} firewall(s) that this stack does not create, whose rules no policy can "
        "judge; name the stack's own Firewall resources."
    )
    assert check_stack(POLICY, server(firewallIds=[7])) == [outside.format(1), MISSING]
    assert check_stack(POLICY, FIREWALL, named(FIREWALL, ids=2)) == [outside.format(2)]


@pytest.mark.parametrize(
    ("firewalls", "opened"),
    [
        ((firewall_opening("almost-open", "1-5431", "5433-65535"),), 65534),
        ((firewall_opening("low", "1-1024"), firewall_opening("high", "1025-2048")), 2048),
    ],
    ids=["everything-but-one-port", "two-firewalls-together"],
)
def test_firewalls_that_open_nearly_everything_are_refused(
    check_stack: Check, firewalls: tuple[Resource, ...], opened: int
) -> None:
    names = ", ".join(sorted(firewall.name for firewall in firewalls))
    assert check_stack(POLICY, *firewalls, named(*firewalls)) == [
        f"server web's firewalls ({names}) let the internet reach {opened} tcp and udp ports: a firewall that opens "
        "nearly everything filters nothing; open only the ports the server serves."
    ]


def test_a_firewall_opening_the_web_and_admin_ports_passes(check_stack: Check) -> None:
    web = firewall_opening("web", "80", "443", "8000-8100")
    admin_only = Resource(
        "hcloud:index/firewall:Firewall",
        {"rules": [{"direction": "in", "protocol": "tcp", "port": "any", "sourceIps": ["203.0.113.0/24"]}]},
        name="admins",
    )
    assert check_stack(POLICY, web, admin_only, named(web, admin_only)) == []


@pytest.mark.parametrize(
    "resources",
    [
        [FIREWALL, server()],
        [FIREWALL, server(), attachment(selectors=["firewall=other"])],
        [FIREWALL, server(labels={"role": "web"}), attachment(selectors=["firewall=main"])],
        [server(), attachment(selectors=["firewall=main"], to_firewall=False)],
    ],
    ids=["no-attachment", "selector-for-another-server", "server-without-the-label", "attachment-without-firewall"],
)
def test_an_uncovered_server_is_refused(check_stack: Check, resources: list[Resource]) -> None:
    assert check_stack(POLICY, *resources) == [MISSING]


def test_the_violation_names_the_server(pack: Any, settings: Any) -> None:
    web = server()
    pack.configure(settings({}), "production", "hetzner-coolify")
    found = [item for item in pack.analyze_stack(analyzer_resources(stack_of(web), {})) if item.policy == POLICY]
    assert [(item.level, item.urn) for item in found] == [("mandatory", web.urn)]


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        ("firewall=main", {"firewall": "main"}, True),
        ("firewall==main", {"firewall": "main"}, True),
        ("firewall!=main", {"firewall": "main"}, False),
        ("firewall", {"firewall": "x"}, True),
        ("!firewall", {"firewall": "x"}, False),
        ("env in (staging,production)", {"env": "staging"}, True),
        ("env notin (staging, production)", {"env": "staging"}, False),
        ("firewall=main,env=prod", {"firewall": "main", "env": "dev"}, False),
        ("firewall=main, env=prod", {"firewall": "main", "env": "prod"}, True),
        ("===", {}, False),
    ],
)
def test_label_selectors(selector: str, labels: dict[str, str], matches: bool) -> None:
    assert selector_matches(selector, labels) is matches


@pytest.mark.parametrize(
    ("apply_to", "covers"),
    [
        ({"labelSelector": "firewall=main"}, True),
        ({"labelSelector": "firewall=other"}, False),
        ({"server": 1}, True),
    ],
    ids=["label-selector", "another-label", "server-id"],
)
def test_a_firewall_applied_by_its_own_apply_to_covers_the_server(
    check_stack: Check, apply_to: dict[str, Any], covers: bool
) -> None:
    web = server()
    firewall = Resource("hcloud:index/firewall:Firewall", {"rules": [], "applyTos": [apply_to]}, name="fw")
    if "server" in apply_to:
        firewall.property_dependencies = {"applyTos": (web.urn,)}
    assert check_stack(POLICY, firewall, web) == ([] if covers else [MISSING])
