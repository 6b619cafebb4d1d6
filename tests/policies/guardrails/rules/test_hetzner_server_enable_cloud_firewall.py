"""Every server has a cloud firewall: a stack policy that follows attachments and label selectors."""

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
    "server web has no cloud firewall; attach one with a FirewallAttachment (server ids or a label selector "
    "matching its labels) or set firewall_ids."
)


def test_a_label_selector_attachment_covers_the_server(check_stack: Check) -> None:
    assert check_stack(POLICY, FIREWALL, server(), attachment(selectors=["firewall=main"])) == []


def test_a_server_id_attachment_covers_the_server(check_stack: Check) -> None:
    web = server()
    assert check_stack(POLICY, FIREWALL, web, attachment(servers=[web])) == []


def test_firewall_ids_on_the_server_cover_it(check_stack: Check) -> None:
    assert check_stack(POLICY, server(firewallIds=[7])) == []


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
