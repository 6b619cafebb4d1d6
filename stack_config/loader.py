"""Turns a stack's raw Pulumi configuration into a validated StackConfig, or one line per problem."""

from collections.abc import Mapping, Sequence
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pulumi
import pulumi.runtime.config
from pydantic import BaseModel, SecretStr, Tag, ValidationError
from pydantic.fields import FieldInfo

from stack_config.base import KeyedValueError
from stack_config.model import ENVIRONMENTS, StackConfig
from stack_config.screening import key_path, refused_character, screen
from stack_config.sensitive import looks_like_secret

# How much of a value a message shows; longer values are cut, with their length said.
SHOWN_CHARS = 80


class ConfigError(Exception):
    """The stack's configuration is unusable; each problem is one line that names its key."""

    def __init__(self, problems: Sequence[str]) -> None:
        lines = [_one_line(problem) for problem in problems]
        super().__init__("\n".join(lines))
        self.problems = lines


def _one_line(text: str) -> str:
    """A problem as one line of printable text, whatever a value or key it quotes holds."""
    if refused_character(text) is None:
        return text
    return "".join(char if refused_character(char) is None else ascii(char)[1:-1] for char in text)


def load_stack_config(
    namespace: str, stack: str, raw: Mapping[str, str], secret_keys: frozenset[str] = frozenset()
) -> StackConfig:
    """Validate the `<namespace>:<key>` entries of `raw` (Pulumi's string-encoded values) for `stack`."""
    prefix = f"{namespace}:"
    screened = screen(namespace, raw, secret_keys)
    if screened.problems:
        raise ConfigError(screened.problems)
    data = dict(screened.values)
    problems: list[str] = []
    data.setdefault("environment", stack)
    if data["environment"] not in ENVIRONMENTS:
        origin = "set" if f"{prefix}environment" in raw else f"taken from the stack name {_shown(stack)}"
        problems.append(
            f"{prefix}environment: {_shown(data['environment'])} ({origin}) is not an environment; "
            f"allowed: {', '.join(ENVIRONMENTS)}"
        )
    elif stack in ENVIRONMENTS and data["environment"] != stack:
        problems.append(
            f"{prefix}environment: {data['environment']!r} does not match the stack {stack!r}; "
            "a stack named after an environment must be that environment"
        )
    if problems:
        raise ConfigError(problems)
    hidden = {key.removeprefix(prefix) for key in secret_keys if key.startswith(prefix)}
    try:
        return StackConfig.model_validate(data, context={"secret_keys": hidden})
    except ValidationError as error:
        raise ConfigError([_describe(prefix, detail, hidden) for detail in error.errors(include_url=False)]) from None


def load_from_pulumi() -> StackConfig:
    """Read the running program's configuration; a problem ends the program without a traceback.

    A value that is only an example (StackConfig.example_values) is a warning in a preview and refused by
    `pulumi up`: the shipped stack files preview, and nothing deploys them as they are."""
    raw = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    secret_keys = frozenset(key for key in raw if pulumi.runtime.config.is_config_secret(key))
    prefix = f"{pulumi.get_project()}:"
    try:
        config = load_stack_config(pulumi.get_project(), pulumi.get_stack(), raw, secret_keys)
    except ConfigError as error:
        # The Pulumi language host prints a RunError's message alone, without a stack trace.
        raise pulumi.RunError(str(error)) from None
    examples = [f"{prefix}{key}: {why}" for key, why in config.example_values()]
    if examples and not pulumi.runtime.is_dry_run():
        raise pulumi.RunError("\n".join(f"{line} (`pulumi up` deploys no example value)" for line in examples))
    for line in examples:
        pulumi.log.warn(line)
    return config


