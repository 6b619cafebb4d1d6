"""Finds the inputs of a resource that carry a secret, wherever a program tends to put them."""

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .containers import CONTAINER
from .properties import UNKNOWN, entries, env_pairs, get, items

REMOTE_COMMAND = "command:remote:Command"
LOCAL_COMMAND = "command:local:Command"
COMMANDS = (REMOTE_COMMAND, LOCAL_COMMAND)
# The inputs of a command that are its command lines: on the server they are in every process listing.
COMMAND_LINES = ("create", "update", "delete")
PROVIDER_PREFIX = "pulumi:providers:"

# Words that make a name a secret's, as a whole word or at the end of one (PGPASSWORD); 'pass' as a whole word
# only (DB_PASS), or BYPASS would be one.
_SECRET_WORDS = ("password", "passwd", "pwd", "secret", "token", "passphrase", "apikey", "privatekey", "pass")
# Last words that make a name something else: where a secret is, who uses it, what it is called.
_NOT_SECRET_LAST_WORDS = frozenset(
    {"file", "path", "dir", "url", "uri", "name", "user", "username", "host", "port", "type", "id", "ids", "len",
     "length", "algorithm", "algo", "method", "policy", "version", "expiry", "ttl", "header", "prefix"}
)  # fmt: skip
# ..., unless the word before makes it a credential of its own: Vault's AppRole SECRET_ID, a TOKEN_ID.
_CREDENTIAL_IDS = frozenset({"secret", "token"})
# The shell's working directories.
_SHELL_VARIABLES = frozenset({"pwd", "oldpwd"})
# Property names (camelCase, as the engine sends them) of passwords and tokens.
# Patterns that must match a whole value are used with fullmatch: `$` would also accept a trailing newline.
_SECRET_PROPERTY = re.compile(
    r"(password|passwd|secret|token|passphrase|apiToken|apiKey)|[a-z][A-Za-z0-9]*(Password|Secret|Token|ApiKey)"
)
# A URL: its scheme starts only where a run of scheme characters starts (the lookbehind), so a long run of letters
# with no "://" after it is scanned once, not once from each of its letters (tests/policies/test_hostile_inputs.py).
_URL = re.compile(r"(?<![a-z0-9+.-])[0-9+.-]*(?P<url>[a-z][a-z0-9+.-]*://[^\s'\"<>]+)", re.IGNORECASE)
_QUERY_SECRETS = frozenset({"password", "pass", "pwd", "passwd", "secret", "token", "apikey", "api_key", "key"})
_REQUIREPASS = re.compile(r"--requirepass(?:=|\s+)(\S+)")
_CLI_SECRET_FLAG = re.compile(
    r"--(password|passwd|token|api-key|apikey|requirepass)(?:=|\s+)(\"[^\"]*\"|'[^']*'|[^\s;|&]+)"
)
_ASSIGNMENT = re.compile(r"(?<![\w$-])([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|[^\s;|&'\"]+)")
# A value that names an environment variable instead of holding the secret: "$REDIS_PASSWORD".
_REFERENCE = re.compile(r"[\"']?\$\{?([A-Za-z_]\w*)\}?[\"']?")
_PUBLIC_KEY = re.compile(
    r"(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-[\w.@-]+) AAAA[0-9A-Za-z+/=]{60,}( \S+)?|"
    r"age1[02-9ac-hj-np-z]{58}|-----BEGIN (SSH2 )?PUBLIC KEY-----[\s\S]*-----END (SSH2 )?PUBLIC KEY-----"
)
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})
MAX_FOUND = 100

# Who owns a password in the images and installers this project uses, when the name says nothing.
_DEFAULT_USERS = {"POSTGRES_PASSWORD": ("POSTGRES_USER", "postgres"), "MYSQL_ROOT_PASSWORD": ("", "root")}


@dataclass(frozen=True)
class SecretInput:
    path: tuple[str | int, ...]
    """Where the value is: ('envs', 1), ('environment', 'TOKEN'), ('create',), ..."""
    label: str
    """Where it is, for messages: 'envs POSTGRES_PASSWORD', 'command --requirepass', ..."""
    value: Any
    """The value, or UNKNOWN during preview."""
    user_names: tuple[str, ...] = ()
    on_command_line: bool = False
    """A literal on a command's command line, which every process listing on the server shows."""

    @property
    def property(self) -> str:
        return str(self.path[0])


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [word for word in re.split(r"[_\-.]+", spaced.lower()) if word]


