"""The report's last line and the line on stderr when the preview fails."""

from pathlib import Path

from preview.sections.next_step import Outcome, failure_line, next_line, pulumi_up
from preview.sections.section import SectionReport

VIOLATIONS = SectionReport(
    ["..."],
    failed=True,
    problem="2 mandatory policy violations (a-b-c-enable-y on disk, web)",
    fix="the 2 mandatory policy violations",
)
NO_PRICE = SectionReport(["..."], failed=True, problem="web: server type 'cx99' has no price", fix="the missing price")
DEPLOY = "pulumi up --stack dev --policy-pack policies --policy-pack-config policies/config/staging.json"


def test_a_clean_preview_ends_with_the_deploy() -> None:
    assert next_line(Outcome("dev", (), ()), "make preview STACK=dev", DEPLOY) == f"Next: {DEPLOY}"


def test_example_values_come_before_any_deploy() -> None:
    outcome = Outcome("dev", ("hetzner-coolify:domain: 'example.com' is reserved",), ())
    assert next_line(outcome, "make preview STACK=dev", DEPLOY) == (
        "Next: replace the values warned about above in Pulumi.dev.yaml, then run `make preview STACK=dev` again."
    )


def test_failures_come_first_and_each_is_named() -> None:
    outcome = Outcome("dev", ("a warning",), (("Policies", VIOLATIONS), ("Cost", NO_PRICE)))
    assert next_line(outcome, "make preview STACK=dev", DEPLOY) == (
        "Next: fix the 2 mandatory policy violations and the missing price above, replace the values warned about "
        "in Pulumi.dev.yaml, then run `make preview STACK=dev` again."
    )
    assert failure_line(outcome.failed) == (
        "preview failed: 2 mandatory policy violations (a-b-c-enable-y on disk, web); see Policies above; "
        "web: server type 'cx99' has no price; see Cost above"
    )


def test_the_deploy_names_paths_as_pulumi_would_take_them_in_the_project(tmp_path: Path) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    assert pulumi_up("dev", project, project / "policies", project / "policies" / "config" / "staging.json") == (
        "pulumi up --stack dev --policy-pack policies --policy-pack-config policies/config/staging.json"
    )
    assert pulumi_up("dev", project, elsewhere / "my pack", None) == (
        f"pulumi up --stack dev --policy-pack '{elsewhere.resolve()}/my pack'"
    )