def _shown(value: Any) -> str:
    """A value as a message may show it: short, escaped, never one that looks like a secret."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        digits = len(str(abs(value))) if abs(value) < 10**100 else 101
        return str(value) if digits <= 20 else f"a number of {'over 100' if digits > 100 else digits} digits"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        if looks_like_secret(value):
            return f"a value that looks like a secret ({len(value)} characters, not shown)"
        if len(value) > SHOWN_CHARS:
            return f"{ascii(value[:SHOWN_CHARS])[:-1]}…' ({len(value)} characters)"
        return ascii(value) if not value.isascii() else repr(value)
    if isinstance(value, (list, dict)):
        texts = list(_texts(value))
        kind = "a list" if isinstance(value, list) else "a mapping"
        if any(looks_like_secret(text) for text in texts):
            return f"{kind} holding a value that looks like a secret"
        shown = repr(value) if all(text.isascii() for text in texts) else ascii(value)
        return shown if len(shown) <= SHOWN_CHARS else f"{kind} of {len(value)} items"
    return f"a {type(value).__name__}"


def _texts(value: Any) -> Any:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)


def _describe(prefix: str, detail: Any, hidden_keys: set[str]) -> str:
    raw = list(detail["loc"])
    error = (detail.get("ctx") or {}).get("error")
    given = detail["input"]
    if isinstance(error, KeyedValueError):
        raw.extend(error.key.split("."))
    if detail["type"] == "unknown_kind" and isinstance(given, dict):
        raw.append("kind")
        given = given.get("kind")
    location = _walk(raw)[2]
    key = key_path(prefix.removesuffix(":"), tuple(location)) if location else prefix.removesuffix(":")
    secret = bool(location and location[0] in hidden_keys) or _is_secret_field(raw)
    shown = "a secret value" if secret else _shown(given)
    kind = detail["type"]
    if kind == "missing":
        return f"{key}: is required ({_description(raw).rstrip('.')})"
    if kind == "extra_forbidden":
        return f"{key}: is not a known key; allowed: {', '.join(_allowed_keys(raw[:-1]))}"
    if isinstance(error, KeyedValueError):
        return f"{key}: {error.hidden() if secret else error}"
    if isinstance(error, ValueError) or kind == "unknown_kind":
        return f"{key}: {shown} {error or detail['msg']}"
    return f"{key}: {shown} is invalid; {detail['msg'][0].lower()}{detail['msg'][1:]}"


def _unwrap(annotation: Any) -> Any:
    """`X | None` and `Annotated[X, ...]` -> X; a union of several models (tagged) stays a union."""
    while True:
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) in (Union, UnionType) and len(members) == 1:
            annotation = members[0]
        else:
            return annotation


def _tagged_members(annotation: Any) -> dict[str, Any]:
    """Tag -> member of a union of `Annotated[Model, Tag(...)]`; empty for anything else."""
    if get_origin(annotation) not in (Union, UnionType):
        return {}
    members = {}
    for member in get_args(annotation):
        tags = [extra for extra in get_args(member)[1:] if isinstance(extra, Tag)] if get_origin(member) else []
        if tags:
            members[tags[0].tag] = get_args(member)[0]
    return members


def _walk(location: list[Any]) -> tuple[Any, FieldInfo | None, list[Any]]:
    """The annotation and field at a validation error's location, as far as the model describes it, and the
    location as keys of the stack file (without the tags pydantic adds for a member of a tagged union)."""
    annotation: Any = StackConfig
    field: FieldInfo | None = None
    keys: list[Any] = []
    for index, part in enumerate(location):
        annotation = _unwrap(annotation)
        members = _tagged_members(annotation)
        if part in members:
            annotation = members[part]
            continue
        keys.append(part)
        if get_origin(annotation) in (list, dict):
            annotation = get_args(annotation)[-1]
            continue
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None, None, keys + location[index + 1 :]
        field = next((f for name, f in annotation.model_fields.items() if part in (name, f.alias)), None)
        if field is None:
            return None, None, keys + location[index + 1 :]
        annotation = field.annotation
    return _unwrap(annotation), field, keys


def _is_secret_field(location: list[Any]) -> bool:
    annotation, _, _ = _walk(location)
    return annotation is SecretStr


def _allowed_keys(location: list[Any]) -> list[str]:
    model, _, _ = _walk(location)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


def _description(location: list[Any]) -> str:
    _, field, _ = _walk(location)
    return (field.description or "") if field else ""
