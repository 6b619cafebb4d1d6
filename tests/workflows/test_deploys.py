"""deploy.yml: the list checked before anything deploys, each stack with its policy configuration and in its own
environment, production by hand and confirmed only, one run per stack at a time, then the smoke check.
"""

import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR
from tests.real.servers import PingRecorder
from tests.test_stacks_list import REFUSED
from tests.workflows.evaluation import INPUT_VALUES, MAIN, contexts, environments_of, evaluate, instances, runs
from tests.workflows.loading import (
    CHECK_STEP,
    CONFIRM_STEP,
    ENVIRONMENT_OF,
    LISTED,
    PRODUCTION_ENVIRONMENTS,
    SELECT_STEP,
    load,
    named_step,
    pulumi_steps,
    run_script,
    stack_tree,
)


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
