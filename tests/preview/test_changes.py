"""What `pulumi up` would change: the comparison itself, every config key's change on a deployed stack (the
README's table), and `python -m preview --against` end to end."""

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from preview.changes import Change, changes, report_lines
from preview.engine import ProgramError, RecordedResource, RecordedStack, run_program
from preview.mocks import ApplyMocks
from preview.recording import save
from stack_config import StackConfig
from tests.conftest import OWN_VALUES, PROJECT_DIR, layered, record, stack_settings
from tests.test_readme import README, config_keys

STACK_URN = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s"


def resource(name: str, kind: str = "hcloud:index/server:Server", **fields: Any) -> RecordedResource:
    return replace(RecordedResource(f"urn:pulumi:s::p::{kind}::{name}", kind, name, parent=STACK_URN), **fields)


def stack(*resources: RecordedResource) -> RecordedStack:
    return RecordedStack("p", "s", resources, ())


def summary(found: list[Change]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(change.action, change.resource.name, change.forced_by or change.inputs) for change in found]


class TestComparison:
    def test_create_update_replace_and_delete(self) -> None:
        before = stack(resource("web", inputs={"serverType": "cx33", "location": "nbg1"}), resource("old"))
        after = stack(
            resource("web", inputs={"serverType": "cx43", "location": "nbg1"}),
            resource("db", inputs={"serverType": "cx33", "location": "fsn1"}),
        )
        assert summary(changes(before, after)) == [
            ("create", "db", ()), ("update", "web", ("serverType",)), ("delete", "old", ()),
        ] or summary(changes(before, after)) == [
            ("update", "web", ("serverType",)), ("create", "db", ()), ("delete", "old", ()),
        ]  # fmt: skip
        moved = changes(before, stack(resource("web", inputs={"serverType": "cx33", "location": "fsn1"})))
        assert summary(moved)[0] == ("replace", "web", ("location",))
        assert moved[0].loses_data

    def test_ignored_changes_are_no_changes_and_replace_on_changes_replaces(self) -> None:
        old = resource("web", inputs={"image": "debian-12", "labels": {"a": "1"}})
        ignoring = replace(old, inputs={"image": "debian-13", "labels": {"a": "1"}}, ignore_changes=("image",))
        assert changes(stack(old), stack(ignoring)) == []
        forcing = replace(old, inputs={"image": "debian-12", "labels": {"a": "2"}}, replace_on_changes=("labels",))
        assert summary(changes(stack(old), stack(forcing))) == [("replace", "web", ("labels",))]

    def test_what_is_built_from_a_replaced_resource_changes_with_it(self) -> None:
        key = resource("key", "tls:index/privateKey:PrivateKey", inputs={"algorithm": "RSA"})
        step = resource("step", "command:remote:Command", inputs={"create": "x"},
                        property_dependencies={"triggers": (key.urn,)}, dependencies=(key.urn,))  # fmt: skip
        after = stack(replace(key, inputs={"algorithm": "ED25519"}), step)
        assert summary(changes(stack(key, step), after)) == [
            ("replace", "key", ("algorithm",)), ("replace", "step", ("triggers",)),
        ]  # fmt: skip

    def test_a_replacement_deleted_first_says_so(self) -> None:
        container = resource("db", "docker:index/container:Container", inputs={"name": "db", "image": "postgres:17"})
        renamed = replace(container, inputs={"name": "db", "image": "postgres:18"})
        (by_provider,) = changes(stack(container), stack(renamed))
        assert by_provider.deleted_first, "the Docker SDK deletes a container before its replacement exists"
        old = resource("web", inputs={"location": "nbg1"})
        (by_default,) = changes(stack(old), stack(replace(old, inputs={"location": "fsn1"})))
        assert not by_default.deleted_first
        (by_option,) = changes(stack(old), stack(replace(old, inputs={"location": "fsn1"}, delete_before_replace=True)))
        assert by_option.deleted_first
        lines, _ = report_lines([by_provider], "x")
        assert lines[1].endswith("db: image (forces replacement); deleted before the new one is created")

    def test_a_move_an_alias_records_is_no_change(self) -> None:
        old = resource("web", inputs={"serverType": "cx33"})
        moved = replace(old, urn="urn:pulumi:s::p::x:index:Box$hcloud:index/server:Server::box-web", name="box-web",
                        aliases=(old.urn,))  # fmt: skip
        assert changes(stack(old), stack(moved)) == []


