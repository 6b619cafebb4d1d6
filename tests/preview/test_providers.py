"""What the providers keep after a create, and the second `pulumi up` of every stack against it."""

from typing import Any

import pytest

from preview.engine import RecordedStack
from preview.providers import MODELS, RoundTripMocks, changed_inputs, go_duration, stored_state
from preview.values import reveal
from tests.conftest import record

STACKS_AND_VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("staging", {}),
    ("production", {}),
    ("production", {"workers": {"count": 3}}),
    ("staging", {"workers": {"count": 2}, "postgres": {"storage": "hetzner-volume"}}),
]


def second_run_changes(stack: str, changes: dict[str, Any]) -> dict[str, list[str]]:
    """Create the stack, then run the same program against what the providers stored: what would change."""
    created = RoundTripMocks()
    record(stack, changes, mocks=created)
    again: RecordedStack = record(stack, changes, mocks=RoundTripMocks())
    return {
        resource.name: changed
        for resource in again.resources
        if resource.custom
        and (changed := changed_inputs(resource.type, created.states[resource.name], reveal(resource.inputs)))
    }


@pytest.mark.parametrize(
    ("stack", "changes"), STACKS_AND_VARIANTS, ids=["staging", "production", "3-workers", "staging-volume"]
)
def test_a_second_pulumi_up_changes_nothing(stack: str, changes: dict[str, Any]) -> None:
    assert second_run_changes(stack, changes) == {}


def test_every_resource_type_of_the_stacks_has_a_model() -> None:
    types = {
        resource.type
        for stack, changes in STACKS_AND_VARIANTS
        for resource in record(stack, {**changes, "workers": {"count": 2}}).resources
        if resource.custom
    }
    assert sorted(types - set(MODELS)) == []


def test_hetzner_keeps_a_public_key_trimmed() -> None:
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2FAAB9YEE4rEw/DUJHbOGWax1rVeqX1KJVEd60ESW7\n"
    state = stored_state("hcloud:index/sshKey:SshKey", {"publicKey": key, "name": "deploy"})
    assert changed_inputs("hcloud:index/sshKey:SshKey", state, {"publicKey": key, "name": "deploy"}) == ["publicKey"]
    assert MODELS["hcloud:index/sshKey:SshKey"].replaces("publicKey")


def test_cloudflare_keeps_a_token_policys_resources_as_compact_json() -> None:
    spaced = {"policies": [{"effect": "allow", "resources": '{"com.cloudflare.api.account.zone.z": "*"}'}]}
    state = stored_state("cloudflare:index/accountToken:AccountToken", spaced)
    assert state["policies"][0]["resources"] == '{"com.cloudflare.api.account.zone.z":"*"}'
    assert changed_inputs("cloudflare:index/accountToken:AccountToken", state, spaced) == ["policies"]


def test_a_primary_ip_created_by_location_is_unassigned_until_the_server_takes_it() -> None:
    sent = {"type": "ipv4", "location": "nbg1", "assigneeType": "server"}
    state = stored_state("hcloud:index/primaryIp:PrimaryIp", sent)
    assert changed_inputs("hcloud:index/primaryIp:PrimaryIp", state, sent) == ["assigneeType"]
    assert changed_inputs("hcloud:index/primaryIp:PrimaryIp", state, {"type": "ipv4", "location": "nbg1"}) == []


def test_docker_reads_back_a_swap_limit_the_program_left_out() -> None:
    state = stored_state("docker:index/container:Container", {"memory": 1024})
    assert changed_inputs("docker:index/container:Container", state, {"memory": 1024}) == ["memorySwap"]
    settled = stored_state("docker:index/container:Container", {"memory": 1024, "memorySwap": 1024})
    assert changed_inputs("docker:index/container:Container", settled, {"memory": 1024, "memorySwap": 1024}) == []


@pytest.mark.parametrize(("written", "read_back"), [("10s", "10s"), ("60s", "1m0s"), ("1m", "1m0s"), ("90s", "1m30s")])
def test_healthcheck_durations_come_back_as_go_writes_them(written: str, read_back: str) -> None:
    assert go_duration(written) == read_back
