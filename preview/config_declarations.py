"""The project's `config:` declarations, applied as `pulumi preview` and `pulumi up` apply them before the program
runs (pulumi/pulumi@v3.259.0:pkg/workspace/config.go:255-366; what they mean: the comment at the top of
stack_config/project_schema.py):
- the declarations are checked as the CLI loads Pulumi.yaml (sdk/go/common/workspace/loaders.go:116-141): the
  attributes and types its JSON schema allows (project.json:74-107, 335-398), then Project.Validate
  (project.go:837-889); a bare value is shorthand for `default:`, or `value:` for another namespace's key
  (project.go:486-515);
- a key the stack leaves out gets the declared default (or value) as the program's text: scalars as text,
  anything else as JSON, never secret (config.go:179-193, 327-347);
- a key of the project declared with neither, and left out, is refused: `validating stack config: Stack 'dev' is
  missing configuration value 'name'` (config.go:53-64, 319-325);
- a declared `type` is checked against the stack's value, the text of a scalar or the decoded JSON of a mapping
  or list (config.go:101-154, project.go:771-831): `validating stack config: Stack 'dev' with configuration key
  'count' must be of type 'integer'`; a `secret: true` key (with a type) not set with `--secret` is refused.
  The first refusal, in the order of the declared keys, is the one line, as the CLI returns the first.
  Offline, a secure value's plaintext is unknown: a top-level one declared integer or boolean is not checked.
Keys the project does not declare pass as they are.

Config keys and values as the CLI reads them (`_config_key`, `_as_config_text`) are here too: preview/stack_files.py
reads the stack file's keys and values the same way.
"""

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from preview.strict_yaml import StackFileError, _kind, _shown


class StackConfigError(StackFileError):
    """The stack's configuration breaks the project's `config:` declarations: what the CLI refuses before the
    program runs, in its words (`validating stack config: ...`)."""


@dataclass(frozen=True)
class ConfigDeclaration:
    """One key of Pulumi.yaml's `config:`, as the CLI holds it after loading the project file."""

    key: str
    """As written in Pulumi.yaml: the CLI's messages name it so."""
    full_key: str
    ours: bool
    """The project's key (no namespace, or the project's): it may be typed, and is required without a default."""
    type: str | None = None
    items: dict[str, Any] | None = None
    default: Any = None
    value: Any = None
    secret: bool = False


# Config keys as the CLI parses them: `<namespace>:<name>`, or the older `<namespace>:config:<name>`
# (pulumi/pulumi@v3.259.0:sdk/go/common/resource/config/key.go:45-69); here also printable and bounded.
_KEY_PART = r"[A-Za-z0-9_.@/-]{1,100}"
_CONFIG_KEY = re.compile(rf"(?P<namespace>{_KEY_PART})(:config)?:(?P<name>{_KEY_PART})", re.ASCII)
_PLAIN_NAME = re.compile(_KEY_PART, re.ASCII)
# What a declaration may say (pulumi/pulumi@v3.259.0:sdk/go/common/workspace/project.json:335-344, 378-398).
CONFIG_TYPES = ("string", "integer", "boolean", "array", "object")
_DECLARATION_ATTRIBUTES = ("type", "items", "description", "default", "value", "secret")
# Text Go's strconv.Atoi takes: an optional sign and decimal digits (leading zeros too), within 64 bits.
_ATOI = re.compile(r"(?P<sign>[+-]?)0*(?P<digits>[0-9]{1,19})", re.ASCII)


def read_declarations(file_name: str, project: str, entries: Any) -> list[ConfigDeclaration]:
    """The project file's `config:` as the CLI loads it, or StackFileError naming the key in one line."""
    if entries is None:
        return []
    if isinstance(entries, str):
        raise StackFileError(
            f"{file_name}: `config:` naming a directory is the old spelling of `stackConfigDir`, which this reader "
            "does not follow; keep the stack files beside Pulumi.yaml"
        )
    if not isinstance(entries, dict):
        raise StackFileError(f"{file_name}: 'config' must be a mapping of keys to declarations")
    declarations: dict[str, ConfigDeclaration] = {}
    for key, entry in entries.items():
        full_key = _config_key(file_name, key, project)
        if "." in full_key.split(":", 1)[1]:
            raise StackFileError(
                f"{file_name}: config: {_shown(key)}: the CLI reads a declared name with '.' as a path into a value, "
                "which this reader does not follow; declare plain names"
            )
        if full_key in declarations:
            raise StackFileError(
                f"{file_name}: config: {full_key} is declared twice (as {_shown(declarations[full_key].key)} too)"
            )
        declarations[full_key] = _declaration(file_name, key, full_key, full_key.startswith(f"{project}:"), entry)
    return list(declarations.values())