ALICE_KEY = OWN_VALUES["adminSshKeys"][0]["publicKey"]
BOB_KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIIO4Nfmou0qSZck/EI1bcb3SVzR9h4TQDDcPmUwSwSBh"
# Every config key, changed on a deployed stack: (key, what changes, the stack it is deployed as, the change).
WITH_WORKERS = {"workers": {"count": 2}}
ON_S3 = {
    "backups": {
        "storage": {
            "kind": "s3",
            "accountId": None,
            "endpoint": "https://fsn1.your-objectstorage.com",
            "bucket": "team-backups",
        }
    },
    "backupS3AccessKeyId": "HETZNERKEYID0001",
    "backupS3SecretAccessKey": "v3ry-l0ng-s3cret-access-key-value",
}
CONFIG_CHANGES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("environment", "staging", {}, {"environment": "staging"}),
    ("domain", "another zone", {}, {"domain": "acme-shop.eu"}),
    ("dns.zoneId", "set", {}, {"dns": {"zoneId": "1234567890abcdef1234567890abcdef"}}),
    ("dns.namespace", "prod", {}, {"dns": {"namespace": "prod"}}),
    ("dns.apex", "false", {}, {"dns": {"apex": False}}),
    ("dns.www", "false", {}, {"dns": {"www": False}}),
    ("dns.dashboard", "admin", {}, {"dns": {"dashboard": "admin"}}),
    ("dns.subdomains", "api, app", {}, {"dns": {"subdomains": ["api", "app"]}}),
    ("dns.wildcard", "false", {}, {"dns": {"wildcard": False}}),
    ("dns.caa", "false", {}, {"dns": {"caa": False}}),
    ("dns.defaults.ttl", "300", {}, {"dns": {"defaults": {"ttl": 300}}}),
    ("dns.defaults.proxied", "true", {}, {"dns": {"defaults": {"proxied": True}}}),
    ("dns.overrides", "api proxied", {}, {"dns": {"overrides": {"api": {"proxied": True}}}}),
    ("server.type", "cx53", {}, {"server": {"type": "cx53"}}),
    ("server.location", "fsn1", {}, {"server": {"location": "fsn1"}}),
    ("server.image", "debian-13", {}, {"server": {"image": "debian-13"}}),
    ("server.backups", "false", {}, {"server": {"backups": False}}),
    ("server.adminUser", "admin2", {}, {"server": {"adminUser": "admin2"}}),
    ("adminSshKeys", "a key added", {}, {"adminSshKeys": [
        {"name": "alice", "publicKey": ALICE_KEY},
        {"name": "bob", "publicKey": f"ssh-ed25519 {BOB_KEY}"},
    ]}),
    ("adminCidrs", "another network", {}, {"adminCidrs": ["85.214.133.0/24"]}),
    ("coolify.version", "4.7.8", {}, {"coolify": {"version": "4.7.8"}}),
    ("coolify.adminEmail", "another", {}, {"coolify": {"adminEmail": "admin@acme-apps.eu"}}),
    ("coolify.adminUsername", "root-admin", {}, {"coolify": {"adminUsername": "root-admin"}}),
    ("coolify.closeDirectPorts", "false", {}, {"coolify": {"closeDirectPorts": False}}),
    ("postgres.enabled", "false", {}, {"postgres": {"enabled": False}}),
    ("postgres.image", "17.7", {}, {"postgres": {"image": "postgres:17.7-bookworm"}}),
    ("postgres.database", "shop", {}, {"postgres": {"database": "shop"}}),
    ("postgres.user", "shop", {}, {"postgres": {"user": "shop"}}),
    ("postgres.memoryMb", "2048", {}, {"postgres": {"memoryMb": 2048}}),
    ("postgres.storage", "docker-volume", {}, {"postgres": {"storage": "docker-volume"}}),
    ("postgres.volumeSizeGb", "200", {}, {"postgres": {"volumeSizeGb": 200}}),
    ("postgres.localPort", "15432", {}, {"postgres": {"localPort": 15432}}),
    ("redis.enabled", "false", {}, {"redis": {"enabled": False}}),
    ("redis.image", "7.4.7", {}, {"redis": {"image": "redis:7.4.7-bookworm"}}),
    ("redis.memoryMb", "512", {}, {"redis": {"memoryMb": 512}}),
    ("docker.sshIdentityFile", "a key file", {}, {"docker": {"sshIdentityFile": "~/.ssh/deploy"}}),
    ("backups.enabled", "false", {}, {"backups": {"enabled": False}}),
    ("backups.schedule", "04:30", {}, {"backups": {"schedule": "*-*-* 04:30:00 UTC"}}),
    ("backups.ageRecipient", "another key", {},
     {"backups": {"ageRecipient": "age1kcqkl9r8pstjwr7szhjjg0mfj5tmcvp2gta8wuuxuah93ze4ydpqf7zaya"}}),
    ("backups.retention.daily", "14", {}, {"backups": {"retention": {"daily": 14}}}),
    ("backups.retention.weekly", "8", {}, {"backups": {"retention": {"weekly": 8}}}),
    ("backups.retention.monthly", "6", {}, {"backups": {"retention": {"monthly": 6}}}),
    ("backups.pingUrl", "set", {}, {"backups": {"pingUrl": "https://hc-ping.com/uuid"}}),
    ("backups.storage.kind", "s3", {}, ON_S3),
    ("backups.storage.accountId", "another account", {},
     {"backups": {"storage": {"accountId": "fedcba9876543210fedcba9876543210"}}}),
    ("backups.storage.jurisdiction", "default", {}, {"backups": {"storage": {"jurisdiction": "default"}}}),
    ("backups.storage.location", "weur", {}, {"backups": {"storage": {"location": "weur"}}}),
    ("backups.storage.endpoint", "another endpoint", ON_S3,
     {"backups": {"storage": {"endpoint": "https://hel1.your-objectstorage.com"}}}),
    ("backups.storage.bucket", "another bucket", ON_S3, {"backups": {"storage": {"bucket": "team-backups-2"}}}),
    ("backups.storage.region", "eu-central", ON_S3, {"backups": {"storage": {"region": "eu-central"}}}),
    ("backupS3AccessKeyId", "rotated", ON_S3, {"backupS3AccessKeyId": "HETZNERKEYID0002"}),
    ("backupS3SecretAccessKey", "rotated", ON_S3, {"backupS3SecretAccessKey": "an0ther-l0ng-s3cret-access-key-value"}),
    ("workers.count", "2 to 3", WITH_WORKERS, {"workers": {"count": 3}}),
    ("workers.type", "cx43", WITH_WORKERS, {"workers": {"type": "cx43"}}),
    ("workers.loadBalancer.type", "lb21", WITH_WORKERS, {"workers": {"loadBalancer": {"type": "lb21"}}}),
    ("workers.loadBalancer.dns", "false", WITH_WORKERS, {"workers": {"loadBalancer": {"dns": False}}}),
    ("workers.loadBalancer.healthCheckLabel", "www", WITH_WORKERS,
     {"workers": {"loadBalancer": {"healthCheckLabel": "www"}}}),
    ("workers.loadBalancer.certificates", "http-01, one worker", {"workers": {"count": 1}},
     {"workers": {"loadBalancer": {"certificates": "http-01"}}}),
    ("coolifyApiToken", "set", WITH_WORKERS, {"coolifyApiToken": "1|k8vR2mQ9xL4pT7wZ3nB6yH1jF5dG0sCa"}),
    ("monitoring.enabled", "false", {}, {"monitoring": {"enabled": False}}),
    ("monitoring.intervalMinutes", "15", {}, {"monitoring": {"intervalMinutes": 15}}),
    ("monitoring.thresholds.cpuPercent", "70", {}, {"monitoring": {"thresholds": {"cpuPercent": 70}}}),
    ("monitoring.thresholds.memoryPercent", "95", {}, {"monitoring": {"thresholds": {"memoryPercent": 95}}}),
    ("monitoring.thresholds.diskPercent", "75", {}, {"monitoring": {"thresholds": {"diskPercent": 75}}}),
    ("monitoring.thresholds.backupMaxAgeHours", "50", {}, {"monitoring": {"thresholds": {"backupMaxAgeHours": 50}}}),
    ("monitoring.thresholds.certificateMinDays", "20", {},
     {"monitoring": {"thresholds": {"certificateMinDays": 20}}}),
    ("monitoring.webhookFormat", "slack", {}, {"monitoring": {"webhookFormat": "slack"}}),
    ("monitoringWebhookUrl", "set", {}, {"monitoringWebhookUrl": "https://hooks.slack.com/services/T0/B0/x"}),
    ("monitoringHeartbeatUrl", "set", {}, {"monitoringHeartbeatUrl": "https://hc-ping.com/5b1a8e1c"}),
    ("rotation.postgres", "0 to 1", {}, {"rotation": {"postgres": 1}}),
    ("rotation.redis", "0 to 1", {}, {"rotation": {"redis": 1}}),
    ("rotation.backupToken", "0 to 1", {}, {"rotation": {"backupToken": 1}}),
    ("rotation.deployKey", "0 to 1", {}, {"rotation": {"deployKey": 1}}),
    ("protection.protect", "false", {}, {"protection": {"protect": False}}),
    ("protection.deleteProtection", "false", {}, {"protection": {"deleteProtection": False}}),
]  # fmt: skip
SECRETS = frozenset(
    {
        "coolifyApiToken",
        "backupS3AccessKeyId",
        "backupS3SecretAccessKey",
        "monitoringWebhookUrl",
        "monitoringHeartbeatUrl",
    }
)


