"""The configuration model against the shipped stack files and a table of bad values."""

import subprocess
from pathlib import Path
from typing import Any

import pytest

from stack_config import ConfigError, StackConfig, load_stack_config
from stack_config.catalog import SERVER_TYPES
from tests.conftest import NAMESPACE, STACKS, shipped_value, stack_settings

ALICE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2FAAB9YEE4rEw/DUJHbOGWax1rVeqX1KJVEd60ESW7 alice@example.com"


def load(stack: str, changes: dict[str, Any] | None = None, secret_keys: frozenset[str] = frozenset()) -> StackConfig:
    settings = stack_settings(stack, changes)
    return load_stack_config(NAMESPACE, stack, settings.config, secret_keys or settings.secret_keys)


def problems(stack: str, changes: dict[str, Any], secret_keys: frozenset[str] = frozenset()) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(stack, changes, secret_keys)
    return caught.value.problems


@pytest.fixture(scope="module")
def rsa_keys(tmp_path_factory: pytest.TempPathFactory) -> dict[int, str]:
    """Real RSA public keys from ssh-keygen, one too short and one long enough."""
    keys = {}
    for bits in (2048, 3072):
        path: Path = tmp_path_factory.mktemp("keys") / f"rsa{bits}"
        subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", str(bits), "-N", "", "-f", str(path)], check=True)
        keys[bits] = path.with_suffix(".pub").read_text().strip()
    return keys


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stacks_are_valid(stack: str) -> None:
    config = load(stack)
    assert config.environment == stack
    assert config.server.type in SERVER_TYPES


def test_environment_defaults() -> None:
    staging, production = load("staging"), load("production")
    assert (staging.protection.protect, staging.protection.delete_protection) == (False, False)
    assert (production.protection.protect, production.protection.delete_protection) == (True, True)
    assert (staging.server.backups, production.server.backups) == (False, True)
    assert (staging.dns.namespace, production.dns.namespace) == ("staging", "")


def test_stack_file_overrides_an_environment_default() -> None:
    config = load("production", {"protection": {"protect": False}})
    assert config.protection.protect is False
    assert config.protection.delete_protection is True


def test_staging_may_open_ssh_to_the_world_but_production_may_not() -> None:
    assert load("staging", {"adminCidrs": ["0.0.0.0/0"]}).admin_cidrs == ["0.0.0.0/0"]
    assert problems("production", {"adminCidrs": ["203.0.113.0/24", "::/0"]}) == [
        "hetzner-coolify:adminCidrs: ['::/0'] opens SSH to the whole internet, which production refuses"
    ]


def test_single_addresses_become_networks() -> None:
    assert load("staging", {"adminCidrs": ["198.51.100.7", "2001:db8::1"]}).admin_cidrs == [
        "198.51.100.7/32",
        "2001:db8::1/128",
    ]


def test_rsa_keys_need_3072_bits(rsa_keys: dict[int, str]) -> None:
    assert load("staging", {"adminSshKeys": [{"name": "carol", "publicKey": rsa_keys[3072]}]})
    assert problems("staging", {"adminSshKeys": [{"name": "carol", "publicKey": rsa_keys[2048]}]}) == [
        "hetzner-coolify:adminSshKeys[0].publicKey: "
        f"{rsa_keys[2048]!r} is a 2048-bit RSA key; RSA keys need at least 3072 bits (or use ssh-ed25519)"
    ]


def test_a_stack_named_otherwise_must_name_its_environment() -> None:
    settings = stack_settings("staging")
    with pytest.raises(ConfigError) as caught:
        load_stack_config(NAMESPACE, "dev", settings.config)
    assert caught.value.problems == [
        "hetzner-coolify:environment: 'dev' (taken from the stack name 'dev') is not an environment; "
        "allowed: staging, production"
    ]
    config = {**settings.config, f"{NAMESPACE}:environment": "staging"}
    assert load_stack_config(NAMESPACE, "dev", config).environment == "staging"


def test_secret_fields_are_never_echoed() -> None:
    lines = problems("staging", {"backupS3SecretAccessKey": ["hunter2", "hunter3"]})
    assert lines == [
        "hetzner-coolify:backupS3SecretAccessKey: a secret value is invalid; input should be a valid string"
    ]


