"""Judges whether a secret value is a default, a placeholder or too weak to protect anything.

Reasons never quote the value: policy messages end up in CI logs.
"""

import math
import re
from collections import Counter
from collections.abc import Iterable

# Defaults shipped by images and tutorials, and placeholders left in templates. Compared after
# lower-casing, undoing common digit-for-letter swaps and dropping everything but letters.
DENYLIST = frozenset(
    {
        "admin", "administrator", "changeit", "changeme", "changethis", "coolify", "default", "demo",
        "dummy", "example", "fixme", "guest", "letmein", "master", "mongo", "mysql", "none", "null",
        "pass", "passw", "passwd", "password", "placeholder", "postgres", "qwerty", "redis", "root",
        "sample", "secret", "test", "todo", "user", "welcome", "yourpassword", "yourpasswordhere",
        "yoursecret", "xxx", "xxxx", "xxxxxxxx",
    }
)  # fmt: skip

_LEET = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
# Matched whole (fullmatch): `$` would also accept a trailing newline.
_TEMPLATE = re.compile(r"\$\{.*\}|\$[A-Za-z_]\w*|\{\{.*\}\}|<[^<>]+>|%[A-Za-z_]+%")
# Runs people type: the alphabet, the digits and the keyboard rows, read cyclically either way.
_RUNS = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiopasdfghjklzxcvbnm")

DEFAULT_MIN_LENGTH = 16
DEFAULT_MIN_ENTROPY = 3.0  # bits per character; random base62 of 16+ characters scores about 3.7
# What must be left of a value built on a well-known word ('postgres2024!' leaves '2024!'): a random secret that
# happens to contain one ('...xTest9...') keeps nearly all of its length.
BUILT_ON_MIN_REST = 12


def _letters(value: str) -> set[str]:
    """The value's letters, as typed and with digit-for-letter swaps undone ('P@ssw0rd1!' -> password)."""
    lowered = value.lower()
    return {re.sub(r"[^a-z]", "", lowered), re.sub(r"[^a-z]", "", lowered.translate(_LEET))}


def _is_repetition(value: str) -> bool:
    """'aaaaaaaa', 'abcabcabc', 'xyxyxyxy': one short unit repeated."""
    return any(
        len(value) % size == 0 and value[:size] * (len(value) // size) == value
        for size in range(1, len(value) // 2 + 1)
    )


def _is_sequence(value: str) -> bool:
    """'12345678901', 'abcdefgh', 'qwertyuiopasdf', 'hgfedcba': a run on the alphabet, digits or keyboard."""
    lowered = value.lower()
    if len(lowered) < 4:
        return False
    for run in _RUNS:
        cyclic = run * (len(lowered) // len(run) + 2)
        if lowered in cyclic or lowered in cyclic[::-1]:
            return True
    return False


def _words_built_on(value: str, denied: Iterable[str]) -> list[str]:
    """The well-known words of four letters or more the value contains (digit-for-letter swaps undone), longest
    first."""
    spelled = value.lower().translate(_LEET)
    return sorted((word for word in denied if len(word) >= 4 and word in spelled), key=len, reverse=True)


def _without(value: str, words: Iterable[str]) -> str:
    """The value without the characters that spell any of `words`, wherever they appear."""
    for word in words:
        spelled = value.lower().translate(_LEET)
        kept, start = [], 0
        while (found := spelled.find(word, start)) >= 0:
            kept.append(value[start:found])
            start = found + len(word)
        value = "".join(kept) + value[start:]
    return value


def entropy_per_character(value: str) -> float:
    """Shannon entropy of the value's own character distribution, in bits per character."""
    counts = Counter(value)
    return -sum(count / len(value) * math.log2(count / len(value)) for count in counts.values())


def weakness(
    value: str,
    user_names: Iterable[str] = (),
    min_length: int = DEFAULT_MIN_LENGTH,
    min_entropy: float = DEFAULT_MIN_ENTROPY,
    extra_denylist: Iterable[str] = (),
) -> str | None:
    """Why `value` is unacceptable as a secret, or None when it passes."""
    stripped = value.strip()
    letters = _letters(stripped)
    denied = DENYLIST | {word.lower() for word in extra_denylist}
    if not stripped:
        return "is empty"
    if _TEMPLATE.fullmatch(stripped):
        return "is an unfilled template placeholder"
    if letters & denied:
        return "is a well-known default or placeholder"
    if any(stripped.lower() == name.lower() or letters & _letters(name) - {""} for name in user_names if name):
        return "equals its user name"
    words = _words_built_on(stripped, denied)
    if words:
        rest = _without(stripped, words)
        if len(rest) < BUILT_ON_MIN_REST or entropy_per_character(rest) < min_entropy:
            return "is built on a well-known word; without it, what is left is weak"
    if _is_repetition(stripped):
        return "repeats one short pattern"
    if _is_sequence(stripped):
        return "is a run of consecutive characters"
    if len(stripped) < min_length:
        return f"is shorter than {min_length} characters ({len(stripped)})"
    entropy = entropy_per_character(stripped)
    if entropy < min_entropy:
        return f"has too little entropy ({entropy:.1f} bits per character; at least {min_entropy:.1f} required)"
    return None