def change_row(key: str, description: str, base: dict[str, Any], mutation: dict[str, Any]) -> str:
    """The README's row: what a change of `key` on a deployed production stack replaces or deletes."""
    before = record("production", base, secret_keys=SECRETS)
    try:
        after = record("production", layered(base, mutation), secret_keys=SECRETS)
    except ProgramError as error:
        return f"| `{key}` | {description} | refused: {str(error).split(': ', 1)[1]} | | |"
    found = changes(before, after)
    lost = [
        change
        for change in found
        if change.action in ("replace", "delete") and not change.resource.type.startswith("command:")
    ]
    data = sorted(f"`{change.resource.name}`" for change in lost if change.loses_data)
    other = sorted(f"`{change.resource.name}`" for change in lost if not change.loses_data)
    steps = sorted(f"`{change.resource.name}`" for change in found
                   if change.resource.type.startswith("command:") and change.action != "delete")  # fmt: skip
    return (f"| `{key}` | {description} | {', '.join(data) or 'nothing'} | {', '.join(other) or 'nothing'} | "
            f"{', '.join(steps) or 'none'} |")  # fmt: skip


def readme_rows() -> list[str]:
    section = README.split("### What a change replaces", 1)[1].split("\n#", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def test_every_config_key_has_a_change_in_the_table() -> None:
    keys = set(config_keys(StackConfig))
    assert keys - {key for key, *_ in CONFIG_CHANGES} == set()


@pytest.mark.parametrize(
    ("key", "description", "base", "mutation"), CONFIG_CHANGES, ids=[row[0] for row in CONFIG_CHANGES]
)
def test_the_readme_says_what_each_change_replaces(key: str, description: str, base: dict[str, Any],
                                                   mutation: dict[str, Any]) -> None:  # fmt: skip
    row = change_row(key, description, base, mutation)
    assert row in readme_rows(), row


DNS_ADDRESS_RECORDS = [f"dns-{label}-{kind}" for label in ("apex", "api", "coolify", "wildcard", "www")
                       for kind in ("a", "aaaa")]  # fmt: skip


@pytest.mark.parametrize(
    ("mutation", "replaced", "updated", "steps"),
    [
        ({"server": {"image": "debian-13"}}, [], [], []),
        ({"server": {"type": "cx53"}}, [], ["host-server"], []),
        ({"server": {"location": "fsn1"}},
         ["data-postgres", "data-postgres-image", "data-postgres-volume", "data-postgres-volume-attachment",
          "data-redis", "data-redis-image", "host-ipv4", "host-ipv6", "host-server"],
         [*DNS_ADDRESS_RECORDS, "data-docker"],
         ["backups-install-job", "coolify-direct-ports", "coolify-install-coolify", "coolify-wait-for-coolify",
          "data-postgres-roles", "data-postgres-volume-mount", "host-harden-host", "host-wait-for-ssh",
          "monitoring-install", "upgrade-backup-run"]),
        # The backup before an upgrade runs again on a new image or a new Coolify version.
        ({"postgres": {"image": "postgres:17.7-bookworm"}}, ["data-postgres", "data-postgres-image"], [],
         ["upgrade-backup-run"]),
        ({"postgres": {"memoryMb": 2048}}, [], ["data-postgres"], []),
        ({"postgres": {"volumeSizeGb": 200}}, [], ["data-postgres-volume"], []),
        ({"coolify": {"version": "4.7.8"}}, [], [],
         ["coolify-direct-ports", "coolify-install-coolify", "coolify-wait-for-coolify", "upgrade-backup-run"]),
        ({"adminCidrs": ["85.214.133.0/24"]}, [], ["host-firewall"], []),
        ({"dns": {"defaults": {"ttl": 300}}}, [], DNS_ADDRESS_RECORDS, []),
        ({"backups": {"schedule": "*-*-* 04:30:00 UTC"}}, [], [], ["backups-install-job"]),
        ({"protection": {"protect": False}}, [], [], []),
    ],
    ids=["image", "type", "location", "postgres-image", "postgres-memory", "volume-size", "coolify-version",
         "admin-cidrs", "dns-ttl", "backup-schedule", "unprotect"],
)  # fmt: skip
def test_a_change_replaces_exactly_what_the_providers_say(
    mutation: dict[str, Any], replaced: list[str], updated: list[str], steps: list[str]
) -> None:
    found = changes(record("production"), record("production", mutation))

    def named(action: str, commands: bool) -> list[str]:
        return sorted(
            change.resource.name
            for change in found
            if change.action == action and change.resource.type.startswith("command:") is commands
        )

    assert (named("replace", False), named("update", False), named("replace", True)) == (
        sorted(replaced),
        sorted(updated),
        sorted(steps),
    )


def preview_against(reference: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preview", "--stack", "production", "--against", str(reference), *arguments],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_a_stateful_replacement_in_production_fails_naming_the_resource_and_the_input(tmp_path: Path) -> None:
    deployed = tmp_path / "deployed.json"
    # Recorded as `--against` records the shipped file: with its example values, which a preview only warns about.
    moved = stack_settings("production", {"server": {"location": "fsn1"}})
    save(run_program(PROJECT_DIR, moved, ApplyMocks(), preview=True), deployed)
    result = preview_against(deployed)
    assert result.returncode == 1
    assert "+- replace  hcloud:index/server:Server  host-server: location (forces replacement)" in result.stdout
    assert (
        "error: hcloud:index/server:Server host-server would be replaced (location): it holds data or an address; "
        "allow it with --allow host-server" in result.stderr
    )
    stateful = ("host-server", "host-ipv4", "host-ipv6", "data-postgres-volume")
    allowed = preview_against(deployed, *(f"--allow={name}" for name in stateful))
    assert allowed.returncode == 0, allowed.stderr


def test_against_a_git_ref_the_refs_program_is_recorded_and_compared(tmp_path: Path) -> None:
    """A repository whose HEAD is this program; its work tree changes one stack key."""
    for name in ("Pulumi.yaml", "Pulumi.production.yaml", "__main__.py", "components", "stack_config"):
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "deployed"], check=True)
    stack_file = tmp_path / "Pulumi.production.yaml"
    stack_file.write_text(stack_file.read_text().replace("type: cx43", "type: cx53"))
    result = subprocess.run(
        [sys.executable, "-m", "preview", "--stack", "production", "--project-dir", str(tmp_path), "--against", "HEAD"],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Changes against HEAD (production):",
        "    ~  update   hcloud:index/server:Server  host-server: serverType",
        "    0 to create, 1 to update, 0 to replace, 0 to delete",
    ]
