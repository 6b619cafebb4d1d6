""".github/stacks.json, the stacks CI previews and deploys: each deployable, named validly, production by hand only.

`problems` states the list's rules; deploy.yml's `stacks` job checks the same with jq before anything deploys, and
tests/workflows/test_deploys.py runs that check on every refused list below (REFUSED) to show it refuses them too.
"""

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from preview.policy_config import choose
from preview.stack_files import read_stack
from stack_config.stacks import default_environment, stack_name_problem
from tests.conftest import NAMESPACE, PROJECT_DIR, STACKS

STACK_LIST = PROJECT_DIR / ".github" / "stacks.json"
ENVIRONMENTS = ("staging", "production")
DEPLOYS = ("push", "manual")
# Lowercase letters, digits and inner hyphens, at most a DNS label: the form deploy.yml checks before anything deploys.
# The program's own bound is tighter (`<project>-<stack>` fits in every physical name: stack_config/stacks.py); this
# test holds the list to it too, and check.yml's offline preview refuses a stack that exceeds it.
NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
# `pr-<number>` are the pull-request stacks (pr-stack.yml); the others are GitHub environments that are no stack's.
RESERVED = ("staging-preview", "pull-request-stacks")


def listed() -> list[dict[str, str]]:
    stacks: list[dict[str, str]] = json.loads(STACK_LIST.read_text())["stacks"]
    return stacks


def policy_config(project_dir: Path, stack: dict[str, str]) -> Path | None:
    """The stack's own policy configuration if it has one, else its environment's (the preview's rule, which
    deploy.yml's `stacks` job applies too); None if neither exists."""
    return choose(project_dir / "policies", stack["name"], stack["environment"]).path


def stack_problems(index: int, stack: Any, project_dir: Path) -> list[str]:
    where = f"stacks[{index}]"
    if not isinstance(stack, dict) or set(stack) != {"name", "environment", "deploy"}:
        return [f"{where}: has exactly the keys name, environment and deploy"]
    name, environment, deploy = stack["name"], stack["environment"], stack["deploy"]
    found = []
    valid_name = isinstance(name, str) and NAME.fullmatch(name) is not None
    if not valid_name:
        found.append(f"{where}.name: {json.dumps(name)} is not 1-63 lowercase letters, digits and inner hyphens")
    elif name.startswith("pr-") or name in RESERVED:
        found.append(f"{where}.name: {name} is reserved")
    if environment not in ENVIRONMENTS:
        found.append(f"{where}.environment: {json.dumps(environment)} is not staging or production")
    elif name in ENVIRONMENTS and environment != name:
        found.append(f"{where}.environment: the stack {name} is the {name} environment")
    if deploy not in DEPLOYS:
        found.append(f"{where}.deploy: {json.dumps(deploy)} is not push or manual")
    elif environment == "production" and deploy != "manual":
        found.append(f"{where}.deploy: {name} is a production stack: it deploys by hand (manual) only")
    if valid_name and environment in ENVIRONMENTS:
        if not (project_dir / f"Pulumi.{name}.yaml").is_file():
            found.append(f"{name}: no Pulumi.{name}.yaml")
        if policy_config(project_dir, stack) is None:
            found.append(f"{name}: no policies/config/{name}.json nor policies/config/{environment}.json")
    return found


def problems(document: Any, project_dir: Path = PROJECT_DIR) -> list[str]:
    """What is wrong with a list of stacks, one line per problem."""
    if (
        not isinstance(document, dict)
        or set(document) != {"stacks"}
        or not isinstance(document["stacks"], list)
        or not document["stacks"]
    ):
        return ["the file is one object whose only key, stacks, lists at least one stack"]
    found = [
        problem
        for index, stack in enumerate(document["stacks"])
        for problem in stack_problems(index, stack, project_dir)
    ]
    names = [stack.get("name") for stack in document["stacks"] if isinstance(stack, dict)]
    duplicated = sorted({json.dumps(name) for name in names if names.count(name) > 1})
    return found + [f"stacks: {name} is listed more than once" for name in duplicated]


