"""One line for each problem pydantic finds: the key, the value as it may be shown, what is wrong with it, and what
is allowed there.

Pydantic's own texts name its internals ("Input should be a valid dictionary or instance of ServerSettings");
none reaches a line. What is allowed is read from the model: a type's Form (stack_config/types.py), a number's
bounds, a list's length, a Literal's choices, a section's keys.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, SecretStr, Tag
from pydantic.fields import FieldInfo

from stack_config.base import Problem
from stack_config.keys import unknown_key
from stack_config.model import StackConfig
from stack_config.screening import key_path
from stack_config.sensitive import looks_like_secret
from stack_config.types import Form

# How much of a value a message shows; longer values are cut, with their length said.
SHOWN_CHARS = 80

# Pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/), by what a line says.
_WRONG_KIND = {
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}
_NOT_A_NUMBER = frozenset(
    {"int_type", "int_parsing", "int_parsing_size", "int_from_float", "finite_number", "float_type", "float_parsing"}
)
_OUT_OF_RANGE = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})
_NOT_A_BOOLEAN = frozenset({"bool_type", "bool_parsing"})
_LENGTH = frozenset({"too_short", "too_long"})
_CHOICE = frozenset({"literal_error", "enum"})


def shown(value: Any) -> str:
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
        text = repr(value) if all(text.isascii() for text in texts) else ascii(value)
        return text if len(text) <= SHOWN_CHARS else f"{kind} of {len(value)} items"
    return f"a {type(value).__name__}"


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "text"


def describe(namespace: str, detail: Any, hidden_keys: frozenset[str]) -> Problem:
    """The line for one of pydantic's errors (`ValidationError.errors()`), and where it is in the stack file."""
    location = list(detail["loc"])
    given = detail["input"]
    kind = detail["type"]
    error = (detail.get("ctx") or {}).get("error")
    if kind == "unknown_kind" and isinstance(given, dict):
        location.append("kind")
        given = given.get("kind")
    place = _walk(location)
    key = key_path(namespace, tuple(place.keys)) if place.keys else namespace
    where = (f"{namespace}:{place.keys[0]}", *place.keys[1:]) if place.keys else ()
    secret = bool(place.keys and place.keys[0] in hidden_keys) or place.annotation is SecretStr
    value = "a secret value" if secret else shown(given)
    allowed = _allowed(place)
    if kind == "missing":
        purpose = (place.field.description or "").rstrip(".") if place.field else ""
        return Problem(where, f"{key}: is required{f' ({purpose})' if purpose else ''}; allowed: {allowed}")
    if kind == "extra_forbidden":
        return Problem(where, f"{key}: {unknown_key(str(location[-1]), _section_keys(location[:-1]))}")
    if isinstance(error, ValueError) or (kind == "unknown_kind" and isinstance(detail["input"], dict)):
        return Problem(where, f"{key}: {value} {error or detail['msg']}")
    if given is None:
        return Problem(where, f"{key}: is empty (null); allowed: {allowed}")
    if kind in _NOT_A_BOOLEAN:
        return Problem(where, f"{key}: {value} is not a boolean; allowed: true or false")
    if kind in _NOT_A_NUMBER:
        return Problem(where, f"{key}: {value} is not a whole number; allowed: {allowed}")
    if kind in _OUT_OF_RANGE:
        return Problem(where, f"{key}: {value} is out of range; allowed: {allowed}")
    if kind in _LENGTH:
        count = len(given) if isinstance(given, (list, dict)) else 0
        return Problem(where, f"{key}: has {_items(count)}; allowed: {_length(place.metadata)}")
    if kind in _CHOICE:
        return Problem(where, f"{key}: {value} is not one of the choices; allowed: {allowed}")
    expected = "a mapping" if kind == "unknown_kind" else _WRONG_KIND.get(kind)
    if expected and value.startswith(("a ", "an ")):
        # The value is described, not shown (a secret, a long list): the description says what it is.
        return Problem(where, f"{key}: {value} is not {expected}; allowed: {allowed}")
    if expected:
        return Problem(where, f"{key}: {value} is {_kind_of(given)}, not {expected}; allowed: {allowed}")
    return Problem(where, f"{key}: {value} is not allowed here; allowed: {allowed}")


def _items(count: int) -> str:
    return "no items" if count == 0 else "1 item" if count == 1 else f"{count} items"