def _declaration(file_name: str, key: str, full_key: str, ours: bool, entry: Any) -> ConfigDeclaration:
    where = f"{file_name}: config: {_shown(key)}"
    # Shorthand: a bare string, integer, boolean or list (pulumi/pulumi@v3.259.0:project.go:430-442, 500-513).
    if isinstance(entry, (str, int, list)):
        return ConfigDeclaration(key, full_key, ours, default=entry if ours else None, value=None if ours else entry)
    if not isinstance(entry, dict):
        raise StackFileError(
            f"{where}: is {_kind(entry)}; allowed: a declaration ({', '.join(_DECLARATION_ATTRIBUTES)}) or a string, "
            "integer, true/false or list as its default"
        )
    unknown = [name for name in entry if name not in _DECLARATION_ATTRIBUTES]
    if unknown:
        raise StackFileError(
            f"{where}: {_shown(unknown[0])} is not allowed; allowed: {', '.join(_DECLARATION_ATTRIBUTES)}"
        )
    type_name = entry.get("type")
    if "type" in entry and type_name not in CONFIG_TYPES:
        raise StackFileError(f"{where}: type {_shown(type_name)} is not one of {', '.join(CONFIG_TYPES)}")
    items = _items(where, entry["items"]) if "items" in entry else None
    if "description" in entry and not isinstance(entry["description"], str):
        raise StackFileError(f"{where}: description is {_kind(entry['description'])}; it is text")
    secret = entry.get("secret", False)
    if not isinstance(secret, bool):
        raise StackFileError(f"{where}: secret is {_kind(secret)}; it is true or false")
    declaration = ConfigDeclaration(
        key, full_key, ours, type_name, items, entry.get("default"), entry.get("value"), secret
    )
    _validate(file_name, declaration)
    return declaration


def _items(where: str, items: Any) -> dict[str, Any]:
    """An `items` declaration: a mapping with a `type`, and `items` again for an array (project.json:345-377)."""
    if not isinstance(items, dict) or items.get("type") not in CONFIG_TYPES or set(items) - {"type", "items"}:
        raise StackFileError(
            f"{where}: items must be a mapping with a type ({', '.join(CONFIG_TYPES)}), and items for an array"
        )
    if items["type"] == "array" and "items" not in items:
        raise StackFileError(f"{where}: items of type array need their own items")
    return {"type": items["type"], "items": _items(where, items["items"])} if "items" in items else dict(items)


def _validate(file_name: str, declaration: ConfigDeclaration) -> None:
    """Project.Validate, in its words (pulumi/pulumi@v3.259.0:sdk/go/common/workspace/project.go:837-889)."""
    key = declaration.key
    if declaration.default is not None and declaration.value is not None:
        problem = f"project config '{key}' cannot have both a 'default' and 'value' attribute"
    elif declaration.ours and declaration.type == "array" and declaration.items is None:
        problem = (
            f"The configuration key '{key}' declares an array but does not specify the underlying type via the "
            "'items' attribute"
        )
    elif (
        declaration.ours
        and declaration.type is not None
        and declaration.default is not None
        and not config_value_is_valid(declaration.type, declaration.items, declaration.default)
    ):
        problem = (
            f"The default value specified for configuration key '{key}' is not of the expected type "
            f"'{full_type_name(declaration.type, declaration.items)}'"
        )
    elif not declaration.ours and declaration.type is not None:
        problem = f"Configuration key '{key}' is not namespaced by the project and should not define a type"
    elif not declaration.ours and declaration.default is not None:
        problem = (
            f"Configuration key '{key}' is not namespaced by the project and should not define a default value. Did "
            "you mean to use the 'value' attribute instead of 'default'?"
        )
    elif not declaration.ours and declaration.value is None:
        problem = f"Configuration key '{key}' is namespaced and must provide an attribute 'value'"
    else:
        return
    raise StackFileError(f"{file_name}: {problem}")


