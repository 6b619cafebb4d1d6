"""Reading the workflows and .github/stacks.json, and running a step's `run:` script as GitHub would."""

import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import PROJECT_DIR

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"
WORKFLOW_NAMES = ["check.yml", "deploy.yml", "pr-stack.yml", "preview.yml"]
STACK_LIST = Path(".github") / "stacks.json"


SECRET = re.compile(r"\$\{\{\s*secrets\.")


def parse(text: str) -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load(text)
    # YAML 1.1 reads the key `on` as True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def load(name: str) -> dict[Any, Any]:
    return parse((WORKFLOWS / name).read_text())


def steps(workflow: dict[Any, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_name, step


def pulumi_steps(workflow: dict[Any, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Steps that run a Pulumi command (the action without one only installs the CLI)."""
    return [
        (job, step)
        for job, step in steps(workflow)
        if step.get("uses", "").startswith("pulumi/actions@") and "command" in step.get("with", {})
    ]


def named_step(workflow: dict[Any, Any], job: str, name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [step for step in workflow["jobs"][job]["steps"] if step.get("name") == name]
    (step,) = found
    return step


def all_workflows() -> list[str]:
    return sorted(path.name for path in WORKFLOWS.glob("*.yml"))


def listed(tree: Path = PROJECT_DIR) -> list[dict[str, str]]:
    stacks: list[dict[str, str]] = json.loads((tree / STACK_LIST).read_text())["stacks"]
    return stacks


LISTED = listed()
ENVIRONMENT_OF = {stack["name"]: stack["environment"] for stack in LISTED}
# The GitHub environments of production stacks: each named after its stack, with required reviewers (README).
PRODUCTION_ENVIRONMENTS = frozenset(name for name, environment in ENVIRONMENT_OF.items() if environment == "production")
PULL_REQUEST_STACKS = "pull-request-stacks"


def shell(workflow: dict[Any, Any]) -> list[str]:
    """How GitHub runs a `run:` script: `bash -e`, or with `shell: bash` also without profiles and with pipefail."""
    if (workflow.get("defaults") or {}).get("run", {}).get("shell") == "bash":
        return ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
    return ["bash", "-e", "-c"]


def fake_commands(directory: Path, commands: Mapping[str, str]) -> Path:
    """Stand-ins for commands a script calls (pulumi, gh, make...): bash bodies in a directory put first on PATH."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, body in commands.items():
        (directory / name).write_text(f"#!/bin/bash\n{body}\n")
        (directory / name).chmod(0o755)
    return directory


def run_script(
    workflow: dict[Any, Any], step: dict[str, Any], cwd: Path, env: Mapping[str, str], fakes: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run a step's script as GitHub would; its exit status and the outputs it wrote to GITHUB_OUTPUT."""
    scratch = cwd / ".github-files"
    scratch.mkdir(exist_ok=True)
    output, summary = scratch / "output", scratch / "summary"
    output.write_text("")
    path = f"{fakes}:/usr/bin:/bin" if fakes else "/usr/bin:/bin"
    result = subprocess.run(
        [*shell(workflow), step["run"]], cwd=cwd, capture_output=True, text=True, check=False,
        env={"PATH": path, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary), **env},
    )  # fmt: skip
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return result, outputs


def check_step(name: str) -> dict[str, Any]:
    return named_step(load("check.yml"), "test", name)


PREVIEW_STEP = "Offline preview of every listed stack, with the policy pack"
DIFF_STEP = "What the pull request would change in each listed stack, offline"


CHECK_STEP = "Check the list of stacks"
SELECT_STEP = "The stacks this run deploys"
CONFIRM_STEP = "Require the typed confirmation for a manual or production stack"


def stack_tree(tmp_path: Path, document: Any = None, extra: dict[str, str] | None = None) -> Path:
    """What the `stacks` job reads (the list, the stack files, the policy configurations), with the list changed."""
    tree = tmp_path / "tree"
    (tree / ".github").mkdir(parents=True)
    shutil.copytree(PROJECT_DIR / "policies" / "config", tree / "policies" / "config")
    for stack_file in PROJECT_DIR.glob("Pulumi.*.yaml"):
        shutil.copy(stack_file, tree)
    if extra:
        document = {"stacks": [*LISTED, extra]}
        (tree / f"Pulumi.{extra['name']}.yaml").write_text("config: {}\n")
    (tree / STACK_LIST).write_text(json.dumps(document if document is not None else {"stacks": LISTED}))
    return tree


def current() -> dict[str, dict[Any, Any]]:
    return {name: load(name) for name in all_workflows()}
