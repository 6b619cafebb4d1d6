"""What must never be printed: private keys and identities found anywhere in the configuration, and values that
look like a secret. Messages name where such a value is and what it is, never the value.

All searches are linear in the text: fixed substrings, or patterns that can only start at a fixed marker.
"""

import re

# PEM armour of any private key (RFC 7468 labels: "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY",
# "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", ...) and OpenPGP's "PGP PRIVATE KEY BLOCK" (RFC 4880, 6.2).
_PEM_PRIVATE = re.compile(r"-----BEGIN ((?:[A-Z0-9]{1,16} ){0,3})PRIVATE KEY( BLOCK)?-----")
# An OpenSSH private key pasted without its armour: base64 of its magic "openssh-key-v1\0"
# (openssh/openssh-portable@05e683bb1977d02354bee6445da445451b8461d3:PROTOCOL.key:8-10).
_OPENSSH_BODY = "b3BlbnNzaC1rZXktdjE"
# age identities are Bech32 with the HRP "AGE-SECRET-KEY-" (https://github.com/C2SP/C2SP/blob/main/age.md, "The
# X25519 recipient type"); plugin identities start AGE-PLUGIN-. Bech32 strings are case-insensitive (BIP-173).
_AGE_IDENTITY = re.compile(r"AGE-SECRET-KEY-1|AGE-PLUGIN-[A-Z0-9-]{1,64}-1", re.IGNORECASE)
_PUTTY = "PuTTY-User-Key-File-"

# Prefixes of well-known API tokens: GitHub (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), GitLab (glpat-), Slack
# (xoxb-, xoxp-, ...), Stripe (sk_live_, rk_live_), AWS access key ids (AKIA, ASIA).
_TOKEN_PREFIX = re.compile(r"gh[pousr]_|github_pat_|glpat-|xox[abposr]-|[sr]k_live_|A[KS]IA[0-9A-Z]{16}")
# A value shaped like a generated token: one word of 32+ characters from a base64/base62/hex alphabet, mixing
# upper case, lower case and digits (Hetzner API tokens: 64 of [A-Za-z0-9]; Cloudflare API tokens: 40 of
# [A-Za-z0-9_-]). Hex digests and account ids are lower case only and stay printable.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9+/=_.~-]{32,}")
# Laravel Sanctum's personal access tokens, which Coolify's API issues: "<id>|<40 random letters and digits>"
# (laravel/sanctum HasApiTokens::createToken: `$token->getKey().'|'.$plainTextToken`, Str::random(40)).
_SANCTUM_TOKEN = re.compile(r"[0-9]+\|[A-Za-z0-9]{40,}")
# A `secure:` value of the passphrase and cloud secrets providers: "v1:<nonce>:<ciphertext>", base64 parts.
_CIPHERTEXT = re.compile(r"v1:[A-Za-z0-9+/=]{8,}:[A-Za-z0-9+/=]{8,}")


def private_material(text: str) -> str | None:
    """What kind of private key or identity `text` holds, if any."""
    pem = _PEM_PRIVATE.search(text)
    if pem:
        label = pem[1].strip()
        if label == "OPENSSH":
            return "an OpenSSH private key"
        return "a PGP private key" if pem[2] else "a PEM private key"
    if _OPENSSH_BODY in text:
        return "an OpenSSH private key"
    if _PUTTY in text:
        return "a PuTTY private key"
    if _AGE_IDENTITY.search(text):
        return "an age identity (a private key)"
    return None


def looks_like_secret(text: str) -> bool:
    """Whether printing `text` could print a secret: private material, a known token, or a token-shaped word."""
    if private_material(text) is not None or _TOKEN_PREFIX.match(text):
        return True
    if _CIPHERTEXT.fullmatch(text) or _SANCTUM_TOKEN.fullmatch(text):
        return True
    return bool(
        _TOKEN_SHAPE.fullmatch(text)
        and any(c.isupper() for c in text)
        and any(c.islower() for c in text)
        and any(c.isdigit() for c in text)
    )
