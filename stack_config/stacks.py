"""Stacks of any name: which names can name the stack's resources, and what a stack's name says by default.

The stack's name is in the physical name of everything it creates (`<project>-<stack>-postgres-data`: a Hetzner
server's hostname, an R2 bucket, a Docker volume), so it must fit where the strictest of those names must fit.
Its environment (staging or production) and its DNS name space default from it:

- environment: the stack's name for the stacks named `staging` and `production`; `staging` for any other name,
  except a name that looks like production (`prod`, `prod-eu`, `eu-live`), which must say its environment;
- dns.namespace: '' for the stack named `production`, the stack's name for every other one, so that two stacks
  never write the same DNS names unless someone sets `dns.namespace` on purpose.

stack_config/loader.py checks every stack's name and applies these defaults; components/naming.py names the
resources `<project>-<stack>`.
"""

import re
from typing import Literal

Environment = Literal["staging", "production"]
ENVIRONMENTS: tuple[Environment, ...] = ("staging", "production")

# The longest name a physical name may have: a DNS label and a hostname (RFC 1035, 2.3.4; RFC 1123, 2.1) and an
# R2 or S3 bucket name (https://developers.cloudflare.com/r2/buckets/create-buckets/#bucket-level-operations).
MAX_NAME_CHARS = 63
# The longest suffix the program appends to `<project>-<stack>`: `-postgres-data` (components/data_services.py).
MAX_SUFFIX_CHARS = len("-postgres-data")
# `<project>-<stack>`, the prefix of every physical name, is at most this long (49).
MAX_PREFIX_CHARS = MAX_NAME_CHARS - MAX_SUFFIX_CHARS

# Parts of a stack's name (split at '-', '_' and '.') that say it is production.
PRODUCTION_WORDS = frozenset({"prod", "prd", "production", "live"})

_STACK_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", re.ASCII)
# A stack's workers are named `<prefix>-worker-<n>` and their firewall and placement groups `<prefix>-workers[-<n>]`
# (components/workers.py): a stack named `<other>-worker-1` or `<other>-workers` would name its server or firewall
# as the other stack's, which Hetzner refuses in a shared project, whichever of the two comes second.
_WORKER_SUFFIX = re.compile(r".*-(worker-[0-9]+|workers(-[0-9]+)?)", re.ASCII)


def stack_name_problem(project: str, stack: str) -> str | None:
    """Why `stack` cannot name the resources of a stack of `project`, as one line, or None when it can.

    A name is lowercase letters, digits and hyphens, starting and ending with a letter or digit, and
    `<project>-<stack>` is at most MAX_PREFIX_CHARS long."""
    room = MAX_PREFIX_CHARS - len(project) - 1
    if _WORKER_SUFFIX.fullmatch(stack):
        return (
            f"stack {stack!r}: ends like the names of another stack's workers ({project}-{stack} names a worker, "
            f"the workers' firewall or a placement group of the stack {stack.rsplit('-worker', 1)[0]!r}); choose "
            "another name"
        )
    if _STACK_NAME.fullmatch(stack) and len(stack) <= room:
        return None
    limit = (
        f"at most {room} characters"
        if room > 0
        else f"but the project's name leaves no room: `{project}-<stack>` may have {MAX_PREFIX_CHARS} at most"
    )
    return (
        f"stack {stack!r}: names the stack's resources ({project}-{stack}-…); use lowercase letters, digits and "
        f"hyphens, starting and ending with a letter or digit, {limit}"
    )


def production_word(stack: str) -> str | None:
    """The part of the stack's name that says production (`prod` in `prod-eu`, `prod2` in `eu-prod2`), or None."""
    parts = re.split(r"[-_.]", stack.lower())
    return next((part for part in parts if part.rstrip("0123456789") in PRODUCTION_WORDS), None)


def default_environment(stack: str) -> Environment | None:
    """The environment of a stack that does not set one; None when its name looks like production but is not
    `production`, so that it must say which it is."""
    if stack == "production":
        return "production"
    if stack == "staging":
        return "staging"
    return None if production_word(stack) else "staging"


def default_dns_namespace(stack: str) -> str:
    """The labels between the stack's records and its domain when it does not set dns.namespace."""
    return "" if stack == "production" else stack
