"""What every section of the offline preview's report is: lines from a recording, and a verdict."""

from dataclasses import dataclass
from typing import Protocol

from preview.engine import RecordedStack


@dataclass(frozen=True)
class SectionReport:
    lines: list[str]
    failed: bool = False
    problem: str = ""
    """Why the section failed, in a few words: the line on stderr says it (`7 mandatory policy violations (...)`)."""
    fix: str = ""
    """What the reader must fix, for the report's `Next:` line (`the 7 mandatory policy violations`)."""


class Section(Protocol):
    title: str

    def render(self, recording: RecordedStack) -> SectionReport: ...
