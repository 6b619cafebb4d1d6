"""Evaluating the workflows as GitHub would: `${{ }}` expressions and `if:` conditions, the secrets a job
reads, every way a run can start (with deploy.yml's own `stacks` job run on the list), each job's matrix and
environments.
"""

import functools
import itertools
import json
import re
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tests.conftest import PROJECT_DIR
from tests.workflows.loading import ENVIRONMENT_OF, shell

SECRET_NAME = re.compile(r"\bsecrets\.([A-Za-z_]\w*)")
ALL_SECRETS = "<every secret>"
MAIN = "refs/heads/main"


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
