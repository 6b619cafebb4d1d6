"""What the loader says: every key's wrong value is one line that names the key and what is allowed, without
pydantic's internals, and every independent problem of a file is reported at once, in the file's order."""

import json
from collections.abc import Callable, Iterator
from types import UnionType
from typing import Any, Literal, NamedTuple, Union, get_args, get_origin

import annotated_types
import pytest
from pydantic import BaseModel, SecretStr, Tag

from stack_config import ConfigError, StackConfig, load_stack_config
from stack_config.base import ConfigModel
from stack_config.messages import unwrap
from tests.conftest import NAMESPACE, stack_settings
from tests.stack_config.conftest import ALICE, problems

# What no line may contain: pydantic's own wording and names of the model's classes.
INTERNALS = ("Input should", "input should", "model_type", "None is not", "instance of", "valid dictionary",
             "pydantic", "type=")  # fmt: skip
NULL = "__null__"
S3_STORAGE: dict[str, Any] = {
    "kind": "s3",
    "accountId": None,
    "endpoint": "https://fsn1.your-objectstorage.com",
    "bucket": "b-1",
}


def _classes(model: type[BaseModel]) -> Iterator[str]:
    for subclass in model.__subclasses__():
        yield subclass.__name__
        yield from _classes(subclass)


CLASS_NAMES = tuple(_classes(ConfigModel))


Wrap = Callable[[Any], dict[str, Any]]


class Key(NamedTuple):
    name: str
    """As a message names it: `adminSshKeys[0].publicKey`."""
    annotation: Any
    metadata: tuple[Any, ...]
    nullable: bool
    """Whether null is allowed there, or (at the top level, where Pulumi passes text) cannot be given."""
    at: Wrap
    """How to set a value there, as the changes stack_settings takes."""


def keys_of(model: type[BaseModel], prefix: str, wrap: Wrap) -> Iterator[Key]:
    """Every key of `model` and every key inside it: sections, list items, mapping values and each kind of a
    tagged union."""
    for name, field in model.model_fields.items():
        alias = field.alias or name
        key = f"{prefix}{alias}"
        annotation, metadata = unwrap(field.annotation)
        metadata = (*field.metadata, *metadata)
        nullable = not prefix or type(None) in get_args(field.annotation)

        def at(value: Any, alias: str = alias) -> dict[str, Any]:
            return wrap({alias: value})

        yield Key(key, annotation, metadata, nullable, at)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from keys_of(annotation, f"{key}.", at)
        elif get_origin(annotation) is list:
            item, _ = unwrap(get_args(annotation)[0])
            if isinstance(item, type) and issubclass(item, BaseModel):
                yield from keys_of(
                    item, f"{key}[0].", _within(at, lambda value: [{"name": "bob", "publicKey": ALICE, **value}])
                )
        elif get_origin(annotation) is dict:
            value_model, _ = unwrap(get_args(annotation)[1])
            yield from keys_of(value_model, f"{key}.api.", _within(at, lambda value: {"api": value}))
        elif get_origin(annotation) in (Union, UnionType):
            for member in get_args(annotation):
                tag = next(extra.tag for extra in get_args(member)[1:] if isinstance(extra, Tag))
                base: dict[str, Any] = S3_STORAGE if tag == "s3" else {}
                yield from keys_of(get_args(member)[0], f"{key}.", _within(at, _over(base)))


def _within(at: Wrap, inner: Callable[[Any], Any]) -> Wrap:
    return lambda value: at(inner(value))


def _over(base: dict[str, Any]) -> Callable[[Any], Any]:
    return lambda value: {**base, **value}


def wrong_values(key: Key) -> list[Any]:
    """Values of the wrong kind for a key, and numbers just out of its range."""
    return [value for value in _wrong_values(key.annotation, key.metadata) if value != NULL or not key.nullable]


def _wrong_values(annotation: Any, metadata: tuple[Any, ...]) -> list[Any]:
    if annotation is bool:
        return ["maybe", NULL]
    if annotation is int:
        low: Any = next((item.ge for item in metadata if isinstance(item, annotated_types.Ge)), None)
        high: Any = next((item.le for item in metadata if isinstance(item, annotated_types.Le)), None)
        bounds = (low - 1 if low is not None else None, high + 1 if high is not None else None)
        return ["many", 2.5, *(value for value in bounds if value is not None)]
    if annotation is str or annotation is SecretStr or get_origin(annotation) is Literal:
        return [[1], {"a": 1}, NULL]
    if get_origin(annotation) is list:
        return ["text", {"a": 1}]
    return ["text", [1], NULL]


CASES = [
    pytest.param(key.name, value, key.at, id=f"{key.name}={json.dumps(value)}")
    for key in keys_of(StackConfig, "", lambda value: value)
    for value in wrong_values(key)
]


