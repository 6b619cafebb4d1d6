"""The report's last line, what to do next; and when the preview fails, the line on stderr that says why.

Three outcomes, checked in this order: a section failed (a mandatory policy violation, a resource without a
price): fix it and preview again; the program warned (example values that `pulumi up` refuses): replace them in
the stack file and preview again; neither: the `pulumi up` that deploys what was previewed, with the same
policy pack and configuration.
"""

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from preview.sections.section import SectionReport


@dataclass(frozen=True)
class Outcome:
    stack: str
    warnings: Sequence[str]
    """What the program warned about (`pulumi.log.warn`)."""
    failed: Sequence[tuple[str, SectionReport]]
    """(title, report) of each failed section, in the report's order."""


def shown_path(path: Path, base: Path) -> str:
    """A path as a command run in `base` takes it: relative inside `base`, absolute elsewhere; quoted if need be."""
    try:
        return shlex.quote(str(path.resolve().relative_to(base.resolve())))
    except ValueError:
        return shlex.quote(str(path.resolve()))


def pulumi_up(stack: str, project_dir: Path, pack_dir: Path, config: Path | None) -> str:
    """The deploy the preview stands for: `pulumi up` of the stack, held to the same pack and configuration."""
    command = f"pulumi up --stack {shlex.quote(stack)} --policy-pack {shown_path(pack_dir, project_dir)}"
    return f"{command} --policy-pack-config {shown_path(config, project_dir)}" if config else command


def next_line(outcome: Outcome, again: str, deploy: str) -> str:
    """`Next: ...`; `again` is the command that previews the stack again, `deploy` the one that deploys it."""
    stack_file = f"Pulumi.{outcome.stack}.yaml"
    if outcome.failed:
        fixes = " and ".join(report.fix or f"what {title} reports" for title, report in outcome.failed)
        examples = f", replace the values warned about in {stack_file}" if outcome.warnings else ""
        return f"Next: fix {fixes} above{examples}, then run `{again}` again."
    if outcome.warnings:
        return f"Next: replace the values warned about above in {stack_file}, then run `{again}` again."
    return f"Next: {deploy}"


def failure_line(failed: Sequence[tuple[str, SectionReport]]) -> str:
    """`preview failed: 7 mandatory policy violations (...); see Policies above`, for stderr."""
    reasons = "; ".join(f"{report.problem or 'failed'}; see {title} above" for title, report in failed)
    return f"preview failed: {reasons}"
