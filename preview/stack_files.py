"""Reads Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands them to a program."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class StackFileError(Exception):
    """The project or stack file is missing or malformed."""


@dataclass(frozen=True)
class StackSettings:
    project: str
    stack: str
    config: dict[str, str]
    """`<namespace>:<key>` -> the value as the CLI passes it: plain text for scalars, JSON otherwise."""
    secret_keys: frozenset[str]


SECRET_PLACEHOLDER_PREFIX = "offline-placeholder-for-secret-"


def secret_placeholder(key: str) -> str:
    """Stands in for a `secure:` value, which only the stack's secrets provider can decrypt."""
    return f"{SECRET_PLACEHOLDER_PREFIX}{key}"


def available_stacks(project_dir: Path) -> list[str]:
    return sorted(path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in project_dir.glob("Pulumi.*.yaml"))


def read_stack(project_dir: Path, stack: str) -> StackSettings:
    project_file = project_dir / "Pulumi.yaml"
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        raise StackFileError(
            f"no stack file {stack_file.name} in {project_dir}; stacks: {', '.join(available_stacks(project_dir))}"
        )
    project = _load_yaml(project_file).get("name")
    if not isinstance(project, str):
        raise StackFileError(f"{project_file.name}: 'name' is missing")
    entries = _load_yaml(stack_file).get("config") or {}
    if not isinstance(entries, dict):
        raise StackFileError(f"{stack_file.name}: 'config' must be a mapping of keys to values")
    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    for key, value in entries.items():
        full_key = key if ":" in key else f"{project}:{key}"
        plain, is_secret = _replace_secure(full_key, value)
        config[full_key] = _as_config_text(plain)
        if is_secret:
            secret_keys.add(full_key)
    return StackSettings(project, stack, config, frozenset(secret_keys))


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise StackFileError(f"{path.name}: {error}") from None
    if not isinstance(loaded, dict):
        raise StackFileError(f"{path.name}: expected a mapping at the top level")
    return loaded


def _replace_secure(key: str, value: Any) -> tuple[Any, bool]:
    """Swap `{secure: ...}` for a marked placeholder; a key holding any secure value is secret as a whole."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        return secret_placeholder(key), True
    if isinstance(value, dict):
        pairs = {name: _replace_secure(f"{key}.{name}", item) for name, item in value.items()}
        return {name: pair[0] for name, pair in pairs.items()}, any(pair[1] for pair in pairs.values())
    if isinstance(value, list):
        items = [_replace_secure(f"{key}[{index}]", item) for index, item in enumerate(value)]
        return [item[0] for item in items], any(item[1] for item in items)
    return value, False


def _as_config_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
