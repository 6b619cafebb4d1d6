"""The gate before the model: secrets and private keys are named, never shown; hostile text and sizes are refused
in one line naming the key."""

import json
from typing import Any

import pytest

from stack_config import ConfigError, load_stack_config
from tests.conftest import NAMESPACE, stack_settings
from tests.stack_config.conftest import ALICE, load, problems

OPENSSH_PRIVATE = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)
AGE_IDENTITY = "AGE-SECRET-KEY-1ZK33ZAVMCYH5FQZY8F8G9LV2QR2U3TJFERFD3GK7567QTGGKFU4SZZGCLW"
HETZNER_TOKEN = "h7Qk2LmN9pR4sT6vW8xY0zA1bC3dE5fG7hJ9kL2mN4pQ6rS8tU0vW2xY4zA6bC8d"
SECRETS = (OPENSSH_PRIVATE, AGE_IDENTITY, HETZNER_TOKEN, "b3BlbnNzaC1rZXktdjEAAAAA")


def raw_problems(extra: dict[str, str], secret_keys: frozenset[str] = frozenset()) -> list[str]:
    settings = stack_settings("staging")
    with pytest.raises(ConfigError) as refused:
        load_stack_config(NAMESPACE, "staging", {**settings.config, **extra}, secret_keys)
    return refused.value.problems