@functools.cache  # a stack repeats the same few names in every resource
def is_secret_name(name: str) -> bool:
    """POSTGRES_PASSWORD, PGPASSWORD, APP_KEY, VAULT_SECRET_ID: yes; MINIO_ROOT_USER, AWS_ACCESS_KEY_ID,
    MINIO_ACCESS_KEY, SSH_PUBLIC_KEY, PASSWORD_FILE: no."""
    words = _words(name)
    if not words or "public" in words or "".join(words) in _SHELL_VARIABLES:
        return False
    last = words[-1]
    if last in _NOT_SECRET_LAST_WORDS:
        return last in ("id", "ids") and len(words) > 1 and words[-2] in _CREDENTIAL_IDS
    if last == "key":
        # An access key is an account's name (S3, MinIO); any other key is a secret (APP_KEY, SECRET_KEY).
        return len(words) == 1 or words[-2] != "access" or "secret" in words
    return any(
        word == secret or (word.endswith(secret) and secret != "pass") for word in words for secret in _SECRET_WORDS
    )


def _user_for(name: str, known: Mapping[str, Any]) -> tuple[str, ...]:
    user_key, fallback = _DEFAULT_USERS.get(name, ("", ""))
    stem = re.sub(r"(?i)_?(password|passwd|pass|pwd)\Z", "", name)
    # POSTGRES_PASSWORD -> POSTGRES_USER; ROOT_USER_PASSWORD -> ROOT_USERNAME (Coolify's installer).
    candidates = [user_key, f"{stem}_USER", f"{stem}_USERNAME", f"{stem}NAME"]
    found = [str(known[key]) for key in candidates if key and known.get(key) not in (None, UNKNOWN)]
    return tuple(found or ([fallback] if fallback else []))


def env_reference(value: Any) -> str | None:
    """The variable a value such as "$REDIS_PASSWORD" refers to, or None when it is a value itself."""
    match = _REFERENCE.fullmatch(str(value)) if value is not UNKNOWN else None
    return match[1] if match else None


def _unquoted(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'" else value


def _is_expansion(value: str) -> bool:
    """A shell word the shell fills in ($VAR, ${VAR}, $(...), `...`), as opposed to a literal."""
    return value.startswith("'") is False and ("$" in value or "`" in value)


def runs_in_a_shell(props: Mapping[str, Any]) -> bool:
    """Whether a container's command goes through a shell, which expands "$VARIABLE"; the exec form does not."""
    entrypoint = [str(item) for _, item in items(get(props, "entrypoints")) if item is not UNKNOWN]
    command = [str(item) for _, item in items(get(props, "command")) if item is not UNKNOWN]
    line = entrypoint + command
    return len(line) >= 2 and line[0].rsplit("/", 1)[-1] in _SHELLS and "-c" in line[1:3]


def requirepass_values(props: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str, Any]]:
    """(path, label, value) of every Redis --requirepass in a container's command or environment; a reference to
    a variable stays as written (the caller decides whether a shell expands it)."""
    for index, name, value in env_pairs(get(props, "envs")):
        for match in _REQUIREPASS.finditer(str(value)):
            yield ("envs", index), f"envs {name} --requirepass", _unquoted(match[1])
    arguments = [argument for _, argument in items(get(props, "command"))]
    for position, argument in enumerate(arguments):
        if argument == "--requirepass" and position + 1 < len(arguments):
            yield ("command", position + 1), "command --requirepass", arguments[position + 1]
        elif argument is not UNKNOWN:
            for match in _REQUIREPASS.finditer(str(argument)):
                yield ("command", position), "command --requirepass", _unquoted(match[1])


def _container_inputs(props: Mapping[str, Any]) -> Iterator[SecretInput]:
    envs = {name: value for _, name, value in env_pairs(get(props, "envs"))}
    for index, name, value in env_pairs(get(props, "envs")):
        if is_secret_name(name):
            yield SecretInput(("envs", index), f"envs {name}", value, _user_for(name, envs))
    shell = runs_in_a_shell(props)
    for path, label, value in requirepass_values(props):
        # A reference is judged as the variable it names, when a shell expands it; otherwise it is the password.
        if not (shell and path[0] == "command" and env_reference(value) is not None):
            yield SecretInput(path, label, value, ("default",))


