"""Pulumi.yaml's `config:` is generated from StackConfig, and tells the CLI nothing the model does not already
assume: what it requires, the model requires; what it injects, the model reads as if the key were left out."""

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from preview.config_declarations import StackConfigError
from preview.stack_files import read_stack
from stack_config import ConfigError, StackConfig, load_stack_config
from stack_config.project_schema import COMMAND, main, project_config, render, rewrite, undeclared_keys
from tests.conftest import NAMESPACE, PROJECT_DIR, STACKS, stack_settings

PROJECT_FILE = PROJECT_DIR / "Pulumi.yaml"
DECLARED = project_config()
WITH_DEFAULT = [key for key, declaration in DECLARED.items() if "default" in declaration]
REQUIRED = [key for key, declaration in DECLARED.items() if "default" not in declaration]
# The shipped stacks, and a stack of another name made from staging's file: its defaults come from its name.
STACK_FILES = {stack: stack for stack in STACKS} | {"dev": "staging"}
# Per key the shipped stacks set, a stack that sets it and a type its value is not of.
WRONG_TYPE = {"object": ("string", None), "array": ("object", None), "string": ("array", {"type": "string"})}


def shipped_config(stack: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    return loaded


def project_with(tmp_path: Path, stack: str, config: dict[str, Any], project_text: str | None = None) -> Path:
    """Pulumi.yaml (the committed one, or `project_text`) beside Pulumi.<stack>.yaml holding `config`."""
    if project_text is None:
        shutil.copy(PROJECT_FILE, tmp_path / "Pulumi.yaml")
    else:
        (tmp_path / "Pulumi.yaml").write_text(project_text)
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return tmp_path


def test_the_committed_block_is_the_generated_one() -> None:
    text = PROJECT_FILE.read_text()
    assert rewrite(text) == text, f"Pulumi.yaml's `config:` is not what the model gives: run `{COMMAND}`"


def test_every_top_level_key_is_declared_or_said_why_not() -> None:
    keys = [field.alias or name for name, field in StackConfig.model_fields.items()]
    undeclared = undeclared_keys()
    assert sorted([*DECLARED, *undeclared]) == sorted(keys)
    header = render().split("\nconfig:\n")[0]
    assert all(key in header for key in undeclared)
    assert all(declaration["description"] for declaration in DECLARED.values())


@pytest.mark.parametrize("key", sorted(undeclared_keys()))
def test_an_undeclared_key_is_one_a_stack_may_leave_out(key: str) -> None:
    """Declared without a default, the CLI would refuse these stacks, which the model accepts."""
    for stack in STACKS:
        settings = stack_settings(stack, {key: None})
        assert f"{NAMESPACE}:{key}" not in settings.config
        load_stack_config(NAMESPACE, stack, settings.config, settings.secret_keys)


@pytest.mark.parametrize("key", REQUIRED)
def test_a_required_key_is_one_no_stack_may_leave_out(key: str) -> None:
    """The CLI refuses a stack without the key before the program runs; the program would refuse it too."""
    for stack in STACKS:
        settings = stack_settings(stack, {key: None})
        with pytest.raises(ConfigError) as refused:
            load_stack_config(NAMESPACE, stack, settings.config, settings.secret_keys)
        assert f"{NAMESPACE}:{key}: is required" in str(refused.value)


@pytest.mark.parametrize("stack", STACK_FILES)
@pytest.mark.parametrize("key", WITH_DEFAULT)
def test_a_declared_default_leaves_the_config_as_the_model_makes_it(tmp_path: Path, key: str, stack: str) -> None:
    config = {name: value for name, value in shipped_config(STACK_FILES[stack]).items() if name != f"{NAMESPACE}:{key}"}
    settings = read_stack(project_with(tmp_path, stack, config), stack)
    assert settings.config[f"{NAMESPACE}:{key}"] == "{}"
    without = {name: text for name, text in settings.config.items() if name != f"{NAMESPACE}:{key}"}
    given = load_stack_config(NAMESPACE, stack, settings.config, settings.secret_keys)
    assert given == load_stack_config(NAMESPACE, stack, without, settings.secret_keys)


@pytest.mark.parametrize("stack", STACKS)
def test_the_shipped_stacks_meet_the_declarations(stack: str) -> None:
    settings = read_stack(PROJECT_DIR, stack)
    assert {f"{NAMESPACE}:{key}" for key in DECLARED} <= set(settings.config)
    load_stack_config(NAMESPACE, stack, settings.config, settings.secret_keys)


def _set_by_a_shipped_stack() -> list[tuple[str, str]]:
    found = []
    for key, declaration in DECLARED.items():
        stack = next((stack for stack in STACKS if f"{NAMESPACE}:{key}" in shipped_config(stack)), None)
        if stack is not None and declaration.get("type") in WRONG_TYPE:
            found.append((key, stack))
    return found


@pytest.mark.parametrize(("key", "stack"), _set_by_a_shipped_stack())
def test_a_wrong_declared_type_refuses_a_shipped_stack_in_the_clis_words(tmp_path: Path, key: str, stack: str) -> None:
    wrong, items = WRONG_TYPE[DECLARED[key]["type"]]
    mutated = {**DECLARED, key: {"type": wrong, **({"items": items} if items else {})}}
    project_text = f"name: {NAMESPACE}\nruntime: python\n" + yaml.safe_dump({"config": mutated}, sort_keys=False)
    project = project_with(tmp_path, stack, shipped_config(stack), project_text)
    shown = f"array<{items['type']}>" if items else wrong
    with pytest.raises(StackConfigError) as refused:
        read_stack(project, stack)
    assert str(refused.value) == (
        f"validating stack config: Stack '{stack}' with configuration key '{key}' must be of type '{shown}'"
    )


def test_write_replaces_the_block_and_keeps_the_rest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project_file = tmp_path / "Pulumi.yaml"
    project_file.write_text(
        "name: hetzner-coolify\n# The runtime.\nruntime: python\n"
        f"# Generated by `{COMMAND}` long ago\nconfig:\n  stale:\n    type: string\n\n"
        "# Where the stacks are.\nstackConfigDir: .\n"
    )
    assert main(["--write", "--project-file", str(project_file)]) == 0
    written = project_file.read_text()
    assert written == (
        "name: hetzner-coolify\n# The runtime.\nruntime: python\n"
        + render()
        + "# Where the stacks are.\nstackConfigDir: .\n"
    )
    assert main(["--write", "--project-file", str(project_file)]) == 0
    assert project_file.read_text() == written
    assert capsys.readouterr().out.splitlines() == [
        "Pulumi.yaml: `config:` rewritten",
        "Pulumi.yaml: `config:` already up to date",
    ]


def test_write_adds_a_block_to_a_file_without_one(tmp_path: Path) -> None:
    project_file = tmp_path / "Pulumi.yaml"
    project_file.write_text("name: hetzner-coolify\nruntime: python")
    main(["--write", "--project-file", str(project_file)])
    assert project_file.read_text() == "name: hetzner-coolify\nruntime: python\n" + render()


def test_printing_shows_the_block(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out == render()
