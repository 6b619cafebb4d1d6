"""The GitHub workflows: actionlint clean, and the safety properties a team copying them relies on."""

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_DIR, STACKS
from tests.real.servers import PingRecorder

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"
ACTIONLINT = Path(sys.executable).parent / "actionlint"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
SECRET = re.compile(r"\$\{\{\s*secrets\.")


def load(name: str) -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def steps(workflow: dict[Any, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_name, step


def pulumi_steps(workflow: dict[Any, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(job, step) for job, step in steps(workflow) if step.get("uses", "").startswith("pulumi/actions@")]


def all_workflows() -> list[str]:
    return sorted(path.name for path in WORKFLOWS.glob("*.yml"))


def test_the_three_workflows_exist() -> None:
    assert all_workflows() == ["check.yml", "deploy.yml", "preview.yml"]


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


@pytest.mark.parametrize("name", ["check.yml", "deploy.yml", "preview.yml"])
def test_every_action_is_pinned_to_a_commit(name: str) -> None:
    text = (WORKFLOWS / name).read_text()
    for job, step in steps(load(name)):
        if "uses" in step:
            assert PINNED.match(step["uses"]), f"{name} {job}: {step['uses']}"
            assert re.search(re.escape(step["uses"]) + r" # v\d", text), f"{step['uses']} lacks its version comment"


@pytest.mark.parametrize("name", ["check.yml", "deploy.yml", "preview.yml"])
def test_no_job_has_more_permissions_than_it_needs(name: str) -> None:
    workflow = load(name)
    assert workflow["permissions"] in ({}, {"contents": "read"})
    allowed = {"contents": "read", "pull-requests": "write"} if name == "preview.yml" else {"contents": "read"}
    for job_name, job in workflow["jobs"].items():
        granted = job.get("permissions", workflow["permissions"])
        assert set(granted.items()) <= set(allowed.items()), f"{name} {job_name}: {granted}"


@pytest.mark.parametrize("name", ["check.yml", "deploy.yml", "preview.yml"])
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


def test_the_check_needs_no_secret_and_covers_both_stacks() -> None:
    workflow = load("check.yml")
    assert set(workflow["on"]) == {"pull_request", "push"}
    assert not SECRET.search((WORKFLOWS / "check.yml").read_text())
    scripts = "\n".join(step.get("run", "") for _, step in steps(workflow))
    assert "make test" in scripts
    for stack in STACKS:
        assert f"make preview STACK={stack}" in scripts


def test_previews_run_per_stack_with_the_policy_pack_for_same_repository_pull_requests_only() -> None:
    workflow = load("preview.yml")
    assert set(workflow["on"]) == {"pull_request"}
    job = workflow["jobs"]["preview"]
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert job["strategy"]["matrix"]["stack"] == list(STACKS)
    ((_, step),) = pulumi_steps(workflow)
    settings = step["with"]
    assert settings["command"] == "preview"
    assert settings["stack-name"] == "${{ matrix.stack }}"
    assert settings["policyPacks"] == "policies"
    assert settings["policyPackConfigs"] == "policies/config/${{ matrix.stack }}.json"
    assert settings["comment-on-pr"] is True
    assert "READ_TOKEN" in step["env"]["HCLOUD_TOKEN"]


def test_every_up_passes_the_policy_pack_of_its_stack() -> None:
    found = {}
    for job, step in pulumi_steps(load("deploy.yml")):
        settings = step["with"]
        assert settings["command"] == "up"
        assert settings["policyPacks"] == "policies"
        assert settings["policyPackConfigs"] == f"policies/config/{settings['stack-name']}.json"
        found[job] = settings["stack-name"]
    assert found == {"staging": "staging", "production": "production"}


def test_staging_deploys_on_push_to_main() -> None:
    workflow = load("deploy.yml")
    assert workflow["on"]["push"] == {"branches": ["main"]}
    assert workflow["jobs"]["staging"]["if"] == "github.event_name == 'push' || inputs.stack == 'staging'"


def test_production_needs_the_environment_and_the_typed_confirmation() -> None:
    workflow = load("deploy.yml")
    assert "push" in workflow["on"] and workflow["on"]["workflow_dispatch"]["inputs"]["confirm"]["type"] == "string"
    production = workflow["jobs"]["production"]
    assert production["environment"] == "production"
    assert production["needs"] == "confirm-production"
    confirm = workflow["jobs"]["confirm-production"]
    assert confirm["if"] == "github.event_name == 'workflow_dispatch' && inputs.stack == 'production'"
    (step,) = confirm["steps"]
    assert step["env"]["CONFIRM"] == "${{ inputs.confirm }}"
    assert '[[ "$CONFIRM" != DEPLOY ]]' in step["run"] and "exit 1" in step["run"]


@pytest.mark.parametrize("confirmation", ["DEPLOY", "deploy", "", "DEPLOY "])
def test_the_confirmation_script_accepts_exactly_deploy(confirmation: str) -> None:
    (step,) = load("deploy.yml")["jobs"]["confirm-production"]["steps"]
    result = subprocess.run(
        ["bash", "-c", step["run"]], env={"CONFIRM": confirmation}, capture_output=True, check=False
    )
    assert (result.returncode == 0) is (confirmation == "DEPLOY")


def test_each_stack_deploys_one_run_at_a_time() -> None:
    jobs = load("deploy.yml")["jobs"]
    for stack in STACKS:
        assert jobs[stack]["concurrency"] == {"group": f"pulumi-{stack}", "cancel-in-progress": False}


def test_each_deploy_ends_with_a_smoke_check() -> None:
    for stack in STACKS:
        last = load("deploy.yml")["jobs"][stack]["steps"][-1]
        assert last["name"] == "Smoke check"
        assert ".ci/smoke-check" in last["run"]
        assert last["env"]["SSH_TARGET"] == "${{ steps.pulumi.outputs.sshCommand }}"


def smoke(*urls: str, attempts: int = 3) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROJECT_DIR / ".ci" / "smoke-check"), *urls], capture_output=True, text=True, check=False,
        env={"PATH": "/usr/bin:/bin", "ATTEMPTS": str(attempts), "DELAY": "0.2"},
    )  # fmt: skip