def _environment_inputs(props: Mapping[str, Any]) -> Iterator[SecretInput]:
    environment = dict(entries(get(props, "environment")))
    for name, value in environment.items():
        if is_secret_name(name):
            yield SecretInput(("environment", name), f"environment {name}", value, _user_for(name, environment))


def _command_line_inputs(props: Mapping[str, Any]) -> Iterator[SecretInput]:
    """Literal secrets in a command's text: NAME=value assignments and --password value flags."""
    for key in (*COMMAND_LINES, "stdin"):
        text = get(props, key)
        if not isinstance(text, str):
            continue
        found = [(match[1], match[2]) for match in _ASSIGNMENT.finditer(text) if is_secret_name(match[1])]
        found += [(f"--{match[1]}", match[2]) for match in _CLI_SECRET_FLAG.finditer(text)]
        for name, written in found:
            if not _is_expansion(written):
                yield SecretInput((key,), f"{key} {name}", _unquoted(written), on_command_line=key in COMMAND_LINES)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _label(path: tuple[str | int, ...]) -> str:
    """('registryAuth', 1, 'password') -> 'registryAuth[1].password'."""
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path).lstrip(".")


def _named_inputs(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[SecretInput]:
    """Properties named like secrets anywhere in the inputs, lists included (provider tokens, registry auth)."""
    if isinstance(value, Mapping):
        for key, item in entries(value):
            if _SECRET_PROPERTY.fullmatch(key) and not isinstance(item, Mapping) and not _is_sequence(item):
                yield SecretInput((*path, key), _label((*path, key)), item)
            else:
                yield from _named_inputs(item, (*path, key))
    elif _is_sequence(value):
        for index, item in items(value):
            yield from _named_inputs(item, (*path, index))


def _url_inputs(value: Any, path: tuple[str | int, ...]) -> Iterator[SecretInput]:
    """Passwords inside URLs, as credentials (postgres://user:password@host/db) or query parameters (?password=)."""
    if isinstance(value, Mapping):
        for key, item in entries(value):
            yield from _url_inputs(item, (*path, key))
    elif _is_sequence(value):
        for index, item in items(value):
            yield from _url_inputs(item, (*path, index))
    elif isinstance(value, str) and "://" in value:
        label = _label(path)
        for match in _URL.finditer(value):
            try:
                parts = urlsplit(match["url"].rstrip(".,;)"))
                password = parts.password
            except ValueError:  # not a URL after all ("x://[" is an invalid IPv6 host)
                continue
            if password is not None and not _is_expansion(password):
                yield SecretInput(path, f"{label} URL password", unquote(password), (unquote(parts.username or ""),))
            for name, query_value in parse_qsl(parts.query):
                if name.lower() in _QUERY_SECRETS and query_value and not _is_expansion(query_value):
                    yield SecretInput(path, f"{label} URL query {name}", query_value)


def is_public_key(value: Any) -> bool:
    """An SSH public key, an age recipient or a PEM public key: named like a secret (PUSH_KEY), meant to be seen."""
    return isinstance(value, str) and bool(_PUBLIC_KEY.fullmatch(value.strip()))


def secret_inputs(resource_type: str, props: Mapping[str, Any]) -> list[SecretInput]:
    found: list[SecretInput] = []
    if resource_type == CONTAINER:
        found += _container_inputs(props)
    if resource_type in COMMANDS:
        found += _environment_inputs(props)
        found += _command_line_inputs(props)
    found += _named_inputs(props)
    for key, value in entries(props):
        found += _url_inputs(value, (key,))
    # The same secret written twice in the same place is one finding; and a resource with more than MAX_FOUND is
    # judged by those: a text repeating `--password x` a hundred thousand times must not become as many reports.
    distinct: dict[tuple[Any, ...], SecretInput] = {}
    for item in found:
        identity = (item.path, item.label, repr(item.value))
        if identity not in distinct and not is_public_key(item.value):
            distinct[identity] = item
            if len(distinct) == MAX_FOUND:
                break
    return list(distinct.values())
