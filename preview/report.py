"""The sections of the offline preview's report that `pulumi preview` also shows, and the list of all.

Every section turns a RecordedStack into lines, and may fail the preview (a policy violation,
say). A new report is a new class with `title` and `render`, listed in `sections()`.
"""

from collections.abc import Iterable
from typing import Any

from preview.cost import CostEstimate
from preview.deploy_time import DeployTime
from preview.engine import RecordedResource, RecordedStack
from preview.section import Section, SectionReport
from preview.values import UNKNOWN, Secret

STACK_TYPE = "pulumi:pulumi:Stack"
MAX_TEXT = 72


def format_value(value: Any) -> str:
    """One line; secrets masked, unknowns named, long or multi-line text shortened."""
    if isinstance(value, Secret):
        return "[secret]"
    if value is UNKNOWN:
        return "<known after apply>"
    if isinstance(value, str):
        lines = value.splitlines()
        shown = lines[0] if lines else ""
        suffix = f" … ({len(lines)} lines)" if len(lines) > 1 else ""
        if len(shown) > MAX_TEXT:
            shown, suffix = shown[:MAX_TEXT], f" … ({len(value)} chars)"
        return f'"{shown}"{suffix}'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {format_value(item)}" for key, item in sorted(value.items())) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    if value is None:
        return "null"
    return str(value)


def _input_lines(inputs: dict[str, Any]) -> Iterable[str]:
    for key, value in sorted(inputs.items()):
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            yield f"{key}:"
            yield from (f"  - {format_value(item)}" for item in value)
        else:
            yield f"{key}: {format_value(value)}"


def _by_name(resource: RecordedResource) -> str:
    """Registration order varies between runs (registrations are concurrent); names do not."""
    return resource.name


def _flags(resource: RecordedResource) -> str:
    flags = []
    if resource.protect:
        flags.append("protect")
    if resource.retain_on_delete:
        flags.append("retain-on-delete")
    if resource.delete_before_replace:
        flags.append("delete-before-replace")
    if resource.ignore_changes:
        flags.append(f"ignore_changes: {', '.join(resource.ignore_changes)}")
    if resource.replace_on_changes:
        flags.append(f"replace_on_changes: {', '.join(resource.replace_on_changes)}")
    return "  ".join(f"[{flag}]" for flag in flags)


class ResourceTree:
    title = "Resources"

    def render(self, recording: RecordedStack) -> SectionReport:
        rows: list[tuple[str, RecordedResource | None, str]] = []
        for root in sorted((resource for resource in recording.resources if not resource.parent), key=_by_name):
            self._collect(recording, root, "", "", rows)
        width = max((len(label) for label, resource, _ in rows if resource), default=0) + 2
        lines = [f"Previewing update ({recording.stack}), offline:", ""]
        for label, resource, detail in rows:
            if resource is None:
                lines.append(f"    {label}{detail}")
            else:
                flags = _flags(resource)
                lines.append(f" +  {label.ljust(width)}{resource.name}{'  ' + flags if flags else ''}")
        return SectionReport(lines)

    def _collect(
        self,
        recording: RecordedStack,
        resource: RecordedResource,
        lead: str,
        indent: str,
        rows: list[tuple[str, RecordedResource | None, str]],
    ) -> None:
        """Rows of (tree prefix + type, resource, "") for resources and (indent, None, input line) for inputs."""
        rows.append((f"{lead}{resource.type}", resource, ""))
        children = sorted(recording.children(resource.urn), key=_by_name)
        detail_indent = indent + ("│  " if children else "   ") + "    "
        rows += [(detail_indent, None, line) for line in _input_lines(resource.inputs)]
        for position, child in enumerate(children):
            last = position == len(children) - 1
            self._collect(
                recording, child, indent + ("└─ " if last else "├─ "), indent + ("   " if last else "│  "), rows
            )


class StackOutputs:
    title = "Outputs"

    def render(self, recording: RecordedStack) -> SectionReport:
        width = max((len(key) for key in recording.outputs), default=0) + 2
        return SectionReport(
            ["Outputs:"]
            + [f"    {(key + ':').ljust(width)}{format_value(value)}" for key, value in recording.outputs.items()]
        )


class Summary:
    title = "Summary"

    def render(self, recording: RecordedStack) -> SectionReport:
        components = sum(1 for resource in recording.resources if not resource.custom and resource.type != STACK_TYPE)
        custom = sum(1 for resource in recording.resources if resource.custom)
        return SectionReport(
            [
                "Resources:",
                f"    + {len(recording.resources)} to create "
                f"(1 stack, {_count(components, 'component')}, {_count(custom, 'cloud resource')})",
            ]
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def sections() -> list[Section]:
    return [ResourceTree(), StackOutputs(), Summary(), CostEstimate(), DeployTime()]
