"""The `server`, `adminSshKeys` and `adminCidrs` keys: what is refused, in one line that names the key."""

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import shipped_value
from tests.stack_config.conftest import ALICE, bad_values, load, problems

BAD_VALUES: list[tuple[str, dict[str, Any], str]] = [
    (
        "staging",
        {"server": {"type": "cx99"}},
        "hetzner-coolify:server.type: 'cx99' is not a Hetzner server type; allowed: cx23, cx33, cx43, cx53, cax11, "
        "cax21, cax31, cax41, cpx12, cpx22, cpx32, cpx42, cpx52, cpx62, ccx13, ccx23, ccx33, ccx43, ccx53, ccx63",
    ),
    (
        "staging",
        {"server": {"type": "cx22"}},
        "hetzner-coolify:server.type: 'cx22' was retired by Hetzner on 2025-10-16 and can no longer be ordered; "
        "its successor is 'cx23'",
    ),
    (
        "staging",
        {"server": {"type": "cpx12"}},
        "hetzner-coolify:server.type: 'cpx12' has 1 vCPU and 2 GB; Coolify needs at least 2 vCPU and 2 GB",
    ),
    (
        "staging",
        {"server": {"location": "fra1"}},
        "hetzner-coolify:server.location: 'fra1' is not a Hetzner location; allowed: fsn1, nbg1, hel1, ash, hil, sin",
    ),
    (
        "staging",
        {"server": {"type": "cax11", "location": "ash"}},
        "hetzner-coolify:server.location: 'ash' does not offer 'cax11'; it is offered in fsn1, nbg1, hel1",
    ),
    (
        "staging",
        {"server": {"image": "windows-2022"}},
        "hetzner-coolify:server.image: 'windows-2022' is not supported; allowed: ubuntu-24.04, ubuntu-22.04, "
        "debian-12, debian-13",
    ),
    (
        "staging",
        {"server": {"backups": "maybe"}},
        "hetzner-coolify:server.backups: 'maybe' is not a boolean; allowed: true or false",
    ),
    (
        "staging",
        {"server": {"size": "large"}},
        "hetzner-coolify:server.size: is not a known key; allowed: type, location, image, backups, adminUser",
    ),
    (
        "staging",
        {"server": '{"type": "cx33"'},
        "hetzner-coolify:server: is not valid JSON (Expecting ',' delimiter at column 16)",
    ),
    (
        "staging",
        {"adminSshKeys": []},
        "hetzner-coolify:adminSshKeys: has no items; allowed: 1-32 items",
    ),
    (
        "staging",
        {"adminSshKeys": [{"name": "bob", "publicKey": "-----BEGIN OPENSSH PRIVATE KEY-----"}]},
        "hetzner-coolify:adminSshKeys[0].publicKey: holds an OpenSSH private key: paste the public half (the .pub "
        "file) here and keep the private key off this file",
    ),
    (
        "staging",
        {"adminSshKeys": [{"name": "bob", "publicKey": "ssh-dss AAAAB3NzaC1kc3MAAACBAP bob"}]},
        "hetzner-coolify:adminSshKeys[0].publicKey: 'ssh-dss AAAAB3NzaC1kc3MAAACBAP bob' has key type 'ssh-dss'; "
        "allowed: ssh-ed25519, sk-ssh-ed25519@openssh.com, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, "
        "ecdsa-sha2-nistp521, sk-ecdsa-sha2-nistp256@openssh.com, ssh-rsa",
    ),
    (
        "staging",
        {"adminSshKeys": [{"name": "bob", "publicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2F bob"}]},
        "hetzner-coolify:adminSshKeys[0].publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2F bob' has damaged key "
        "data (truncated)",
    ),
    (
        "staging",
        {"adminSshKeys": [{"name": "alice", "publicKey": ALICE}, {"name": "alice", "publicKey": ALICE}]},
        "hetzner-coolify:adminSshKeys: names ['alice', 'alice'] must be unique",
    ),
    (
        "staging",
        {"adminSshKeys": [{"name": "alice"}]},
        "hetzner-coolify:adminSshKeys[0].publicKey: is required (OpenSSH public key line: ssh-ed25519, "
        "ecdsa-sha2-* or ssh-rsa of at least 3072 bits); allowed: one line of a .pub file, e.g. the output of "
        "`cat ~/.ssh/id_ed25519.pub`",
    ),
    (
        "staging",
        {"adminSshKeys": [{"name": "deploy", "publicKey": ALICE}]},
        "hetzner-coolify:adminSshKeys[0].name: 'deploy' is the generated deploy key's name; choose another",
    ),
    (
        "staging",
        {"adminSshKeys": [{"name": "Alice Smith", "publicKey": ALICE}]},
        "hetzner-coolify:adminSshKeys[0].name: 'Alice Smith' is not a name; allowed: 1-32 of a-z, 0-9 and '-', "
        "not starting or ending with '-'",
    ),
    (
        "staging",
        {"adminCidrs": ["10.0.0.1/8"]},
        "hetzner-coolify:adminCidrs[0]: '10.0.0.1/8' has host bits set; the network is 10.0.0.0/8",
    ),
    (
        "staging",
        {"adminCidrs": ["office"]},
        "hetzner-coolify:adminCidrs[0]: 'office' is not an IPv4 or IPv6 network in CIDR notation, e.g. "
        "203.0.113.0/24 or 2001:db8::/48",
    ),
    (
        "staging",
        {"adminCidrs": None},
        "hetzner-coolify:adminCidrs: is required (Networks allowed to reach SSH and, while open, "
        "Coolify's direct ports); allowed: a list of 1-98 items, each an IPv4 or IPv6 network in CIDR notation, "
        "e.g. 203.0.113.0/24 or 2001:db8::/48",
    ),
    (
        "production",
        {"adminCidrs": ["0.0.0.0/0"]},
        "hetzner-coolify:adminCidrs: the IPv4 sources together cover 4,294,967,296 addresses; production lets at "
        "most a /16 of IPv4 (65,536 addresses) and a /40 of IPv6 (2^88) in total reach SSH: list the admin networks "
        "themselves (offices, VPN exits, CI runners)",
    ),
    ("staging", {"server": {"adminUser": "root"}},
     "hetzner-coolify:server.adminUser: 'root' is a system account; choose a new name for the admin login"),
]  # fmt: skip


