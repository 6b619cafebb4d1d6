"""No default secrets: every family of weak value, in every place a secret hides, through the pack."""

from typing import Any

import pytest

from policies.guardrails.support.secret_strength import entropy_per_character
from preview.values import UNKNOWN, Secret
from tests.policies.conftest import Check, Resource

POLICY = "secrets-disallow-default-values"


STRONG = "K8vR2mQ9xL4pT7wZ3nB6yH1jF5dG0sCa"  # 32 characters, about 4.9 bits each
FIX = "; generate it (pulumi-random) or set it with `pulumi config set --secret`."


BUILT_ON = "is built on a well-known word; without it, what is left is weak"


def refused(where: str, reason: str = "is a well-known default or placeholder") -> str:
    return f"{where} {reason}{FIX}"


def postgres(password: Any, user: str = "app", *extra: str) -> Resource:
    envs: list[Any] = [f"POSTGRES_USER={user}", "POSTGRES_DB=app", *extra]
    envs.append(password if password is UNKNOWN else f"POSTGRES_PASSWORD={password}")
    return Resource("docker:index/container:Container", {"image": "postgres:16.4", "envs": envs}, name="db")


def test_a_strong_generated_password_passes(check: Check) -> None:
    assert check(POLICY, postgres(STRONG)) == []


@pytest.mark.parametrize(
    "value",
    ["changethis", "changeme", "changeit", "password", "postgres", "redis", "admin", "root", "secret", "test",
     "example", "CHANGE_ME", "Password123!", "p@ssw0rd", "changeme-please"[:8]],
)  # fmt: skip
def test_defaults_and_placeholders_are_refused(check: Check, value: str) -> None:
    assert check(POLICY, postgres(value)) == [refused("envs POSTGRES_PASSWORD")]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("${POSTGRES_PASSWORD}", "is an unfilled template placeholder"),
        ("<your password>", "is an unfilled template placeholder"),
        ("appuser", "equals its user name"),
        ("AppUser", "equals its user name"),
        ("abababababababababababab", "repeats one short pattern"),
        ("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "repeats one short pattern"),
        ("abcdefghijklmnopqrstu", "is a run of consecutive characters"),
        ("987654321098765", "is a run of consecutive characters"),
        ("qwertyuiopasdfghjkl", "is a run of consecutive characters"),
        ("Xk9#mQ2vL8pR4tW", "is shorter than 16 characters (15)"),
        ("aaaabbbbccccddddeeeeffff", "has too little entropy (2.6 bits per character; at least 3.0 required)"),
        ("", "is empty"),
    ],
)
def test_weak_values_are_refused_with_the_reason(check: Check, value: str, reason: str) -> None:
    assert check(POLICY, postgres(value, user="appuser")) == [refused("envs POSTGRES_PASSWORD", reason)]


def test_length_edges(check: Check) -> None:
    assert check(POLICY, postgres(STRONG[:16])) == []
    assert check(POLICY, postgres(STRONG[:15])) == [
        refused("envs POSTGRES_PASSWORD", "is shorter than 16 characters (15)")
    ]
    assert check(POLICY, postgres(STRONG[:31]), config={"minLength": 32}) == [
        refused("envs POSTGRES_PASSWORD", "is shorter than 32 characters (31)")
    ]
    assert check(POLICY, postgres(STRONG), config={"minLength": 32}) == []


def test_entropy_edge_is_configurable(check: Check) -> None:
    value = "aabbccddeeffgghhiijj"  # 10 symbols, evenly used: log2(10) = 3.32 bits per character
    assert round(entropy_per_character(value), 2) == 3.32
    assert check(POLICY, postgres(value)) == []
    assert check(POLICY, postgres(value), config={"minEntropyBitsPerChar": 3.5}) == [
        refused("envs POSTGRES_PASSWORD", "has too little entropy (3.3 bits per character; at least 3.5 required)")
    ]


def test_marking_a_default_as_secret_does_not_make_it_acceptable(check: Check) -> None:
    resource = postgres("unused")
    resource.props["envs"] = Secret(["POSTGRES_USER=app", "POSTGRES_PASSWORD=changeme"])
    assert check(POLICY, resource) == [refused("envs POSTGRES_PASSWORD")]


