"""Loading the shipped stack files with changes, and collecting the one-line problems the loader reports."""

from typing import Any

import pytest

from stack_config import ConfigError, StackConfig, load_stack_config
from tests.conftest import NAMESPACE, stack_settings

ALICE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA2FAAB9YEE4rEw/DUJHbOGWax1rVeqX1KJVEd60ESW7 alice@example.com"


def load(stack: str, changes: dict[str, Any] | None = None, secret_keys: frozenset[str] = frozenset()) -> StackConfig:
    settings = stack_settings(stack, changes)
    return load_stack_config(NAMESPACE, stack, settings.config, secret_keys or settings.secret_keys)


def problems(stack: str, changes: dict[str, Any], secret_keys: frozenset[str] = frozenset()) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(stack, changes, secret_keys)
    return caught.value.problems


def bad_values(cases: list[tuple[str, dict[str, Any], str]]) -> pytest.MarkDecorator:
    """One test per (stack, changed keys, the one line expected): every line names the key, the value and what
    is allowed."""
    ids = [f"{index:02d}-{line.split(':')[1]}" for index, (*_, line) in enumerate(cases)]
    return pytest.mark.parametrize(("stack", "changes", "expected"), cases, ids=ids)
