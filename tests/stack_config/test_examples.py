"""Example values: every value of the shipped stack files is either an example (a preview warns about it, `pulumi
up` refuses it) or a setting chosen on purpose, and each rule recognises examples beyond the shipped ones."""

import base64
import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi.runtime.config
import pytest

from stack_config import examples, load_from_pulumi
from tests.conftest import NAMESPACE, STACKS, shipped_value, stack_settings
from tests.stack_config.conftest import load

# The shipped files' values that are not examples: what differs between staging and production on purpose, and
# the example key's owner's name (only its key is an example).
SETTINGS = {"server.type", "postgres.storage", "postgres.volumeSizeGb", "adminSshKeys[0].name"}
OTHER_KEY = (
    "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(32))).decode()
)
HOW_ADMIN_CIDR = (
    "use your public address (`curl -s https://api.ipify.org` and append /32; for IPv6 `curl -s "
    "https://api64.ipify.org` with /128), or your office/VPN range"
)
HOW_SSH_KEY = "use your own public key: `cat ~/.ssh/id_ed25519.pub` (or make one with `ssh-keygen -t ed25519`)"


def leaves(value: Any, key: str) -> Iterator[str]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield from leaves(item, f"{key}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{key}[{index}]")
    else:
        yield key


def shipped_leaves(stack: str) -> set[str]:
    config = stack_settings(stack).config
    found = set()
    for full_key, text in config.items():
        key = full_key.removeprefix(f"{NAMESPACE}:")
        found |= set(leaves(json.loads(text) if text.startswith(("{", "[")) else text, key))
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_every_value_of_the_shipped_files_is_an_example_or_a_setting(stack: str) -> None:
    flagged = {key for key, _ in load(stack).example_values()}
    assert shipped_leaves(stack) - SETTINGS == flagged


def test_the_shipped_examples_are_the_ones_examples_py_names() -> None:
    for stack in STACKS:
        config = stack_settings(stack).config
        assert config[f"{NAMESPACE}:domain"] == examples.EXAMPLE_DOMAIN
        assert tuple(shipped_value(stack, "adminCidrs")) == examples.EXAMPLE_ADMIN_CIDRS
        assert shipped_value(stack, "adminSshKeys")[0]["publicKey"] == examples.EXAMPLE_SSH_KEY
        assert shipped_value(stack, "coolify")["adminEmail"] == examples.EXAMPLE_ADMIN_EMAIL
        backups = shipped_value(stack, "backups")
        assert backups["ageRecipient"] == examples.EXAMPLE_AGE_RECIPIENT
        assert backups["storage"]["accountId"] == examples.EXAMPLE_ACCOUNT_ID


def test_each_example_says_how_to_get_the_real_value() -> None:
    assert load("staging").example_values() == [
        ("domain", "'example.com' is a domain reserved for examples (RFC 2606, RFC 6761); use the name of a zone in "
                   "your Cloudflare account"),
        ("adminSshKeys[0].publicKey", f"is the example key shipped with this repository, whose private key is not "
                                      f"yours; {HOW_SSH_KEY}"),
        ("adminCidrs[0]", f"'203.0.113.0/24' is in 203.0.113.0/24, a range reserved for documentation (RFC 5737) "
                          f"that nobody connects from; {HOW_ADMIN_CIDR}"),
        ("adminCidrs[1]", f"'2001:db8:1234::/48' is in 2001:db8::/32, a range reserved for documentation (RFC 3849) "
                          f"that nobody connects from; {HOW_ADMIN_CIDR}"),
        ("coolify.adminEmail", "'ops@example.com' is on a domain reserved for examples: Coolify creates no admin for "
                               "it (its check resolves the domain) and leaves registration open to the first "
                               "visitor; use a mailbox you read"),
        ("backups.ageRecipient", "is the example recipient shipped with this repository, whose identity (private "
                                 "key) is not yours, so no backup could be restored; make your own with `age-keygen "
                                 "-o backup-key.txt` (install age: `apt install age` / `brew install age`) and use "
                                 "its `Public key:` line, keeping backup-key.txt off the server"),
        ("backups.storage.accountId", "'0123456789abcdef0123456789abcdef' is a placeholder, not an account's id; "
                                      "copy yours from the Cloudflare dashboard, the account's Overview page, "
                                      "\"Account ID\" (or `wrangler whoami`)"),
    ]  # fmt: skip


OWN: dict[str, Any] = {
    "domain": "acme-apps.eu",
    "adminSshKeys": [{"name": "bob", "publicKey": f"{OTHER_KEY} bob@laptop"}],
    "adminCidrs": ["198.51.101.0/24", "2a01:4f8::/48"],
    "coolify": {"adminEmail": "ops@acme-apps.eu"},
    "backups": {"ageRecipient": OTHER_KEY, "storage": {"accountId": "3f2a9c0b7d1e4f5a8b6c9d0e1f2a3b4c"}},
}


def flagged(changes: dict[str, Any]) -> list[str]:
    return [key for key, _ in load("staging", {**OWN, **changes}).example_values()]


def test_a_stack_of_its_own_values_has_no_example() -> None:
    assert flagged({}) == []