def test_secret_values_are_never_echoed() -> None:
    lines = problems("staging", {"domain": "hunter2 is my password"}, frozenset({f"{NAMESPACE}:domain"}))
    assert lines == [
        "hetzner-coolify:domain: a secret value is not a domain name; expected the Cloudflare zone's name, "
        "e.g. example.com"
    ]


# (stack, changed keys, the one expected line). Every line names the key, the value and what is allowed.
BAD_VALUES: list[tuple[str, dict[str, Any], str]] = [
    (
        "staging",
        {"server": {"type": "cx99"}},
        "hetzner-coolify:server.type: 'cx99' is not a Hetzner server type; allowed: cx23, cx33, cx43, cx53, cax11, "
        "cax21, cax31, cax41, cpx12, cpx22, cpx32, cpx42, cpx52, cpx62, ccx13, ccx23, ccx33, ccx43, ccx53, ccx63",
    ),
    (
        "staging",
        {"server": {"type": "cx22"}},
        "hetzner-coolify:server.type: 'cx22' was retired by Hetzner on 2025-10-16 and can no longer be ordered; "
        "its successor is 'cx23'",
    ),
    (
        "staging",
        {"server": {"type": "cpx12"}},
        "hetzner-coolify:server.type: 'cpx12' has 1 vCPU and 2 GB; Coolify needs at least 2 vCPU and 2 GB",
    ),
    (
        "staging",
        {"server": {"location": "fra1"}},
        "hetzner-coolify:server.location: 'fra1' is not a Hetzner location; allowed: fsn1, nbg1, hel1, ash, hil, sin",
    ),
    (
        "staging",
        {"server": {"type": "cax11", "location": "ash"}},
        "hetzner-coolify:server.location: 'ash' does not offer 'cax11'; it is offered in fsn1, nbg1, hel1",
    ),
    (
        "staging",
        {"server": {"image": "windows-2022"}},
        "hetzner-coolify:server.image: 'windows-2022' is not supported; allowed: ubuntu-24.04, ubuntu-22.04, "
        "debian-12, debian-13",
    ),
    (
        "staging",
        {"server": {"backups": "maybe"}},
        "hetzner-coolify:server.backups: 'maybe' is invalid; input should be a valid boolean, "
        "unable to interpret input",
    ),
    (
        "staging",
        {"server": {"size": "large"}},
        "hetzner-coolify:server.size: is not a known key; allowed: type, location, image, backups, adminUser",
    ),
    (
        "staging",
        {"severType": "cx33"},
        "hetzner-coolify:severType: is not a known key; allowed: environment, domain, dns, server, adminSshKeys, "
        "adminCidrs, coolify, postgres, redis, docker, backups, workers, coolifyApiToken, backupS3AccessKeyId, "
        "backupS3SecretAccessKey, protection",
    ),
    (
        "staging",
        {"server": '{"type": "cx33"'},
        "hetzner-coolify:server: is not valid JSON (Expecting ',' delimiter at column 16)",
    ),
    (
        "staging",
        {"environment": "production"},
        "hetzner-coolify:environment: 'production' does not match the stack 'staging'; a stack named after an "
        "environment must be that environment",
    ),
    (
        "staging",
        {"domain": "not a domain"},
        "hetzner-coolify:domain: 'not a domain' is not a domain name; expected the Cloudflare zone's name, "
        "e.g. example.com",
    ),
    (
        "staging",
        {"domain": "localhost"},
        "hetzner-coolify:domain: 'localhost' is not a domain name; expected the Cloudflare zone's name, "
        "e.g. example.com",
    ),
    (
        "staging",
        {"dns": {"namespace": "Staging!"}},
        "hetzner-coolify:dns.namespace: 'Staging!' is not a DNS label; allowed: 1-63 of a-z, 0-9 and '-', "
        "not starting or ending with '-'",
    ),
    (
        "staging",
        {"dns": {"subdomains": ["api", "API"]}},
        "hetzner-coolify:dns.subdomains[1]: 'API' is not a DNS label; allowed: 1-63 of a-z, 0-9 and '-', "
        "not starting or ending with '-'",
    ),
    (
        "staging",
        {"dns": {"subdomains": ["api", "www"]}},
        "hetzner-coolify:dns.subdomains: ['www'] appear more than once (www and the dashboard count too)",
    ),
    (
        "staging",
        {"dns": {"dashboard": "-coolify"}},
        "hetzner-coolify:dns.dashboard: '-coolify' is not a DNS label; allowed: 1-63 of a-z, 0-9 and '-', "
        "not starting or ending with '-'",
    ),
    (
        "staging",
        {"dns": {"defaults": {"ttl": 30}}},
        "hetzner-coolify:dns.defaults.ttl: 30 is out of range; allowed: 1 (automatic) or 60-86400",
    ),
    (
        "production",
        {"dns": {"overrides": {"api": {"proxied": True, "ttl": 300}}}},
        "hetzner-coolify:dns.overrides.api.ttl: 300 is not allowed on a proxied record; Cloudflare requires 1 "
        "(automatic)",
    ),
    (
        "staging",
        {"dns": {"overrides": {"mail": {"ttl": 300}}}},
        "hetzner-coolify:dns.overrides: ['mail'] are not records of this stack; allowed: @, www, coolify, api, *",
    ),
    (
        "staging",
        {"dns": {"overrides": {"api": {"proxied": True}}}},
        "hetzner-coolify:dns.overrides: ['api'] cannot be proxied: Cloudflare's universal certificate covers only "
        "names one label below the zone, and the name space 'staging' puts them deeper; keep them DNS-only",
    ),
    (
        "staging",
        {"adminSshKeys": []},
        "hetzner-coolify:adminSshKeys: [] is invalid; list should have at least 1 item after validation, not 0",
    ),
    (
        "staging",
        {"adminSshKeys": [{"name": "bob", "publicKey": "-----BEGIN OPENSSH PRIVATE KEY-----"}]},
        "hetzner-coolify:adminSshKeys[0].publicKey: '-----BEGIN OPENSSH PRIVATE KEY-----' is a private key; "
        "paste the public half (the .pub file)",
    ),
    (
        "staging",
        {"adminSshKeys": [{"name": "bob", "publicKey": "ssh-dss AAAAB3NzaC1kc3MAAACBAP bob"}]},
        "hetzner-coolify:adminSshKeys[0].publicKey: 'ssh-dss AAAAB3NzaC1kc3MAAACBAP bob' has key type 'ssh-dss'; "
        "allowed: ssh-ed25519, sk-ssh-ed25519@openssh.com, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, "
        "ecdsa-sha2-nistp521, sk-ecdsa-sha2-nistp256@openssh.com, ssh-rsa",
    ),
    (
        "staging",
        {"adminSshKeys": [{"name": "bob", "publicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2F bob"}]},
        "hetzner-coolify:adminSshKeys[0].publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2F bob' has damaged key "
        "data (truncated)",
    ),
    (
        "staging",
        {"adminSshKeys": [{"name": "alice", "publicKey": ALICE}, {"name": "alice", "publicKey": ALICE}]},
        "hetzner-coolify:adminSshKeys: names ['alice', 'alice'] must be unique",
    ),
    (
        "staging",
        {"adminSshKeys": [{"name": "alice"}]},
        "hetzner-coolify:adminSshKeys[0].publicKey: is required (OpenSSH public key line: ssh-ed25519, "
        "ecdsa-sha2-* or ssh-rsa of at least 3072 bits)",
    ),
    (
        "staging",
        {"adminSshKeys": [{"name": "deploy", "publicKey": ALICE}]},
        "hetzner-coolify:adminSshKeys[0].name: 'deploy' is the generated deploy key's name; choose another",
    ),
    (
        "staging",
        {"adminSshKeys": [{"name": "Alice Smith", "publicKey": ALICE}]},
        "hetzner-coolify:adminSshKeys[0].name: 'Alice Smith' is not a name; allowed: 1-32 of a-z, 0-9 and '-', "
        "not starting or ending with '-'",
    ),
    (
        "staging",
        {"adminCidrs": ["10.0.0.1/8"]},
        "hetzner-coolify:adminCidrs[0]: '10.0.0.1/8' is not an IPv4 or IPv6 network in CIDR notation "
        "(10.0.0.1/8 has host bits set)",
    ),
    (
        "staging",
        {"adminCidrs": ["office"]},
        "hetzner-coolify:adminCidrs[0]: 'office' is not an IPv4 or IPv6 network in CIDR notation "
        "('office' does not appear to be an IPv4 or IPv6 network)",
    ),
    (
        "staging",
        {"adminCidrs": None},
        "hetzner-coolify:adminCidrs: is required (Networks allowed to reach SSH and, while open, "
        "Coolify's direct ports)",
    ),
    (
        "production",
        {"adminCidrs": ["0.0.0.0/0"]},
        "hetzner-coolify:adminCidrs: ['0.0.0.0/0'] opens SSH to the whole internet, which production refuses",
    ),
    (
        "staging",
        {"coolify": {"version": "latest"}},
        "hetzner-coolify:coolify.version: 'latest' is not a pinned release; expected e.g. 4.3.19 or 4.0.0-beta.474",
    ),
    (
        "staging",
        {"coolify": {"closeDirectPorts": "sometimes"}},
        "hetzner-coolify:coolify.closeDirectPorts: 'sometimes' is invalid; input should be a valid boolean, unable to "
        "interpret input",
    ),
    (
        "staging",
        {"protection": {"protect": "yes please"}},
        "hetzner-coolify:protection.protect: 'yes please' is invalid; input should be a valid boolean, unable to "
        "interpret input",
    ),
]


