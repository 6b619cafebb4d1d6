"""The GitHub workflows: actionlint clean, and the safety properties a team copying them relies on."""

import copy
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
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


def test_pull_requests_preview_staging_for_real_and_production_offline() -> None:
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
    scripts = "\n".join(step.get("run", "") for _, step in steps(load("check.yml")))
    assert "make preview STACK=production" in scripts and "make -s diff" in scripts


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
    assert workflow["jobs"]["staging"]["if"] == (
        "github.ref == 'refs/heads/main' && (github.event_name == 'push' || inputs.stack == 'staging')"
    )


def test_production_needs_the_environment_and_the_typed_confirmation() -> None:
    workflow = load("deploy.yml")
    assert "push" in workflow["on"] and workflow["on"]["workflow_dispatch"]["inputs"]["confirm"]["type"] == "string"
    production = workflow["jobs"]["production"]
    assert production["environment"] == "production"
    assert production["needs"] == "confirm-production"
    confirm = workflow["jobs"]["confirm-production"]
    by_hand_on_main = "github.ref == 'refs/heads/main' && github.event_name == 'workflow_dispatch'"
    assert confirm["if"] == production["if"] == f"{by_hand_on_main} && inputs.stack == 'production'"
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


# Issue 18, finding H1: what a pull request could reach, and the properties that now stop it. Each check below
# returns what it finds wrong in a set of workflows; each test runs it on the workflows of this repository (nothing
# wrong) and on the workflows as they were, or mutated as an attacker or a careless edit would, to show it catches it.

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

