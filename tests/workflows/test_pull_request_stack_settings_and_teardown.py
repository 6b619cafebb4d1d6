"""pr-stack.yml's `stack` job: the settings a pull request's stack starts from, and what its destroy removes first."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.workflows.loading import fake_commands, load, named_step, run_script

PREPARE_STEP = "The stack and its settings, from Pulumi.staging.yaml"
TEARDOWN_STEP = "What needs SSH goes with the server"


def fake_pulumi(tmp_path: Path, stacks: str = "[]", state: str = "{}") -> Path:
    """A stand-in `pulumi` that logs its arguments and answers like the CLI for the shipped staging settings."""
    log = tmp_path / "pulumi.log"
    cidrs = json.dumps(["203.0.113.0/24", "2001:db8:1234::/48"])
    keys = json.dumps([{"name": "alice", "publicKey": "ssh-ed25519 AAAA alice"}])
    return fake_commands(
        tmp_path / "bin",
        {
            "pulumi": f'printf "pulumi %s\\n" "$*" >>{log}\n'
            'case "$*" in\n'
            f"  'config get --stack pr-7 hetzner-coolify:adminCidrs') echo '{cidrs}' ;;\n"
            f"  'config get --stack pr-7 hetzner-coolify:adminSshKeys') echo '{keys}' ;;\n"
            f"  'stack ls --json') echo '{stacks}' ;;\n"
            f"  'stack export') echo '{state}' ;;\n"
            "esac",
            "curl": 'echo "curl $*" >>' + str(tmp_path / "curl.log") + "\necho 198.51.100.7",
            "ssh-add": "[[ $1 == -L ]] && printf 'ssh-ed25519 AAAACI ci\\nssh-rsa AAAAB other\\n'",
        },
    )


def prepare(tmp_path: Path, staging: str, domain: str = "", curl: str | None = None) -> tuple[int, str, str, Path]:
    workflow = load("pr-stack.yml")
    tree = tmp_path / "tree"
    tree.mkdir(parents=True, exist_ok=True)
    (tree / "Pulumi.staging.yaml").write_text(staging)
    fakes = fake_pulumi(tmp_path)
    if curl is not None:
        fake_commands(fakes, {"curl": f"echo '{curl}'"})
    env = {"STACK": "pr-7", "DOMAIN": domain, "PULUMI_BACKEND_URL": "s3://b", "PULUMI_CONFIG_PASSPHRASE": "p"}
    result, _ = run_script(workflow, named_step(workflow, "stack", PREPARE_STEP), tree, env, fakes)
    log = tmp_path / "pulumi.log"
    return result.returncode, result.stdout, log.read_text() if log.exists() else "", tree


STAGING_FILE = (
    "encryptionsalt: v1:abc\nconfig:\n  hetzner-coolify:domain: example.com\n"
    "  hetzner-coolify:adminCidrs:\n    - 203.0.113.0/24\n"
)


def test_a_pull_request_stack_starts_from_stagings_plain_settings(tmp_path: Path) -> None:
    status, _, calls, tree = prepare(tmp_path, STAGING_FILE)
    assert status == 0
    assert (tree / "Pulumi.pr-7.yaml").read_text() == STAGING_FILE.removeprefix("encryptionsalt: v1:abc\n")
    setting = "pulumi config set --stack pr-7 --plaintext --path hetzner-coolify:"
    assert calls.splitlines() == [
        "pulumi stack select --create pr-7 --secrets-provider passphrase",
        f"{setting}environment staging",
        f"{setting}dns.namespace pr-7",
        f"{setting}backups.enabled false",
        f"{setting}protection.protect false",
        f"{setting}protection.deleteProtection false",
        # No domain of its own: sslip.io names, and no DNS token needed.
        "pulumi config rm --stack pr-7 hetzner-coolify:domain",
        "pulumi config get --stack pr-7 hetzner-coolify:adminCidrs",
        f"{setting}adminCidrs[2] 198.51.100.7/32",
        "pulumi config get --stack pr-7 hetzner-coolify:adminSshKeys",
        f"{setting}adminSshKeys[1].name ci-pull-request",
        f"{setting}adminSshKeys[1].publicKey ssh-ed25519 AAAACI ci",
    ]
    outputs = (tree / ".github-files" / "output").read_text()
    assert outputs == "policy-config=policies/config/staging.json\n"


def test_a_pull_request_stack_takes_the_domain_and_policy_configuration_given_it(tmp_path: Path) -> None:
    (tmp_path / "tree" / "policies" / "config").mkdir(parents=True)
    (tmp_path / "tree" / "policies" / "config" / "pr-7.json").write_text("{}")
    status, _, calls, tree = prepare(tmp_path, STAGING_FILE.replace("encryptionsalt: v1:abc\n", ""), "pr.example.net")
    assert status == 0
    assert "pulumi config set --stack pr-7 --plaintext --path hetzner-coolify:domain pr.example.net" in calls
    assert "config rm" not in calls
    assert (tree / ".github-files" / "output").read_text() == "policy-config=policies/config/pr-7.json\n"


def test_a_pull_request_stack_is_never_protected_whatever_its_staging_file_says(tmp_path: Path) -> None:
    """Finding 4: `protection.protect` retains the volume on delete (components/data_services.py), which `pulumi
    destroy` then leaves behind; `protection.deleteProtection` makes Hetzner refuse every destroy. The pull request's
    own file may set both: the stack file keeps them, and the settings made after override them."""
    protected = STAGING_FILE + "  hetzner-coolify:protection:\n    protect: true\n    deleteProtection: true\n"
    status, _, calls, tree = prepare(tmp_path, protected)
    assert status == 0
    assert "protect: true" in (tree / "Pulumi.pr-7.yaml").read_text()
    setting = "pulumi config set --stack pr-7 --plaintext --path hetzner-coolify:"
    lines = calls.splitlines()
    created = lines.index("pulumi stack select --create pr-7 --secrets-provider passphrase")
    for forced in (f"{setting}protection.protect false", f"{setting}protection.deleteProtection false"):
        assert lines.index(forced) > created
    assert [line for line in lines if "protection" in line] == [
        f"{setting}protection.protect false",
        f"{setting}protection.deleteProtection false",
    ]


def test_stagings_encrypted_values_are_not_carried(tmp_path: Path) -> None:
    secret = STAGING_FILE + "  hetzner-coolify:coolifyApiToken:\n    secure: v1:AAAA\n"
    status, stdout, calls, tree = prepare(tmp_path, secret)
    assert status == 1 and "values encrypted for staging" in stdout
    assert calls == "" and not (tree / "Pulumi.pr-7.yaml").exists()


@pytest.mark.parametrize("answer", ["", "<html>", "2001:db8::1", "198.51.100.7/0"])
def test_ssh_is_opened_to_this_runners_address_only(tmp_path: Path, answer: str) -> None:
    status, stdout, calls, _ = prepare(tmp_path, STAGING_FILE, curl=answer)
    assert status == 1 and "address could not be learnt" in stdout
    assert "adminCidrs[" not in calls


def teardown(tmp_path: Path, stacks: str, state: str) -> tuple[int, dict[str, str], list[str]]:
    workflow = load("pr-stack.yml")
    tree = tmp_path / "tree"
    tree.mkdir(parents=True)
    fakes = fake_pulumi(tmp_path, stacks, state)
    result, outputs = run_script(workflow, named_step(workflow, "stack", TEARDOWN_STEP), tree, {"STACK": "pr-7"}, fakes)
    log = tmp_path / "pulumi.log"
    return result.returncode, outputs, log.read_text().splitlines() if log.exists() else []


def test_a_destroy_needs_no_ssh_and_no_pull_requests_code(tmp_path: Path) -> None:
    docker = "urn:pulumi:pr-7::hetzner-coolify::pulumi:providers:docker::data-docker"
    state = json.dumps(
        {
            "deployment": {
                "resources": [
                    {"urn": "urn:pulumi:pr-7::hetzner-coolify::hcloud:index/server:Server::host", "type": "x"},
                    {"urn": docker, "type": "pulumi:providers:docker"},
                ]
            }
        }
    )
    status, outputs, calls = teardown(tmp_path, json.dumps([{"name": "pr-7"}, {"name": "pr-8"}]), state)
    assert status == 0 and outputs == {"exists": "true"}
    assert calls == [
        "pulumi stack ls --json",
        "pulumi stack select pr-7",
        "pulumi stack export",
        "pulumi state unprotect --all --yes",
        f"pulumi state delete --yes --target-dependents {docker}",
    ]
    status, outputs, calls = teardown(tmp_path / "gone", json.dumps([{"name": "pr-8"}]), "{}")
    assert status == 0 and outputs == {"exists": "false"} and calls == ["pulumi stack ls --json"]
    # The destroy checks out main, runs `pulumi destroy` and `stack rm`, and never the pull request's program.
    job = load("pr-stack.yml")["jobs"]["stack"]
    destroying = [step for step in job["steps"] if "destroy" in step.get("if", "")]
    assert [step.get("name") or step["uses"].split("@")[0] for step in destroying] == [
        "main, for a destroy",
        TEARDOWN_STEP,
        "pulumi/actions",
        "The stack itself",
    ]
    assert destroying[2]["with"]["command"] == "destroy"
    assert destroying[3]["run"] == 'pulumi stack rm --yes "$STACK"'
    assert "ref" not in destroying[0]["with"]


def test_a_destroy_stops_on_a_resource_retained_on_delete(tmp_path: Path) -> None:
    """Finding 4: a resource retained on delete (the pull request's code may retain one, whatever the settings) would
    outlive `pulumi destroy` without a word. The teardown names it and stops before changing anything."""
    volume = "urn:pulumi:pr-7::hetzner-coolify::hcloud:index/volume:Volume::data"
    resources: list[dict[str, Any]] = [
        {"urn": "urn:pulumi:pr-7::hetzner-coolify::hcloud:index/server:Server::host", "type": "x", "protect": True},
        {"urn": volume, "type": "hcloud:index/volume:Volume", "retainOnDelete": True},
        {"urn": "urn:pulumi:pr-7::hetzner-coolify::pulumi:providers:docker::d", "type": "pulumi:providers:docker"},
    ]
    state = json.dumps({"deployment": {"resources": resources}})
    status, outputs, calls = teardown(tmp_path, json.dumps([{"name": "pr-7"}]), state)
    assert status == 1 and outputs == {}
    assert calls == ["pulumi stack ls --json", "pulumi stack select pr-7", "pulumi stack export"]
    workflow = load("pr-stack.yml")
    tree = tmp_path / "again"
    tree.mkdir()
    fakes = fake_pulumi(tree, json.dumps([{"name": "pr-7"}]), state)
    result, _ = run_script(workflow, named_step(workflow, "stack", TEARDOWN_STEP), tree, {"STACK": "pr-7"}, fakes)
    assert f"::error::{volume} is retained on delete" in result.stdout
    # Without it (false, or absent as Pulumi leaves it), the teardown goes on.
    resources[1]["retainOnDelete"] = False
    status, outputs, _ = teardown(
        tmp_path / "kept", json.dumps([{"name": "pr-7"}]), json.dumps({"deployment": {"resources": resources}})
    )
    assert status == 0 and outputs == {"exists": "true"}
