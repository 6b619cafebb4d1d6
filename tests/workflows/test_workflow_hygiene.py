"""The GitHub workflows: the four of them, actionlint clean, actions pinned, minimal permissions, no secret echoed."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.workflows.loading import SECRET, WORKFLOW_NAMES, WORKFLOWS, all_workflows, load, steps

ACTIONLINT = Path(sys.executable).parent / "actionlint"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def test_the_four_workflows_exist() -> None:
    assert all_workflows() == WORKFLOW_NAMES


def test_actionlint_is_clean() -> None:
    result = subprocess.run(
        [str(ACTIONLINT), *map(str, WORKFLOWS.glob("*.yml"))], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_is_really_checking(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows"
    broken.mkdir(parents=True)
    (broken / "bad.yml").write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope }\n"
    )
    result = subprocess.run([str(ACTIONLINT), str(broken / "bad.yml")], capture_output=True, text=True, check=False)
    assert result.returncode != 0


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_every_action_is_pinned_to_a_commit(name: str) -> None:
    text = (WORKFLOWS / name).read_text()
    for job, step in steps(load(name)):
        if "uses" in step:
            assert PINNED.match(step["uses"]), f"{name} {job}: {step['uses']}"
            assert re.search(re.escape(step["uses"]) + r" # v\d", text), f"{step['uses']} lacks its version comment"


# What each job may be granted: read the code, and no more, but for these.
PERMISSIONS = {
    # Comments the preview on the pull request.
    ("preview.yml", "staging"): {"contents": "read", "pull-requests": "write"},
    # Reads the pull request and compares it with its base, for the reviewer (no code of it, no secret).
    ("pr-stack.yml", "pull-request"): {"pull-requests": "read", "contents": "read"},
    # Runs the pull request's code: the token only reads, and is not left in the checkout.
    ("pr-stack.yml", "stack"): {"contents": "read"},
    # Label the pull request `pr-stack` once its deploy was approved, and unlabel it once destroyed.
    ("pr-stack.yml", "label"): {"issues": "write"},
    ("pr-stack.yml", "untrack"): {"issues": "write"},
    # Starts the destroy runs of closed pull requests (no code of them, no secret).
    ("pr-stack.yml", "closed"): {"actions": "write", "pull-requests": "read"},
}


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_no_job_has_more_permissions_than_it_needs(name: str) -> None:
    workflow = load(name)
    assert workflow["permissions"] in ({}, {"contents": "read"})
    for job_name, job in workflow["jobs"].items():
        allowed = PERMISSIONS.get((name, job_name), {"contents": "read"})
        granted = job.get("permissions", workflow["permissions"])
        assert set(granted.items()) <= set(allowed.items()), f"{name} {job_name}: {granted}"


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_no_secret_is_echoed(name: str) -> None:
    for job, step in steps(load(name)):
        script = step.get("run", "")
        # Secrets reach scripts only through `env:`, never expanded into the script text.
        assert not SECRET.search(script), f"{name} {job}: a secret is expanded into a script"
        secret_variables = [key for key, value in step.get("env", {}).items() if SECRET.search(str(value))]
        for variable in secret_variables:
            for line in script.splitlines():
                assert not re.search(rf"\b(echo|printf|cat)\b.*\${{?{variable}\b", line), f"{name} {job}: {line}"
        assert "set -x" not in script