def load_raw(changes: dict[str, Any]) -> list[str]:
    """Load the shipped staging file with `changes` (as stack_settings takes them; a top-level key that is text
    there may be given any value here), NULL standing for JSON's null."""
    shipped = stack_settings("staging").config
    plain = {key for key in changes if not shipped.get(f"{NAMESPACE}:{key}", "{").startswith(("{", "["))}
    settings = stack_settings("staging", {key: value for key, value in changes.items() if key not in plain})
    given = {f"{NAMESPACE}:{key}": changes[key] for key in plain}
    texts = {key: value if isinstance(value, str) else json.dumps(value) for key, value in given.items()}
    config = {key: text.replace(f'"{NULL}"', "null") for key, text in {**settings.config, **texts}.items()}
    with pytest.raises(ConfigError) as refused:
        load_stack_config(NAMESPACE, "staging", config, settings.secret_keys)
    return refused.value.problems


def test_every_key_is_walked() -> None:
    keys = {key.name for key in keys_of(StackConfig, "", lambda value: value)}
    assert {
        "server.type",
        "adminSshKeys[0].publicKey",
        "dns.overrides.api.ttl",
        "backups.storage.accountId",
        "backups.storage.endpoint",
        "workers.loadBalancer.healthCheckLabel",
        "coolifyApiToken",
    } <= keys
    assert len(keys) >= 70
    assert len(CASES) >= 180


@pytest.mark.parametrize(("key", "value", "at"), CASES)
def test_a_wrong_value_names_its_key_and_what_is_allowed(key: str, value: Any, at: Callable[[Any], Any]) -> None:
    lines = load_raw(at(value))
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"hetzner-coolify:{key}: "), lines[0]
    assert not [internal for internal in (*INTERNALS, *CLASS_NAMES) if internal in lines[0]], lines[0]
    assert "allowed" in lines[0], lines[0]


EXACT: list[tuple[dict[str, Any], str]] = [
    ({"postgres": {"memoryMb": "2GB"}},
     "hetzner-coolify:postgres.memoryMb: '2GB' is not a whole number; allowed: 256-262144 (memory limit of the "
     "container, MiB)"),
    ({"server": "cx43"},
     "hetzner-coolify:server: 'cx43' is text, not a mapping; allowed: a mapping with the keys type, location, "
     "image, backups, adminUser"),
    ({"adminSshKeys": "alice"},
     "hetzner-coolify:adminSshKeys: 'alice' is text, not a list; allowed: a list of 1-32 items, each a mapping "
     "with the keys name, publicKey"),
    ({"adminSshKeys": ["alice"]},
     "hetzner-coolify:adminSshKeys[0]: 'alice' is text, not a mapping; allowed: a mapping with the keys name, "
     "publicKey"),
    ({"backups": {"storage": "r2"}},
     "hetzner-coolify:backups.storage: 'r2' is text, not a mapping; allowed: a mapping: kind r2 (the default) with "
     "accountId and optionally jurisdiction, location; or kind s3 with endpoint, bucket and optionally region"),
    ({"dns": {"overrides": ["a"]}},
     "hetzner-coolify:dns.overrides: ['a'] is a list, not a mapping; allowed: a mapping of record labels ('@', "
     "'www', '*' or a subdomain) to mappings with the keys ttl, proxied"),
    ({"dns": {"overrides": {"api": 5}}},
     "hetzner-coolify:dns.overrides.api: 5 is a number, not a mapping; allowed: a mapping with the keys ttl, "
     "proxied"),
    ({"backups": {"storage": {"accountId": NULL}}},
     'hetzner-coolify:backups.storage.accountId: is empty (null); allowed: 32 hex digits, the "Account ID" of the '
     "Cloudflare dashboard"),
    ({"backups": {"storage": {"accountId": None}}},
     "hetzner-coolify:backups.storage.accountId: is required (Cloudflare account id); allowed: 32 hex digits, the "
     '"Account ID" of the Cloudflare dashboard'),
    ({"backups": {"storage": {"kind": NULL}}},
     "hetzner-coolify:backups.storage.kind: null is not a storage kind; allowed: r2, s3"),
    ({"dns": {"dashboard": 5}},
     "hetzner-coolify:dns.dashboard: 5 is a number, not text; allowed: a DNS label: 1-63 of a-z, 0-9 and '-', not "
     "starting or ending with '-'"),
    ({"server": {"tpye": "cx43"}},
     "hetzner-coolify:server.tpye: is not a known key (did you mean type?); allowed: type, location, image, "
     "backups, adminUser"),
    ({"adminSshKeys": [{"name": "bob", "publicKey": ALICE, "pubkey": ALICE}]},
     "hetzner-coolify:adminSshKeys[0].pubkey: is not a known key (did you mean publicKey?); allowed: name, "
     "publicKey"),
    ({"adminCidr": ["198.51.100.7/32"]},
     "hetzner-coolify:adminCidr: is not a known key (did you mean adminCidrs?); allowed: environment, domain, dns, "
     "server, adminSshKeys, adminCidrs, coolify, postgres, redis, docker, backups, workers, coolifyApiToken, "
     "backupS3AccessKeyId, backupS3SecretAccessKey, monitoring, monitoringWebhookUrl, monitoringHeartbeatUrl, "
     "rotation, protection"),
    ({"dns": {"defaults": {"ttl": 30}}},
     "hetzner-coolify:dns.defaults.ttl: 30 is out of range; allowed: 1 (automatic) or 60-86400"),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "expected"), EXACT, ids=[line.split(":")[1] for _, line in EXACT])
