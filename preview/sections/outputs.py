"""The stack's outputs, secrets masked.

The compact report gives each known value a line (cut to a line's width) and names the outputs that are secret
or known only after `pulumi up` together, as their values would say nothing more.
"""

import textwrap

from preview.engine import RecordedStack
from preview.sections.section import SectionReport
from preview.values import UNKNOWN, Secret, format_value

# The compact report's widest line of outputs.
WIDTH = 110
SECRET = "[secret]"
UNKNOWN_TEXT = "<known after apply>"


class StackOutputs:
    title = "Outputs"

    def __init__(self, compact: bool = False) -> None:
        self.compact = compact

    def render(self, recording: RecordedStack) -> SectionReport:
        if not self.compact:
            width = max((len(key) for key in recording.outputs), default=0) + 2
            return SectionReport(
                ["Outputs:"]
                + [f"    {(key + ':').ljust(width)}{format_value(value)}" for key, value in recording.outputs.items()]
            )
        if not recording.outputs:
            return SectionReport([])
        known = {key: value for key, value in recording.outputs.items() if not _hidden(value)}
        secret = [key for key, value in recording.outputs.items() if isinstance(value, Secret)]
        unknown = [key for key, value in recording.outputs.items() if value is UNKNOWN]
        width = max(len(key) + 1 for key in [*known, SECRET, UNKNOWN_TEXT]) + 1
        lines = ["Outputs:"]
        for key, value in known.items():
            lines.append(_cut(f"    {(key + ':').ljust(width)}{format_value(value)}"))
        for label, keys in ((UNKNOWN_TEXT, unknown), (SECRET, secret)):
            if keys:
                lines += textwrap.wrap(
                    ", ".join(keys),
                    WIDTH,
                    initial_indent=f"    {(label + ':').ljust(width)}",
                    subsequent_indent=" " * (4 + width),
                    break_on_hyphens=False,
                )
        return SectionReport(lines)


def _hidden(value: object) -> bool:
    return isinstance(value, Secret) or value is UNKNOWN


def _cut(line: str) -> str:
    return line if len(line) <= WIDTH else f"{line[: WIDTH - 1]}…"
