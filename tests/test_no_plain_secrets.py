"""No secret reaches a resource input or a stack output unless it is a Pulumi secret."""

import re
from collections.abc import Iterable
from typing import Any

import pytest

from preview.engine import RecordedResource, RecordedStack
from preview.mocks import ApplyMocks, PlanMocks
from preview.values import UNKNOWN, Secret, walk
from tests.conftest import STACKS, record

SECRET_NAME = re.compile(
    r"(?i)(password|passwd|pwd|secret|token|private_?key|api_?key|credential|passphrase|requirepass)"
)
PRIVATE_KEY_TEXT = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
ENV_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.+)$", re.DOTALL)
MIN_KNOWN_SECRET = 8


def _leaves(recording: RecordedStack) -> Iterable[tuple[str, str, Any, bool]]:
    for resource in recording.resources:
        for path, value, secret in walk(resource.inputs):
            yield resource.urn, path, value, secret
    for path, value, secret in walk(recording.outputs):
        yield "stack outputs", path, value, secret


def _secret_values(value: Any, key: str = "") -> Iterable[str]:
    """Values that are secrets themselves: a secret scalar, or a secret-named entry of a secret map.

    A map is secret as a whole when one entry is (an SSH host beside an SSH key); its other entries
    are not secrets.
    """
    if isinstance(value, Secret):
        inner = value.value
        if isinstance(inner, str):
            yield inner
        else:
            yield from (str(leaf) for path, leaf, _ in walk(inner) if SECRET_NAME.search(path.rsplit(".", 1)[-1]))
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _secret_values(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _secret_values(item, key)


def plain_secrets(recording: RecordedStack, generated: Iterable[str] = ()) -> list[str]:
    """Every leaf that is, names or contains a secret without being a Pulumi secret."""
    leaves = list(_leaves(recording))
    sources = [resource.inputs for resource in recording.resources] + [recording.outputs]
    known = {value for source in sources for value in _secret_values(source)} | set(generated)
    known = {value for value in known if len(value) >= MIN_KNOWN_SECRET and value != str(UNKNOWN)}
    findings = []
    for owner, path, value, secret in leaves:
        if secret or value is UNKNOWN or value is None or isinstance(value, bool):
            continue
        text = str(value)
        key = path.rsplit(".", 1)[-1]
        assignment = ENV_ASSIGNMENT.match(text)
        if SECRET_NAME.search(key) and text:
            findings.append(f"{owner} {path}: named like a secret")
        elif assignment and SECRET_NAME.search(assignment[1]):
            findings.append(f"{owner} {path}: assigns {assignment[1]} in clear")
        elif PRIVATE_KEY_TEXT.search(text):
            findings.append(f"{owner} {path}: holds a private key")
        elif any(secret_value in text for secret_value in known):
            findings.append(f"{owner} {path}: contains a secret value")
    return findings


@pytest.mark.parametrize("stack", STACKS)
def test_after_apply_no_secret_is_in_clear(stack: str) -> None:
    mocks = ApplyMocks()
    recording = record(stack, mocks=mocks)
    assert mocks.generated, "the stack generates secrets, so this test has something to find"
    assert plain_secrets(recording, mocks.generated.values()) == []


@pytest.mark.parametrize("stack", STACKS)
def test_in_preview_no_secret_is_in_clear(stack: str) -> None:
    assert plain_secrets(record(stack, mocks=PlanMocks())) == []


def _resource(inputs: dict[str, Any]) -> RecordedResource:
    return RecordedResource("urn:test", "test:index:Thing", "thing", inputs=inputs)


@pytest.mark.parametrize(
    ("inputs", "finding"),
    [
        ({"rootPassword": "hunter2hunter2"}, "urn:test rootPassword: named like a secret"),
        ({"envs": ["POSTGRES_PASSWORD=hunter2hunter2"]}, "urn:test envs[0]: assigns POSTGRES_PASSWORD in clear"),
        ({"key": "-----BEGIN OPENSSH PRIVATE KEY-----\nabc"}, "urn:test key: holds a private key"),
        ({"command": "redis-server --requirepass s3cr3t-value-1234"}, "urn:test command: contains a secret value"),
        ({"connection": {"privateKey": "abc"}}, "urn:test connection.privateKey: named like a secret"),
    ],
)
def test_the_check_finds_each_kind_of_leak(inputs: dict[str, Any], finding: str) -> None:
    known = _resource({"password": Secret("s3cr3t-value-1234")})
    recording = RecordedStack("p", "s", (known, _resource(inputs)), ())
    assert plain_secrets(recording) == [finding]
