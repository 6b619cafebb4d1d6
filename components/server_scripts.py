"""Shell scripts for the server, shipped from `scripts/` and run over SSH as `bash -s` on stdin.

Each script travels with `scripts/lib.sh` in front of it, on the same stdin. Its non-secret inputs,
templates included, travel as shell-quoted `NAME=value` prefixes of the command line, readable in a
preview; secrets travel as SSH environment and never appear in a command line. sshd drops every
variable its `AcceptEnv` lines do not name (templates/sshd-hardening.conf), silently: so what may be
sent is read from that file.
"""

import hashlib
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path

from components.templates import TEMPLATE_DIR

SCRIPTS_DIR = Path(__file__).parent / "scripts"
LIBRARY = "lib.sh"
SSHD_DROP_IN = "sshd-hardening.conf"


@dataclass(frozen=True)
class ServerScript:
    name: str
    text: str
    """The library and the script, ready for `bash -s`."""

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def server_script(name: str) -> ServerScript:
    library = (SCRIPTS_DIR / LIBRARY).read_text()
    return ServerScript(name, f"{library}\n{(SCRIPTS_DIR / name).read_text()}")


@cache
def _scripts_by_text() -> dict[str, str]:
    names = (path.name for path in SCRIPTS_DIR.glob("*.sh") if path.name != LIBRARY)
    return {server_script(name).text: name for name in names}


def script_sent_as(stdin: str) -> str | None:
    """Which server script a step's stdin is, if it is one of ours."""
    return _scripts_by_text().get(stdin)


def template_text(name: str) -> str:
    """A template sent as it is (its `${...}` belong to the server side, e.g. docker compose)."""
    return (TEMPLATE_DIR / name).read_text()


def command_line(inputs: Mapping[str, str]) -> str:
    """`NAME=value ... bash -s`, every value shell-quoted."""
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in inputs.items())
    return f"{assignments} bash -s" if assignments else "bash -s"


def fingerprint(script: ServerScript, inputs: Mapping[str, str]) -> str:
    """Changes whenever the script or one of its non-secret inputs does: the step's trigger."""
    material = script.text + "".join(f"\0{name}={value}" for name, value in sorted(inputs.items()))
    return hashlib.sha256(material.encode()).hexdigest()


def sshd_accepts(variable: str) -> bool:
    """Whether the hardened sshd takes `variable` from a client: a name or pattern on one of its `AcceptEnv` lines."""
    for line in (TEMPLATE_DIR / SSHD_DROP_IN).read_text().splitlines():
        keyword, _, patterns = line.strip().partition(" ")
        if keyword.lower() == "acceptenv" and any(fnmatchcase(variable, pattern) for pattern in patterns.split()):
            return True
    return False