def shipped() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(STACK_LIST.read_text())
    return document


def changed(index: int, **fields: Any) -> dict[str, Any]:
    document = copy.deepcopy(shipped())
    document["stacks"][index].update(fields)
    return document


def production_index() -> int:
    return next(index for index, stack in enumerate(shipped()["stacks"]) if stack["name"] == "production")


# Lists the rules refuse, each with a phrase its problem names. Built from the shipped list, one change each.
REFUSED: dict[str, tuple[Any, str]] = {
    "production pushed": (changed(production_index(), deploy="push"), "deploys by hand (manual) only"),
    "uppercase name": (changed(0, name="Staging"), "is not 1-63 lowercase letters"),
    "underscore name": (changed(0, name="dev_1"), "is not 1-63 lowercase letters"),
    "trailing hyphen": (changed(0, name="dev-"), "is not 1-63 lowercase letters"),
    "name too long": (changed(0, name="a" * 64), "is not 1-63 lowercase letters"),
    "pull-request name": (changed(0, name="pr-12"), "is reserved"),
    "environment's name": (changed(0, name="staging-preview"), "is reserved"),
    "unknown environment": (changed(0, environment="qa"), "is not staging or production"),
    "staging as production": (changed(0, environment="production", deploy="manual"), "is the staging environment"),
    "unknown deploy": (changed(0, deploy="always"), "is not push or manual"),
    "no stack file": (
        {"stacks": [*shipped()["stacks"], {"name": "dev", "environment": "staging", "deploy": "push"}]},
        "no Pulumi.dev.yaml",
    ),
    "listed twice": ({"stacks": [*shipped()["stacks"], shipped()["stacks"][0]]}, "listed"),
    "extra key": (changed(0, region="eu"), "has exactly the keys"),
    "missing key": ({"stacks": [{"name": "staging", "environment": "staging"}]}, "has exactly the keys"),
    "empty list": ({"stacks": []}, "lists at least one stack"),
    "a bare list": (shipped()["stacks"], "lists at least one stack"),
}


def test_the_shipped_list_is_valid() -> None:
    assert problems(shipped()) == []


def test_every_listed_stack_has_its_stack_file_and_a_policy_configuration() -> None:
    for stack in listed():
        assert (PROJECT_DIR / f"Pulumi.{stack['name']}.yaml").is_file(), stack
        assert policy_config(PROJECT_DIR, stack) is not None, stack


def test_production_stacks_deploy_by_hand_only() -> None:
    for stack in listed():
        if stack["environment"] == "production":
            assert stack["deploy"] == "manual", stack


def test_the_listed_environment_is_the_one_the_stack_file_resolves_to() -> None:
    """The list's environment picks the deploy job and its secrets; the stack file's picks defaults and policies."""
    for stack in listed():
        config = read_stack(PROJECT_DIR, stack["name"]).config
        resolved = config.get(f"{NAMESPACE}:environment", default_environment(stack["name"]))
        assert resolved == stack["environment"], stack


def test_every_listed_name_can_name_the_stacks_resources() -> None:
    for stack in listed():
        assert stack_name_problem(read_stack(PROJECT_DIR, stack["name"]).project, stack["name"]) is None


def test_the_stacks_the_tests_record_are_listed() -> None:
    assert set(STACKS) <= {stack["name"] for stack in listed()}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_rules_refuse(case: str) -> None:
    document, phrase = REFUSED[case]
    found = problems(document)
    assert any(phrase in problem for problem in found), found


def test_a_stack_may_bring_its_own_policy_configuration(tmp_path: Path) -> None:
    (tmp_path / "policies" / "config").mkdir(parents=True)
    (tmp_path / "policies" / "config" / "staging.json").write_text("{}")
    dev = {"name": "dev", "environment": "staging", "deploy": "push"}
    assert policy_config(tmp_path, dev) == tmp_path / "policies" / "config" / "staging.json"
    (tmp_path / "policies" / "config" / "dev.json").write_text("{}")
    assert policy_config(tmp_path, dev) == tmp_path / "policies" / "config" / "dev.json"
