"""redis-container-enable-password, through the pack: a compliant resource, then one change per case."""

from typing import Any

import pytest

from preview.values import UNKNOWN
from tests.policies.conftest import Check
from tests.policies.guardrails.rules.containers import STRONG, redis


class TestRedisPassword:
    POLICY = "redis-container-enable-password"
    MISSING = (
        "redis runs Redis without a password; the official image turns protected mode off, so start it with "
        "--requirepass from a generated secret."
    )

    @pytest.mark.parametrize(
        "changes",
        [
            {},
            {"command": ["redis-server", "--requirepass", UNKNOWN]},
            {"image": "bitnami/redis:7.4.1", "command": None, "envs": [f"REDIS_PASSWORD={STRONG}"]},
            {
                "image": "redis/redis-stack-server:7.4.0",
                "command": None,
                "envs": [f"REDIS_ARGS=--requirepass {STRONG}"],
            },
        ],
        ids=["requirepass", "generated-requirepass", "bitnami-env", "redis-args"],
    )
    def test_redis_with_a_password_passes(self, check: Check, changes: dict[str, Any]) -> None:
        assert check(self.POLICY, redis(**changes)) == []

    @pytest.mark.parametrize(
        "changes",
        [
            {"command": ["redis-server", "--appendonly", "yes"]},
            {"command": None},
            {"image": "valkey/valkey:8.0.1", "command": None},
        ],
        ids=["no-requirepass", "default-command", "valkey"],
    )
    def test_redis_without_a_password_is_refused(self, check: Check, changes: dict[str, Any]) -> None:
        assert check(self.POLICY, redis(**changes)) == [self.MISSING]

    def test_other_images_are_not_redis(self, check: Check) -> None:
        assert check(self.POLICY, redis(image="nginx:1.27.2", command=None)) == []
