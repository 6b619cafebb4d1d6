"""check.yml and preview.yml: every stack a pull request or its base branch lists, previewed and diffed offline;
staging previewed for real on pull requests from branches of this repository.
"""

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.workflows.evaluation import interpolate
from tests.workflows.loading import (
    DIFF_STEP,
    ENVIRONMENT_OF,
    LISTED,
    PREVIEW_STEP,
    SECRET,
    STACK_LIST,
    WORKFLOWS,
    check_step,
    fake_commands,
    load,
    pulumi_steps,
    run_script,
    steps,
)


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


def test_the_preview_is_cancelled_only_by_a_newer_push_to_its_pull_request() -> None:
    (job,) = load("preview.yml")["jobs"].values()
    assert job["concurrency"] == {
        "group": "pulumi-staging-preview-${{ github.event.pull_request.number }}",
        "cancel-in-progress": True,
    }
