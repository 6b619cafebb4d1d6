"""The whole program: components wired together as __main__.py wires them, and the stack's outputs."""

import json
from collections.abc import Callable

import pytest

from components.server_scripts import sshd_accepts
from preview.engine import ProgramError, RecordedStack, run_program
from preview.mocks import FAKE_HOST_KEY, ApplyMocks, PlanMocks
from preview.values import Secret, reveal, walk
from tests.conftest import PROJECT_DIR, STACKS, record, stack_settings

WITH_EVERY_SECRET = {
    "workers": {"count": 1},
    "coolifyApiToken": "1|k8vR2mQ9xL4pT7wZ3nB6yH1jF5dG0sCa",
    "backups": {"storage": {"kind": "s3", "accountId": None, "endpoint": "https://fsn1.your-objectstorage.com",
                            "bucket": "team-backups"}},
    "backupS3AccessKeyId": "HETZNERKEYID0001",
    "backupS3SecretAccessKey": "v3ry-l0ng-s3cret-access-key-from-the-hetzner-console",
}  # fmt: skip
SECRET_KEYS = frozenset({"coolifyApiToken", "backupS3AccessKeyId", "backupS3SecretAccessKey"})
Recorded = Callable[[str, str], RecordedStack]
STATEFUL = {
    "host-server",
    "host-ipv4",
    "host-ipv6",
    "data-postgres-volume",
    "data-redis-data",
    "backups-bucket",
    "backups-lock",
}


@pytest.mark.parametrize("stack", STACKS)
def test_only_production_protects_stateful_resources(recorded: Recorded, stack: str) -> None:
    protected = {resource.name for resource in recorded(stack, "apply").resources if resource.protect}
    assert protected == (STATEFUL if stack == "production" else set())


def test_production_can_be_unprotected_explicitly() -> None:
    recording = record("production", {"protection": {"protect": False, "deleteProtection": False}})
    assert not any(resource.protect for resource in recording.resources)


def test_outputs_are_the_stable_addresses(recorded: Recorded) -> None:
    outputs = recorded("staging", "apply").outputs
    ipv4 = outputs["ipv4Address"]
    assert ipv4.startswith("49.12.0.")
    assert outputs["ipv6Address"].startswith("2a01:4f8:c0c:")
    assert outputs["ipv6Address"].endswith("::1")
    assert outputs["sshCommand"] == f"ssh ops@{ipv4}"
    assert outputs["serverId"].isdigit()


def test_outputs_tell_how_to_reach_the_dashboard(recorded: Recorded) -> None:
    outputs = recorded("production", "apply").outputs
    assert outputs["coolifyDashboardUrl"] == "https://coolify.acme-apps.eu"
    assert outputs["coolifyTunnelCommand"] == (
        f"ssh -N -L 8000:127.0.0.1:8000 -L 6001:127.0.0.1:6001 -L 6002:127.0.0.1:6002 ops@{outputs['ipv4Address']}"
    )


def test_the_admin_password_is_in_no_other_resource() -> None:
    mocks = ApplyMocks()
    recording = record("staging", mocks=mocks)
    generated = mocks.generated["coolify-admin-password"]
    holders = [
        (resource.name, path)
        for resource in recording.resources
        for path, value, _ in walk(resource.inputs)
        if isinstance(value, str) and generated in value
    ]
    assert holders == [("coolify-install-coolify", "environment.ROOT_USER_PASSWORD")]
    assert recording.outputs["coolifyAdminPassword"] == Secret(generated)


@pytest.mark.parametrize("stack", STACKS)
def test_coolify_installs_on_the_hardened_host_and_everything_on_the_server_waits_for_it(
    recorded: Recorded, stack: str
) -> None:
    recording = recorded(stack, "apply")
    assert recording.named("host-harden-host").urn in recording.named("coolify-install-coolify").dependencies
    ready = recording.named("coolify-direct-ports").urn
    for waiting in ("data-docker", "backups-install-job"):
        assert ready in recording.named(waiting).dependencies, waiting
    # The job dumps as the app's role, which the roles step makes once the container runs.
    roles = recording.named("data-postgres-roles")
    assert recording.named("data-postgres").urn in roles.dependencies
    assert roles.urn in recording.named("backups-install-job").dependencies


def test_no_workers_means_no_network_and_no_load_balancer(recorded: Recorded) -> None:
    recording = recorded("production", "apply")
    assert [server.name for server in recording.of_type("hcloud:index/server:Server")] == ["host-server"]
    assert not any(resource.name.startswith("workers") for resource in recording.resources)
    assert "loadBalancerIpv4" not in recording.outputs


