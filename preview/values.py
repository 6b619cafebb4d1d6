"""Property values as the engine sees them, with secrets and unknowns made explicit."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pulumi.output

# Constants of Pulumi's property protocol (shared by every language SDK and the engine).
SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass(frozen=True)
class Secret:
    """A value the engine treats as secret: encrypted in state, masked in every display."""

    value: Any


class _Unknown:
    """A value the engine cannot know before `pulumi up` (an id, an address, a generated password)."""

    _instance: "_Unknown | None" = None

    def __new__(cls) -> "_Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


def from_wire(value: Any) -> Any:
    """Convert deserialized RPC properties: secret envelopes -> Secret, unknowns -> UNKNOWN, 5432.0 -> 5432."""
    if isinstance(value, dict):
        if value.get(SIGNATURE_KEY) == SECRET_SIGNATURE:
            return Secret(from_wire(value["value"]))
        return {key: from_wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_wire(item) for item in value]
    if isinstance(value, pulumi.output.Unknown) or value == UNKNOWN_SENTINEL:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def reveal(value: Any) -> Any:
    """The plain value with every Secret unwrapped (what a policy sees: secrets arrive decrypted)."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, dict):
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [reveal(item) for item in value]
    return value


def walk(value: Any, path: str = "", inside_secret: bool = False) -> Iterator[tuple[str, Any, bool]]:
    """Every leaf as (path, value, is_secret), for checks that look at all inputs."""
    if isinstance(value, Secret):
        yield from walk(value.value, path, True)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}" if path else key, inside_secret)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]", inside_secret)
    else:
        yield path, value, inside_secret


MAX_TEXT = 72


def format_value(value: Any) -> str:
    """One line; secrets masked, unknowns named, long or multi-line text shortened."""
    if isinstance(value, Secret):
        return "[secret]"
    if value is UNKNOWN:
        return "<known after apply>"
    if isinstance(value, str):
        lines = value.splitlines()
        shown = lines[0] if lines else ""
        suffix = f" … ({len(lines)} lines)" if len(lines) > 1 else ""
        if len(shown) > MAX_TEXT:
            shown, suffix = shown[:MAX_TEXT], f" … ({len(value)} chars)"
        return f'"{shown}"{suffix}'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {format_value(item)}" for key, item in sorted(value.items())) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    if value is None:
        return "null"
    return str(value)
