"""Parsing of OpenSSH public keys, strict enough to catch a pasted private key or a truncated line."""

import base64
import binascii
import struct

# RSA below 3072 bits is below what NIST SP 800-57 accepts past 2030; refuse it now.
MIN_RSA_BITS = 3072
ED25519_KEY_BYTES = 32

ALLOWED_KEY_TYPES = (
    "ssh-ed25519",
    "sk-ssh-ed25519@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-rsa",
)


def _fields(blob: bytes) -> list[bytes]:
    """The length-prefixed strings of an SSH key blob (RFC 4253, section 6.6)."""
    fields, offset = [], 0
    while offset < len(blob):
        if offset + 4 > len(blob):
            raise ValueError("truncated")
        (length,) = struct.unpack(">I", blob[offset : offset + 4])
        offset += 4
        if offset + length > len(blob):
            raise ValueError("truncated")
        fields.append(blob[offset : offset + length])
        offset += length
    return fields


def validate_public_key(line: str) -> str:
    """Return the key as `<type> <base64>[ <comment>]`, or raise ValueError saying what is wrong."""
    if "PRIVATE KEY" in line:
        raise ValueError("is a private key; paste the public half (the .pub file)")
    parts = line.strip().split(maxsplit=2)
    if len(parts) < 2:
        raise ValueError("is not an OpenSSH public key line ('<type> <base64> [comment]')")
    key_type, encoded = parts[0], parts[1]
    if key_type not in ALLOWED_KEY_TYPES:
        raise ValueError(f"has key type {key_type!r}; allowed: {', '.join(ALLOWED_KEY_TYPES)}")
    try:
        fields = _fields(base64.b64decode(encoded, validate=True))
        if not fields or fields[0].decode(errors="replace") != key_type:
            raise ValueError(f"not a {key_type} key")
        if key_type == "ssh-ed25519" and (len(fields) != 2 or len(fields[1]) != ED25519_KEY_BYTES):
            raise ValueError("an ed25519 key is 32 bytes")
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"has damaged key data ({error})") from None
    if key_type == "ssh-rsa":
        bits = int.from_bytes(fields[2], "big").bit_length() if len(fields) == 3 else 0
        if bits < MIN_RSA_BITS:
            raise ValueError(
                f"is a {bits}-bit RSA key; RSA keys need at least {MIN_RSA_BITS} bits (or use ssh-ed25519)"
            )
    return " ".join(parts)
