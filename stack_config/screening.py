"""The gate in front of the model: raw configuration that is hostile or leaks a secret is refused here, one line
per problem, before any of it is validated, echoed or decoded further. A key refused here is not validated; the
others are, and their problems are reported with these.

- Provider credentials in clear text (`hcloud:token: abc`): the keys the provider SDKs treat as secrets.
- Private keys and age identities anywhere, under any key: named by where they are, never shown.
- In this project's keys: text with control, format or line-separator characters (one could add a line to a
  file on the server: an authorized_keys line, a systemd unit, an .env file), and sizes beyond the bounds below.
"""

import json
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from stack_config.base import Problem
from stack_config.sensitive import private_material

# Provider configuration the SDKs mark secret (pulumi.Output.secret in their Provider classes, pinned versions):
# pulumi_hcloud 1.43.3 provider.py:181 (token); pulumi_cloudflare 6.23.1 provider.py:196-198 (apiKey, apiToken,
# apiUserServiceKey). docker:keyMaterial is a client's PEM private key (pulumi_docker 5.2.0 config/vars.py:67-71).
PROVIDER_SECRETS = frozenset(
    {"hcloud:token", "cloudflare:apiKey", "cloudflare:apiToken", "cloudflare:apiUserServiceKey", "docker:keyMaterial"}
)
# Provider settings that are secret when they carry a password: Docker registry credentials
# (pulumi_docker 5.2.0 config/outputs.py:28-46) and the TLS provider's proxy (pulumi_tls 5.6.2 config/vars.py:25).
PROVIDER_SECRETS_WITH_PASSWORD = frozenset({"docker:registryAuth", "tls:proxy"})

# One value of this project's configuration, as Pulumi passes it (JSON text for structures). Every value the
# model accepts is a few kB at most: the largest are the admin keys, bounded together in stack_config/model.py.
MAX_VALUE_CHARS = 256 * 1024
# A single text. The deploy passes values to the server on a command line, and Linux refuses any one argument
# above MAX_ARG_STRLEN, 32 pages: 128 KiB (torvalds/linux@2cc2c3cb54de578666d905537e4c15969caf0dc5:
# include/uapi/linux/binfmts.h:14); the types in stack_config/types.py bound each text far lower still.
MAX_TEXT = 8192
# Lists and mappings: the longest lists the model takes (adminCidrs, up to 98) fit.
MAX_ITEMS = 100
# Mapping keys are the model's camelCase names or DNS labels (63 characters, RFC 1035).
MAX_KEY = 63
# The model's deepest key (dns.overrides.<label>.ttl) is 4 levels down.
MAX_DEPTH = 6
# Integers beyond 2^53 lose precision in JSON (RFC 8259, 6); no setting is anywhere near.
MAX_NUMBER = 2**53

# Unicode categories refused in text: controls (Cc: NUL, TAB, LF, CR, ESC...), format characters (Cf: byte order
# marks, zero-width and bidirectional controls), surrogates (Cs), private use (Co), unassigned (Cn), line and
# paragraph separators (Zl, Zp). Spaces other than U+0020 (Zs) are refused too.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_CONTROL_NAMES = {0: "NUL", 9: "TAB", 10: "LINE FEED", 13: "CARRIAGE RETURN", 27: "ESCAPE", 127: "DELETE"}
_SAFE_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-@*")


@dataclass(frozen=True)
class Screened:
    problems: list[Problem]
    """One line per problem."""
    values: dict[str, Any]
    """This project's keys (without the namespace), decoded as far as they could be."""
    refused: frozenset[str]
    """The keys of `values` with a problem here: none of them is validated further."""


def key_path(namespace: str, parts: tuple[Any, ...]) -> str:
    """`hetzner-coolify:adminSshKeys[0].publicKey`; a key that is not a plain name is quoted, shortened, escaped."""
    text = namespace + ":" if namespace else ""
    for index, part in enumerate(parts):
        if isinstance(part, int):
            text += f"[{part}]"
        elif part and len(part) <= MAX_KEY and set(part) <= _SAFE_KEY_CHARS:
            text += f".{part}" if index else part
        else:
            shown = ascii(part[:40]) + ("…" if len(part) > 40 else "")
            text += f"[{shown}]"
    return text


def character_name(char: str) -> str:
    """'U+000A (LINE FEED)'."""
    name = _CONTROL_NAMES.get(ord(char)) or unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def refused_character(text: str) -> tuple[int, str] | None:
    """The first character text must not hold, with its position, or None."""
    for index, char in enumerate(text):
        if char == " " or (" " < char < "\x7f"):
            continue
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES or (category == "Zs" and char != " "):
            return index, char
    return None


