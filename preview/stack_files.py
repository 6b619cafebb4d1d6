"""Reads Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands them to a program.

The files are read strictly (`load_yaml`): a problem is one line naming the file, the line and the key, and
nothing in a file can make reading it slow or show one of its values:
- at most MAX_FILE_BYTES, UTF-8 (a leading byte order mark is dropped, as the CLI drops it:
  pulumi/pulumi@v3.259.0:sdk/go/common/workspace/loaders.go:30-31,160);
- one document; no anchors or aliases (nothing in a stack file needs them, and expanding them is how a small
  file becomes a huge value); no tags but YAML's own; keys are text, each once in its mapping;
- nesting at most MAX_DEPTH deep, numbers of at most MAX_DIGITS digits;
- scalars resolved by YAML 1.2's core schema (https://yaml.org/spec/1.2.2/#103-core-schema), as the CLI's
  gopkg.in/yaml.v3 does (pulumi/pulumi@v3.259.0:sdk/go/common/encoding/marshal.go:27): `4:30` and `2025-01-01`
  stay text, `yes` stays text.

Then the project's `config:` declarations are applied as `pulumi preview` and `pulumi up` apply them before the
program runs (pulumi/pulumi@v3.259.0:pkg/workspace/config.go:255-366; what they mean: the comment at the top of
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
"""

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class StackFileError(Exception):
    """The project or stack file is missing or malformed."""


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


@dataclass(frozen=True)
class StackSettings:
    project: str
    stack: str
    config: dict[str, str]
    """`<namespace>:<key>` -> the value as the CLI passes it: plain text for scalars, JSON otherwise."""
    secret_keys: frozenset[str]


SECRET_PLACEHOLDER_PREFIX = "offline-placeholder-for-secret-"
# A stack file of this project is under 1 kB; 256 KiB holds any real one many times over.
MAX_FILE_BYTES = 256 * 1024
# `config:` > key > section > dns.overrides > label > ttl is 6 levels; the bound leaves room and stops a
# "[[[[..." file at once.
MAX_DEPTH = 16
# 2^64 has 20 digits; no setting is a longer number, and longer ones cost quadratic time to convert.
MAX_DIGITS = 20
# Config keys as the CLI parses them: `<namespace>:<name>`, or the older `<namespace>:config:<name>`
# (pulumi/pulumi@v3.259.0:sdk/go/common/resource/config/key.go:45-69); here also printable and bounded.
_KEY_PART = r"[A-Za-z0-9_.@/-]{1,100}"
_CONFIG_KEY = re.compile(rf"(?P<namespace>{_KEY_PART})(:config)?:(?P<name>{_KEY_PART})", re.ASCII)
_PLAIN_NAME = re.compile(_KEY_PART, re.ASCII)
# Stack names: letters, digits, '-', '_' and '.'.
_STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}", re.ASCII)
# What a declaration may say (pulumi/pulumi@v3.259.0:sdk/go/common/workspace/project.json:335-344, 378-398).
CONFIG_TYPES = ("string", "integer", "boolean", "array", "object")
_DECLARATION_ATTRIBUTES = ("type", "items", "description", "default", "value", "secret")
# Text Go's strconv.Atoi takes: an optional sign and decimal digits (leading zeros too), within 64 bits.
_ATOI = re.compile(r"(?P<sign>[+-]?)0*(?P<digits>[0-9]{1,19})", re.ASCII)

_STR = "tag:yaml.org,2002:str"
_ALLOWED_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}
# YAML 1.2 core schema, 10.3.2 (tag resolution of plain scalars).
_NULL = re.compile(r"null|Null|NULL|~|")
_TRUE = re.compile(r"true|True|TRUE")
_FALSE = re.compile(r"false|False|FALSE")
_DECIMAL = re.compile(r"[-+]?[0-9]+", re.ASCII)
_OCTAL = re.compile(r"0o[0-7]+", re.ASCII)
_HEX = re.compile(r"0x[0-9a-fA-F]+", re.ASCII)
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?", re.ASCII)
_INFINITY = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def _mapping(path: Path) -> dict[str, Any]:
    loaded = read_yaml_file(path)
    if loaded is None:
        raise StackFileError(f"{path.name}: is empty; expected a mapping (config: with the stack's keys)")
    if not isinstance(loaded, dict):
        raise StackFileError(f"{path.name}: expected a mapping at the top level, found {_kind(loaded)}")
    return loaded


