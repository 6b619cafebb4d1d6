"""Parsing of OpenSSH public keys, strict enough to catch a pasted private key or a truncated line."""

import base64
import binascii
import re
import struct

from stack_config.sensitive import private_material

# RSA below 3072 bits is below what NIST SP 800-57 accepts past 2030; refuse it now.
MIN_RSA_BITS = 3072
ED25519_KEY_BYTES = 32

# OpenSSH's largest keys, RSA of 16384 bits (its bignum limit, SSHBUF_MAX_BIGNUM = 16384 / 8 bytes:
# openssh/openssh-portable@001aa55484852370488786bd40e9fdad4b465811:sshbuf.h:33), are 2,764 base64 characters;
# 4096 leaves room for a comment of up to 1024. Every admin key is an authorized_keys line on the server and
# travels on the command line of the hardening step (stack_config/model.py bounds them together).
MAX_KEY_LINE = 4096
MAX_COMMENT = 1024
_KEY_TYPE_SHAPE = re.compile(r"[a-z0-9@.-]{1,64}", re.ASCII)

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
    found = private_material(line)
    if found:
        raise ValueError(f"holds {found}: paste the public half (the .pub file) and keep the private key off this file")
    if len(line) > MAX_KEY_LINE:
        raise ValueError(
            f"is {len(line)} characters long; allowed: at most {MAX_KEY_LINE} (an RSA-16384 key and a comment)"
        )
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in line):
        raise ValueError("contains a control character; an authorized_keys line is one line of printable text")
    parts = line.strip().split(maxsplit=2)
    if len(parts) < 2:
        raise ValueError("is not an OpenSSH public key line ('<type> <base64> [comment]')")
    key_type, encoded = parts[0], parts[1]
    if key_type not in ALLOWED_KEY_TYPES:
        # The type is quoted only when it looks like one: the value may be something else entirely.
        named = f"key type {key_type!r}" if _KEY_TYPE_SHAPE.fullmatch(key_type) else "no known key type"
        raise ValueError(f"has {named}; allowed: {', '.join(ALLOWED_KEY_TYPES)}")
    if len(parts) == 3 and len(parts[2]) > MAX_COMMENT:
        raise ValueError(f"has a comment of {len(parts[2])} characters; allowed: at most {MAX_COMMENT}")
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
