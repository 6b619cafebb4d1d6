"""docker-image-disallow-unpinned-tags, through the pack: a compliant image, then one change per case. Tags that look
pinned but move (a major alone, a variant alone) are refused; images the program builds itself are exempt."""

from typing import Any

import pytest

from policies.guardrails.rules.docker_image_disallow_unpinned_tags import image_problem
from preview.values import UNKNOWN
from tests.policies.conftest import Check, Resource
from tests.policies.guardrails.rules.containers import postgres

POLICY = "docker-image-disallow-unpinned-tags"
FIX = "pin a release (postgres:17.6) or a digest."
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"


@pytest.mark.parametrize(
    "image",
    ["postgres:16.4", "postgres:17.6-bookworm", "timescale/timescaledb:2.17.2-pg16", "ghcr.io/org/app:1.2.3",
     "redis:7.4.1-alpine3.20", "minio/minio:RELEASE.2025-09-07T16-13-09Z", "postgres@sha256:" + "a" * 64,
     "postgres:16@sha256:" + "a" * 64, "sha256:" + "b" * 64, "localhost:5000/app:1.0", UNKNOWN],
)  # fmt: skip
def test_pinned_images_pass(check_stack: Check, image: Any) -> None:
    assert check_stack(POLICY, postgres(image=image)) == []


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("postgres", "has no tag, which means latest"),
        ("redis:latest", "uses the moving tag 'latest'"),
        ("ghcr.io/org/app:stable", "uses the moving tag 'stable'"),
        ("localhost:5000/app", "has no tag, which means latest"),
        ("redis:alpine", "uses the tag 'alpine', which names a variant but no release"),
        ("postgres:bookworm", "uses the tag 'bookworm', which names a variant but no release"),
        ("redis:7", "uses the tag '7', a major version that moves with every minor release"),
        ("postgres:16-bookworm", "uses the tag '16-bookworm', a major version that moves with every minor release"),
        ("redis:7-alpine", "uses the tag '7-alpine', a major version that moves with every minor release"),
        ("timescale/timescaledb-ha:pg18", "uses the tag 'pg18', a major version that moves with every minor release"),
        ("node:v22", "uses the tag 'v22', a major version that moves with every minor release"),
        ("timescale/timescaledb:latest-pg17", "uses the moving tag 'latest-pg17'"),
        ("nginx:mainline-alpine3.20", "uses the moving tag 'mainline-alpine3.20'"),
    ],
)
def test_unpinned_images_are_refused(check_stack: Check, image: str, problem: str) -> None:
    assert check_stack(POLICY, postgres(image=image)) == [f"postgres image '{image}' {problem}; {FIX}"]


def test_remote_images_are_judged_where_they_are_named(check_stack: Check) -> None:
    pulled = Resource(REMOTE_IMAGE, {"name": "redis:7"}, name="redis-image")
    container = postgres(image="sha256:" + "c" * 64)
    container.property_dependencies = {"image": (pulled.urn,)}
    assert check_stack(POLICY, pulled, container) == [
        f"redis-image name 'redis:7' uses the tag '7', a major version that moves with every minor release; {FIX}"
    ]


@pytest.mark.parametrize(
    ("image_type", "props"),
    [
        ("docker:index/image:Image", {"imageName": "registry.example.com/app:latest", "build": {"context": "."}}),
        ("docker-build:index:Image", {"tags": ["registry.example.com/app:latest"], "push": True}),
    ],
    ids=["docker-image", "docker-build"],
)
def test_an_image_the_program_builds_may_float(check_stack: Check, image_type: str, props: dict[str, Any]) -> None:
    built = Resource(image_type, props, name="app-image")
    by_reference = postgres(image="registry.example.com/app:latest")
    assert check_stack(POLICY, built, by_reference) == []
    by_output = postgres(image="registry.example.com/app:latest@sha256:" + "d" * 64)
    by_output.property_dependencies = {"image": (built.urn,)}
    assert check_stack(POLICY, built, by_output) == []


def test_an_image_of_the_same_name_built_elsewhere_is_not_exempt(check_stack: Check) -> None:
    assert check_stack(POLICY, postgres(image="registry.example.com/app:latest")) == [
        f"postgres image 'registry.example.com/app:latest' uses the moving tag 'latest'; {FIX}"
    ]


def test_moving_tags_are_configurable(check_stack: Check) -> None:
    assert check_stack(POLICY, postgres(image="app:2026")) == []
    assert check_stack(POLICY, postgres(image="app:2026"), config={"floatingTags": ["2026"]}) == [
        f"postgres image 'app:2026' uses the moving tag '2026'; {FIX}"
    ]


def test_image_problem_reads_registries_with_ports() -> None:
    assert image_problem("registry.example.com:443/team/app:2.0", ["latest"]) is None
