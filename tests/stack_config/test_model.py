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
        "hetzner-coolify:severType: is not a known key; allowed: environment, domain, dns, server, adminSshKeys, "
        "adminCidrs, coolify, postgres, redis, docker, backups, workers, coolifyApiToken, backupS3AccessKeyId, "
        "backupS3SecretAccessKey, protection",
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
        "hetzner-coolify:protection.protect: 'yes please' is invalid; input should be a valid boolean, unable to "
        "interpret input",
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
        "e.g. example.com (labels of 1-63 of a-z, 0-9 and '-', at most 253 characters)"
    ]


def test_the_config_and_the_policy_pack_bound_admin_sources_alike() -> None:
    """The pack runs without pydantic, so it cannot import the model: the two bounds are kept equal here."""
    assert ADMIN_SOURCE_PREFIX == ADMIN_PREFIX
