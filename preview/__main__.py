"""`python -m preview --stack staging`: print what `pulumi preview` would for a new stack, offline.

Exit status: 0 when every section passes, 1 when the configuration is refused or a section fails,
2 on unusable arguments or stack files.
"""

import argparse
import sys
import warnings
from pathlib import Path

from preview.stack_files import StackFileError, read_stack

PROJECT_DIR = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m preview", description=__doc__)
    parser.add_argument("--stack", default="staging", help="stack to preview (default: staging)")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR, help="directory holding Pulumi.yaml")
    options = parser.parse_args(argv)

    try:
        stack = read_stack(options.project_dir, options.stack)
    except StackFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    # Imported here: loading the provider SDKs is most of the run time, and usage errors need none of it.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    from preview.engine import PlanMocks, ProgramError, run_program  # noqa: PLC0415
    from preview.report import sections  # noqa: PLC0415

    try:
        recording = run_program(options.project_dir, stack, PlanMocks(), preview=True)
    except ProgramError as error:
        for line in str(error).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 1

    failed = False
    for section in sections():
        report = section.render(recording)
        print("\n".join(report.lines), end="\n\n")
        failed = failed or report.failed
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
