"""pr-stack.yml: when a pull request's stack starts, what it holds, the commit a reviewer approves, its label, and
the destroy runs of closed pull requests.
"""

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.workflows.evaluation import MAIN, contexts, runs, secrets_of
from tests.workflows.issue_18 import as_in_issue_18
from tests.workflows.loading import PULL_REQUEST_STACKS, current, fake_commands, load, named_step, run_script, steps
from tests.workflows.properties import ENVIRONMENT_SECRETS, GITHUB_HOSTED, untrusted_checkouts

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
