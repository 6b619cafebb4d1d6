"""The compact report's header and resources: one line each, in the order `pulumi up` would create them.

The engine creates a resource as soon as everything it needs exists: its parent, what it depends on (declared
or through its inputs) and its provider. So the list is a topological order of those edges, and among the
resources that are ready at once the one the engine would start first comes first, by the durations of
deploy_time.py (which also run every resource in parallel). Every input of every resource is in `--details`.
"""

import heapq
from collections.abc import Sequence

from preview.engine import RecordedResource, RecordedStack
from preview.sections.deploy_time import UNKNOWN_TYPE_SECONDS, MissingLatencyError, dependencies, latency
from preview.sections.resource_facts import key_facts
from preview.sections.section import SectionReport
from preview.sections.summary import STACK_TYPE, counts

# Columns are as wide as the widest type and name, up to these; a longer one pushes its own line only.
TYPE_WIDTH = 26
NAME_WIDTH = 24


def _seconds(resource: RecordedResource) -> float:
    """A step without a latency row still has a place in the order; deploy_time.py reports the missing row."""
    try:
        return latency(resource)
    except MissingLatencyError:
        return UNKNOWN_TYPE_SECONDS


def needs(resource: RecordedResource, known: set[str]) -> list[str]:
    """The URNs that must exist before `resource` is created: its dependencies, provider and parent."""
    parent = [resource.parent] if resource.parent in known else []
    return [*dependencies(resource, known), *parent]


def creation_order(resources: Sequence[RecordedResource]) -> list[RecordedResource]:
    """Every resource after all it needs; of those ready together, the one the engine would start first."""
    by_urn = {resource.urn: resource for resource in resources}
    known = set(by_urn)
    needed = {urn: set(needs(resource, known)) for urn, resource in by_urn.items()}
    needed_by: dict[str, list[str]] = {urn: [] for urn in by_urn}
    for urn, prerequisites in needed.items():
        for prerequisite in prerequisites:
            needed_by[prerequisite].append(urn)
    start: dict[str, float] = {}
    waiting = {urn: len(prerequisites) for urn, prerequisites in needed.items()}
    ready = [(0.0, by_urn[urn].name, urn) for urn, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[RecordedResource] = []
    while ready:
        began, _, urn = heapq.heappop(ready)
        start[urn] = began
        order.append(by_urn[urn])
        finish = began + _seconds(by_urn[urn])
        for dependent in needed_by[urn]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                dependent_start = max(start[item] + _seconds(by_urn[item]) for item in needed[dependent])
                heapq.heappush(ready, (max(dependent_start, finish), by_urn[dependent].name, dependent))
    # A cycle cannot come from a program (a resource can only depend on one registered before it); if a recording
    # has one anyway, its resources still appear, once, at the end.
    placed = {resource.urn for resource in order}
    return order + sorted((resource for resource in resources if resource.urn not in placed), key=lambda r: r.name)


def short_type(token: str) -> str:
    """`hcloud:index/server:Server` -> `hcloud:Server`; other tokens (`command:remote:Command`) as they are."""
    parts = token.split(":")
    if len(parts) == 3 and parts[1].split("/", 1)[0] == "index":
        return f"{parts[0]}:{parts[2]}"
    return token


def _flags(resource: RecordedResource) -> str:
    flags = [flag for flag, on in (("protect", resource.protect), ("retain", resource.retain_on_delete)) if on]
    return f"  [{', '.join(flags)}]" if flags else ""


class ResourceList:
    title = "Resources"

    def render(self, recording: RecordedStack) -> SectionReport:
        order = creation_order(recording.resources)
        custom = [resource for resource in order if resource.custom]
        type_width = min(max((len(short_type(item.type)) for item in custom), default=0), TYPE_WIDTH)
        name_width = min(max((len(item.name) for item in order), default=0), NAME_WIDTH)
        lines = [
            f"Previewing update ({recording.stack}), offline: {len(order)} to create ({counts(recording)}),",
            "in the order `pulumi up` would create them; every input: make preview DETAILS=1 (or --details)",
            "",
        ]
        for resource in order:
            # A component's type token is long and says what its facts say: the type column just says component.
            kind = short_type(resource.type) if resource.custom or resource.type == STACK_TYPE else "component"
            facts = key_facts(resource, recording)
            line = f" +  {kind:<{type_width}}  {resource.name:<{name_width}}  {facts}{_flags(resource)}"
            lines.append(line.rstrip())
        return SectionReport(lines)
