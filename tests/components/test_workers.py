"""Workers behind a load balancer, with the host and Coolify they join: counts, private network, placement,
firewall, targets, registration."""

from typing import Any

import pulumi
import pytest

from components.workers import LOAD_BALANCER_IP, MAIN_SERVER_IP, worker_ip
from preview.engine import RecordedStack
from preview.mocks import FAKE_COOLIFY_PUBLIC_KEY
from preview.values import reveal
from stack_config import StackConfig
from tests.components.conftest import observe, record_components, running_coolify, workers
from tests.conftest import record as record_program

SERVER = "hcloud:index/server:Server"


def build(config: StackConfig) -> None:
    main, installed = running_coolify(config)
    built = workers(config, main, installed)
    observe("host", main, "ipv4_address")
    observe("workers", built, "load_balancer_ipv4", "load_balancer_ipv6", "registration_steps")
    pulumi.export("workers.app_addresses", vars(built.app_addresses) if built.app_addresses else None)


def record(
    stack: str, changes: dict[str, Any] | None = None, secret_keys: frozenset[str] = frozenset()
) -> RecordedStack:
    return record_components(build, stack, changes, secret_keys=secret_keys)


def with_workers(count: int, stack: str = "production", **extra: object) -> RecordedStack:
    balancer = "lb21" if count > 25 else "lb11"
    return record(stack, {"workers": {"count": count, "loadBalancer": {"type": balancer}}, **extra})


def worker_servers(recording: RecordedStack) -> list[dict[str, Any]]:
    """In worker order (registration order varies)."""
    servers = [server for server in recording.of_type(SERVER) if server.name != "host-server"]
    return [server.inputs for server in sorted(servers, key=lambda server: int(server.name.rsplit("-", 1)[1]))]


@pytest.mark.parametrize("count", [3, 50])
def test_workers_on_the_private_network_spread_over_placement_groups(count: int) -> None:
    recording = with_workers(count)
    servers = worker_servers(recording)
    assert len(servers) == count
    assert [server["name"] for server in servers] == [
        f"hetzner-coolify-production-worker-{n + 1}" for n in range(count)
    ]
    assert [server["networks"][0]["ip"] for server in servers] == [worker_ip(n) for n in range(count)]
    assert worker_ip(0) == "10.0.1.10" and worker_ip(49) == "10.0.1.59"
    groups = recording.of_type("hcloud:index/placementGroup:PlacementGroup")
    assert len(groups) == (count + 9) // 10
    assert all(group.inputs["type"] == "spread" for group in groups)
    for index in range(count):
        placement = recording.named(f"workers-{index + 1}").property_dependencies["placementGroupId"]
        assert placement == (recording.named(f"workers-spread-{index // 10 + 1}").urn,)
    subnet = recording.named("workers-subnet").inputs
    assert (subnet["ipRange"], subnet["networkZone"], subnet["type"]) == ("10.0.1.0/24", "eu-central", "cloud")
    assert recording.named("workers-main-server-network").inputs["ip"] == MAIN_SERVER_IP
    for index in range(count):
        assert recording.named("workers-subnet").urn in recording.named(f"workers-{index + 1}").dependencies
    assert all(server["labels"]["role"] == "worker" for server in servers)
    assert all(server["deleteProtection"] is True for server in servers)


def test_worker_firewall_admits_admins_the_coolify_host_and_the_load_balancer() -> None:
    recording = with_workers(3)
    rules = {
        rule["port"] if "port" in rule else rule["protocol"]: rule
        for rule in recording.named("workers-firewall").inputs["rules"]
    }
    ipv4 = recording.outputs["host.ipv4_address"]
    assert rules["22"]["sourceIps"][:2] == ["203.0.113.0/24", "2001:db8:1234::/48"]
    assert rules["22"]["sourceIps"][2] == f"{ipv4}/32" and rules["22"]["sourceIps"][3].endswith("::/64")
    balancer = [
        f"{recording.outputs['workers.load_balancer_ipv4']}/32",
        f"{recording.outputs['workers.load_balancer_ipv6']}/128",
    ]
    assert rules["80"]["sourceIps"] == balancer and rules["443"]["sourceIps"] == balancer
    assert set(rules) == {"22", "80", "443", "icmp"}
    firewall = recording.named("workers-firewall").urn
    servers = [server for server in recording.of_type(SERVER) if server.name != "host-server"]
    assert all(server.property_dependencies["firewallIds"] == (firewall,) for server in servers)
    (selector,) = recording.named("workers-firewall-attachment").inputs["labelSelectors"]
    assert selector == "firewall=hetzner-coolify-production-workers"
    assert all(
        server["labels"]["firewall"] == "hetzner-coolify-production-workers" for server in worker_servers(recording)
    )


