"""Reading resource properties the way the engine sends them, and the shared vocabulary of the rules.

During preview some values are unknown (ids, addresses, generated passwords). Reading one through
pulumi-policy's proxy raises, which aborts the whole policy for that resource. The helpers here
return UNKNOWN instead, so a rule judges what is known and leaves the rest to `pulumi up`, when
the engine runs the pack again with every value resolved.
"""

import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError


def string_list(default: Sequence[str], description: str) -> dict[str, Any]:
    """A config property holding a list of strings, as a policy's config schema declares it."""
    return {"type": "array", "items": {"type": "string"}, "default": list(default), "description": description}


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


def get(mapping: Mapping[str, Any] | None, key: str, default: Any = None) -> Any:
    """mapping[key], `default` when absent, UNKNOWN when it can't be known yet."""
    if mapping is None or mapping is UNKNOWN:
        return default
    try:
        return mapping.get(key, default)
    except UnknownValueError:
        return UNKNOWN


def items(sequence: Sequence[Any] | None) -> Iterator[tuple[int, Any]]:
    """(index, item) for every item, unknown ones as UNKNOWN."""
    if sequence is None or sequence is UNKNOWN:
        return
    for index in range(len(sequence)):
        try:
            yield index, sequence[index]
        except UnknownValueError:
            yield index, UNKNOWN


def entries(mapping: Mapping[str, Any] | None) -> Iterator[tuple[str, Any]]:
    """(key, value) for every entry, unknown values as UNKNOWN."""
    if mapping is None or mapping is UNKNOWN:
        return
    for key in mapping:
        yield key, get(mapping, key)


def port_range(port: Any) -> tuple[int, int]:
    """A Hetzner firewall port ('22', '80-85', 'any' or missing) as an inclusive range."""
    text = str(port).strip() if port not in (None, UNKNOWN) else "any"
    if text in ("", "any"):
        return 1, 65535
    low, _, high = text.partition("-")
    try:
        return int(low), int(high or low)
    except ValueError:
        return 1, 65535  # unreadable: assume the worst


def is_loopback(address: Any) -> bool:
    try:
        return ipaddress.ip_address(str(address).strip("[]")).is_loopback
    except ValueError:
        return str(address).strip().lower() == "localhost"


def env_pairs(envs: Any) -> Iterator[tuple[int, str, Any]]:
    """(index, NAME, value) of a docker `envs` list of 'NAME=value'; value UNKNOWN when unknown."""
    for index, entry in items(envs):
        if entry is UNKNOWN:
            continue
        name, separator, value = str(entry).partition("=")
        if separator:
            yield index, name, value


def strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(key, text) for every known string anywhere in `value`; key is the innermost property name."""
    if isinstance(value, str):
        yield key, value
    elif value is None or value is UNKNOWN:
        return
    elif hasattr(value, "keys"):
        for name, item in entries(value):
            yield from strings(item, name)
    elif hasattr(value, "__len__"):
        for _, item in items(value):
            yield from strings(item, key)
