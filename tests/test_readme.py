"""The README tells a newcomer the truth: the quick start, every config key, every output."""

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
import yaml
from pydantic import BaseModel

from policies.guardrails import POLICIES
from preview.policy_config import PolicyDefaults, resolve
from stack_config import StackConfig, load_stack_config
from tests.conftest import NAMESPACE, OWN_VALUES, PROJECT_DIR, STACKS, record, stack_settings

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


def _first_steps_keys() -> list[str]:
    section = README.split("## Your first 15 minutes", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip() for line in section.splitlines() if line.strip().startswith("| `")]
    return [re.findall(r"`([^`]+)`", row.split("|")[1])[0] for row in rows]


def test_the_first_steps_say_how_to_replace_every_example_value_of_the_shipped_stacks() -> None:
    for stack in STACKS:
        settings = stack_settings(stack)
        config = load_stack_config(NAMESPACE, stack, settings.config, settings.secret_keys)
        flagged = {re.split(r"[\[]", key)[0] for key, _ in config.example_values()}
        assert flagged and flagged <= set(_first_steps_keys()), stack


def test_the_first_steps_take_a_copy_of_staging_to_a_clean_preview(tmp_path: Path) -> None:
    """Steps 2 to 4: the staging file copied as `dev`, each example replaced by a team's own value, previews clean
    and says what to run next."""
    for name in ("__main__.py", "components", "stack_config"):
        (tmp_path / name).symlink_to(PROJECT_DIR / name)
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path)
    shipped = yaml.safe_load((PROJECT_DIR / "Pulumi.staging.yaml").read_text())["config"]
    # Every key of the shipped file is one the steps say how to set.
    assert {key.split(".")[0] for key in _first_steps_keys()} == {key.split(":", 1)[1] for key in shipped}
    own = {key: OWN_VALUES[key.split(":", 1)[1]] for key in shipped}
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": own}))
    result = subprocess.run(
        [sys.executable, "-m", "preview", "--stack", "dev", "--project-dir", str(tmp_path)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Before `pulumi up`" not in result.stdout
    assert '"hetzner-coolify-dev"' in result.stdout and "dev.acme-apps.eu" in result.stdout
    # The pack's paths are absolute when the project is elsewhere than the pack, as here.
    assert result.stdout.rstrip().splitlines()[-1].replace(f"{PROJECT_DIR}/", "") == (
        "Next: pulumi up --stack dev --policy-pack policies --policy-pack-config policies/config/staging.json"
    )