# The secrets each GitHub environment holds (README, CI/CD). There are no repository secrets: a job reads only what
# its environment holds, and only once the environment's protection rules pass.
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
    **{
        stack: frozenset(
            {
                "PULUMI_BACKEND_URL",
                f"PULUMI_CONFIG_PASSPHRASE_{stack.upper()}",
                f"STATE_ACCESS_KEY_ID_{stack.upper()}",
                f"STATE_SECRET_ACCESS_KEY_{stack.upper()}",
                "HCLOUD_TOKEN",
                "CLOUDFLARE_API_TOKEN",
                "DEPLOY_SSH_KEY",
            }
        )
        for stack in STACKS
    },
}
# GitHub gives every run this one, read-only in a pull request from a fork.
WITHOUT_ENVIRONMENT = frozenset({"GITHUB_TOKEN"})
# Names only production's environment holds: its passphrase and its state write key.
PRODUCTION_ONLY = (
    ENVIRONMENT_SECRETS["production"] - ENVIRONMENT_SECRETS["staging"] - ENVIRONMENT_SECRETS["staging-preview"]
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


def evaluate(expression: str, context: Mapping[str, str | None]) -> object:
    """A GitHub expression of literals, context names, `!`, `==`, `!=`, `&&`, `||` and parentheses.

    Anything else (a function such as `always()`, an unknown context) is an error, so a condition this cannot judge
    fails the test instead of passing it. Strings compare case-insensitively, as GitHub compares them.
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


def runs(workflow: dict[Any, Any], job_name: str, context: Mapping[str, str | None]) -> bool:
    """Whether the job runs in this context: its own `if:` and those of every job it needs."""
    job = workflow["jobs"][job_name]
    needs = job.get("needs", [])
    needs = [needs] if isinstance(needs, str) else needs
    own = bool(evaluate(job["if"], context)) if "if" in job else True
    return own and all(runs(workflow, need, context) for need in needs)


def contexts(workflow: dict[Any, Any]) -> Iterator[dict[str, str | None]]:
    """Every way the workflow can start, and the ways an attacker would try: a pull request, a push (to the branches
    `on.push` names, else to main or a branch), a start by hand from main or a branch, with each stack as input."""
    on = workflow["on"] if isinstance(workflow["on"], dict) else {}
    pushed = (on.get("push") or {}).get("branches")
    refs = {
        "pull_request": ["refs/pull/7/merge"],
        "push": [f"refs/heads/{branch}" for branch in pushed] if pushed else [MAIN, "refs/heads/feature"],
        "workflow_dispatch": [MAIN, "refs/heads/feature"],
    }
    for event in sorted(events(workflow) | set(refs)):
        for ref in refs.get(event, [MAIN, "refs/heads/feature", "refs/pull/7/merge"]):
            for stack in (None, *STACKS) if event == "workflow_dispatch" else (None,):
                yield {
                    "github.event_name": event,
                    "github.ref": ref,
                    "inputs.stack": stack,
                    "github.repository": "owner/repo",
                    "github.event.pull_request.head.repo.full_name": "owner/repo",
                }


def jobs_of(workflows: Mapping[str, dict[Any, Any]]) -> Iterator[tuple[str, dict[Any, Any], str, dict[str, Any]]]:
    for name, workflow in sorted(workflows.items()):
        for job_name, job in workflow["jobs"].items():
            yield name, workflow, job_name, job


def stacks_of(job: dict[str, Any], step: dict[str, Any]) -> set[str]:
    """The stacks a Pulumi step acts on, its matrix expanded."""
    stack_name = step["with"]["stack-name"]
    if stack_name == "${{ matrix.stack }}":
        return set(job["strategy"]["matrix"]["stack"])
    return {stack_name}


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


def misplaced_secrets(workflows: Mapping[str, dict[Any, Any]]) -> list[str]:
    """Secrets a job reads that its environment does not hold: repository secrets, or another environment's."""
    found = []
    for name, workflow, job_name, job in jobs_of(workflows):
        environment = job.get("environment")
        held = ENVIRONMENT_SECRETS.get(environment, frozenset()) if isinstance(environment, str) else frozenset()
        for secret in sorted(secrets_of(workflow, job) - held - WITHOUT_ENVIRONMENT):
            found.append(f"{name} {job_name}: reads {secret} outside an environment that holds it ({environment})")
    return found


def production_exposure(workflows: Mapping[str, dict[Any, Any]]) -> list[str]:
    """Jobs holding production's secrets other than the approved production deploy: by hand, from main, approved."""
    found = []
    for name, workflow, job_name, job in jobs_of(workflows):
        read = secrets_of(workflow, job)
        production = {secret for secret in read if secret in PRODUCTION_ONLY or "PRODUCTION" in secret}
        if not production and job.get("environment") != "production":
            continue
        where = f"{name} {job_name}"
        if job.get("environment") != "production":
            found.append(f"{where}: reads {sorted(production)} without environment production")
        if events(workflow) - {"push", "workflow_dispatch"}:
            found.append(
                f"{where}: its workflow also runs on {sorted(events(workflow) - {'push', 'workflow_dispatch'})}"
            )
        for context in contexts(workflow):
            if runs(workflow, job_name, context) and (
                context["github.ref"] != MAIN or context["github.event_name"] != "workflow_dispatch"
            ):
                found.append(f"{where}: runs on {context['github.event_name']} of {context['github.ref']}")
                break
    return found


def deploy_runner_exposure(workflows: Mapping[str, dict[Any, Any]]) -> list[str]:
    """Jobs that may land on the deploy runner (any runner not hosted by GitHub) other than deploys from main."""
    found = []
    for name, workflow, job_name, job in jobs_of(workflows):
        if GITHUB_HOSTED.match(str(job["runs-on"])):
            continue
        for context in contexts(workflow):
            event, ref = context["github.event_name"], context["github.ref"]
            if event in events(workflow) and runs(workflow, job_name, context) and (ref, event) not in FROM_MAIN:
                found.append(f"{name} {job_name}: {job['runs-on']} on {event} of {ref}")
                break
    return found


def shared_passphrases(workflows: Mapping[str, dict[Any, Any]]) -> list[str]:
    """Passphrase secrets that serve more than one stack, or stacks decrypted with more than one."""
    used: dict[str, set[str]] = {}
    for _, workflow, _, job in jobs_of(workflows):
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("pulumi/actions@"):
                environment = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
                names = set(SECRET_NAME.findall(str(environment.get("PULUMI_CONFIG_PASSPHRASE", ""))))
                for stack in stacks_of(job, step):
                    used.setdefault(stack, set()).update(names)
    found = [f"{stack} is decrypted with {sorted(names)}" for stack, names in sorted(used.items()) if len(names) != 1]
    for secret in sorted(set().union(*used.values())):
        stacks = sorted(stack for stack, names in used.items() if secret in names)
        if len(stacks) > 1:
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
    # Before this change a staging deploy started by hand from any branch ran there too.
    any_branch = current()
    any_branch["deploy.yml"]["jobs"]["staging"]["if"] = "github.event_name == 'push' || inputs.stack == 'staging'"
    assert deploy_runner_exposure(any_branch) == [
        "deploy.yml staging: ${{ vars.DEPLOY_RUNNER || 'ubuntu-24.04' }} on workflow_dispatch of refs/heads/feature"
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
        "preview.yml": {"pull_request"},
    }
    assert load("deploy.yml")["on"]["push"] == {"branches": ["main"]}


def test_every_secret_is_read_from_the_environment_that_holds_it() -> None:
    assert misplaced_secrets(current()) == []
    found = misplaced_secrets(as_in_issue_18())
    assert "preview.yml preview: reads PULUMI_CONFIG_PASSPHRASE outside an environment that holds it (None)" in found
    assert len(found) == 7, found
    # Production's passphrase handed to the staging deploy: the staging environment does not hold it.
    crossed = current()
    (step,) = [
        step
        for step in crossed["deploy.yml"]["jobs"]["staging"]["steps"]
        if "with" in step and "command" in step["with"]
    ]
    step["env"]["PULUMI_CONFIG_PASSPHRASE"] = "${{ secrets.PULUMI_CONFIG_PASSPHRASE_PRODUCTION }}"
    assert misplaced_secrets(crossed) == [
        "deploy.yml staging: reads PULUMI_CONFIG_PASSPHRASE_PRODUCTION outside an environment that holds it (staging)"
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
    ]
    # Without its environment, or dispatched from any branch, the production deploy is caught as well.
    unguarded = current()
    production = unguarded["deploy.yml"]["jobs"]["production"]
    del production["environment"]
    production["if"] = unguarded["deploy.yml"]["jobs"]["confirm-production"]["if"] = "inputs.stack == 'production'"
    assert production_exposure(unguarded) == [
        "deploy.yml production: reads ['PULUMI_CONFIG_PASSPHRASE_PRODUCTION', 'STATE_ACCESS_KEY_ID_PRODUCTION', "
        "'STATE_SECRET_ACCESS_KEY_PRODUCTION'] without environment production",
        "deploy.yml production: runs on workflow_dispatch of refs/heads/feature",
    ]


def test_staging_and_production_are_decrypted_with_distinct_passphrases() -> None:
    assert shared_passphrases(current()) == []
    assert shared_passphrases(as_in_issue_18()) == [
        "production is decrypted with ['PULUMI_CONFIG_PASSPHRASE', 'PULUMI_CONFIG_PASSPHRASE_PRODUCTION']",
        "staging is decrypted with ['PULUMI_CONFIG_PASSPHRASE', 'PULUMI_CONFIG_PASSPHRASE_STAGING']",
        "PULUMI_CONFIG_PASSPHRASE decrypts production and staging",
    ]
    one = current()
    for stack in STACKS:
        ((_, step),) = [(job, step) for job, step in pulumi_steps(one["deploy.yml"]) if job == stack]
        step["env"]["PULUMI_CONFIG_PASSPHRASE"] = "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
    assert "PULUMI_CONFIG_PASSPHRASE decrypts production and staging" in shared_passphrases(one)


def test_the_preview_can_only_read_the_state() -> None:
    assert state_writers(current()) == []
    assert state_writers(as_in_issue_18()) == [
        "preview.yml preview: AWS_ACCESS_KEY_ID is not a read-only state key",
        "preview.yml preview: AWS_SECRET_ACCESS_KEY is not a read-only state key",
        "preview.yml preview: refresh is not false",
        "preview.yml preview: upsert is not false",
    ]


def test_each_deploy_runs_exactly_when_it_should() -> None:
    workflow = load("deploy.yml")

    def started(job: str) -> set[tuple[str | None, ...]]:
        return {
            (context["github.event_name"], context["github.ref"], context["inputs.stack"])
            for context in contexts(workflow)
            if runs(workflow, job, context)
        }

    assert started("staging") == {("push", MAIN, None), ("workflow_dispatch", MAIN, "staging")}
    assert started("production") == {("workflow_dispatch", MAIN, "production")}
    # The evaluator itself: GitHub's precedence, and a condition it cannot judge is an error, not a pass.
    assert evaluate("!false && 'A' == 'a' || null", {}) is True
    assert evaluate("github.ref == 'x' && ('y' != 'y' || true)", {"github.ref": "x"}) is True
    with pytest.raises(AssertionError, match="always"):
        evaluate("always() || github.ref == 'x'", {"github.ref": "x"})


def test_the_preview_is_cancelled_only_by_a_newer_push_to_its_pull_request() -> None:
    (job,) = load("preview.yml")["jobs"].values()
    assert job["concurrency"] == {
        "group": "pulumi-staging-preview-${{ github.event.pull_request.number }}",
        "cancel-in-progress": True,
    }


def ci_section() -> str:
    return PROJECT_DIR.joinpath("README.md").read_text().split("## CI/CD", 1)[1].split("\n## ", 1)[0]


def test_the_readme_says_where_each_secret_lives() -> None:
    workflows = current()
    where: dict[str, set[str]] = {}
    for _, workflow, _, job in jobs_of(workflows):
        for secret in secrets_of(workflow, job) - WITHOUT_ENVIRONMENT:
            where.setdefault(secret, set()).add(job["environment"])
    # Rows of the secrets table: | `NAME`, `NAME` | `environment`, ... | what it is |
    rows = {
        secret: set(re.findall(r"`([a-z-]+)`", cells[2]))
        for cells in (line.split("|") for line in ci_section().splitlines())
        if len(cells) > 3 and re.fullmatch(r"\s*`[A-Z][A-Z0-9_]+`(, `[A-Z][A-Z0-9_]+`)*\s*", cells[1])
        for secret in re.findall(r"`([A-Z0-9_]+)`", cells[1])
    }
    assert rows == where
    for environment, held in ENVIRONMENT_SECRETS.items():
        assert held == {secret for secret, environments in rows.items() if environment in environments}, environment
