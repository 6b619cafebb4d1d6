"""The compact report's resources: the order `pulumi up` creates them in, and each one's key facts."""

from collections.abc import Callable
from typing import Any

import pytest

from components.server_scripts import server_script
from preview.engine import RecordedResource, RecordedStack
from preview.sections.deploy_time import dependencies
from preview.sections.resource_facts import key_facts
from preview.sections.resource_list import ResourceList, creation_order, needs, short_type
from preview.values import UNKNOWN, Secret
from tests.conftest import STACKS

Recorded = Callable[[str, str], RecordedStack]


def node(
    name: str,
    kind: str,
    *after: str,
    parent: str = "",
    custom: bool = True,
    inputs: dict[str, Any] | None = None,
    property_dependencies: dict[str, tuple[str, ...]] | None = None,
) -> RecordedResource:
    return RecordedResource(
        f"urn:pulumi:dev::p::{kind}::{name}",
        kind,
        name,
        parent=f"urn:pulumi:dev::p::{parent}" if parent else "",
        custom=custom,
        inputs=inputs or {},
        dependencies=tuple(f"urn:pulumi:dev::p::{dep}" for dep in after),
        property_dependencies=property_dependencies or {},
    )


def names(resources: list[RecordedResource]) -> list[str]:
    return [resource.name for resource in resources]


KEY, IP, SERVER, RECORD = (
    "hcloud:index/sshKey:SshKey",  # 1 s
    "hcloud:index/primaryIp:PrimaryIp",  # 2 s
    "hcloud:index/server:Server",  # 75 s
    "cloudflare:index/dnsRecord:DnsRecord",  # 2 s
)


def test_each_resource_comes_after_what_it_needs_and_the_first_to_start_first() -> None:
    stack = node("stack", "pulumi:pulumi:Stack", custom=False)
    host = node("host", "x:host:Host", parent="pulumi:pulumi:Stack::stack", custom=False)
    within = "x:host:Host::host"
    graph = [
        node("web", SERVER, f"{KEY}::key", f"{IP}::ip", parent=within),
        node("www", RECORD, f"{IP}::ip", parent=within),
        node("ip", IP, parent=within),
        node("key", KEY, parent=within),
        host,
        stack,
    ]
    # The stack, then its component; the key and the address start at once (by name); the record needs the
    # address (2 s), the server both (ready at 2 s too, then by name).
    assert names(creation_order(graph)) == ["stack", "host", "ip", "key", "web", "www"]


def test_a_resource_waits_for_the_slowest_of_what_it_needs() -> None:
    graph = [
        node("a-server", SERVER),
        node("b-key", KEY),
        node("c-record", RECORD, f"{SERVER}::a-server"),
        node("d-record", RECORD, f"{KEY}::b-key"),
    ]
    # d-record is ready at 1 s, c-record at 75 s: d first, whatever their names say.
    assert names(creation_order(graph)) == ["a-server", "b-key", "d-record", "c-record"]


def test_a_cycle_still_lists_every_resource_once() -> None:
    graph = [node("a", KEY, f"{KEY}::b"), node("b", KEY, f"{KEY}::a"), node("c", KEY)]
    assert names(creation_order(graph)) == ["c", "a", "b"]


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stacks_in_creation_order(recorded: Recorded, stack: str) -> None:
    recording = recorded(stack, "plan")
    order = creation_order(recording.resources)
    assert sorted(names(order)) == sorted(resource.name for resource in recording.resources)
    position = {resource.urn: index for index, resource in enumerate(order)}
    known = set(position)
    for resource in order:
        assert needs(resource, known) == [
            *dependencies(resource, known),
            *([resource.parent] if resource.parent else []),
        ]
        assert all(position[urn] < position[resource.urn] for urn in needs(resource, known)), resource.name


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stacks_one_row_each(recorded: Recorded, stack: str) -> None:
    recording = recorded(stack, "plan")
    lines = ResourceList().render(recording).lines
    assert lines[0] == (
        f"Previewing update ({stack}), offline: {len(recording.resources)} to create "
        f"(1 stack, 7 components, {len(recording.resources) - 8} cloud resources),"
    )
    rows = [line for line in lines if line.startswith(" +  ")]
    assert len(rows) == len(recording.resources)
    assert [row.split()[2] for row in rows] == names(creation_order(recording.resources))


@pytest.mark.parametrize(
    ("token", "short"),
    [
        ("hcloud:index/server:Server", "hcloud:Server"),
        ("cloudflare:index/dnsRecord:DnsRecord", "cloudflare:DnsRecord"),
        ("command:remote:Command", "command:remote:Command"),
        ("pulumi:providers:docker", "pulumi:providers:docker"),
    ],
)
def test_short_types(token: str, short: str) -> None:
    assert short_type(token) == short


def facts(resource: RecordedResource, *others: RecordedResource) -> str:
    return key_facts(resource, RecordedStack("p", "dev", (resource, *others), ()))


def test_a_server_says_its_type_location_image_and_name() -> None:
    server = node("web", SERVER, inputs={"serverType": "cx33", "location": "nbg1", "image": "ubuntu-24.04",
                                         "name": "p-dev", "userData": "#cloud-config\n..."})  # fmt: skip
    assert facts(server) == 'cx33 in nbg1, ubuntu-24.04, "p-dev"'


