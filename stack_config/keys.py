"""The keys of a stack file that mean something else than they say: a misspelt namespace (`hetzner_coolify:domain`,
silently ignored by Pulumi), a flat key with a dot (`server.type`, what `pulumi config set` writes without
`--path`), and a key the model does not know. Each is one line that names the key meant, when one is close.
"""

import difflib
import re
import shlex
from collections.abc import Mapping, Sequence

from stack_config.sensitive import looks_like_secret

# Namespaces whose keys a stack of this project may hold besides its own: its providers' and Pulumi's.
PROVIDER_NAMESPACES = ("hcloud", "cloudflare", "docker", "command", "random", "tls", "pulumi")
# How alike (difflib's ratio) a namespace must be to the project's or a provider's to be taken for a misspelling:
# one letter off in `hcloud` (0.91) or `hetzner-coolify` (0.97) is; `aws` or `kubernetes` is nowhere near.
NAMESPACE_LIKENESS = 0.8
# How alike a key must be to an allowed one to suggest it (difflib's default).
KEY_LIKENESS = 0.6
# A key named like a secret: its value is never quoted in a suggested command, whatever it looks like.
_SECRET_NAME = re.compile(r"token|secret|passw|credential|private|key$", re.IGNORECASE)
# A value quoted in a suggested command is at most this long; a longer one is written <value>.
MAX_QUOTED_VALUE = 60


def _plain(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


def did_you_mean(name: str, choices: Sequence[str], likeness: float = KEY_LIKENESS) -> str | None:
    """The choice `name` most likely misspells: equal but for case, '-' and '_', or the closest by difflib."""
    for choice in choices:
        if _plain(choice) == _plain(name):
            return choice
    lowered = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=likeness)
    return lowered[close[0]] if close else None


def unknown_key(name: str, allowed: Sequence[str]) -> str:
    """What is wrong with a key the model does not know, after the key itself."""
    meant = did_you_mean(name, allowed)
    hint = f" (did you mean {meant}?)" if meant else ""
    return f"is not a known key{hint}; allowed: {', '.join(allowed)}"


def misspelt_namespace(project: str, full_key: str) -> str | None:
    """`hetzner_coolify:domain` -> the problem after the key, when its namespace is close to the project's or a
    provider's but is neither; None for any other key."""
    namespace, colon, name = full_key.partition(":")
    known = (project, *PROVIDER_NAMESPACES)
    if not colon or namespace in known:
        return None
    meant = did_you_mean(namespace, known, NAMESPACE_LIKENESS)
    if meant is None:
        return None
    return f"{namespace!r} is not a namespace of this project or its providers; did you mean {meant}:{name}?"


def flat_key(project: str, key: str, value: str, sections: Mapping[str, Sequence[str]], secret: bool) -> str | None:
    """`server.type` (a key of the project with a dot) -> the problem after the key, with the command that sets it
    nested; None for a key without a dot. `sections` holds the model's top-level keys, each with its section's
    keys (none for a key that is not a section)."""
    if "." not in key:
        return None
    first, rest = key.split(".", 1)
    inner, *deeper = rest.split(".")
    problem = "is a flat key with a dot"
    if not sections.get(first):
        allowed = [name for name, keys in sections.items() if keys]
        meant = did_you_mean(first, allowed)
        hint = f"did you mean {meant}?" if meant else f"allowed: {', '.join(allowed)}"
        problem += f", and {first!r} is not a section of this configuration ({hint})"
        first = meant or first
    elif inner not in sections[first]:
        meant = did_you_mean(inner, sections[first])
        if meant is None:
            # No key it could mean: a command would set a key the configuration refuses.
            return f"{problem}, and {inner!r} is not a key of {first}; allowed: {', '.join(sections[first])}"
        problem += f", and {inner!r} is not a key of {first} (did you mean {meant}?)"
        inner = meant
    path = ".".join((first, inner, *deeper))
    shown = _quoted(value, secret or bool(_SECRET_NAME.search(key)))
    set_secret = "--secret " if secret else ""
    return (
        f"{problem}; set it nested with `pulumi config set {set_secret}--path {path} {shown}`, or in the stack "
        f"file as `{_flow([inner, *deeper], shown)}` under `{project}:{first}:`"
    )


def _flow(keys: list[str], value: str) -> str:
    """`defaults: {ttl: 300}`: keys nested in YAML's one-line (flow) style."""
    inner = value if len(keys) == 1 else f"{{{_flow(keys[1:], value)}}}"
    return f"{keys[0]}: {inner}"


def _quoted(value: str, secret: bool) -> str:
    """The value as a shell word in a suggested command, or <value> when it may not or cannot be shown."""
    if secret or looks_like_secret(value) or len(value) > MAX_QUOTED_VALUE or value.lstrip().startswith(("{", "[")):
        return "<value>"
    return shlex.quote(value)