def test_app_names_point_at_the_load_balancer_the_dashboard_at_the_host() -> None:
    recording = record("production", {"workers": {"count": 3}})
    addresses = {
        record.inputs["name"]: record.inputs["content"]
        for record in recording.of_type("cloudflare:index/dnsRecord:DnsRecord")
        if record.inputs["type"] == "A"
    }
    balancer, host = recording.outputs["loadBalancerIpv4"], recording.outputs["ipv4Address"]
    assert addresses == {"acme-apps.eu": balancer, "www.acme-apps.eu": balancer, "api.acme-apps.eu": balancer,
                         "*.acme-apps.eu": balancer, "coolify.acme-apps.eu": host}  # fmt: skip
    assert recording.named("coolify-direct-ports").urn in recording.named("workers-coolify-key").dependencies


def test_dns_may_stay_on_the_host() -> None:
    recording = record("production", {"workers": {"count": 3, "loadBalancer": {"dns": False}}})
    host = recording.outputs["ipv4Address"]
    contents = {
        rec.inputs["content"]
        for rec in recording.of_type("cloudflare:index/dnsRecord:DnsRecord")
        if rec.inputs["type"] == "A"
    }
    assert contents == {host}


def test_backups_can_be_turned_off() -> None:
    recording = record("staging", {"backups": {"enabled": False}})
    assert not any(resource.name.startswith("backups") for resource in recording.resources)
    assert not any(key.startswith("backup") for key in recording.outputs)


def test_every_secret_a_step_sends_is_accepted_by_the_hardened_sshd() -> None:
    recording = record("production", WITH_EVERY_SECRET, secret_keys=SECRET_KEYS)
    sent = {
        variable
        for step in recording.of_type("command:remote:Command")
        for variable in (step.inputs["environment"].value if "environment" in step.inputs else {})
    }
    assert sent == {"ROOT_USERNAME", "ROOT_USER_EMAIL", "ROOT_USER_PASSWORD", "COOLIFY_API_TOKEN",
                    "BACKUP_S3_ACCESS_KEY_ID", "BACKUP_S3_SECRET_ACCESS_KEY", "CLOUDFLARE_DNS_API_TOKEN",
                    "CERTIFICATE_PUSH_KEY", "POSTGRES_APP_PASSWORD"}  # fmt: skip
    assert all(sshd_accepts(variable) for variable in sent)
    assert not sshd_accepts("BACKUP_S3") and not sshd_accepts("PATH")


def test_a_deploy_refuses_example_values_that_a_preview_only_warns_about() -> None:
    settings = stack_settings("staging")
    previewed = run_program(PROJECT_DIR, settings, PlanMocks(), preview=True)
    examples = [
        "hetzner-coolify:domain",
        "hetzner-coolify:adminSshKeys[0].publicKey",
        "hetzner-coolify:adminCidrs[0]",
        "hetzner-coolify:adminCidrs[1]",
        "hetzner-coolify:coolify.adminEmail",
        "hetzner-coolify:backups.ageRecipient",
        "hetzner-coolify:backups.storage.accountId",
    ]
    assert [line.split(": ", 1)[0] for line in previewed.warnings] == examples
    with pytest.raises(ProgramError) as refused:
        run_program(PROJECT_DIR, settings, ApplyMocks(), preview=False)
    lines = str(refused.value).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == examples
    assert lines[4].startswith("hetzner-coolify:coolify.adminEmail: 'ops@example.com' is on a domain reserved")
    assert all(line.endswith("(`pulumi up` deploys no example value)") for line in lines)


@pytest.mark.parametrize(
    ("workers", "issued"),
    [({"count": 2}, True), ({"count": 1, "loadBalancer": {"certificates": "http-01"}}, False),
     ({"count": 2, "loadBalancer": {"dns": False}}, False), ({"count": 0}, False)],
    ids=["dns-01", "http-01", "app-names-on-the-main-server", "no-workers"],
)  # fmt: skip
def test_a_wildcard_certificate_only_for_app_names_behind_the_load_balancer(
    workers: dict[str, object], issued: bool
) -> None:
    recording = record("production", {"workers": workers})
    names = {resource.name for resource in recording.resources}
    assert ("certificates-install" in names) is issued


@pytest.mark.parametrize("stack", STACKS)
def test_every_connection_pins_the_host_key_its_servers_first_contact_recorded(
    stack: str, recorded: Callable[[str, str], RecordedStack]
) -> None:
    """The mock answers each wait-for-ssh with FAKE_HOST_KEY: every remote step and the Docker provider carry it
    and wait for it; nothing reaches a server with another key or none."""
    recording = recorded(stack, "apply")
    first_contacts = {resource.urn for resource in recording.resources if resource.name.endswith("-wait-for-ssh")}
    steps = recording.of_type("command:remote:Command")
    assert steps
    for step in steps:
        assert reveal(step.inputs)["connection"]["hostKey"] == FAKE_HOST_KEY, step.name
        assert first_contacts & set(step.property_dependencies["connection"]), step.name
    docker = recording.named("data-docker")
    assert f"KnownHostsCommand=/bin/echo hetzner-coolify-server {FAKE_HOST_KEY}" in json.loads(docker.inputs["sshOpts"])
    assert first_contacts & set(docker.property_dependencies["sshOpts"])
    assert recording.outputs["serverHostKey"] == FAKE_HOST_KEY
