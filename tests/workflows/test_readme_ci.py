"""The README's CI/CD section says what the workflows really do."""

import re

from tests.conftest import PROJECT_DIR
from tests.workflows.evaluation import environments_of, jobs_of, secrets_of
from tests.workflows.loading import ENVIRONMENT_OF, current
from tests.workflows.properties import ENVIRONMENT_SECRETS, WITHOUT_ENVIRONMENT


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
