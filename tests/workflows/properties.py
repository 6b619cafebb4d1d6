"""The trust boundaries of the workflows: what each GitHub environment holds, and the checks that each return
what they find wrong in a set of workflows (tests/workflows/test_trust_boundaries.py runs them).
"""

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.conftest import PROJECT_DIR
from tests.workflows.evaluation import (
    MAIN,
    SECRET_NAME,
    contexts,
    environments_of,
    events,
    jobs_of,
    runs,
    secrets_of,
    stack_runs,
)
from tests.workflows.loading import ENVIRONMENT_OF, PRODUCTION_ENVIRONMENTS, PULL_REQUEST_STACKS, listed

# Issue 18, finding H1: what a pull request could reach, and the properties that now stop it. Each check below
# returns what it finds wrong in a set of workflows; each test runs it on the workflows of this repository (nothing
# wrong) and on the workflows as they were, or mutated as an attacker or a careless edit would, to show it catches it.
# Where a job's stacks come from .github/stacks.json, the checks run deploy.yml's own `stacks` job on the list (and
# on changed lists) for every way a run can start: what they judge is what GitHub would run.


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


FROM_MAIN = {(MAIN, "push"), (MAIN, "workflow_dispatch")}


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


def cache_users(workflows: Mapping[str, dict[Any, Any]]) -> list[str]:
    """Steps that save or restore an Actions cache (test_trust_boundaries.py says why none may)."""
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
