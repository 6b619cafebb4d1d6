"""What the program warned about, as `pulumi preview` shows its diagnostics: example values that a deploy
would refuse, say."""

from preview.engine import RecordedStack
from preview.sections.section import SectionReport


class Diagnostics:
    title = "Diagnostics"

    def render(self, recording: RecordedStack) -> SectionReport:
        if not recording.warnings:
            return SectionReport([])
        stack = f"pulumi:pulumi:Stack ({recording.project}-{recording.stack}):"
        return SectionReport(["Diagnostics:", f"  {stack}", *(f"    warning: {line}" for line in recording.warnings)])