@pytest.fixture(scope="module")
def rsa_keys(tmp_path_factory: pytest.TempPathFactory) -> dict[int, str]:
    """Real RSA public keys from ssh-keygen, one too short and one long enough."""
    keys = {}
    for bits in (2048, 3072):
        path: Path = tmp_path_factory.mktemp("keys") / f"rsa{bits}"
        subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", str(bits), "-N", "", "-f", str(path)], check=True)
        keys[bits] = path.with_suffix(".pub").read_text().strip()
    return keys


@bad_values(BAD_VALUES)
def test_bad_value_gives_one_line_naming_the_key(stack: str, changes: dict[str, Any], expected: str) -> None:
    assert problems(stack, changes) == [expected]


def test_rsa_keys_need_3072_bits(rsa_keys: dict[int, str]) -> None:
    assert load("staging", {"adminSshKeys": [{"name": "carol", "publicKey": rsa_keys[3072]}]})
    assert problems("staging", {"adminSshKeys": [{"name": "carol", "publicKey": rsa_keys[2048]}]}) == [
        "hetzner-coolify:adminSshKeys[0].publicKey: "
        f"'{rsa_keys[2048][:80]}…' ({len(rsa_keys[2048])} characters) is a 2048-bit RSA key; RSA keys need at least "
        "3072 bits (or use ssh-ed25519)"
    ]


def test_single_addresses_become_networks() -> None:
    assert load("staging", {"adminCidrs": ["198.51.100.7", "2001:db8::1"]}).admin_cidrs == [
        "198.51.100.7/32",
        "2001:db8::1/128",
    ]


def too_broad(version: int, covered: str) -> str:
    return (
        f"hetzner-coolify:adminCidrs: the IPv{version} sources together cover {covered} addresses; production lets "
        "at most a /16 of IPv4 (65,536 addresses) and a /40 of IPv6 (2^88) in total reach SSH: list the admin "
        "networks themselves (offices, VPN exits, CI runners)"
    )


def test_staging_may_open_ssh_to_the_world_but_production_may_not() -> None:
    assert load("staging", {"adminCidrs": ["0.0.0.0/0"]}).admin_cidrs == ["0.0.0.0/0"]
    assert problems("production", {"adminCidrs": ["203.0.113.0/24", "::/0"]}) == [too_broad(6, "2^128")]


# IPv4 without 0.0.0.0/8: 1.0.0.0/8, 2.0.0.0/7, 4.0.0.0/6, ..., 128.0.0.0/1.
ALL_IPV4_BUT_ZERO = [f"{2**bits}.0.0.0/{8 - bits}" for bits in range(8)]


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        (["2000::/3"], too_broad(6, "2^125")),
        (ALL_IPV4_BUT_ZERO, too_broad(4, "4,278,190,080")),
        (["0.0.0.0/1", "128.0.0.0/1"], too_broad(4, "4,294,967,296")),
        (["8.0.0.0/9"], too_broad(4, "8,388,608")),
        # Two /17s are a /16 together; a third is one too many.
        (["198.18.0.0/17", "198.18.128.0/17", "198.20.0.0/17"], too_broad(4, "98,304")),
        ([f"2001:db8:{index:x}00::/40" for index in range(2)], too_broad(6, "2^89")),
    ],
    ids=["global-unicast-ipv6", "ipv4-without-0-8", "ipv4-by-halves", "a-slash-9", "three-slash-17s",
         "two-ipv6-slash-40s"],
)  # fmt: skip
def test_production_refuses_admin_sources_broader_than_admin_networks(sources: list[str], expected: str) -> None:
    assert problems("production", {"adminCidrs": sources}) == [expected]


@pytest.mark.parametrize(
    "sources",
    [
        ["198.18.0.0/16", "2001:db8::/40"],
        # Overlaps count once: a /16 and the /24s inside it are a /16.
        ["198.18.0.0/16", "198.18.7.0/24", "198.18.9.0/24"],
        [f"203.0.{index}.0/24" for index in range(98)],
    ],
    ids=["a-slash-16-and-a-slash-40", "overlapping", "98-offices"],
)
def test_production_accepts_admin_networks_up_to_the_bound(sources: list[str]) -> None:
    assert load("production", {"adminCidrs": sources}).admin_cidrs == sources


def test_admin_sources_are_bounded_in_number() -> None:
    assert problems("staging", {"adminCidrs": [f"203.0.{index}.0/24" for index in range(99)]}) == [
        "hetzner-coolify:adminCidrs: has 99 items; allowed: 1-98 items"
    ]


def test_shipped_admin_keys_are_read_back_unchanged() -> None:
    keys = shipped_value("staging", "adminSshKeys")
    assert [key.public_key for key in load("staging").admin_ssh_keys] == [key["publicKey"] for key in keys]