BAD_VALUES: list[tuple[dict[str, Any], str]] = [
    ({"backups": {"ageRecipient": AGE_IDENTITY}},
     "hetzner-coolify:backups.ageRecipient: holds an age identity (a private key): put the recipient, age1…, here "
     "and keep the identity off this file"),
    ({"adminSshKeys": [{"name": "bob", "publicKey": OPENSSH_PRIVATE}]},
     "hetzner-coolify:adminSshKeys[0].publicKey: holds an OpenSSH private key: paste the public half (the .pub "
     "file) here and keep the private key off this file"),
    ({"adminSshKeys": [{"name": "bob", "publicKey": "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n"}]},
     "hetzner-coolify:adminSshKeys[0].publicKey: holds a PEM private key: paste the public half (the .pub file) "
     "here and keep the private key off this file"),
    ({"dns": {"namespace": "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU"}},
     "hetzner-coolify:dns.namespace: holds an OpenSSH private key: keep it off this file; a secret the program "
     "needs is set with `pulumi config set --secret`"),
    ({"coolify": {"adminEmail": f"ops@example.com {AGE_IDENTITY.lower()}"}},
     "hetzner-coolify:coolify.adminEmail: holds an age identity (a private key): keep it off this file; a secret "
     "the program needs is set with `pulumi config set --secret`"),
    ({"domain": HETZNER_TOKEN},
     "hetzner-coolify:domain: a value that looks like a secret (64 characters, not shown) is not a domain name; "
     "expected the Cloudflare zone's name, e.g. example.com (labels of 1-63 of a-z, 0-9 and '-', at most 253 "
     "characters)"),
    ({"adminSshKeys": [{"name": "bob", "publicKey": ALICE + "\nssh-ed25519 AAAA evil"}]},
     "hetzner-coolify:adminSshKeys[0].publicKey: contains U+000A (LINE FEED) at character 99; allowed: printable "
     "text on one line (a line break or control character could add a line to a file on the server)"),
    ({"adminSshKeys": [{"name": "bob", "publicKey": ALICE + "\r"}]},
     "hetzner-coolify:adminSshKeys[0].publicKey: contains U+000D (CARRIAGE RETURN) at character 99; allowed: "
     "printable text on one line (a line break or control character could add a line to a file on the server)"),
    ({"server": {"adminUser": "ops\u202e"}},
     "hetzner-coolify:server.adminUser: contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 4; allowed: "
     "printable text on one line (a line break or control character could add a line to a file on the server)"),
    ({"domain": "\ufeffexample.com"},
     "hetzner-coolify:domain: contains U+FEFF (ZERO WIDTH NO-BREAK SPACE) at character 1; allowed: printable text "
     "on one line (a line break or control character could add a line to a file on the server)"),
    ({"coolify": {"adminUsername": "ad\u00a0min"}},
     "hetzner-coolify:coolify.adminUsername: contains U+00A0 (NO-BREAK SPACE) at character 3; allowed: printable "
     "text on one line (a line break or control character could add a line to a file on the server)"),
    ({"adminSshKeys": [{"name": "bob", "publicKey": ALICE + " " + "c" * 9000}]},
     "hetzner-coolify:adminSshKeys[0].publicKey: is 9099 characters long; allowed: at most 8192 (values reach the "
     "server on command lines, which Linux caps at 128 KiB an argument)"),
    ({"adminSshKeys": [{"name": "bob", "publicKey": ALICE + " " + "c" * 1100}]},
     f"hetzner-coolify:adminSshKeys[0].publicKey: '{ALICE[:80]}…' (1199 characters) has a comment of 1118 "
     "characters; allowed: at most 1024"),
    ({"adminSshKeys": [{"name": "bob", "publicKey": ALICE + " " + "c" * 5000}]},
     f"hetzner-coolify:adminSshKeys[0].publicKey: '{ALICE[:80]}…' (5099 characters) is 5099 characters long; "
     "allowed: at most 4096 (an RSA-16384 key and a comment)"),
    ({"adminSshKeys": [{"name": f"k{index}", "publicKey": ALICE} for index in range(33)]},
     "hetzner-coolify:adminSshKeys: has 33 items; allowed: 1-32 items"),
    ({"dns": {"subdomains": [f"app{index}" for index in range(51)]}},
     "hetzner-coolify:dns.subdomains: has 51 items; allowed: at most 50 items"),
    ({"dns": {"subdomains": [f"a{index}" for index in range(101)]}},
     "hetzner-coolify:dns.subdomains: is a list of 101 items; allowed: at most 100"),
    ({"workers": {"count": 10**30}},
     "hetzner-coolify:workers.count: is a number of 31 digits; allowed: numbers up to 2^53"),
    ({"dns": {"overrides": {"a": {"b": {"c": {"d": {"e": 1}}}}}}},
     "hetzner-coolify:dns.overrides.a.b.c.d.e: is nested 7 levels deep; allowed: at most 6 (this configuration is 4 "
     "deep)"),
    ({"server": {"bad\nkey": 1}},
     "hetzner-coolify:server['bad\\nkey']: is not a key of this configuration; keys are names of at most 63 "
     "characters"),
    ({"dns": {"namespace": "stag\u0456ng"}},
     "hetzner-coolify:dns.namespace: 'stag\\u0456ng' is not a DNS name space; allowed: '' or labels of 1-63 of a-z, "
     "0-9 and '-' (not starting or ending with '-') joined by dots, at most 253 characters"),
    ({"domain": "\u0435xample.com"},
     "hetzner-coolify:domain: '\\u0435xample.com' is not a domain name; expected the Cloudflare zone's name, e.g. "
     "example.com (labels of 1-63 of a-z, 0-9 and '-', at most 253 characters) (character 1 is U+0435, not ASCII: "
     "a look-alike of a Latin letter? write an internationalized name in its xn-- form)"),
    ({"docker": {"sshIdentityFile": "~/.ssh/id\u00e9"}},
     "hetzner-coolify:docker.sshIdentityFile: '~/.ssh/id\\xe9' is not a file path; allowed: printable ASCII, at "
     "most 4095 characters (Linux's PATH_MAX)"),
    ({"dns": {"zoneId": "my zone"}},
     "hetzner-coolify:dns.zoneId: 'my zone' is not a Cloudflare zone id (32 hex digits)"),
    ({"postgres": {"image": "ghcr.io/evil/postgres:17.6"}},
     "hetzner-coolify:postgres.image: 'ghcr.io/evil/postgres:17.6' is not an allowed image; allowed: postgres, "
     "timescale/timescaledb, timescale/timescaledb-ha, postgis/postgis, pgvector/pgvector from Docker Hub with a "
     "release tag, e.g. postgres:17.6-bookworm, optionally followed by @sha256:<digest>"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "expected"), BAD_VALUES, ids=[line.split(":")[1] for _, line in BAD_VALUES])
