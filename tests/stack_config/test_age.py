"""age recipients: the Bech32 checksum (BIP-173, HRP "age") and payload are checked offline."""

import shutil
import subprocess

import pytest

from stack_config.age import CHARSET, recipient_problem
from tests.stack_config.conftest import load, problems

SHIPPED = "age1e0n8hx68j4g0ts6z78gx0ee0f30a3309f7gydjy4lkzdmy6wxepqurfhtx"


def typo(recipient: str, position: int) -> str:
    """The recipient with one data character swapped for the next one in Bech32's alphabet."""
    char = recipient[position]
    return recipient[:position] + CHARSET[(CHARSET.index(char) + 1) % 32] + recipient[position + 1 :]


def test_recipients_age_keygen_makes_are_accepted() -> None:
    binary = shutil.which("age-keygen")
    if binary is None:
        pytest.fail("age-keygen (package age) is needed to check real recipients")
    for _ in range(5):
        identity = subprocess.run([binary], capture_output=True, text=True, check=True).stdout
        recipient = next(line.split(": ")[1] for line in identity.splitlines() if line.startswith("# public key"))
        assert recipient_problem(recipient) is None
        assert load("staging", {"backups": {"ageRecipient": recipient}}).backups.age_recipient == recipient


@pytest.mark.parametrize("position", [4, 20, 40, 61])
def test_any_one_character_typo_fails_the_checksum(position: int) -> None:
    assert recipient_problem(typo(SHIPPED, position)) == "has a bad checksum (a typo or a truncated copy)"


@pytest.mark.parametrize(
    ("recipient", "problem"),
    [
        (SHIPPED.upper(), "does not start with age1"),
        ("age1" + SHIPPED[4:].upper(), "has upper-case letters; age recipients are lower case"),
        (SHIPPED[:-1], "has 57 characters after age1; an X25519 recipient has 58"),
        (SHIPPED[:-1] + "b", "has characters outside Bech32's alphabet (qpzry9x8gf2tvdw0s3jn54khce6mua7l: no 1, b, i "
                             "or o)"),
        # A valid Bech32 string with another HRP's checksum: BIP-173's own example, "a12uel5l".
        ("age12uel5l" + "q" * 52, "has a bad checksum (a typo or a truncated copy)"),
    ],
    ids=["upper-case-prefix", "upper-case-data", "truncated", "outside-alphabet", "other-checksum"],
)  # fmt: skip
def test_malformed_recipients_say_what_is_wrong(recipient: str, problem: str) -> None:
    assert recipient_problem(recipient) == problem


def test_a_bad_checksum_is_one_line_naming_the_key() -> None:
    bad = typo(SHIPPED, 30)
    assert problems("staging", {"backups": {"ageRecipient": bad}}) == [
        f"hetzner-coolify:backups.ageRecipient: '{bad}' is not an age recipient (age1... or ssh-ed25519): it has a "
        "bad checksum (a typo or a truncated copy)"
    ]


def test_an_ssh_ed25519_recipient_is_checked_as_a_public_key() -> None:
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2FAAB9YEE4rEw/DUJHbOGWax1rVeqX1KJVEd60ESW7 backups"
    assert load("staging", {"backups": {"ageRecipient": key}}).backups.age_recipient == key
    assert problems("staging", {"backups": {"ageRecipient": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2F"}}) == [
        "hetzner-coolify:backups.ageRecipient: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2F' is not an age recipient: "
        "the ssh-ed25519 key has damaged key data (truncated)"
    ]
