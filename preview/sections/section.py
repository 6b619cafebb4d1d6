"""What every section of the offline preview's report is: lines from a recording, and a verdict."""

from dataclasses import dataclass
from typing import Protocol

from preview.engine import RecordedStack


@dataclass(frozen=True)
class SectionReport:
    lines: list[str]
    failed: bool = False


class Section(Protocol):
    title: str

    def render(self, recording: RecordedStack) -> SectionReport: ...
