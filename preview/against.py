"""`python -m preview --stack S --against REF`: the changes a stack deployed from REF would see.

REF is a saved recording (`python -m preview.recording save --mode apply`), or a git ref whose program
and stack file are recorded in a process of their own (the two versions of the program cannot share one),
by this version's recording engine.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from preview.changes import changes, report_lines
from preview.engine import ProgramError, RecordedStack, run_program
from preview.mocks import ApplyMocks
from preview.recording import load
from preview.stack_files import read_stack
from preview.strict_yaml import StackFileError

HERE = Path(__file__).resolve().parent.parent


class UnusableReferenceError(Exception):
    """REF cannot be recorded."""


def record_ref(project_dir: Path, stack: str, ref: str) -> RecordedStack:
    if Path(ref).is_file():
        return load(Path(ref))
    with tempfile.TemporaryDirectory(prefix="hetzner-coolify-against-") as scratch:
        tree, recording = Path(scratch) / "tree", Path(scratch) / "recording.json"
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(project_dir), "archive", ref], capture_output=True, check=False)
        if archive.returncode != 0:
            raise UnusableReferenceError(
                f"{ref} is neither a recording file nor a git ref: {archive.stderr.decode().strip()}"
            )
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        if not (tree / f"Pulumi.{stack}.yaml").exists():
            return RecordedStack(read_stack(project_dir, stack).project, stack, (), ())
        # This version's tools, the REF's program: the tools' own directory comes first on the path.
        program = (
            f"import sys; sys.path.insert(0, {str(HERE)!r}); from preview.recording import main; "
            f"sys.exit(main(['save', '--stack', {stack!r}, '--project-dir', {str(tree)!r}, '--mode', 'apply', "
            f"{str(recording)!r}]))"
        )
        saved = subprocess.run(
            [sys.executable, "-c", program], cwd=scratch, capture_output=True, text=True, check=False
        )
        if saved.returncode != 0:
            raise UnusableReferenceError(f"the program at {ref} could not be recorded: {saved.stderr.strip()[-1000:]}")
        return load(recording)


def show_changes(project_dir: Path, stack: str, ref: str, allowed: frozenset[str]) -> int:
    try:
        settings = read_stack(project_dir, stack)
        before = record_ref(project_dir, stack, ref)
    except (StackFileError, UnusableReferenceError) as unusable:
        print(f"error: {unusable}", file=sys.stderr)
        return 2
    try:
        # Recorded as a preview: a deploy would refuse the shipped files' example values.
        after = run_program(project_dir, settings, ApplyMocks(), preview=True)
    except ProgramError as refused:
        for line in str(refused).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 1
    lines, errors = report_lines(changes(before, after), f"{ref} ({stack})", allowed)
    print("\n".join(lines))
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    return 1 if errors else 0