def _walk(value: Any, parts: tuple[Any, ...], depth: int = 1) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(where, what is wrong) for every problem in a decoded value, depth first."""
    if depth > MAX_DEPTH:
        yield parts, f"is nested {depth} levels deep; allowed: at most {MAX_DEPTH} (this configuration is 4 deep)"
        return
    if isinstance(value, str):
        yield from _text_problems(value, parts)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_NUMBER:
            yield parts, f"is a number of {len(str(abs(value)))} digits; allowed: numbers up to 2^53"
    elif isinstance(value, list):
        if len(value) > MAX_ITEMS:
            yield parts, f"is a list of {len(value)} items; allowed: at most {MAX_ITEMS}"
            return
        for index, item in enumerate(value):
            yield from _walk(item, (*parts, index), depth + 1)
    elif isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            yield parts, f"is a mapping of {len(value)} keys; allowed: at most {MAX_ITEMS}"
            return
        for key, item in value.items():
            problems = list(_key_problems(key, parts))
            yield from problems
            if not problems:
                yield from _walk(item, (*parts, key), depth + 1)


def _text_problems(text: str, parts: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if len(text) > MAX_TEXT:
        yield (
            parts,
            (
                f"is {len(text)} characters long; allowed: at most {MAX_TEXT} (values reach the server on command "
                "lines, which Linux caps at 128 KiB an argument)"
            ),
        )
        return
    found = refused_character(text)
    if found:
        index, char = found
        yield (
            parts,
            (
                f"contains {character_name(char)} at character {index + 1}; allowed: printable text on one line (a "
                "line break or control character could add a line to a file on the server)"
            ),
        )


def _key_problems(key: Any, parts: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if not isinstance(key, str) or not key:
        yield parts, "has an empty key; keys are names"
    elif len(key) > MAX_KEY or refused_character(key):
        yield (*parts, key[:40]), f"is not a key of this configuration; keys are names of at most {MAX_KEY} characters"


def _private_material_problems(value: Any, parts: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        found = private_material(value)
        if found:
            yield parts, found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _private_material_problems(item, (*parts, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            found = private_material(str(key))
            if found:
                yield parts, found
            else:
                yield from _private_material_problems(item, (*parts, key))


def _advice(parts: tuple[Any, ...], found: str) -> str:
    last = next((part for part in reversed(parts) if isinstance(part, str)), "")
    if found.startswith("an age identity") and last == "ageRecipient":
        return "put the recipient, age1…, here and keep the identity off this file"
    if last in ("publicKey", "adminSshKeys"):
        return "paste the public half (the .pub file) here and keep the private key off this file"
    return "keep it off this file; a secret the program needs is set with `pulumi config set --secret`"


def _decode(text: str) -> Any:
    """Pulumi passes structured values as JSON text and scalars as plain text."""
    return json.loads(text) if text.lstrip().startswith(("{", "[")) else text


def screen(namespace: str, raw: Mapping[str, str], secret_keys: frozenset[str]) -> Screened:
    """Check every `<namespace>:<key>` entry of Pulumi's raw configuration; decode this project's."""
    prefix = f"{namespace}:"
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    refused: set[str] = set()
    for full_key, text in raw.items():
        if not full_key.startswith(prefix):
            where = raw_key_name(full_key)
            problems += [Problem((full_key,), line) for line in _foreign_problems(full_key, where, text, secret_keys)]
            continue
        key = full_key.removeprefix(prefix)
        found, decoded = _screen_ours(namespace, key, text)
        if decoded is not _UNDECODED:
            values[key] = decoded
        if found:
            refused.add(key)
            problems += [Problem((full_key, *inside), line) for inside, line in found]
    return Screened(problems, values, frozenset(refused))


_UNDECODED = object()


def _screen_ours(namespace: str, key: str, text: str) -> tuple[list[tuple[tuple[Any, ...], str]], Any]:
    """The problems of one of this project's entries (where inside its value, the line), and its decoded value."""
    where = key_path(namespace, (key,))
    if len(text) > MAX_VALUE_CHARS:
        return [((), f"{where}: is {len(text)} characters long; allowed: at most {MAX_VALUE_CHARS}")], _UNDECODED
    try:
        decoded = _decode(text)
    except json.JSONDecodeError as error:
        return [((), f"{where}: is not valid JSON ({error.msg} at column {error.colno})")], _UNDECODED
    except (RecursionError, ValueError):
        return [
            ((), f"{where}: is not JSON this configuration can hold (nested too deeply or a huge number)")
        ], _UNDECODED
    leaks = [
        (found_at[1:], f"{key_path(namespace, found_at)}: holds {found}: {_advice(found_at, found)}")
        for found_at, found in _private_material_problems(decoded, (key,))
    ]
    shape = [(found_at[1:], f"{key_path(namespace, found_at)}: {why}") for found_at, why in _walk(decoded, (key,))]
    return leaks or shape, decoded


def raw_key_name(full_key: str) -> str:
    """A raw config key (`hcloud:token`, `hetzner-coolify:server.type`) as a message shows it: as it is when it is a
    plain name, else quoted, shortened and escaped."""
    if 0 < len(full_key) <= 2 * MAX_KEY and set(full_key) <= _SAFE_KEY_CHARS | {":", ".", "/"}:
        return full_key
    return ascii(full_key[:40]) + ("…" if len(full_key) > 40 else "")


def _foreign_problems(full_key: str, where: str, text: str, secret_keys: frozenset[str]) -> list[str]:
    """Another namespace's entry (a provider's): a secret in clear text, or private material in clear text."""
    if full_key in secret_keys:
        return []
    found = private_material(text)
    if found:
        return [f"{where}: holds {found} in clear text; set it with `pulumi config set --secret {full_key}`"]
    if full_key in PROVIDER_SECRETS or (full_key in PROVIDER_SECRETS_WITH_PASSWORD and '"password"' in text):
        return [
            f"{where}: is a provider credential in clear text; set it with `pulumi config set --secret {full_key}` "
            "(the stack file then holds it encrypted, under secure:)"
        ]
    return []
