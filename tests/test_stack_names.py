"""Every stack names its resources after itself: the deployed staging and production stacks keep every URN and
name they were deployed with, and any other stack (a copy of staging's file as `dev`, a pull request's `pr-123`)
names nothing alike."""

import json
from collections.abc import Mapping
from typing import Any

import pytest

from preview.engine import RecordedStack, run_program
from preview.mocks import ApplyMocks
from preview.recording import to_json
from preview.stack_files import StackSettings
from tests.conftest import PROJECT_DIR, stack_settings

# What the engine and the providers know a deployed resource by: its URN, and the inputs that name it at the
# provider (a change to one of these replaces it or moves it). The fixtures are `names()` of recordings saved
# with `python -m preview.recording save --mode apply` at 33597a6, the last commit before stacks were named after
# themselves rather than their environment (production-workers: production's file with WITH_WORKERS added); the
# same recording of today's program must find each of them unchanged. They are a record: never regenerate them.
DEPLOYED = PROJECT_DIR / "tests" / "fixtures" / "deployed_names"
NAMING_INPUTS = ("name", "bucketName", "labels", "comment")
NAMING_OUTPUTS = ("backupBucket", "backupPrefix", "hostnames", "dashboardHostname")
WITH_WORKERS = {"workers": {"count": 2}}
DEPLOYED_STACKS: dict[str, tuple[str, dict[str, Any]]] = {
    "staging": ("staging", {}),
    "production": ("production", {}),
    "production-workers": ("production", WITH_WORKERS),
}


def names(recording: Mapping[str, Any]) -> dict[str, Any]:
    """A recording saved as JSON (preview.recording), reduced to its URNs with the names each holds."""
    resources = {}
    for resource in recording["resources"]:
        inputs = resource["inputs"]
        held = {key: inputs[key] for key in NAMING_INPUTS if key in inputs}
        # The bucket lock keeps the objects under the stack's backup prefix.
        prefixes = [rule["prefix"] for rule in inputs.get("rules", []) if isinstance(rule, dict) and "prefix" in rule]
        if prefixes:
            held["rules.prefix"] = prefixes
        resources[resource["urn"]] = held
    outputs = {key: recording["outputs"][key] for key in NAMING_OUTPUTS if key in recording["outputs"]}
    return {"resources": resources, "outputs": outputs}


def _recorded(settings: StackSettings) -> dict[str, Any]:
    return to_json(run_program(PROJECT_DIR, settings, ApplyMocks(), preview=True))


def _renamed(stack: str) -> StackSettings:
    """Staging's stack file copied to Pulumi.<stack>.yaml, as the README's first steps do."""
    staging = stack_settings("staging")
    return StackSettings(staging.project, stack, staging.config, staging.secret_keys)


@pytest.mark.parametrize("deployed", DEPLOYED_STACKS)
def test_a_deployed_stack_keeps_every_urn_and_name(deployed: str) -> None:
    stack, changes = DEPLOYED_STACKS[deployed]
    expected = json.loads((DEPLOYED / f"{deployed}.json").read_text())
    today = names(_recorded(stack_settings(stack, changes)))
    # Every deployed resource under its URN with the same names; resources added since are new URNs, and none of
    # them takes a name a deployed resource holds.
    assert {urn: today["resources"].get(urn) for urn in expected["resources"]} == expected["resources"]
    assert today["outputs"] == expected["outputs"]
    deployed_names = {json.dumps(held.get("name")) for held in expected["resources"].values() if held.get("name")}
    added = {urn: held for urn, held in today["resources"].items() if urn not in expected["resources"]}
    assert [urn for urn, held in added.items() if held.get("name") and json.dumps(held["name"]) in deployed_names] == []


def _physical_names(recording: RecordedStack) -> set[str]:
    found = set()
    for resource in recording.resources:
        for key in ("name", "bucketName"):
            value = resource.inputs.get(key)
            if isinstance(value, str) and resource.custom and not resource.type.startswith("docker:index/remoteImage"):
                found.add(f"{resource.type.split(':')[0]}:{value}")
    return found


def _dns_names(recording: RecordedStack) -> set[str]:
    return {
        f"{record.inputs['name']} {record.inputs['type']}"
        for record in recording.of_type("cloudflare:index/dnsRecord:DnsRecord")
    }


@pytest.mark.parametrize("stack", ["dev", "pr-123"])
def test_a_copy_of_the_staging_file_names_nothing_alike(stack: str) -> None:
    copied = run_program(PROJECT_DIR, _renamed(stack), ApplyMocks(), preview=True)
    assert copied.outputs["environment"] == "staging"
    # Container names are the apps' addresses on the server's own network (app-postgres): alike on every server.
    shared_by_design = {"docker:app-postgres", "docker:app-redis"}
    for deployed in ("staging", "production"):
        other = run_program(PROJECT_DIR, stack_settings(deployed), ApplyMocks(), preview=True)
        assert (_physical_names(copied) & _physical_names(other)) - shared_by_design == set()
        assert _dns_names(copied) & _dns_names(other) == set()
    assert f"hetzner-coolify-{stack}" in {name.split(":", 1)[1] for name in _physical_names(copied)}
    assert copied.outputs["hostnames"]["@"] == f"{stack}.example.com"
    assert copied.outputs["backupPrefix"] == f"hetzner-coolify-{stack}"
