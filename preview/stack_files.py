"""Reads Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands them to a program.

The files are read strictly (preview/strict_yaml.py); then the project's `config:` declarations are applied as
`pulumi preview` and `pulumi up` apply them before the program runs (preview/config_declarations.py).
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preview.config_declarations import (
    _PLAIN_NAME,
    _apply_declarations,
    _as_config_text,
    _config_key,
    read_declarations,
)
from preview.strict_yaml import StackFileError, _kind, _shown, read_yaml_file


@dataclass(frozen=True)
class StackSettings:
    project: str
    stack: str
    config: dict[str, str]
    """`<namespace>:<key>` -> the value as the CLI passes it: plain text for scalars, JSON otherwise."""
    secret_keys: frozenset[str]


SECRET_PLACEHOLDER_PREFIX = "offline-placeholder-for-secret-"
# Stack names: letters, digits, '-', '_' and '.'.
_STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}", re.ASCII)


def secret_placeholder(key: str) -> str:
    """Stands in for a `secure:` value, which only the stack's secrets provider can decrypt."""
    return f"{SECRET_PLACEHOLDER_PREFIX}{key}"


def available_stacks(project_dir: Path) -> list[str]:
    return sorted(path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in project_dir.glob("Pulumi.*.yaml"))


def read_stack(project_dir: Path, stack: str) -> StackSettings:
    project_file = project_dir / "Pulumi.yaml"
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not _STACK_NAME.fullmatch(stack) or not stack_file.is_file():
        shown = stack if _STACK_NAME.fullmatch(stack) else _shown(stack)
        raise StackFileError(
            f"no stack file Pulumi.{shown}.yaml in {project_dir}; stacks: {', '.join(available_stacks(project_dir))}"
        )
    project_document = _mapping(project_file)
    project = project_document.get("name")
    if not isinstance(project, str) or not _PLAIN_NAME.fullmatch(project):
        raise StackFileError(f"{project_file.name}: 'name' is missing or not a plain name")
    declarations = read_declarations(project_file.name, project, project_document.get("config"))
    document = _mapping(stack_file)
    entries = document.get("config")
    if entries is None:
        raise StackFileError(f"{stack_file.name}: has no `config:`; expected the stack's keys under it")
    if not isinstance(entries, dict):
        raise StackFileError(f"{stack_file.name}: 'config' must be a mapping of keys to values")
    config: dict[str, str] = {}
    structured: set[str] = set()
    secret_keys: set[str] = set()
    for key, value in entries.items():
        full_key = _config_key(stack_file.name, key, project)
        if full_key in config:
            raise StackFileError(f"{stack_file.name}: config: {full_key} is set twice (as {_shown(key)} too)")
        if value is None:
            raise StackFileError(f"{stack_file.name}: {full_key}: is empty (null); give it a value or remove it")
        plain, is_secret = _replace_secure(stack_file.name, full_key, value)
        config[full_key] = _as_config_text(plain)
        if isinstance(plain, (dict, list)):
            structured.add(full_key)
        if is_secret:
            secret_keys.add(full_key)
    _apply_declarations(stack, declarations, config, structured, frozenset(secret_keys))
    return StackSettings(project, stack, config, frozenset(secret_keys))


def _mapping(path: Path) -> dict[str, Any]:
    loaded = read_yaml_file(path)
    if loaded is None:
        raise StackFileError(f"{path.name}: is empty; expected a mapping (config: with the stack's keys)")
    if not isinstance(loaded, dict):
        raise StackFileError(f"{path.name}: expected a mapping at the top level, found {_kind(loaded)}")
    return loaded


def _replace_secure(file_name: str, key: str, value: Any) -> tuple[Any, bool]:
    """Swap `{secure: ...}` for a marked placeholder; a key holding any secure value is secret as a whole."""
    if isinstance(value, dict) and "secure" in value and len(value) > 1:
        raise StackFileError(f"{file_name}: {key}: `secure:` stands alone in its mapping; it holds one encrypted value")
    if isinstance(value, dict) and set(value) == {"secure"}:
        if not isinstance(value["secure"], str) or not value["secure"]:
            raise StackFileError(
                f"{file_name}: {key}: a secure value is the ciphertext `pulumi config set --secret` writes"
            )
        return secret_placeholder(key), True
    if isinstance(value, dict):
        pairs = {name: _replace_secure(file_name, f"{key}.{name}", item) for name, item in value.items()}
        return {name: pair[0] for name, pair in pairs.items()}, any(pair[1] for pair in pairs.values())
    if isinstance(value, list):
        items = [_replace_secure(file_name, f"{key}[{index}]", item) for index, item in enumerate(value)]
        return [item[0] for item in items], any(item[1] for item in items)
    return value, False
