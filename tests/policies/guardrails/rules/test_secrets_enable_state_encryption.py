"""secrets-enable-state-encryption, through the pack: an input is judged by the secret mark the engine sends with it
(a secret Output, a secret config value), never by `additional_secret_outputs`, which marks outputs only."""

from typing import Any

import pytest

from preview.values import UNKNOWN, Secret
from tests.policies.conftest import Check, Resource
from tests.policies.guardrails.rules.containers import CONTAINER, STRONG

POLICY = "secrets-enable-state-encryption"
PLAIN = (
    "is a plain value, stored unencrypted in the state; pass a secret Output (a RandomPassword's result, "
    "pulumi.Output.secret(...) or a secret config value)."
)
ON_THE_COMMAND_LINE = (
    "is a secret on the command line, which every process listing on the server shows; pass it in the command's "
    "environment or on stdin."
)


def postgres(password: Any, *, secret_outputs: tuple[str, ...] = ()) -> Resource:
    envs = ["POSTGRES_USER=app", password]
    return Resource(CONTAINER, {"image": "postgres:17.6", "envs": envs}, additional_secret_outputs=secret_outputs)


def test_a_secret_output_passes_without_being_listed_as_a_secret_output(check: Check) -> None:
    assert check(POLICY, postgres(Secret(f"POSTGRES_PASSWORD={STRONG}"))) == []


def test_a_property_that_is_secret_as_a_whole_passes(check: Check) -> None:
    resource = Resource(CONTAINER, {"image": "postgres:17.6", "envs": Secret([f"POSTGRES_PASSWORD={STRONG}"])})
    assert check(POLICY, resource) == []


@pytest.mark.parametrize("secret_outputs", [(), ("envs",)], ids=["unlisted", "listed-as-secret-output"])
def test_a_plain_password_is_refused_however_the_outputs_are_marked(
    check: Check, secret_outputs: tuple[str, ...]
) -> None:
    resource = postgres(f"POSTGRES_PASSWORD={STRONG}", secret_outputs=secret_outputs)
    assert check(POLICY, resource) == [f"envs POSTGRES_PASSWORD {PLAIN}"]


def test_a_generated_value_that_is_not_secret_is_refused(check: Check) -> None:
    """An unknown value stays plain in the state once it is known, unless it is a secret Output."""
    assert check(POLICY, postgres(UNKNOWN)) == []  # which variable it sets is unknown too
    command = Resource("command:remote:Command", {"create": "x", "environment": {"ROOT_USER_PASSWORD": UNKNOWN}})
    assert check(POLICY, command) == [f"environment ROOT_USER_PASSWORD {PLAIN}"]
    command.props["environment"]["ROOT_USER_PASSWORD"] = Secret(UNKNOWN)
    assert check(POLICY, command) == []


@pytest.mark.parametrize(
    ("props", "label"),
    [
        ({"image": "redis:7.4.1", "command": ["redis-server", "--requirepass", STRONG]}, "command --requirepass"),
        ({"image": "app:1.0", "envs": [f"DATABASE_URL=postgres://app:{STRONG}@db/app"]}, "envs[0] URL password"),
        ({"image": "app:1.0", "envs": [f"VAULT_SECRET_ID={STRONG}"]}, "envs VAULT_SECRET_ID"),
    ],
    ids=["redis-command", "url-password", "secret-id"],
)
def test_secrets_wherever_a_container_holds_them(check: Check, props: dict[str, Any], label: str) -> None:
    assert check(POLICY, Resource(CONTAINER, props)) == [f"{label} {PLAIN}"]
    secret = {key: Secret(value) if key != "image" else value for key, value in props.items()}
    assert check(POLICY, Resource(CONTAINER, secret)) == []


def test_names_of_users_are_not_secrets(check: Check) -> None:
    envs = ["MINIO_ROOT_USER=admin", "AWS_ACCESS_KEY_ID=AKIAEXAMPLE", Secret(f"MINIO_ROOT_PASSWORD={STRONG}")]
    assert check(POLICY, Resource(CONTAINER, {"image": "minio/minio:RELEASE.2025-09-07T16-13-09Z", "envs": envs})) == []


def test_secrets_on_a_command_line_are_refused_even_when_secret(check: Check) -> None:
    line = f"ROOT_USERNAME=ops ROOT_USER_PASSWORD={STRONG} bash /opt/install.sh"
    for create in (line, Secret(line)):
        assert check(POLICY, Resource("command:remote:Command", {"create": create})) == [
            f"create ROOT_USER_PASSWORD {ON_THE_COMMAND_LINE}"
        ]
    environment = {"ROOT_USER_PASSWORD": Secret(STRONG)}
    passed = Resource("command:remote:Command", {"create": "bash /opt/install.sh", "environment": environment})
    assert check(POLICY, passed) == []


def test_a_secret_on_stdin_is_judged_as_an_input(check: Check) -> None:
    command = Resource("command:remote:Command", {"create": "chpasswd", "stdin": f"DB_PASSWORD={STRONG}"})
    assert check(POLICY, command) == [f"stdin DB_PASSWORD {PLAIN}"]
    command.props["stdin"] = Secret(command.props["stdin"])
    assert check(POLICY, command) == []


def test_provider_configuration_is_left_to_the_engine(check: Check) -> None:
    assert check(POLICY, Resource("pulumi:providers:hcloud", {"token": "plain-but-from-config"}, name="default")) == []


def test_a_build_secret_reference_is_not_a_secret_on_the_command_line(check: Check) -> None:
    build = "docker buildx build --secret id=npmrc,src=/root/.npmrc -t app:1.0 ."
    assert check(POLICY, Resource("command:remote:Command", {"create": build})) == []
