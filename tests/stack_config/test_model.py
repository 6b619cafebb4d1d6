"""The configuration model as a whole: the shipped stack files, environment defaults, what the loader
reports for the stack's own keys, and that it never echoes a secret."""

from typing import Any

import pytest

from policies.guardrails.support.addresses import ADMIN_PREFIX
from stack_config import ConfigError, load_stack_config
from stack_config.catalog import SERVER_TYPES
from stack_config.model import ADMIN_SOURCE_PREFIX
from tests.conftest import NAMESPACE, STACKS, stack_settings
from tests.stack_config.conftest import bad_values, load, problems

BAD_VALUES: list[tuple[str, dict[str, Any], str]] = [
    (
        "staging",
        {"severType": "cx33"},
        "hetzner-coolify:severType: is not a known key (did you mean server?); allowed: environment, domain, dns, "
        "server, adminSshKeys, adminCidrs, coolify, postgres, redis, docker, backups, workers, coolifyApiToken, "
        "backupS3AccessKeyId, backupS3SecretAccessKey, monitoring, monitoringWebhookUrl, "
        "monitoringHeartbeatUrl, rotation, protection",
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
        "e.g. example.com (labels of 1-63 of a-z, 0-9 and '-', at most 253 characters)",
    ),
    (
        "staging",
        {"domain": "localhost"},
        "hetzner-coolify:domain: 'localhost' is not a domain name; expected the Cloudflare zone's name, "
        "e.g. example.com (labels of 1-63 of a-z, 0-9 and '-', at most 253 characters)",
    ),
    (
        "staging",
        {"protection": {"protect": "yes please"}},
        "hetzner-coolify:protection.protect: 'yes please' is not a boolean; allowed: true or false",
    ),
]  # fmt: skip


@bad_values(BAD_VALUES)
def test_bad_value_gives_one_line_naming_the_key(stack: str, changes: dict[str, Any], expected: str) -> None:
    assert problems(stack, changes) == [expected]


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


def test_a_stack_named_otherwise_is_staging_unless_it_says_otherwise() -> None:
    """Stacks of any name (stack_config/stacks.py; tests/stack_config/test_stacks.py has the rest)."""
    settings = stack_settings("staging")
    assert load_stack_config(NAMESPACE, "dev", settings.config).environment == "staging"
    config = {**settings.config, f"{NAMESPACE}:environment": "production"}
    assert load_stack_config(NAMESPACE, "dev", config).environment == "production"
    with pytest.raises(ConfigError) as caught:
        load_stack_config(NAMESPACE, "dev", {**settings.config, f"{NAMESPACE}:environment": "dev"})
    assert caught.value.problems == [
        "hetzner-coolify:environment: 'dev' (set) is not an environment; allowed: staging, production"
    ]


def test_secret_fields_are_never_echoed() -> None:
    lines = problems("staging", {"backupS3SecretAccessKey": ["hunter2", "hunter3"]})
    assert lines == [
        "hetzner-coolify:backupS3SecretAccessKey: a secret value is not text; allowed: text, set with `pulumi config "
        "set --secret`"
    ]


def test_secret_values_are_never_echoed() -> None:
    lines = problems("staging", {"domain": "hunter2 is my password"}, frozenset({f"{NAMESPACE}:domain"}))
    assert lines == [
        "hetzner-coolify:domain: a secret value is not a domain name; expected the Cloudflare zone's name, "
        "e.g. example.com (labels of 1-63 of a-z, 0-9 and '-', at most 253 characters)"
    ]


def test_the_config_and_the_policy_pack_bound_admin_sources_alike() -> None:
    """The pack runs without pydantic, so it cannot import the model: the two bounds are kept equal here."""
    assert ADMIN_SOURCE_PREFIX == ADMIN_PREFIX


ALICE_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2FAAB9YEE4rEw/DUJHbOGWax1rVeqX1KJVEd60ESW7 alice@example.com"
# model_dump() of the shipped stack files as the code before stacks of any name (33597a6) validated them, written
# out once: staging and production must validate to exactly this, whatever the defaults now derive from.
STAGING_BEFORE: dict[str, Any] = {
    "environment": "staging",
    "domain": "example.com",
    "dns": {"zone_id": None, "namespace": "staging", "apex": True, "www": True, "dashboard": "coolify",
            "subdomains": ["api"], "wildcard": True, "caa": True, "defaults": {"ttl": 1, "proxied": False},
            "overrides": {}},
    "server": {"type": "cx33", "location": "nbg1", "image": "ubuntu-24.04", "backups": False, "admin_user": "ops"},
    "admin_ssh_keys": [{"name": "alice", "public_key": ALICE_KEY}],
    "admin_cidrs": ["203.0.113.0/24", "2001:db8:1234::/48"],
    "coolify": {"version": "4.7.7", "admin_email": "ops@example.com", "admin_username": "admin",
                "close_direct_ports": True},
    "postgres": {"enabled": True, "image": "postgres:17.6-bookworm", "database": "app", "user": "app",
                 "memory_mb": 1024, "storage": "docker-volume", "volume_size_gb": 20, "local_port": None},
    "redis": {"enabled": True, "image": "redis:7.4.6-bookworm", "memory_mb": 256},
    "docker": {"ssh_identity_file": None},
    "backups": {"enabled": True, "schedule": "*-*-* 02:00:00 UTC",
                "age_recipient": "age1e0n8hx68j4g0ts6z78gx0ee0f30a3309f7gydjy4lkzdmy6wxepqurfhtx",
                "retention": {"daily": 7, "weekly": 4, "monthly": 3}, "ping_url": None,
                "storage": {"kind": "r2", "account_id": "0123456789abcdef0123456789abcdef", "jurisdiction": "eu",
                            "location": None}},
    "workers": {"count": 0, "type": "cx33", "load_balancer": {"type": "lb11", "dns": True, "health_check_label": "api",
                                                             "certificates": "dns-01"}},
    "coolify_api_token": None,
    "backup_s3_access_key_id": None,
    "backup_s3_secret_access_key": None,
    "monitoring": {"enabled": True, "interval_minutes": 5, "webhook_format": "json",
                   "thresholds": {"cpu_percent": 80, "memory_percent": 90, "disk_percent": 85,
                                  "backup_max_age_hours": 26, "certificate_min_days": 14}},
    "monitoring_webhook_url": None,
    "monitoring_heartbeat_url": None,
    "rotation": {"postgres": 0, "redis": 0, "backup_token": 0, "deploy_key": 0},
    "protection": {"protect": False, "delete_protection": False},
}  # fmt: skip
PRODUCTION_BEFORE: dict[str, Any] = {
    **STAGING_BEFORE,
    "environment": "production",
    "dns": {**STAGING_BEFORE["dns"], "namespace": ""},
    "server": {**STAGING_BEFORE["server"], "type": "cx43", "backups": True},
    "postgres": {**STAGING_BEFORE["postgres"], "storage": "hetzner-volume", "volume_size_gb": 100},
    "protection": {"protect": True, "delete_protection": True},
}


@pytest.mark.parametrize(("stack", "before"), [("staging", STAGING_BEFORE), ("production", PRODUCTION_BEFORE)])
def test_the_shipped_stacks_validate_to_the_config_they_had(stack: str, before: dict[str, Any]) -> None:
    assert load(stack).model_dump() == before
