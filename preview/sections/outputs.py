"""The stack's outputs, secrets masked."""

from preview.engine import RecordedStack
from preview.sections.section import SectionReport
from preview.values import format_value


class StackOutputs:
    title = "Outputs"

    def render(self, recording: RecordedStack) -> SectionReport:
        width = max((len(key) for key in recording.outputs), default=0) + 2
        return SectionReport(
            ["Outputs:"]
            + [f"    {(key + ':').ljust(width)}{format_value(value)}" for key, value in recording.outputs.items()]
        )
