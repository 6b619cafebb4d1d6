"""How many resources the preview would create, by kind."""

from preview.engine import RecordedStack
from preview.sections.section import SectionReport

STACK_TYPE = "pulumi:pulumi:Stack"


def counts(recording: RecordedStack) -> str:
    """'1 stack, 5 components, 41 cloud resources'."""
    components = sum(1 for resource in recording.resources if not resource.custom and resource.type != STACK_TYPE)
    custom = sum(1 for resource in recording.resources if resource.custom)
    return f"1 stack, {_count(components, 'component')}, {_count(custom, 'cloud resource')}"


class Summary:
    title = "Summary"

    def render(self, recording: RecordedStack) -> SectionReport:
        return SectionReport(["Resources:", f"    + {len(recording.resources)} to create ({counts(recording)})"])


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
