"""Stacks of any name: which names can name resources, the environment and DNS name space a name gives by default,
and the names that look like production and must say their environment."""

from typing import Any

import pytest

from stack_config import ConfigError, StackConfig, load_stack_config
from stack_config.stacks import (
    MAX_NAME_CHARS,
    MAX_PREFIX_CHARS,
    MAX_SUFFIX_CHARS,
    default_dns_namespace,
    default_environment,
    production_word,
    stack_name_problem,
)
from tests.conftest import NAMESPACE, stack_settings
from tests.stack_config.conftest import problems

LONGEST = "a" * (MAX_PREFIX_CHARS - len(NAMESPACE) - 1)


def load_as(stack: str, file: str = "staging", changes: dict[str, Any] | None = None) -> StackConfig:
    settings = stack_settings(file, changes)
    return load_stack_config(NAMESPACE, stack, settings.config, settings.secret_keys)


def problems_as(stack: str, file: str = "staging", changes: dict[str, Any] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        load_as(stack, file, changes)
    return refused.value.problems


def test_the_longest_physical_name_fits_63_characters() -> None:
    assert (MAX_NAME_CHARS, MAX_SUFFIX_CHARS, MAX_PREFIX_CHARS) == (63, 14, 49)
    assert len(f"{NAMESPACE}-{LONGEST}-postgres-data") == 63
    assert len(LONGEST) == 33


@pytest.mark.parametrize("stack", ["staging", "production", "dev", "pr-123", "eu-2", "7", LONGEST])
def test_names_that_can_name_resources(stack: str) -> None:
    assert stack_name_problem(NAMESPACE, stack) is None


@pytest.mark.parametrize("stack", ["My_Stack", "Dev", "dev_1", "dev.1", "-dev", "dev-", "", "d\u00e9v", LONGEST + "a"])
def test_names_that_cannot_name_resources(stack: str) -> None:
    assert stack_name_problem(NAMESPACE, stack) == (
        f"stack {stack!r}: names the stack's resources (hetzner-coolify-{stack}-…); use lowercase letters, digits "
        "and hyphens, starting and ending with a letter or digit, at most 33 characters"
    )


def test_the_room_left_follows_the_project_name() -> None:
    assert stack_name_problem("p" * 40, "abcdefghi") == (
        "stack 'abcdefghi': names the stack's resources (" + "p" * 40 + "-abcdefghi-…); use lowercase letters, "
        "digits and hyphens, starting and ending with a letter or digit, at most 8 characters"
    )
    assert stack_name_problem("p" * 48, "a") == (
        "stack 'a': names the stack's resources (" + "p" * 48 + "-a-…); use lowercase letters, digits and "
        "hyphens, starting and ending with a letter or digit, but the project's name leaves no room: "
        f"`{'p' * 48}-<stack>` may have 49 at most"
    )


@pytest.mark.parametrize(
    ("stack", "word"),
    [("prod", "prod"), ("prod-eu", "prod"), ("production-2", "production"), ("eu-live", "live"), ("prd", "prd"),
     ("eu_prod", "prod"), ("x.live", "live"), ("PROD", "prod"), ("product", None), ("liver", None), ("dev", None),
     ("prod2", "prod2"), ("production1", "production1"), ("eu-live2", "live2"), ("pr-123", None), ("v2", None),
     ("staging", None), ("pr-123", None)],
)  # fmt: skip
def test_names_that_look_like_production(stack: str, word: str | None) -> None:
    assert production_word(stack) == word


@pytest.mark.parametrize(
    ("stack", "environment", "namespace"),
    [("staging", "staging", "staging"), ("production", "production", ""), ("dev", "staging", "dev"),
     ("pr-123", "staging", "pr-123"), ("prod-eu", None, "prod-eu"), ("live", None, "live")],
)  # fmt: skip
def test_defaults_by_name(stack: str, environment: str | None, namespace: str) -> None:
    assert default_environment(stack) == environment
    assert default_dns_namespace(stack) == namespace


def test_a_dev_stack_is_staging_under_its_own_name() -> None:
    config = load_as("dev")
    assert (config.environment, config.dns.namespace) == ("staging", "dev")
    assert config.protection.protect is False


def test_a_stack_that_looks_like_production_must_say_its_environment() -> None:
    assert problems_as("prod-eu", "production") == [
        "hetzner-coolify:environment: is required for the stack 'prod-eu', whose name looks like production "
        "('prod'); set it, e.g. `pulumi config set environment production`; allowed: staging, production"
    ]
    config = load_as("prod-eu", "production", {"environment": "production"})
    assert (config.environment, config.dns.namespace) == ("production", "prod-eu")
    assert config.protection.protect and config.server.backups
    assert load_as("eu-live", "staging", {"environment": "staging"}).environment == "staging"


def test_production_rules_follow_the_environment_not_the_name() -> None:
    wide_open = {"adminCidrs": ["0.0.0.0/0"]}
    assert load_as("dev", "staging", wide_open).admin_cidrs == ["0.0.0.0/0"]
    assert problems_as("dev", "staging", {**wide_open, "environment": "production"}) == [
        "hetzner-coolify:adminCidrs: the IPv4 sources together cover 4,294,967,296 addresses; production lets at "
        "most a /16 of IPv4 (65,536 addresses) and a /40 of IPv6 (2^88) in total reach SSH: list the admin networks "
        "themselves (offices, VPN exits, CI runners)"
    ]


def test_a_stack_named_after_an_environment_must_be_it() -> None:
    assert problems("production", {"environment": "staging"}) == [
        "hetzner-coolify:environment: 'staging' does not match the stack 'production'; a stack named after an "
        "environment must be that environment"
    ]


def test_a_name_that_cannot_name_resources_is_one_line_with_the_files_other_problems() -> None:
    assert problems_as("My_Stack", "staging", {"postgres": {"memoryMb": 100}}) == [
        "stack 'My_Stack': names the stack's resources (hetzner-coolify-My_Stack-…); use lowercase letters, digits "
        "and hyphens, starting and ending with a letter or digit, at most 33 characters",
        "hetzner-coolify:postgres.memoryMb: 100 is out of range; allowed: 256-262144 (memory limit of the "
        "container, MiB)",
    ]


def test_a_name_space_set_on_purpose_is_kept() -> None:
    assert load_as("dev", "staging", {"dns": {"namespace": "team.dev"}}).dns.namespace == "team.dev"
    assert load_as("production", "production", {"dns": {"namespace": "www2"}}).dns.namespace == "www2"


@pytest.mark.parametrize("stack", ["api", "www", "coolify"])
def test_a_stack_named_like_a_record_of_the_domain_must_choose_its_namespace(stack: str) -> None:
    assert problems_as(stack) == [
        f"hetzner-coolify:dns.namespace: is required for the stack {stack!r}: its name is a record of the stack on "
        f"the domain itself ({stack}.<domain>), which its own records would take by default; set another, e.g. "
        f"`pulumi config set --path dns.namespace {stack}-stack`"
    ]
    assert load_as(stack, changes={"dns": {"namespace": f"{stack}-stack"}}).dns.namespace == f"{stack}-stack"


@pytest.mark.parametrize(
    ("stack", "other"), [("staging-worker-1", "staging"), ("x-workers", "x"), ("a-workers-2", "a")]
)
def test_a_stack_named_like_another_stacks_workers_is_refused(stack: str, other: str) -> None:
    assert problems_as(stack) == [
        f"stack {stack!r}: ends like the names of another stack's workers (hetzner-coolify-{stack} names a worker, "
        f"the workers' firewall or a placement group of the stack {other!r}); choose another name"
    ]