def test_generated_values_unknown_at_preview_are_not_judged(check: Check, diagnose: Any) -> None:
    assert check(POLICY, postgres(UNKNOWN)) == []
    assert diagnose(POLICY, postgres(UNKNOWN)) == []


def test_the_postgres_user_defaults_to_postgres(check: Check) -> None:
    resource = Resource(
        "docker:index/container:Container", {"image": "postgres:16.4", "envs": ["POSTGRES_PASSWORD=Postgres"]}
    )
    assert check(POLICY, resource) == [refused("envs POSTGRES_PASSWORD")]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["redis-server", "--requirepass", "redis"], refused("command --requirepass")),
        (["redis-server", "--requirepass=changeme"], refused("command --requirepass")),
        (
            ["sh", "-c", "redis-server --appendonly yes --requirepass default"],
            refused("command --requirepass"),
        ),
        (["redis-server", "--requirepass", STRONG], None),
        (["redis-server", "--requirepass", UNKNOWN], None),
        (["sh", "-c", 'exec redis-server --requirepass "$REDIS_PASSWORD"'], None),
    ],
)
def test_redis_passwords_on_the_command_line(check: Check, command: list[Any], expected: str | None) -> None:
    resource = Resource("docker:index/container:Container", {"image": "redis:7.4", "command": command})
    assert check(POLICY, resource) == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        (
            {"image": "app:1.0", "envs": ["DATABASE_URL=postgres://app:changeme@db:5432/app"]},
            refused("envs[0] URL password"),
        ),
        (
            {"image": "app:1.0", "envs": [f"REDIS_URL=redis://default:{STRONG}@cache:6379/0"]},
            None,
        ),
        (
            {"image": "app:1.0", "envs": ["APP_KEY=secret", "SECRET_KEY_BASE=test"]},
            refused("envs APP_KEY"),
        ),
        ({"image": "app:1.0", "envs": ["AWS_ACCESS_KEY_ID=AKIA", "PUBLIC_KEY=x", "PASSWORD_FILE=/run/p"]}, None),
    ],
    ids=["url-credentials", "strong-url-credentials", "app-secrets", "not-secret-names"],
)
def test_secrets_in_app_containers(check: Check, props: dict[str, Any], expected: str | None) -> None:
    found = check(POLICY, Resource("docker:index/container:Container", props))
    assert found[:1] == ([expected] if expected else [])


def test_remote_command_environment(check: Check) -> None:
    environment = {"ROOT_USERNAME": "admin", "ROOT_USER_EMAIL": "ops@example.com", "ROOT_USER_PASSWORD": "admin"}
    command = Resource("command:remote:Command", {"create": "install.sh", "environment": environment})
    assert check(POLICY, command) == [refused("environment ROOT_USER_PASSWORD")]
    environment["ROOT_USER_PASSWORD"] = STRONG
    assert check(POLICY, command) == []
    environment["ROOT_USERNAME"] = environment["ROOT_USER_PASSWORD"] = "operator-on-duty"
    assert check(POLICY, command) == [refused("environment ROOT_USER_PASSWORD", "equals its user name")]


@pytest.mark.parametrize(
    ("provider_type", "props", "expected"),
    [
        ("pulumi:providers:hcloud", {"token": "changeme"}, refused("token")),
        ("pulumi:providers:cloudflare", {"apiToken": "test"}, refused("apiToken")),
        ("pulumi:providers:hcloud", {"token": STRONG + STRONG[::-1]}, None),
        ("pulumi:providers:docker", {"host": "ssh://root@x", "registryAuth": {"password": "admin"}},
         refused("registryAuth.password")),
    ],
)  # fmt: skip
def test_provider_tokens(check: Check, provider_type: str, props: dict[str, Any], expected: str | None) -> None:
    assert check(POLICY, Resource(provider_type, props, name="default")) == ([expected] if expected else [])