@pytest.mark.parametrize(
    ("domain", "example"),
    [("example.net", True), ("apps.example.org", True), ("team.example", True), ("shop.test", True),
     ("x.invalid", True), ("app.localhost", True), ("example.com.au", False), ("notexample.com", False)],
)  # fmt: skip
def test_a_reserved_domain_is_an_example(domain: str, example: bool) -> None:
    assert flagged({"domain": domain}) == (["domain"] if example else [])


@pytest.mark.parametrize(
    ("cidr", "example"),
    [("192.0.2.0/24", True), ("198.51.100.7/32", True), ("203.0.113.128/25", True), ("2001:db8::/32", True),
     ("2001:db8:ffff::1/128", True), ("3fff::/20", True), ("3fff:abc::/48", True), ("198.51.101.0/24", False),
     ("203.0.112.0/23", False), ("2001::/16", False), ("3fff:1000::/36", False), ("0.0.0.0/0", False)],
)  # fmt: skip
def test_a_documentation_range_is_an_example(cidr: str, example: bool) -> None:
    assert flagged({"adminCidrs": [cidr]}) == (["adminCidrs[0]"] if example else [])


@pytest.mark.parametrize(
    ("public_key", "example"),
    [(examples.EXAMPLE_SSH_KEY, True), (examples.EXAMPLE_SSH_KEY.replace("alice@example.com", "alice@laptop"), True),
     (examples.EXAMPLE_SSH_KEY.rsplit(" ", 1)[0], True), (f"{OTHER_KEY} your_email@example.com", False),
     (f"{OTHER_KEY} bob@build.test", False), (f"{OTHER_KEY} bob@laptop", False), (OTHER_KEY, False)],
    ids=["shipped", "shipped-other-comment", "shipped-no-comment", "own-key-githubs-example-comment",
         "own-key-test-domain-comment", "own-key-host-comment", "own-key-no-comment"],
)  # fmt: skip
def test_only_the_shipped_key_is_an_example_whatever_a_comment_says(public_key: str, example: bool) -> None:
    # A comment means nothing to ssh; GitHub's instructions give `ssh-keygen -C "your_email@example.com"`.
    keys = [{"name": "bob", "publicKey": public_key}]
    assert flagged({"adminSshKeys": keys}) == (["adminSshKeys[0].publicKey"] if example else [])


def test_the_shipped_age_recipient_is_an_example() -> None:
    backups = {**OWN["backups"], "ageRecipient": examples.EXAMPLE_AGE_RECIPIENT}
    assert flagged({"backups": backups}) == ["backups.ageRecipient"]


@pytest.mark.parametrize(
    ("account_id", "example"),
    [("0" * 32, True), ("f" * 32, True), ("0123456789abcdef" * 2, True), (examples.EXAMPLE_ACCOUNT_ID, True),
     ("0123456789abcdef0123456789abcdee", False), ("fedcba9876543210" * 2, False)],
)  # fmt: skip
def test_a_placeholder_account_id_is_an_example(account_id: str, example: bool) -> None:
    assert flagged({"backups": {**OWN["backups"], "storage": {"accountId": account_id}}}) == (
        ["backups.storage.accountId"] if example else []
    )


class _Warnings(list[str]):
    def __call__(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.append(message)


@pytest.fixture
def pulumi_program(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[_Warnings, pytest.MonkeyPatch]]:
    """The shipped staging stack as the running program's configuration, the way load_from_pulumi reads it."""
    settings = stack_settings("staging")
    warnings = _Warnings()
    monkeypatch.setattr(pulumi, "get_project", lambda: NAMESPACE)
    monkeypatch.setattr(pulumi, "get_stack", lambda: "staging")
    monkeypatch.setattr(pulumi.runtime.config, "get_config_env", lambda: {})
    monkeypatch.setattr(pulumi.runtime.config, "is_config_secret", lambda key: False)
    monkeypatch.setattr(pulumi.log, "warn", warnings)
    token = pulumi.runtime.config.CONFIG.set(dict(settings.config))
    yield warnings, monkeypatch
    pulumi.runtime.config.CONFIG.reset(token)


def test_a_preview_warns_about_every_example(pulumi_program: tuple[_Warnings, pytest.MonkeyPatch]) -> None:
    warnings, monkeypatch = pulumi_program
    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: True)
    assert load_from_pulumi().environment == "staging"
    assert [line.split(": ", 1)[0] for line in warnings] == [
        f"{NAMESPACE}:{key}" for key, _ in load("staging").example_values()
    ]


def test_pulumi_up_refuses_every_example_at_once(pulumi_program: tuple[_Warnings, pytest.MonkeyPatch]) -> None:
    _, monkeypatch = pulumi_program
    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: False)
    with pytest.raises(pulumi.RunError) as refused:
        load_from_pulumi()
    lines = str(refused.value).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{NAMESPACE}:{key}"
        for key in ("domain", "adminSshKeys[0].publicKey", "adminCidrs[0]", "adminCidrs[1]", "coolify.adminEmail",
                    "backups.ageRecipient", "backups.storage.accountId")
    ]  # fmt: skip
    assert all(line.endswith("(`pulumi up` deploys no example value)") for line in lines)