def config_value_is_valid(type_name: str, items: dict[str, Any] | None, value: Any) -> bool:
    """Whether `value` is of the declared type, as the CLI decides (project.go:771-831): `value` is a YAML value
    of Pulumi.yaml, the text of a scalar stack value, or the decoded JSON of a mapping or list."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return math.isinf(value) or (not math.isnan(value) and value == math.trunc(value))
        number = _ATOI.fullmatch(value) if isinstance(value, str) else None
        return number is not None and -(2**63) <= int(number["sign"] + number["digits"]) < 2**63
    if type_name == "boolean":
        return isinstance(value, bool) or (isinstance(value, str) and value in ("true", "false"))
    if type_name == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or items is None:
        return False
    return all(config_value_is_valid(items["type"], items.get("items"), item) for item in value)


def full_type_name(type_name: str, items: dict[str, Any] | None) -> str:
    """`array<string>` (project.go:760-766)."""
    return f"array<{full_type_name(items['type'], items.get('items'))}>" if items else type_name


def _apply_declarations(
    stack: str,
    declarations: list[ConfigDeclaration],
    config: dict[str, str],
    structured: set[str],
    secret_keys: frozenset[str],
) -> None:
    """mergeConfig and validateStackConfigValues (pulumi/pulumi@v3.259.0:pkg/workspace/config.go:66-154, 255-366):
    defaults into `config`, then the first refusal as StackConfigError."""
    ordered = sorted(declarations, key=lambda declaration: declaration.key)
    missing: list[str] = []
    for declaration in ordered:
        if declaration.full_key in config:
            continue
        injected = declaration.default if declaration.default is not None else declaration.value
        if injected is None:
            if declaration.ours:
                missing.append(declaration.key)
            continue
        config[declaration.full_key] = _as_config_text(injected)
        if not isinstance(injected, (str, int)):  # the CLI's primitives are string, int and bool (config.go:170-193)
            structured.add(declaration.full_key)
    if missing:
        values = "value" if len(missing) == 1 else "values"
        raise StackConfigError(
            f"validating stack config: Stack '{stack}' is missing configuration {values} {_listed(missing)}"
        )
    for declaration in ordered:
        if declaration.type is None or declaration.full_key not in config:
            continue
        secure = declaration.full_key in secret_keys
        if declaration.secret and not secure:
            raise StackConfigError(
                f"validating stack config: Stack '{stack}' with configuration key '{declaration.key}' must be "
                "encrypted as it's secret"
            )
        is_structured = declaration.full_key in structured
        if secure and not is_structured and declaration.type in ("integer", "boolean"):
            continue  # the ciphertext's plaintext decides, and only the stack's secrets provider knows it
        text = config[declaration.full_key]
        content = json.loads(text) if is_structured else text
        if not config_value_is_valid(declaration.type, declaration.items, content):
            raise StackConfigError(
                f"validating stack config: Stack '{stack}' with configuration key '{declaration.key}' must be of "
                f"type '{full_type_name(declaration.type, declaration.items)}'"
            )


def _listed(keys: list[str]) -> str:
    """'a'; 'a' and 'b'; 'a', 'b' and 'c' (pulumi/pulumi@v3.259.0:pkg/workspace/config.go:30-51)."""
    quoted = [f"'{key}'" for key in sorted(keys)]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def _config_key(file_name: str, key: str, project: str) -> str:
    if _PLAIN_NAME.fullmatch(key):
        return f"{project}:{key}"
    match = _CONFIG_KEY.fullmatch(key)
    if match is None:
        raise StackFileError(
            f"{file_name}: config: {_shown(key)} is not a config key; allowed: <namespace>:<name> (or <name> for "
            f"this project's), each 1-100 of letters, digits and _ . @ / -"
        )
    return f"{match['namespace']}:{match['name']}"


def _as_config_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