def test_hostile_values_are_refused_in_one_line_naming_the_key(changes: dict[str, Any], expected: str) -> None:
    lines = problems("staging", changes)
    assert lines == [expected]
    assert not any(secret in lines[0] for secret in SECRETS)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("hcloud:token", "abc",
         "hcloud:token: is a provider credential in clear text; set it with `pulumi config set --secret "
         "hcloud:token` (the stack file then holds it encrypted, under secure:)"),
        ("cloudflare:apiToken", "abc",
         "cloudflare:apiToken: is a provider credential in clear text; set it with `pulumi config set --secret "
         "cloudflare:apiToken` (the stack file then holds it encrypted, under secure:)"),
        ("cloudflare:apiKey", "abc",
         "cloudflare:apiKey: is a provider credential in clear text; set it with `pulumi config set --secret "
         "cloudflare:apiKey` (the stack file then holds it encrypted, under secure:)"),
        ("docker:registryAuth", json.dumps([{"address": "docker.io", "password": "hunter2"}]),
         "docker:registryAuth: is a provider credential in clear text; set it with `pulumi config set --secret "
         "docker:registryAuth` (the stack file then holds it encrypted, under secure:)"),
        ("docker:keyMaterial", OPENSSH_PRIVATE,
         "docker:keyMaterial: holds an OpenSSH private key in clear text; set it with `pulumi config set --secret "
         "docker:keyMaterial`"),
        ("other:anything", AGE_IDENTITY,
         "other:anything: holds an age identity (a private key) in clear text; set it with `pulumi config set "
         "--secret other:anything`"),
    ],
    ids=["hcloud-token", "cloudflare-token", "cloudflare-key", "registry-password", "docker-key", "age-identity"],
)  # fmt: skip
def test_provider_secrets_must_be_set_as_secrets(key: str, value: str, expected: str) -> None:
    lines = raw_problems({key: value})
    assert lines == [expected]
    assert value not in lines[0]
    settings = stack_settings("staging")
    config = {**settings.config, key: value}
    assert load_stack_config(NAMESPACE, "staging", config, frozenset({key})).environment == "staging"


def test_a_registry_without_password_is_no_secret() -> None:
    settings = stack_settings("staging")
    config = {**settings.config, "docker:registryAuth": json.dumps([{"address": "docker.io"}])}
    assert load_stack_config(NAMESPACE, "staging", config).environment == "staging"


def test_a_secret_key_is_never_shown_even_in_the_sections_own_rules() -> None:
    lines = problems("staging", {"dns": {"overrides": {"mail": {"ttl": 300}}}}, frozenset({f"{NAMESPACE}:dns"}))
    assert lines == [
        "hetzner-coolify:dns.overrides: a secret value are not records of this stack; allowed: a secret value"
    ]


def test_a_secret_that_looks_like_one_in_a_list_is_not_shown() -> None:
    assert problems("staging", {"adminCidrs": {"token": HETZNER_TOKEN}}) == [
        "hetzner-coolify:adminCidrs: a mapping holding a value that looks like a secret is not a list; allowed: a list "
        "of 1-98 items, each an IPv4 or IPv6 network in CIDR notation, e.g. 203.0.113.0/24 or 2001:db8::/48"
    ]


def test_pydantic_errors_never_carry_the_input_in_their_text() -> None:
    from pydantic import ValidationError  # noqa: PLC0415

    from stack_config import StackConfig  # noqa: PLC0415

    with pytest.raises(ValidationError) as refused:
        StackConfig.model_validate({"environment": "staging", "coolifyApiToken": ["hunter2-secret"]})
    assert "hunter2-secret" not in str(refused.value)


def test_the_shipped_values_pass_the_gate() -> None:
    assert load("staging").admin_ssh_keys[0].public_key == ALICE


def test_a_ciphertext_in_the_wrong_place_is_not_shown() -> None:
    ciphertext = "v1:4mJbnLrc5Xc=:Z2Vuc+VyYXRlZCBjaXBoZXJ0ZXh0IGZvciB0ZXN0"
    assert problems("staging", {"domain": ciphertext}) == [
        f"hetzner-coolify:domain: a value that looks like a secret ({len(ciphertext)} characters, not shown) is not "
        "a domain name; expected the Cloudflare zone's name, e.g. example.com (labels of 1-63 of a-z, 0-9 and '-', "
        "at most 253 characters)"
    ]
