"""`python -m preview --stack staging`: print what `pulumi preview --policy-pack policies` would, offline.

The report: one line per resource, in the order `pulumi up` would create them; what to change before
`pulumi up` (the program's warnings); the outputs, the cost, the deploy time, the policy verdicts; and a last
line that says what to do next. `--details` prints every input of every resource instead of one line each.

The policy pack is configured from `--policy-pack-config FILE` if given; else `<pack>/config/<stack>.json`;
else `<pack>/config/<environment>.json`, the environment being the stack's `hetzner-coolify:environment`
(for another program than this repository's, the stack's name); else not at all (every policy at its level).

With `--against REF` (a git ref, or a recording saved by `python -m preview.recording save --mode apply`),
print instead what `pulumi up` would change in a stack deployed from REF (preview/changes.py).

Exit status: 0 when every section passes, 1 when the configuration is refused (its own rules, or DNS names
another stack file of the project writes: preview/collisions.py) or a section fails
(a mandatory policy violation; a line on stderr then says which), or with --against when a stateful resource
would be replaced or deleted and is not named by --allow; 2 on unusable arguments, stack files, policy
configuration or REF.
"""

import argparse
import contextlib
import shlex
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from preview.policy_config import ConfigChoice, PolicyConfigError, choose
from preview.stack_files import StackSettings, read_stack
from preview.strict_yaml import StackFileError

if TYPE_CHECKING:  # the model imports pydantic: only a stack of this repository's program needs it
    from stack_config.model import StackConfig

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_STACK = "staging"


class RefusedError(Exception):
    """A check refused the stack before the preview started: the lines for stderr, and the exit status."""

    def __init__(self, lines: Sequence[str], status: int) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)
        self.status = status


@dataclass(frozen=True)
class StackFacts:
    """What the checks learnt of the stack that the rest of the preview uses."""

    environment: str
    """The stack's `hetzner-coolify:environment` as the program reads it; another program's: the stack's name."""
    config: "StackConfig | None" = None
    """The validated configuration, for this repository's program only."""


def check_stack(project_dir: Path, stack: StackSettings) -> StackFacts:
    """The checks of a stack that run before anything slow starts (the policy pack, the provider SDKs), so that a
    refusal comes at once. Each raises RefusedError with its lines for stderr; a new per-stack check goes at the
    end, where the stack's validated configuration is at hand."""
    # Other programs (the policy tests' own) read their configuration their own way.
    if (project_dir / "__main__.py").resolve() != PROJECT_DIR / "__main__.py":
        return StackFacts(environment=stack.stack)
    # A stack file this repository's program would refuse is refused with the same lines its own check prints.
    from preview.collisions import dns_clashes  # noqa: PLC0415
    from stack_config.loader import ConfigError, load_stack_config  # noqa: PLC0415

    try:
        config = load_stack_config(stack.project, stack.stack, stack.config, stack.secret_keys)
    except ConfigError as error:
        raise RefusedError([f"error: {line}" for line in error.problems], 1) from None
    clashes = dns_clashes(project_dir, stack.stack, config)
    if clashes:
        raise RefusedError([f"error: {line}" for line in clashes], 1)
    return StackFacts(environment=config.environment, config=config)


def policy_config(options: argparse.Namespace, facts: StackFacts) -> ConfigChoice:
    given: Path | None = options.policy_pack_config
    if given is not None and not given.is_file():
        raise RefusedError([f"error: no policy configuration {given}"], 2)
    return choose(options.policy_pack, options.stack, facts.environment, given)


def again_command(options: argparse.Namespace, argv: Sequence[str]) -> str:
    """How to preview the same stack again: `make preview` where it does the same, else this command."""
    if (
        options.project_dir.resolve() == PROJECT_DIR
        and options.policy_pack.resolve() == PROJECT_DIR / "policies"
        and options.policy_pack_config is None
        and not options.no_policy_pack
    ):
        return "make preview" if options.stack == DEFAULT_STACK else f"make preview STACK={options.stack}"
    return shlex.join(["python", "-m", "preview", *argv])


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m preview", description=__doc__)
    parser.add_argument("--stack", default=DEFAULT_STACK, help="stack to preview (default: staging)")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help="directory holding Pulumi.yaml")
    parser.add_argument("--policy-pack", type=Path, default=PROJECT_DIR / "policies", help="policy pack directory")
    parser.add_argument(
        "--policy-pack-config",
        type=Path,
        help="policy configuration (default: <policy-pack>/config/<stack>.json, else <environment>.json)",
    )
    parser.add_argument(
        "--no-policy-pack", action="store_true", help="skip the policies, like `pulumi preview` without --policy-pack"
    )
    parser.add_argument("--details", action="store_true", help="every input of every resource, as a tree")
    parser.add_argument("--against", metavar="REF", help="a git ref or saved recording: show what would change")
    parser.add_argument(
        "--allow",
        metavar="NAME",
        action="append",
        default=[],
        help="with --against: a stateful resource that may be replaced or deleted (repeatable)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    options = arguments().parse_args(argv)
    if options.against:
        from preview.against import show_changes  # noqa: PLC0415

        return show_changes(options.project_dir, options.stack, options.against, frozenset(options.allow))

    try:
        stack = read_stack(options.project_dir, options.stack)
        config = policy_config(options, check_stack(options.project_dir, stack))
    except StackFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except RefusedError as refusal:
        print("\n".join(refusal.lines), file=sys.stderr)
        return refusal.status
    return report(options, stack, config, again_command(options, argv))


def report(options: argparse.Namespace, stack: StackSettings, config: ConfigChoice, again: str) -> int:
    """Run the program and print the report; `again` is the command that previews the stack again."""
    # The pack starts first: it loads while the provider SDKs below are imported and the program runs.
    from preview.sections.policies import PolicyVerdicts  # noqa: PLC0415

    with contextlib.ExitStack() as cleanup:
        verdicts = (
            []
            if options.no_policy_pack
            else [cleanup.enter_context(PolicyVerdicts(options.policy_pack, config, stack))]
        )
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        from preview.analyzer import PolicyPackError  # noqa: PLC0415
        from preview.engine import ProgramError, run_program  # noqa: PLC0415
        from preview.mocks import PlanMocks  # noqa: PLC0415
        from preview.sections import SectionReport, stack_sections  # noqa: PLC0415
        from preview.sections.next_step import Outcome, failure_line, next_line, pulumi_up  # noqa: PLC0415

        try:
            recording = run_program(options.project_dir, stack, PlanMocks(), preview=True)
        except ProgramError as error:
            for line in str(error).splitlines():
                print(f"error: {line}", file=sys.stderr)
            return 1

        failed: list[tuple[str, SectionReport]] = []
        for section in [*stack_sections(options.details), *verdicts]:
            try:
                rendered = section.render(recording)
            except PolicyConfigError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            except PolicyPackError as error:
                print(f"error: {error}", file=sys.stderr)
                return 1
            if rendered.lines:
                print("\n".join(rendered.lines), end="\n\n")
            if rendered.failed:
                failed.append((section.title, rendered))
    deploy = pulumi_up(stack.stack, options.project_dir, options.policy_pack, config.path)
    print(next_line(Outcome(stack.stack, recording.warnings, failed), again, deploy))
    if failed:
        print(failure_line(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