def read_yaml_file(path: Path) -> Any:
    """The file's one YAML document, read strictly (module docstring), or StackFileError in one line."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise StackFileError(f"{path.name}: is {size:,} bytes; allowed: at most {MAX_FILE_BYTES:,}")
        data = path.read_bytes()
    except OSError as error:
        raise StackFileError(f"{path.name}: cannot be read ({error.strerror})") from None
    return load_yaml(data, path.name)


def load_yaml(data: bytes | str, name: str) -> Any:
    """One YAML document from `data`, read strictly (module docstring); StackFileError names `name` and the line."""
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            raise StackFileError(f"{name}: is {len(data):,} bytes; allowed: at most {MAX_FILE_BYTES:,}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise StackFileError(
                f"{name}: is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"
            ) from None
    else:
        text = data
    text = text.removeprefix("\ufeff")
    try:
        return _Composer(name).compose(yaml.parse(text, Loader=_LOADER))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = _one_line(error.problem or error.context or "is not YAML")
        raise StackFileError(f"{name}: {where}{problem}") from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        character = chr(error.character) if isinstance(error.character, int) else str(error.character)
        raise StackFileError(
            f"{name}: line {line}: {character!a} is not allowed in YAML text ({error.reason})"
        ) from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{name}: is not YAML ({_one_line(str(error).splitlines()[0])})") from None


class _Composer:
    """Builds the document from the parser's events, refusing what the module docstring lists as it goes."""

    def __init__(self, name: str) -> None:
        self.name = name
        # Open containers: [value, pending key or None, {key: line} for mappings].
        self.stack: list[list[Any]] = []
        self.documents = 0
        self.root: Any = None

    def refuse(self, event: Any, problem: str) -> StackFileError:
        return StackFileError(f"{self.name}: line {event.start_mark.line + 1}: {problem}")

    def compose(self, events: Any) -> Any:
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                self.documents += 1
                if self.documents > 1:
                    raise self.refuse(event, "a second YAML document (---); a stack file holds one")
            elif isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise self.refuse(
                    event, "anchors and aliases (&name, *name) are not allowed in a stack file; write each value out"
                )
            elif isinstance(event, yaml.ScalarEvent):
                self.add(event, self.scalar(event))
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                self.check_tag(event)
                if len(self.stack) >= MAX_DEPTH:
                    raise self.refuse(event, f"is nested more than {MAX_DEPTH} levels deep")
                container: Any = [] if isinstance(event, yaml.SequenceStartEvent) else {}
                self.add(event, container)
                self.stack.append([container, None, {}])
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                self.stack.pop()
        return self.root

    def add(self, event: Any, value: Any) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        container, key, lines = top
        if isinstance(container, list):
            container.append(value)
        elif key is None:
            self.key(event, value, lines)
            top[1] = value
        else:
            container[key] = value
            top[1] = None

    def key(self, event: Any, value: Any, lines: dict[str, int]) -> None:
        if not isinstance(value, str):
            raise self.refuse(event, f"a key is {_kind(value)}; keys are text (quote it)")
        if value == "<<" and event.implicit[0]:
            raise self.refuse(event, "merge keys (<<) are not allowed in a stack file; write each key out")
        line = event.start_mark.line + 1
        if value in lines:
            raise self.refuse(
                event,
                f"the key {_shown(value)} appears twice in one mapping (lines {lines[value]} and {line}); keep one",
            )
        lines[value] = line

    def check_tag(self, event: Any) -> None:
        if event.tag not in (None, "!") and event.tag not in _ALLOWED_TAGS:
            raise self.refuse(event, f"the tag {_shown(event.tag)} is not allowed; a stack file holds plain values")

    def scalar(self, event: Any) -> Any:
        self.check_tag(event)
        text: str = event.value
        tag = event.tag
        if tag in (None, "!") and not event.implicit[0]:
            return text  # quoted or block text, or the non-specific tag '!'
        if tag in (None, "!"):
            tag = _resolve(text)
        if tag == _STR:
            return text
        return self.construct(event, tag, text)

    def construct(self, event: Any, tag: str, text: str) -> Any:
        if tag.endswith(":null") and _NULL.fullmatch(text):
            return None
        if tag.endswith(":bool") and (_TRUE.fullmatch(text) or _FALSE.fullmatch(text)):
            return _TRUE.fullmatch(text) is not None
        if tag.endswith(":int") and (_DECIMAL.fullmatch(text) or _OCTAL.fullmatch(text) or _HEX.fullmatch(text)):
            if len(text) > MAX_DIGITS:
                raise self.refuse(event, f"a number of {len(text)} characters; allowed: at most {MAX_DIGITS} digits")
            return int(text, 0) if not _DECIMAL.fullmatch(text) else int(text)
        if tag.endswith(":float") and (_FLOAT.fullmatch(text) or _INFINITY.fullmatch(text) or _NAN.fullmatch(text)):
            if len(text) > MAX_DIGITS * 2:
                raise self.refuse(event, f"a number of {len(text)} characters; allowed: at most {MAX_DIGITS * 2}")
            if _NAN.fullmatch(text):
                return float("nan")
            if _INFINITY.fullmatch(text):
                return float("-inf") if text.startswith("-") else float("inf")
            return float(text)
        raise self.refuse(event, f"a value is not what its tag {_shown(tag)} says (a {tag.rsplit(':', 1)[-1]})")


def _resolve(text: str) -> str:
    if _NULL.fullmatch(text):
        return "tag:yaml.org,2002:null"
    if _TRUE.fullmatch(text) or _FALSE.fullmatch(text):
        return "tag:yaml.org,2002:bool"
    if _DECIMAL.fullmatch(text) or _OCTAL.fullmatch(text) or _HEX.fullmatch(text):
        return "tag:yaml.org,2002:int"
    if _FLOAT.fullmatch(text) or _INFINITY.fullmatch(text) or _NAN.fullmatch(text):
        return "tag:yaml.org,2002:float"
    return _STR


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "text"


def _shown(text: Any) -> str:
    """A key or tag in a message: quoted, escaped, shortened."""
    text = str(text)
    return ascii(text[:60]) + ("…" if len(text) > 60 else "")


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


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


def _as_config_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
