"""The resource tree, as `pulumi preview` shows it: every resource under its parent, with its inputs and options."""

from collections.abc import Iterable
from typing import Any

from preview.engine import RecordedResource, RecordedStack
from preview.sections.section import SectionReport
from preview.values import format_value


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
