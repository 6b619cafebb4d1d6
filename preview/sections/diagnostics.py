"""What the program warned about: example values that `pulumi up` would refuse, say.

The full report shows them as `pulumi preview` shows its diagnostics; the compact one under a heading that
says when they matter, one line each, for they are what a new user must change first.
"""

from preview.engine import RecordedStack
from preview.sections.section import SectionReport


class Diagnostics:
    title = "Diagnostics"

    def __init__(self, compact: bool = False) -> None:
        self.compact = compact

    def render(self, recording: RecordedStack) -> SectionReport:
        if not recording.warnings:
            return SectionReport([])
        if self.compact:
            return SectionReport(["Before `pulumi up`:", *(f"  ⚠ {line}" for line in recording.warnings)])
        stack = f"pulumi:pulumi:Stack ({recording.project}-{recording.stack}):"
        return SectionReport(["Diagnostics:", f"  {stack}", *(f"    warning: {line}" for line in recording.warnings)])
