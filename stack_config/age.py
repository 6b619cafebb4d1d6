"""age recipients (`age1...`): Bech32 strings whose checksum and payload are checked here, offline.

An X25519 recipient is its 32-byte public key "encoded as Bech32 with human-readable part `age`"
(https://github.com/C2SP/C2SP/blob/main/age.md, "The X25519 recipient type"). Bech32 is BIP-173's
(https://github.com/bitcoin/bips/blob/master/bip-0173.mediawiki, "Bech32"), not BIP-350's bech32m: the
checksum constant is 1. A typo in a recipient passes a pattern check and fails only when the first backup
is encrypted, at night on the server; the checksum catches it here.
"""

HRP = "age"
# BIP-173, "Bech32": the data alphabet, one character per 5-bit value, and the checksum's generator.
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32_CONSTANT = 1
CHECKSUM_LENGTH = 6
KEY_BYTES = 32
# 32 bytes are 52 five-bit groups (4 padding bits), plus the checksum.
DATA_LENGTH = 52 + CHECKSUM_LENGTH


def _polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_GENERATOR):
            if (top >> bit) & 1:
                checksum ^= generator
    return checksum


def _expanded_hrp(hrp: str) -> list[int]:
    return [ord(char) >> 5 for char in hrp] + [0] + [ord(char) & 31 for char in hrp]


def _to_bytes(groups: list[int]) -> bytes | None:
    """Five-bit groups to bytes; None when the padding is not zero bits (BIP-173's convertbits, strict)."""
    accumulator, bits, out = 0, 0, bytearray()
    for group in groups:
        accumulator = (accumulator << 5) | group
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((accumulator >> bits) & 0xFF)
    if bits >= 5 or (accumulator << (8 - bits)) & 0xFF:
        return None
    return bytes(out)


def recipient_problem(text: str) -> str | None:
    """Why `text` is not an X25519 age recipient, or None when it is one."""
    if not text.startswith(f"{HRP}1"):
        return "does not start with age1"
    if text != text.lower():
        return "has upper-case letters; age recipients are lower case"
    data = text[len(HRP) + 1 :]
    if len(data) != DATA_LENGTH:
        return f"has {len(data)} characters after age1; an X25519 recipient has {DATA_LENGTH}"
    if any(char not in CHARSET for char in data):
        return f"has characters outside Bech32's alphabet ({CHARSET}: no 1, b, i or o)"
    values = [CHARSET.index(char) for char in data]
    if _polymod(_expanded_hrp(HRP) + values) != _BECH32_CONSTANT:
        return "has a bad checksum (a typo or a truncated copy)"
    key = _to_bytes(values[:-CHECKSUM_LENGTH])
    if key is None or len(key) != KEY_BYTES:
        return "does not carry a 32-byte key"
    return None