def test_the_lines_pydantic_alone_got_wrong(changes: dict[str, Any], expected: str) -> None:
    assert load_raw(changes) == [expected]


def raw_config(*entries: tuple[str, Any]) -> dict[str, str]:
    """The shipped staging file with `entries` first, in this order: the order of a stack file's keys."""
    shipped = stack_settings("staging").config
    given = {f"{NAMESPACE}:{key}": value if isinstance(value, str) else json.dumps(value) for key, value in entries}
    return {**given, **{key: text for key, text in shipped.items() if key not in given}}


def refused(raw: dict[str, str], stack: str = "staging") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_stack_config(NAMESPACE, stack, raw)
    return caught.value.problems


def test_every_independent_problem_is_reported_at_once_in_the_files_order() -> None:
    raw = raw_config(
        ("server", {"tpye": "cx43"}),
        ("dns", {"defaults": {"ttl": 30}}),
        ("adminCidrs", ["203.0.113.0/24", "office"]),
        ("postgres", {"memoryMb": 100}),
    )
    assert refused(raw) == [
        "hetzner-coolify:server.tpye: is not a known key (did you mean type?); allowed: type, location, image, "
        "backups, adminUser",
        "hetzner-coolify:dns.defaults.ttl: 30 is out of range; allowed: 1 (automatic) or 60-86400",
        "hetzner-coolify:adminCidrs[1]: 'office' is not an IPv4 or IPv6 network in CIDR notation, e.g. "
        "203.0.113.0/24 or 2001:db8::/48",
        "hetzner-coolify:postgres.memoryMb: 100 is out of range; allowed: 256-262144 (memory limit of the "
        "container, MiB)",
    ]


def test_rules_of_valid_keys_run_beside_the_problems_of_invalid_ones() -> None:
    raw = raw_config(
        ("postgres", {"memoryMb": "2GB"}),
        ("adminCidrs", ["0.0.0.0/0"]),
        ("server", {"type": "cpx12", "location": "ash"}),
        ("dns", {"overrides": {"mail": {"ttl": 300}}}),
        ("environment", "production"),
    )
    assert refused(raw, "dev") == [
        "hetzner-coolify:postgres.memoryMb: '2GB' is not a whole number; allowed: 256-262144 (memory limit of the "
        "container, MiB)",
        "hetzner-coolify:adminCidrs: the IPv4 sources together cover 4,294,967,296 addresses; production lets at "
        "most a /16 of IPv4 (65,536 addresses) and a /40 of IPv6 (2^88) in total reach SSH: list the admin networks "
        "themselves (offices, VPN exits, CI runners)",
        "hetzner-coolify:server.type: 'cpx12' has 1 vCPU and 2 GB; Coolify needs at least 2 vCPU and 2 GB",
        "hetzner-coolify:server.location: 'ash' does not offer 'cpx12'; it is offered in fsn1, nbg1, hel1, sin",
        "hetzner-coolify:dns.overrides: ['mail'] are not records of this stack; allowed: @, www, coolify, api, *",
    ]


def test_problems_of_the_gate_come_with_the_models() -> None:
    raw = raw_config(
        ("coolify", {"adminEmail": "ops@acme-apps.eu", "adminUsername": "ad\tmin"}),
        ("postgres", {"memoryMb": 1}),
        ("hcloud:token", "abc"),
    )
    raw["hcloud:token"] = raw.pop(f"{NAMESPACE}:hcloud:token")
    assert refused(raw) == [
        "hetzner-coolify:coolify.adminUsername: contains U+0009 (TAB) at character 3; allowed: printable text on one "
        "line (a line break or control character could add a line to a file on the server)",
        "hetzner-coolify:postgres.memoryMb: 1 is out of range; allowed: 256-262144 (memory limit of the container, "
        "MiB)",
        "hcloud:token: is a provider credential in clear text; set it with `pulumi config set --secret hcloud:token` "
        "(the stack file then holds it encrypted, under secure:)",
    ]


def test_an_environment_problem_does_not_hide_the_others() -> None:
    raw = raw_config(("domain", "not a domain"))
    assert refused(raw, "prod-eu") == [
        "hetzner-coolify:environment: is required for the stack 'prod-eu', whose name looks like production "
        "('prod'); set it, e.g. `pulumi config set environment production`; allowed: staging, production",
        "hetzner-coolify:domain: 'not a domain' is not a domain name; expected the Cloudflare zone's name, e.g. "
        "example.com (labels of 1-63 of a-z, 0-9 and '-', at most 253 characters)",
    ]


def test_problems_shows_the_shipped_file_order() -> None:
    """The shared helper loads the shipped file with changes; its lines come in that file's order too."""
    lines = problems("staging", {"coolify": {"adminUsername": "x"}, "domain": "not a domain"})
    assert [line.split(":")[1] for line in lines] == ["domain", "coolify.adminUsername"]