def test_load_balancer_targets_private_addresses_with_health_checks() -> None:
    recording = with_workers(3)
    balancer = recording.named("workers-load-balancer").inputs
    assert (balancer["loadBalancerType"], balancer["location"]) == ("lb11", "nbg1")
    assert recording.named("workers-load-balancer-network").inputs["ip"] == LOAD_BALANCER_IP
    targets = recording.of_type("hcloud:index/loadBalancerTarget:LoadBalancerTarget")
    assert len(targets) == 3 and all(target.inputs["usePrivateIp"] is True for target in targets)
    for port in (80, 443):
        service = recording.named(f"workers-load-balancer-{port}").inputs
        assert (service["protocol"], service["listenPort"], service["destinationPort"]) == ("tcp", port, port)
        assert service["healthCheck"]["http"]["path"] == "/health"
        assert service["healthCheck"]["http"]["domain"] == "api.example.com"
        assert service["healthCheck"]["protocol"] == "http"


def test_the_health_check_asks_for_the_chosen_app() -> None:
    recording = record("production", {"workers": {"count": 1, "loadBalancer": {"healthCheckLabel": "www"}}})
    assert recording.named("workers-load-balancer-80").inputs["healthCheck"]["http"]["domain"] == "www.example.com"


def test_app_names_go_to_the_load_balancer_unless_dns_stays_on_the_host() -> None:
    recording = with_workers(3)
    balancer = {
        "ipv4": recording.outputs["workers.load_balancer_ipv4"],
        "ipv6": recording.outputs["workers.load_balancer_ipv6"],
    }
    assert recording.outputs["workers.app_addresses"] == balancer
    staying = record("production", {"workers": {"count": 3, "loadBalancer": {"dns": False}}})
    assert staying.outputs["workers.app_addresses"] is None


def test_each_worker_is_hardened_and_trusts_coolifys_key() -> None:
    recording = with_workers(2)
    key = recording.named("workers-coolify-key")
    assert recording.named("coolify-direct-ports").urn in key.dependencies
    for n in (1, 2):
        hardened = recording.named(f"workers-{n}-harden-host")
        assert recording.named(f"workers-{n}-wait-for-ssh").urn in hardened.dependencies
        assert hardened.inputs["create"].startswith("ADMIN_USER=ops ")
        authorize = recording.named(f"workers-{n}-authorize-coolify")
        assert authorize.inputs["create"] == f"AUTHORIZED_KEY='{FAKE_COOLIFY_PUBLIC_KEY}' bash -s"
        assert hardened.urn in authorize.dependencies


def test_without_a_token_the_steps_to_register_are_printed() -> None:
    recording = with_workers(2)
    steps = recording.outputs["workers.registration_steps"]
    assert "name hetzner-coolify-production-worker-2, IP 10.0.1.11, then Validate Server" in steps
    assert not any(resource.name.endswith("-register") for resource in recording.resources)


def test_with_a_token_workers_are_registered_through_the_api() -> None:
    recording = record(
        "production", {"workers": {"count": 2}, "coolifyApiToken": "1|k8vR2mQ9xL4pT7wZ3nB6yH1jF5dG0sCa"},
        secret_keys=frozenset({"coolifyApiToken"}),
    )  # fmt: skip
    register = recording.named("workers-2-register")
    assert register.inputs["create"] == "WORKER_NAME=hetzner-coolify-production-worker-2 WORKER_IP=10.0.1.11 bash -s"
    assert "environment" in register.additional_secret_outputs
    assert recording.named("workers-2-authorize-coolify").urn in register.dependencies
    assert recording.outputs["workers.registration_steps"] is None


@pytest.mark.parametrize("counter", [0, 1])
def test_each_worker_takes_the_rotated_deploy_key_through_its_own_handover(counter: int) -> None:
    """The whole program: rotation.deployKey reaches the workers through the host."""
    recording = record_program("production", {"workers": {"count": 2}, "rotation": {"deployKey": counter}})
    for n in (1, 2):
        reachable = recording.named(f"workers-{n}-wait-for-ssh")
        environment = reveal(reachable.inputs["environment"])
        assert ("SSH_PREVIOUS_PRIVATE_KEY" in environment) == bool(counter)
        on_worker = [
            step
            for step in recording.of_type("command:remote:Command")
            if recording.named(f"workers-{n}").urn in step.property_dependencies["connection"]
        ]
        assert {step.name for step in on_worker} >= {f"workers-{n}-harden-host", f"workers-{n}-authorize-coolify"}
        for step in on_worker:
            assert reachable.urn in step.property_dependencies["connection"], step.urn
        root_keys = reveal(recording.named(f"workers-{n}-harden-host").inputs["create"]).split("ROOT_KEYS=")[1]
        assert root_keys.count("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeDeployKey") == 1 + counter
