"""Finds the inputs of a resource that carry a secret, wherever a program tends to put them."""

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from .containers import CONTAINER
from .properties import UNKNOWN, entries, env_pairs, get, items

REMOTE_COMMAND = "command:remote:Command"
LOCAL_COMMAND = "command:local:Command"
PROVIDER_PREFIX = "pulumi:providers:"

_SECRET_NAME = re.compile(r"(?i)(^|_)(password|passwd|pass|pwd|secret|token|key|apikey|passphrase)(_|$)")
_NOT_SECRET_NAME = re.compile(r"(?i)(_file|_path|_id|_url|_name|_user|_username)$|public")
# Input property names (camelCase, as the engine sends them) of passwords and tokens.
_SECRET_PROPERTY = re.compile(
    r"^(password|passwd|secret|token|passphrase|apiToken|apiKey)$|^[a-z][A-Za-z0-9]*(Password|Secret|Token|ApiKey)$"
)
_URL_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://[^\s/:@]*:[^\s/@]+@[^\s]+", re.IGNORECASE)
_REQUIREPASS = re.compile(r"--requirepass(?:=|\s+)(\S+)")
# A value that names an environment variable instead of holding the secret: "$REDIS_PASSWORD".
_REFERENCE = re.compile(r"^[\"']?\$\{?([A-Za-z_]\w*)\}?[\"']?$")

# Who owns a password in the images and installers this project uses, when the name says nothing.
_DEFAULT_USERS = {"POSTGRES_PASSWORD": ("POSTGRES_USER", "postgres"), "MYSQL_ROOT_PASSWORD": ("", "root")}


@dataclass(frozen=True)
class SecretInput:
    property: str
    """Top-level input property holding the secret (what additional_secret_outputs must name)."""
    label: str
    """Where it is, for messages: 'envs POSTGRES_PASSWORD', 'command --requirepass', ..."""
    value: Any
    """The value, or UNKNOWN during preview."""
    user_names: tuple[str, ...] = ()


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name)) and not _NOT_SECRET_NAME.search(name)


def _user_for(name: str, known: Mapping[str, Any]) -> tuple[str, ...]:
    user_key, fallback = _DEFAULT_USERS.get(name, ("", ""))
    stem = re.sub(r"(?i)_?(password|passwd|pass|pwd)$", "", name)
    # POSTGRES_PASSWORD -> POSTGRES_USER; ROOT_USER_PASSWORD -> ROOT_USERNAME (Coolify's installer).
    candidates = [user_key, f"{stem}_USER", f"{stem}_USERNAME", f"{stem}NAME"]
    found = [str(known[key]) for key in candidates if key and known.get(key) not in (None, UNKNOWN)]
    return tuple(found or ([fallback] if fallback else []))


def env_reference(value: Any) -> str | None:
    """The variable a value such as "$REDIS_PASSWORD" refers to, or None when it is a value itself."""
    match = _REFERENCE.match(str(value)) if value is not UNKNOWN else None
    return match[1] if match else None


def requirepass_values(props: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(property, label, value) of every Redis --requirepass in a container's command or environment."""
    for _, name, value in env_pairs(get(props, "envs")):
        for match in _REQUIREPASS.finditer(str(value)):
            yield "envs", f"envs {name} --requirepass", match[1]
    arguments = [argument for _, argument in items(get(props, "command"))]
    for position, argument in enumerate(arguments):
        if argument == "--requirepass" and position + 1 < len(arguments):
            yield "command", "command --requirepass", arguments[position + 1]
        elif argument is not UNKNOWN:
            for match in _REQUIREPASS.finditer(str(argument)):
                yield "command", "command --requirepass", match[1]


def _container_inputs(props: Mapping[str, Any]) -> Iterator[SecretInput]:
    envs = {name: value for _, name, value in env_pairs(get(props, "envs"))}
    for name, value in envs.items():
        if is_secret_name(name):
            yield SecretInput("envs", f"envs {name}", value, _user_for(name, envs))
    for property_name, label, value in requirepass_values(props):
        # A reference to an environment variable is judged there, as that variable.
        if env_reference(value) is None:
            yield SecretInput(property_name, label, value, ("default",))


def _environment_inputs(props: Mapping[str, Any]) -> Iterator[SecretInput]:
    environment = dict(entries(get(props, "environment")))
    for name, value in environment.items():
        if is_secret_name(name):
            yield SecretInput("environment", f"environment {name}", value, _user_for(name, environment))


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _named_inputs(props: Mapping[str, Any], path: tuple[str, ...] = ()) -> Iterator[SecretInput]:
    """Properties named like secrets anywhere in the inputs (provider tokens, registry passwords, ...)."""
    for key, value in entries(props):
        where = (*path, key)
        if isinstance(value, Mapping):
            yield from _named_inputs(value, where)
        elif _SECRET_PROPERTY.match(key) and not _is_sequence(value):
            yield SecretInput(where[0], ".".join(where), value)


def _url_inputs(value: Any, path: tuple[str, ...]) -> Iterator[SecretInput]:
    """Passwords inside URLs, such as postgres://user:password@host/db, in any string input."""
    if isinstance(value, Mapping):
        for key, item in entries(value):
            yield from _url_inputs(item, (*path, key))
    elif _is_sequence(value):
        for index, item in items(value):
            yield from _url_inputs(item, (*path, f"[{index}]"))
    elif isinstance(value, str):
        for match in _URL_CREDENTIALS.finditer(value):
            parts = urlsplit(match[0])
            if parts.password is not None:
                label = ".".join(path).replace(".[", "[")
                user = (unquote(parts.username or ""),)
                yield SecretInput(path[0], f"{label} URL password", unquote(parts.password), user)


def secret_inputs(resource_type: str, props: Mapping[str, Any]) -> list[SecretInput]:
    found: list[SecretInput] = []
    if resource_type == CONTAINER:
        found += _container_inputs(props)
    if resource_type in (REMOTE_COMMAND, LOCAL_COMMAND):
        found += _environment_inputs(props)
    found += _named_inputs(props)
    for key, value in entries(props):
        found += _url_inputs(value, (key,))
    return found
