"""Runs the real program under recording mocks; recordings of the shipped stacks are shared per session."""

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from preview.engine import RecordedStack, run_program
from preview.mocks import ApplyMocks, PlanMocks
from preview.stack_files import StackSettings, read_stack
from tests.sshd import ssh_server

# A real sshd on 127.0.0.1 for every test that connects the way `pulumi up` does.
__all__ = ["ssh_server"]

PROJECT_DIR = Path(__file__).resolve().parent.parent
STACKS = ("staging", "production")
NAMESPACE = "hetzner-coolify"


def _merged(shipped: Any, change: Any) -> Any:
    if isinstance(shipped, dict) and isinstance(change, dict):
        merged = {**shipped, **{key: _merged(shipped.get(key), value) for key, value in change.items()}}
        return {key: value for key, value in merged.items() if value is not None}
    return change


def layered(base: Any, change: Any) -> Any:
    """`change` over `base`, keeping the None that tells stack_settings() to remove a key."""
    if isinstance(base, dict) and isinstance(change, dict):
        return {**base, **{key: layered(base.get(key), value) for key, value in change.items()}}
    return change


def stack_settings(
    stack: str, changes: dict[str, Any] | None = None, secret_keys: frozenset[str] = frozenset()
) -> StackSettings:
    """The shipped stack file with keys changed: objects merge into the shipped ones, anything else
    replaces; None removes a key, and a string is taken as the raw config text. Keys named in
    `secret_keys` count as set with `pulumi config set --secret`."""
    shipped = read_stack(PROJECT_DIR, stack)
    config = dict(shipped.config)
    for key, value in (changes or {}).items():
        full_key = f"{NAMESPACE}:{key}"
        if value is None:
            config.pop(full_key, None)
        elif isinstance(value, str):
            config[full_key] = value
        else:
            current = json.loads(config[full_key]) if full_key in config else None
            config[full_key] = json.dumps(_merged(current, value))
    secret = shipped.secret_keys | {f"{NAMESPACE}:{key}" for key in secret_keys}
    return StackSettings(shipped.project, stack, config, secret)


def shipped_value(stack: str, key: str) -> Any:
    return copy.deepcopy(json.loads(read_stack(PROJECT_DIR, stack).config[f"{NAMESPACE}:{key}"]))


# `pulumi up` refuses the shipped files' example values (StackConfig.example_values): a stack the tests
# deploy has a team's own in their place (a key and an age recipient made for the tests, whose private halves
# nobody kept; the admin key keeps the example's name, so the resources keep theirs).
OWN_VALUES: dict[str, Any] = {
    "domain": "acme-apps.eu",
    "adminSshKeys": [
        {
            "name": "alice",
            "publicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJwQdVwansEJNialkX0rPNcfT/HcFFaGo/FRPzn/qw1x "
            "alice@laptop",
        }
    ],
    "adminCidrs": ["85.214.132.0/24", "2a01:4f8:1234::/48"],
    "coolify": {"adminEmail": "ops@acme-apps.eu"},
    "backups": {
        "ageRecipient": "age16gdq58uh04382tk3q4smhr8gry6uw92tzk6udh6lx35fpj6kka8sa85a0q",
        "storage": {"accountId": "3f2a9c0b7d1e4f5a8b6c9d0e1f2a3b4c"},
    },
}


def record(
    stack: str,
    changes: dict[str, Any] | None = None,
    mocks: pulumi.runtime.Mocks | None = None,
    secret_keys: frozenset[str] = frozenset(),
) -> RecordedStack:
    """Run the program: with ApplyMocks as `pulumi up` (the shipped stack with OWN_VALUES) by default, or with
    PlanMocks as `pulumi preview`."""
    mock = mocks or ApplyMocks()
    previewing = isinstance(mock, PlanMocks)
    settings = stack_settings(stack, changes if previewing else layered(OWN_VALUES, changes or {}), secret_keys)
    return run_program(PROJECT_DIR, settings, mock, preview=previewing)


_recordings: dict[tuple[str, str], RecordedStack] = {}


@pytest.fixture(scope="session")
def recorded() -> Callable[[str, str], RecordedStack]:
    """recorded(stack, "apply" | "plan"): the shipped stack, recorded once per session."""

    def get(stack: str, mode: str = "apply") -> RecordedStack:
        if (stack, mode) not in _recordings:
            _recordings[stack, mode] = record(stack, mocks=PlanMocks() if mode == "plan" else ApplyMocks())
        return _recordings[stack, mode]

    return get
