"""`python -m preview --stack staging`: print what `pulumi preview --policy-pack policies` would, offline.

With `--against REF` (a git ref, or a recording saved by `python -m preview.recording save --mode apply`),
print instead what `pulumi up` would change in a stack deployed from REF (preview/changes.py).

Exit status: 0 when every section passes, 1 when the configuration is refused or a section fails
(a mandatory policy violation), or with --against when a stateful resource would be replaced or deleted
and is not named by --allow; 2 on unusable arguments, stack files, policy configuration or REF.
"""

import argparse
import contextlib
import sys
import warnings
from pathlib import Path

from preview.stack_files import StackFileError, read_stack

PROJECT_DIR = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m preview", description=__doc__)
    parser.add_argument("--stack", default="staging", help="stack to preview (default: staging)")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help="directory holding Pulumi.yaml")
    parser.add_argument("--policy-pack", type=Path, default=PROJECT_DIR / "policies", help="policy pack directory")
    parser.add_argument(
        "--policy-pack-config", type=Path, help="policy configuration (default: <policy-pack>/config/<stack>.json)"
    )
    parser.add_argument(
        "--no-policy-pack", action="store_true", help="skip the policies, like `pulumi preview` without --policy-pack"
    )
    parser.add_argument("--against", metavar="REF", help="a git ref or saved recording: show what would change")
    parser.add_argument(
        "--allow",
        metavar="NAME",
        action="append",
        default=[],
        help="with --against: a stateful resource that may be replaced or deleted (repeatable)",
    )
    options = parser.parse_args(argv)
    if options.against:
        from preview.against import show_changes  # noqa: PLC0415

        return show_changes(options.project_dir, options.stack, options.against, frozenset(options.allow))

    try:
        stack = read_stack(options.project_dir, options.stack)
    except StackFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # A stack file this repository's program would refuse is refused before anything slow starts (the pack, the
    # provider SDKs), with the same lines the program's own check prints. Other programs (the policy tests' own)
    # read their configuration their own way.
    if (options.project_dir / "__main__.py").resolve() == PROJECT_DIR / "__main__.py":
        from stack_config.loader import ConfigError, load_stack_config  # noqa: PLC0415

        try:
            load_stack_config(stack.project, stack.stack, stack.config, stack.secret_keys)
        except ConfigError as error:
            for line in error.problems:
                print(f"error: {line}", file=sys.stderr)
            return 1
    config_file = options.policy_pack_config or options.policy_pack / "config" / f"{options.stack}.json"
    if options.policy_pack_config and not config_file.is_file():
        print(f"error: no policy configuration {config_file}", file=sys.stderr)
        return 2

    # The pack starts first: it loads while the provider SDKs below are imported and the program runs.
    from preview.sections.policies import PolicyVerdicts  # noqa: PLC0415

    with contextlib.ExitStack() as cleanup:
        verdicts = (
            []
            if options.no_policy_pack
            else [
                cleanup.enter_context(
                    PolicyVerdicts(options.policy_pack, config_file if config_file.is_file() else None, stack)
                )
            ]
        )
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        from preview.analyzer import PolicyPackError  # noqa: PLC0415
        from preview.engine import ProgramError, run_program  # noqa: PLC0415
        from preview.mocks import PlanMocks  # noqa: PLC0415
        from preview.policy_config import PolicyConfigError  # noqa: PLC0415
        from preview.sections import stack_sections  # noqa: PLC0415

        try:
            recording = run_program(options.project_dir, stack, PlanMocks(), preview=True)
        except ProgramError as error:
            for line in str(error).splitlines():
                print(f"error: {line}", file=sys.stderr)
            return 1

        failed = False
        for section in [*stack_sections(), *verdicts]:
            try:
                report = section.render(recording)
            except PolicyConfigError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            except PolicyPackError as error:
                print(f"error: {error}", file=sys.stderr)
                return 1
            if report.lines:
                print("\n".join(report.lines), end="\n\n")
            failed = failed or report.failed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