def test_the_smoke_check_passes_healthy_urls_and_fails_broken_ones() -> None:
    recorder = PingRecorder()
    try:
        healthy = smoke(recorder.url, f"{recorder.url}/api/health")
        assert healthy.returncode == 0, healthy.stderr
        assert recorder.paths == ["/ping", "/ping/api/health"]
    finally:
        recorder.close()
    broken = smoke("http://127.0.0.1:1/health")
    assert broken.returncode == 1
    assert "http://127.0.0.1:1/health did not answer with 2xx after 3 attempts" in broken.stderr


def test_the_smoke_check_waits_for_a_service_that_comes_up() -> None:
    late = PingRecorder(start_after=1.0)
    try:
        result = smoke(f"http://127.0.0.1:{late.port}/health", attempts=40)
    finally:
        late.close()
    assert result.returncode == 0, result.stderr
    assert late.paths == ["/health"]


def test_pull_requests_show_what_they_would_change_in_each_stack() -> None:
    workflow = load("check.yml")
    (checkout,) = [step for _, step in steps(workflow) if step.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["fetch-depth"] == 0, "the base branch must be there to compare with"
    (diff,) = [step for _, step in steps(workflow) if "make -s diff" in step.get("run", "")]
    assert diff["if"] == "github.event_name == 'pull_request'"
    assert diff["env"]["BASE"] == "origin/${{ github.base_ref }}"


@pytest.mark.parametrize("failing_stack", [None, "staging", "production"])
def test_the_diff_step_summarises_both_stacks_and_fails_when_either_does(
    tmp_path: Path, failing_stack: str | None
) -> None:
    (diff,) = [step for _, step in steps(load("check.yml")) if "make -s diff" in step.get("run", "")]
    # A stand-in `make` that reports its arguments and fails for one stack, as a stateful replacement would.
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "make").write_text(
        '#!/bin/bash\necho "diff of $*"\n'
        f'[[ " $* " != *" STACK={failing_stack} "* ]] || {{ echo "REPLACE server" >&2; exit 1; }}\n'
    )
    (fake_bin / "make").chmod(0o755)
    summary = tmp_path / "summary.md"
    result = subprocess.run(
        ["bash", "-e", "-c", diff["run"]], cwd=tmp_path, capture_output=True, text=True, check=False,
        env={"PATH": f"{fake_bin}:/usr/bin:/bin", "BASE": "origin/main", "GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert (result.returncode == 0) is (failing_stack is None), result.stdout + result.stderr
    text = summary.read_text()
    for stack in STACKS:
        assert f"diff of -s diff STACK={stack} REF=origin/main" in text
    if failing_stack:
        assert "REPLACE server" in text