def test_a_firewall_says_its_ports_by_their_sources() -> None:
    def rule(port: str | None, protocol: str, *sources: str) -> dict[str, Any]:
        return {"direction": "in", "protocol": protocol, "sourceIps": list(sources), **({"port": port} if port else {})}

    anywhere = ("0.0.0.0/0", "::/0")
    firewall = node("fw", "hcloud:index/firewall:Firewall", inputs={"name": "p-dev", "rules": [
        rule("22", "tcp", "203.0.113.0/24", "2001:db8::/48"), rule("80", "tcp", *anywhere),
        rule("443", "udp", *anywhere), rule(None, "icmp", *anywhere), rule("5432", "tcp", "198.51.100.7/32"),
        {"direction": "out", "protocol": "tcp", "port": "25", "destinationIps": ["0.0.0.0/0"]},
    ]})  # fmt: skip
    assert facts(firewall) == "22/tcp (2 sources), 80/tcp 443/udp icmp out 25/tcp (any), 5432/tcp (1 source)"


def test_a_dns_record_says_what_it_points_at_even_before_it_is_known() -> None:
    address = node("ip", IP)
    record = node("www", RECORD, f"{IP}::ip", inputs={"type": "A", "name": "www.example.org", "content": UNKNOWN},
                  property_dependencies={"content": (address.urn,)})  # fmt: skip
    assert facts(record, address) == "A www.example.org → ip"
    known = node("cname", RECORD, inputs={"type": "CNAME", "name": "a.example.org", "content": "b.example.org",
                                          "proxied": True})  # fmt: skip
    assert facts(known) == "CNAME a.example.org → b.example.org, proxied"
    data = {"tag": "issue", "value": "letsencrypt.org"}
    caa = node("caa", RECORD, inputs={"type": "CAA", "name": "example.org", "data": data})
    assert facts(caa) == "CAA example.org → issue letsencrypt.org"


def test_a_container_says_the_image_it_runs_even_before_it_is_pulled() -> None:
    image = node("pg-image", "docker:index/remoteImage:RemoteImage", inputs={"name": "postgres:17.6-bookworm"})
    container = node("pg", "docker:index/container:Container", inputs={"image": UNKNOWN, "name": "app-postgres"},
                     property_dependencies={"image": (image.urn,)})  # fmt: skip
    assert facts(container, image) == "postgres:17.6-bookworm, as app-postgres"
    assert facts(image) == '"postgres:17.6-bookworm"'


def test_a_step_says_the_script_it_runs() -> None:
    step = node("x-harden", "command:remote:Command", inputs={"stdin": server_script("harden-host.sh").text})
    assert facts(step) == "runs harden-host.sh"
    other = node("x-echo", "command:local:Command", inputs={"create": "echo hello\necho again"})
    assert facts(other) == "runs `echo hello`"


def test_secrets_and_unknowns_are_never_shown() -> None:
    key = node("k", KEY, inputs={"name": Secret("hidden-name"), "publicKey": "ssh-ed25519 AAAA"})
    assert facts(key) == ""
    password = node("pw", "random:index/randomPassword:RandomPassword", inputs={"length": Secret(32)})
    assert facts(password) == ""
    volume = node("v", "hcloud:index/volume:Volume", inputs={"size": 100, "location": UNKNOWN, "name": "p-data"})
    assert facts(volume) == '100 GB, "p-data"'


def test_components_say_their_type_and_size() -> None:
    component = node("host", "x:host:Host", custom=False)
    child = node("key", KEY, parent="x:host:Host::host", inputs={"name": "p-key"})
    assert facts(component, child) == "x:host:Host, 1 resource"
    assert facts(node("stack", "pulumi:pulumi:Stack", custom=False)) == ""


def test_a_long_value_is_cut() -> None:
    key = node("k", KEY, inputs={"name": "n" * 100})
    shown = facts(key)
    assert len(shown) < 60 and shown.endswith('…"')


def test_workers_network_and_load_balancer() -> None:
    balancer = node("lb", "hcloud:index/loadBalancer:LoadBalancer",
                    inputs={"loadBalancerType": "lb11", "location": "nbg1", "name": "p-dev"})  # fmt: skip
    service = node("https", "hcloud:index/loadBalancerService:LoadBalancerService",
                   inputs={"protocol": "tcp", "listenPort": 443, "destinationPort": 443})  # fmt: skip
    subnet = node("subnet", "hcloud:index/networkSubnet:NetworkSubnet",
                  inputs={"ipRange": "10.0.1.0/24", "networkZone": "eu-central"})  # fmt: skip
    attached = node("worker-1-network", "hcloud:index/serverNetwork:ServerNetwork", inputs={"ip": "10.0.1.11"})
    assert [facts(item) for item in (balancer, service, subnet, attached)] == [
        'lb11 in nbg1, "p-dev"',
        "tcp, 443→443",
        "10.0.1.0/24, eu-central",
        "10.0.1.11",
    ]