BAD_VALUES += [
    ("staging", {"workers": {"count": 30}},
     "hetzner-coolify:workers.count: 30 workers exceed the 25 targets of a lb11; use workers.loadBalancer.type "
     "lb21 or lb31"),
    ("staging", {"workers": {"count": -1}},
     "hetzner-coolify:workers.count: -1 is invalid; input should be greater than or equal to 0"),
    ("staging", {"workers": {"count": 2, "type": "cx99"}},
     "hetzner-coolify:workers.type: 'cx99' is not a Hetzner server type; allowed: cx23, cx33, cx43, cx53, cax11, "
     "cax21, cax31, cax41, cpx12, cpx22, cpx32, cpx42, cpx52, cpx62, ccx13, ccx23, ccx33, ccx43, ccx53, ccx63"),
    ("staging", {"server": {"type": "ccx13", "location": "ash"}, "workers": {"count": 2, "type": "cx33"}},
     "hetzner-coolify:workers: type 'cx33' is not offered in 'ash', where the workers run; it is offered in fsn1, "
     "nbg1, hel1"),
    ("staging", {"workers": {"loadBalancer": {"type": "lb99"}}},
     "hetzner-coolify:workers.loadBalancer.type: 'lb99' is not a Hetzner load balancer type; allowed: lb11, lb21, "
     "lb31"),
    ("staging", {"domain": None, "workers": {"count": 1}},
     "hetzner-coolify:workers.count: workers need a domain: apps reach them through the load balancer by name"),
    ("staging", {"workers": {"count": 1, "loadBalancer": {"healthCheckLabel": "coolify"}}},
     "hetzner-coolify:workers.loadBalancer.healthCheckLabel: 'coolify' is not an app record of this stack; "
     "allowed: @, www, api"),
    ("staging", {"workers": {"loadBalancer": {"healthCheckLabel": "Bad_Label"}}},
     "hetzner-coolify:workers.loadBalancer.healthCheckLabel: 'Bad_Label' is not a record label; allowed: '@' "
     "(the environment's own name) or a DNS label"),
    ("staging", {"coolifyApiToken": "1|token-in-clear"},
     "hetzner-coolify:coolifyApiToken: must be set with `pulumi config set --secret`, not in clear in the stack "
     "file"),
    ("staging", {"server": {"adminUser": "root"}},
     "hetzner-coolify:server.adminUser: 'root' is a system account; choose a new name for the admin login"),
    ("staging", {"coolify": {"adminEmail": "ops-at-example"}},
     "hetzner-coolify:coolify.adminEmail: 'ops-at-example' is not an email address"),
    ("staging", {"postgres": {"image": "postgres:latest"}},
     "hetzner-coolify:postgres.image: 'postgres:latest' is not pinned; name a version tag (e.g. :17.6-bookworm) "
     "or a digest"),
    ("staging", {"postgres": {"image": "mysql:8.4"}},
     "hetzner-coolify:postgres.image: 'mysql:8.4' is not an image of pgvector, postgis, postgres, timescaledb, "
     "timescaledb-ha"),
    ("staging", {"postgres": {"database": "App-DB"}},
     "hetzner-coolify:postgres.database: 'App-DB' is not a plain SQL name; allowed: 1-63 of a-z, 0-9 and '_', "
     "starting with a letter"),
    ("staging", {"postgres": {"localPort": 80}},
     "hetzner-coolify:postgres.localPort: 80 is invalid; input should be greater than or equal to 1024"),
    ("staging", {"postgres": {"storage": "nfs"}},
     "hetzner-coolify:postgres.storage: 'nfs' is invalid; input should be 'docker-volume' or 'hetzner-volume'"),
    ("staging", {"redis": {"image": "redis"}},
     "hetzner-coolify:redis.image: 'redis' is not pinned; name a version tag (e.g. :17.6-bookworm) or a digest"),
    ("staging", {"backups": {"ageRecipient": "age1notvalid"}},
     "hetzner-coolify:backups.ageRecipient: 'age1notvalid' is not an age recipient (age1... or ssh-ed25519)"),
    ("staging", {"backups": {"schedule": "daily; rm -rf /"}},
     "hetzner-coolify:backups.schedule: 'daily; rm -rf /' is not a systemd calendar expression"),
    ("staging", {"backups": {"retention": {"daily": 0}}},
     "hetzner-coolify:backups.retention.daily: 0 is invalid; input should be greater than or equal to 1"),
    ("staging", {"backups": {"storage": {"accountId": "my-account"}}},
     "hetzner-coolify:backups.storage.accountId: 'my-account' is not a Cloudflare account id (32 hex digits)"),
    ("staging", {"backups": {"storage": {"accountId": None}}},
     "hetzner-coolify:backups.storage.accountId: is required (Cloudflare account id)"),
    ("staging", {"backups": {"storage": {"kind": "gcs"}}},
     "hetzner-coolify:backups.storage.kind: 'gcs' is not a storage kind; allowed: r2, s3"),
    ("staging", {"backups": {"storage": {"kind": "s3", "accountId": None, "bucket": "team-backups"}}},
     "hetzner-coolify:backups.storage.endpoint: is required (S3 endpoint, e.g. https://fsn1.your-objectstorage.com)"),
    ("staging", {"backups": {"storage": {"kind": "s3", "endpoint": "https://fsn1.your-objectstorage.com",
                                         "bucket": "team-backups"}}},
     "hetzner-coolify:backups.storage.accountId: is not a known key; allowed: kind, endpoint, bucket, region"),
    ("staging", {"backups": {"storage": {"kind": "s3", "accountId": None,
                                         "endpoint": "http://fsn1.your-objectstorage.com", "bucket": "b-1"}}},
     "hetzner-coolify:backups.storage.endpoint: 'http://fsn1.your-objectstorage.com' is not an https:// URL"),
    ("staging", {"backups": {"storage": {"kind": "s3", "accountId": None,
                                         "endpoint": "https://fsn1.your-objectstorage.com", "bucket": "team-backups"}}},
     "hetzner-coolify:backupS3AccessKeyId: is required for s3 backup storage; set it with `pulumi config set "
     "--secret`"),
    ("staging", {"backupS3SecretAccessKey": "in-clear-in-the-stack-file"},
     "hetzner-coolify:backupS3SecretAccessKey: must be set with `pulumi config set --secret`, not in clear in the "
     "stack file"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("stack", "changes", "expected"),
    BAD_VALUES,
    ids=[f"{index:02d}-{line.split(':')[1]}" for index, (*_, line) in enumerate(BAD_VALUES)],
)
def test_bad_value_gives_one_line_naming_the_key(stack: str, changes: dict[str, Any], expected: str) -> None:
    assert problems(stack, changes) == [expected]


def test_shipped_admin_keys_are_read_back_unchanged() -> None:
    keys = shipped_value("staging", "adminSshKeys")
    assert [key.public_key for key in load("staging").admin_ssh_keys] == [key["publicKey"] for key in keys]
