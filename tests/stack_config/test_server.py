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
        "hetzner-coolify:server.backups: 'maybe' is invalid; input should be a valid boolean, "
        "unable to interpret input",
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
        "hetzner-coolify:adminSshKeys: [] is invalid; list should have at least 1 item after validation, not 0",
    ),
    (
        "staging",
        {"adminSshKeys": [{"name": "bob", "publicKey": "-----BEGIN OPENSSH PRIVATE KEY-----"}]},
        "hetzner-coolify:adminSshKeys[0].publicKey: '-----BEGIN OPENSSH PRIVATE KEY-----' is a private key; "
        "paste the public half (the .pub file)",
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
        "ecdsa-sha2-* or ssh-rsa of at least 3072 bits)",
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
        "hetzner-coolify:adminCidrs[0]: '10.0.0.1/8' is not an IPv4 or IPv6 network in CIDR notation "
        "(10.0.0.1/8 has host bits set)",
    ),
    (
        "staging",
        {"adminCidrs": ["office"]},
        "hetzner-coolify:adminCidrs[0]: 'office' is not an IPv4 or IPv6 network in CIDR notation "
        "('office' does not appear to be an IPv4 or IPv6 network)",
    ),
    (
        "staging",
        {"adminCidrs": None},
        "hetzner-coolify:adminCidrs: is required (Networks allowed to reach SSH and, while open, "
        "Coolify's direct ports)",
    ),
    (
        "production",
        {"adminCidrs": ["0.0.0.0/0"]},
        "hetzner-coolify:adminCidrs: ['0.0.0.0/0'] opens SSH to the whole internet, which production refuses",
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
        f"{rsa_keys[2048]!r} is a 2048-bit RSA key; RSA keys need at least 3072 bits (or use ssh-ed25519)"
    ]


def test_single_addresses_become_networks() -> None:
    assert load("staging", {"adminCidrs": ["198.51.100.7", "2001:db8::1"]}).admin_cidrs == [
        "198.51.100.7/32",
        "2001:db8::1/128",
    ]


def test_staging_may_open_ssh_to_the_world_but_production_may_not() -> None:
    assert load("staging", {"adminCidrs": ["0.0.0.0/0"]}).admin_cidrs == ["0.0.0.0/0"]
    assert problems("production", {"adminCidrs": ["203.0.113.0/24", "::/0"]}) == [
        "hetzner-coolify:adminCidrs: ['::/0'] opens SSH to the whole internet, which production refuses"
    ]


def test_shipped_admin_keys_are_read_back_unchanged() -> None:
    keys = shipped_value("staging", "adminSshKeys")
    assert [key.public_key for key in load("staging").admin_ssh_keys] == [key["publicKey"] for key in keys]
