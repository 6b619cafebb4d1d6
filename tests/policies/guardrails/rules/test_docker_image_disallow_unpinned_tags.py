"""docker-image-disallow-unpinned-tags, through the pack: a compliant resource, then one change per case."""

from typing import Any

import pytest

from policies.guardrails.rules.docker_image_disallow_unpinned_tags import image_problem
from preview.values import UNKNOWN
from tests.policies.conftest import Check, Resource
from tests.policies.guardrails.rules.containers import postgres


class TestPinnedImages:
    POLICY = "docker-image-disallow-unpinned-tags"

    @pytest.mark.parametrize(
        "image",
        ["postgres:16.4", "timescale/timescaledb:2.17.2-pg16", "ghcr.io/org/app:1.2.3",
         "postgres@sha256:" + "a" * 64, "sha256:" + "b" * 64, "localhost:5000/app:1.0", UNKNOWN],
    )  # fmt: skip
    def test_pinned_images_pass(self, check: Check, image: Any) -> None:
        assert check(self.POLICY, postgres(image=image)) == []

    @pytest.mark.parametrize(
        ("image", "problem"),
        [
            ("postgres", "has no tag, which means latest"),
            ("redis:latest", "uses the moving tag 'latest'"),
            ("ghcr.io/org/app:stable", "uses the moving tag 'stable'"),
            ("localhost:5000/app", "has no tag, which means latest"),
        ],
    )
    def test_unpinned_images_are_refused(self, check: Check, image: str, problem: str) -> None:
        assert check(self.POLICY, postgres(image=image)) == [
            f"image '{image}' {problem}; pin a version tag (postgres:16.4) or a digest."
        ]

    def test_remote_images_are_checked_too(self, check: Check) -> None:
        assert check(self.POLICY, Resource("docker:index/remoteImage:RemoteImage", {"name": "redis"})) == [
            "name 'redis' has no tag, which means latest; pin a version tag (postgres:16.4) or a digest."
        ]

    def test_moving_tags_are_configurable(self, check: Check) -> None:
        assert check(self.POLICY, postgres(image="postgres:16"), config={"floatingTags": ["16"]}) == [
            "image 'postgres:16' uses the moving tag '16'; pin a version tag (postgres:16.4) or a digest."
        ]

    def test_image_problem_reads_registries_with_ports(self) -> None:
        assert image_problem("registry.example.com:443/team/app:2.0", ["latest"]) is None