def test_the_denylist_can_be_extended(check: Check) -> None:
    assert check(POLICY, postgres("Acme2026!"), config={"denylist": ["acme"]}) == [refused("envs POSTGRES_PASSWORD")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Postgres2024!", refused("envs POSTGRES_PASSWORD", "is a well-known default or placeholder")),
        ("SuperPostgres2024", refused("envs POSTGRES_PASSWORD", BUILT_ON)),
        ("Redis-2026-prod", refused("envs POSTGRES_PASSWORD", BUILT_ON)),
        ("aaaaaaaaaaaaChangeMe", refused("envs POSTGRES_PASSWORD", BUILT_ON)),
        # A random value that happens to contain a word keeps nearly all of its length and spread.
        ("K8vR2mQ9xL4pTestZ3nB6yH1jF5dG0sCa", None),
    ],
    ids=["word-and-digits", "word-inside", "word-with-suffix", "word-after-filler", "random-with-a-word"],
)
def test_values_built_on_a_well_known_word(check: Check, value: str, expected: str | None) -> None:
    assert check(POLICY, postgres(value)) == ([expected] if expected else [])


def app(*envs: str) -> Resource:
    return Resource("docker:index/container:Container", {"image": "app:1.0", "envs": list(envs)}, name="app")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ("PGPASSWORD=postgres", refused("envs PGPASSWORD")),
        ("DB_PASS=changeme", refused("envs DB_PASS")),
        ("VAULT_SECRET_ID=test", refused("envs VAULT_SECRET_ID")),
        ("CF_TOKEN_ID=example", refused("envs CF_TOKEN_ID")),
        ("MINIO_SECRET_KEY=minioadmin12", refused("envs MINIO_SECRET_KEY", BUILT_ON)),
        ("DATABASE_URL=postgres://db:5432/app?sslmode=require&password=changeme",
         refused("envs[0] URL query password")),
        ("REDIS_URL=redis://cache:6379/0?token=secret", refused("envs[0] URL query token")),
        (f"DATABASE_URL=postgres://db:5432/app?password={STRONG}", None),
        ("DATABASE_URL=postgres://app:${DB_PASSWORD}@db/app", None),
    ],
    ids=["PGPASSWORD", "DB_PASS", "SECRET_ID", "TOKEN_ID", "SECRET_KEY", "url-query-password", "url-query-token",
         "strong-url-query", "url-expansion"],
)  # fmt: skip
def test_secrets_any_app_holds(check: Check, env: str, expected: str | None) -> None:
    assert check(POLICY, app(env)) == ([expected] if expected else [])


@pytest.mark.parametrize(
    "env",
    ["MINIO_ROOT_USER=admin", "MINIO_ACCESS_KEY=minio", "AWS_ACCESS_KEY_ID=AKIAEXAMPLE", "S3_ACCESS_KEY=root",
     "POSTGRES_USER=postgres", "DB_PASSWORD_FILE=/run/secrets/db", "PWD=/app", "OLDPWD=/", "TOKEN_URL=https://x/t",
     "DEPLOY_PUBLIC_KEY=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJrMf4bH2e2Pq2o6oQ0x6o0Jc0ZbW6W3Xl2h1Yw8QxYz ops"],
)  # fmt: skip
def test_names_of_users_and_places_are_not_secrets(check: Check, env: str) -> None:
    assert check(POLICY, app(env)) == []


def test_passwords_on_a_remote_command_line(check: Check) -> None:
    line = "ROOT_USERNAME=admin ROOT_USER_PASSWORD=changethis bash /opt/install.sh"
    command = Resource("command:remote:Command", {"create": line})
    assert check(POLICY, command) == [refused("create ROOT_USER_PASSWORD")]
    flag = Resource("command:remote:Command", {"create": "mc admin user add local app --password admin"})
    assert check(POLICY, flag) == [refused("create --password")]
    expanded = Resource("command:remote:Command", {"create": 'ROOT_USER_PASSWORD="$PASSWORD" bash /opt/install.sh'})
    assert check(POLICY, expanded) == []


def test_registry_credentials_inside_lists(check: Check) -> None:
    auth = [{"address": "ghcr.io", "username": "ci", "password": STRONG}, {"address": "r.io", "password": "admin"}]
    provider = Resource("pulumi:providers:docker", {"host": "ssh://root@x", "registryAuth": auth}, name="default")
    assert check(POLICY, provider) == [refused("registryAuth[1].password")]


def test_only_a_whole_public_key_is_exempt(check: Check) -> None:
    assert check(POLICY, app("DEPLOY_KEY=ssh-rsa AAAAx")) == [
        refused("envs DEPLOY_KEY", "is shorter than 16 characters (13)")
    ]
