"""The README tells a newcomer the truth: the quick start, every config key, every output."""

import re
from collections.abc import Iterator
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from policies.guardrails import POLICIES
from preview.policy_config import PolicyDefaults, resolve
from stack_config import StackConfig
from tests.conftest import PROJECT_DIR, record

README = (PROJECT_DIR / "README.md").read_text()


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The sections a field holds: its model, or each model of a union (`Annotated` members unwrapped)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) is Annotated:
        return _models(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return [model for member in get_args(annotation) for model in _models(member)]
    return []


def config_keys(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        sections = _models(field.annotation)
        if not sections:
            yield key
        for section in sections:
            yield from config_keys(section, key + ".")


def test_quick_start_is_the_two_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make \w+", quick_start, flags=re.MULTILINE)
    assert commands == ["make preview", "make test"]


def test_every_config_key_is_documented() -> None:
    keys = list(config_keys(StackConfig))
    assert "server.type" in keys and "dns.defaults.ttl" in keys
    assert "backups.storage.accountId" in keys and "backups.storage.endpoint" in keys
    missing = [key for key in keys if f"`{key}`" not in README and f"`{key}." not in README]
    assert missing == []


WITH_WORKERS = {"workers": {"count": 2}}


@pytest.mark.parametrize(
    ("stack", "changes", "secret_keys"),
    [
        ("staging", {}, frozenset()),
        ("production", {}, frozenset()),
        ("production", WITH_WORKERS, frozenset()),
        ("production", {**WITH_WORKERS, "coolifyApiToken": "1|not-a-real-token"}, frozenset({"coolifyApiToken"})),
    ],
    ids=["staging", "production", "workers", "workers-with-api-token"],
)
def test_every_output_is_documented(stack: str, changes: dict[str, Any], secret_keys: frozenset[str]) -> None:
    outputs = record(stack, changes, secret_keys=secret_keys).outputs
    missing = [key for key in outputs if f"`{key}`" not in README]
    assert missing == []


def test_every_policy_and_its_levels_per_stack_are_documented() -> None:
    defaults = {
        policy.name: PolicyDefaults(
            policy.enforcement_level.value if policy.enforcement_level else "advisory",
            dict(policy.config_schema.properties) if policy.config_schema else {},
        )
        for policy in POLICIES
    }
    rows = {
        cells[1].strip("` "): [cell.strip() for cell in cells[2:6]]
        for cells in (line.split("|") for line in README.splitlines() if line.startswith("| `") and "-" in line)
        if cells[1].strip("` ") in defaults
    }
    assert set(rows) == set(defaults)
    for stack, column in (("staging", 1), ("production", 2)):
        resolved = resolve(defaults, PROJECT_DIR / "policies" / "config" / f"{stack}.json")
        for name, setting in resolved.items():
            assert rows[name][column].startswith(setting.level), (name, stack)
    for name, policy_defaults in defaults.items():
        refuses, config = rows[name][0], rows[name][3]
        assert refuses, name
        assert [key for key in policy_defaults.schema if f"`{key}`" not in config] == [], name


def layout_rows() -> list[tuple[list[str], str]]:
    """(paths in the first cell, the whole row) for each row of the README's layout table."""
    section = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [(re.findall(r"`([^`]+)`", row.split("|")[1]), row) for row in rows]


def test_the_layout_table_names_only_what_exists() -> None:
    named = [path for paths, _ in layout_rows() for path in paths]
    assert [path for path in named if not (PROJECT_DIR / path).exists()] == []


def test_the_layout_table_covers_every_module_of_the_program_and_the_preview() -> None:
    rows = layout_rows()
    modules = [
        path.relative_to(PROJECT_DIR)
        for folder in ("components", "stack_config", "preview")
        for path in sorted((PROJECT_DIR / folder).iterdir())
        if path.name not in ("__init__.py", "__pycache__")
    ]

    def covered(module: Path) -> bool:
        shown = f"{module}/" if (PROJECT_DIR / module).is_dir() else str(module)
        return any(shown in paths or (f"{module.parent}/" in paths and f"`{module.name}" in row) for paths, row in rows)

    assert [str(module) for module in modules if not covered(module)] == []
