"""Keys that mean something else than they say: a misspelt namespace, a flat key with a dot, a misspelt key. Each
is one line naming the key meant."""

import pytest

from stack_config import ConfigError, load_stack_config
from stack_config.keys import did_you_mean
from stack_config.sensitive import looks_like_secret
from tests.conftest import NAMESPACE, stack_settings


def refused(extra: dict[str, str], secret_keys: frozenset[str] = frozenset()) -> list[str]:
    settings = stack_settings("staging")
    with pytest.raises(ConfigError) as caught:
        load_stack_config(NAMESPACE, "staging", {**settings.config, **extra}, secret_keys)
    return caught.value.problems


@pytest.mark.parametrize(
    ("key", "meant"),
    [("hetzner_coolify:domain", "hetzner-coolify:domain"), ("hetzner-colify:domain", "hetzner-coolify:domain"),
     ("Hetzner-Coolify:domain", "hetzner-coolify:domain"), ("hetznercoolify:adminCidrs", "hetzner-coolify:adminCidrs"),
     ("hclod:token", "hcloud:token"), ("cloudfare:apiToken", "cloudflare:apiToken")],
)  # fmt: skip
def test_a_misspelt_namespace_is_refused_with_the_one_meant(key: str, meant: str) -> None:
    namespace = key.partition(":")[0]
    assert refused({key: "example.org"}) == [
        f"{key}: {namespace!r} is not a namespace of this project or its providers; did you mean {meant}?"
    ]


@pytest.mark.parametrize(
    "key", ["hcloud:endpoint", "cloudflare:apiBaseUrl", "docker:host", "command:x", "random:x", "tls:proxy",
            "pulumi:tags", "aws:region", "kubernetes:context", "hetzner-coolify-policies:x"],
)  # fmt: skip
def test_the_providers_and_other_projects_namespaces_pass(key: str) -> None:
    settings = stack_settings("staging")
    assert load_stack_config(NAMESPACE, "staging", {**settings.config, key: "x"}).environment == "staging"


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("server.type", "cx43",
         "hetzner-coolify:server.type: is a flat key with a dot; set it nested with `pulumi config set --path "
         "server.type cx43`, or in the stack file as `type: cx43` under `hetzner-coolify:server:`"),
        ("dns.defaults.ttl", "300",
         "hetzner-coolify:dns.defaults.ttl: is a flat key with a dot; set it nested with `pulumi config set --path "
         "dns.defaults.ttl 300`, or in the stack file as `defaults: {ttl: 300}` under `hetzner-coolify:dns:`"),
        ("sever.type", "cx43",
         "hetzner-coolify:sever.type: is a flat key with a dot, and 'sever' is not a section of this configuration "
         "(did you mean server?); set it nested with `pulumi config set --path server.type cx43`, or in the stack "
         "file as `type: cx43` under `hetzner-coolify:server:`"),
        ("server.tpye", "cx43",
         "hetzner-coolify:server.tpye: is a flat key with a dot, and 'tpye' is not a key of server (did you mean "
         "type?); set it nested with `pulumi config set --path server.type cx43`, or in the stack file as "
         "`type: cx43` under `hetzner-coolify:server:`"),
        ("zzz.type", "cx43",
         "hetzner-coolify:zzz.type: is a flat key with a dot, and 'zzz' is not a section of this configuration "
         "(allowed: dns, server, coolify, postgres, redis, docker, backups, workers, monitoring, rotation, "
         "protection); set it nested with `pulumi config set --path zzz.type cx43`, or in the stack file as "
         "`type: cx43` under `hetzner-coolify:zzz:`"),
        ("coolify.adminUsername", "site admin",
         "hetzner-coolify:coolify.adminUsername: is a flat key with a dot; set it nested with `pulumi config set "
         "--path coolify.adminUsername 'site admin'`, or in the stack file as `adminUsername: 'site admin'` under "
         "`hetzner-coolify:coolify:`"),
    ],
    ids=["section-key", "deeper", "misspelt-section", "misspelt-key", "no-section", "quoted-value"],
)  # fmt: skip
def test_a_flat_key_with_a_dot_says_how_to_set_it_nested(key: str, value: str, expected: str) -> None:
    assert refused({f"{NAMESPACE}:{key}": value}) == [expected]


def test_a_flat_secret_is_never_quoted() -> None:
    assert refused(
        {f"{NAMESPACE}:backups.pingUrl": "https://hc-ping.com/x"}, frozenset({f"{NAMESPACE}:backups.pingUrl"})
    ) == [
        "hetzner-coolify:backups.pingUrl: is a flat key with a dot; set it nested with `pulumi config set --secret "
        "--path backups.pingUrl <value>`, or in the stack file as `pingUrl: <value>` under `hetzner-coolify:backups:`"
    ]


@pytest.mark.parametrize(
    ("name", "choices", "meant"),
    [("tpye", ("type", "location"), "type"), ("AdminCidrs", ("adminCidrs",), "adminCidrs"),
     ("admin_cidrs", ("adminCidrs",), "adminCidrs"), ("zzz", ("type", "location"), None)],
)  # fmt: skip
def test_did_you_mean(name: str, choices: tuple[str, ...], meant: str | None) -> None:
    assert did_you_mean(name, choices) == meant


COOLIFY_TOKEN = "3|Xk9pQ2mL7vR4tW8zB1nC6yH5jF0dG3sAe7uK2qPx"


def test_a_flat_key_never_quotes_a_secret_in_the_command_it_suggests() -> None:
    # A Coolify (Laravel Sanctum) token in clear under a key no section has: no command to set a refused key.
    (token_line,) = refused({"hetzner-coolify:coolify.apiToken": COOLIFY_TOKEN})
    assert COOLIFY_TOKEN not in token_line and "pulumi config set" not in token_line
    assert token_line == (
        "hetzner-coolify:coolify.apiToken: is a flat key with a dot, and 'apiToken' is not a key of coolify; "
        "allowed: version, adminEmail, adminUsername, closeDirectPorts"
    )
    # A value that looks like nothing secret, under a key named like a secret.
    (password_line,) = refused({"hetzner-coolify:backups.storage.secretAccessKey": "hunter2-Pass!"})
    assert "hunter2" not in password_line
    assert password_line.endswith(
        "`pulumi config set --path backups.storage.secretAccessKey <value>`, or in the stack file as "
        "`storage: {secretAccessKey: <value>}` under `hetzner-coolify:backups:`"
    )


def test_an_environment_set_as_a_secret_is_never_shown() -> None:
    settings = stack_settings("staging")
    # Nothing in the value looks secret: only how it was set says so.
    raw = {**settings.config, "hetzner-coolify:environment": "hunter2-Pass"}
    with pytest.raises(ConfigError) as caught:
        load_stack_config(NAMESPACE, "dev", raw, frozenset({"hetzner-coolify:environment"}))
    assert caught.value.problems == [
        "hetzner-coolify:environment: a secret value (set) is not an environment; allowed: staging, production"
    ]


def test_a_coolify_token_looks_like_a_secret() -> None:
    assert looks_like_secret(COOLIFY_TOKEN) and not looks_like_secret("3|short")
