"""redis-container-enable-password, through the pack: a compliant Redis, then one change per case. A stack policy:
a container that runs its image by id is known as Redis through the RemoteImage the id came from."""

from typing import Any

import pytest

from preview.values import UNKNOWN
from tests.policies.conftest import Check, Resource
from tests.policies.guardrails.rules.containers import STRONG, redis

POLICY = "redis-container-enable-password"
MISSING = (
    "redis runs Redis without a password; the official image turns protected mode off, so start it with "
    "--requirepass from a generated secret (or --aclfile)."
)
REFERENCE = ["redis-server", "--requirepass", "$REDIS_PASSWORD"]
IN_A_SHELL = ["sh", "-c", 'exec redis-server --requirepass "$REDIS_PASSWORD"']


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"command": ["redis-server", "--requirepass", UNKNOWN]},
        {"command": IN_A_SHELL, "envs": [f"REDIS_PASSWORD={STRONG}"]},
        {"command": IN_A_SHELL, "envs": [UNKNOWN]},
        {"image": "bitnami/redis:7.4.1", "command": None, "envs": [f"REDIS_PASSWORD={STRONG}"]},
        {"image": "redis/redis-stack-server:7.4.0", "command": None, "envs": [f"REDIS_ARGS=--requirepass {STRONG}"]},
        {"command": ["redis-server", "--aclfile", "/etc/redis/users.acl"]},
        {"command": ["redis-server", "--aclfile=/etc/redis/users.acl"]},
        {"command": ["redis-server", "--user", "app on >secret-from-file ~* +@all", "--user", "default off"]},
    ],
    ids=["requirepass", "generated-requirepass", "shell-expands-variable", "generated-variable", "bitnami-env",
         "redis-args", "aclfile", "aclfile-equals", "acl-users"],
)  # fmt: skip
def test_redis_with_a_password_passes(check_stack: Check, changes: dict[str, Any]) -> None:
    assert check_stack(POLICY, redis(**changes)) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"command": ["redis-server", "--appendonly", "yes"]},
        {"command": None},
        {"image": "valkey/valkey:8.0.1", "command": None},
        {"command": IN_A_SHELL, "envs": ["REDIS_PASSWORD="]},
        {"command": IN_A_SHELL, "envs": ["OTHER=1"]},
    ],
    ids=["no-requirepass", "default-command", "valkey", "empty-variable", "unset-variable"],
)
def test_redis_without_a_password_is_refused(check_stack: Check, changes: dict[str, Any]) -> None:
    assert check_stack(POLICY, redis(**changes)) == [MISSING]


def test_a_variable_no_shell_expands_is_the_password_itself(check_stack: Check) -> None:
    resource = redis(command=REFERENCE, envs=[f"REDIS_PASSWORD={STRONG}"])
    assert check_stack(POLICY, resource) == [
        "redis command --requirepass is the literal text $REDIS_PASSWORD: nothing expands it (no shell runs the "
        "command); run it with sh -c, or pass a generated secret."
    ]


def test_an_image_referenced_by_id_is_known_by_its_remote_image(check_stack: Check) -> None:
    pulled = Resource("docker:index/remoteImage:RemoteImage", {"name": "redis:7.4.1"}, name="redis-image")
    resource = redis(image="sha256:" + "ab" * 32, command=None)
    resource.property_dependencies = {"image": (pulled.urn,)}
    assert check_stack(POLICY, pulled, resource) == [MISSING]
    resource.props["command"] = ["redis-server", "--requirepass", STRONG]
    assert check_stack(POLICY, pulled, resource) == []


def test_an_id_alone_is_matched_to_the_remote_image_that_pulled_it(check_stack: Check) -> None:
    image_id = "sha256:" + "cd" * 32
    pulled = Resource("docker:index/remoteImage:RemoteImage", {"name": "valkey/valkey:8.0.1", "imageId": image_id})
    assert check_stack(POLICY, pulled, redis(image=image_id, command=None)) == [MISSING]


def test_other_images_are_not_redis(check_stack: Check) -> None:
    assert check_stack(POLICY, redis(image="nginx:1.27.2", command=None)) == []


@pytest.mark.parametrize(
    "user", ["default on nopass ~* +@all", "default on ~* +@all"], ids=["nopass", "no-password-given"]
)
def test_acl_users_that_let_anyone_in_are_no_authentication(check_stack: Check, user: str) -> None:
    assert check_stack(POLICY, redis(command=["redis-server", "--user", user])) == [MISSING]


def test_the_password_variable_image_is_known_with_its_registry(check_stack: Check) -> None:
    bitnami = redis(image="docker.io/bitnami/redis:7.4.1", command=None, envs=[f"REDIS_PASSWORD={STRONG}"])
    assert check_stack(POLICY, bitnami) == []


def test_an_image_named_outright_is_judged_by_its_name_not_its_dependency(check_stack: Check) -> None:
    """A reference computed from another image's output is still the reference it names."""
    pulled = Resource("docker:index/remoteImage:RemoteImage", {"name": "nginx:1.27.3"}, name="nginx-image")
    resource = redis(command=None)
    resource.property_dependencies = {"image": (pulled.urn,)}
    assert check_stack(POLICY, pulled, resource) == [MISSING]