@dataclass(frozen=True)
class _Place:
    """What the model says about a place in the stack file."""

    annotation: Any
    """The type there, unwrapped from `X | None` and `Annotated`; None when the model has no such place."""
    metadata: tuple[Any, ...]
    """The constraints and Form on that type, and on the field when the place is a field."""
    field: FieldInfo | None
    """The last field on the way there."""
    keys: list[Any]
    """The place as keys and indexes of the stack file (without the tags pydantic adds for a union's member)."""


def unwrap(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    """`X | None` and `Annotated[X, ...]` -> X and the metadata; a union of several types stays a union."""
    metadata: tuple[Any, ...] = ()
    while True:
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        if get_origin(annotation) is Annotated:
            annotation, *extra = get_args(annotation)
            metadata += tuple(extra)
        elif get_origin(annotation) in (Union, UnionType) and len(members) == 1:
            annotation = members[0]
        else:
            return annotation, metadata


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


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _walk(location: list[Any]) -> _Place:
    """The place a validation error's location names, as far as the model describes it."""
    annotation: Any = StackConfig
    metadata: tuple[Any, ...] = ()
    field: FieldInfo | None = None
    keys: list[Any] = []
    for index, part in enumerate(location):
        members = _tagged_members(annotation)
        if part in members:
            annotation, metadata = unwrap(members[part])
            continue
        keys.append(part)
        if get_origin(annotation) in (list, dict):
            annotation, metadata = unwrap(get_args(annotation)[-1])
            continue
        found = annotation.model_fields if _is_model(annotation) else {}
        field = next((f for name, f in found.items() if part in (name, f.alias)), None)
        if field is None:
            return _Place(None, (), None, keys + location[index + 1 :])
        annotation, metadata = unwrap(field.annotation)
        metadata = (*field.metadata, *metadata)
    return _Place(annotation, metadata, field, keys)


def _section_keys(location: list[Any]) -> list[str]:
    model = _walk(location).annotation
    return [field.alias or name for name, field in model.model_fields.items()] if _is_model(model) else []


def _allowed(place: _Place) -> str:
    """What the place allows, in words."""
    form = _form(place.annotation, place.metadata)
    if place.annotation is int and not any(isinstance(item, Form) for item in place.metadata) and place.field:
        purpose = (place.field.description or "").rstrip(".")
        return f"{form} ({purpose[:1].lower()}{purpose[1:]})" if purpose else form
    return form


def _form(annotation: Any, metadata: tuple[Any, ...]) -> str:
    for item in metadata:
        if isinstance(item, Form):
            return item.text
    origin = get_origin(annotation)
    if annotation is bool:
        return "true or false"
    if annotation is int:
        return _bounds(metadata, "a whole number")
    if origin is Literal:
        return ", ".join(str(choice) for choice in get_args(annotation))
    if annotation is SecretStr:
        return "text, set with `pulumi config set --secret`"
    if annotation is str:
        return "text"
    if origin is list:
        return f"a list of {_length(metadata)}, each {_form(*unwrap(get_args(annotation)[0]))}"
    if origin is dict:
        return f"a mapping of names to {_form(*unwrap(get_args(annotation)[1]))}"
    if _is_model(annotation):
        return f"a mapping with the keys {', '.join(f.alias or n for n, f in annotation.model_fields.items())}"
    members = _tagged_members(annotation)
    if members:
        return " or ".join(f"{_form(member, ())} (kind {tag})" for tag, member in members.items())
    return "what the README describes for this key"


def _bounds(metadata: tuple[Any, ...], unbounded: str) -> str:
    low = next((item.ge for item in metadata if isinstance(item, annotated_types.Ge)), None)
    high = next((item.le for item in metadata if isinstance(item, annotated_types.Le)), None)
    if low is not None and high is not None:
        return f"{low}-{high}"
    if low is not None:
        return f"{low} or more"
    return f"at most {high}" if high is not None else unbounded


def _length(metadata: tuple[Any, ...]) -> str:
    low = next((item.min_length for item in metadata if isinstance(item, annotated_types.MinLen)), None)
    high = next((item.max_length for item in metadata if isinstance(item, annotated_types.MaxLen)), None)
    if low is not None and high is not None:
        return f"{low}-{high} items"
    if high is not None:
        return f"at most {high} items"
    return f"at least {low} items" if low is not None else "items"
