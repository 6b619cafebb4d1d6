"""Per-stack policy configuration, in the format of `pulumi preview --policy-pack-config FILE`, and which file
a stack uses (`choose`).

The file maps a policy name (or "all") to an enforcement level, or to an object with an optional
`enforcementLevel` and the policy's own properties. Like the Pulumi CLI, a policy the file does not
mention keeps its default level, and properties it does not set take their schema defaults; so
every policy is always configured with an explicit level.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

# Enforcement levels as pulumi-policy and `--policy-pack-config` name them, the most severe first: the
# order in which the report lists violations.
LEVELS = ("mandatory", "remediate", "advisory", "disabled")
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


# A policy configuration names a few dozen policies and properties; 1 MiB is far more than any needs.
MAX_FILE_BYTES = 1024 * 1024
# How much of a value a message quotes.
SHOWN_CHARS = 80


Rule = Literal["given", "stack", "environment", "none"]


class PolicyConfigError(Exception):
    """The policy configuration file names an unknown policy or property, or a value of the wrong type."""


@dataclass(frozen=True)
class PolicyDefaults:
    level: str
    schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Property name -> JSON schema of that property."""


@dataclass(frozen=True)
class PolicySetting:
    level: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class ConfigChoice:
    """The policy configuration file a stack's preview uses, and the rule that chose it."""

    path: Path | None
    rule: Rule
    stack: str
    environment: str


def choose(pack_dir: Path, stack: str, environment: str, given: Path | None = None) -> ConfigChoice:
    """The file given (`--policy-pack-config`); else the stack's own `<pack>/config/<stack>.json`; else its
    environment's `<pack>/config/<environment>.json`, so that a stack `dev` of environment staging is held to
    staging's levels; else none, and every policy keeps the level the pack gives it."""
    if given is not None:
        return ConfigChoice(given, "given", stack, environment)
    own, shared = (pack_dir / "config" / f"{name}.json" for name in (stack, environment))
    if own.is_file():
        return ConfigChoice(own, "stack", stack, environment)
    if shared.is_file():
        return ConfigChoice(shared, "environment", stack, environment)
    return ConfigChoice(None, "none", stack, environment)


def resolve(defaults: Mapping[str, PolicyDefaults], path: Path | None) -> dict[str, PolicySetting]:
    """Every policy's level and properties: the file's where it says so, the pack's defaults elsewhere."""
    raw = _read(path) if path else {}
    where = path.name if path else "policy config"
    levels = {name: policy.level for name, policy in defaults.items()}
    properties: dict[str, dict[str, Any]] = {
        name: {key: schema["default"] for key, schema in policy.schema.items() if "default" in schema}
        for name, policy in defaults.items()
    }
    if "all" in raw:
        levels = dict.fromkeys(levels, _level(where, "all", raw["all"]))
    for name, entry in raw.items():
        if name == "all":
            continue
        if name not in defaults:
            raise PolicyConfigError(f"{where}: {name!r} is not a policy of this pack; policies: {', '.join(defaults)}")
        if isinstance(entry, str):
            levels[name] = _level(where, name, entry)
            continue
        if not isinstance(entry, dict):
            raise PolicyConfigError(f"{where}: {name}: expected a level or an object, got {_shown(entry)}")
        for key, value in entry.items():
            if key == "enforcementLevel":
                levels[name] = _level(where, name, value)
            else:
                properties[name][key] = _property(where, name, key, value, defaults[name].schema)
    return {name: PolicySetting(levels[name], properties[name]) for name in defaults}


def _read(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise PolicyConfigError(f"{path.name}: is larger than {MAX_FILE_BYTES:,} bytes")
        loaded = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise PolicyConfigError(f"{path.name}: {error}") from None
    except (UnicodeDecodeError, RecursionError, ValueError):
        raise PolicyConfigError(
            f"{path.name}: is not JSON text this pack can read (UTF-8, nested a few levels)"
        ) from None
    if not isinstance(loaded, dict):
        raise PolicyConfigError(f"{path.name}: expected an object of policy names")
    return loaded


def _level(where: str, name: str, value: Any) -> str:
    if value not in LEVELS:
        raise PolicyConfigError(
            f"{where}: {name}: {_shown(value)} is not an enforcement level; allowed: {', '.join(LEVELS)}"
        )
    return str(value)


def _property(where: str, name: str, key: str, value: Any, schema: Mapping[str, Mapping[str, Any]]) -> Any:
    if key not in schema:
        allowed = ", ".join(["enforcementLevel", *schema])
        raise PolicyConfigError(f"{where}: {name}.{key} is not a property of the policy; allowed: {allowed}")
    expected = schema[key].get("type")
    kinds = _JSON_TYPES.get(str(expected), (object,))
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        raise PolicyConfigError(f"{where}: {name}.{key}: {_shown(value)} is not of type {expected}")
    return value


def _shown(value: Any) -> str:
    """A value in a message: its repr (one line), cut to SHOWN_CHARS."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}… ({len(text)} characters)"
